"""The Django admin: every page renders for admins and teachers, teachers see only their own classes, sessions and
attempts, and every write (users, classes, enrolments, sessions, transitions) goes through the services."""

from datetime import timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import TEACHERS_GROUP
from attempts.models import Answer, Attempt, AttemptEvent
from attempts.practice import practice_publish
from attempts.services import attempt_record_violation
from classes.models import Class, ClassStatus, Enrolment
from classes.services import class_create
from exams.models import Test
from sessions_app.models import ConnectionStatus, Participant, ServerProcess, Session, SessionStatus
from sessions_app.services import class_enrol, session_create, session_open_waiting_room, session_start
from tests.writing_support import marked_practice_attempt

pytestmark = pytest.mark.django_db

OUR_APPS = ("accounts", "exams", "classes", "sessions_app", "attempts")
OUR_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in OUR_APPS), key=lambda m: m._meta.label
)
TEACHERS_CANNOT_SEE = {"sessions_app.ServerProcess", "sessions_app.LiveConnection"}


def url(model, view="changelist", *args) -> str:
    return (
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        + "".join(f"{a}/" for a in args)
        + ("" if view == "changelist" else f"{view}/")
    )


def transition_url(session_id, transition: str) -> str:
    return f"/admin/sessions_app/session/{session_id}/transition/{transition}/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


class _FormFields(HTMLParser):
    """The values a browser would submit from the admin's change form (inputs, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.in_form = False
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def _add(self, name, value):
        if name and "__prefix__" not in name:
            self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("id") or "").endswith("_form"):
            self.in_form = True
        if not self.in_form:
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file") or (kind in ("checkbox", "radio") and "checked" not in attrs):
                return
            self._add(attrs.get("name"), attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self.select = attrs.get("name")
        elif tag == "option" and self.select and "selected" in attrs:
            self._add(self.select, attrs.get("value", ""))
        elif tag == "textarea":
            self.textarea, self.text = attrs.get("name"), ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self._add(self.textarea, self.text.lstrip("\n"))
            self.textarea = None


def form_data(response) -> dict:
    parser = _FormFields()
    parser.feed(response.content.decode())
    return {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}


@pytest.fixture
def world(running_session, students, teacher, admin_user, paper, make_user, connect_student, attempt_with_work):
    """A row in every model: the teacher's running session with an answer, a highlight, a violation and live
    connections, and another teacher with their own class, student, session and attempt."""
    attempt = attempt_with_work

    other_teacher = make_user(Role.TEACHER, username="other_teacher")
    other_student = make_user(Role.STUDENT, username="other_student")
    other_class = class_create(name="Harbour 12", created_by=other_teacher)
    class_enrol(school_class=other_class, student=other_student)
    other_session = session_create(
        school_class=other_class, test=paper, title="Harbour mock", scheduled_at=timezone.now(),
        created_by=other_teacher,
    )  # fmt: skip
    session_open_waiting_room(session=other_session)
    connect_student(other_session, other_student)
    session_start(session=other_session)
    other_attempt = other_session.attempts.get()
    attempt_record_violation(attempt=other_attempt, event_id="ov1")
    practice_publish(school_class=running_session.school_class, test=paper, by=teacher)
    marked_practice_attempt(school_class=running_session.school_class, teacher=teacher, student=students[0])
    return SimpleNamespace(
        session=running_session, attempt=attempt, other_teacher=other_teacher, other_student=other_student,
        other_class=other_class, other_session=other_session, other_attempt=other_attempt,
    )  # fmt: skip


# ---------------------------------------------------------------- every page renders


def test_every_model_of_ours_is_registered():
    labels = {model._meta.label for model in OUR_MODELS}
    assert labels == {
        "accounts.User", "exams.Test", "exams.Passage", "exams.Question", "classes.Class", "classes.Enrolment",
        "sessions_app.Session", "sessions_app.Participant", "sessions_app.ServerProcess",
        "sessions_app.LiveConnection", "attempts.Attempt", "attempts.Answer", "attempts.Highlight",
        "attempts.Violation", "attempts.AttemptEvent", "attempts.Practice", "attempts.WritingMark",
    }  # fmt: skip


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_an_admin_sees_the_changelist_and_change_page_of_every_model(world, admin_user, model):
    client = client_for(admin_user)
    listing = client.get(url(model))
    assert listing.status_code == 200
    rows = list(listing.context["cl"].result_list)
    assert rows, f"no {model._meta.label} row in the fixture"
    assert client.get(url(model, "change", rows[0].pk)).status_code == 200
    assert client.get(url(model) + "?q=a").status_code == 200


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_a_teacher_sees_the_pages_of_their_own_rows(world, teacher, model):
    client = client_for(teacher)
    listing = client.get(url(model))
    if model._meta.label in TEACHERS_CANNOT_SEE:
        assert listing.status_code == 403
        return
    assert listing.status_code == 200
    rows = list(listing.context["cl"].result_list)
    assert rows
    assert client.get(url(model, "change", rows[0].pk)).status_code == 200


def test_add_pages_render_where_adding_is_allowed(world, admin_user, teacher):
    for user, addable in (
        (admin_user, {"accounts.User", "exams.Test", "exams.Passage", "exams.Question", "classes.Class",
                      "classes.Enrolment", "sessions_app.Session", "attempts.Practice", "attempts.WritingMark"}),
        (teacher, {"accounts.User", "exams.Test", "exams.Passage", "exams.Question", "classes.Class",
                   "classes.Enrolment", "sessions_app.Session", "attempts.Practice", "attempts.WritingMark"}),
    ):  # fmt: skip
        client = client_for(user)
        for model in OUR_MODELS:
            expected = 200 if model._meta.label in addable else 403
            assert client.get(url(model, "add")).status_code == expected, (user, model._meta.label)


def test_the_admin_index_lists_only_what_a_teacher_may_use(world, teacher):
    page = client_for(teacher).get("/admin/").content.decode()
    assert "/admin/sessions_app/session/" in page and "/admin/attempts/attempt/" in page
    assert "/admin/sessions_app/serverprocess/" not in page and "/admin/auth/group/" not in page


# ---------------------------------------------------------------- teachers see only their own rows


@pytest.mark.parametrize(
    "model, mine, theirs",
    [
        (Class, lambda w: w.session.school_class, lambda w: w.other_class),
        (Session, lambda w: w.session, lambda w: w.other_session),
        (Attempt, lambda w: w.attempt, lambda w: w.other_attempt),
        (Enrolment, lambda w: w.session.school_class.enrolments.first(), lambda w: w.other_class.enrolments.get()),
        (Participant, lambda w: w.session.participants.first(), lambda w: w.other_session.participants.get()),
        (AttemptEvent, lambda w: w.attempt.events.first(), lambda w: w.other_attempt.events.first()),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_a_teacher_sees_and_opens_only_their_own_rows(world, teacher, admin_user, model, mine, theirs):
    mine, theirs = mine(world), theirs(world)
    client = client_for(teacher)
    shown = {row.pk for row in client.get(url(model)).context["cl"].result_list}
    assert mine.pk in shown and theirs.pk not in shown
    assert client.get(url(model, "change", mine.pk)).status_code == 200
    response = client.get(url(model, "change", theirs.pk))
    assert response.status_code in (302, 404)
    assert response.status_code == 404 or response.url == "/admin/"
    # an admin sees both
    shown_to_admin = {row.pk for row in client_for(admin_user).get(url(model)).context["cl"].result_list}
    assert {mine.pk, theirs.pk} <= shown_to_admin


def test_a_teacher_sees_the_students_of_their_classes_and_themselves_only(world, teacher, admin_user, students):
    client = client_for(teacher)
    shown = {row.username for row in client.get(url(User)).context["cl"].result_list}
    assert shown == {s.username for s in students} | {teacher.username}  # not other_student (another class)
    assert client.get(url(User, "change", world.other_teacher.pk)).status_code == 302
    assert client.get(url(User, "change", admin_user.pk)).status_code == 302


def test_a_teacher_cannot_start_another_teachers_session(world, teacher):
    session = Session.objects.create(
        school_class=world.other_class, test=world.session.test, title="Theirs", scheduled_at=timezone.now()
    )
    response = client_for(teacher).post(transition_url(session.pk, "start-waiting"))
    assert response.status_code == 404
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED


def test_a_teacher_can_only_schedule_sessions_for_their_own_classes(world, teacher, paper):
    client = client_for(teacher)
    form = client.get(url(Session, "add")).context["adminform"].form
    assert set(form.fields["school_class"].queryset) == {world.session.school_class}
    response = client.post(url(Session, "add"), {
        "title": "Sneaky", "school_class": world.other_class.pk, "test": paper.pk,
        "scheduled_at_0": "2030-01-07", "scheduled_at_1": "20:00:00",
    })  # fmt: skip
    assert response.status_code == 200 and "school_class" in response.context["adminform"].form.errors
    assert not Session.objects.filter(title="Sneaky").exists()


# ---------------------------------------------------------------- writes go through the services


def test_adding_a_session_in_the_admin_creates_its_participants(school_class, paper, teacher, students):
    response = client_for(teacher).post(url(Session, "add"), {
        "title": "Thursday mock", "school_class": school_class.pk, "test": paper.pk,
        "scheduled_at_0": "2030-01-10", "scheduled_at_1": "20:00:00", "results_release": "IMMEDIATE",
    })  # fmt: skip
    assert response.status_code == 302
    session = Session.objects.get(title="Thursday mock")
    assert session.created_by == teacher and session.status == SessionStatus.SCHEDULED
    assert {p.student_id for p in session.participants.all()} == {s.pk for s in students}


def test_status_is_read_only_and_editing_a_scheduled_session_goes_through_the_service(session, teacher):
    client = client_for(teacher)
    page = client.get(url(Session, "change", session.pk))
    assert "status" not in page.context["adminform"].form.fields
    data = form_data(page)
    data.update({"title": "Renamed mock", "status": SessionStatus.COMPLETED})
    assert client.post(url(Session, "change", session.pk), data).status_code == 302
    session.refresh_from_db()
    assert session.title == "Renamed mock" and session.status == SessionStatus.SCHEDULED


def test_a_started_session_cannot_be_edited(world, teacher):
    client = client_for(teacher)
    page = client.get(url(Session, "change", world.session.pk))
    assert not {"title", "scheduled_at", "test", "school_class"} & set(page.context["adminform"].form.fields)
    assert client.post(url(Session, "change", world.session.pk), form_data(page)).status_code == 302
    world.session.refresh_from_db()
    assert world.session.title == "Monday mock" and world.session.status == SessionStatus.IN_PROGRESS


def test_a_stale_form_saved_after_the_session_opened_changes_nothing(session, teacher):
    client = client_for(teacher)
    data = form_data(client.get(url(Session, "change", session.pk)))
    session_open_waiting_room(session=session)  # meanwhile, in another tab
    data["title"] = "Too late"
    response = client.post(url(Session, "change", session.pk), data, follow=True)
    session.refresh_from_db()
    assert session.title == "Monday mock" and session.status == SessionStatus.WAITING_FOR_STUDENTS
    assert response.status_code == 200


def test_the_session_page_links_to_the_teacher_pages_and_offers_legal_transitions(session, teacher):
    page = client_for(teacher).get(url(Session, "change", session.pk)).content.decode()
    assert f'href="/teacher/sessions/{session.pk}/live/"' in page
    assert f'href="/teacher/sessions/{session.pk}/results/"' in page
    assert "Open the waiting room" in page and "Cancel the session" in page
    assert "Start the test" not in page and "Complete now" not in page


def action(client, session_ids, name):
    return client.post(url(Session), {"action": name, "_selected_action": list(session_ids)}, follow=True)


def test_admin_actions_move_sessions_through_the_services(session, teacher, students, connect_student):
    client = client_for(teacher)
    response = action(client, [session.pk], "open_waiting_room")
    session.refresh_from_db()
    assert session.status == SessionStatus.WAITING_FOR_STUDENTS
    assert "Waiting room opened: 1." in messages_of(response)

    response = action(client, [session.pk], "start")
    session.refresh_from_db()
    assert session.status == SessionStatus.WAITING_FOR_STUDENTS
    assert any("No student is connected yet." in m for m in messages_of(response))

    connect_student(session, students[0])
    action(client, [session.pk], "start")
    session.refresh_from_db()
    assert session.status == SessionStatus.IN_PROGRESS and session.ends_at is not None
    assert session.attempts.count() == 1

    action(client, [session.pk], "complete")
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert session.attempts.get().status == "SUBMITTED"


def test_an_illegal_action_shows_the_domain_error_and_changes_nothing(session, teacher):
    response = action(client_for(teacher), [session.pk], "complete")
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
    assert messages_of(response) == [f"{session.title}: A scheduled session cannot become completed."]


def test_the_transition_buttons_call_the_services(session, admin_user):
    client = client_for(admin_user)
    response = client.post(transition_url(session.pk, "cancel"), follow=True)
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert any("Cancelled" in m for m in messages_of(response))
    response = client.post(transition_url(session.pk, "start-waiting"), follow=True)
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert messages_of(response) == ["A cancelled session cannot become waiting for students."]
    assert client.get(transition_url(session.pk, "cancel")).status_code == 405


def test_deleting_a_session_goes_through_the_service(world, admin_user):
    client = client_for(admin_user)
    response = client.post(url(Session, "delete", world.session.pk), {"post": "yes"}, follow=True)
    assert Session.objects.filter(pk=world.session.pk).exists()
    assert "A session in progress cannot be deleted; complete it first." in messages_of(response)
    client.post(url(Session), {"action": "complete", "_selected_action": [world.session.pk]})
    response = client.post(url(Session, "delete", world.session.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Session.objects.filter(pk=world.session.pk).exists()
    assert not Attempt.objects.filter(session_id=world.session.pk).exists()


def test_the_event_log_is_append_only(world, admin_user):
    client = client_for(admin_user)
    event = world.attempt.events.first()
    assert client.get(url(AttemptEvent, "add")).status_code == 403
    assert client.post(url(AttemptEvent, "change", event.pk), {"type": "forged"}).status_code == 403
    assert client.post(url(AttemptEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert client.get(url(AttemptEvent)).context["action_form"] is None  # no bulk delete either
    event.refresh_from_db()
    assert event.type != "forged"
    assert client.post(url(Answer, "delete", world.attempt.answers.get().pk), {"post": "yes"}).status_code == 403


def test_enrolling_in_the_class_inline_goes_through_the_services(session, school_class, teacher, make_user):
    newcomer = make_user(Role.STUDENT, username="newcomer")
    leaver = school_class.enrolments.order_by("student__username").first()
    client = client_for(teacher)
    data = form_data(client.get(url(Class, "change", school_class.pk)))
    total = int(data["enrolments-TOTAL_FORMS"])
    index = [i for i in range(total) if data[f"enrolments-{i}-id"] == str(leaver.pk)][0]
    data[f"enrolments-{index}-DELETE"] = "on"
    data.update({"enrolments-TOTAL_FORMS": str(total + 1), f"enrolments-{total}-student": str(newcomer.pk),
                 f"enrolments-{total}-id": "", f"enrolments-{total}-school_class": str(school_class.pk)})  # fmt: skip
    response = client.post(url(Class, "change", school_class.pk), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    participants = set(session.participants.values_list("student_id", flat=True))
    assert newcomer.pk in participants and leaver.student_id not in participants
    assert set(school_class.enrolments.values_list("student_id", flat=True)) == participants


def test_creating_a_class_makes_the_teacher_its_teacher(teacher, students):
    client = client_for(teacher)
    page = client.get(url(Class, "add"))
    assert page.context["adminform"].form.initial["teachers"] == [teacher.pk]
    response = client.post(url(Class, "add"), {
        "name": "  Beacon 40 ", "description": "", "teachers": [teacher.pk], "enrolments-TOTAL_FORMS": "1",
        "enrolments-INITIAL_FORMS": "0", "enrolments-0-student": students[0].pk,
    })  # fmt: skip
    assert response.status_code == 302
    school_class = Class.objects.get(name="Beacon 40")
    assert list(school_class.teachers.all()) == [teacher]
    assert list(school_class.students.all()) == [students[0]]


def test_archiving_is_refused_while_a_session_is_open(session, school_class, teacher):
    client = client_for(teacher)
    session_open_waiting_room(session=session)
    response = client.post(url(Class), {"action": "archive", "_selected_action": [school_class.pk]}, follow=True)
    school_class.refresh_from_db()
    assert school_class.status == ClassStatus.ACTIVE
    assert messages_of(response) == ["Beacon 31: The class has a session waiting or in progress."]


def test_the_enrolment_admin_enrols_and_unenrols_through_the_services(session, school_class, teacher, make_user):
    newcomer = make_user(Role.STUDENT, username="newcomer")
    client = client_for(teacher)
    response = client.post(url(Enrolment, "add"), {"school_class": school_class.pk, "student": newcomer.pk})
    assert response.status_code == 302
    assert session.participants.filter(student=newcomer).exists()
    enrolment = Enrolment.objects.get(student=newcomer)
    assert client.post(url(Enrolment, "delete", enrolment.pk), {"post": "yes"}).status_code == 302
    assert not session.participants.filter(student=newcomer).exists()


# ---------------------------------------------------------------- users


def test_a_teacher_creates_students_only(teacher):
    client = client_for(teacher)
    form = client.get(url(User, "add")).context["adminform"].form
    assert [value for value, _ in form.fields["role"].choices] == [Role.STUDENT]
    base = {"username": "newbie", "password1": "Xq7-long-pass", "password2": "Xq7-long-pass", "first_name": "Nia"}
    response = client.post(url(User, "add"), {**base, "role": Role.TEACHER})
    assert response.status_code == 200 and "role" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="newbie").exists()
    assert client.post(url(User, "add"), {**base, "role": Role.STUDENT}).status_code == 302
    user = User.objects.get(username="newbie")
    assert user.role == Role.STUDENT and not user.is_staff and user.check_password("Xq7-long-pass")


def test_an_admin_creates_a_teacher_with_staff_flags_and_group(admin_user):
    response = client_for(admin_user).post(url(User, "add"), {
        "username": "newteacher", "password1": "Xq7-long-pass", "password2": "Xq7-long-pass", "role": Role.TEACHER,
    })  # fmt: skip
    assert response.status_code == 302
    user = User.objects.get(username="newteacher")
    assert user.is_staff and not user.is_superuser
    assert user.groups.filter(name=TEACHERS_GROUP).exists()
    assert client_for(user).get(url(Session)).status_code == 200


def test_changing_a_role_in_the_admin_moves_flags_and_groups(admin_user, make_user):
    user = make_user(Role.TEACHER, username="switcher")
    client = client_for(admin_user)
    data = form_data(client.get(url(User, "change", user.pk)))
    data["role"] = Role.STUDENT
    assert client.post(url(User, "change", user.pk), data).status_code == 302
    user.refresh_from_db()
    assert user.role == Role.STUDENT and not user.is_staff
    assert not user.groups.filter(name=TEACHERS_GROUP).exists()

    admin = make_user(Role.ADMIN, username="second_admin")
    data = form_data(client.get(url(User, "change", admin.pk)))
    data["role"] = Role.TEACHER
    client.post(url(User, "change", admin.pk), data)
    admin.refresh_from_db()
    assert admin.effective_role == Role.TEACHER and not admin.is_superuser and admin.is_staff
    assert Group.objects.get(name=TEACHERS_GROUP).user_set.filter(pk=admin.pk).exists()


def test_a_teacher_cannot_change_a_students_role(teacher, students, school_class):
    client = client_for(teacher)
    page = client.get(url(User, "change", students[0].pk))
    assert "role" not in page.context["adminform"].form.fields
    data = form_data(page)
    data.update({"role": Role.ADMIN, "last_name": "Renamed"})
    assert client.post(url(User, "change", students[0].pk), data).status_code == 302
    students[0].refresh_from_db()
    assert students[0].role == Role.STUDENT and students[0].last_name == "Renamed" and not students[0].is_staff


def test_a_session_scheduled_in_the_admin_can_be_tomorrow(school_class, paper, admin_user):
    when = timezone.localtime(timezone.now() + timedelta(days=1))
    response = client_for(admin_user).post(url(Session, "add"), {
        "title": "Tomorrow", "school_class": school_class.pk, "test": paper.pk,
        "scheduled_at_0": when.date().isoformat(), "scheduled_at_1": "09:30:00", "results_release": "MANUAL",
        "time_limit_minutes": "20",
    })  # fmt: skip
    assert response.status_code == 302
    tomorrow = Session.objects.get(title="Tomorrow")
    assert tomorrow.created_by == admin_user and tomorrow.results_release == "MANUAL"
    assert tomorrow.duration_minutes == 20


# ---------------------------------------------------------------- the test bank


def test_a_teacher_authors_a_paper_in_the_admin(teacher, paper):
    client = client_for(teacher)
    response = client.post(url(Test, "add"), {
        "title": "Mock 2", "module": "ACADEMIC_READING", "time_limit_minutes": "60", "band_table": "",
        "passages-TOTAL_FORMS": "1", "passages-INITIAL_FORMS": "0", "passages-0-order": "0",
        "passages-0-title": "Salt", "passages-0-text": "Salt was once paid as wages.",
        "questions-TOTAL_FORMS": "0", "questions-INITIAL_FORMS": "0",
    })  # fmt: skip
    assert response.status_code == 302
    test = Test.objects.get(title="Mock 2")
    assert test.created_by == teacher
    passage = test.passages.get()

    page = client.get(url(Test, "change", test.pk))
    data = form_data(page)
    question_form = page.context["inline_admin_formsets"][1].formset.empty_form
    assert list(question_form.fields["passage"].queryset) == [passage]  # not the other paper's passages
    row = {"questions-TOTAL_FORMS": "1", "questions-0-number": "1", "questions-0-passage": str(passage.pk),
           "questions-0-type": "TRUE_FALSE_NOT_GIVEN", "questions-0-prompt": "Salt was money.",
           "questions-0-options": "[]", "questions-0-word_limit": ""}  # fmt: skip
    response = client.post(url(Test, "change", test.pk), {**data, **row, "questions-0-answers": '"TRUE"'})
    assert response.status_code == 200 and not test.questions.exists()
    response = client.post(url(Test, "change", test.pk), {**data, **row, "questions-0-answers": '["TRUE"]'})
    assert response.status_code == 302
    assert test.questions.get().is_correct("true")
    assert client.post(url(Test, "delete", test.pk), {"post": "yes"}).status_code == 403  # teachers never delete


def test_a_teacher_sees_only_their_own_class_names_beside_students(world, teacher):
    page = client_for(teacher).get(url(User)).content.decode()
    assert "Beacon 31" in page and "Harbour 12" not in page


def test_an_admin_forgets_a_dead_server_process(world, admin_user):
    server = ServerProcess.objects.get(name="pytest")
    assert world.session.participants.filter(connection_status=ConnectionStatus.CONNECTED).count() == 2
    response = client_for(admin_user).post(
        url(ServerProcess), {"action": "forget", "_selected_action": [server.pk]}, follow=True
    )
    assert "Forgot the selected processes; 3 student(s) went offline." in messages_of(response)
    assert not world.session.participants.filter(connection_status=ConnectionStatus.CONNECTED).exists()
    assert not ServerProcess.objects.filter(pk=server.pk).exists()
