"""A practice attempt in a real Chromium against a real daphne server: the student starts it alone from My sessions,
answers, reloads once (nothing is lost), and the server's clock hands it in at its own time; the finished screen
shows the score at once and, as the teacher chose, each answer with its mark. The teacher sees it in the results."""

import pytest
from playwright.sync_api import expect

from conftest import paper_data
from tests.browser.support import class_of_one, login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

WAIT_MS = 15000
SECONDS_PER_MINUTE = 40  # the practice's one minute lasts 40 s on this server


@pytest.fixture
def practice(transactional_db, make_user):
    from attempts.practice import practice_publish

    classroom = class_of_one(make_user, paper_data())
    practice = practice_publish(
        school_class=classroom["class"], test=classroom["paper"], time_limit_minutes=1, show_answers_after_submit=True,
        by=classroom["teacher"],
    )  # fmt: skip
    return {**classroom, "practice": practice}


def test_a_practice_attempt_from_start_to_time_up_with_one_reload(browser, daphne_servers, practice):
    from attempts.models import Answer, Attempt

    url = daphne_servers("web-1", IELTS_SECONDS_PER_MINUTE=SECONDS_PER_MINUTE, SESSION_GRACE_SECONDS=1).url
    paper = practice["paper"]
    questions = {question.number: question for question in paper.questions.all()}
    context = browser.new_context()
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(error))
        login(page, url, "amira", "/my-sessions/")
        card = page.locator(".practice-card", has_text=paper.title)
        expect(card).to_contain_text("1 minutes, on your own")
        card.get_by_role("button", name="Start").click()

        # No waiting room: the paper and the attempt's own clock at once.
        expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("#timer-box")).to_be_visible()
        page.locator(f"#question-{questions[1].pk}").get_by_label("TRUE", exact=True).check()
        expect(page.locator("#conn-text")).to_have_text("Connected · all saved", timeout=WAIT_MS)
        attempt = Attempt.objects.get(practice=practice["practice"])
        assert attempt.session_id is None

        page.reload()  # the one reload: the answer is still there, the clock goes on
        expect(page.locator(f"#question-{questions[1].pk}").get_by_label("TRUE", exact=True)).to_be_checked(
            timeout=WAIT_MS
        )
        page.locator(f"#question-{questions[2].pk}").get_by_label("second").check()
        expect(page.locator("#conn-text")).to_have_text("Connected · all saved", timeout=WAIT_MS)
        assert set(Answer.objects.filter(attempt=attempt).values_list("question__number", flat=True)) == {1, 2}

        # The server's clock hands it in at its own end: the page shows the result and the marks at once.
        expect(page.locator("#screen-finished")).to_be_visible(timeout=SECONDS_PER_MINUTE * 1000 + WAIT_MS)
        expect(page.locator("#finished-title")).to_have_text("Time is up")
        expect(page.locator("#finished-score")).to_have_text("2")
        expect(page.locator("#finished-review-list li")).to_have_count(2)
        expect(page.locator("#finished-review-list")).to_contain_text("“TRUE” — correct")
        attempt.refresh_from_db()
        assert (attempt.status, attempt.score) == ("SUBMITTED", 2)
        assert not errors, errors

        # Back on My sessions: the attempt's result, and the way to try again.
        page.goto(f"{url}/my-sessions/")
        card = page.locator(".practice-card", has_text=paper.title)
        expect(card.locator(".practice-attempts")).to_contain_text("Score 2")
        expect(card.get_by_role("button", name="Try again")).to_be_visible()
    finally:
        context.close()
