"""A Writing session in a real Chromium against a real daphne server: the student writes both tasks (the task on the
left, a box without spell check and a live word count on the right), the network is cut for 20 s while they go
on, the page reloads once, and nothing is lost (the server holds every word); the teacher's monitor shows the
words rising live, then the teacher marks both tasks on the marking page and sees the writing band."""

import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.support import login
from tests.browser.test_demo_tour import keep_screenshot
from tests.browser.test_student_test_page import WAIT_MS, Server, start_test, wait_until
from tests.writing_support import writing_paper_data

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

OFFLINE_SECONDS = 20
PROSE = (
    "museums visitors rose steadily across the decade while the science museum drew the largest crowds and "
    "the history museum's numbers fell slightly after twenty-ten because admission charges were introduced"
)
WORDS = re.findall(r"\S+", PROSE)


def essay(count: int, start: int = 0) -> str:
    return " ".join(WORDS[(start + i) % len(WORDS)] for i in range(count))


def type_in_chunks(page, locator, text: str, *, chunk_words: int = 20, pause_ms: int = 150) -> None:
    """Type as a fast student would: a few words at a time, into the box that has the focus."""
    locator.click()
    page.keyboard.press("Control+End")
    words = text.split(" ")
    for index in range(0, len(words), chunk_words):
        page.keyboard.insert_text(" ".join(words[index : index + chunk_words]) + " ")
        page.wait_for_timeout(pause_ms)


@pytest.fixture
def classroom(transactional_db, make_user):
    from classes.services import class_create
    from exams.demo_writing import bar_chart_png
    from exams.services import question_set_image, test_create
    from sessions_app.services import class_enrol, session_create

    teacher = make_user("TEACHER", username="tess", first_name="Tess", last_name="Teacher")
    student = make_user("STUDENT", username="amira", first_name="Amira", last_name="Haddad")
    klass = class_create(name="Beacon 31", created_by=teacher)
    class_enrol(school_class=klass, student=student)
    paper = test_create(**writing_paper_data(), created_by=teacher)
    chart = paper.questions.get(task=1)
    question_set_image(test=paper, question_id=chart.pk, content=bar_chart_png(), content_type="image/png", by=teacher)
    session = session_create(
        school_class=klass, test=paper, title="Writing mock", scheduled_at=timezone.now(), created_by=teacher,
    )  # fmt: skip
    return {"teacher": teacher, "student": student, "session": session, "paper": paper}


def test_a_student_writes_offline_and_reloads_and_the_teacher_watches_and_marks(
    browser, daphne_servers, classroom, tmp_path
):
    from attempts.models import AttemptEvent

    session, student, teacher = classroom["session"], classroom["student"], classroom["teacher"]
    task1, task2 = (session.test.questions.get(task=n) for n in (1, 2))
    server = Server(daphne_servers("web-1"), teacher)
    server.open_room(session)
    started = time.monotonic()

    teacher_context = browser.new_context(viewport={"width": 1280, "height": 800})
    student_context = browser.new_context(viewport={"width": 1280, "height": 800})
    errors = []
    monitor = teacher_context.new_page()
    page = student_context.new_page()
    for watched in (monitor, page):
        watched.on("pageerror", lambda error: errors.append(str(error)))
    login(monitor, server.url, "tess", "/teacher/")
    monitor.goto(f"{server.url}/teacher/sessions/{session.pk}/live/")
    expect(monitor.locator("#link-state")).to_contain_text("Live —", timeout=WAIT_MS)
    login(page, server.url, student.username)
    start_test(page, server, session, student)
    card = monitor.locator(f'#board > li[data-student-id="{student.pk}"]')
    words_line = card.locator(".words-line")
    expect(words_line).to_have_text("Task 1: 0 words · Task 2: 0 words", timeout=WAIT_MS)

    # Task 1: the task on the left, the box on the right, no spell check, the count as the student types.
    expect(page.get_by_role("tab", name="Task 1")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".writing-task").first).to_contain_text("Summarise the information")
    chart = page.locator(".writing-task .task-image").first  # Task 1's chart, served to a participant of the session
    expect(chart).to_be_visible()
    page.wait_for_function("(image) => image.complete && image.naturalWidth > 0", arg=chart.element_handle())
    box1, box2 = page.locator(f"#answer-{task1.pk}"), page.locator(f"#answer-{task2.pk}")
    expect(box1).to_have_attribute("spellcheck", "false")
    first = essay(60)
    type_in_chunks(page, box1, first)
    expect(page.locator(f"#words-{task1.pk}")).to_have_text("60 words · at least 150")
    expect(words_line).to_contain_text("Task 1: 60 words", timeout=WAIT_MS)  # live, from answer_submitted
    more = essay(100, start=60)
    type_in_chunks(page, box1, more)
    expect(page.locator(f"#words-{task1.pk}")).to_have_text("160 words · at least 150")
    expect(words_line).to_contain_text("Task 1: 160 words", timeout=WAIT_MS)
    keep_screenshot(page, "student-writing", tmp_path, {"width": 1280, "height": 800})

    # Task 2, half of it with the network cut: the count goes on, the outbox keeps one save per essay.
    page.get_by_role("tab", name="Task 2").click()
    type_in_chunks(page, box2, essay(50, start=7))
    expect(words_line).to_contain_text("Task 2: 50 words", timeout=WAIT_MS)
    student_context.set_offline(True)
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "offline", timeout=WAIT_MS)
    offline_until = time.monotonic() + OFFLINE_SECONDS
    type_in_chunks(page, box2, essay(50, start=57), pause_ms=400)
    expect(page.locator(f"#words-{task2.pk}")).to_have_text("100 words · at least 250")
    queued = page.evaluate(
        """() => Object.entries(localStorage).filter(([k]) => k.startsWith("ielts.outbox"))
                 .flatMap(([, v]) => JSON.parse(v).entries).filter((e) => e.type === "answer_submitted").length"""
    )
    assert queued == 1, "a newer save replaces the one waiting"
    page.wait_for_timeout(max(0, int((offline_until - time.monotonic()) * 1000)))
    student_context.set_offline(False)
    expect(page.locator("#conn-text")).to_have_text("Connected · all saved", timeout=WAIT_MS)
    expect(words_line).to_contain_text("Task 2: 100 words", timeout=WAIT_MS)

    # The last words and at once a reload: what was typed within the last second is not lost.
    box2.click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text("museums must stay free.")
    page.reload()
    expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("tab", name="Task 2").click()
    written2 = essay(50, start=7) + " " + essay(50, start=57) + " museums must stay free."
    expect(box2).to_have_value(written2)
    expect(page.locator(f"#answer-{task1.pk}")).to_have_value(f"{first} {more} ")
    wait_until(
        lambda: (
            {a["question_id"]: a["answer"] for a in server.attempt(session, student)["answers"]}
            == {task1.pk: f"{first} {more} ", task2.pk: written2}
        ),
        message="the server's copy of both essays",
    )
    expect(page.locator(f"#words-{task2.pk}")).to_have_text("104 words · at least 250")
    expect(words_line).to_have_text("Task 1: 160 words · Task 2: 104 words", timeout=WAIT_MS)
    saves = list(AttemptEvent.objects.filter(attempt__session=session, type="answer_submitted").order_by("created_at"))
    assert 4 <= len(saves) <= time.monotonic() - started + 2, "at most about one save a second per essay"

    # The student hands in; the teacher marks both tasks and sees the band.
    page.get_by_role("button", name="Submit test").click()
    page.locator("#submit-dialog").get_by_role("button", name="Submit answers").click()
    expect(page.locator("#screen-finished")).to_be_visible(timeout=WAIT_MS)
    monitor.get_by_role("link", name="Mark Writing").click()
    expect(monitor.get_by_role("heading", name=re.compile("Writing to mark"))).to_be_visible()
    row = monitor.locator(f"#student-{student.pk}")
    expect(row).to_contain_text("2 tasks to mark")
    attempt_id = server.attempt(session, student)["id"]
    for question, marks in ((task1, ("6", "6", "6", "7")), (task2, ("6", "7", "7", "7"))):
        form = monitor.locator(f"#mark-{attempt_id}-{question.pk} form")
        for name, band in zip(("TA", "CC", "LR", "GRA"), marks, strict=True):
            form.locator(f'select[name="{name}"]').select_option(band)
        form.locator('textarea[name="comment"]').fill(f"Task {question.task}: clear.")
        form.get_by_role("button", name="Save marks").click()
        expect(monitor.locator(f"#mark-{attempt_id}-{question.pk} .task-band")).to_be_visible()
    expect(monitor.locator(f"#mark-{attempt_id}-{task1.pk} .task-band")).to_have_text("Band 6.0")
    expect(monitor.locator(f"#mark-{attempt_id}-{task2.pk} .task-band")).to_have_text("Band 6.5")
    expect(row.locator(".writing-band")).to_have_text("Writing band 6.5")  # (6 + 2 × 6.5) / 3 = 6.333
    keep_screenshot(monitor, "teacher-writing-marking", tmp_path, {"width": 1280, "height": 800})
    body = server.attempt(session, student)
    assert body["band"] == 6.5 and [w["band"] for w in body["writing"]] == [6.0, 6.5]
    # Every task marked and the results released (at the submit, by default): the student sees their bands.
    page.reload()
    expect(page.locator("#finished-result")).to_have_text("Writing band 6.5")
    expect(page.locator("#finished-review-list")).to_contain_text("Task 2: band 6.5 (104 words). “Task 2: clear.”")
    assert errors == []
    teacher_context.close()
    student_context.close()
