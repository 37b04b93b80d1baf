"""Admin scope (contract, "Security rules"): a teacher in the admin sees and changes only what is theirs.

Teacher B walks every admin URL of every registered model on teacher A's rows (changelist with filters and query
parameters naming A's class, change, delete, history, password, autocomplete) and gets 403, 404, a redirect or an
empty list, and the database is unchanged; teacher A still renames their student and resets their password (the
reset logged with who did it); an admin keeps full access."""

import logging
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.core import serializers
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from attempts.practice import practice_publish
from classes.models import Class, Enrolment
from classes.services import class_create
from conftest import PASSWORD, paper_data
from exams.models import Passage, Question, Test
from exams.services import test_create
from sessions_app.models import LiveConnection, Participant, ServerProcess, Session
from sessions_app.services import class_enrol, session_create, session_open_waiting_room, session_start
from tests.test_admin import form_data
from tests.writing_support import marked_practice_attempt

pytestmark = pytest.mark.django_db

OUR_APPS = ("accounts", "exams", "classes", "sessions_app", "attempts")
OUR_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in OUR_APPS), key=lambda m: m._meta.label
)
REFUSED = (302, 400, 403, 404)  # a redirect to the index (the admin's "does not exist"), bad lookup, denied, absent
NEW_PASSWORD = "Hx9-another-long-pass"


def url(model, *parts) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/" + "".join(f"{p}/" for p in parts)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scope(running_session, students, teacher, admin_user, paper, make_user, connect_student, attempt_with_work):
    """Teacher A (`teacher`): class Beacon 31, their paper, a running session with an answer, a highlight and a
    violation. Teacher B: class Harbour 12 with one student, their own paper and session."""
    attempt = attempt_with_work

    teacher_b = make_user(Role.TEACHER, username="teacher_b", first_name="Bea", last_name="Other")
    student_b = make_user(Role.STUDENT, username="harbour_pupil", first_name="Hal", last_name="Bour")
    class_b = class_create(name="Harbour 12", created_by=teacher_b)
    class_enrol(school_class=class_b, student=student_b)
    paper_b = test_create(**{**paper_data(), "title": "Harbour paper"}, created_by=teacher_b)
    session_b = session_create(
        school_class=class_b, test=paper_b, title="Harbour mock", scheduled_at=timezone.now(), created_by=teacher_b
    )
    session_open_waiting_room(session=session_b)
    connect_student(session_b, student_b)
    session_start(session=session_b)
    return SimpleNamespace(
        teacher_a=teacher, teacher_b=teacher_b, admin=admin_user, students_a=students, student_b=student_b,
        class_a=running_session.school_class, class_b=class_b, paper_a=paper, paper_b=paper_b,
        session_a=running_session, session_b=session_b, attempt_a=attempt,
        practice_a=practice_publish(school_class=running_session.school_class, test=paper, by=teacher),
        mark_a=marked_practice_attempt(school_class=running_session.school_class, teacher=teacher,
                                       student=students[0]),
    )  # fmt: skip


# One row of teacher A's per registered model: what teacher B must never reach.
A_ROW = {
    "accounts.User": lambda w: w.students_a[0],
    "exams.Test": lambda w: w.paper_a,
    "exams.Passage": lambda w: w.paper_a.passages.first(),
    "exams.Question": lambda w: w.paper_a.questions.first(),
    "classes.Class": lambda w: w.class_a,
    "classes.Enrolment": lambda w: w.class_a.enrolments.first(),
    "sessions_app.Session": lambda w: w.session_a,
    "sessions_app.Participant": lambda w: w.session_a.participants.first(),
    "sessions_app.ServerProcess": lambda w: ServerProcess.objects.first(),
    "sessions_app.LiveConnection": lambda w: LiveConnection.objects.filter(participant__session=w.session_a).first(),
    "attempts.Attempt": lambda w: w.attempt_a,
    "attempts.Answer": lambda w: w.attempt_a.answers.first(),
    "attempts.Highlight": lambda w: w.attempt_a.highlights.first(),
    "attempts.Violation": lambda w: w.attempt_a.violations.first(),
    "attempts.AttemptEvent": lambda w: w.attempt_a.events.first(),
    "attempts.Practice": lambda w: w.practice_a,
    "attempts.WritingMark": lambda w: w.mark_a,
}


def a_only_ids(w) -> dict[str, set]:
    """Per model label, the ids of rows that are A's (or nobody's business of B's)."""
    return {
        "accounts.User": {s.pk for s in w.students_a} | {w.teacher_a.pk, w.admin.pk},
        "exams.Test": {w.paper_a.pk},
        "exams.Passage": set(w.paper_a.passages.values_list("pk", flat=True)),
        "exams.Question": set(w.paper_a.questions.values_list("pk", flat=True)),
        "classes.Class": {w.class_a.pk},
        "classes.Enrolment": set(w.class_a.enrolments.values_list("pk", flat=True)),
        "sessions_app.Session": {w.session_a.pk},
        "sessions_app.Participant": set(w.session_a.participants.values_list("pk", flat=True)),
        "sessions_app.LiveConnection": set(
            LiveConnection.objects.filter(participant__session=w.session_a).values_list("pk", flat=True)
        ),
        "attempts.Attempt": set(w.session_a.attempts.values_list("pk", flat=True)),
    }


def snapshot() -> dict[str, str]:
    """Every row of every model of ours, as text (last_login aside: logging in is not a change)."""
    rows = {}
    for model in OUR_MODELS:
        queryset = model.objects.order_by("pk")
        rows[model._meta.label] = serializers.serialize(
            "json", queryset, fields=[f.name for f in model._meta.concrete_fields if f.name != "last_login"]
        )
    rows["classes.Class.teachers"] = str(list(Class.teachers.through.objects.order_by("pk").values_list()))
    return rows


def assert_hidden(response, w, *, model_label: str, row_id) -> None:
    """A refusal, or a listing without A's row, and nothing on the page that names A's class or students."""
    assert response.status_code in (200, *REFUSED), response.status_code
    if response.status_code != 200:
        return
    if response.context and "cl" in response.context:
        assert row_id not in {row.pk for row in response.context["cl"].result_list}, model_label
    page = response.content.decode()
    for secret in ("Beacon 31", "Dent1", "Dent2", "Dent3", "Monday mock"):
        assert secret not in page, (model_label, secret)


def query_params(w) -> list[str]:
    """Filters and lookups naming A's class, session, paper and student, as a URL bar can send them."""
    return [
        "",
        f"?school_class={w.class_a.pk}",
        f"?school_class__id__exact={w.class_a.pk}",
        f"?school_class__pk__exact={w.class_a.pk}",
        f"?enrolled_classes__id__exact={w.class_a.pk}",
        f"?enrolled_classes={w.class_a.pk}",
        f"?session__id__exact={w.session_a.pk}",
        f"?session__school_class__id__exact={w.class_a.pk}",
        f"?attempt__session__id__exact={w.session_a.pk}",
        f"?test__id__exact={w.paper_a.pk}",
        f"?participant__session__id__exact={w.session_a.pk}",
        f"?q={w.students_a[0].username}",
        "?q=Beacon",
        f"?id={w.students_a[0].pk}",
        f"?pk__in={w.students_a[0].pk},{w.class_a.pk}",
    ]


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_teacher_b_reaches_none_of_teacher_as_rows(scope, model):
    w, label = scope, model._meta.label
    row = A_ROW[label](w)
    assert row is not None, label
    client = client_for(w.teacher_b)
    before = snapshot()

    for params in query_params(w):
        assert_hidden(client.get(url(model) + params), w, model_label=label, row_id=row.pk)

    change = client.get(url(model, row.pk, "change"))
    assert change.status_code in REFUSED, (label, change.status_code)
    posted = {"first_name": "Hacked", "last_name": "Hacked", "title": "Hacked", "name": "Hacked", "text": "Hacked",
              "prompt": "Hacked", "answers": '["HACKED"]', "is_active": "", "band_table": "[[0, 9]]",
              "number": "99"}  # fmt: skip
    assert client.post(url(model, row.pk, "change"), posted).status_code in REFUSED, label
    assert client.get(url(model, row.pk, "delete")).status_code in REFUSED, label
    assert client.post(url(model, row.pk, "delete"), {"post": "yes"}).status_code in REFUSED, label
    history = client.get(url(model, row.pk, "history"))
    assert history.status_code in REFUSED, label
    bulk = client.post(url(model), {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert bulk.status_code in (200, *REFUSED), label

    assert snapshot() == before, label


def test_teacher_b_cannot_reset_or_see_the_password_form_of_as_student(scope, caplog):
    w = scope
    student = w.students_a[0]
    client = client_for(w.teacher_b)
    password_url = f"/admin/accounts/user/{student.pk}/password/"
    assert client.get(password_url).status_code in REFUSED
    response = client.post(password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                          "usable_password": "true", "set-password": ""})  # fmt: skip
    assert response.status_code in REFUSED
    student.refresh_from_db()
    assert student.check_password(PASSWORD) and not student.check_password(NEW_PASSWORD)
    for other in (w.teacher_a, w.admin):  # nor another teacher's or an admin's password
        assert client.post(f"/admin/accounts/user/{other.pk}/password/",
                           {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code in REFUSED  # fmt: skip
        other.refresh_from_db()
        assert other.check_password(PASSWORD)


def test_the_password_service_refuses_a_teacher_of_another_class(scope, caplog):
    from accounts.services import student_password_reset
    from ielts_site.errors import Forbidden

    with caplog.at_level(logging.WARNING, logger="ielts.audit"), pytest.raises(Forbidden):
        student_password_reset(by=scope.teacher_b, student=scope.students_a[0], password=NEW_PASSWORD)
    assert any(r.getMessage() == "password reset refused" and r.by == "teacher_b" for r in caplog.records)
    scope.students_a[0].refresh_from_db()
    assert scope.students_a[0].check_password(PASSWORD)


def autocomplete_urls():
    """Every relation of every registered model whose other end has an admin: the autocomplete lookups."""
    for model in OUR_MODELS:
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and (field.many_to_one or field.many_to_many)):
                continue
            remote = field.remote_field.model
            if remote not in admin.site._registry:
                continue
            yield model, field.name, remote


@pytest.mark.parametrize("source, field_name, remote", list(autocomplete_urls()),
                         ids=lambda v: v._meta.label if isinstance(v, type) else v)  # fmt: skip
def test_autocomplete_lookups_never_list_teacher_as_rows(scope, source, field_name, remote):
    hidden = a_only_ids(scope).get(remote._meta.label, set())
    client = client_for(scope.teacher_b)
    for term in ("", "Beacon", "student", "Dent", "Monday", "Academic"):
        response = client.get(
            "/admin/autocomplete/",
            {"app_label": source._meta.app_label, "model_name": source._meta.model_name, "field_name": field_name,
             "term": term},
        )  # fmt: skip
        assert response.status_code in (200, 403, 404), response.status_code
        if response.status_code == 200:
            shown = {int(item["id"]) for item in response.json()["results"]}
            assert not shown & hidden, (source._meta.label, field_name, term)


def test_filters_offer_teacher_b_only_their_own_classes_sessions_and_papers(scope):
    w = scope
    client = client_for(w.teacher_b)
    for model in (User, Enrolment, Session, Participant, Test, Passage, Question):
        page = client.get(url(model))
        assert page.status_code == 200
        specs = page.context["cl"].filter_specs
        for spec in specs:
            choices = " ".join(str(choice.get("display")) for choice in spec.choices(page.context["cl"]))
            assert "Beacon 31" not in choices and "Monday mock" not in choices, (model, spec.title)
            assert "Academic Reading 1" not in choices, (model, spec.title)
    assert [spec.title for spec in client.get(url(User)).context["cl"].filter_specs] == ["active"]


def test_teacher_b_cannot_enrol_teacher_as_student_to_take_them_over(scope):
    w = scope
    client = client_for(w.teacher_b)
    form = client.get(url(Enrolment, "add")).context["adminform"].form
    assert w.students_a[0] not in form.fields["student"].queryset
    assert set(form.fields["school_class"].queryset) == {w.class_b}
    response = client.post(url(Enrolment, "add"), {"school_class": w.class_b.pk, "student": w.students_a[0].pk})
    assert response.status_code == 200 and "student" in response.context["adminform"].form.errors
    assert not Enrolment.objects.filter(school_class=w.class_b, student=w.students_a[0]).exists()

    inline = client.get(url(Class, w.class_b.pk, "change")).context["inline_admin_formsets"][0].formset.empty_form
    assert w.students_a[0] not in inline.fields["student"].queryset
    assert w.student_b in inline.fields["student"].queryset


def test_teacher_b_schedules_sessions_only_with_their_own_papers(scope):
    form = client_for(scope.teacher_b).get(url(Session, "add")).context["adminform"].form
    assert set(form.fields["test"].queryset) == {scope.paper_b}
    assert set(form.fields["school_class"].queryset) == {scope.class_b}


def test_teacher_b_adds_no_question_or_passage_to_teacher_as_paper(scope):
    w = scope
    client = client_for(w.teacher_b)
    before = snapshot()
    form = client.get(url(Question, "add")).context["adminform"].form
    assert set(form.fields["test"].queryset) == {w.paper_b}
    assert not set(form.fields["passage"].queryset) & set(w.paper_a.passages.all())
    response = client.post(url(Question, "add"), {
        "test": w.paper_a.pk, "number": "99", "passage": w.paper_a.passages.first().pk, "type": "SHORT_ANSWER",
        "prompt": "Injected", "options": "[]", "answers": '["x"]', "word_limit": "",
    })  # fmt: skip
    assert response.status_code == 200 and response.context["adminform"].form.errors
    response = client.post(url(Passage, "add"), {"test": w.paper_a.pk, "order": "9", "title": "X", "text": "Injected"})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert snapshot() == before


# ---------------------------------------------------------------- what teacher A (and an admin) may still do


def test_teacher_a_renames_their_student_and_nothing_else(scope):
    w = scope
    student = w.students_a[0]
    client = client_for(w.teacher_a)
    page = client.get(url(User, student.pk, "change"))
    assert page.status_code == 200
    editable = set(page.context["adminform"].form.fields)
    assert editable == {"first_name", "last_name", "password"}  # the password field is a read-only link
    data = form_data(page)
    data.update({"first_name": "Renamed", "last_name": "Student", "is_active": "", "email": "x@example.com",
                 "username": "taken_over", "role": Role.ADMIN})  # fmt: skip
    assert client.post(url(User, student.pk, "change"), data).status_code == 302
    student.refresh_from_db()
    assert (student.first_name, student.last_name) == ("Renamed", "Student")
    assert student.is_active and student.username == "student1" and student.email == "" and student.is_student


def test_teacher_a_resets_their_students_password_and_the_reset_is_logged(scope, caplog):
    w = scope
    student = w.students_a[0]
    client = client_for(w.teacher_a)
    password_url = f"/admin/accounts/user/{student.pk}/password/"
    assert client.get(password_url).status_code == 200
    with caplog.at_level(logging.INFO, logger="ielts.audit"):
        response = client.post(password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                              "usable_password": "true", "set-password": ""})  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    resets = [r for r in caplog.records if r.getMessage() == "password reset"]
    assert len(resets) == 1
    assert (resets[0].by, resets[0].by_id, resets[0].user_id) == ("teacher", w.teacher_a.pk, student.pk)
    entry = LogEntry.objects.filter(object_id=str(student.pk)).latest("action_time")
    assert entry.user == w.teacher_a and "password" in entry.get_change_message().lower()


def test_teacher_a_finishes_a_student_they_just_created(teacher, make_user):
    client = client_for(teacher)
    response = client.post(url(User, "add"), {"username": "fresh", "password1": NEW_PASSWORD,
                                               "password2": NEW_PASSWORD, "role": Role.STUDENT})  # fmt: skip
    assert response.status_code == 302
    fresh = User.objects.get(username="fresh")
    assert client.get(response.url).status_code == 200  # the change page the add view leads to
    other = client_for(make_user(Role.TEACHER, username="someone_else"))
    assert other.get(url(User, fresh.pk, "change")).status_code in REFUSED


def test_an_admin_keeps_full_access(scope):
    w = scope
    client = client_for(w.admin)
    listing = client.get(url(User) + f"?enrolled_classes__id__exact={w.class_a.pk}")
    assert {row.pk for row in listing.context["cl"].result_list} == {s.pk for s in w.students_a}
    for model in (Test, Passage, Question, Class, Session):
        assert client.get(url(model, A_ROW[model._meta.label](w).pk, "change")).status_code == 200
    reset = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    response = client.post(f"/admin/accounts/user/{w.student_b.pk}/password/", reset)
    assert response.status_code == 302
    w.student_b.refresh_from_db()
    assert w.student_b.check_password(NEW_PASSWORD)
    results = client.get("/admin/autocomplete/", {"app_label": "classes", "model_name": "enrolment",
                                                  "field_name": "student", "term": ""}).json()["results"]  # fmt: skip
    assert {s.pk for s in w.students_a} <= {int(item["id"]) for item in results}
