"""What the live monitor's pace lanes and the timeline's replay read from the attempts' logs (monitoring.history),
with figures computed by hand for a small session, each read in a bounded number of queries however many
students there are; and the keys the live page marks answers with reach staff only."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from attempts.models import AttemptEvent
from attempts.services import attempt_answer, attempt_flag, attempt_highlight, attempt_progress
from monitoring.history import session_lanes

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def at_seconds(attempt, seconds: int, **lookup):
    """Move the attempt's newest logged event of this kind to `seconds` after the session's start."""
    event = AttemptEvent.objects.filter(attempt=attempt, **lookup).order_by("-pk").first()
    event.created_at = attempt.session.started_at + timedelta(seconds=seconds)
    event.save(update_fields=["created_at"])
    return event


def test_lanes_start_from_the_log_the_passages_the_pauses_and_the_keys(running_session, students, paper, teacher):
    from sessions_app.services import session_pause, session_resume

    session = running_session
    first, second = (session.attempts.get(student=student) for student in students[:2])
    questions = {q.number: q for q in paper.questions.all()}
    attempt_progress(attempt=first, passage_index=0, question_index=1)
    at_seconds(first, 60, type="progress_update")
    attempt_answer(attempt=first, question_id=questions[2].pk, answer="B")
    at_seconds(first, 90, type="answer_submitted")
    attempt_answer(attempt=first, question_id=questions[3].pk, answer="  ")  # cleared: a move, not an answer
    at_seconds(first, 120, type="answer_submitted")
    # Made offline at +100 s, logged later: the lane puts it where the student made it.
    attempt_progress(attempt=second, passage_index=1, question_index=2)
    event = at_seconds(second, 300, type="progress_update")
    event.data = {**event.data, "made_at": (session.started_at + timedelta(seconds=100)).isoformat()}
    event.save(update_fields=["data"])
    session_pause(session=session, by=teacher)
    session_resume(session=session, by=teacher)
    session.refresh_from_db()

    lanes = session_lanes(session)

    start = ms(session.started_at)
    assert lanes["startedAt"] is not None and lanes["limitSeconds"] == 60 * 60 and lanes["secondsPerMinute"] == 60
    assert lanes["passages"] == [[0, 1], [2, 3]]
    assert lanes["attempts"][students[0].pk]["moves"] == [[start + 60_000, 1, 0], [start + 90_000, 1, 1],
                                                           [start + 120_000, 2, 0]]  # fmt: skip
    assert lanes["attempts"][students[1].pk]["moves"] == [[start + 100_000, 2, 0]]
    assert lanes["attempts"][students[0].pk]["started"] == ms(first.started_at)
    assert len(lanes["pauses"]) == 1 and lanes["pauses"][0][0] <= lanes["pauses"][0][1]  # one pause, ended
    assert lanes["keys"][questions[3].pk] == {"answers": ["red wool", "wool"], "word_limit": 2}
    assert lanes["keys"][questions[1].pk] == {"answers": ["true"], "word_limit": None}
    assert lanes["bandTable"][0] == [39, 9.0] and lanes["bandTable"][-1] == [0, 0.0]


def test_a_pause_still_going_on_is_open(running_session, teacher):
    from sessions_app.services import session_pause

    session = session_pause(session=running_session, by=teacher)
    assert session_lanes(session)["pauses"] == [[ms(session.paused_at), None]]


def test_lanes_are_read_in_a_bounded_number_of_queries_for_forty_students(
    teacher, paper, make_user, django_assert_max_num_queries, connect_student
):
    from django.utils import timezone

    from classes.services import class_create
    from sessions_app.services import class_enrol, session_create, session_open_waiting_room, session_start

    klass = class_create(name="Forty", created_by=teacher)
    students = [make_user("STUDENT", username=f"s{i}") for i in range(40)]
    for student in students:
        class_enrol(school_class=klass, student=student)
    session = session_create(school_class=klass, test=paper, title="Forty", scheduled_at=timezone.now(),
                             created_by=teacher)  # fmt: skip
    session_open_waiting_room(session=session)
    for student in students:
        connect_student(session, student)
    session = session_start(session=session)
    question = paper.questions.get(number=1)
    for attempt in session.attempts.all():
        attempt_progress(attempt=attempt, passage_index=0, question_index=0)
        attempt_answer(attempt=attempt, question_id=question.pk, answer="TRUE")
    session = type(session).objects.select_related("test").get(pk=session.pk)
    with django_assert_max_num_queries(4):
        lanes = session_lanes(session)
    assert len(lanes["attempts"]) == 40
    assert all(len(attempt["moves"]) == 2 for attempt in lanes["attempts"].values())


def test_the_keys_reach_the_staff_live_page_only(running_session, teacher, students, paper):
    live = reverse("teacher-live", args=[running_session.pk])
    html = client_for(teacher).get(live).content.decode()
    config = json.loads(html.split('id="live-config" type="application/json">')[1].split("</script>")[0])
    assert config["lanes"]["keys"][str(paper.questions.get(number=3).pk)]["answers"] == ["red wool", "wool"]
    assert 'id="lanes"' in html and "projections from the answers so far, for staff only" in html
    refused = client_for(students[0]).get(live)
    assert refused.status_code in (302, 403) and b"red wool" not in refused.content
    test_page = client_for(students[0]).get(reverse("student-test", args=[running_session.pk]))
    assert b'"keys"' not in test_page.content and b"bandTable" not in test_page.content


def test_an_attempt_with_work_keeps_flags_and_highlights_in_the_log(attempt_with_work, paper):
    """What the replay is built from is in the log (the attempt_with_work fixture's answer, highlight, flag)."""
    attempt_flag(attempt=attempt_with_work, question_id=paper.questions.get(number=2).pk, flagged=True)
    passage = paper.passages.first()
    attempt_highlight(attempt=attempt_with_work, passage_id=passage.pk, text=passage.text[8:12], position_start=8,
                      position_end=12)  # fmt: skip
    types = list(attempt_with_work.events.values_list("type", flat=True))
    assert types.count("text_highlighted") == 2 and "question_flagged" in types
