"""Writing attempts: essay answers up to 20,000 characters, words counted as the page counts them, the band rules
(hand-computed, with the rounding edges), marking over REST (who, when, what) and what a student sees of it."""

from fractions import Fraction

import pytest

from attempts.models import AttemptEvent, WritingMark
from attempts.services import attempt_answer, attempt_submit
from attempts.writing import attempt_mark_writing
from exams.marking import (
    down_to_half_band,
    essay_words,
    nearest_half_band,
    writing_band,
    writing_task_band,
)
from exams.services import test_create
from ielts_site.errors import InvalidInput
from sessions_app.services import session_complete, session_release_results
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api
from tests.writing_support import start_writing_session, writing_paper_data

pytestmark = pytest.mark.django_db


def criteria(ta, cc, lr, gra):
    return {"TA": ta, "CC": cc, "LR": lr, "GRA": gra}


# ---------------------------------------------------------------- words and bands, by hand


@pytest.mark.parametrize(
    "text, words",
    [
        ("", 0),
        (None, 0),
        ("The chart shows   three museums.", 5),
        ("It's a well-known fact: visitors rose by 25% in 2019.", 10),
        ("naïve café — déjà vu", 4),
        ("one,two;three/four", 4),
        ("snake_case counts as two", 5),
        ("’Twas the start", 3),
    ],
)
def test_words_are_runs_of_letters_digits_apostrophes_and_hyphens(text, words):
    assert essay_words(text) == words


@pytest.mark.parametrize(
    "marks, band",
    [
        ((6, 6, 6, 7), 6.0),  # 6.25 rounds down
        ((6, 7, 7, 7), 6.5),  # 6.75 rounds down to the half
        ((7, 7, 7, 7), 7.0),
        ((6, 6, 7, 7), 6.5),  # 6.5 exactly
        ((9, 9, 9, 8), 8.5),
        ((0, 0, 0, 1), 0.0),
        ((5, 6, 7, 8), 6.5),
    ],
)
def test_a_task_band_is_the_mean_rounded_down_to_a_half_band(marks, band):
    assert writing_task_band(criteria(*marks)) == band


@pytest.mark.parametrize(
    "task1, task2, band",
    [
        (6.0, 6.5, 6.5),  # 19 / 3 = 6.333 → 6.5
        (5.5, 6.0, 6.0),  # 17.5 / 3 = 5.833 → 6.0
        (7.0, 6.0, 6.5),  # 19 / 3 = 6.333 → 6.5
        (6.0, 7.0, 6.5),  # 20 / 3 = 6.667 → 6.5
        (5.0, 6.0, 5.5),  # 17 / 3 = 5.667 → 5.5
        (6.5, 6.0, 6.0),  # 18.5 / 3 = 6.167 → 6.0
        (8.0, 8.0, 8.0),
    ],
)
def test_the_writing_band_weighs_task_2_twice(task1, task2, band):
    assert writing_band({1: task1, 2: task2}) == band


def test_a_quarter_rounds_up_and_a_one_task_paper_takes_its_band():
    assert nearest_half_band(Fraction(625, 100)) == 6.5
    assert nearest_half_band(Fraction(675, 100)) == 7.0
    assert nearest_half_band(Fraction(624, 100)) == 6.0
    assert nearest_half_band(Fraction(674, 100)) == 6.5
    assert down_to_half_band(Fraction(699, 100)) == 6.5
    assert writing_band({2: 6.5}) == 6.5 and writing_band({}) is None


# ---------------------------------------------------------------- a Writing session


@pytest.fixture
def writing_paper(teacher):
    return test_create(**writing_paper_data(), created_by=teacher)


@pytest.fixture
def writing_session(writing_paper, school_class, teacher, students, connect_student):
    return start_writing_session(
        paper=writing_paper, school_class=school_class, teacher=teacher, students=students[:2],
        connect_student=connect_student, results_release="MANUAL",
    )  # fmt: skip


@pytest.fixture
def essays(writing_paper):
    return writing_paper.questions.get(task=1), writing_paper.questions.get(task=2)


@pytest.fixture
def attempt(writing_session, students):
    return writing_session.attempts.get(student=students[0])


def _answer(user, attempt, question, text):
    return api(user).post(f"{API}/attempts/{attempt.pk}/answers", {"question_id": question.pk, "answer": text},
                          format="json")  # fmt: skip


def _mark(user, attempt, question, body):
    return api(user).post(f"{API}/attempts/{attempt.pk}/writing/{question.pk}", body, format="json")


def test_an_essay_holds_20000_characters_and_its_log_an_excerpt(students, attempt, essays):
    task1, _ = essays
    assert _answer(students[0], attempt, task1, "é" * 20000).status_code == 200
    assert_error(_answer(students[0], attempt, task1, "a" * 20001), 400)
    assert attempt.answers.get(question=task1).answer == "é" * 20000
    _answer(students[0], attempt, task1, "word " * 300)
    logged = AttemptEvent.objects.filter(attempt=attempt, type="answer_submitted").order_by("pk").last().data
    assert logged == {"question_id": task1.pk, "answer": ("word " * 16), "words": 300, "chars": 1500}


def test_a_reading_answer_keeps_its_2000_limit(running_session, students, paper):
    attempt = running_session.attempts.get(student=students[0])
    question = paper.questions.get(number=3)
    assert _answer(students[0], attempt, question, "a" * 2000).status_code == 200
    body = assert_error(_answer(students[0], attempt, question, "a" * 2001), 400, "too_long")
    assert "answer" in body["errors"]
    with pytest.raises(InvalidInput):
        attempt_answer(attempt=attempt, question_id=question.pk, answer="a" * 2001)


def test_the_body_counts_words_and_submit_leaves_score_and_band_null(
    students, attempt, essays, listen, django_capture_on_commit_callbacks
):
    task1, task2 = essays
    _answer(students[0], attempt, task1, "The chart shows three museums.")
    body = api(students[0]).get(f"{API}/attempts/{attempt.pk}").json()
    assert body["writing"] == [
        {"question_id": task1.pk, "words": 5, "criteria": None, "band": None, "comment": None},
        {"question_id": task2.pk, "words": 0, "criteria": None, "band": None, "comment": None},
    ]
    teachers = listen(attempt.session_id)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(attempt=attempt)
    attempt.refresh_from_db()
    assert (attempt.score, attempt.band) == (None, None)
    submitted = [m for m in teachers.messages() if m["type"] == "attempt_submitted"]
    assert (submitted[0]["score"], submitted[0]["band"]) == (None, None)


def test_a_reading_attempt_has_no_writing(attempt_with_work, teacher):
    body = api(teacher).get(f"{API}/attempts/{attempt_with_work.pk}").json()
    assert body["writing"] == []


def test_teachers_mark_both_tasks_and_the_band_follows_the_rules(
    teacher, students, attempt, essays, listen, django_capture_on_commit_callbacks
):
    task1, task2 = essays
    attempt_submit(attempt=attempt)
    teachers = listen(attempt.session_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = _mark(teacher, attempt, task1, {"criteria": criteria(6, 6, 6, 7), "comment": "Clear overview."})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["writing"][0] == {"question_id": task1.pk, "words": 0, "criteria": criteria(6, 6, 6, 7),
                                  "band": 6.0, "comment": "Clear overview."}  # fmt: skip
    assert body["band"] is None, "not every task is marked yet"
    with django_capture_on_commit_callbacks(execute=True):
        body = _mark(teacher, attempt, task2, {"criteria": criteria(6, 7, 7, 7)}).json()
    assert body["writing"][1]["band"] == 6.5 and body["writing"][1]["comment"] == ""
    assert body["band"] == 6.5  # (6 + 2 × 6.5) / 3 = 6.333
    marked = [m for m in teachers.messages() if m["type"] == "writing_marked"]
    assert [(m["student_id"], m["attempt_id"], m["question_id"], m["band"]) for m in marked] == [
        (students[0].pk, attempt.pk, task1.pk, 6.0), (students[0].pk, attempt.pk, task2.pk, 6.5),
    ]  # fmt: skip
    # Marking again replaces: (5.5 + 2 × 6) / 3 = 5.833 → 6.0
    body = _mark(teacher, attempt, task1, {"criteria": criteria(5, 6, 6, 5)}).json()
    assert body["writing"][0]["band"] == 5.5 and body["band"] == 6.0
    assert WritingMark.objects.filter(attempt=attempt).count() == 2
    assert AttemptEvent.objects.filter(attempt=attempt, type="writing_marked").count() == 3


@pytest.mark.parametrize(
    "body, field",
    [
        ({"criteria": criteria(6, 6, 6, 10)}, "criteria.GRA"),
        ({"criteria": criteria(6, 6, -1, 6)}, "criteria.LR"),
        ({"criteria": criteria(6, 6.5, 6, 6)}, "criteria.CC"),
        ({"criteria": criteria("6", 6, 6, 6)}, "criteria.TA"),
        ({"criteria": criteria(True, 6, 6, 6)}, "criteria.TA"),
        ({"criteria": {"TA": 6, "CC": 6, "LR": 6}}, "criteria.GRA"),
        ({"criteria": {**criteria(6, 6, 6, 6), "XX": 1}}, "criteria.XX"),
        ({}, "criteria"),
        ({"criteria": criteria(6, 6, 6, 6), "comment": "x" * 5001}, "comment"),
    ],
)
def test_criteria_are_four_whole_bands(teacher, attempt, essays, body, field):
    attempt_submit(attempt=attempt)
    response = assert_error(_mark(teacher, attempt, essays[0], body), 400, "invalid")
    assert field in response["errors"], response
    assert not WritingMark.objects.exists()


def test_who_may_mark_and_when(teacher, admin_user, make_user, students, attempt, essays, paper):
    task1, _ = essays
    good = {"criteria": criteria(6, 6, 6, 6)}
    assert_error(_mark(teacher, attempt, task1, good), 409, "attempt_not_submitted")
    attempt_submit(attempt=attempt)
    assert_error(_mark(students[0], attempt, task1, good), 403)
    assert_error(_mark(make_user("TEACHER", username="other"), attempt, task1, good), 404)
    assert_error(_mark(None, attempt, task1, good), 401)
    assert_error(_mark(teacher, attempt, paper.questions.get(number=1), good), 404)
    assert _mark(admin_user, attempt, task1, good).status_code == 200
    with pytest.raises(Exception) as refused:
        attempt_mark_writing(attempt=attempt, question_id=task1.pk, criteria=criteria(6, 6, 6, 6),
                             by=make_user("TEACHER", username="stranger"))  # fmt: skip
    assert getattr(refused.value, "status_code", None) == 403


def test_a_student_sees_the_marks_once_all_tasks_are_marked_and_released(teacher, students, attempt, essays):
    task1, task2 = essays
    _answer(students[0], attempt, task1, "Visitors rose.")
    attempt_submit(attempt=attempt)
    for question, marks in ((task1, (7, 7, 7, 7)), (task2, (6, 6, 6, 6))):
        attempt_mark_writing(attempt=attempt, question_id=question.pk, criteria=criteria(*marks), comment="ok",
                             by=teacher)  # fmt: skip
        own = api(students[0]).get(f"{API}/attempts/{attempt.pk}").json()
        assert own["band"] is None
        assert [(w["criteria"], w["band"], w["comment"]) for w in own["writing"]] == [(None, None, None)] * 2
        assert [w["words"] for w in own["writing"]] == [2, 0]
    session = attempt.session
    session_complete(session=session)
    session_release_results(session=session, by=teacher)
    own = api(students[0]).get(f"{API}/attempts/{attempt.pk}").json()
    assert own["band"] == 6.5  # (7 + 12) / 3 = 6.333
    assert [w["band"] for w in own["writing"]] == [7.0, 6.0] and own["writing"][0]["comment"] == "ok"


def test_released_but_half_marked_shows_nothing(teacher, students, attempt, essays):
    attempt_submit(attempt=attempt)
    attempt_mark_writing(attempt=attempt, question_id=essays[0].pk, criteria=criteria(7, 7, 7, 7), by=teacher)
    session_complete(session=attempt.session)
    session_release_results(session=attempt.session, by=teacher)
    own = api(students[0]).get(f"{API}/attempts/{attempt.pk}").json()
    assert own["band"] is None and own["writing"][0]["band"] is None
    staff = api(teacher).get(f"{API}/attempts/{attempt.pk}").json()
    assert staff["writing"][0]["band"] == 7.0 and staff["band"] is None
