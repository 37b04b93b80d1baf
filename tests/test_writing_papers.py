"""Writing papers over REST: essays' fields and rules, and the image upload (415, 413, 400, 200, versions)."""

import copy

import pytest

from conftest import paper_data
from exams.models import Question, Test
from exams.services import test_create
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api
from tests.writing_support import tiny_png, writing_paper_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def writing_paper(teacher):
    return test_create(**writing_paper_data(), created_by=teacher)


def _essays(body):
    return [q for p in body["passages"] for q in p["questions"]]


def test_staff_create_a_writing_paper_and_see_its_essays(teacher):
    response = api(teacher).post(f"{API}/tests", writing_paper_data(), format="json")
    assert response.status_code == 201, response.json()
    task1, task2 = _essays(response.json())
    assert (task1["type"], task1["task"], task1["min_words"], task1["answers"], task1["image"]) == (
        "ESSAY", 1, 150, [], None,
    )  # fmt: skip
    assert (task2["task"], task2["min_words"]) == (2, 250)


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda d: d["passages"][0]["questions"][0].update(task=None), "passages.0.questions.0.task"),
        (lambda d: d["passages"][0]["questions"][0].update(task=3), "passages.0.questions.0.task"),
        (lambda d: d["passages"][1]["questions"][0].update(min_words=None), "passages.1.questions.0.min_words"),
        (lambda d: d["passages"][1]["questions"][0].update(min_words=0), "passages.1.questions.0.min_words"),
        (lambda d: d["passages"][0]["questions"][0].update(answers=["x"]), "passages.0.questions.0.answers"),
        (lambda d: d["passages"][1]["questions"][0].update(task=1), "passages.1.questions.0.task"),
        (lambda d: d.update(module="ACADEMIC_READING"), "passages.0.questions.0.type"),
    ],
)
def test_essay_rules_are_400_naming_the_field(teacher, change, field):
    data = writing_paper_data()
    change(data)
    body = assert_error(api(teacher).post(f"{API}/tests", data, format="json"), 400, "invalid")
    assert field in body["errors"], body
    assert not Test.objects.exists()


def test_a_writing_paper_holds_only_essays_and_others_need_answers(teacher):
    data = writing_paper_data()
    data["passages"][1]["questions"][0] = {**paper_data()["passages"][0]["questions"][0], "number": 2}
    body = assert_error(api(teacher).post(f"{API}/tests", data, format="json"), 400)
    assert "passages.1.questions.0.type" in body["errors"]
    reading = paper_data()
    reading["passages"][0]["questions"][0]["task"] = 1
    assert "passages.0.questions.0.task" in assert_error(api(teacher).post(f"{API}/tests", reading, format="json"),
                                                         400)["errors"]  # fmt: skip
    reading = paper_data()
    reading["passages"][0]["questions"][0]["answers"] = []
    assert (
        "passages.0.questions.0.answers"
        in assert_error(api(teacher).post(f"{API}/tests", reading, format="json"), 400)["errors"]
    )


def test_the_service_keeps_the_same_rules(teacher):
    from ielts_site.errors import InvalidInput

    data = writing_paper_data()
    data["passages"][1]["questions"][0]["task"] = 1
    with pytest.raises(InvalidInput) as refused:
        test_create(**data)
    assert refused.value.field == "task"


def test_a_student_sees_the_essay_without_keys(writing_paper, running_writing_session, students):
    body = api(students[0]).get(f"{API}/tests/{writing_paper.pk}").json()
    task1 = _essays(body)[0]
    assert set(task1) == {"id", "number", "type", "prompt", "options", "word_limit", "image", "min_words", "task"}
    assert task1["task"] == 1 and task1["min_words"] == 150


# ---------------------------------------------------------------- image upload


def _put(user, test, question, body, content_type="image/png"):
    return api(user).generic(
        "PUT", f"{API}/tests/{test.pk}/questions/{question.pk}/image", body, content_type=content_type
    )


def test_upload_an_image_and_see_its_url(teacher, writing_paper):
    task1 = writing_paper.questions.get(task=1)
    response = _put(teacher, writing_paper, task1, tiny_png())
    assert response.status_code == 200, response.json()
    assert _essays(response.json())[0]["image"] == f"/api/v1/files/questions/{task1.pk}/image"
    task1.refresh_from_db()
    assert task1.image.name.endswith(".png") and task1.image.read() == tiny_png()


def test_a_jpeg_is_taken_too(admin_user, writing_paper):
    task1 = writing_paper.questions.get(task=1)
    assert _put(admin_user, writing_paper, task1, b"\xff\xd8\xff\xe0" + b"\0" * 64, "image/jpeg").status_code == 200


@pytest.mark.parametrize(
    "body, content_type, status, code",
    [
        (tiny_png(), "image/gif", 415, "unsupported_media_type"),
        (tiny_png(), "application/json", 415, "unsupported_media_type"),
        (b"GIF89a....", "image/png", 400, "invalid"),
        (tiny_png(), "image/jpeg", 400, "invalid"),  # a PNG is not the JPEG it says it is
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 1024 * 1024), "image/png", 413, "too_large"),
    ],
)
def test_a_refused_upload_changes_nothing(teacher, writing_paper, body, content_type, status, code):
    task1 = writing_paper.questions.get(task=1)
    assert_error(_put(teacher, writing_paper, task1, body, content_type), status, code)
    task1.refresh_from_db()
    assert not task1.image


def test_just_five_mib_is_taken(teacher, writing_paper):
    task1 = writing_paper.questions.get(task=1)
    png = tiny_png()
    assert _put(teacher, writing_paper, task1, png + b"\0" * (5 * 1024 * 1024 - len(png))).status_code == 200


def test_only_essays_of_the_paper_take_an_image(teacher, writing_paper, paper):
    assert_error(_put(teacher, paper, paper.questions.get(number=1), tiny_png()), 400)
    assert_error(_put(teacher, writing_paper, paper.questions.get(number=1), tiny_png()), 404)


def test_only_the_papers_editors_upload(make_user, students, writing_paper):
    task1 = writing_paper.questions.get(task=1)
    assert_error(_put(students[0], writing_paper, task1, tiny_png()), 403)
    assert_error(_put(make_user("TEACHER", username="other"), writing_paper, task1, tiny_png()), 403)
    assert_error(_put(None, writing_paper, task1, tiny_png()), 401)


def test_an_upload_to_a_paper_in_use_makes_a_new_version(teacher, writing_paper, running_writing_session):
    task1 = writing_paper.questions.get(task=1)
    body = _put(teacher, writing_paper, task1, tiny_png()).json()
    assert body["version"] == 2 and body["id"] == writing_paper.pk
    copied = Question.objects.get(pk=_essays(body)[0]["id"])
    assert copied.pk != task1.pk and copied.image and (copied.task, copied.min_words) == (1, 150)
    task1.refresh_from_db()
    assert not task1.image  # the version the session uses is unchanged
    again = copy.deepcopy(body)
    assert _essays(again)[1]["image"] is None


@pytest.fixture
def running_writing_session(writing_paper, school_class, teacher, students, connect_student):
    from tests.writing_support import start_writing_session

    return start_writing_session(
        paper=writing_paper, school_class=school_class, teacher=teacher, students=students[:1],
        connect_student=connect_student,
    )  # fmt: skip
