"""What counts as leaving the test, in a real Chromium against a real daphne server: a reload, the Back button
and closing a second tab of the test are no violation; going to another page for a while is one, with its time
away, and the teacher's card says "away now" while it lasts, then how long it was.

Chromium here runs headless: a page another page covers stays "visible", so the departure these tests make is
the real loss of the window's focus (Playwright's focus emulation switched off for the student's page).
"""

import re

import pytest
from playwright.sync_api import expect

from conftest import paper_data
from tests.browser.support import class_of_one, login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

WAIT_MS = 15000
LIVE_MS = 3000
DEPARTURE_MS = 2000  # how long the student's page waits before it counts a departure (static/student/integrity.js)


@pytest.fixture
def classroom(transactional_db, make_user):
    """A teacher, a class of one student and a session of a small paper, its waiting room not open yet."""
    return class_of_one(make_user, paper_data())


def violations(session):
    from attempts.models import Violation

    return list(Violation.objects.filter(attempt__session=session).values_list("type", "away_seconds"))


def with_real_focus(context, page):
    """The page loses the window's focus when another page comes to the front, as in a browser with tabs."""
    context.new_cdp_session(page).send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    page.bring_to_front()


def test_a_reload_back_and_a_closed_second_tab_are_no_violation_and_a_departure_is_one_with_its_time_away(
    browser, daphne_servers, classroom
):
    from attempts.models import AttemptEvent

    url = daphne_servers("web-1").url
    session, student = classroom["session"], classroom["student"]
    teacher_context, student_context = browser.new_context(), browser.new_context()
    try:
        teacher_page = teacher_context.new_page()
        login(teacher_page, url, "tess", "/teacher/")
        teacher_page.goto(f"{url}/teacher/sessions/{session.pk}/live/")
        teacher_page.locator('[data-action="start-waiting"]').click()
        card = teacher_page.locator(f'#board > li[data-student-id="{student.pk}"]')

        page = student_context.new_page()
        with_real_focus(student_context, page)
        login(page, url, "amira", "/my-sessions/")
        test_url = f"{url}/sessions/{session.pk}/test/"
        page.goto(test_url)
        expect(card.locator(".dot")).to_have_attribute("data-state", "connected", timeout=WAIT_MS)
        teacher_page.locator('[data-action="start"]').click()
        expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)

        # A reload, and Back to My sessions then Forward to the test: the page goes, the student does not.
        with_real_focus(student_context, page)
        page.reload()
        expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
        with_real_focus(student_context, page)
        page.go_back()
        expect(page).to_have_url(f"{url}/my-sessions/")
        page.wait_for_timeout(DEPARTURE_MS + 500)
        page.go_forward()
        expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
        with_real_focus(student_context, page)  # a page loaded anew has Playwright's focus emulation again

        # A second tab of the test comes to the front (this one loses the focus), then is closed.
        second = student_context.new_page()
        second.goto(test_url)
        second.bring_to_front()
        expect(second.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
        assert page.evaluate("document.hasFocus()") is False
        page.wait_for_timeout(DEPARTURE_MS + 500)
        second.close()
        page.bring_to_front()
        page.wait_for_timeout(DEPARTURE_MS + 500)
        assert violations(session) == []
        expect(card.locator(".violations")).to_have_text("0")
        expect(card.locator(".away-line")).to_be_hidden()

        # Another page for a while: one violation, "away now" on the teacher's card until the student is back.
        elsewhere = student_context.new_page()
        elsewhere.bring_to_front()
        expect(card.locator(".violations")).to_have_text("1", timeout=DEPARTURE_MS + LIVE_MS)
        expect(card.locator(".away-line")).to_have_text("away now")
        page.wait_for_timeout(1500)
        page.bring_to_front()
        expect(card.locator(".away-line")).to_have_text(re.compile(r"^away \d s$"), timeout=LIVE_MS)
        expect(page.locator("#banner")).to_contain_text("You left the test page")

        [(kind, away)] = violations(session)
        assert kind == "WINDOW_BLUR" and 3 <= away <= 8
        expect(card.locator(".away-line")).to_have_text(f"away {away} s")
        ends = AttemptEvent.objects.filter(attempt__session=session, type="tab_violation").order_by("id")
        assert [(e.data.get("returned", False), e.data.get("away_seconds")) for e in ends] == [
            (False, None),
            (True, away),
        ]
    finally:
        teacher_context.close()
        student_context.close()
