"""Writes on sessions: the life cycle, presence, and the class rules that involve sessions.

Every transition locks the session row, checks TRANSITIONS and publishes after commit.
"""

import logging
import uuid
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from accounts.models import User
from attempts.models import Attempt, AttemptStatus
from attempts.services import attempt_abandon, attempt_create, attempts_create, attempts_submit_open
from classes.models import Class, Enrolment
from classes.services import class_mark_archived, enrolment_create, enrolment_delete
from exams.models import Test
from ielts_site.clock import iso, now
from ielts_site.errors import Conflict, Forbidden, InvalidInput, NotFound
from realtime.events import Audience, publish_on_commit
from sessions_app.models import (
    LIVE_STATUSES,
    ConnectionStatus,
    LiveConnection,
    Participant,
    ServerProcess,
    Session,
    SessionStatus,
    paper_duration,
)
from sessions_app.selectors import session_live_counts, sessions_live_counts

logger = logging.getLogger(__name__)


class InvalidTransition(Conflict):
    code = "invalid_transition"


class CompletionReason:
    TEACHER = "TEACHER"
    TIME_UP = "TIME_UP"


# ---------------------------------------------------------------- classes (rules that span sessions)


@transaction.atomic
def class_archive(*, school_class: Class) -> Class:
    """Archive a class, refused while one of its sessions has its waiting room or test open."""
    school_class = Class.objects.select_for_update().get(pk=school_class.pk)
    if school_class.sessions.filter(status__in=LIVE_STATUSES).exists():
        raise Conflict("The class has a session waiting or in progress.", code="session_running")
    return class_mark_archived(school_class=school_class)


@transaction.atomic
def class_enrol(*, school_class: Class, student: User) -> Enrolment:
    """Enrol a student; they also join the class's sessions that have not started yet."""
    enrolment = enrolment_create(school_class=school_class, student=student)
    Participant.objects.bulk_create(
        [
            Participant(session=session, student=student)
            for session in school_class.sessions.filter(
                status__in=[SessionStatus.SCHEDULED, SessionStatus.WAITING_FOR_STUDENTS]
            )
        ],
        ignore_conflicts=True,
    )
    return enrolment


@transaction.atomic
def class_unenrol(*, school_class: Class, student_id) -> None:
    """Remove a student; they leave the class's unfinished sessions and any open attempt is abandoned."""
    enrolment_delete(school_class=school_class, student_id=student_id)
    unfinished = school_class.sessions.exclude(status__in=[SessionStatus.COMPLETED, SessionStatus.CANCELLED])
    for attempt in Attempt.objects.filter(
        session__in=unfinished, student_id=student_id, status=AttemptStatus.IN_PROGRESS
    ):
        attempt_abandon(attempt=attempt)
    for participant in _lock_participants(Participant.objects.filter(session__in=unfinished, student_id=student_id)):
        was_connected = participant.is_connected
        session_id = participant.session_id
        participant.delete()
        if was_connected:
            _publish_presence(session_id, "participant_disconnected", participant.student)
        else:
            _publish_live_stats(session_id)


def _lock_participants(participants) -> list[Participant]:
    """Lock these participants (with their students) as every presence writer does: in pk order, before any of
    their live connections is inserted or deleted, so that two writers never wait on each other in a cycle."""
    return list(participants.select_for_update(of=("self",)).select_related("student").order_by("pk"))


# ---------------------------------------------------------------- session life cycle


@transaction.atomic
def session_create(*, school_class: Class, test: Test, title: str, scheduled_at, created_by: User) -> Session:
    if not school_class.is_active:
        raise Conflict("An archived class takes no new sessions.", code="class_archived")
    if not title.strip():
        raise InvalidInput("A session needs a title.")
    session = Session.objects.create(
        school_class=school_class, test=test, title=title.strip(), scheduled_at=scheduled_at, created_by=created_by
    )
    Participant.objects.bulk_create(
        Participant(session=session, student_id=student_id)
        for student_id in school_class.enrolments.values_list("student_id", flat=True)
    )
    return session


@transaction.atomic
def session_update(*, session: Session, title: str | None = None, scheduled_at=None, test: Test | None = None):
    session = _locked(session)
    if not session.is_editable:
        raise Conflict("A session can be changed only while it is scheduled.", code="not_editable")
    if title is not None:
        if not title.strip():
            raise InvalidInput("A session needs a title.")
        session.title = title.strip()
    if scheduled_at is not None:
        session.scheduled_at = scheduled_at
    if test is not None:
        session.test = test
    session.save()
    return session


def _locked(session: Session | int) -> Session:
    session_id = session.pk if isinstance(session, Session) else session
    try:
        return Session.objects.select_for_update(of=("self",)).select_related("test").get(pk=session_id)
    except Session.DoesNotExist as exc:
        raise NotFound("Session not found.") from exc


def _transition(session: Session | int, to: str) -> Session:
    session = _locked(session)
    if not session.can_transition_to(to):
        raise InvalidTransition(
            f"A {session.get_status_display().lower()} session cannot become {SessionStatus(to).label.lower()}."
        )
    session.status = to
    return session


def _publish_status(session: Session) -> None:
    publish_on_commit(session.pk, "session_status_changed", status=session.status)


@transaction.atomic
def session_open_waiting_room(*, session: Session | int) -> Session:
    session = _transition(session, SessionStatus.WAITING_FOR_STUDENTS)
    session.save(update_fields=["status", "updated_at"])
    publish_on_commit(session.pk, "waiting_room_opened")
    _publish_status(session)
    return session


@transaction.atomic
def session_start(*, session: Session | int) -> Session:
    """Start one clock for everyone: each connected student gets an attempt and the same ends_at."""
    session = _transition(session, SessionStatus.IN_PROGRESS)
    connected = list(
        session.participants.filter(connection_status=ConnectionStatus.CONNECTED).values_list("student_id", flat=True)
    )
    if not connected:
        raise Conflict("No student is connected yet.", code="no_students_connected")
    session.started_at = now()
    session.ends_at = session.started_at + paper_duration(session.test.time_limit_minutes)
    session.save(update_fields=["status", "started_at", "ends_at", "updated_at"])
    attempts_create(session=session, student_ids=connected)  # one INSERT for the class
    publish_on_commit(
        session.pk,
        "session_started",
        started_at=iso(session.started_at),
        ends_at=iso(session.ends_at),
        server_now=iso(now()),
        connected_students=connected,
    )
    _publish_status(session)
    return session


def _complete(session: Session, *, reason: str) -> Session:
    session.status = SessionStatus.COMPLETED
    session.completed_at = now()
    session.save(update_fields=["status", "completed_at", "updated_at"])
    attempts_submit_open(session_id=session.pk, reason=reason)
    publish_on_commit(session.pk, "session_completed", completed_at=iso(session.completed_at), reason=reason)
    _publish_status(session)
    return session


@transaction.atomic
def session_complete(*, session: Session | int) -> Session:
    """The teacher ends the test now: every open attempt is submitted and marked."""
    return _complete(_transition(session, SessionStatus.COMPLETED), reason=CompletionReason.TEACHER)


def session_complete_if_due(*, session_id: int) -> bool:
    """Time is up (plus the grace): complete the session once, whichever server process gets here first.

    The conditional UPDATE decides who acts, on SQLite as on PostgreSQL.
    """
    grace = timedelta(seconds=settings.SESSION_GRACE_SECONDS)
    with transaction.atomic():
        claimed = Session.objects.filter(
            pk=session_id, status=SessionStatus.IN_PROGRESS, ends_at__lte=now() - grace
        ).update(status=SessionStatus.COMPLETED, completed_at=now(), updated_at=now())
        if not claimed:
            return False
        session = Session.objects.get(pk=session_id)
        attempts_submit_open(session_id=session.pk, reason=CompletionReason.TIME_UP)
        publish_on_commit(
            session.pk, "session_completed", completed_at=iso(session.completed_at), reason=CompletionReason.TIME_UP
        )
        _publish_status(session)
    logger.info("session completed by the clock", extra={"session_id": session_id})
    return True


def sessions_due_ids() -> list[int]:
    grace = timedelta(seconds=settings.SESSION_GRACE_SECONDS)
    return list(
        Session.objects.filter(status=SessionStatus.IN_PROGRESS, ends_at__lte=now() - grace).values_list(
            "pk", flat=True
        )
    )


@transaction.atomic
def session_cancel(*, session: Session | int) -> Session:
    session = _transition(session, SessionStatus.CANCELLED)
    session.save(update_fields=["status", "updated_at"])
    publish_on_commit(session.pk, "session_cancelled")
    _publish_status(session)
    return session


@transaction.atomic
def session_delete(*, session: Session | int) -> None:
    session = _locked(session)
    if session.status == SessionStatus.IN_PROGRESS:
        raise Conflict("A session in progress cannot be deleted; complete it first.", code="session_in_progress")
    # Before the cascade deletes their connections (a closing socket would otherwise wait on us, and we on it).
    _lock_participants(session.participants.all())
    session.delete()


# ---------------------------------------------------------------- presence


def _publish_presence(session_id, event_type: str, student: User) -> None:
    """A student came or went: that event, then the live counts it changed (counted once for both)."""
    counts = session_live_counts(session_id)
    _publish_student_presence(session_id, event_type, student, connected_count=counts["connected"])
    publish_on_commit(session_id, "real_time_stats", audience=Audience.TEACHERS, **counts)


def _publish_student_presence(session_id, event_type: str, student: User, *, connected_count: int) -> None:
    publish_on_commit(
        session_id,
        event_type,
        audience=Audience.TEACHERS,
        student_id=student.pk,
        student_name=student.display_name,
        connected_count=connected_count,
    )


def _publish_live_stats(*session_ids) -> None:
    """`real_time_stats` of each of these sessions, counted in one query."""
    for session_id, counts in sessions_live_counts(session_ids).items():
        publish_on_commit(session_id, "real_time_stats", audience=Audience.TEACHERS, **counts)


def live_stats_changed(sender, *, session_id=None, session_ids=(), **kwargs) -> None:
    """Receiver of attempts.signals.attempt_counts_changed: one session's counts, or many sessions' at once."""
    _publish_live_stats(*session_ids, *([session_id] if session_id is not None else []))


# A student's open sockets to one session (tabs, devices); the next handshake is refused.
MAX_SOCKETS_PER_STUDENT = 5


@transaction.atomic
def participant_connect(*, session: Session | int, student: User, channel_name: str, server_id: str):
    """A student's connection opens. Returns (participant, attempt or None, first_connection)."""
    session_id = session.pk if isinstance(session, Session) else session
    participant = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("session", "student")
        .filter(session_id=session_id, student=student)
        .first()
    )
    if participant is None:
        raise Forbidden("You are not a participant of this session.", code="not_a_participant")
    session = participant.session
    if not session.is_joinable:
        raise Conflict("The session is not open for students.", code="not_joinable")
    open_elsewhere = LiveConnection.objects.filter(participant=participant).exclude(channel_name=channel_name)
    if open_elsewhere.count() >= MAX_SOCKETS_PER_STUDENT:
        raise Forbidden(
            f"You already have {MAX_SOCKETS_PER_STUDENT} connections to this session: close one first.",
            code="too_many_connections",
        )
    LiveConnection.objects.bulk_create(  # one INSERT ... ON CONFLICT (channel_name) DO UPDATE
        [LiveConnection(channel_name=channel_name, participant=participant, server_id=server_id)],
        update_conflicts=True, unique_fields=["channel_name"], update_fields=["participant", "server"],
    )  # fmt: skip
    first_connection = participant.connection_status != ConnectionStatus.CONNECTED
    moment = now()
    participant.last_activity = moment
    participant.joined_at = participant.joined_at or moment
    participant.connection_status = ConnectionStatus.CONNECTED
    participant.save(update_fields=["last_activity", "joined_at", "connection_status"])
    attempt = None
    if session.status == SessionStatus.IN_PROGRESS:
        attempt = attempt_create(session=session, student=student)
    if first_connection:
        _publish_presence(session.pk, "participant_joined", student)
    return participant, attempt, first_connection


@transaction.atomic
def participant_disconnect(*, channel_name: str) -> bool:
    """A connection closed. The student is disconnected only when their last connection is gone."""
    connection = LiveConnection.objects.filter(channel_name=channel_name).select_related("participant").first()
    if connection is None:
        return False
    participant = (
        Participant.objects.select_for_update(of=("self",)).select_related("student").get(pk=connection.participant_id)
    )
    connection.delete()
    return _refresh_presence([participant]) == 1


def _refresh_presence(locked: list[Participant]) -> int:
    """Derive these locked participants' state from their live connections (read under the locks, which a join
    takes first too: a student still connected elsewhere stays connected); publish who went offline, with one
    count per session however many went. Returns how many went offline."""
    shown_connected = [p for p in locked if p.connection_status != ConnectionStatus.DISCONNECTED]
    if not shown_connected:
        return 0
    still_here = set(
        LiveConnection.objects.filter(participant__in=shown_connected).values_list("participant_id", flat=True)
    )
    offline = [p for p in shown_connected if p.pk not in still_here]
    if not offline:
        return 0
    Participant.objects.filter(pk__in=[p.pk for p in offline]).update(
        connection_status=ConnectionStatus.DISCONNECTED, last_activity=now()
    )
    by_session = defaultdict(list)
    for participant in offline:
        by_session[participant.session_id].append(participant.student)
    live_counts = sessions_live_counts(by_session)
    for session_id, students in by_session.items():
        counts = live_counts[session_id]
        for student in students:
            _publish_student_presence(
                session_id, "participant_disconnected", student, connected_count=counts["connected"]
            )
        publish_on_commit(session_id, "real_time_stats", audience=Audience.TEACHERS, **counts)
    return len(offline)


@transaction.atomic
def participants_touch(*, pairs) -> int:
    """Record that these (session id, student id) participants are active, in pk order, skipping the rows another
    write holds (a join or leave sets the time itself): a touch never waits for, or deadlocks with, presence."""
    pairs = set(pairs)
    if not pairs:
        return 0
    candidates = Participant.objects.filter(
        session_id__in={session_id for session_id, _ in pairs}, student_id__in={student_id for _, student_id in pairs}
    )
    free = [
        pk
        for pk, session_id, student_id in candidates.select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", "session_id", "student_id")
        if (session_id, student_id) in pairs
    ]
    return Participant.objects.filter(pk__in=free).update(last_activity=now())


# ---------------------------------------------------------------- server processes


def server_process_register(*, name: str = "") -> str:
    """Register this process; a restarted process with the same stable name drops its old connections."""
    server_id = uuid.uuid4().hex
    if name:
        for old in ServerProcess.objects.filter(name=name):
            server_process_forget(server_id=old.pk)
    ServerProcess.objects.create(id=server_id, name=name)
    return server_id


def server_process_heartbeat(*, server_id: str, name: str = "") -> None:
    updated = ServerProcess.objects.filter(pk=server_id).update(last_seen=now())
    if not updated:  # swept as dead after a long stall: come back under the same id
        ServerProcess.objects.create(id=server_id, name=name)


# How often a forget starts again because students joined the process while it was locking their participants.
FORGET_ATTEMPTS = 3


def _participants_on(server_id: str) -> set[int]:
    return set(LiveConnection.objects.filter(server_id=server_id).values_list("participant_id", flat=True))


def server_process_forget(*, server_id: str) -> int:
    """Drop a process and the presence it held; returns how many students went offline.

    Locks in the order of every presence writer: the participants (in pk order), then their live connections, then
    the process row. A join locks its participant before it inserts a connection, and a leave before it deletes
    one; deleting the process's connections first (as the cascade would) and locking their participants after
    made a closing connection and a forget of its process wait for each other (a deadlock, seen when a stalled
    process was swept, or left at shutdown, while hundreds of its connections closed)."""
    attempt = 1
    while True:
        with transaction.atomic():
            participant_ids = _participants_on(server_id)
            # In bulk: a large process holds thousands of students, and a sweep runs on a survivor's clock thread.
            locked = _lock_participants(Participant.objects.filter(pk__in=participant_ids))
            # Holding the process row, no new connection can name it (its foreign-key check waits for us).
            list(ServerProcess.objects.select_for_update().filter(pk=server_id).values_list("pk", flat=True))
            joined = _participants_on(server_id) - participant_ids
            if joined and attempt < FORGET_ATTEMPTS:
                attempt += 1
                continue  # students joined it meanwhile: unlock and start again, their participants included
            if joined:  # it keeps taking students: lock the latest few too, out of order, rather than leave them
                locked += _lock_participants(Participant.objects.filter(pk__in=joined))
            LiveConnection.objects.filter(server_id=server_id).delete()
            ServerProcess.objects.filter(pk=server_id).delete()
            return _refresh_presence(locked)


def server_processes_sweep() -> int:
    """Forget every process whose heartbeat has lapsed."""
    cutoff = now() - timedelta(seconds=settings.SERVER_DEAD_AFTER_SECONDS)
    return sum(
        server_process_forget(server_id=server_id)
        for server_id in ServerProcess.objects.filter(last_seen__lt=cutoff).values_list("pk", flat=True)
    )
