"""Session services: every transition legal and illegal, what each publishes, presence and class rules."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from attempts.models import Attempt, AttemptStatus
from attempts.services import attempt_answer, attempt_record_violation
from classes.models import ClassStatus
from ielts_site.errors import Conflict, Forbidden, InvalidInput, NotFound
from sessions_app import services
from sessions_app.models import TRANSITIONS, ConnectionStatus, Participant, Session, SessionStatus
from sessions_app.services import SESSION_ACTIONS, SESSION_ACTIONS_BY_SLUG, InvalidTransition
from tests.controls_support import move_deadlines

pytestmark = pytest.mark.django_db

# How to bring a fresh session to each status, by the teacher's actions.
PATHS = {
    SessionStatus.SCHEDULED: [],
    SessionStatus.WAITING_FOR_STUDENTS: ["start-waiting"],
    SessionStatus.IN_PROGRESS: ["start-waiting", "start"],
    SessionStatus.PAUSED: ["start-waiting", "start", "pause"],
    SessionStatus.COMPLETED: ["start-waiting", "start", "complete"],
    SessionStatus.CANCELLED: ["cancel"],
}


def put_in_status(session, status, connect_student, student):
    """Force a session into `status` through legal transitions only."""
    for slug in PATHS[status]:
        if slug == "start":
            connect_student(session, student)
        SESSION_ACTIONS_BY_SLUG[slug].service(session=session)
    session.refresh_from_db()
    assert session.status == status


@pytest.mark.parametrize("start", list(SessionStatus))
@pytest.mark.parametrize("action", SESSION_ACTIONS, ids=lambda action: action.slug)
def test_every_transition_is_allowed_exactly_when_the_table_says(
    start, action, session, students, connect_student, django_capture_on_commit_callbacks
):
    put_in_status(session, start, connect_student, students[0])
    if start == SessionStatus.WAITING_FOR_STUDENTS and action.slug == "start":
        connect_student(session, students[0])
    before = Session.objects.get(pk=session.pk)
    if TRANSITIONS[start].get(action.to) == action.slug:
        with django_capture_on_commit_callbacks() as published:
            action.service(session=session)
        assert Session.objects.get(pk=session.pk).status == action.to
        assert published, "a transition publishes its events"
    else:
        with pytest.raises(InvalidTransition), django_capture_on_commit_callbacks() as published:
            action.service(session=session)
        after = Session.objects.get(pk=session.pk)
        assert (after.status, after.updated_at) == (before.status, before.updated_at)
        assert published == []


def test_every_edge_of_the_life_cycle_is_an_action_and_every_action_an_edge():
    edges = {(start, to, slug) for start, targets in TRANSITIONS.items() for to, slug in targets.items()}
    actions = {(start, action.to, action.slug) for action in SESSION_ACTIONS for start in action.allowed_from}
    assert edges == actions


def test_a_session_starts_only_with_a_connected_student(session):
    services.session_open_waiting_room(session=session)
    with pytest.raises(Conflict) as refused:
        services.session_start(session=session)
    assert refused.value.code == "no_students_connected"
    assert Session.objects.get(pk=session.pk).status == SessionStatus.WAITING_FOR_STUDENTS


def test_start_gives_connected_students_an_attempt_and_one_shared_clock(
    session, students, connect_student, listen, django_capture_on_commit_callbacks
):
    services.session_open_waiting_room(session=session)
    connect_student(session, students[0])
    connect_student(session, students[1])
    everyone = listen(session.pk, "everyone")
    with django_capture_on_commit_callbacks(execute=True):
        started = services.session_start(session=session)
    assert started.ends_at - started.started_at == timedelta(minutes=60)
    assert set(Attempt.objects.filter(session=session).values_list("student_id", flat=True)) == {
        students[0].pk,
        students[1].pk,
    }
    messages = everyone.messages()
    assert [m["type"] for m in messages] == ["session_started", "session_status_changed"]
    assert sorted(messages[0]["connected_students"]) == sorted([students[0].pk, students[1].pk])
    assert messages[0]["ends_at"].endswith("Z") and messages[0]["session_id"] == session.pk


def test_a_late_joiner_gets_an_attempt_with_the_same_end(running_session, students, connect_student):
    _, attempt, first = connect_student(running_session, students[2])
    assert first and attempt.student == students[2] and attempt.status == AttemptStatus.IN_PROGRESS
    assert attempt.session.ends_at == Session.objects.get(pk=running_session.pk).ends_at


def test_complete_submits_and_marks_every_open_attempt(
    running_session, students, listen, django_capture_on_commit_callbacks
):
    attempt = running_session.attempts.get(student=students[0])
    first = running_session.test.questions.get(number=1)
    attempt_answer(attempt=attempt, question_id=first.pk, answer=first.answers[0])
    teachers = listen(running_session.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_complete(session=running_session)
    attempts = {a.student_id: a for a in running_session.attempts.all()}
    assert attempts[students[0].pk].status == AttemptStatus.SUBMITTED and attempts[students[0].pk].score == 1
    assert attempts[students[1].pk].status == AttemptStatus.SUBMITTED and attempts[students[1].pk].score == 0
    types = teachers.types()
    assert types.count("attempt_submitted") == 2
    assert "session_completed" not in types, "lifecycle events go to everyone, once, not to the teachers' group"


def test_the_clock_completes_a_due_session_once(running_session, settings, listen, django_capture_on_commit_callbacks):
    settings.SESSION_GRACE_SECONDS = 0
    assert services.sessions_due_ids() == []
    move_deadlines(running_session, ends_at=timezone.now() - timedelta(seconds=1))
    everyone = listen(running_session.pk, "everyone")
    assert services.sessions_due_ids() == [running_session.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.session_complete_if_due(session_id=running_session.pk) is True
        assert services.session_complete_if_due(session_id=running_session.pk) is False
    session = Session.objects.get(pk=running_session.pk)
    assert session.status == SessionStatus.COMPLETED
    assert not session.attempts.filter(status=AttemptStatus.IN_PROGRESS).exists()
    completed = [m for m in everyone.messages() if m["type"] == "session_completed"]
    assert len(completed) == 1 and completed[0]["reason"] == "TIME_UP"


def test_the_clock_waits_for_the_grace_period(running_session, settings):
    settings.SESSION_GRACE_SECONDS = 5
    move_deadlines(running_session, ends_at=timezone.now() - timedelta(seconds=2))
    assert services.attempts_due_ids() == []
    assert services.session_complete_if_due(session_id=running_session.pk) is False
    assert Session.objects.get(pk=running_session.pk).status == SessionStatus.IN_PROGRESS


def test_a_session_is_edited_only_while_scheduled(session, connect_student, students):
    services.session_update(session=session, title="Renamed")
    assert Session.objects.get(pk=session.pk).title == "Renamed"
    services.session_open_waiting_room(session=session)
    with pytest.raises(Conflict):
        services.session_update(session=session, title="Too late")
    assert Session.objects.get(pk=session.pk).title == "Renamed"


def test_a_session_in_progress_cannot_be_deleted(running_session):
    with pytest.raises(Conflict):
        services.session_delete(session=running_session)
    services.session_complete(session=running_session)
    services.session_delete(session=running_session)
    assert not Session.objects.filter(pk=running_session.pk).exists()


def test_participants_are_the_class_students_at_creation(session, students):
    assert set(session.participants.values_list("student_id", flat=True)) == {s.pk for s in students}


# ---------------------------------------------------------------- classes and enrolment


def test_archived_class_takes_no_sessions_or_enrolments(school_class, paper, teacher, make_user):
    services.class_archive(school_class=school_class)
    school_class.refresh_from_db()
    assert school_class.status == ClassStatus.ARCHIVED
    with pytest.raises(Conflict):
        services.session_create(
            school_class=school_class, test=paper, title="x", scheduled_at=timezone.now(), created_by=teacher
        )
    with pytest.raises(Conflict):
        services.class_enrol(school_class=school_class, student=make_user("STUDENT"))


@pytest.mark.parametrize("status", [SessionStatus.WAITING_FOR_STUDENTS, SessionStatus.IN_PROGRESS])
def test_archive_is_refused_while_a_session_is_open(status, session, school_class, students, connect_student):
    put_in_status(session, status, connect_student, students[0])
    with pytest.raises(Conflict) as refused:
        services.class_archive(school_class=school_class)
    assert refused.value.code == "session_running"
    school_class.refresh_from_db()
    assert school_class.status == ClassStatus.ACTIVE


def test_a_student_is_enrolled_once_and_only_students(school_class, students, teacher):
    with pytest.raises(Conflict):
        services.class_enrol(school_class=school_class, student=students[0])
    with pytest.raises(InvalidInput):
        services.class_enrol(school_class=school_class, student=teacher)
    assert school_class.enrolments.count() == 3


def test_a_student_enrolled_later_joins_sessions_not_yet_started(session, school_class, make_user):
    newcomer = make_user("STUDENT")
    services.class_enrol(school_class=school_class, student=newcomer)
    assert session.participants.filter(student=newcomer).exists()


def test_a_removed_student_leaves_unfinished_sessions_and_their_attempt_is_abandoned(
    running_session, school_class, students
):
    services.class_unenrol(school_class=school_class, student_id=students[0].pk)
    assert not running_session.participants.filter(student=students[0]).exists()
    assert running_session.attempts.get(student=students[0]).status == AttemptStatus.ABANDONED
    with pytest.raises(NotFound):
        services.class_unenrol(school_class=school_class, student_id=students[0].pk)


# ---------------------------------------------------------------- presence


def test_two_tabs_count_as_one_student(session, students, connect_student, listen, django_capture_on_commit_callbacks):
    services.session_open_waiting_room(session=session)
    teachers = listen(session.pk)
    with django_capture_on_commit_callbacks(execute=True):
        connect_student(session, students[0], channel_name="tab-1")
        connect_student(session, students[0], channel_name="tab-2")
    messages = teachers.messages()
    assert [m["type"] for m in messages] == ["participant_joined", "real_time_stats", "participant_connections"]
    assert messages[2]["connections"] == 2, "the second tab is a second connection, not a second student"
    with django_capture_on_commit_callbacks(execute=True):
        services.participant_disconnect(channel_name="tab-1")
    messages = teachers.messages()
    assert [(m["type"], m["connections"]) for m in messages] == [("participant_connections", 1)]
    assert Participant.objects.get(session=session, student=students[0]).is_connected
    with django_capture_on_commit_callbacks(execute=True):
        services.participant_disconnect(channel_name="tab-2")
    messages = teachers.messages()
    assert [m["type"] for m in messages] == ["participant_disconnected", "real_time_stats"]
    assert messages[0]["connected_count"] == 0 and messages[1]["connected"] == 0


def test_a_student_outside_the_session_or_its_open_states_cannot_join(session, students, make_user, connect_student):
    with pytest.raises(Conflict):
        connect_student(session, students[0])  # still SCHEDULED
    services.session_open_waiting_room(session=session)
    with pytest.raises(Forbidden):
        connect_student(session, make_user("STUDENT"))


def test_a_dead_server_process_takes_its_presence_with_it(session, students, settings):
    services.session_open_waiting_room(session=session)
    crashed = services.server_process_register(name="web-1")
    services.participant_connect(session=session, student=students[0], channel_name="a", server_id=crashed)
    services.participant_connect(session=session, student=students[1], channel_name="b", server_id=crashed)
    alive = services.server_process_register(name="web-2")
    services.participant_connect(session=session, student=students[1], channel_name="c", server_id=alive)

    # It restarts under the same name: its old connections are gone, the student also on web-2 stays.
    services.server_process_register(name="web-1")
    connected = set(
        session.participants.filter(connection_status=ConnectionStatus.CONNECTED).values_list("student_id", flat=True)
    )
    assert connected == {students[1].pk}

    # web-2 stops beating: once its heartbeat lapses, a sweep clears it.
    from sessions_app.models import ServerProcess

    ServerProcess.objects.filter(pk=alive).update(last_seen=timezone.now() - timedelta(seconds=60))
    settings.SERVER_DEAD_AFTER_SECONDS = 20
    assert services.server_processes_sweep() == 1
    assert not session.participants.filter(connection_status=ConnectionStatus.CONNECTED).exists()


def test_violations_and_submissions_update_the_teachers_live_counts(
    running_session, students, listen, django_capture_on_commit_callbacks
):
    attempt = running_session.attempts.get(student=students[0])
    teachers = listen(running_session.pk)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_record_violation(attempt=attempt, violation_type="WINDOW_BLUR")
    stats = [m for m in teachers.messages() if m["type"] == "real_time_stats"]
    assert stats[-1] == {**stats[-1], "connected": 2, "submitted": 0, "participants": 3, "violations_total": 1}


@pytest.mark.django_db(transaction=True)
def test_concurrent_joins_of_many_students_are_all_recorded(session, make_user, school_class):
    joiners = [make_user("STUDENT") for _ in range(8)]
    for student in joiners:
        services.class_enrol(school_class=school_class, student=student)
    services.session_open_waiting_room(session=session)
    server_id = services.server_process_register(name="threads")
    barrier = threading.Barrier(len(joiners))
    errors = []

    def join(student):
        try:
            barrier.wait()
            services.participant_connect(
                session=session, student=student, channel_name=f"c{student.pk}", server_id=server_id
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=join, args=(s,)) for s in joiners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    connected = session.participants.filter(connection_status=ConnectionStatus.CONNECTED)
    assert set(connected.values_list("student_id", flat=True)) == {s.pk for s in joiners}
