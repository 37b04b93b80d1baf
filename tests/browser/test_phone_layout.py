"""The student's test page on every screen, in a real Chromium against a real daphne server, with the demo
paper (40 questions): on a phone one pane at a time, the navigator folded into a bar, the current question's
answer brought into view after every move, targets of 44 px and highlighting by touch; a tablet in landscape and
a laptop keep the split. Also the page's rough edges on any screen: Flag/Unflag, undoing a removed highlight,
paragraph letters set apart, and a run of matching-headings questions under one list of headings.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.static_modules import serve_static_modules
from tests.browser.support import class_of_one, login
from tests.browser.test_student_test_page import (
    Server,
    passages_of,
    png_size,
    questions_of,
    start_test,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

PHONE = {"width": 390, "height": 844}
MIN_TARGET_PX = 44


@pytest.fixture
def demo_session(transactional_db, make_user):
    """The demo paper's session for a class of one, its waiting room not open yet."""
    from exams.demo_paper import DEMO_PAPER

    return class_of_one(make_user, DEMO_PAPER)


@pytest.fixture
def in_the_test(browser, daphne_servers, demo_session):
    """`enter(**context_options)`: a new browser context, logged in as the student, on the test page once the
    teacher has started the test. Returns (page, server)."""
    server = Server(daphne_servers("web-1"), demo_session["teacher"])
    server.open_room(demo_session["session"])
    contexts = []

    def enter(**context_options):
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        login(page, server.url, demo_session["student"].username)
        start_test(page, server, demo_session["session"], demo_session["student"])
        return page, server

    yield enter
    for context in contexts:
        context.close()


def box(locator):
    return locator.bounding_box()


def visible_height(page, selector):
    """How many pixels of the element are on screen, inside its scrolling pane and the viewport."""
    return page.evaluate(
        """(selector) => {
            const el = document.querySelector(selector);
            const own = el.getBoundingClientRect();
            const pane = el.closest(".passage-pane, .questions-pane").getBoundingClientRect();
            const top = Math.max(own.top, pane.top, 0);
            const bottom = Math.min(own.bottom, pane.bottom, window.innerHeight);
            return Math.max(0, bottom - top);
        }""",
        selector,
    )


def on_screen_and_on_top(page, locator):
    """The element is inside the viewport and nothing covers its middle (the navigator's grid, a toolbar)."""
    return page.evaluate(
        """(el) => {
            const r = el.getBoundingClientRect();
            const inside = r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return inside && (hit === el || el.contains(hit) || (hit && hit.contains(el)));
        }""",
        locator.element_handle(),
    )


def select_in_passage(page, passage, start, end):
    """Select passage characters [start, end) (no character outside the BMP before them), as a long-press and the
    selection handles leave it."""
    page.evaluate(
        """([id, start, end]) => {
            const walker = document.createTreeWalker(document.getElementById(id), NodeFilter.SHOW_TEXT);
            const nodes = [];
            for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
            const point = (offset) => {
                for (const node of nodes) {
                    if (offset <= node.data.length) return [node, offset];
                    offset -= node.data.length;
                }
            };
            getSelection().setBaseAndExtent(...point(start), ...point(end));
        }""",
        [f"passage-text-{passage.pk}", start, end],
    )


def pane_scroll(page, part, pane):
    return page.evaluate(f"document.querySelector('#part-{part} .{pane}-pane').scrollTop")


def scroll_pane(page, part, pane, top):
    page.evaluate(f"document.querySelector('#part-{part} .{pane}-pane').scrollTop = {top}")


def test_on_a_phone_one_pane_at_a_time_and_the_current_answer_always_in_view(in_the_test, demo_session, tmp_path):
    page, server = in_the_test(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1)
    session, student = demo_session["session"], demo_session["student"]
    q, passages = questions_of(session), passages_of(session)
    passage_pane, questions_pane = page.locator("#part-0 .passage-pane"), page.locator("#part-0 .questions-pane")

    # The passage first, with most of the screen for its text; the navigator is one bar.
    expect(passage_pane).to_be_visible()
    expect(questions_pane).to_be_hidden()
    assert visible_height(page, f"#passage-text-{passages[0].pk}") >= 0.4 * PHONE["height"]
    navigator = page.locator(".navigator")
    assert box(navigator)["height"] <= 0.15 * PHONE["height"]
    expect(page.locator("#nav-summary")).to_contain_text("Question 1")
    expect(page.locator("#nav-summary")).to_contain_text("0 of 40 answered")
    expect(page.locator(".nav-q").first).to_be_hidden()

    # The switch shows one pane or the other, and each keeps its place.
    scroll_pane(page, 0, "passage", 700)
    page.get_by_role("button", name="Questions", exact=True).tap()
    expect(questions_pane).to_be_visible()
    expect(passage_pane).to_be_hidden()
    scroll_pane(page, 0, "questions", 450)
    page.get_by_role("button", name="Passage", exact=True).tap()
    expect(passage_pane).to_be_visible()
    assert pane_scroll(page, 0, "passage") == 700
    page.get_by_role("button", name="Questions", exact=True).tap()
    assert pane_scroll(page, 0, "questions") == 450

    # To question 10 through the navigator's grid, from the passage: its answer box is on screen.
    page.get_by_role("button", name="Passage", exact=True).tap()
    page.locator("#nav-summary").tap()
    expect(page.locator("#nav-summary")).to_have_attribute("aria-expanded", "true")
    page.locator('.nav-q[data-number="10"]').tap()
    expect(page.locator(".nav-q").first).to_be_hidden()
    expect(questions_pane).to_be_visible()
    answer_10 = page.locator(f"#answer-{q[10].pk}")
    assert on_screen_and_on_top(page, answer_10)
    expect(page.locator("#nav-summary")).to_contain_text("Question 10")
    answer_10.tap()
    answer_10.fill("sheepskin")
    answer_10.blur()
    expect(page.locator("#nav-summary")).to_contain_text("1 of 40 answered")

    # Next and previous keep the answer in view too, across a part; the part's pane of questions comes up.
    scroll_pane(page, 0, "questions", 0)
    page.get_by_role("button", name="Next question").tap()
    assert on_screen_and_on_top(page, page.locator(f"#answer-{q[11].pk}"))
    for _ in range(3):
        page.get_by_role("button", name="Next question").tap()
    expect(page.get_by_role("tab", name=re.compile("Part 2"))).to_have_attribute("aria-selected", "true")
    assert on_screen_and_on_top(page, page.locator(f"#question-{q[14].pk} .pick").first)

    # Every target is big enough for a finger.
    page.locator("#nav-summary").tap()
    targets = [
        ".pane-button", ".part-tab", "#nav-summary", "#prev-question", "#next-question", "#submit-open",
        '.nav-q[data-number="40"]', f"#question-{q[14].pk} .pick", f"#question-{q[14].pk} .flag-button",
        f"#question-{q[19].pk} .choice", f"#answer-{q[23].pk}",
    ]  # fmt: skip
    for selector in targets:
        size = box(page.locator(selector).first)
        assert size["height"] >= MIN_TARGET_PX and size["width"] >= MIN_TARGET_PX, (selector, size)
    page.keyboard.press("Escape")
    expect(page.locator("#nav-summary")).to_have_attribute("aria-expanded", "false")
    page.locator("#nav-summary").tap()
    page.locator(".part-tabs").tap()  # a tap outside the grid folds it too
    expect(page.locator("#nav-summary")).to_have_attribute("aria-expanded", "false")

    # The headings: one list above questions 14–18, each question a row of numerals.
    page.locator(f"#question-{q[14].pk}").get_by_role("radio", name=re.compile(r"^iii\b")).tap()
    wait_until(
        lambda: [a["answer"] for a in server.attempt(session, student)["answers"]] == ["sheepskin", "iii"],
        message="the heading's answer on the server",
    )

    # A screenshot of the demo paper in progress, on the passage (the README's come from test_demo_tour.py).
    page.get_by_role("tab", name=re.compile("Part 1")).tap()
    page.get_by_role("button", name="Passage", exact=True).tap()
    scroll_pane(page, 0, "passage", 0)
    expect(page.locator("#conn-text")).to_have_text("Connected · all saved")
    shot = tmp_path / "test-page-phone.png"
    page.screenshot(path=str(shot))
    assert png_size(shot) == (PHONE["width"], PHONE["height"])


def test_on_a_phone_a_highlight_is_made_by_touch_and_a_removed_one_can_be_put_back(in_the_test, demo_session):
    page, server = in_the_test(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1)
    session, student = demo_session["session"], demo_session["student"]
    passage = passages_of(session)[0]
    text_el = page.locator(f"#passage-text-{passage.pk}")
    word = "shepherds"
    start = passage.text.index(word)

    # Press and hold: the phone selects a word and the student drags its handles; then the "Highlight" button.
    text_el.tap()
    select_in_passage(page, passage, start, start + len(word))
    chip = page.locator("#selection-highlight")
    expect(chip).to_be_visible()
    assert box(chip)["height"] >= MIN_TARGET_PX
    chip.tap()
    mark = text_el.locator("mark")
    expect(mark).to_have_text(word)
    expect(chip).to_be_hidden()
    wait_until(lambda: server.attempt(session, student)["highlights"], message="the highlight on the server")

    # A tap on it removes it; "Undo" puts it back, on the server too.
    mark.tap()
    expect(mark).to_have_count(0)
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_visible()
    undo.tap()
    expect(mark).to_have_text(word)
    expect(undo).to_be_hidden()
    wait_until(
        lambda: (
            [(h["text"], h["position_start"]) for h in server.attempt(session, student)["highlights"]]
            == [(word, start)]
        ),
        message="the highlight put back on the server",
    )


def test_the_paper_s_rough_edges_on_a_laptop(in_the_test, demo_session):
    page, _ = in_the_test(viewport={"width": 1280, "height": 800})
    session = demo_session["session"]
    q, passages = questions_of(session), passages_of(session)

    # Paragraph letters stand apart from the text (in the margin), which is the passage's exact text all the same.
    text_el = page.locator(f"#passage-text-{passages[0].pk}")
    letters = text_el.locator(".para-letter")
    expect(letters).to_have_text([f"{letter} " for letter in "ABCDEFG"])
    assert text_el.text_content() == passages[0].text
    margin = text_el.evaluate("el => parseFloat(getComputedStyle(el).paddingLeft)")
    for n in (0, 3):
        assert margin > 0 and box(letters.nth(n))["x"] + box(letters.nth(n))["width"] <= box(text_el)["x"] + margin + 1

    # "Flag for review", and "Unflag" once flagged (the words shown, and what a screen reader says).
    flag = page.locator(f"#question-{q[1].pk} .flag-button")
    shows_flag, shows_unflag = flag.locator(".when-unflagged"), flag.locator(".when-flagged")
    expect(shows_unflag).to_be_hidden()
    expect(shows_flag).to_have_text("Flag question 1 for review")
    expect(flag).to_have_accessible_name("Flag question 1 for review")
    flag.click()
    expect(shows_flag).to_be_hidden()
    expect(shows_unflag).to_be_visible()
    expect(flag).to_have_accessible_name("Unflag question 1")
    expect(flag).to_have_attribute("aria-pressed", "true")
    flag.click()
    expect(shows_flag).to_be_visible()
    expect(flag).to_have_accessible_name("Flag question 1 for review")

    # A run of matching headings: the list once, above the run, and its own instruction.
    page.get_by_role("tab", name=re.compile("Part 2")).click()
    part = page.locator("#part-1")
    expect(part.locator(".shared-choices")).to_have_count(1)
    expect(part.locator(".shared-choices h4")).to_have_text("List of headings")
    expect(part.locator(".shared-choices li")).to_have_count(8)
    expect(part.locator(".shared-choices").get_by_text("A chain of genes that regulate one another")).to_have_count(1)
    headings_block = part.locator(".q-block", has=page.locator(".shared-choices"))
    expect(headings_block.locator("h3")).to_have_text("Questions 14–18")
    expect(headings_block.locator(".instructions")).to_contain_text("Choose the correct heading")
    expect(headings_block.locator(".question")).to_have_count(5)
    picks = headings_block.locator(f"#question-{q[15].pk} .pick")
    expect(picks).to_have_count(8)
    expect(picks.nth(4).get_by_role("radio")).to_have_accessible_name("v A chain of genes that regulate one another")
    assert all(box(picks.nth(n))["width"] < 90 for n in range(8))  # the numeral only: the list is above


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 1024, "height": 768}])
def test_a_laptop_and_a_tablet_in_landscape_keep_the_split(in_the_test, viewport):
    page, _ = in_the_test(viewport=viewport, has_touch=viewport["width"] < 1280)
    passage_pane, questions_pane = page.locator("#part-0 .passage-pane"), page.locator("#part-0 .questions-pane")
    expect(passage_pane).to_be_visible()
    expect(questions_pane).to_be_visible()
    left, right = box(passage_pane), box(questions_pane)
    assert left["x"] + left["width"] <= right["x"] + 1 and abs(left["y"] - right["y"]) < 1
    expect(page.locator(".pane-switch")).to_be_hidden()
    expect(page.locator("#nav-summary")).to_be_hidden()
    expect(page.locator('.nav-q[data-number="40"]')).to_be_visible()


def test_paragraph_letters_are_those_that_run_a_b_c(page):
    serve_static_modules(page, origin="http://student.test", folders=("student", "common"))
    found = page.evaluate(
        """async () => {
            const { paragraphLetters } = await import("/static/student/highlights.js");
            const letters = (text) => paragraphLetters(text).map(({ start, end }) => text.slice(start, end));
            return [
                letters("A Few objects.\\n\\nB  Nobody knew.\\n\\nI think so.\\n\\nC Today."),
                letters("A bottle was made.\\n\\nIt travelled far."),
                letters("Intro.\\n\\nA One.\\n\\nB Two."),
            ];
        }"""
    )
    assert found == [["A ", "B  ", "C "], [], ["A ", "B "]]
