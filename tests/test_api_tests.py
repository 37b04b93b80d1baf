"""The test bank over REST: nested create, staff reads with keys, a student's key-less view only while taking it."""

import copy

import pytest
from rest_framework.test import APIClient

from conftest import paper_data
from exams.models import Test
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db


def test_staff_create_a_paper_with_nested_content(teacher):
    response = api(teacher).post(f"{API}/tests", paper_data(passages=2, per_passage=3), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    test = Test.objects.get(pk=body["id"])
    assert body["title"] == "Academic Reading 1" and body["module"] == "ACADEMIC_READING"
    assert body["time_limit_minutes"] == 60 and body["question_count"] == 6
    assert body["created_by"] == teacher.pk
    assert [p["id"] for p in body["passages"]] == list(test.passages.values_list("pk", flat=True))
    numbers = [q["number"] for p in body["passages"] for q in p["questions"]]
    assert numbers == [1, 2, 3, 4, 5, 6]
    assert all(isinstance(q["id"], int) for p in body["passages"] for q in p["questions"])
    first = body["passages"][0]["questions"][0]
    assert first == {
        "id": first["id"], "number": 1, "type": "TRUE_FALSE_NOT_GIVEN", "prompt": "Question 1", "options": [],
        "word_limit": None, "image": None, "min_words": None, "task": None, "answers": ["TRUE"], "evidence": None,
    }  # fmt: skip


def test_an_admin_creates_too_and_the_trailing_slash_is_optional(admin_user):
    assert api(admin_user).post(f"{API}/tests/", paper_data(), format="json").status_code == 201


def test_staff_list_and_retrieve_with_keys(teacher, admin_user, paper):
    for user in (teacher, admin_user):
        listed = api(user).get(f"{API}/tests").json()
        assert [t["id"] for t in listed] == [paper.pk]
        detail = api(user).get(f"{API}/tests/{paper.pk}").json()
        assert detail == listed[0]
        assert detail["passages"][0]["questions"][0]["answers"] == ["TRUE"]
    assert api(teacher).get(f"{API}/tests/{paper.pk}/").status_code == 200


def test_an_unknown_paper_is_404(teacher):
    assert_error(api(teacher).get(f"{API}/tests/999999"), 404, "not_found")
    assert_error(api(teacher).get(f"{API}/tests/nope"), 404)


def _invalid(mutate):
    data = copy.deepcopy(paper_data())
    mutate(data)
    return data


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda d: d.update(title=""), "title"),
        (lambda d: d.update(module="SPEAKING"), "module"),
        (lambda d: d.update(time_limit_minutes=0), "time_limit_minutes"),
        (lambda d: d.update(time_limit_minutes=301), "time_limit_minutes"),
        (lambda d: d.update(passages=[]), "passages"),
        (lambda d: d["passages"][0].update(questions=[]), "passages.0.questions"),
        (lambda d: d["passages"][0]["questions"][0].update(type="ESSAY"), "passages.0.questions.0.type"),
        (lambda d: d["passages"][0]["questions"][0].update(answers=[]), "passages.0.questions.0.answers"),
        (lambda d: d["passages"][1]["questions"][1].update(number=0), "passages.1.questions.1.number"),
        (lambda d: d["passages"][0]["questions"][0].update(word_limit=0), "passages.0.questions.0.word_limit"),
        (lambda d: d["passages"][0].pop("text"), "passages.0.text"),
    ],
)
def test_shape_errors_are_400_with_the_field(teacher, mutate, field):
    body = assert_error(api(teacher).post(f"{API}/tests", _invalid(mutate), format="json"), 400, "invalid")
    assert field in body["errors"], body
    assert not Test.objects.exists()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["passages"][1]["questions"][0].update(number=1),  # a number twice
        lambda d: d["passages"][1]["questions"][1].update(number=9),  # a gap
        lambda d: d["passages"][0]["questions"][0].update(answers=["   "]),  # no real accepted answer
        lambda d: d["passages"][0].update(text="   "),
    ],
)
def test_paper_rules_are_400(teacher, mutate):
    assert_error(api(teacher).post(f"{API}/tests", _invalid(mutate), format="json"), 400)
    assert not Test.objects.exists()


def test_a_body_that_is_not_json_is_400(teacher):
    response = api(teacher).generic("POST", f"{API}/tests", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_students_and_anonymous_may_not_use_the_bank(students, paper):
    assert_error(api(students[0]).get(f"{API}/tests"), 403)
    assert_error(api(students[0]).post(f"{API}/tests", paper_data(), format="json"), 403)
    assert_error(APIClient().get(f"{API}/tests"), 401)
    assert_error(APIClient().get(f"{API}/tests/{paper.pk}"), 401)
    assert_error(APIClient().post(f"{API}/tests", paper_data(), format="json"), 401)


def test_a_student_reads_the_paper_only_while_taking_it_and_never_the_keys(session, students, connect_student, paper):
    from sessions_app.services import session_complete, session_open_waiting_room, session_start

    student, absent = students[0], students[2]
    url = f"{API}/tests/{paper.pk}"
    assert_error(api(student).get(url), 404)  # scheduled
    session_open_waiting_room(session=session)
    connect_student(session, student)
    assert_error(api(student).get(url), 404)  # waiting room
    session_start(session=session)
    response = api(student).get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == paper.pk and body["question_count"] == 4
    assert all("answers" not in q for p in body["passages"] for q in p["questions"])
    assert "answers" not in response.content.decode()
    assert_error(api(absent).get(url), 404)  # a participant without an attempt
    session_complete(session=session)
    assert_error(api(student).get(url), 404)
