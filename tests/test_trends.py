"""A class's trends across sessions and practice (issue 14, "Trends across sessions"): hand-computed figures for a
small class, a bounded number of queries for a big one, and the pages and CSV a teacher reads them on."""

import codecs
import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from attempts.practice import practice_attempt_start, practice_publish
from attempts.services import attempt_answer, attempt_record_violation, attempt_submit
from monitoring.trends import class_trends
from sessions_app.services import (
    session_complete,
    session_create,
    session_open_waiting_room,
    session_start,
    violation_review,
)

pytestmark = pytest.mark.django_db

RIGHT = {1: "TRUE", 2: "B", 3: "wool", 4: "red wool"}


def _run(school_class, paper, teacher, connect_student, students, answers, *, passage_ids=None, title="Mock"):
    """A session of the class that `students` take, each answering `answers[student index]` (question numbers),
    then completed."""
    session = session_create(
        school_class=school_class, test=paper, title=title, scheduled_at=timezone.now(), created_by=teacher,
        passage_ids=passage_ids,
    )  # fmt: skip
    session_open_waiting_room(session=session)
    for student in students:
        connect_student(session, student)
    session_start(session=session)
    questions = {q.number: q for q in paper.questions.all()}
    for index, student in enumerate(students):
        attempt = session.attempts.get(student=student)
        for number in answers[index]:
            attempt_answer(attempt=attempt, question_id=questions[number].pk, answer=RIGHT[number])
    return session


def _finish(session):
    return session_complete(session=session)


@pytest.fixture
def history(school_class, paper, teacher, students, connect_student):
    """Session 1 (the whole paper): student 1 right on all four, student 2 on question 1 only, with two violations
    of which one is dismissed. Session 2 (passage 2: questions 3 and 4): student 1 right on 3, student 2 on none.
    Student 3 takes no session but hands in a practice attempt right on all four."""
    first = _run(school_class, paper, teacher, connect_student, students[:2], [[1, 2, 3, 4], [1]], title="First")
    second_student = first.attempts.get(student=students[1])
    attempt_record_violation(attempt=second_student)
    attempt_record_violation(attempt=second_student)
    dismissed = second_student.violations.order_by("pk").first()
    violation_review(attempt=second_student, violation_id=dismissed.pk, verdict="DISMISSED", by=teacher)
    _finish(first)
    passage_2 = paper.passages.order_by("order")[1]
    second = _run(
        school_class, paper, teacher, connect_student, students[:2], [[3], []], passage_ids=[passage_2.pk],
        title="Second",
    )  # fmt: skip
    _finish(second)
    practice = practice_publish(school_class=school_class, test=paper, by=teacher)
    attempt = practice_attempt_start(practice=practice, student=students[2])
    for question in paper.questions.all():
        attempt_answer(attempt=attempt, question_id=question.pk, answer=RIGHT[question.number])
    attempt_submit(attempt=attempt)
    return {"first": first, "second": second, "practice_attempt": attempt}


def test_the_figures_of_a_small_class_by_hand(history, school_class, students):
    trends = class_trends(school_class)
    first, second = trends.sessions
    assert (first.title, second.title) == ("First", "Second")
    assert {pk: r.score for pk, r in first.results.items()} == {students[0].pk: 4, students[1].pk: 1}
    assert first.facility("TRUE_FALSE_NOT_GIVEN") == 1.0
    assert first.facility("MULTIPLE_CHOICE") == 0.5
    assert first.facility("SHORT_ANSWER") == 0.5
    assert first.violations == 1  # the dismissed one left out
    assert first.mean_score_share == (4 / 4 + 1 / 4) / 2
    assert second.facility("TRUE_FALSE_NOT_GIVEN") is None  # passage 2 has none
    assert second.facility("SENTENCE_COMPLETION") == 0.5 and second.facility("SHORT_ANSWER") == 0.0
    assert second.results[students[0].pk].questions == 2
    bands = [float(a.band) for a in history["first"].attempts.all()]
    assert first.mean_band == pytest.approx(sum(bands) / 2)
    [practice] = trends.practice
    assert practice.kind == "practice" and practice.results[students[2].pk].score == 4
    assert [s.kind for s in trends.of_student(students[2].pk)] == ["practice"]
    assert [s.title for s in trends.of_student(students[0].pk)] == ["First", "Second"]
    assert trends.types == ["MULTIPLE_CHOICE", "TRUE_FALSE_NOT_GIVEN", "SENTENCE_COMPLETION", "SHORT_ANSWER"]


def test_forty_students_over_three_sessions_in_a_fixed_number_of_queries(
    school_class, paper, teacher, make_user, connect_student, django_assert_max_num_queries
):
    from sessions_app.services import class_enrol

    crowd = [make_user("STUDENT", username=f"crowd{n}") for n in range(40)]
    for student in crowd:
        class_enrol(school_class=school_class, student=student)
    for title in ("One", "Two", "Three"):
        _finish(_run(school_class, paper, teacher, connect_student, crowd, [[1, 3]] * 40, title=title))
    with django_assert_max_num_queries(7):
        trends = class_trends(school_class)
    assert [len(s.results) for s in trends.sessions] == [40, 40, 40]


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_trends_pages_draw_the_charts_and_the_csv_holds_every_sitting(history, school_class, teacher, students):
    page = _client(teacher).get(reverse("teacher-trends", args=[school_class.pk])).content.decode()
    for chart in ('id="band-trend"', 'id="type-trend"', 'id="violation-trend"'):
        assert chart in page
    assert "2 completed sessions and 1 practice attempt handed in" in page
    assert "Facility per question type over time" in page and "True / False / Not Given, First: 100 %" in page
    student_page = _client(teacher).get(reverse("teacher-student-trends", args=[school_class.pk, students[1].pk]))
    html = student_page.content.decode()
    assert 'id="student-band-trend"' in html and "First" in html and "1/4" in html
    response = _client(teacher).get(reverse("teacher-trends-csv", args=[school_class.pk]))
    rows = list(csv.reader(io.StringIO(codecs.decode(response.content, "utf-8-sig"))))
    assert rows[0][:9] == ["Kind", "Sitting", "Date", "Username", "Student", "Score", "Out of", "Band", "Violations"]
    body = [row[:9] for row in rows[1:]]
    assert [(r[0], r[1], r[3], r[5], r[6], r[8]) for r in body] == [
        ("session", "First", "student1", "4", "4", "0"),
        ("session", "Second", "student1", "1", "2", "0"),
        ("session", "First", "student2", "1", "4", "1"),
        ("session", "Second", "student2", "0", "2", "0"),
        ("practice", "Practice: Academic Reading 1", "student3", "4", "4", "0"),
    ]


def test_trends_are_for_the_class_s_staff(history, school_class, make_user, students):
    outsider = _client(make_user("TEACHER"))
    assert outsider.get(reverse("teacher-trends", args=[school_class.pk])).status_code == 404
    assert outsider.get(reverse("teacher-trends-csv", args=[school_class.pk])).status_code == 404
    assert _client(students[0]).get(reverse("teacher-trends", args=[school_class.pk])).status_code == 403
    other = make_user("STUDENT")
    teacher_page = reverse("teacher-student-trends", args=[school_class.pk, other.pk])
    assert _client(school_class.teachers.get()).get(teacher_page).status_code == 404  # not of the class


def test_a_class_with_nothing_finished_says_so(school_class, teacher):
    html = _client(teacher).get(reverse("teacher-trends", args=[school_class.pk])).content.decode()
    assert "Nothing to show yet" in html
