"""A Listening session in a real Chromium against a real daphne server: the recording plays on the server's
timeline. One student is there from the start and reloads later (a reconnect), another joins 30 s late (the
session's start moved 30 s back in the database, instead of a wait): each page's audio element plays the part of
the live position, its currentTime within 1.5 s of the server's timeline; no controls, a volume slider, the
"Part 2 of 4 — playing" bar with that part's questions beside it, and the teacher's monitor says the same part."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.support import login
from tests.browser.test_demo_tour import keep_screenshot
from tests.browser.test_student_test_page import Server, student_connected, wait_until
from tests.listening_support import listening_paper

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

WAIT_MS = 15000
PARTS = (25.0, 25.0, 25.0, 25.0)
LATE = timedelta(seconds=30)  # 30 s in: part 2, 5 s into it
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
def classroom(transactional_db, make_user):
    from classes.services import class_create
    from sessions_app.services import class_enrol, session_create

    teacher = make_user("TEACHER", username="tess", first_name="Tess", last_name="Teacher")
    amira = make_user("STUDENT", username="amira", first_name="Amira", last_name="Haddad")
    ben = make_user("STUDENT", username="ben", first_name="Ben", last_name="Okafor")
    klass = class_create(name="Beacon 31", created_by=teacher)
    for someone in (amira, ben):
        class_enrol(school_class=klass, student=someone)
    paper = listening_paper(teacher, part_seconds=PARTS, minutes=40)  # no timer warning in the picture
    session = session_create(school_class=klass, test=paper, title="Listening mock", scheduled_at=timezone.now(),
                             created_by=teacher)  # fmt: skip
    return {"teacher": teacher, "amira": amira, "ben": ben, "session": session}


# A browser's autoplay policy: play() is refused (NotAllowedError) until the user clicks on this page.
REFUSE_AUTOPLAY = """
const play = HTMLMediaElement.prototype.play;
let clicked = false;
addEventListener("click", () => { clicked = true; }, true);
HTMLMediaElement.prototype.play = function () {
  if (!clicked) return Promise.reject(new DOMException("no gesture on this page", "NotAllowedError"));
  return play.call(this);
};
"""


def audio_state(page) -> dict:
    return page.evaluate(
        """() => {
          const audio = document.getElementById("listening-audio");
          const l = window.ieltsTestPage.listening;
          return {currentTime: audio.currentTime, paused: audio.paused, part: l.part, now: Date.now(),
                  controls: audio.hasAttribute("controls"), src: audio.currentSrc};
        }"""
    )


def assert_live_position(page, session, *, part: int):
    """The element plays `part` at the server's live position (server now − audio_started_at), within 1.5 s."""
    from sessions_app.models import Session

    start_button = page.locator("#listening-start")
    if start_button.is_visible():  # a browser that wants a gesture first
        start_button.click()
    wait_until(lambda: not audio_state(page)["paused"] and audio_state(page)["currentTime"] > 0, timeout=10,
               message="the recording playing")  # fmt: skip
    page.wait_for_timeout(1500)  # let it play past the first seek
    state = audio_state(page)
    started = Session.objects.get(pk=session.pk).audio_started_at()
    live = state["now"] / 1000 - started.timestamp()
    heard = sum(PARTS[: state["part"]]) + state["currentTime"]
    assert state["part"] == part, state
    assert abs(heard - live) < 1.5, (heard, live, state)
    assert not state["controls"] and state["src"].endswith("/audio")


def move_start_back(session, by: timedelta):
    """As if the session had started `by` earlier: its clock and its attempts' move together."""
    from attempts.models import Attempt
    from sessions_app.models import Session

    row = Session.objects.get(pk=session.pk)
    Session.objects.filter(pk=row.pk).update(started_at=row.started_at - by, ends_at=row.ends_at - by)
    for attempt in Attempt.objects.filter(session=row):
        Attempt.objects.filter(pk=attempt.pk).update(started_at=attempt.started_at - by, ends_at=attempt.ends_at - by)


def test_late_joiner_and_reconnect_hear_the_live_position(browser, daphne_servers, classroom, tmp_path):
    server = Server(daphne_servers("web-1"), classroom["teacher"])
    session = classroom["session"]
    server.open_room(session)
    errors = []
    amira = browser.new_context(viewport=VIEWPORT).new_page()
    amira.on("pageerror", lambda error: errors.append(error))
    login(amira, server.url, "amira")
    amira.goto(f"{server.url}/sessions/{session.pk}/test/")
    expect(amira.locator("#screen-waiting")).to_be_visible(timeout=WAIT_MS)
    wait_until(lambda: student_connected(session, classroom["amira"]), message="amira's connection")
    assert server.post(f"/sessions/{session.pk}/start").status_code == 200

    # From the start: part 1 plays at the live position.
    expect(amira.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
    expect(amira.locator("#listening-status")).to_have_text("Part 1 of 4 — playing", timeout=WAIT_MS)
    expect(amira.locator("#listening-volume")).to_be_visible()
    assert_live_position(amira, session, part=0)

    # 30 s later (the start moved back): Ben joins late and hears part 2, 5 s in.
    move_start_back(session, LATE)
    # His browser plays nothing without a gesture, as browsers do by default: the page asks for one.
    ben_context = browser.new_context(viewport=VIEWPORT)
    ben_context.add_init_script(REFUSE_AUTOPLAY)
    ben = ben_context.new_page()
    ben.on("pageerror", lambda error: errors.append(error))
    login(ben, server.url, "ben")
    ben.goto(f"{server.url}/sessions/{session.pk}/test/")
    expect(ben.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
    expect(ben.locator("#listening-status")).to_have_text("Part 2 of 4 — playing", timeout=WAIT_MS)
    expect(ben.get_by_role("tab", name=re.compile("Part 2"))).to_have_attribute("aria-selected", "true")
    expect(ben.get_by_role("button", name="Start listening")).to_be_visible(timeout=WAIT_MS)
    assert audio_state(ben)["paused"]
    assert_live_position(ben, session, part=1)  # it clicks "Start listening": he joins at the live position
    expect(ben.get_by_role("button", name="Start listening")).to_be_hidden()
    ben.locator(".part:not([hidden]) input[type='text']").first.fill("station")
    keep_screenshot(ben, "student-listening", tmp_path, VIEWPORT)

    # Amira reloads (a reconnect): she too is at the live position, part 2.
    amira.reload()
    expect(amira.locator("#listening-status")).to_have_text("Part 2 of 4 — playing", timeout=WAIT_MS)
    assert_live_position(amira, session, part=1)

    # Her element paused by hand (a media key): the page plays it again, at the live position.
    amira.evaluate("() => document.getElementById('listening-audio').pause()")
    assert_live_position(amira, session, part=1)

    # The teacher's monitor says the same part.
    teacher = browser.new_context(viewport=VIEWPORT).new_page()
    login(teacher, server.url, "tess", "/teacher/")
    teacher.goto(f"{server.url}/teacher/sessions/{session.pk}/live/")
    expect(teacher.locator("#listening-part")).to_have_text("Part 2 of 4 playing", timeout=WAIT_MS)
    for page in (amira, ben, teacher):
        page.context.close()
    assert not errors, errors
