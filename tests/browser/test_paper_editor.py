"""The paper editor in a real Chromium against a real daphne server: a teacher writes a four-question paper (a run
of matching questions sharing one headings list), previews and saves it, runs a session on it from the class page
and the live monitor while a student takes it, and the results show its four questions."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]

LIVE_MS = 2000
WAIT_MS = 15000
HEADINGS = ["i  The rise of wool", "ii  A trade in decline", "iii  New markets"]


@pytest.fixture
def classroom(transactional_db, make_user):
    from classes.services import class_create
    from sessions_app.services import class_enrol

    teacher = make_user("TEACHER", username="tess", first_name="Tess", last_name="Teacher")
    amira = make_user("STUDENT", username="amira", first_name="Amira", last_name="Haddad")
    klass = class_create(name="Beacon 31", created_by=teacher)
    class_enrol(school_class=klass, student=amira)
    return {"teacher": teacher, "amira": amira, "class": klass}


def write_question(question, *, prompt, answers, qtype=None):
    if qtype:
        question.get_by_label("Type").select_option(qtype)
    question.get_by_label("Prompt").fill(prompt)
    question.get_by_label("Accepted answers").fill("\n".join(answers))


def test_a_teacher_writes_a_paper_and_runs_a_session_on_it(browser, daphne_servers, classroom):
    from exams.models import Test

    url = daphne_servers("web-1").url
    teacher_context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = teacher_context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    login(page, url, "tess", "/teacher/")
    page.get_by_role("link", name="My papers").click()
    expect(page.locator("p.empty")).to_contain_text("You have no papers yet.")
    page.get_by_role("link", name="New paper").click()

    facts = page.locator(".paper-facts")
    facts.get_by_label("Title").fill("Wool and trade")
    facts.get_by_label("Time limit (minutes)").fill("20")
    passages = page.locator("#passages > [data-passage]")
    first = passages.nth(0)
    first.get_by_label("Title").fill("The wool trade")
    first.get_by_label("Text").fill("Wool made the town rich. Then the trade fell away, and merchants sold red wool.")
    questions = page.locator("[data-question]")
    write_question(questions.nth(0), prompt="The town grew rich from wool.", answers=["TRUE"])
    expect(questions.nth(0).get_by_label("Options")).to_be_hidden()  # the judgements' choices are fixed

    first.get_by_role("button", name="Add a question").click()
    second = questions.nth(1)
    expect(second.locator("legend")).to_have_text("Question 2")
    headings = first.get_by_label("Headings shared")
    expect(headings).to_be_hidden()  # until the passage has a matching question
    write_question(second, qtype="MATCHING", prompt="Paragraph B", answers=["ii"])
    headings.fill("\n".join(HEADINGS))
    second.get_by_label("Use the passage's headings").check()
    expect(second.get_by_label("Options")).to_be_hidden()
    first.get_by_role("button", name="Add a question").click()
    third = questions.nth(2)  # continues the run: matching, with the shared headings
    expect(third.get_by_label("Type")).to_have_value("MATCHING")
    expect(third.get_by_label("Use the passage's headings")).to_be_checked()
    write_question(third, prompt="Paragraph C", answers=["iii"])

    page.get_by_role("button", name="Add a passage").click()
    second_passage = passages.nth(1)
    expect(second_passage.locator("h2")).to_have_text("Passage 2")
    second_passage.get_by_label("Title").fill("Markets")
    second_passage.get_by_label("Text").fill("Merchants sold red wool abroad.")
    fourth = second_passage.locator("[data-question]").first
    write_question(fourth, qtype="SENTENCE_COMPLETION", prompt="Merchants sold ____ abroad.", answers=["red wool"])
    fourth.get_by_label("Word limit").fill("2")
    # A question added and removed again: the numbers stay 1..4.
    first.get_by_role("button", name="Add a question").click()
    expect(fourth.get_by_label("Number")).to_have_value("5")
    first.locator("[data-question]").nth(3).get_by_role("button", name="Remove question").click()
    expect(questions).to_have_count(4)
    expect(fourth.get_by_label("Number")).to_have_value("4")
    expect(fourth.locator("legend")).to_have_text("Question 4")

    with teacher_context.expect_page() as preview_info:
        page.get_by_role("button", name="Preview as a student").click()
    preview = preview_info.value
    expect(preview.get_by_role("heading", name="Questions 2–3")).to_be_visible()
    # The shared headings once above the run, and each matching question a row of their numerals.
    expect(preview.locator(".shared-choices")).to_have_count(1)
    expect(preview.locator(".shared-choices")).to_contain_text("A trade in decline")
    expect(preview.locator('.question[data-number="3"] .pick')).to_have_count(3)
    expect(preview.locator('.question[data-number="4"]')).to_contain_text("NO MORE THAN TWO WORDS")
    assert "red wool" not in " ".join(preview.locator(".questions-pane").all_inner_texts())  # no key
    preview.close()

    page.get_by_role("button", name="Save paper").click()
    expect(page.locator(".messages")).to_contain_text("“Wool and trade” saved.")
    expect(page.locator("#paper-version")).to_have_text("Version 1")
    paper = Test.objects.get(title="Wool and trade")
    stored = {q.number: q for q in paper.questions.all()}
    assert sorted(stored) == [1, 2, 3, 4]
    assert stored[2].options == stored[3].options == HEADINGS

    # The class page schedules a session on it; the live monitor runs it while Amira takes it.
    page.goto(f"{url}/teacher/")
    page.get_by_role("link", name="Beacon 31").click()
    page.get_by_label("Title").fill("Wool quiz")
    page.get_by_label("Paper").select_option(label="Wool and trade")
    page.get_by_role("button", name="Create session").click()
    expect(page).to_have_url(re.compile(r"/teacher/sessions/\d+/live/$"))
    session_id = int(re.search(r"/sessions/(\d+)/live/", page.url).group(1))
    expect(page.locator("#link-state")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
    page.locator('[data-action="start-waiting"]').click()
    expect(page.locator("#session-status")).to_have_text("Waiting for students", timeout=LIVE_MS)

    student = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    login(student, url, "amira", "/my-sessions/")
    student.goto(f"{url}/sessions/{session_id}/test/")
    expect(student.locator("#screen-waiting")).to_be_visible()
    expect(page.locator("#count-connected")).to_have_text("1", timeout=LIVE_MS)
    page.locator('[data-action="start"]').click()
    expect(student.locator("#screen-test")).to_be_visible(timeout=WAIT_MS)

    student.locator(f"#question-{stored[1].pk}").get_by_label("TRUE", exact=True).check()
    student.locator(f"#question-{stored[2].pk}").get_by_label("A trade in decline").check()
    student.locator(f"#question-{stored[3].pk}").get_by_label("The rise of wool").check()
    student.get_by_role("tab", name=re.compile("Part 2")).click()
    student.locator(f"#answer-{stored[4].pk}").fill("red wool")
    student.locator(f"#answer-{stored[4].pk}").press("Tab")
    card = page.locator(f'#board > li[data-student-id="{classroom["amira"].pk}"]')
    expect(card.locator(".answered")).to_have_text("4/4", timeout=WAIT_MS)

    page.locator('[data-action="complete"]').click()
    expect(page.locator("#session-status")).to_have_text("Completed", timeout=LIVE_MS)
    page.get_by_role("link", name="See results").click()
    row = page.locator(f'#results-table tr[data-student-id="{classroom["amira"].pk}"]')
    expect(row.locator(".score")).to_have_text("3/4")
    expect(page.locator("svg#facility-chart g.bar")).to_have_count(4)
    assert errors == []
