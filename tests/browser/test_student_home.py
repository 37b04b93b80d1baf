"""The student's "My sessions" in a real Chromium against a real daphne server: it follows the teacher's actions
without a reload, and Back from a running test shows the way back to it."""

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD, paper_data

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

WAIT_MS = 15000


@pytest.fixture
def scheduled(transactional_db, make_user):
    """A class of one student and a session of it, its waiting room not open yet."""
    from classes.services import class_create
    from exams.services import test_create
    from sessions_app.services import class_enrol, session_create

    teacher = make_user("TEACHER", username="tess")
    student = make_user("STUDENT", username="amira", first_name="Amira", last_name="Haddad")
    klass = class_create(name="Beacon 31", created_by=teacher)
    class_enrol(school_class=klass, student=student)
    session = session_create(
        school_class=klass, test=test_create(**paper_data(), created_by=teacher), title="Monday mock",
        scheduled_at=timezone.now(), created_by=teacher,
    )  # fmt: skip
    return {"teacher": teacher, "student": student, "session": session}


def _teacher_api(server, teacher):
    token = httpx.post(f"{server.url}/api/v1/auth/token", json={"username": teacher.username, "password": PASSWORD})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access']}"}

    def post(path):
        response = httpx.post(f"{server.url}/api/v1{path}", headers=headers, timeout=10)
        assert response.status_code == 200, response.text

    return post


def _lists_reloaded(response) -> bool:
    return response.url.endswith("/my-sessions/") and response.request.resource_type == "fetch"


def test_my_sessions_follows_the_teacher_and_back_from_the_test_shows_the_way_to_it(daphne_servers, page, scheduled):
    server = daphne_servers()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    teacher_post = _teacher_api(server, scheduled["teacher"])
    session = scheduled["session"]
    upcoming = page.locator(".session-list", has=page.locator("#upcoming-title"))
    open_now = page.locator(".session-list", has=page.locator("#open-title"))

    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("Username").fill(scheduled["student"].username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(_lists_reloaded, timeout=WAIT_MS):  # the home socket is open: it reloads the lists
        page.get_by_role("button", name="Log in").click()
    expect(upcoming).to_contain_text("Monday mock")
    page.evaluate("window.notReloaded = true")

    teacher_post(f"/sessions/{session.pk}/start-waiting")
    room = open_now.get_by_role("link", name="Enter the waiting room")
    expect(room).to_be_visible(timeout=WAIT_MS)
    expect(upcoming).not_to_contain_text("Monday mock")
    assert page.evaluate("window.notReloaded") is True, "the page updated itself, without a reload"

    room.click()
    expect(page.locator("#screen-waiting")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online", timeout=WAIT_MS)
    teacher_post(f"/sessions/{session.pk}/start")
    expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)

    page.go_back()
    banner = page.locator("#running-banner")
    expect(banner).to_contain_text("Your test is running")
    banner.get_by_role("link", name="Return to the test").click()
    expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
    assert not errors, errors
