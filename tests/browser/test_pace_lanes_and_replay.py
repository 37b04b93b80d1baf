"""The live monitor's pace lanes and one student's replay in a real Chromium against a real daphne server. Time is
moved in the database (the session started 40 minutes ago, the log's events dated where the story needs them)
rather than waited for: a student who has not moved for half an hour shows "stuck" and "behind pace", one who
works on is on pace with a projected band; a live move clears the warning, and the page's own timer turns a
quiet student "stuck" with no message from the server. Then the stuck student's replay, scrubbed to the moment
an answer was given."""

import re
from contextlib import ExitStack
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conftest import paper_data
from tests.browser.support import login
from tests.browser.test_student_test_page import wait_until
from tests.browser.test_teacher_live import SocketStudent

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

WAIT_MS = 15000


def dated(attempt, seconds_after_start: float, **lookup):
    """Date the attempt's newest logged event of this kind `seconds_after_start` after the session's start."""
    from attempts.models import AttemptEvent

    event = AttemptEvent.objects.filter(attempt=attempt, **lookup).order_by("-pk").first()
    event.created_at = attempt.session.started_at + timedelta(seconds=seconds_after_start)
    event.save(update_fields=["created_at"])


@pytest.fixture
def session_forty_minutes_in(transactional_db, make_user, connect_student):
    """Amira and Ben in an hour's paper of two passages of two questions (30 minutes a passage), started 40 minutes
    ago. Amira answered Q1 at +50 s, changed it at +55 s, moved to Q2 at +60 s and has not moved since."""
    from django.utils import timezone

    from attempts.models import Attempt
    from attempts.services import attempt_answer, attempt_progress
    from classes.services import class_create
    from exams.services import test_create
    from sessions_app.models import Session
    from sessions_app.services import class_enrol, session_create, session_open_waiting_room, session_start

    teacher = make_user("TEACHER", username="tess", first_name="Tess", last_name="Teacher")
    amira = make_user("STUDENT", username="amira", first_name="Amira", last_name="Haddad")
    ben = make_user("STUDENT", username="ben", first_name="Ben", last_name="Okafor")
    klass = class_create(name="Beacon 31", created_by=teacher)
    for student in (amira, ben):
        class_enrol(school_class=klass, student=student)
    paper = test_create(**{**paper_data(), "title": "Academic Reading: Wool"}, created_by=teacher)
    session = session_create(school_class=klass, test=paper, title="Friday mock", scheduled_at=timezone.now(),
                             created_by=teacher)  # fmt: skip
    session_open_waiting_room(session=session)
    for student in (amira, ben):
        connect_student(session, student)
    session = session_start(session=session)
    shift = timedelta(minutes=40)
    Session.objects.filter(pk=session.pk).update(started_at=session.started_at - shift, ends_at=session.ends_at - shift)
    for attempt in Attempt.objects.filter(session=session):
        Attempt.objects.filter(pk=attempt.pk).update(started_at=attempt.started_at - shift,
                                                     ends_at=attempt.ends_at - shift)  # fmt: skip
    session.refresh_from_db()
    questions = {q.number: q for q in paper.questions.all()}
    first = session.attempts.get(student=amira)
    attempt_answer(attempt=first, question_id=questions[1].pk, answer="TRUE")
    dated(first, 50, type="answer_submitted")
    attempt_progress(attempt=first, passage_index=0, question_index=1)
    dated(first, 60, type="progress_update")
    attempt_answer(attempt=first, question_id=questions[1].pk, answer="FALSE")
    dated(first, 55, type="answer_submitted")
    return {"teacher": teacher, "amira": amira, "ben": ben, "session": session, "questions": questions}


def lane(page, student):
    return page.locator(f'#lanes > li[data-student-id="{student.pk}"]')


def test_pace_lanes_show_who_is_stuck_and_behind_and_the_replay_shows_the_answer_given_then(
    browser, daphne_servers, session_forty_minutes_in
):
    from attempts.services import attempt_answer, attempt_progress

    story = session_forty_minutes_in
    session, amira, ben, questions = story["session"], story["amira"], story["ben"], story["questions"]
    server = daphne_servers("web-1")
    # Ben answered Q3 right, moved to Q4 and answered it wrong 3 min 35 s ago: not stuck yet (4 minutes).
    second = session.attempts.get(student=ben)
    attempt_answer(attempt=second, question_id=questions[3].pk, answer="red wool")
    dated(second, 40 * 60 - 260, type="answer_submitted")
    attempt_progress(attempt=second, passage_index=1, question_index=3)
    dated(second, 40 * 60 - 250, type="progress_update")
    attempt_answer(attempt=second, question_id=questions[4].pk, answer="cotton")
    dated(second, 40 * 60 - 215, type="answer_submitted")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        login(page, server.url, "tess", "/teacher/")
        page.goto(f"{server.url}/teacher/sessions/{session.pk}/live/")
        # Amira: on Q2 since +1 min, 39 minutes ago; the guide was done with Q2 at 30 minutes: 10 minutes behind.
        expect(lane(page, amira).locator(".lane-state")).to_have_text(
            re.compile(r"^Stuck on Q2 · behind pace by 10 min( \d+ s)?$"), timeout=WAIT_MS
        )
        expect(lane(page, amira)).to_have_attribute("data-pace", "stuck")
        expect(lane(page, amira).locator(".lane-band")).to_have_text("Projected band 0.0")  # Q1: FALSE, wrong
        expect(page.locator(f'#board > li[data-student-id="{amira.pk}"] .pace-tag')).to_have_text("Stuck on Q2")
        expect(lane(page, ben).locator(".lane-state")).to_have_text("On pace · Q4")
        # One of two right: if the rest go as well, 2 of 4 → 20 of 40 → band 5.5; said to be a projection.
        expect(lane(page, ben).locator(".lane-band")).to_have_text("Projected band 5.5")
        expect(lane(page, ben).locator(".lane-band")).to_have_attribute(
            "title", re.compile(r"^A projection, for staff only: 1 of the 2 answered so far are right")
        )
        expect(page.locator(f'#board > li[data-student-id="{ben.pk}"] .pace-tag')).to_be_hidden()
        expect(lane(page, amira).locator("svg.lane-chart polyline.lane-guide")).to_have_count(1)

        # No message about Ben: the page's own clock turns four quiet minutes into "stuck".
        expect(lane(page, ben).locator(".lane-state")).to_have_text("Stuck on Q4", timeout=60000)

        # Amira moves on, live: to Q3, whose guide is 45 minutes: on pace, and not stuck.
        with ExitStack() as stack:
            student = SocketStudent(server, "amira", session.pk, stack)
            student.send("progress_update", passage_index=1, question_index=2)
            expect(lane(page, amira).locator(".lane-state")).to_have_text("On pace · Q3", timeout=WAIT_MS)
            expect(page.locator(f'#board > li[data-student-id="{amira.pk}"] .pace-tag')).to_be_hidden()
            assert student.errors() == []

        # Amira's replay: at the end her answer to Q1 is FALSE; from +50 s to +55 s it was TRUE; before, nothing.
        attempt = session.attempts.get(student=amira)
        # Her socket has closed; the server logs the disconnection as it clears her presence, a moment later.
        wait_until(lambda: attempt.events.filter(type="disconnected").exists(), message="the disconnection logged")
        page.goto(f"{server.url}/teacher/attempts/{attempt.pk}/timeline/")
        row = page.locator(f'#replay-answers tr[data-question-id="{questions[1].pk}"]')
        expect(row.locator(".replay-answer")).to_have_text("FALSE")
        expect(page.locator("#replay-where")).to_have_text("On Q3 · offline")  # the socket closed
        scrubber = page.get_by_label("Moment of the session")
        scrubber.focus()
        page.keyboard.press("Home")
        expect(row.locator(".replay-answer")).to_have_text("—")
        expect(page.locator("#replay-at")).to_contain_text("+00:00")
        page.get_by_role("button", name="Next event").click()
        expect(page.locator("#replay-at")).to_contain_text("+00:50")
        expect(row.locator(".replay-answer")).to_have_text("TRUE")
        expect(page.locator("#replay-last")).to_have_text("+00:50 Answered Q1: “TRUE”")
        scrubber.fill("54")
        expect(row.locator(".replay-answer")).to_have_text("TRUE")
        expect(page.locator("#replay-where")).to_have_text("On Q1")
        scrubber.fill("120")
        expect(row.locator(".replay-answer")).to_have_text("FALSE")
        expect(page.locator("#replay-where")).to_have_text("On Q2")
        expect(page.locator(f'#replay-answers tr[data-question-id="{questions[2].pk}"]')).to_have_attribute(
            "aria-current", "step"
        )
        scrubber.fill("55")
        expect(scrubber).to_have_attribute("aria-valuetext", re.compile(r"^\+00:55 \(.+\): Answered Q1: “FALSE”$"))
        assert errors == []
    finally:
        context.close()
