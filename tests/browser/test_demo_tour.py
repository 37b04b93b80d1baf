"""The README's tour, walked through the demo that `make run` serves (`seed_demo`), in a real Chromium against a
real daphne server: the teacher logs in and opens the Monday mock's waiting room from the live monitor, four
students of Beacon 31 enter (one on a phone), the teacher starts; they answer, highlight and flag, one leaves the
tab for a while; the teacher sees it all live (the cards and the pace lanes), gives one student extra time and
messages another, watches that student's replay, completes the session and opens the results. Every step checks
what the user sees.

This is the one source of the README's screenshots: each is written to pytest's tmp_path, and copied to docs/img
when the file is missing or UPDATE_SCREENSHOTS=1 is set.
"""

import io
import os
import re
import shutil
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.template.defaultfilters import floatformat
from playwright.sync_api import expect

from sessions_app.management.commands.seed_demo import (
    CLASS_NAME,
    SESSION_TITLE,
    STUDENT_NAMES,
    STUDENT_PASSWORD,
    TEACHER,
)
from tests.browser.support import login
from tests.browser.test_departures import with_real_focus
from tests.browser.test_phone_layout import select_in_passage
from tests.browser.test_student_test_page import png_size

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

IMG_DIR = Path(__file__).resolve().parents[2] / "docs" / "img"
DESKTOP = {"width": 1280, "height": 800}
MONITOR = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LIVE_MS = 3000  # what the teacher sees must show within a second or two
WAIT_MS = 15000
DEPARTURE_MS = 2000  # how long the student's page waits before it counts a departure (static/student/integrity.js)
FLASH_MS = 1700  # a card flashes for 1.6 s on a new violation (static/teacher/live.css)
MESSAGE = "Remember to leave time for Parts 2 and 3."

# The four demo students who take part: the first three on laptops, the fourth on a phone.
TAKING_PART = [f"student{n:02d}" for n in range(1, 5)]
# What each answers: the question numbers, and the wrong answers among them (the rest get the key).
PLAN = {
    "student01": (range(1, 14), {7: "TRUE"}),
    "student02": ([*range(1, 7), *range(14, 19)], {2: "A", 16: "iv"}),
    "student03": (range(1, 10), {4: "C", 9: "TRUE"}),
    "student04": (range(1, 5), {3: "E"}),
}
ANSWERED = {username: len(numbers) for username, (numbers, _) in PLAN.items()}
SCORES = {username: len(numbers) - len(wrong) for username, (numbers, wrong) in PLAN.items()}
NAMES = {f"student{n:02d}": f"{first} {last}" for n, (first, last) in enumerate(STUDENT_NAMES, start=1)}


def keep_screenshot(page, name, tmp_path, size):
    """The README's picture `docs/img/<name>.png`: taken into tmp_path, copied when missing or asked for."""
    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot))
    assert png_size(shot) == (size["width"], size["height"])
    target = IMG_DIR / f"{name}.png"
    if os.environ.get("UPDATE_SCREENSHOTS") or not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target)


class Api:
    """The live server's REST API with the demo teacher's JWT, to check the pages against."""

    def __init__(self, url):
        self.url = url
        body = {"username": TEACHER["username"], "password": TEACHER["password"]}
        token = httpx.post(f"{url}/api/v1/auth/token", json=body, timeout=10)
        assert token.status_code == 200, token.text
        self.headers = {"Authorization": f"Bearer {token.json()['access']}"}

    def get(self, path):
        response = httpx.get(f"{self.url}/api/v1{path}", headers=self.headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


def pick(page, question, label):
    """The radio of `label` (a letter, a numeral or TRUE/FALSE/NOT GIVEN) in that question."""
    return page.locator(f"#question-{question.pk}").get_by_role("radio", name=re.compile(rf"^{re.escape(label)}\b"))


def test_the_demo_tour_from_the_teacher_s_login_to_the_results(browser, daphne_servers, tmp_path):
    from accounts.models import User
    from sessions_app.models import Session

    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "student01 … student30 / student-demo-pass" in out.getvalue()
    session = Session.objects.get(title=SESSION_TITLE)
    questions = {q.number: q for q in session.test.questions.all()}
    passages = list(session.test.passages.order_by("order"))
    students = {u.username: u for u in User.objects.filter(username__in=TAKING_PART)}
    server = daphne_servers("web-1")
    url = server.url

    contexts = []

    def new_context(**options):
        context = browser.new_context(**options)
        contexts.append(context)
        return context

    errors = []
    try:
        # ------------------------------------------------ the teacher: dashboard → live monitor → waiting room
        teacher = new_context(viewport=MONITOR).new_page()
        teacher.on("dialog", lambda dialog: dialog.accept())  # "Complete now?"
        teacher.on("pageerror", lambda error: errors.append(f"teacher: {error}"))
        teacher.goto(f"{url}/")  # the address `make run` prints: the login form first
        expect(teacher).to_have_url(re.compile(r"/accounts/login/"))
        login(teacher, url, TEACHER["username"], "/teacher/", password=TEACHER["password"])
        class_card = teacher.locator("section.class-card", has=teacher.get_by_role("heading", name=CLASS_NAME))
        expect(class_card).to_contain_text("30 students")
        item = class_card.locator(f'li.session-item[data-session-id="{session.pk}"]')
        expect(item.locator(".session-title")).to_have_text(SESSION_TITLE)
        expect(class_card.locator(".group-upcoming")).to_contain_text(SESSION_TITLE)
        item.get_by_role("link", name="Live monitor").click()
        expect(teacher).to_have_url(f"{url}/teacher/sessions/{session.pk}/live/")
        expect(teacher.locator("#link-state")).to_contain_text("Live —", timeout=WAIT_MS)
        status = teacher.locator("#session-status")
        expect(status).to_have_text("Scheduled")
        expect(teacher.locator("#board-absent")).to_have_text(re.compile(r"^30 absent: Grace Adeyemi, Aisha Begum, "))
        teacher.locator('[data-action="start-waiting"]').click()
        expect(status).to_have_text("Waiting for students", timeout=LIVE_MS)

        def card(username):
            return teacher.locator(f'#board > li[data-student-id="{students[username].pk}"]')

        # ------------------------------------------------ four students log in and enter the waiting room
        pages = {}
        for username in TAKING_PART:
            on_phone = username == TAKING_PART[-1]
            options = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if on_phone else {"viewport": DESKTOP}
            page = new_context(**options).new_page()
            page.on("pageerror", lambda error, who=username: errors.append(f"{who}: {error}"))
            login(page, url, username, password=STUDENT_PASSWORD)
            open_now = page.locator("section", has=page.get_by_role("heading", name="Open now"))
            expect(open_now).to_contain_text(SESSION_TITLE)
            enter = open_now.get_by_role("link", name=re.compile("Enter the waiting room"))
            enter.tap() if on_phone else enter.click()
            expect(page.locator("#screen-waiting")).to_be_visible(timeout=WAIT_MS)
            expect(page.locator("#waiting-message")).to_contain_text("teacher starts it")
            expect(card(username).locator(".dot")).to_have_attribute("data-state", "connected", timeout=WAIT_MS)
            expect(card(username).locator(".attempt-status")).to_have_text("Waiting")
            pages[username] = page
        expect(teacher.locator("#count-connected")).to_have_text("4")
        expect(teacher.locator("#board > li")).to_have_count(4)
        expect(teacher.locator("#board-absent")).to_have_text(re.compile(r"^26 absent: "))
        expect(teacher.locator("#feed")).to_contain_text("Amelia Hughes connected.")

        # ------------------------------------------------ the teacher starts: one countdown for everyone
        teacher.locator('[data-action="start"]').click()
        expect(status).to_have_text("In progress", timeout=LIVE_MS)
        expect(teacher.locator("#countdown")).to_have_text(re.compile(r"^(59|60):\d\d$"))
        for page in pages.values():
            expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
            expect(page.locator("#timer")).to_have_text(re.compile(r"^(59|60):\d\d$"))
        amelia, oliver, priya, mohammed = (pages[u] for u in TAKING_PART)
        q = questions

        def work(username, touch=False):
            """The student answers as PLAN says (the key, but for the wrong ones): the card counts them."""
            numbers, wrong = PLAN[username]
            page, shown_part = pages[username], 0
            for number in numbers:
                question = q[number]
                part = next(i for i, p in enumerate(passages) if p.pk == question.passage_id)
                if part != shown_part:
                    tab = page.get_by_role("tab", name=re.compile(f"Part {part + 1}"))
                    tab.tap() if touch else tab.click()
                    shown_part = part
                value = wrong.get(number, question.answers[0])
                if question.type in ("SENTENCE_COMPLETION", "SHORT_ANSWER"):
                    page.locator(f"#answer-{question.pk}").fill(value)
                    page.locator(f"#answer-{question.pk}").press("Tab")  # blur: sent at once
                elif touch:
                    pick(page, question, value).tap()
                else:
                    pick(page, question, value).check()
            expect(card(username).locator(".answered")).to_have_text(f"{len(numbers)}/40", timeout=LIVE_MS)

        # Amelia (laptop): all of Part 1 (one wrong), a highlight in the first passage and a flag.
        work("student01")
        first = passages[0]
        marked = "Borrowdale, a valley in the north-west of England"
        start = first.text.index(marked)
        select_in_passage(amelia, first, start, start + len(marked))
        amelia.locator(f'.hl-button[data-passage-id="{first.pk}"]').click()
        expect(amelia.locator(f"#passage-text-{first.pk} mark")).to_have_text(marked)
        expect(card("student01").locator(".highlight q")).to_contain_text("Borrowdale", timeout=LIVE_MS)
        amelia.locator(f"#question-{q[7].pk} .flag-button").click()
        expect(card("student01").locator(".flagged")).to_have_text("1", timeout=LIVE_MS)
        expect(amelia.locator('.nav-q[data-number="7"]')).to_have_class(re.compile(r"\bflagged\b"))

        # Oliver (laptop): the first six, then on to Part 2's headings.
        work("student02")
        expect(card("student02").locator(".position")).to_have_text(re.compile(r"^P2 · Q\d+$"), timeout=LIVE_MS)

        # Priya (laptop): the first nine.
        work("student03")

        # Mohammed (phone): the passage first; the questions by the switch, answered by touch, and a flag.
        expect(mohammed.locator("#part-0 .questions-pane")).to_be_hidden()
        mohammed.get_by_role("button", name="Questions", exact=True).tap()
        expect(mohammed.locator("#part-0 .questions-pane")).to_be_visible()
        work("student04", touch=True)
        expect(mohammed.locator("#nav-summary")).to_contain_text("4 of 40 answered")
        mohammed.locator(f"#question-{q[3].pk} .flag-button").tap()
        expect(card("student04").locator(".flagged")).to_have_text("1", timeout=LIVE_MS)

        # The student's test page (laptop): the passage with its highlight beside the questions, all saved.
        amelia.locator("#part-0 .questions-pane").evaluate("pane => { pane.scrollTop = 0; }")
        expect(amelia.locator("#conn-text")).to_have_text("Connected · all saved")
        keep_screenshot(amelia, "student-test", tmp_path, DESKTOP)

        # The test page on a phone: the questions of Part 1 with his answers and a flag, all saved.
        mohammed.locator("#part-0 .questions-pane").evaluate("pane => { pane.scrollTop = 0; }")
        expect(mohammed.locator("#conn-text")).to_have_text("Connected · all saved")
        keep_screenshot(mohammed, "student-test-phone", tmp_path, PHONE)

        # ------------------------------------------------ Priya leaves the test for another page for a while
        with_real_focus(priya.context, priya)
        elsewhere = priya.context.new_page()
        elsewhere.bring_to_front()
        p_card = card("student03")
        expect(p_card.locator(".violations")).to_have_text("1", timeout=DEPARTURE_MS + LIVE_MS)
        expect(p_card.locator(".away-line")).to_have_text("away now")
        expect(teacher.locator("#count-violations")).to_have_text("1")
        expect(teacher.locator("#feed .kind-violation").first).to_contain_text("Priya Sharma")

        # The live monitor while she is away: four cards with their progress, the counts and the feed.
        api = Api(url)
        stats = api.get(f"/sessions/{session.pk}/stats")
        answered = {row["student_id"]: row["answered"] for row in stats["students"] if row["answered"]}
        assert answered == {students[u].pk: n for u, n in ANSWERED.items()}
        expect(teacher.locator("#count-connected")).to_have_text("4")
        expect(card("student01").locator(".position")).to_have_text(re.compile(r"^P1 · Q\d+$"))
        teacher.wait_for_timeout(FLASH_MS)  # let the card's flash fade for the picture
        keep_screenshot(teacher, "teacher-live", tmp_path, MONITOR)

        # The pace lanes under the cards: the four who came, on pace a few minutes in, each with a projected band.
        lanes = teacher.locator("#lanes > li")
        expect(lanes).to_have_count(4)
        for username in TAKING_PART:
            lane = teacher.locator(f'#lanes > li[data-student-id="{students[username].pk}"]')
            expect(lane.locator(".lane-state")).to_have_text(re.compile(r"^On pace · Q\d+$"))
            expect(lane.locator(".lane-band")).to_have_text(re.compile(r"^Projected band \d\.\d$"))
        teacher.locator("#lanes-h").scroll_into_view_if_needed()
        keep_screenshot(teacher, "teacher-pace-lanes", tmp_path, MONITOR)
        teacher.evaluate("window.scrollTo(0, 0)")

        priya.bring_to_front()
        elsewhere.close()
        expect(p_card.locator(".away-line")).to_have_text(re.compile(r"^away \d+ s$"), timeout=LIVE_MS)
        expect(priya.locator("#banner-region")).to_contain_text("You left the test page")
        expect(teacher.locator("#feed .kind-return").first).to_contain_text("Priya Sharma came back to the test")

        # ------------------------------------------------ the teacher's controls on the cards
        dialog = teacher.locator("#control-dialog")
        a_card = card("student01")
        a_card.get_by_role("button", name="Extra time for Amelia Hughes").click()
        expect(dialog.get_by_role("heading")).to_have_text("Extra time for Amelia Hughes")
        dialog.get_by_label("Minutes").fill("10")
        dialog.get_by_label("Reason (optional)").fill("Access arrangement")
        dialog.get_by_role("button", name="Give time").click()
        expect(dialog).to_be_hidden()
        expect(a_card.locator(".extra")).to_have_text("+10 min", timeout=LIVE_MS)
        expect(a_card.locator(".card-notice")).to_have_text("10 min more time (Access arrangement)")
        expect(a_card.locator(".own-clock")).to_have_text(re.compile(r"^1:(09|10):\d\d$"))
        expect(amelia.locator("#timer")).to_have_text(re.compile(r"^1:(09|10):\d\d$"), timeout=LIVE_MS)

        m_card = card("student04")
        m_card.get_by_role("button", name="Message Mohammed Rahman").click()
        dialog.get_by_label("Message").fill(MESSAGE)
        dialog.get_by_role("button", name="Send").click()
        expect(dialog).to_be_hidden()
        expect(m_card.locator(".card-notice")).to_have_text(f"Message sent: “{MESSAGE}”")
        expect(mohammed.locator("#teacher-messages")).to_contain_text(MESSAGE, timeout=LIVE_MS)
        expect(teacher.locator("#feed")).to_contain_text("Amelia Hughes got 10 min more time (Access arrangement).")
        keep_screenshot(teacher, "teacher-controls", tmp_path, MONITOR)

        # ------------------------------------------------ Amelia's replay, opened from her card, while the test runs
        replay = teacher.context.new_page()
        replay.on("pageerror", lambda error: errors.append(f"replay: {error}"))
        replay.goto(url + a_card.locator("a.name").get_attribute("href"))
        expect(replay.get_by_role("heading", name="Replay")).to_be_visible()
        q7 = replay.locator(f'#replay-answers tr[data-question-id="{questions[7].pk}"] .replay-answer')
        expect(q7).to_have_text("TRUE")  # her wrong answer, as the test ends
        scrubber = replay.get_by_label("Moment of the session")
        scrubber.focus()
        replay.keyboard.press("Home")
        expect(q7).to_have_text("—")
        replay.get_by_role("button", name="Next event").click()
        expect(replay.locator("#replay-last")).not_to_have_text("Nothing yet.")
        scrubber.fill(str(int(scrubber.get_attribute("max")) // 2))  # part-way through, for the picture
        expect(replay.locator("#replay-at")).to_have_text(re.compile(r"^\+00:\d\d \("))
        expect(replay.locator(".replay-axis .mark-teacher")).to_have_count(1)  # the extra time she was given
        keep_screenshot(replay, "teacher-replay", tmp_path, MONITOR)
        replay.close()

        # ------------------------------------------------ the teacher completes the session: the results
        teacher.locator('[data-action="complete"]').click()
        expect(status).to_have_text("Completed", timeout=LIVE_MS)
        expect(teacher.locator("#countdown")).to_have_text("Finished")
        expect(a_card.locator(".attempt-status")).to_have_text(
            re.compile(rf"^✓ {SCORES['student01']}/40 · \d\.\d$"), timeout=LIVE_MS
        )
        for page in pages.values():
            expect(page.locator("#screen-finished")).to_be_visible(timeout=WAIT_MS)
        teacher.get_by_role("link", name="See results").click()
        expect(teacher).to_have_url(f"{url}/teacher/sessions/{session.pk}/results/")
        stats = api.get(f"/sessions/{session.pk}/stats")
        assert stats["submitted"] == 4 and stats["violations_total"] == 1
        scores = {row["student_id"]: row["score"] for row in stats["students"] if row["student_id"] in answered}
        assert scores == {students[u].pk: n for u, n in SCORES.items()}
        expect(teacher.locator("#fig-participants")).to_have_text(str(stats["participants"]))
        expect(teacher.locator("#fig-submitted")).to_have_text("4")
        expect(teacher.locator("#fig-violations")).to_have_text("1")
        expect(teacher.locator("#fig-average-band")).to_have_text(floatformat(stats["average_band"], 1))
        for username, score in SCORES.items():
            row = teacher.locator(f'#results-table tr[data-student-id="{students[username].pk}"]')
            expect(row).to_contain_text(NAMES[username])
            expect(row.locator(".score")).to_have_text(f"{score}/40")
        amelia_row = teacher.locator(f'#results-table tr[data-student-id="{students["student01"].pk}"]')
        expect(amelia_row.locator(".extra")).not_to_have_text("–")
        expect(amelia_row.locator(".highlights")).to_have_text("1")
        priya_row = teacher.locator(f'#results-table tr[data-student-id="{students["student03"].pk}"]')
        expect(priya_row.locator(".violations")).to_have_text("1")
        expect(teacher.locator("svg#facility-chart g.bar")).to_have_count(40)
        expect(teacher.locator("#violations-by-type")).to_contain_text("away")
        keep_screenshot(teacher, "teacher-results", tmp_path, MONITOR)

        # ------------------------------------------------ the item analysis, below the results
        analysis = api.get(f"/sessions/{session.pk}/analysis")
        assert analysis["attempts"] == 4 and len(analysis["questions"]) == 40
        expect(teacher.get_by_role("img", name="Discrimination per question")).to_be_visible()
        expect(teacher.locator("svg#heat-strip .strip-row")).to_have_count(4)
        for question in analysis["questions"][:13]:
            row = teacher.locator(f'#item-analysis-table tr[data-number="{question["number"]}"]')
            expect(row.locator(".facility")).to_have_text(f"{round(question['facility'] * 100)}%")
        expect(teacher.locator(".passage-heat .run.evidence").first).to_be_visible()
        teacher.locator("#item-analysis").evaluate("section => section.scrollIntoView()")
        keep_screenshot(teacher, "teacher-item-analysis", tmp_path, MONITOR)
        assert errors == []
    finally:
        for context in contexts:
            context.close()
