"""The student's display options and notes on highlights, in a real Chromium against a real daphne server: the
text size and colours are kept per student over a reload; a note written on a highlight reaches the teacher's
live monitor; and axe-core finds no serious or critical violation on the student's test page (in progress, in
both the standard and a high-contrast scheme) or on the teacher's live monitor.

axe-core 4.14.1 (static/vendor/axe.min.js, from `npm pack axe-core`; its licence beside it). It is injected
from that file with `add_script_tag(path=...)`, that is inline: the contexts that run it bypass the site's CSP.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.support import class_of_one, login
from tests.browser.test_student_test_page import WAIT_MS, Server, drag_select, passages_of, start_test, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe.min.js"


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is: [{id, impact, nodes}]."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, { resultTypes: ["violations"] });
            return results.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({ id: v.id, impact: v.impact,
                               nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`) }));
        }"""
    )


@pytest.fixture
def classroom(transactional_db, make_user):
    from conftest import paper_data

    return class_of_one(make_user, paper_data())


@pytest.fixture
def contexts(browser):
    made = []

    def new(**options):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True, **options)
        made.append(context)
        return context.new_page()

    yield new
    for context in made:
        context.close()


def test_options_are_kept_a_note_reaches_the_teacher_and_axe_finds_nothing_serious(daphne_servers, classroom, contexts):
    session, student, teacher = classroom["session"], classroom["student"], classroom["teacher"]
    server = Server(daphne_servers("web-1"), teacher)
    server.open_room(session)
    page = contexts()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, server.url, student.username)
    start_test(page, server, session, student)

    assert axe_violations(page) == []

    # Options by keyboard: Alt+O opens them, the arrow keys move within each group of radios.
    page.keyboard.press("Alt+o")
    dialog = page.get_by_role("dialog", name="Options")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Regular")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(dialog.get_by_label("Extra large")).to_be_checked()
    dialog.get_by_label("Yellow on black").check()
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()
    root = page.locator("html")
    expect(root).to_have_class(re.compile(r"\btext-xlarge\b.*\bcolours-yellow\b|\bcolours-yellow\b.*\btext-xlarge\b"))
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "24px"
    passage_colour = page.evaluate("getComputedStyle(document.querySelector('.passage-text')).color")
    assert passage_colour == "rgb(255, 235, 59)"
    assert axe_violations(page) == []  # the high-contrast scheme holds too

    page.keyboard.press("Alt+k")
    shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(shortcuts).to_contain_text("Next question")
    page.keyboard.press("Escape")
    expect(shortcuts).to_be_hidden()

    # The teacher watches the live monitor.
    monitor = contexts()
    login(monitor, server.url, teacher.username, "/teacher/")
    monitor.goto(f"{server.url}/teacher/sessions/{session.pk}/live/")
    expect(monitor.locator("#link-state")).to_contain_text("Live —", timeout=WAIT_MS)

    # A highlight, then a note on it (right-click), through the outbox.
    from attempts.models import Highlight

    passage = passages_of(session)[0]
    start = passage.text.index("red wool")
    drag_select(page, passage, start, start + len("red wool"))
    wait_until(lambda: Highlight.objects.filter(attempt__student=student).exists(), message="the highlight")
    mark = page.locator(".passage-text mark", has_text="red wool")
    expect(mark).not_to_have_class(re.compile("pending"), timeout=WAIT_MS)
    mark.click(button="right")
    note_dialog = page.get_by_role("dialog", name=re.compile("Note on"))
    expect(note_dialog).to_be_visible()
    note_dialog.get_by_label("Your note").fill("colour of the thread")
    note_dialog.get_by_role("button", name="Save note").click()
    expect(note_dialog).to_be_hidden()
    expect(mark).to_have_class(re.compile(r"\bnoted\b"))
    expect(mark).to_have_attribute("data-note", "colour of the thread")
    wait_until(lambda: Highlight.objects.get(attempt__student=student).note == "colour of the thread", message="note")
    expect(monitor.locator("#feed")).to_contain_text("Amira Haddad noted a highlight: “colour of the thread”",
                                                     timeout=WAIT_MS)  # fmt: skip
    mark.focus()
    tooltip = page.evaluate("getComputedStyle(document.querySelector('.passage-text mark.noted'), '::after').content")
    assert "colour of the thread" in tooltip
    expect(page.get_by_role("button", name="Edit note")).to_be_visible()

    # A reload keeps the options and shows the note.
    page.reload()
    expect(page.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)
    expect(root).to_have_class(re.compile(r"\btext-xlarge\b"))
    expect(root).to_have_class(re.compile(r"\bcolours-yellow\b"))
    expect(page.locator(".passage-text mark.noted")).to_have_attribute("data-note", "colour of the thread")
    expect(page.locator("#conn-status")).to_have_attribute("data-state", "online", timeout=WAIT_MS)
    page.get_by_role("button", name="Options", exact=True).click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Extra large")).to_be_checked()
    page.keyboard.press("Escape")

    # Clearing the note: the editor's "Remove note".
    page.locator(".passage-text mark.noted").click(button="right")
    note_dialog.get_by_role("button", name="Remove note").click()
    wait_until(lambda: Highlight.objects.get(attempt__student=student).note is None, message="the note cleared")
    expect(monitor.locator("#feed")).to_contain_text("cleared a highlight's note", timeout=WAIT_MS)

    assert axe_violations(monitor) == []
    assert errors == []
