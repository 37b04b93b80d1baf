"""What a class's results look like when the teacher holds them back, and after the paper changes: in a real
Chromium against a real daphne server, as the student and the teacher see them."""

import pytest
from playwright.sync_api import expect

from tests.browser.support import class_of_one, login
from tests.browser.test_student_test_page import PAPER, Server, start_test

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

WAIT_MS = 15000


@pytest.fixture
def classroom(transactional_db, make_user):
    """Amira's session of the paper, whose results wait for the teacher and come with a review."""
    return class_of_one(make_user, PAPER, results_release="MANUAL", review=True)


def teacher_page(browser, url):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, url, "tess", "/teacher/")
    return page


def submit_with_one_right_answer(page, session):
    question_2 = session.test.questions.get(number=2)
    page.locator(f'#question-{question_2.pk} input[value="B"]').check()
    page.locator("#submit-open").click()
    page.locator("#submit-confirm").click()
    expect(page.locator("#screen-finished")).to_be_visible(timeout=WAIT_MS)


def test_results_are_held_until_the_teacher_releases_them(browser, daphne_servers, classroom):
    session, student = classroom["session"], classroom["student"]
    daphne = daphne_servers("web-1")
    server = Server(daphne, classroom["teacher"])
    server.open_room(session)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(page, daphne.url, student.username)
    start_test(page, server, session, student)
    submit_with_one_right_answer(page, session)

    expect(page.locator("#finished-held")).to_be_visible()
    expect(page.locator("#finished-held")).to_contain_text("Your teacher will show you your result later")
    expect(page.locator("#finished-result")).to_be_hidden()
    assert server.post(f"/sessions/{session.pk}/complete").status_code == 200
    page.wait_for_timeout(500)
    expect(page.locator("#finished-result")).to_be_hidden()  # the completion does not release a MANUAL session

    teacher = teacher_page(browser, daphne.url)
    teacher.goto(f"{daphne.url}/teacher/sessions/{session.pk}/results/")
    expect(teacher.locator("#results-release")).to_contain_text("Students do not see their results yet.")
    teacher.locator("#release-results").click()
    expect(teacher.locator("#results-release")).to_contain_text("Students see their results, their answers and")

    # The student's open page hears the release: the score, and with the review each answer's mark and keys.
    expect(page.locator("#finished-result")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#finished-score")).to_have_text("1")
    expect(page.locator("#finished-held")).to_be_hidden()
    expect(page.locator("#finished-review-list li")).to_have_count(1)
    expect(page.locator("#finished-review-list li").first).to_contain_text("correct")
    page.reload()
    expect(page.locator("#finished-score")).to_have_text("1")


def test_a_paper_edited_after_its_session_keeps_the_results_the_header_and_the_csv(browser, daphne_servers, classroom):
    session, student, paper = classroom["session"], classroom["student"], classroom["paper"]
    daphne = daphne_servers("web-1")
    server = Server(daphne, classroom["teacher"])
    server.open_room(session)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(page, daphne.url, student.username)
    start_test(page, server, session, student)
    submit_with_one_right_answer(page, session)
    assert server.post(f"/sessions/{session.pk}/complete").status_code == 200

    teacher = teacher_page(browser, daphne.url)
    results_url = f"{daphne.url}/teacher/sessions/{session.pk}/results/"
    csv_url = f"{daphne.url}/teacher/sessions/{session.pk}/results.csv"
    teacher.goto(results_url)
    header_before = teacher.locator(".page-head + p.muted").inner_text()
    figures_before = teacher.locator("dl.figures").inner_text()
    csv_before = teacher.request.get(csv_url).body()
    live_header_before = _live_header(teacher, daphne.url, session)

    # The teacher changes the paper in the editor: a key, the title, the time limit and a new question.
    teacher.goto(f"{daphne.url}/teacher/papers/{paper.pk}/edit/")
    expect(teacher.locator("#version-notice")).to_contain_text("Saving makes version 2")
    facts = teacher.locator(".paper-facts")
    facts.get_by_label("Title").fill("Trade and materials, revised")
    facts.get_by_label("Time limit (minutes)").fill("2")
    teacher.get_by_role("button", name="Save paper").click()
    expect(teacher.locator(".messages")).to_be_visible(timeout=WAIT_MS)

    teacher.goto(results_url)
    assert teacher.locator(".page-head + p.muted").inner_text() == header_before
    assert teacher.locator("dl.figures").inner_text() == figures_before
    assert teacher.request.get(csv_url).body() == csv_before
    assert _live_header(teacher, daphne.url, session) == live_header_before
    assert "Trade and materials, revised" not in live_header_before


def _live_header(page, url, session) -> str:
    page.goto(f"{url}/teacher/sessions/{session.pk}/live/")
    return page.locator(".live-head p.muted").inner_text()
