"""The two fields the item analysis adds: a question's evidence span (staff only, copied with every version) and a
class's target band, each checked on the way in."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import paper_data
from exams.models import Question, Test
from exams.paper_file import PaperFileRefused, paper_read
from exams.services import test_create, version_for_edit
from sessions_app.services import session_open_waiting_room, session_start
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db


def paper_with_evidence(start=0, end=10, *, on=(0, 0)):
    data = paper_data()
    passage, question = on
    data["passages"][passage]["questions"][question]["evidence"] = {"position_start": start, "position_end": end}
    return data


def test_evidence_is_stored_in_the_questions_own_passage_and_shown_to_staff(teacher):
    response = api(teacher).post(f"{API}/tests", paper_with_evidence(4, 12, on=(1, 0)), format="json")

    assert response.status_code == 201, response.json()
    second_passage = response.json()["passages"][1]
    assert second_passage["questions"][0]["evidence"] == {
        "passage_id": second_passage["id"], "position_start": 4, "position_end": 12,
    }  # fmt: skip
    assert second_passage["questions"][1]["evidence"] is None
    staff_view = api(teacher).get(f"{API}/tests/{response.json()['id']}").json()
    assert staff_view["passages"][1]["questions"][0]["evidence"]["position_end"] == 12


def test_the_whole_passage_is_a_valid_span(teacher):
    text_length = len(paper_data()["passages"][0]["text"])
    response = api(teacher).post(f"{API}/tests", paper_with_evidence(0, text_length), format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    "evidence",
    [
        {"position_start": 5, "position_end": 5},
        {"position_start": 6, "position_end": 5},
        {"position_start": -1, "position_end": 5},
        {"position_start": 0, "position_end": 10_000},
        {"position_start": 0},
        {"position_start": "0", "position_end": "x"},
        "0-5",
        [0, 5],
    ],
)
def test_evidence_outside_its_passage_is_a_400_naming_evidence(teacher, evidence):
    data = paper_data()
    data["passages"][0]["questions"][1]["evidence"] = evidence

    body = assert_error(api(teacher).post(f"{API}/tests", data, format="json"), 400, "invalid")

    assert any(key.startswith("passages.0.questions.1.evidence") for key in body["errors"]), body["errors"]
    assert not Test.objects.exists()


def test_a_span_is_checked_against_its_own_passage_not_a_longer_one(teacher):
    data = paper_data()
    data["passages"][1]["text"] += " A much longer second passage." * 20
    data["passages"][0]["questions"][0]["evidence"] = {"position_start": 0, "position_end": 300}

    body = assert_error(api(teacher).post(f"{API}/tests", data, format="json"), 400, "invalid")
    assert "passages.0.questions.0.evidence" in body["errors"]


def test_a_student_never_sees_the_evidence(running_session, students, teacher):
    question = running_session.test.questions.get(number=1)
    Question.objects.filter(pk=question.pk).update(evidence_start=0, evidence_end=8)

    body = api(students[0]).get(f"{API}/tests/{running_session.test.paper_id}")

    assert body.status_code == 200
    assert "evidence" not in body.content.decode()
    client = Client()
    client.force_login(students[0])
    test_page = client.get(f"/sessions/{running_session.pk}/test/")
    assert test_page.status_code == 200 and "evidence" not in test_page.content.decode()


def test_the_paper_file_takes_evidence_and_reports_its_path():
    paper = paper_read(json.dumps(paper_with_evidence(1, 3)).encode())
    assert paper["passages"][0]["questions"][0]["evidence"] == {"position_start": 1, "position_end": 3}
    with pytest.raises(PaperFileRefused) as refused:
        paper_read(json.dumps(paper_with_evidence(3, 1)).encode())
    assert list(refused.value.errors) == ["passages.0.questions.0.evidence.position_end"]


def test_a_new_version_copies_the_evidence(teacher, session, students, connect_student):
    Question.objects.filter(test=session.test, number=2).update(evidence_start=3, evidence_end=9)
    session_open_waiting_room(session=session)
    connect_student(session, students[0])
    session_start(session=session)

    edit = version_for_edit(session.test)

    assert edit.test.pk != session.test.pk
    copied = edit.test.questions.get(number=2)
    assert (copied.evidence_start, copied.evidence_end) == (3, 9)
    assert copied.evidence["passage_id"] == edit.passage_id(session.test.questions.get(number=2).passage_id)


def test_the_model_refuses_a_span_beyond_its_passage(teacher):
    test = test_create(**paper_data(), created_by=teacher)
    question = test.questions.get(number=1)
    question.evidence_start, question.evidence_end = 0, len(question.passage.text) + 1
    with pytest.raises(ValidationError) as refused:
        question.full_clean()
    assert "evidence_end" in refused.value.message_dict


# ---------------------------------------------------------------- the class's target band


@pytest.mark.parametrize("band", [None, 0, 6.5, 7, 9])
def test_a_class_takes_a_target_band_on_create_and_shows_it(teacher, band):
    response = api(teacher).post(f"{API}/classes", {"name": "Beacon", "target_band": band}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["target_band"] == band


@pytest.mark.parametrize("band", [6.3, -0.5, 9.5, "6.5", True, [6], {"band": 6}, 10])
def test_a_target_band_that_is_not_a_band_is_a_400(teacher, school_class, band):
    client = api(teacher)
    body = assert_error(client.post(f"{API}/classes", {"name": "B", "target_band": band}, format="json"), 400)
    assert "target_band" in body["errors"]
    body = assert_error(client.patch(f"{API}/classes/{school_class.pk}", {"target_band": band}, format="json"), 400)
    assert "target_band" in body["errors"]


def test_put_and_patch_set_and_clear_the_target_band(teacher, school_class):
    client = api(teacher)
    url = f"{API}/classes/{school_class.pk}"

    assert client.patch(url, {"target_band": 6.5}, format="json").json()["target_band"] == 6.5
    assert client.patch(url, {"name": "Renamed"}, format="json").json()["target_band"] == 6.5
    assert client.put(url, {"name": "Renamed", "target_band": 7}, format="json").json()["target_band"] == 7.0
    assert client.patch(url, {"target_band": None}, format="json").json()["target_band"] is None
    school_class.refresh_from_db()
    assert school_class.target_band is None and school_class.name == "Renamed"


def test_the_admin_edits_the_evidence_and_checks_it_against_the_passage(teacher):
    from exams.admin import QuestionForm

    test = test_create(**paper_data(), created_by=teacher)
    question = test.questions.get(number=1)
    data = {"number": 1, "passage": question.passage_id, "type": question.type, "prompt": question.prompt,
            "options": "[]", "answers": '["TRUE"]', "word_limit": "",
            "evidence_start": 2, "evidence_end": 9}  # fmt: skip

    form = QuestionForm(data=data, instance=question)
    assert form.is_valid(), form.errors
    form.save()
    question.refresh_from_db()
    assert question.evidence == {"passage_id": question.passage_id, "position_start": 2, "position_end": 9}

    too_far = QuestionForm(data={**data, "evidence_end": len(question.passage.text) + 1}, instance=question)
    assert not too_far.is_valid() and "evidence_end" in too_far.errors
    half = QuestionForm(data={**data, "evidence_end": ""}, instance=question)
    assert not half.is_valid() and "evidence_end" in half.errors
