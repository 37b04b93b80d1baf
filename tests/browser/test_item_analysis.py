"""A finished session's item analysis as its teacher sees it, in a real Chromium against a real daphne server:
the pictures and their labels, the figures in the tables, the passage's heatmap with the evidence outlined, the
half-band advice, and the page as it prints (tests/analysis_support.py tells the session)."""

import re

import pytest
from playwright.sync_api import expect

from tests.analysis_support import analysed_session
from tests.browser.support import login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture
def finished(transactional_db, make_user):
    teacher = make_user("TEACHER", username="tess", first_name="Tess", last_name="Teacher")
    return analysed_session(teacher, make_user)


def test_a_teacher_reads_the_item_analysis_of_a_finished_session(browser, daphne_servers, finished):
    daphne = daphne_servers("web-1")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, daphne.url, "tess", "/teacher/")
    page.goto(f"{daphne.url}/teacher/sessions/{finished.pk}/results/")

    analysis = page.locator("#item-analysis")
    expect(analysis.get_by_role("heading", name="Item analysis")).to_be_visible()
    charts = ("Discrimination per question", "Facility per question type", "Answers of each student to each question")
    for name in charts:
        expect(page.get_by_role("img", name=name)).to_be_visible()
    expect(page.locator("svg#discrimination-chart g.bar")).to_have_count(4)
    expect(page.locator("svg#heat-strip rect.cell")).to_have_count(16)
    expect(page.locator("svg#heat-strip rect.cell.right")).to_have_count(7)
    expect(page.locator("svg#heat-strip rect.cell.blank")).to_have_count(2)
    expect(page.locator("svg#heat-strip .strip-row").first).to_contain_text("Ann (4)")

    first = page.locator('#item-analysis-table tr[data-number="1"]')
    expect(first.locator(".facility")).to_have_text("75%")
    expect(first.locator(".discrimination")).to_have_text("0.47")
    expect(first.locator(".median")).to_have_text("52 s")
    expect(first.locator(".evidence-share")).to_have_text("2 (50%)")
    expect(first.locator(".evidence-facility")).to_have_text("100% / 50%")
    expect(page.locator('#item-analysis-table tr[data-number="3"] .wrong-answers')).to_have_text("“blue wool” ×2")
    expect(page.locator('#item-analysis-table tr[data-number="3"] .flagged')).to_have_text("2")
    expect(page.locator('#type-table tr[data-key="TRUE"]')).to_contain_text("75%")

    passage = page.get_by_role("img", name="Letters with the class's highlights and the evidence of Q1")
    expect(passage).to_be_visible()
    evidence = passage.locator(".run.evidence")
    expect(evidence).to_have_count(5)
    assert evidence.first.evaluate("run => getComputedStyle(run).outlineStyle") == "solid"
    assert passage.locator('.run[data-students="2"]').first.evaluate(
        "run => getComputedStyle(run).backgroundColor"
    ) != passage.locator('.run[data-students="0"]').last.evaluate("run => getComputedStyle(run).backgroundColor")
    expect(page.locator('.evidence-figures li[data-number="1"]')).to_have_text(
        "Q1: 2 of 4 highlighted in the evidence; 100% of them got it right, 50% of the others."
    )
    expect(page.get_by_role("img", name="Band distribution")).to_be_visible()
    expect(page.locator("#target-band")).to_contain_text("target band, 6.5")

    ben = page.locator("#half-band-table tr").filter(has_text="Ben")
    expect(ben.locator(".lift")).to_have_text("1 more correct → band 7.0")
    expect(ben.locator(".try")).to_have_text(re.compile(r"^Q2 \(25% of the class\)$"))

    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("#csv-link")).to_be_hidden()
    expect(page.locator("#item-analysis-table")).to_be_visible()
    assert page.locator("#item-analysis").evaluate("section => getComputedStyle(section).breakBefore") == "page"
    assert errors == []
