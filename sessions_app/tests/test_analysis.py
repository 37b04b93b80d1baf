"""The item analysis selector against figures worked out by hand (tests/analysis_support.py tells the session)."""

import math
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from attempts.models import AttemptStatus
from attempts.services import attempt_answer, attempt_highlight
from classes.services import class_create
from exams.models import Question
from sessions_app.analysis import passage_highlight_heat, point_biserial, session_analysis
from sessions_app.services import (
    class_enrol,
    participant_connect,
    server_process_register,
    session_create,
    session_open_waiting_room,
    session_start,
)
from tests.analysis_support import EVIDENCE, analysed_session, analysis_paper

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysis(teacher, make_user):
    return session_analysis(analysed_session(teacher, make_user))


def by_number(analysis, number):
    return next(q for q in analysis["questions"] if q["number"] == number)


def test_the_body_counts_only_counted_attempts(analysis):
    assert set(analysis) == {"session_id", "status", "attempts", "target_band", "questions", "types", "students",
                             "band_distribution"}  # fmt: skip
    assert analysis["status"] == "COMPLETED" and analysis["attempts"] == 4 and analysis["target_band"] == 6.5
    assert [q["number"] for q in analysis["questions"]] == [1, 2, 3, 4]
    assert "Eve" not in [s["student_name"] for s in analysis["students"]]


def test_facility_blank_rate_and_the_tfng_key(analysis):
    q1, q2, q3, q4 = (by_number(analysis, n) for n in (1, 2, 3, 4))
    assert (q1["answered"], q1["correct"], q1["facility"], q1["blank_rate"]) == (4, 3, 0.75, 0.0)
    assert (q2["answered"], q2["correct"], q2["facility"], q2["blank_rate"]) == (3, 1, 0.25, 0.25)
    assert (q3["answered"], q3["correct"], q3["facility"]) == (4, 2, 0.5)
    assert (q4["answered"], q4["correct"], q4["blank_rate"]) == (3, 1, 0.25)
    assert [q["key"] for q in (q1, q2, q3, q4)] == ["TRUE", "NOT GIVEN", None, None]


def test_discrimination_is_the_point_biserial_against_the_rest_score(analysis):
    # Q1: marks (Ann, Ben, Cal, Dee) 1 1 0 1, rest scores 3 1 0 0: r = 1 / sqrt(0.75 × 6).
    assert by_number(analysis, 1)["discrimination"] == pytest.approx(1 / math.sqrt(4.5))
    # Q2: marks 1 0 0 0 (Dee blank), rest scores 3 2 0 1: r = 1.5 / sqrt(0.75 × 5).
    assert by_number(analysis, 2)["discrimination"] == pytest.approx(1.5 / math.sqrt(3.75))
    assert point_biserial([1], [3]) is None
    assert point_biserial([1, 1], [0, 2]) is None  # no variance in the marks
    assert point_biserial([1, 0], [2, 2]) is None  # none in the rest scores


def test_common_wrong_answers_are_normalised_counted_and_ordered(analysis):
    assert by_number(analysis, 1)["wrong_answers"] == [{"answer": "false", "count": 1}]
    assert by_number(analysis, 2)["wrong_answers"] == [{"answer": "false", "count": 2}]
    assert by_number(analysis, 3)["wrong_answers"] == [{"answer": "blue wool", "count": 2}]
    assert by_number(analysis, 4)["wrong_answers"] == [{"answer": "a", "count": 1}, {"answer": "c", "count": 1}]


def test_median_time_to_first_answer_from_the_event_log(analysis):
    assert by_number(analysis, 1)["median_seconds_to_first_answer"] == 52.5  # 30 45 60 90 (Cal's first, 90)
    assert by_number(analysis, 2)["median_seconds_to_first_answer"] == 75  # 50 70 80 100 (Dee's, cleared later)
    assert by_number(analysis, 4)["median_seconds_to_first_answer"] == 300  # 200 300 400 (Cal's empty one: none)


def test_flags_count_once_each_even_when_removed(analysis):
    assert [q["flagged_by"] for q in analysis["questions"]] == [0, 0, 2, 0]  # Eve's flag on Q1 is not counted


def test_evidence_overlap_and_facility_with_and_without_it(analysis):
    q1 = by_number(analysis, 1)
    assert q1["evidence"] == {"passage_id": q1["evidence"]["passage_id"], "position_start": 10, "position_end": 20}
    # Ann [5, 12) and Dee [19, 30) overlap [10, 20); Ben's [20, 25) only touches it; Cal's [12, 14) was removed.
    assert (q1["evidence_highlighted"], q1["evidence_share"]) == (2, 0.5)
    assert (q1["facility_highlighted"], q1["facility_not_highlighted"]) == (1.0, 0.5)
    q2 = by_number(analysis, 2)
    assert [q2[k] for k in ("evidence", "evidence_highlighted", "evidence_share", "facility_highlighted",
                            "facility_not_highlighted")] == [None] * 5  # fmt: skip


def test_types_split_true_false_not_given_by_key(analysis):
    assert analysis["types"] == [
        {"type": "MULTIPLE_CHOICE", "key": None, "questions": 1, "facility": 0.25},
        {"type": "TRUE_FALSE_NOT_GIVEN", "key": None, "questions": 2, "facility": 0.5},
        {"type": "TRUE_FALSE_NOT_GIVEN", "key": "TRUE", "questions": 1, "facility": 0.75},
        {"type": "TRUE_FALSE_NOT_GIVEN", "key": "NOT GIVEN", "questions": 1, "facility": 0.25},
        {"type": "SENTENCE_COMPLETION", "key": None, "questions": 1, "facility": 0.5},
    ]


def test_students_by_score_with_their_marks_and_the_band_distribution(analysis):
    rows = [(s["student_name"], s["score"], s["band"], s["marks"]) for s in analysis["students"]]
    assert rows == [
        ("Ann", 4, 9.0, [1, 1, 1, 1]),
        ("Ben", 2, 5.5, [1, 0, 1, 0]),
        ("Dee", 1, 4.0, [1, None, 0, 0]),
        ("Cal", 0, 0.0, [0, 0, 0, None]),
    ]
    assert analysis["band_distribution"] == [{"band": b, "count": 1} for b in (9.0, 5.5, 4.0, 0.0)]


def test_the_class_highlight_heatmap_counts_each_student_once_per_character(teacher, make_user):
    session = analysed_session(teacher, make_user)
    (heat,) = passage_highlight_heat(session).values()
    assert heat == [(0, 5, 1), (5, 10, 2), (10, 12, 1), (15, 18, 1), (19, 20, 1), (20, 25, 2), (25, 30, 1)]
    assert EVIDENCE == (10, 20)


def test_a_session_in_progress_counts_open_attempts_with_no_marks_yet(teacher, make_user):
    analysis = session_analysis(analysed_session(teacher, make_user, complete=False))
    assert analysis["status"] == "IN_PROGRESS" and analysis["attempts"] == 4
    assert by_number(analysis, 1)["facility"] == 0.75
    assert [s["score"] for s in analysis["students"]] == [None] * 4
    assert analysis["band_distribution"] == []


def test_a_session_without_attempts_has_null_figures(session):
    analysis = session_analysis(session)
    assert analysis["attempts"] == 0 and analysis["students"] == [] and analysis["target_band"] is None
    first = analysis["questions"][0]
    assert (first["facility"], first["blank_rate"], first["discrimination"]) == (None, None, None)
    assert first["median_seconds_to_first_answer"] is None and first["wrong_answers"] == []
    assert all(row["facility"] is None for row in analysis["types"])


def test_only_the_sessions_passages_are_analysed(teacher, make_user, paper, school_class, students, connect_student):
    session = session_create(school_class=school_class, test=paper, title="Second passage only",
                             scheduled_at=timezone.now(), created_by=teacher,
                             passage_ids=[paper.passages.last().pk])  # fmt: skip
    session_open_waiting_room(session=session)
    connect_student(session, students[0])
    session_start(session=session)
    analysis = session_analysis(session)
    assert [q["number"] for q in analysis["questions"]] == [3, 4]
    assert len(analysis["students"][0]["marks"]) == 2


def test_the_number_of_queries_does_not_grow_with_the_class(teacher, make_user):
    paper = analysis_paper(teacher)
    Question.objects.filter(test=paper, number=2).update(evidence_start=0, evidence_end=5)
    klass = class_create(name="Forty", created_by=teacher)
    students = [make_user("STUDENT", username=f"s{i:02}") for i in range(40)]
    for student in students:
        class_enrol(school_class=klass, student=student)
    session = session_create(school_class=klass, test=paper, title="Forty", scheduled_at=timezone.now(),
                             created_by=teacher)  # fmt: skip
    session_open_waiting_room(session=session)
    server = server_process_register(name="forty")
    for student in students:
        participant_connect(session=session, student=student, channel_name=f"forty.{student.pk}", server_id=server)
    session = session_start(session=session)
    questions = list(paper.questions.order_by("number"))
    passage = paper.passages.get()
    for index, attempt in enumerate(session.attempts.all()):
        for question in questions[: 1 + index % 4]:
            attempt_answer(attempt=attempt, question_id=question.pk, answer="TRUE" if index % 2 else "B")
        attempt_highlight(attempt=attempt, passage_id=passage.pk, text="abc", position_start=index % 7,
                          position_end=index % 7 + 3)  # fmt: skip

    with CaptureQueriesContext(connection) as queries:
        analysis = session_analysis(session)
        passage_highlight_heat(session)

    assert analysis["attempts"] == 40 and len(analysis["students"]) == 40
    assert len(queries) <= 8, [q["sql"] for q in queries]
    assert session.attempts.filter(status=AttemptStatus.IN_PROGRESS).count() == 40
    assert timedelta(0) <= timezone.now() - session.started_at
