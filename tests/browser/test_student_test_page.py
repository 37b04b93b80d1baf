"""The student's test page in a real Chromium against a real daphne server: waiting room, the test,
offline work, reload, time-up, and the teacher's live controls as the student sees them (pause and
resume, extra time, finish and reopen, messages). Every check looks at the page and at what the server
holds (API + DB).
"""

import json
import re
import struct
from pathlib import Path

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from tests.browser.support import login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

WAIT_MS = 15000
DEPARTURE_MS = 2500  # longer than the page waits before it counts a departure (integrity.js)

# A small paper with every question type, a passage in paragraphs and one with a character outside
# the BMP (the server counts code points, the browser UTF-16 units).
PAPER = {
    "title": "Academic Reading: Trade and materials",
    "module": "ACADEMIC_READING",
    "time_limit_minutes": 60,
    "passages": [
        {
            "title": "The history of glass",
            "text": (
                "Glass is one of the oldest materials made by people.\n\n"
                "Early makers melted sand with plant ash, and the first vessels were small and precious. For "
                "centuries the craft stayed close to the rivers where both could be found, and the secrets of the "
                "furnace passed from parent to child.\n\n"
                "By Roman times, blowing glass had made it cheap enough for ordinary households. A bottle that "
                "once took days to shape could be made in minutes, and glass began to travel along the same roads "
                "as wine, oil and salt."
            ),
            "questions": [
                {"number": 1, "type": "TRUE_FALSE_NOT_GIVEN", "prompt": "Glass was first made in Egypt.",
                 "options": [], "answers": ["NOT GIVEN"], "word_limit": None},
                {"number": 2, "type": "MULTIPLE_CHOICE", "prompt": "What did early makers melt with sand?",
                 "options": ["A  copper", "B  plant ash", "C  salt"], "answers": ["B"], "word_limit": None},
            ],
        },
        {
            "title": "Salt roads",
            "text": (
                "Across the desert 🌍 caravans of camels carried salt south to Timbuktu, "
                "where it was traded for gold."
            ),
            "questions": [
                {"number": 3, "type": "SENTENCE_COMPLETION", "prompt": "Salt was carried by caravans of ______.",
                 "options": [], "answers": ["camels"], "word_limit": 2},
                {"number": 4, "type": "SHORT_ANSWER", "prompt": "Where was salt traded for gold?",
                 "options": [], "answers": ["Timbuktu"], "word_limit": 1},
            ],
        },
        {
            "title": "Wool and weather",
            "text": "Wool keeps its warmth when wet. Many writers think it is the finest fibre of all.",
            "questions": [
                {"number": 5, "type": "MATCHING", "prompt": "Which sentence says wool stays warm when wet?",
                 "options": ["A  the first sentence", "B  the second sentence"], "answers": ["A"],
                 "word_limit": None},
                {"number": 6, "type": "YES_NO_NOT_GIVEN", "prompt": "The writer believes wool is the best fibre.",
                 "options": [], "answers": ["NOT GIVEN"], "word_limit": None},
            ],
        },
    ],
}  # fmt: skip


@pytest.fixture
def classroom(transactional_db, make_user):
    """A teacher, a class of two students, and a way to make a session of the paper (waiting room not open)."""
    from classes.services import class_create
    from exams.services import test_create
    from sessions_app.services import class_enrol, session_create

    teacher = make_user("TEACHER", username="tess", first_name="Tess", last_name="Teacher")
    student = make_user("STUDENT", username="amira", first_name="Amira", last_name="Haddad")
    other = make_user("STUDENT", username="ben", first_name="Ben", last_name="Okafor")
    klass = class_create(name="Beacon 31", created_by=teacher)
    for someone in (student, other):
        class_enrol(school_class=klass, student=someone)

    def make_session(minutes=60):
        paper = test_create(**{**PAPER, "time_limit_minutes": minutes}, created_by=teacher)
        return session_create(
            school_class=klass, test=paper, title="Monday mock", scheduled_at=timezone.now(), created_by=teacher
        )

    return {"teacher": teacher, "student": student, "other": other, "make_session": make_session}


class Server:
    """The live server seen from outside, through the API with the teacher's JWT. The teacher's actions
    go through it (not the services in this process) so their messages are published inside the server."""

    def __init__(self, daphne, teacher):
        self.url = daphne.url
        token = httpx.post(f"{self.url}/api/v1/auth/token", json={"username": teacher.username, "password": PASSWORD})
        assert token.status_code == 200, token.text
        self.headers = {"Authorization": f"Bearer {token.json()['access']}"}

    def post(self, path, body=None):
        return httpx.post(f"{self.url}/api/v1{path}", headers=self.headers, json=body, timeout=10)

    def get(self, path):
        response = httpx.get(f"{self.url}/api/v1{path}", headers=self.headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def open_room(self, session):
        response = self.post(f"/sessions/{session.pk}/start-waiting")
        assert response.status_code == 200, response.text

    def attempt(self, session, student):
        from attempts.models import Attempt

        return self.get(f"/attempts/{Attempt.objects.get(session=session, student=student).pk}")


def wait_until(predicate, timeout=10.0, message="condition"):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message}")


def student_connected(session, student):
    from sessions_app.models import Participant

    return Participant.objects.get(session=session, student=student).is_connected


def start_test(page, server, session, student):
    """The student waits in the room; the teacher starts through the live server's API."""
    page.goto(f"{server.url}/sessions/{session.pk}/test/")
    expect(page.locator("#screen-waiting")).to_be_visible()
    expect(page.locator("#waiting-message")).to_contain_text("teacher starts it")
    wait_until(lambda: student_connected(session, student), message="the student's connection")
    response = server.post(f"/sessions/{session.pk}/start")
    assert response.status_code == 200, response.text
    expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#timer")).to_have_text(re.compile(r"^\d+:\d\d$"))


def questions_of(session):
    return {q.number: q for q in session.test.questions.all()}


def passages_of(session):
    return list(session.test.passages.order_by("order"))


def answer_all(page, q):
    page.locator(f"#question-{q[1].pk}").get_by_label("NOT GIVEN").check()
    page.locator(f"#question-{q[2].pk}").get_by_label("plant ash").check()
    page.get_by_role("tab", name=re.compile("Part 2")).click()
    page.locator(f"#answer-{q[3].pk}").fill("camels")
    page.locator(f"#answer-{q[4].pk}").fill("Timbuktu")
    page.locator(f"#answer-{q[4].pk}").press("Tab")  # blur: the text answer is sent at once
    page.get_by_role("tab", name=re.compile("Part 3")).click()
    page.locator(f"#question-{q[5].pk}").get_by_label("the first sentence").check()
    page.locator(f"#question-{q[6].pk}").get_by_label("YES").check()


def drag_select(page, passage, start, end):
    """Select passage characters [start, end) (UTF-16 offsets) with the mouse, as a student would."""
    box = page.evaluate(
        """([id, start, end]) => {
            const el = document.getElementById(id);
            const point = (offset) => {
                const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    if (offset <= node.data.length) return [node, offset];
                    offset -= node.data.length;
                }
            };
            const range = document.createRange();
            range.setStart(...point(start));
            range.setEnd(...point(end));
            const rects = range.getClientRects();
            const first = rects[0], last = rects[rects.length - 1];
            const middle = (rect) => rect.top + rect.height / 2;
            return {x1: first.left + 1, y1: middle(first), x2: last.right - 1, y2: middle(last)};
        }""",
        [f"passage-text-{passage.pk}", start, end],
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=8)
    page.mouse.up()


def utf16_index(text, python_index):
    return len(text[:python_index].encode("utf-16-le")) // 2


def events_of(session, student, event_type):
    from attempts.models import AttemptEvent

    return list(
        AttemptEvent.objects.filter(attempt__session=session, attempt__student=student, type=event_type).order_by(
            "created_at", "id"
        )
    )


def set_visibility(page, state):
    """The page as the browser reports it when another tab comes to the front ("hidden") and goes ("visible")."""
    page.evaluate(
        """(state) => {
            Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


# ---------------------------------------------------------------------------------------------- the tests


def test_a_student_waits_takes_the_whole_test_and_submits(page, daphne_servers, classroom, tmp_path):
    session = classroom["make_session"]()
    student = classroom["student"]
    server = Server(daphne_servers("web-1"), classroom["teacher"])
    server.open_room(session)
    q, passages = questions_of(session), passages_of(session)
    page.set_viewport_size({"width": 1280, "height": 800})

    login(page, server.url, student.username)
    open_now = page.locator("section", has=page.get_by_role("heading", name="Open now"))
    expect(open_now).to_contain_text("Monday mock")
    open_now.get_by_role("link", name=re.compile("Enter the waiting room")).click()
    start_test(page, server, session, student)

    # The paper arrived only now, and without a key anywhere in the page.
    config = json.loads(page.locator("#student-test-config").text_content())
    assert [p["text"] for p in config["passages"]] == [p.text for p in passages]
    assert "answers" not in json.dumps(config["questions"])
    expect(page.get_by_role("tab", name=re.compile("Part 1"))).to_have_attribute("aria-selected", "true")
    expect(page.locator(f"#question-{q[3].pk} .word-limit")).to_have_text("NO MORE THAN TWO WORDS")
    expect(page.locator(f"#question-{q[4].pk} .word-limit")).to_have_text("ONE WORD ONLY")

    answer_all(page, q)
    nav = {n: page.locator(f'.nav-q[data-number="{n}"]') for n in q}
    for n in q:
        expect(nav[n]).to_have_class(re.compile(r"\banswered\b"))
    wait_until(lambda: len(server.attempt(session, student)["answers"]) == 6, message="six answers on the server")
    held = {a["question_id"]: a["answer"] for a in server.attempt(session, student)["answers"]}
    assert held == {q[1].pk: "NOT GIVEN", q[2].pk: "B", q[3].pk: "camels", q[4].pk: "Timbuktu", q[5].pk: "A",
                    q[6].pk: "YES"}  # fmt: skip
    assert server.attempt(session, student)["current_passage_index"] == 2

    # Highlight by selecting text with the mouse, in the passage with a character outside the BMP.
    page.get_by_role("tab", name=re.compile("Part 2")).click()
    salt = passages[1]
    start = salt.text.index("camels")
    drag_select(page, salt, utf16_index(salt.text, start), utf16_index(salt.text, start + len("camels")))
    mark = page.locator(f"#passage-text-{salt.pk} mark")
    expect(mark).to_have_text("camels")
    highlights = wait_until(lambda: server.attempt(session, student)["highlights"], message="the highlight")
    assert [(h["passage_id"], h["text"], h["position_start"], h["position_end"]) for h in highlights] == [
        (salt.pk, "camels", start, start + len("camels"))
    ]
    assert page.locator(f"#passage-text-{salt.pk}").text_content() == salt.text
    expect(mark).not_to_have_class(re.compile("pending"))  # the ack gave it its id

    # A second one in the first passage, across a paragraph break, selected by keyboard and the button.
    page.get_by_role("tab", name=re.compile("Part 1")).click()
    glass = passages[0]
    g_start, g_end = glass.text.index("by people"), glass.text.index("Early makers") + len("Early makers")
    page.evaluate(
        """([id, start, end]) => {
            const node = document.getElementById(id).firstChild;
            getSelection().setBaseAndExtent(node, start, node, end);
        }""",
        [f"passage-text-{glass.pk}", g_start, g_end],
    )
    page.get_by_role("button", name="Highlight selection").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#passage-text-{glass.pk} mark")).to_have_text(glass.text[g_start:g_end])
    wait_until(lambda: len(server.attempt(session, student)["highlights"]) == 2, message="second highlight")

    # Remove the first one by clicking it.
    page.get_by_role("tab", name=re.compile("Part 2")).click()
    page.locator(f"#passage-text-{salt.pk} mark").click()
    expect(page.locator(f"#passage-text-{salt.pk} mark")).to_have_count(0)
    wait_until(
        lambda: [h["text"] for h in server.attempt(session, student)["highlights"]] == [glass.text[g_start:g_end]],
        message="the highlight removed on the server",
    )
    assert [e.data["highlight_id"] for e in events_of(session, student, "highlight_removed")] == [highlights[0]["id"]]

    # Flag a question for review: its number becomes a circle in the navigator.
    page.locator(f"#question-{q[4].pk} .flag-button").click()
    expect(page.locator(f"#question-{q[4].pk} .flag-button")).to_have_attribute("aria-pressed", "true")
    expect(nav[4]).to_have_class(re.compile(r"\bflagged\b"))
    assert page.evaluate("getComputedStyle(document.querySelector('.nav-q.flagged')).borderRadius") == "50%"
    wait_until(lambda: server.attempt(session, student)["flagged_question_ids"] == [q[4].pk], message="the flag")

    # Moving through the navigator is progress the teacher sees.
    nav[3].click()
    expect(page.locator(f"#answer-{q[3].pk}")).to_be_focused()
    wait_until(
        lambda: (lambda a: (a["current_passage_index"], a["current_question_index"]) == (1, 2))(
            server.attempt(session, student)
        ),
        message="progress on the server",
    )

    # A screenshot at 1280×800 (the README's pictures come from tests/browser/test_demo_tour.py).
    page.get_by_role("tab", name=re.compile("Part 1")).click()
    page.locator(f"#question-{q[2].pk} .flag-button").click()
    page.locator(f"#question-{q[2].pk}").get_by_label("plant ash").focus()
    expect(page.locator("#conn-text")).to_have_text("Connected · all saved")
    shot = tmp_path / "student-test.png"
    page.screenshot(path=str(shot))
    assert png_size(shot) == (1280, 800)

    # Leaving the page: another tab comes to the front for a while, then the window loses the focus to another
    # app; a glance away is nothing. Each departure is one violation, with its time away once the student is back.
    set_visibility(page, "hidden")
    set_visibility(page, "visible")
    page.wait_for_timeout(DEPARTURE_MS)
    assert server.attempt(session, student)["violations"] == []
    set_visibility(page, "hidden")
    page.wait_for_timeout(DEPARTURE_MS)
    set_visibility(page, "visible")
    expect(page.locator("#banner")).to_contain_text("You left the test page")
    page.evaluate("() => { document.hasFocus = () => false; window.dispatchEvent(new Event('blur')); }")
    page.wait_for_timeout(DEPARTURE_MS)
    page.evaluate("() => { delete document.hasFocus; window.dispatchEvent(new Event('focus')); }")
    wait_until(
        lambda: (
            [(v["type"], v["away_seconds"] is not None) for v in server.attempt(session, student)["violations"]]
            == [("TAB_SWITCH", True), ("WINDOW_BLUR", True)]
        ),
        message="two violations, each with its time away",
    )

    # Copying a word of the passage into an answer is allowed; pasting text from elsewhere is reported.
    page.evaluate(
        """([passageId, inputId]) => {
            const passage = document.getElementById(`passage-text-${passageId}`);
            const range = document.createRange();
            range.selectNodeContents(passage.querySelector("p") || passage);
            document.getSelection().removeAllRanges();
            document.getSelection().addRange(range);
            passage.dispatchEvent(new ClipboardEvent("copy", {bubbles: true}));
            const copied = String(document.getSelection());
            const paste = (text) => {
                const data = new DataTransfer();
                data.setData("text/plain", text);
                document.getElementById(inputId).dispatchEvent(
                    new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
            };
            paste(copied);
            paste("an answer found on the internet");
        }""",
        [salt.pk, f"answer-{q[3].pk}"],
    )
    wait_until(
        lambda: (
            [v["type"] for v in server.attempt(session, student)["violations"]]
            == ["TAB_SWITCH", "WINDOW_BLUR", "PASTE"]
        ),
        message="one paste violation",
    )

    # Submit: the dialog lists what is flagged; the finished screen shows the marked result.
    page.get_by_role("tab", name=re.compile("Part 2")).click()
    page.locator(f"#answer-{q[3].pk}").fill("")  # clear one: it is listed as unanswered
    page.get_by_role("button", name="Submit test").click()
    dialog = page.locator("#submit-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("You have answered 5 of 6 questions.")
    expect(dialog.locator("#submit-unanswered")).to_contain_text("3")
    expect(dialog.locator("#submit-flagged")).to_contain_text("2, 4")
    dialog.get_by_role("button", name="Submit answers").click()
    expect(page.locator("#screen-finished")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#finished-title")).to_have_text("Test submitted")
    body = server.attempt(session, student)
    assert body["status"] == "SUBMITTED"
    assert body["score"] == 4  # 1, 2, 4, 5 right; 3 cleared; 6 wrong
    assert {a["question_id"] for a in body["answers"]} == {q[n].pk for n in (1, 2, 4, 5, 6)}
    expect(page.locator("#finished-result")).to_contain_text(f"Score 4 out of 6 · Band {body['band']:.1f}")


def test_offline_answers_wait_on_the_device_and_reach_the_server_exactly_once(
    page, context, browser, daphne_servers, classroom
):
    session = classroom["make_session"]()
    student = classroom["student"]
    server = Server(daphne_servers("web-1"), classroom["teacher"])
    q = questions_of(session)
    # This laptop's clock is an hour fast: the time left comes from the server's clock all the same.
    page.add_init_script("(() => { const now = Date.now; Date.now = () => now() + 3600 * 1000; })()")

    # Too early: the page says so and connects by itself once the teacher opens the waiting room.
    login(page, server.url, student.username)
    page.goto(f"{server.url}/sessions/{session.pk}/test/")
    expect(page.locator("#waiting-message")).to_contain_text("not open yet")
    server.open_room(session)
    expect(page.locator("#waiting-message")).to_contain_text("teacher starts it", timeout=WAIT_MS)
    start_test(page, server, session, student)
    expect(page.locator("#timer")).to_have_text(re.compile(r"^(59:[0-5]\d|60:00)$"))

    page.locator(f"#question-{q[1].pk}").get_by_label("TRUE", exact=True).check()
    wait_until(lambda: server.attempt(session, student)["answers"], message="the first answer")

    context.set_offline(True)
    expect(page.locator("#banner")).to_contain_text("You are offline. Keep working")
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "offline")
    page.locator(f"#question-{q[2].pk}").get_by_label("salt").check()
    page.get_by_role("tab", name=re.compile("Part 2")).click()
    page.locator(f"#answer-{q[3].pk}").fill("camels")
    page.locator(f"#answer-{q[4].pk}").fill("Timbuktu")
    page.locator(f"#answer-{q[4].pk}").press("Tab")
    for n in (1, 2, 3, 4):
        expect(page.locator(f'.nav-q[data-number="{n}"]')).to_have_class(re.compile(r"\banswered\b"))
    expect(page.locator("#banner")).to_contain_text("waiting to be sent")
    page.wait_for_timeout(1000)
    assert [a["question_id"] for a in server.attempt(session, student)["answers"]] == [q[1].pk]
    stored = page.evaluate(
        "() => Object.entries(localStorage).filter(([k]) => k.startsWith('ielts.outbox')).map(([, v]) => JSON.parse(v))"
    )
    assert [e["data"]["answer"] for e in stored[0]["entries"] if e["type"] == "answer_submitted"] == [
        "C", "camels", "Timbuktu"
    ]  # fmt: skip

    context.set_offline(False)
    expect(page.locator("#conn-text")).to_have_text("Connected · all saved", timeout=WAIT_MS)
    expect(page.locator("#banner-region")).to_be_empty()
    held = {a["question_id"]: a["answer"] for a in server.attempt(session, student)["answers"]}
    assert held == {q[1].pk: "TRUE", q[2].pk: "C", q[3].pk: "camels", q[4].pk: "Timbuktu"}
    sent = sorted(e.data["question_id"] for e in events_of(session, student, "answer_submitted"))
    assert sent == sorted(q[n].pk for n in (1, 2, 3, 4))  # each exactly once
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('ielts.outbox'))") == []

    # A classmate who arrives after the start joins straight into the test, with the same end time.
    late = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    login(late, server.url, classroom["other"].username)
    late.goto(f"{server.url}/sessions/{session.pk}/test/")
    expect(late.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
    expect(late.get_by_role("tab", name=re.compile("Part 1"))).to_have_attribute("aria-selected", "true")
    expect(late.locator("#timer")).to_have_text(re.compile(r"^(59|58):\d\d$"))
    assert server.attempt(session, classroom["other"])["status"] == "IN_PROGRESS"
    late.context.close()


def test_a_reload_mid_test_restores_answers_highlights_flags_position_and_time(page, daphne_servers, classroom):
    session = classroom["make_session"]()
    student = classroom["student"]
    server = Server(daphne_servers("web-1"), classroom["teacher"])
    server.open_room(session)
    q, passages = questions_of(session), passages_of(session)

    # The WebSocket goes through a relay that can lose the student's answers on the way (as a dying
    # connection would), so one answer is still only on the device when the page reloads.
    relay = {"drop_answers": False}

    def route(ws):
        to_server = ws.connect_to_server()

        def forward(message):
            if relay["drop_answers"] and '"answer_submitted"' in str(message):
                return
            to_server.send(message)

        ws.on_message(forward)

    page.route_web_socket(re.compile(r"/ws$"), route)
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, server.url, student.username)
    start_test(page, server, session, student)

    page.locator(f"#question-{q[1].pk}").get_by_label("FALSE").check()
    page.locator(f"#question-{q[2].pk} .flag-button").click()
    glass = passages[0]
    start = glass.text.index("oldest materials")
    drag_select(page, glass, start, start + len("oldest materials"))
    page.get_by_role("tab", name=re.compile("Part 2")).click()
    page.locator(f"#answer-{q[3].pk}").fill("camels")
    page.locator(f"#answer-{q[4].pk}").focus()
    wait_until(
        lambda: (lambda a: len(a["answers"]) == 2 and a["highlights"] and a["flagged_question_ids"]
                 and (a["current_passage_index"], a["current_question_index"]) == (1, 3))(
            server.attempt(session, student)
        ),
        message="the work so far on the server",
    )  # fmt: skip

    relay["drop_answers"] = True
    page.locator(f"#answer-{q[4].pk}").fill("Timbuktu")
    page.locator(f"#answer-{q[4].pk}").press("Tab")
    expect(page.locator("#conn-text")).to_have_text("Saving… (1)")
    page.wait_for_timeout(500)
    assert len(server.attempt(session, student)["answers"]) == 2  # the server never heard it
    before = page.locator("#timer").text_content()

    relay["drop_answers"] = False
    page.reload()
    expect(page.locator("#screen-test")).to_be_visible()
    expect(page.get_by_role("tab", name=re.compile("Part 2"))).to_have_attribute("aria-selected", "true")
    expect(page.locator('.nav-q[data-number="4"]')).to_have_class(re.compile(r"\bcurrent\b"))
    expect(page.locator(f"#answer-{q[4].pk}")).to_have_value("Timbuktu")
    expect(page.locator(f"#answer-{q[3].pk}")).to_have_value("camels")
    expect(page.locator(f"#question-{q[1].pk}").get_by_label("FALSE")).to_be_checked()
    expect(page.locator(f"#question-{q[2].pk} .flag-button")).to_have_attribute("aria-pressed", "true")
    expect(page.locator('.nav-q[data-number="2"]')).to_have_class(re.compile(r"\bflagged\b"))
    expect(page.locator(f"#passage-text-{glass.pk} mark")).to_have_text("oldest materials")
    after = page.locator("#timer").text_content()
    to_seconds = lambda text: int(text.split(":")[0]) * 60 + int(text.split(":")[1])  # noqa: E731
    assert 0 <= to_seconds(before) - to_seconds(after) <= 5
    expect(page.locator("#conn-text")).to_have_text("Connected · all saved", timeout=WAIT_MS)
    held = {a["question_id"]: a["answer"] for a in server.attempt(session, student)["answers"]}
    assert held == {q[1].pk: "FALSE", q[3].pk: "camels", q[4].pk: "Timbuktu"}
    assert len([e for e in events_of(session, student, "answer_submitted") if e.data["question_id"] == q[4].pk]) == 1
    assert len(server.attempt(session, student)["highlights"]) == 1  # restored, not sent again

    # The layout: side by side at 1280×800; one pane at a time on a tablet held upright (test_phone_layout.py).
    def box(selector):
        return page.locator(f".part:not([hidden]) {selector}").bounding_box()

    assert box(".passage-pane")["x"] + box(".passage-pane")["width"] <= box(".questions-pane")["x"] + 1
    page.set_viewport_size({"width": 820, "height": 1180})
    expect(page.locator(".part:not([hidden]) .passage-pane")).to_be_visible()
    expect(page.locator(".part:not([hidden]) .questions-pane")).to_be_hidden()
    assert box(".passage-pane")["width"] > 700
    nav = page.locator(".navigator").bounding_box()
    assert nav["y"] + nav["height"] <= 1180
    assert page.evaluate("document.documentElement.scrollWidth") <= 820


def test_time_up_ends_the_test_in_the_browser(page, context, daphne_servers, classroom):
    session = classroom["make_session"](minutes=2)  # 2 paper minutes of 6 seconds: 12 s
    student = classroom["student"]
    server = Server(daphne_servers("web-1", IELTS_SECONDS_PER_MINUTE=6, SESSION_GRACE_SECONDS=3), classroom["teacher"])
    server.open_room(session)
    q = questions_of(session)
    login(page, server.url, student.username)
    start_test(page, server, session, student)

    expect(page.locator("#timer-box")).to_have_class(re.compile(r"\bwarning\b"))  # the last 10 (and 5) minutes
    expect(page.locator("#announcer")).to_have_text("5 minutes remaining.")
    page.locator(f"#question-{q[1].pk}").get_by_label("NOT GIVEN").check()
    context.set_offline(True)  # in the last 2 minutes, offline: answers not received by the end cannot count
    expect(page.locator("#banner")).to_contain_text("cannot count")
    context.set_offline(False)
    expect(page.locator("#conn-text")).to_have_text("Connected · all saved", timeout=WAIT_MS)

    expect(page.locator("#timeup-notice")).to_be_visible(timeout=WAIT_MS)  # the local countdown reached 0
    expect(page.locator(f"#question-{q[1].pk}").get_by_label("TRUE", exact=True)).to_be_disabled()
    expect(page.locator("#timer")).to_have_text("0:00")
    expect(page.locator("#screen-finished")).to_be_visible(timeout=WAIT_MS)  # session_completed TIME_UP
    expect(page.locator("#finished-title")).to_have_text("Time is up")
    body = server.attempt(session, student)
    assert body["status"] == "SUBMITTED" and body["score"] == 1
    expect(page.locator("#finished-result")).to_contain_text("Score 1 out of 6")
    assert server.get(f"/sessions/{session.pk}")["status"] == "COMPLETED"


def to_seconds(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    return parts[-1] + 60 * parts[-2] + (3600 * parts[0] if len(parts) == 3 else 0)


def clock_text(seconds: int) -> str:
    """As the page writes the time left: m:ss, or h:mm:ss from an hour."""
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def test_the_teacher_s_live_controls_on_the_student_s_page(page, browser, daphne_servers, classroom):
    """Pause (the paper hidden, the clock stopped, an answer refused as paused kept and applied after the
    resume; a reload and a late joiner during it), time for the class during the pause, a message to the class
    and one to the student, five more minutes, finish and reopen."""
    session = classroom["make_session"]()
    student = classroom["student"]
    server = Server(daphne_servers("web-1"), classroom["teacher"])
    server.open_room(session)
    q = questions_of(session)

    # A relay between the page and the server that can hold the student's answers on the way, so one reaches
    # the server only once the session is paused (as an answer sent at the moment of the pause would).
    relay = {"hold": False, "held": [], "to_server": None}

    def route(ws):
        relay["to_server"] = to_server = ws.connect_to_server()

        def forward(message):
            if relay["hold"] and '"answer_submitted"' in str(message):
                relay["held"].append(message)
                return
            to_server.send(message)

        ws.on_message(forward)

    page.route_web_socket(re.compile(r"/ws$"), route)
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, server.url, student.username)
    start_test(page, server, session, student)
    attempt_id = server.attempt(session, student)["id"]
    outbox_size = lambda: page.evaluate("window.ieltsTestPage.outbox.size")  # noqa: E731

    # A message to the whole class: a banner, and listed under "Messages from your teacher".
    response = server.post(f"/sessions/{session.pk}/messages", {"text": "Good luck, everyone."})
    assert response.status_code == 201, response.text
    banner = page.locator("#teacher-messages .teacher-message")
    expect(banner).to_have_count(1)
    expect(banner).to_contain_text("Good luck, everyone.")
    expect(page.locator("#messages-toggle")).to_be_visible()
    expect(page.locator("#messages-count")).to_have_text("1")

    # The pause: an answer typed just before it reaches the server after it, is refused and kept.
    relay["hold"] = True
    page.locator(f"#question-{q[1].pk}").get_by_label("NOT GIVEN").check()
    wait_until(lambda: relay["held"], message="the held answer")
    response = server.post(f"/sessions/{session.pk}/pause", {"reason": "Fire alarm"})
    assert response.status_code == 200, response.text
    paused = page.locator("#screen-paused")
    expect(paused).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#screen-test")).to_be_hidden()
    expect(paused).to_contain_text("Paused by your teacher")
    expect(page.locator("#paused-reason")).to_contain_text("Fire alarm")
    expect(page.locator("#paused-title")).to_be_focused()
    expect(page.locator("#announcer")).to_contain_text("paused")
    relay["hold"] = False
    for message in relay["held"]:
        relay["to_server"].send(message)
    relay["held"].clear()
    page.wait_for_timeout(1000)
    assert outbox_size() == 1  # refused as paused: kept, not dropped
    assert server.attempt(session, student)["answers"] == []
    frozen = page.locator("#timer").text_content()
    page.wait_for_timeout(2100)
    assert page.locator("#timer").text_content() == frozen  # the clock is stopped
    expect(page.locator("#paused-time")).to_contain_text(frozen)

    # A reload during the pause still shows the pause (with its reason) and the time that was left.
    page.reload()
    expect(page.locator("#screen-paused")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#paused-reason")).to_contain_text("Fire alarm")
    expect(page.locator("#timer")).to_have_text(frozen, timeout=WAIT_MS)
    assert outbox_size() == 1

    # Two more minutes for the class during the pause: the stopped clock shows them, and stays stopped.
    response = server.post(f"/sessions/{session.pk}/extra-time", {"seconds": 120})
    assert response.status_code == 200, response.text
    expect(page.locator("#notice")).to_contain_text("Your teacher gave the class 2 more minutes.")
    frozen = clock_text(to_seconds(frozen) + 120)
    expect(page.locator("#timer")).to_have_text(frozen)
    page.wait_for_timeout(1100)
    expect(page.locator("#timer")).to_have_text(frozen)

    # A classmate who arrives during the pause sees the pause screen, not the paper.
    late = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    login(late, server.url, classroom["other"].username)
    late.goto(f"{server.url}/sessions/{session.pk}/test/")
    expect(late.locator("#screen-paused")).to_be_visible(timeout=WAIT_MS)
    expect(late.locator("#screen-test")).to_be_hidden()
    expect(late.locator("#timer")).to_have_text(re.compile(r"^(1:0[0-2]:\d\d|59:\d\d)$"))

    response = server.post(f"/sessions/{session.pk}/resume")
    assert response.status_code == 200, response.text
    expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
    expect(paused).to_be_hidden()
    expect(late.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
    late.context.close()
    wait_until(lambda: server.attempt(session, student)["answers"], message="the answer after the resume")
    assert [(a["question_id"], a["answer"]) for a in server.attempt(session, student)["answers"]] == [
        (q[1].pk, "NOT GIVEN")
    ]
    wait_until(lambda: outbox_size() == 0, message="the outbox emptied")
    assert len(events_of(session, student, "answer_submitted")) == 1
    expect(page.locator("#timer")).not_to_have_text(frozen, timeout=WAIT_MS)  # running again…
    assert to_seconds(frozen) - to_seconds(page.locator("#timer").text_content()) <= 5  # …from where it stopped

    # Five more minutes for this student: a notice at once, and the clock moves on.
    before = to_seconds(page.locator("#timer").text_content())
    response = server.post(f"/attempts/{attempt_id}/extra-time", {"seconds": 300, "reason": None})
    assert response.status_code == 200, response.text
    expect(page.locator("#notice")).to_contain_text("Your teacher gave you 5 more minutes.")
    wait_until(lambda: to_seconds(page.locator("#timer").text_content()) - before >= 295, message="5 more minutes")

    # A message to this student alone; dismissed with the keyboard, it stays in the list.
    response = server.post(
        f"/sessions/{session.pk}/messages", {"text": "Amira, please check question 2.", "student_id": student.pk}
    )
    assert response.status_code == 201, response.text
    expect(banner).to_have_count(2)
    mine = banner.filter(has_text="Amira, please check question 2.")
    mine.get_by_role("button", name=re.compile("Dismiss")).focus()
    page.keyboard.press("Enter")
    expect(banner).to_have_count(1)
    expect(page.locator("#messages-count")).to_have_text("2")
    page.locator("#messages-toggle").click()
    panel = page.locator("#messages-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#messages-toggle")).to_have_attribute("aria-expanded", "true")
    expect(panel.locator("li")).to_have_text([re.compile("To the class.*Good luck"), re.compile("To you.*question 2")])
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(page.locator("#messages-toggle")).to_be_focused()

    # The teacher finishes the attempt: the finished screen, as for the student's own submit.
    response = server.post(f"/attempts/{attempt_id}/finish")
    assert response.status_code == 200, response.text
    expect(page.locator("#screen-finished")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#finished-title")).to_have_text("Test finished")
    expect(page.locator("#finished-result")).to_contain_text("Score 1 out of 6")

    # …and reopens it for 10 minutes: back into the test, inputs unlocked, the answer still there.
    response = server.post(f"/attempts/{attempt_id}/reopen", {"seconds": 600})
    assert response.status_code == 200, response.text
    expect(page.locator("#notice")).to_contain_text("Your teacher reopened your test: 10 minutes.")
    expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#timer")).to_have_text(re.compile(r"^(10:00|9:5\d)$"))
    expect(page.locator(f"#question-{q[1].pk}").get_by_label("NOT GIVEN")).to_be_checked()
    page.locator(f"#question-{q[2].pk}").get_by_label("plant ash").check()
    wait_until(lambda: len(server.attempt(session, student)["answers"]) == 2, message="an answer after the reopen")

    # Finished again, and the page reloaded on its finished screen (no paper in it): a reopen still takes it back.
    assert server.post(f"/attempts/{attempt_id}/finish").status_code == 200
    expect(page.locator("#screen-finished")).to_be_visible(timeout=WAIT_MS)
    page.reload()
    expect(page.locator("#screen-finished")).to_be_visible()
    assert page.locator("#test-screen").count() == 0
    # After the reload the history comes from the server: both listed, the dismissed one not shown again.
    expect(page.locator("#messages-count")).to_have_text("2")
    expect(banner).to_have_count(1)
    expect(banner).to_contain_text("Good luck, everyone.")
    response = server.post(f"/attempts/{attempt_id}/reopen", {"seconds": 300})
    assert response.status_code == 200, response.text
    expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#notice")).to_contain_text("Your teacher reopened your test: 5 minutes.")
    expect(page.locator(f"#question-{q[2].pk}").get_by_label("plant ash")).to_be_checked()
    expect(page.locator(f"#question-{q[2].pk}").get_by_label("plant ash")).to_be_enabled()
    expect(page.locator("#timer")).to_have_text(re.compile(r"^(5:00|4:5\d)$"))


def test_time_given_after_it_ran_out_on_the_page_lets_the_student_go_on(page, daphne_servers, classroom):
    """The countdown reached 0 on the page (inputs locked), and within the grace the teacher gives more time:
    the page goes back into the test, and what the student answers then counts."""
    session = classroom["make_session"](minutes=1)  # 1 paper minute of 6 seconds
    student = classroom["student"]
    server = Server(daphne_servers("web-1", IELTS_SECONDS_PER_MINUTE=6, SESSION_GRACE_SECONDS=30), classroom["teacher"])
    server.open_room(session)
    q = questions_of(session)
    login(page, server.url, student.username)
    start_test(page, server, session, student)
    attempt_id = server.attempt(session, student)["id"]
    choice = page.locator(f"#question-{q[1].pk}").get_by_label("NOT GIVEN")

    expect(page.locator("#timeup-notice")).to_be_visible(timeout=WAIT_MS)
    expect(choice).to_be_disabled()
    response = server.post(f"/attempts/{attempt_id}/extra-time", {"seconds": 30, "reason": "Late start"})
    assert response.status_code == 200, response.text
    expect(page.locator("#notice")).to_contain_text("Your teacher gave you 30 more seconds. Reason: Late start")
    expect(page.locator("#timeup-notice")).to_be_hidden(timeout=WAIT_MS)
    expect(choice).to_be_enabled()
    choice.check()
    wait_until(lambda: server.attempt(session, student)["answers"], message="the answer in the time given")
    assert server.attempt(session, student)["status"] == "IN_PROGRESS"


def test_an_answer_refused_as_paused_before_the_page_heard_of_the_pause_is_kept(page, daphne_servers, classroom):
    """The pause's own messages are lost on the way (group delivery is at most once): the refusal of an answer
    makes the page hold everything and ask for the state, which shows the pause; the resume applies it."""
    session = classroom["make_session"]()
    student = classroom["student"]
    server = Server(daphne_servers("web-1"), classroom["teacher"])
    server.open_room(session)
    q = questions_of(session)
    relay = {"hold": False, "held": [], "to_server": None, "drop": ("session_paused", "session_status_changed")}

    def route(ws):
        relay["to_server"] = to_server = ws.connect_to_server()

        def to_page(message):
            kind = json.loads(message).get("type") if isinstance(message, str) else None
            if kind not in relay["drop"]:
                ws.send(message)

        def forward(message):
            if relay["hold"] and '"answer_submitted"' in str(message):
                relay["held"].append(message)
                return
            to_server.send(message)

        ws.on_message(forward)
        to_server.on_message(to_page)

    page.route_web_socket(re.compile(r"/ws$"), route)
    login(page, server.url, student.username)
    start_test(page, server, session, student)

    relay["hold"] = True
    page.locator(f"#question-{q[1].pk}").get_by_label("FALSE").check()
    wait_until(lambda: relay["held"], message="the held answer")
    assert server.post(f"/sessions/{session.pk}/pause").status_code == 200
    page.wait_for_timeout(500)
    expect(page.locator("#screen-test")).to_be_visible()  # the page has not heard of the pause
    relay["hold"] = False
    for message in relay["held"]:
        relay["to_server"].send(message)
    expect(page.locator("#screen-paused")).to_be_visible(timeout=WAIT_MS)  # from the state sync it asked for
    expect(page.locator("#paused-reason")).to_be_hidden()  # no reason given
    assert page.evaluate("window.ieltsTestPage.outbox.size") == 1
    assert server.attempt(session, student)["answers"] == []

    assert server.post(f"/sessions/{session.pk}/resume").status_code == 200
    expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
    wait_until(lambda: server.attempt(session, student)["answers"], message="the answer after the resume")
    assert [a["answer"] for a in server.attempt(session, student)["answers"]] == ["FALSE"]
