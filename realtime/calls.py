"""What the session consumer needs from the database, as plain synchronous calls it wraps in
`database_sync_to_async`: who may connect, joining and leaving, student events through the
attempts services, and the state sync. Writes all go through the services (which publish).
"""

from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime

from attempts.models import Attempt, AttemptStatus, Practice
from attempts.selectors import as_student_sees, attempt_bodies, attempt_is_teacher
from attempts.services import EventOutcome, StudentEvent, attempt_create, attempt_submit, attempts_apply
from ielts_site.clock import iso, now
from ielts_site.errors import ApplicationError, Conflict, Forbidden, NotFound
from realtime import process
from realtime.events import server_message
from realtime.protocol import require_fields
from sessions_app.models import ConnectionStatus, Participant, Session, SessionStatus, remaining_seconds
from sessions_app.selectors import session_is_teacher
from sessions_app.services import participant_connect, participant_disconnect, participants_touch


class Role:
    TEACHER = "teacher"  # the class's teachers and admins: both groups, any session state
    STUDENT = "student"  # a participant: the session group only, while the session is joinable


def connection_role(*, session_id: int, user) -> str:
    """Who this connection is for the session; refuses unknown sessions and users with no access."""
    session = Session.objects.select_related("school_class").filter(pk=session_id).first()
    if session is None:
        raise NotFound("Session not found.")
    if session_is_teacher(session, user):
        return Role.TEACHER
    if user.is_student:
        return Role.STUDENT
    raise Forbidden("You have no access to this session.")


def practice_connection_role(*, attempt_id: int, user) -> str:
    """Who this connection is for a practice attempt: its student, or staff of its class watching; refuses a session's
    attempt (its socket is the session's), unknown attempts and everyone else."""
    attempt = Attempt.objects.select_related("practice__school_class").filter(pk=attempt_id).first()
    if attempt is None or attempt.practice_id is None:
        raise NotFound("Practice attempt not found.")
    if attempt.student_id == user.pk:
        return Role.STUDENT
    if user.is_staff_member and attempt_is_teacher(attempt, user):
        return Role.TEACHER
    raise Forbidden("You have no access to this attempt.")


def practice_connection_allowed(*, attempt_id: int, user_id: int, role: str) -> bool:
    """Whether an open practice socket may stay: its user is active and still has the access it was opened with."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    try:
        return user is not None and practice_connection_role(attempt_id=attempt_id, user=user) == role
    except ApplicationError:
        return False


def connection_allowed(*, session_id: int, user_id: int, role: str) -> bool:
    """Whether an open connection may stay: its user is active, the session still exists and the user still has
    the access the connection was opened with (a student still a participant)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    try:
        current = connection_role(session_id=session_id, user=user)
    except ApplicationError:
        return False
    if current != role:
        return False
    return role != Role.STUDENT or Participant.objects.filter(session_id=session_id, student_id=user_id).exists()


def student_join(*, session_id: int, student, channel_name: str) -> int | None:
    """Mark the student connected (participant_connect publishes `participant_joined`); their attempt id, if any."""
    _, attempt, _ = participant_connect(
        session=session_id, student=student, channel_name=channel_name, server_id=process.server_id()
    )
    process.track(channel_name, session_id=session_id, student=student)
    return attempt.pk if attempt else None


def student_join_with_sync(*, session_id: int, student, channel_name: str) -> tuple[int | None, dict | None]:
    """`student_join` and, when there is an attempt, its `state_sync_response`: one trip for the handshake."""
    attempt_id = student_join(session_id=session_id, student=student, channel_name=channel_name)
    return attempt_id, (state_sync_messages([attempt_id])[attempt_id] if attempt_id is not None else None)


def students_state_sync(requests: list[tuple]) -> list[tuple[int | None, dict | None]]:
    """For (session_id, student, attempt_id or None) requests: each student's attempt (found, or created for a
    start that missed them) and its `state_sync_response`, in a fixed number of queries for all of them (a
    class's consumers all ask at the start)."""
    missing = {(session_id, student.pk) for session_id, student, attempt_id in requests if attempt_id is None}
    found = {}
    if missing:
        found = {
            (session_id, student_id): pk
            for pk, session_id, student_id in Attempt.objects.filter(
                session_id__in={s for s, _ in missing}, student_id__in={u for _, u in missing}
            ).values_list("pk", "session_id", "student_id")
        }
    attempt_ids = []
    for session_id, student, attempt_id in requests:
        if attempt_id is None:
            attempt_id = found.get((session_id, student.pk))
        if attempt_id is None:  # rare: a student who connected as the start ran
            attempt_id = student_attempt_id(session_id=session_id, student=student)
        attempt_ids.append(attempt_id)
    messages = state_sync_messages([pk for pk in attempt_ids if pk is not None])
    return [(pk, messages.get(pk)) if pk is not None else (None, None) for pk in attempt_ids]


def student_leave(*, channel_name: str) -> bool:
    process.untrack(channel_name)
    return participant_disconnect(channel_name=channel_name)


def students_touch(pairs: list[tuple[int, int]]) -> list[None]:
    """Record activity of (session_id, student_id) pairs in one statement."""
    participants_touch(pairs=pairs)
    return [None] * len(pairs)


def student_attempt_id(*, session_id: int, student) -> int | None:
    """The student's attempt; a connected participant of a running session gets one if the start missed them."""
    attempt_id = Attempt.objects.filter(session_id=session_id, student=student).values_list("pk", flat=True).first()
    if attempt_id is not None:
        return attempt_id
    session = Session.objects.filter(pk=session_id, status__in=SessionStatus.RUNNING).first()
    connected = Participant.objects.filter(
        session_id=session_id, student=student, connection_status=ConnectionStatus.CONNECTED
    ).exists()
    if session is None or not connected:
        return None
    return attempt_create(session=session, student=student).pk


# The student events of the contract: the `data` keys each takes (required, optional), as its service names them.
STUDENT_EVENTS = {
    "answer_submitted": (("question_id", "answer"), ()),
    "tab_violation": ((), ("violation_type", "returned", "away_seconds")),
    "text_highlighted": (("passage_id", "text", "position_start", "position_end"), ()),
    "highlight_removed": (("highlight_id",), ()),
    "highlight_noted": (("highlight_id", "note"), ()),
    "question_flagged": (("question_id", "flagged"), ()),
    "progress_update": (("passage_index", "question_index"), ()),
    "submit_attempt": ((), ()),
}


def _service_arguments(attempt_id: int | None, event_type: str, data: dict) -> dict:
    """The keyword arguments of the event's service from `data`; refused while the student has no attempt."""
    required, optional = STUDENT_EVENTS[event_type]
    kwargs = require_fields(data, required, optional)
    if attempt_id is None:
        raise Conflict("You have no attempt yet: wait for the test to start.", code="no_attempt")
    return kwargs


def apply_student_event(*, attempt_id: int | None, event_type: str, data: dict, event_id: str | None) -> EventOutcome:
    """Apply one student event through its service (the same call REST makes, so teachers see the same message)."""
    if event_type != "submit_attempt":
        [outcome] = apply_student_events([(attempt_id, event_type, data, event_id)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    _service_arguments(attempt_id, event_type, data)
    try:
        return attempt_submit(attempt=attempt_id, event_id=event_id)
    except ApplicationError as exc:
        if exc.code != "duplicate_event":
            raise
        # A concurrent copy of this event (another tab) won the race: this one is now a plain resend.
        return attempt_submit(attempt=attempt_id, event_id=event_id)


def apply_student_events(items: list[tuple]) -> list:
    """Apply (attempt_id, event_type, data, event_id) items of the bulk kinds (all but a hand-in) through one
    `attempts_apply` call: an outcome or an exception each, in the order given, as one by one.
    """
    results: list = [None] * len(items)
    events: list[StudentEvent] = []
    positions: list[int] = []
    for position, (attempt_id, event_type, data, event_id) in enumerate(items):
        try:
            kwargs = _service_arguments(attempt_id, event_type, data)
        except ApplicationError as exc:
            results[position] = exc
            continue
        events.append(StudentEvent(attempt_id, event_type, kwargs, event_id, made_at=data.get("made_at")))
        positions.append(position)
    if events:
        try:
            outcomes = attempts_apply(events)
        except ApplicationError as exc:
            if exc.code != "duplicate_event":
                raise
            # A concurrent copy of one of them (another tab, over REST) won the race: now they are resends.
            outcomes = attempts_apply(events)
        for position, outcome in zip(positions, outcomes, strict=True):
            results[position] = outcome
    return results


def state_sync_messages(attempt_ids) -> dict[int, dict]:
    """`state_sync_response` of each attempt: its session's status (a practice attempt's own), the attempt's own
    clock (frozen while the session is paused), and the whole attempt as its student sees it."""
    bodies = attempt_bodies(attempt_ids)
    sessions = Session.objects.select_related("test").in_bulk({body["session_id"] for body in bodies.values()} - {None})
    practices = Practice.objects.select_related("test").in_bulk(
        {body["practice_id"] for body in bodies.values()} - {None}
    )
    moment = now()
    messages = {}
    for attempt_id, body in bodies.items():
        ends_at = parse_datetime(body["ends_at"]) if body["ends_at"] else None
        if body["session_id"] is None:
            occasion, status = practices[body["practice_id"]], body["status"]
            remaining = max(0.0, (ends_at - moment).total_seconds())
        else:
            occasion = sessions[body["session_id"]]
            status = occasion.status
            remaining = remaining_seconds(ends_at, session=occasion, now=moment)
        if body["status"] != AttemptStatus.IN_PROGRESS and remaining is not None:
            remaining = 0.0
        listening = {}
        if occasion.test.is_listening:  # the recording's live position is server_now − audio_started_at
            started = occasion.audio_started_at(moment) if body["session_id"] else parse_datetime(body["started_at"])
            listening["audio_started_at"] = iso(started)
        messages[attempt_id] = server_message(
            "state_sync_response",
            body["session_id"],
            status=status,
            ends_at=body["ends_at"],
            server_now=iso(moment),
            remaining_seconds=round(remaining, 3) if remaining is not None else None,
            attempt=as_student_sees(body, occasion),
            **listening,
        )
    return messages
