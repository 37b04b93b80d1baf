"""Who is connected right now: joins, leaves, "seen recently" touches, and the live counts they change.

Every presence writer locks the participants it changes through `lock_participants` (in pk order, before any of
their live connections is inserted or deleted), so two writers never wait on each other in a cycle.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import Count

from accounts.models import User
from attempts.models import Attempt, AttemptEvent, AttemptStatus
from attempts.services import attempt_create
from ielts_site.clock import now
from ielts_site.errors import Conflict, Forbidden
from realtime.events import Audience, publish_on_commit
from sessions_app.models import ConnectionStatus, LiveConnection, Participant, Session, SessionStatus
from sessions_app.selectors import session_live_counts, sessions_live_counts


def lock_participants(participants) -> list[Participant]:
    """Lock these participants (with their students) as every presence writer does: in pk order, before any of
    their live connections is inserted or deleted, so that two writers never wait on each other in a cycle."""
    return list(participants.select_for_update(of=("self",)).select_related("student").order_by("pk"))


def publish_presence(session_id, event_type: str, student: User) -> None:
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


def publish_live_stats(*session_ids) -> None:
    """`real_time_stats` of each of these sessions, counted in one query."""
    for session_id, counts in sessions_live_counts(session_ids).items():
        publish_on_commit(session_id, "real_time_stats", audience=Audience.TEACHERS, **counts)


def live_stats_changed(sender, *, session_id=None, session_ids=(), **kwargs) -> None:
    """Receiver of attempts.signals.attempt_counts_changed: one session's counts, or many sessions' at once."""
    publish_live_stats(*session_ids, *([session_id] if session_id is not None else []))


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
    open_elsewhere = LiveConnection.objects.filter(participant=participant).exclude(channel_name=channel_name).count()
    if open_elsewhere >= MAX_SOCKETS_PER_STUDENT:
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
    if session.is_running:
        attempt = attempt_create(session=session, student=student)
        if first_connection:
            _back_online(attempt, moment)
    if first_connection:
        publish_presence(session.pk, "participant_joined", student)
    else:
        _publish_connections(session.pk, student, open_elsewhere + 1)
    return participant, attempt, first_connection


def _back_online(attempt: Attempt, moment) -> None:
    """The student is back: the offline stretch of their open attempt ends, and the log says so."""
    if not attempt.is_open:
        return
    attempt.end_offline_stretch(moment)
    attempt.save(update_fields=["offline_seconds", "offline_since"])
    AttemptEvent.objects.create(attempt=attempt, type="connected", data={}, created_at=moment)


def _publish_connections(session_id, student: User, connections: int) -> None:
    """A student's count of open sockets changed while it is 2 or more, or fell back to 1."""
    publish_on_commit(
        session_id,
        "participant_connections",
        audience=Audience.TEACHERS,
        student_id=student.pk,
        student_name=student.display_name,
        connections=connections,
    )


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
    return refresh_presence([participant]) == 1


def refresh_presence(locked: list[Participant], *, gone_since=None) -> int:
    """Derive these locked participants' state from their live connections (read under the locks, which a join
    takes first too: a student still connected elsewhere stays connected); publish who went offline, with one
    count per session however many went, and the new count of sockets of those still here. Their open attempts'
    offline time counts from `gone_since` (a dead process's last heartbeat), or now. Returns how many went
    offline."""
    shown_connected = [p for p in locked if p.connection_status != ConnectionStatus.DISCONNECTED]
    if not shown_connected:
        return 0
    still_here = dict(
        LiveConnection.objects.filter(participant__in=shown_connected)
        .order_by()
        .values("participant_id")
        .annotate(n=Count("id"))
        .values_list("participant_id", "n")
    )
    for participant in shown_connected:
        if participant.pk in still_here:
            _publish_connections(participant.session_id, participant.student, still_here[participant.pk])
    offline = [p for p in shown_connected if p.pk not in still_here]
    if not offline:
        return 0
    moment = now()
    Participant.objects.filter(pk__in=[p.pk for p in offline]).update(
        connection_status=ConnectionStatus.DISCONNECTED, last_activity=moment
    )
    _offline_from(offline, gone_since or moment)
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


def _offline_from(participants: list[Participant], moment) -> None:
    """These students went offline at `moment`: their open attempts in running, unpaused sessions start counting
    offline time (one statement), and each attempt's log says so."""
    pairs = {(p.session_id, p.student_id) for p in participants}
    candidates = Attempt.objects.filter(
        status=AttemptStatus.IN_PROGRESS,
        session__status=SessionStatus.IN_PROGRESS,
        offline_since__isnull=True,
        session_id__in={session_id for session_id, _ in pairs},
        student_id__in={student_id for _, student_id in pairs},
    )
    attempts = [
        pk
        for pk, session_id, student_id in candidates.values_list("pk", "session_id", "student_id")
        if (session_id, student_id) in pairs
    ]
    if not attempts:
        return
    Attempt.objects.filter(pk__in=attempts).update(offline_since=moment)
    AttemptEvent.objects.bulk_create(
        AttemptEvent(attempt_id=pk, type="disconnected", data={}, created_at=moment) for pk in attempts
    )
