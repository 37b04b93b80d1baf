"""The live monitor in a real Chromium against a real daphne server: its feed is the same after a reload (rebuilt
from the log), the cards sort and filter, and a double click on "Complete now" asks once and errs never."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import login
from tests.browser.test_teacher_live import WAIT_MS, Api, classroom, time_now  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]


def feed_texts(page):
    return page.locator("#feed li span").all_inner_texts()


def card_names(page):
    return page.locator("#board > li .name").all_inner_texts()


def test_the_monitor_after_a_reload_sorts_filters_and_completes_once(browser, daphne_servers, classroom):  # noqa: F811
    from sessions_app.services import participant_connect, server_process_register, session_create

    session = session_create(
        school_class=classroom["class"], test=classroom["paper"], title="Friday mock", scheduled_at=time_now(),
        created_by=classroom["teacher"],
    )  # fmt: skip
    server = daphne_servers("web-1")
    teacher = Api(server.url, "tess")
    assert teacher.post(f"/sessions/{session.pk}/start-waiting").status_code == 200
    process = server_process_register(name="pytest")
    for student in (classroom["amira"], classroom["ben"]):  # connected as a socket would leave them
        participant_connect(session=session, student=student, channel_name=f"fake.{student.pk}", server_id=process)
    context = browser.new_context(viewport={"width": 800, "height": 1000})  # a tablet
    page = context.new_page()
    confirmations, errors = [], []

    def on_dialog(dialog):
        confirmations.append(dialog.message)
        dialog.accept()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        login(page, server.url, "tess", "/teacher/")
        page.goto(f"{server.url}/teacher/sessions/{session.pk}/live/")
        expect(page.locator("#link-state")).to_contain_text("Live —", timeout=WAIT_MS)
        page.get_by_role("button", name="Start test").click()
        feed = page.locator("#feed")
        expect(feed).to_contain_text("The test has started.", timeout=WAIT_MS)
        questions = sorted(classroom["paper"].questions.values_list("pk", flat=True))
        for username, count in (("amira", 1), ("ben", 3)):
            student = Api(server.url, username)
            attempt_id = teacher.get(f"/sessions/{session.pk}/stats")["students"]
            attempt_id = next(s["attempt_id"] for s in attempt_id if s["student_name"].lower().startswith(username))
            for question_id in questions[:count]:
                body = {"question_id": question_id, "answer": "TRUE"}
                assert student.post(f"/attempts/{attempt_id}/answers", body).status_code == 200
        expect(feed).to_contain_text("Ben Okafor answered Q3.", timeout=WAIT_MS)
        before = feed_texts(page)
        assert before.count("The test has started.") == 1 and "The waiting room is open." in before

        page.reload()
        expect(page.locator("#link-state")).to_contain_text("Live —", timeout=WAIT_MS)
        expect(page.locator("#feed li")).to_have_count(len(before), timeout=WAIT_MS)
        assert feed_texts(page) == before  # the same lines, in the same order

        expect(page.locator("#board > li")).to_have_count(2)
        assert card_names(page) == ["Amira Haddad", "Ben Okafor"]  # by surname
        page.locator("[data-board-layout=sort]").select_option("progress")
        expect(page.locator("#board > li .name").first).to_have_text("Ben Okafor")
        page.locator("[data-board-layout=filter]").select_option("away")
        expect(page.locator("#board > li")).to_have_count(0)
        expect(page.locator("#board-none-shown")).to_be_visible()
        page.locator("[data-board-layout=filter]").select_option("connected")
        expect(page.locator("#board > li")).to_have_count(2)

        complete = page.get_by_role("button", name="Complete now")
        complete.dblclick()
        expect(page.locator("#session-status")).to_have_text("Completed", timeout=WAIT_MS)
        expect(feed).to_contain_text("The session is completed (ended by the teacher).", timeout=WAIT_MS)
        assert len(confirmations) == 1 and re.match(r"End the test now", confirmations[0])
        expect(page.locator("#action-error")).to_be_hidden()
        assert feed_texts(page).count("The session is completed (ended by the teacher).") == 1
        assert not errors
    finally:
        context.close()
