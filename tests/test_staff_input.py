"""Staff input is validated where it is written, by one set of rules (exams.validation): the API, the admin and the
services (every importer and seed command) refuse an invalid band table, NaN or Infinity, options or answers that
are not lists of strings, and a paper not numbered 1..N; a refusal is a 400 with the contract's body over REST and
a form error in the admin (200, never 500), and nothing is stored."""

import copy

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import paper_data
from exams.models import Question, Test
from exams.services import test_create, test_set_band_table
from exams.validation import band_table_problem
from ielts_site.errors import InvalidInput
from tests.test_admin import form_data
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db

BAD_TABLES = [
    [[39, "nine"]], [[0, 1000]], {"a": 1}, [[30]], "x", [], [[30, 9.3]], [[41, 9]], [[-1, 0]], [[10, 6], [20, 5]],
    [[10, 6], [10, 6]], [[True, 9]], [[39.0, 9]], [[39, None]], [[39, 9, 1]], [[39, 9]] * 42, 7, [None],
]  # fmt: skip
GOOD_TABLES = [None, [[0, 0]], [[39, 9], [37, 8.5], [0, 1]], [[0, 1], [37, 8.5], [39, 9]], [[40, 9.0]],
               [[k, 5] for k in range(41)]]  # fmt: skip
ADMIN_BAD_TEXTS = ['[[39, "nine"]]', "[[0, 1000]]", '{"a": 1}', "NaN", "Infinity", "-Infinity", "[[39, NaN]]",
                   "[[39, Infinity]]", "[[30]]", '"x"', "[[30, 9.3]]"]  # fmt: skip


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("table", BAD_TABLES, ids=repr)
def test_the_one_rule_refuses_every_bad_table(table):
    assert band_table_problem(table) is not None


@pytest.mark.parametrize("table", GOOD_TABLES, ids=repr)
def test_the_one_rule_accepts_the_contracts_tables(table):
    assert band_table_problem(table) is None


# ---------------------------------------------------------------- REST


@pytest.mark.parametrize("table", BAD_TABLES, ids=repr)
def test_the_api_refuses_a_bad_table_on_create_with_the_contracts_body(teacher, table):
    before = Test.objects.count()
    body = assert_error(
        api(teacher).post(f"{API}/tests", {**paper_data(), "band_table": table}, format="json"), 400, "invalid"
    )
    assert any(key == "band_table" or key.startswith("band_table.") for key in body["errors"]), body
    assert Test.objects.count() == before


@pytest.mark.parametrize("table", BAD_TABLES, ids=repr)
def test_the_api_refuses_a_bad_table_on_patch_and_keeps_the_old_one(teacher, paper, table):
    test_set_band_table(test=paper, band_table=[[0, 1], [30, 7]])
    body = assert_error(api(teacher).patch(f"{API}/tests/{paper.pk}", {"band_table": table}, format="json"), 400)
    assert any(key == "band_table" or key.startswith("band_table.") for key in body["errors"]), body
    paper.refresh_from_db()
    assert paper.band_table == [[0, 1], [30, 7]]


@pytest.mark.parametrize("text", ['{"band_table": NaN}', '{"band_table": [[39, Infinity]]}'])
def test_the_api_refuses_nan_and_infinity(teacher, paper, text):
    response = api(teacher).generic("PATCH", f"{API}/tests/{paper.pk}", text, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] in ("parse_error", "invalid")
    paper.refresh_from_db()
    assert paper.band_table is None


def test_the_api_stores_and_shows_a_good_table_and_null_restores_the_default(teacher, paper, students):
    table = [[39, 9], [30, 7], [0, 1]]
    response = api(teacher).patch(f"{API}/tests/{paper.pk}/", {"band_table": table}, format="json")
    assert response.status_code == 200 and response.json()["band_table"] == table
    created = api(teacher).post(f"{API}/tests", {**paper_data(), "band_table": table}, format="json")
    assert created.status_code == 201 and created.json()["band_table"] == table
    assert (
        api(teacher).patch(f"{API}/tests/{paper.pk}", {"band_table": None}, format="json").json()["band_table"] is None
    )
    assert api(students[0]).patch(f"{API}/tests/{paper.pk}", {"band_table": table}, format="json").status_code in (
        403, 404,
    )  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        lambda q: q.update(answers=[]),
        lambda q: q.update(answers=["   "]),
        lambda q: q.update(answers=["x"] * 51),
        lambda q: q.update(options=["A"] * 51),
        lambda q: q.update(answers=["x" * 2001]),
        lambda q: q.update(type="ESSAY"),
        lambda q: q.update(number=99),
    ],
    ids=["no-answer", "blank-answer", "51-answers", "51-options", "long-answer", "bad-type", "numbered-99"],
)
def test_the_api_keeps_the_paper_rules(teacher, change):
    data = paper_data()
    change(data["passages"][0]["questions"][0])
    before = Test.objects.count()
    assert_error(api(teacher).post(f"{API}/tests", data, format="json"), 400)
    assert Test.objects.count() == before


# ---------------------------------------------------------------- services: importers and seed commands


@pytest.mark.parametrize("table", BAD_TABLES + [[[39, float("nan")]], float("inf")], ids=repr)
def test_the_services_refuse_a_bad_table(teacher, table, paper):
    with pytest.raises(InvalidInput, match="band_table"):
        test_create(**paper_data(), band_table=table, created_by=teacher)
    with pytest.raises(InvalidInput, match="band_table"):
        test_set_band_table(test=paper, band_table=table)
    paper.refresh_from_db()
    assert paper.band_table is None and Test.objects.count() == 1


@pytest.mark.parametrize("field, value", [("answers", [1, 2]), ("answers", "B"), ("options", {"A": 1})])
def test_the_services_refuse_options_and_answers_that_are_not_lists_of_strings(teacher, field, value):
    data = copy.deepcopy(paper_data())
    data["passages"][0]["questions"][0][field] = value
    with pytest.raises(InvalidInput):
        test_create(**data, created_by=teacher)
    assert not Test.objects.exists()


def test_the_model_clean_is_the_same_rule(paper):
    paper.band_table = [[39, "nine"]]
    with pytest.raises(ValidationError) as caught:
        paper.full_clean()
    assert "band_table" in caught.value.message_dict
    question = paper.questions.first()
    question.answers = {"a": 1}
    with pytest.raises(ValidationError) as caught:
        question.full_clean()
    assert "answers" in caught.value.message_dict


# ---------------------------------------------------------------- the admin


def admin_url(model, *parts) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/" + "".join(f"{p}/" for p in parts)


@pytest.mark.parametrize("who", ["teacher", "admin_user"])
@pytest.mark.parametrize("text", ADMIN_BAD_TEXTS)
def test_the_admin_shows_a_form_error_for_a_bad_table_and_stores_nothing(request, paper, who, text):
    client = client_for(request.getfixturevalue(who))
    page = client.get(admin_url(Test, paper.pk, "change"))
    data = form_data(page)
    data["band_table"] = text
    response = client.post(admin_url(Test, paper.pk, "change"), data)
    assert response.status_code == 200
    assert "band_table" in response.context["adminform"].form.errors
    paper.refresh_from_db()
    assert paper.band_table is None


def test_the_admin_saves_a_good_table(paper, teacher):
    client = client_for(teacher)
    data = form_data(client.get(admin_url(Test, paper.pk, "change")))
    data["band_table"] = "[[39, 9], [30, 7.5], [0, 0]]"
    assert client.post(admin_url(Test, paper.pk, "change"), data).status_code == 302
    paper.refresh_from_db()
    assert paper.band_table == [[39, 9], [30, 7.5], [0, 0]]


def _question_rows(data) -> list[int]:
    return [i for i in range(int(data["questions-TOTAL_FORMS"]))]


@pytest.mark.parametrize(
    "edit, field",
    [
        ({"number": "99"}, None),  # numbered 1..N: a gap
        ({"type": "ESSAY"}, "type"),
        ({"answers": '{"a": 1}'}, "answers"),
        ({"answers": "[1, 2]"}, "answers"),
        ({"answers": "[NaN]"}, "answers"),
        ({"options": '"B"'}, "options"),
        ({"answers": "[]"}, "answers"),
    ],
    ids=["gap", "type", "dict-answers", "number-answers", "nan-answers", "string-options", "no-answer"],
)
def test_the_admin_keeps_the_papers_rules_in_the_inline(paper, teacher, edit, field):
    client = client_for(teacher)
    data = form_data(client.get(admin_url(Test, paper.pk, "change")))
    first = next(i for i in _question_rows(data) if data[f"questions-{i}-number"] == "1")
    for name, value in edit.items():
        data[f"questions-{first}-{name}"] = value
    before = list(Question.objects.filter(test=paper).order_by("pk").values())
    response = client.post(admin_url(Test, paper.pk, "change"), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][1].formset
    if field is None:
        assert formset.non_form_errors()
    else:
        assert field in formset.forms[first].errors
    assert list(Question.objects.filter(test=paper).order_by("pk").values()) == before


def test_the_admin_adds_question_99_to_a_paper_of_four_nowhere(paper, teacher):
    client = client_for(teacher)
    response = client.post(admin_url(Question, "add"), {
        "test": paper.pk, "number": "99", "passage": paper.passages.first().pk, "type": "SHORT_ANSWER",
        "prompt": "Injected", "options": "[]", "answers": '["x"]', "word_limit": "",
    })  # fmt: skip
    assert response.status_code == 200 and "number" in response.context["adminform"].form.errors
    assert paper.questions.count() == 4
    response = client.post(admin_url(Question, "add"), {
        "test": paper.pk, "number": "5", "passage": paper.passages.first().pk, "type": "SHORT_ANSWER",
        "prompt": "Fifth", "options": "[]", "answers": '["x"]', "word_limit": "",
    })  # fmt: skip
    assert response.status_code == 302 and paper.questions.count() == 5


def test_the_admin_refuses_renumbering_a_question_out_of_1_to_n(paper, teacher):
    client = client_for(teacher)
    question = paper.questions.get(number=2)
    data = form_data(client.get(admin_url(Question, question.pk, "change")))
    data["number"] = "7"
    response = client.post(admin_url(Question, question.pk, "change"), data)
    assert response.status_code == 200 and "number" in response.context["adminform"].form.errors
    question.refresh_from_db()
    assert question.number == 2
