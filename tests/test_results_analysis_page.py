"""The results page's item analysis: pictures with accessible labels, the figures in tables, the passages' class
heatmap with the evidence outlined, the band distribution against the target, and the half-band advice."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from monitoring.item_analysis import TextRun, half_band_lifts, passage_runs
from tests.analysis_support import analysed_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(teacher, make_user):
    session = analysed_session(teacher, make_user)
    client = Client()
    client.force_login(teacher)
    response = client.get(reverse("teacher-results", args=[session.pk]))
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def row(html: str, table_id: str, attribute: str, value) -> str:
    table = html[html.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    match = re.search(rf'<tr [^>]*{attribute}="{value}"[^>]*>(.*?)</tr>', table, re.S)
    assert match, (table_id, value)
    return text_of(match.group(1))


def test_every_picture_is_an_image_with_a_title_and_a_description(page):
    for chart in ("discrimination-chart", "type-chart", "heat-strip", "evidence-chart", "band-chart"):
        svg = re.search(rf'<svg [^>]*id="{chart}"[^>]*>', page).group(0)
        assert 'role="img"' in svg and f'aria-labelledby="{chart}-title {chart}-desc"' in svg
        assert f'<title id="{chart}-title">' in page and f'<desc id="{chart}-desc">' in page
    charts = [ET.fromstring("<svg" + part.split("</svg>")[0] + "</svg>") for part in page.split("<svg")[1:]]
    assert len(charts) == 6  # each well-formed (the facility chart too)
    assert "<title>Question 1: discrimination 0.47</title>" in page
    assert "<title>Dee, question 2: blank</title>" in page and "<title>Cal, question 1: wrong</title>" in page


def test_the_question_table_carries_every_figure(page):
    assert row(page, "item-analysis-table", "data-number", 1) == (
        "Q1 True / False / Not Given (TRUE) 75% 0.47 0% 52 s 0 “false” ×1 2 (50%) 100% / 50%"
    )
    assert row(page, "item-analysis-table", "data-number", 3).startswith("Q3 Sentence completion 50%")
    assert "“blue wool” ×2" in row(page, "item-analysis-table", "data-number", 3)
    assert "no span" in row(page, "item-analysis-table", "data-number", 4)
    assert row(page, "type-table", "data-key", "NOT GIVEN") == "… with the key NOT GIVEN 1 25%"


def test_the_heat_strip_lists_students_by_score(page):
    strip = page[page.index('id="heat-strip"') :]
    order = re.findall(r'class="tick" x="144" y="[\d.]+" text-anchor="end">(\w+) \(', strip)
    assert order == ["Ann", "Ben", "Dee", "Cal"]


def test_the_passage_shows_how_many_highlighted_each_run_and_outlines_the_evidence(page):
    passage = page[page.index('class="passage-text"') :]
    passage = passage[: passage.index("</div>")]
    assert 'aria-label="Letters with the class\'s highlights and the evidence of Q1"' in passage
    runs = re.findall(r'data-students="(\d)"(?: data-evidence-of="(\d)")?', passage)
    assert runs == [("1", ""), ("2", ""), ("1", "1"), ("0", "1"), ("1", "1"), ("0", "1"), ("1", "1"), ("2", ""),
                    ("1", ""), ("0", "")]  # fmt: skip
    assert '<sup class="evidence-label">Q1</sup>' in passage
    assert "2 of 4 highlighted in the evidence; 100% of them got it right, 50% of the others." in page


def test_the_band_distribution_is_drawn_against_the_target_band(page):
    assert 'data-target-band="6.5"' in page and "Target band 6.5: 1 of 4 at or above it." in page
    assert "The dashed line is the class's target band, 6.5." in page


def test_each_student_gets_the_questions_that_would_lift_them_half_a_band(page):
    table = text_of(page[page.index('id="half-band-table"') :].split("</table>")[0])
    assert "Ann 4/4 9.0 already at the top band" in table
    assert "Ben 2/4 5.5 1 more correct → band 7.0 Q2 (25% of the class)" in table
    assert "Dee 1/4 4.0 1 more correct → band 5.5 Q3 (50% of the class)" in table
    assert "Cal 0/4 0.0 1 more correct → band 4.0 Q1 (75% of the class)" in table


def test_the_page_prints(page):
    assert "teacher/results.css" in page
    css = Path(finders.find("teacher/results.css")).read_text()
    assert "@media print" in css and "print-color-adjust: exact" in css


def test_students_never_see_the_results_page(make_user, teacher):
    session = analysed_session(teacher, make_user)
    client = Client()
    client.force_login(session.participants.first().student)
    assert client.get(reverse("teacher-results", args=[session.pk])).status_code in (302, 403, 404)


def test_half_band_advice_takes_the_easiest_missed_questions_first():
    questions = [{"number": n, "facility": f} for n, f in ((1, 0.9), (2, 0.2), (3, 0.9), (4, 0.5))]
    analysis = {"questions": questions,
                "students": [{"attempt_id": 7, "score": 0, "band": 0.0, "marks": [0, None, 0, 0]}]}  # fmt: skip
    # Four questions, Academic Reading: 1 correct is 10/40 (band 4), so one more answer is enough.
    (lift,) = half_band_lifts(analysis, module="ACADEMIC_READING", band_table=None).values()
    assert lift["needed"] == 1 and lift["to_band"] == 4.0 and [q["number"] for q in lift["questions"]] == [1]
    table = [[0, 0], [30, 5]]  # 3 correct of 4 is 30/40
    (lift,) = half_band_lifts(analysis, module="ACADEMIC_READING", band_table=table).values()
    assert lift["needed"] == 3 and lift["to_band"] == 5.0 and [q["number"] for q in lift["questions"]] == [1, 3, 4]


def test_passage_runs_cut_the_text_where_the_count_or_the_evidence_changes():
    runs = passage_runs("0123456789", [(2, 6, 1), (6, 8, 2)], [(5, 4, 7)])
    assert runs == [
        TextRun("01", 0, 2, 0, (), ()), TextRun("23", 2, 4, 1, (), ()), TextRun("45", 4, 6, 1, (5,), (5,)),
        TextRun("6", 6, 7, 2, (5,), ()), TextRun("7", 7, 8, 2, (), ()), TextRun("89", 8, 10, 0, (), ()),
    ]  # fmt: skip
