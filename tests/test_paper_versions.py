"""Papers never change under a session: once a session using a version has started, an edit (REST, the services,
the admin) makes the next version, with new ids, which later sessions use; the started session keeps marking,
showing and exporting its own."""

import pytest
from django.urls import reverse

from attempts.services import attempt_answer, attempt_submit
from conftest import paper_data
from exams.models import Passage, Question, Test
from exams.services import test_edit, test_set_band_table
from sessions_app.selectors import session_stats
from sessions_app.services import session_complete, session_create
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db


def content_of(test: Test) -> list:
    """Everything of a version a student or a mark depends on, ids included."""
    return [
        (p.pk, p.order, p.title, p.text, [(q.pk, q.number, q.type, q.prompt, q.options, q.answers) for q in
                                         p.questions.order_by("number")])
        for p in test.passages.order_by("order")
    ]  # fmt: skip


def edited(paper: Test, **changes) -> dict:
    data = paper_data()
    data["passages"][0]["questions"][0]["answers"] = ["FALSE"]  # the key of question 1 changes
    return {**data, **changes}


def test_editing_a_paper_no_session_started_changes_it_in_place(paper, session, teacher):
    version = test_edit(test=paper, by=teacher, **edited(paper, title="Renamed"))
    assert version.pk == paper.pk and version.version == 1
    assert Test.objects.of_paper(paper.pk).count() == 1
    assert Question.objects.get(test=paper, number=1).answers == ["FALSE"]


def test_an_edit_after_a_session_started_makes_a_new_version_the_started_session_never_sees(
    running_session, paper, teacher, students, school_class
):
    attempt = running_session.attempts.get(student=students[0])
    attempt_answer(attempt=attempt, question_id=paper.questions.get(number=1).pk, answer="TRUE")
    before = content_of(paper)
    waiting = session_create(
        school_class=school_class, test=paper, title="Next week", scheduled_at=running_session.scheduled_at,
        created_by=teacher, passage_ids=[paper.passages.get(order=1).pk],
    )  # fmt: skip

    version = test_edit(test=paper, by=teacher, **edited(paper, time_limit_minutes=2))

    paper.refresh_from_db()
    assert content_of(paper) == before and paper.time_limit_minutes == 60 and not paper.is_latest
    assert version.pk != paper.pk and version.version == 2 and version.paper_id == paper.pk and version.is_latest
    assert not set(version.questions.values_list("pk", flat=True)) & set(paper.questions.values_list("pk", flat=True))
    running_session.refresh_from_db()
    assert running_session.test_id == paper.pk and running_session.duration_minutes == 60
    waiting.refresh_from_db()
    assert waiting.test_id == version.pk, "a session not started follows the latest version"
    assert [p.order for p in waiting.paper_passages()] == [1], "by the passages' positions"

    attempt_submit(attempt=attempt)
    attempt.refresh_from_db()
    assert attempt.score == 1, "marked with the key of its own version (TRUE), not the new one (FALSE)"
    assert [q["question_id"] for q in session_stats(running_session)["questions"]] == list(
        paper.questions.order_by("number").values_list("pk", flat=True)
    )


def test_a_band_table_patch_on_a_used_paper_is_a_new_version(running_session, paper, teacher):
    table = [[30, 7.0], [0, 1.0]]
    version = test_set_band_table(test=paper, band_table=table, by=teacher)
    paper.refresh_from_db()
    assert paper.band_table is None and version.band_table == table and version.version == 2


def test_the_api_shows_the_latest_version_its_history_and_an_older_one(running_session, paper, teacher):
    client = api(teacher)
    response = client.patch(f"{API}/tests/{paper.pk}", {"band_table": [[0, 1.0]]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == paper.pk and body["version"] == 2 and body["band_table"] == [[0, 1.0]]
    assert [(v["version"], v["sessions"]) for v in body["versions"]] == [(1, 1), (2, 0)]
    latest = client.get(f"{API}/tests/{paper.pk}").json()
    assert latest["version"] == 2 and latest["passages"][0]["id"] != paper.passages.first().pk
    older = client.get(f"{API}/tests/{paper.pk}?version=1").json()
    assert older["version"] == 1 and older["band_table"] is None
    assert older["passages"][0]["id"] == paper.passages.order_by("order").first().pk
    assert_error(client.get(f"{API}/tests/{paper.pk}?version=7"), 404)
    listed = client.get(f"{API}/tests").json()
    assert [t["id"] for t in (listed["results"] if isinstance(listed, dict) else listed)] == [paper.pk]
    session = client.get(f"{API}/sessions/{running_session.pk}").json()
    assert session["test_id"] == paper.pk and session["test_version"] == 1


def test_a_session_created_after_an_edit_uses_the_new_version_under_the_same_test_id(
    running_session, paper, teacher, school_class
):
    test_set_band_table(test=paper, band_table=[[0, 1.0]], by=teacher)
    response = api(teacher).post(
        f"{API}/sessions",
        {"class_id": school_class.pk, "test_id": paper.pk, "title": "Later", "scheduled_at": "2026-12-10T09:00:00Z"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["test_id"] == paper.pk and response.json()["test_version"] == 2


def test_a_student_reads_the_version_of_their_session(running_session, paper, teacher, students):
    test_edit(test=paper, by=teacher, **edited(paper, title="Changed later"))
    body = api(students[0]).get(f"{API}/tests/{paper.pk}").json()
    assert body["id"] == paper.pk and body["title"] == "Academic Reading 1" and body["version"] == 1
    assert [p["id"] for p in body["passages"]] == list(paper.passages.order_by("order").values_list("pk", flat=True))
    assert "answers" not in str(body)


def test_deleting_a_paper_a_session_uses_is_refused_and_changes_nothing(session, paper, admin_user, teacher):
    assert_error(api(teacher).delete(f"{API}/tests/{paper.pk}"), 403)
    assert_error(api(admin_user).delete(f"{API}/tests/{paper.pk}"), 409, "paper_in_use")
    assert Test.objects.filter(pk=paper.pk).exists()
    session.delete()
    assert api(admin_user).delete(f"{API}/tests/{paper.pk}").status_code == 204
    assert not Test.objects.filter(pk=paper.pk).exists() and not Passage.objects.filter(test_id=paper.pk).exists()


def test_an_admin_edit_of_a_used_paper_makes_a_new_version_and_the_results_stay(
    client, running_session, paper, teacher, students
):
    attempt = running_session.attempts.get(student=students[0])
    attempt_answer(attempt=attempt, question_id=paper.questions.get(number=1).pk, answer="TRUE")
    session_complete(session=running_session)
    before = content_of(paper)
    stats_before = session_stats(running_session)
    client.force_login(teacher)
    url = reverse("admin:exams_test_change", args=[paper.pk])
    data = admin_post_data(client.get(url))
    data["title"] = "Edited in the admin"
    data["questions-0-answers"] = '["FALSE"]'
    data["time_limit_minutes"] = "2"
    response = client.post(url, data)
    assert response.status_code == 302

    paper.refresh_from_db()
    assert content_of(paper) == before and paper.title == "Academic Reading 1" and paper.time_limit_minutes == 60
    latest = Test.objects.of_paper(paper.pk).get(is_latest=True)
    assert latest.version == 2 and latest.title == "Edited in the admin" and latest.time_limit_minutes == 2
    assert latest.questions.get(number=1).answers == ["FALSE"]
    assert session_stats(running_session) == stats_before
    running_session.refresh_from_db()
    assert running_session.duration_minutes == 60


def admin_post_data(response) -> dict:
    """The admin change form's own values, as the browser would post them back."""
    data = {}
    adminform = response.context["adminform"]
    for name, field in adminform.form.fields.items():
        value = adminform.form.initial.get(name, field.initial)
        if value is not None:
            data[name] = field.prepare_value(value) if hasattr(field, "prepare_value") else value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, management[name].value())
        for form in formset.formset.forms:
            data[f"{form.prefix}-id"] = form.instance.pk
            for name, field in form.fields.items():
                value = form.initial.get(name)
                if value is None:
                    continue
                if hasattr(value, "pk"):
                    value = value.pk
                data[f"{form.prefix}-{name}"] = field.prepare_value(value)
    return {key: ("" if value is None else value) for key, value in data.items()}


def test_a_question_changed_alone_in_the_admin_changes_only_the_next_version(client, running_session, paper, teacher):
    question = paper.questions.get(number=1)
    client.force_login(teacher)
    url = reverse("admin:exams_question_change", args=[question.pk])
    data = {"test": paper.pk, "number": 1, "passage": question.passage_id, "type": question.type,
            "prompt": "Changed later", "options": "[]", "answers": '["FALSE"]', "word_limit": ""}  # fmt: skip
    assert client.post(url, data).status_code == 302
    question.refresh_from_db()
    assert question.prompt == "Question 1" and question.answers == ["TRUE"]
    latest = Test.objects.of_paper(paper.pk).get(is_latest=True)
    copied = latest.questions.get(number=1)
    assert latest.version == 2 and copied.prompt == "Changed later" and copied.answers == ["FALSE"]
    assert copied.passage.test_id == latest.pk
    # The admin's lists show the latest version's rows only.
    changelist = client.get(reverse("admin:exams_question_changelist")).context["cl"].result_list
    assert {q.test_id for q in changelist} == {latest.pk}


def test_deleting_a_later_version_in_the_admin_is_refused_while_an_earlier_one_is_used(
    client, running_session, paper, admin_user
):
    latest = test_set_band_table(test=paper, band_table=[[0, 1.0]], by=admin_user)
    client.force_login(admin_user)
    response = client.post(reverse("admin:exams_test_delete", args=[latest.pk]), {"post": "yes"})
    assert response.status_code == 200 and response.context["protected"]
    assert Test.objects.of_paper(paper.pk).count() == 2
