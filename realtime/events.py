"""Live events: the one place that names groups and publishes to them. Knows no model.

Services call `publish_on_commit` so a message goes out only if its write really happened;
REST actions and WebSocket student events reach teachers through this same call.
"""

import logging
from enum import StrEnum

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from ielts_site.clock import iso, now
from ielts_site.ops.metrics import PUBLISHES

logger = logging.getLogger(__name__)


def _send_now_only(async_fn, *args) -> bool:
    return False


# Hands a send to the event loop when the caller is a consumer's database thread (realtime.db.call_later_on_loop,
# installed by realtime.apps at start-up); returns False everywhere else, where the send happens in place.
_deferred_send = _send_now_only


def defer_sends_with(deferred_send) -> None:
    global _deferred_send
    _deferred_send = deferred_send


# The channel-layer handler every consumer implements for published messages.
HANDLER_TYPE = "session.event"


class Audience(StrEnum):
    EVERYONE = "everyone"
    TEACHERS = "teachers"


def session_group(session_id) -> str:
    """Every connection to the session: students, teachers and admins."""
    return f"session.{session_id}"


def teachers_group(session_id) -> str:
    """The connections of the session's teachers and of admins."""
    return f"session.{session_id}.teachers"


def student_group(session_id, student_id) -> str:
    """One student's connections to the session (what is for that student alone)."""
    return f"session.{session_id}.student.{student_id}"


def user_group(user_id) -> str:
    """Every connection of one user, to any session (told when the user's access may have changed)."""
    return f"user.{user_id}"


def attempt_group(attempt_id) -> str:
    """The student's connections to their practice attempt (a practice has no session: its socket is the attempt's)."""
    return f"attempt.{attempt_id}"


def attempt_watchers_group(attempt_id) -> str:
    """The staff watching a practice attempt: what a session's teachers hear of an attempt, they hear."""
    return f"attempt.{attempt_id}.teachers"


def home_group(user_id) -> str:
    """One student's home pages ("My sessions"): told when one of their sessions changes. Apart from
    `user_group`, so that a student's sockets to a session never hear of their other sessions."""
    return f"user.{user_id}.home"


# The channel-layer handler every consumer implements for "re-check your access" notices.
ACCESS_CHANGED_TYPE = "access.changed"
# The channel-layer handler a student's consumer implements for "send your student a fresh state sync".
STATE_RESYNC_TYPE = "state.resync"


def group_for(session_id, audience: Audience) -> str:
    return teachers_group(session_id) if audience == Audience.TEACHERS else session_group(session_id)


def server_message(message_type: str, session_id, **fields) -> dict:
    """A flat server → client message of the contract."""
    return {"type": message_type, "session_id": session_id, "timestamp": iso(now()), **fields}


def publish(session_id, message: dict, *, audience: Audience = Audience.EVERYONE) -> None:
    _publish([group_for(session_id, audience)], message)


def _publish(groups: list[str], message: dict) -> None:
    """Every server message to a session's groups goes out here: one publish, whatever the groups and receivers."""
    PUBLISHES.inc()
    event = {"type": HANDLER_TYPE, "message": message}
    for group in groups:
        _send(group, event)


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # A consumer's write on a database pool thread: the event loop sends it after the ones before it, and the
    # thread goes on at once instead of waiting for the loop (realtime/db.py).
    if _deferred_send(layer.group_send, group, event):
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # the database is the log: a lost notification must never undo a write
        message = event.get("message") or {}
        logger.exception("publish failed", extra={"group": group, "event": message.get("type", event["type"])})


def access_changed_on_commit(*, user_ids=(), session_id=None) -> None:
    """Once the transaction commits, tell these users' connections (and every connection to the session) to
    check their access again: a connection that lost it is closed."""
    groups = [user_group(user_id) for user_id in set(user_ids)]
    if session_id is not None:
        groups.append(session_group(session_id))
    for group in groups:
        transaction.on_commit(lambda group=group: _send(group, {"type": ACCESS_CHANGED_TYPE}))


def publish_on_commit(session_id, message_type: str, *, audience: Audience = Audience.EVERYONE, **fields) -> None:
    """Build the message now (its timestamp is the write's), send it once the transaction commits."""
    message = server_message(message_type, session_id, **fields)
    transaction.on_commit(lambda: publish(session_id, message, audience=audience))


def publish_to_student_on_commit(session_id, student_id, message_type: str, /, **fields) -> None:
    """A message for one student (their connections to the session) and the session's teachers, once the
    transaction commits; no other student hears it."""
    message = server_message(message_type, session_id, **fields)
    groups = [student_group(session_id, student_id), teachers_group(session_id)]
    transaction.on_commit(lambda: _publish(groups, message))


def publish_to_students_on_commit(session_id, student_ids, message_type: str, /, **fields) -> None:
    """A message for these students (each on their own connections to the session) alone, once the transaction
    commits."""
    message = server_message(message_type, session_id, **fields)
    groups = [student_group(session_id, student_id) for student_id in student_ids]
    transaction.on_commit(lambda: _publish(groups, message))


def resync_on_commit(session_id, student_ids=None) -> None:
    """Once the transaction commits, have these students' connections (every student's, for None) send their
    student a fresh `state_sync_response`, after the messages published before this call."""
    groups = (
        [session_group(session_id)]
        if student_ids is None
        else [student_group(session_id, student_id) for student_id in student_ids]
    )
    for group in groups:
        transaction.on_commit(lambda group=group: _send(group, {"type": STATE_RESYNC_TYPE}))


def publish_to_attempt_watchers_on_commit(attempt_id, message_type: str, /, **fields) -> None:
    """A teachers' message of a practice attempt (`session_id` null) for the staff watching it, once the transaction
    commits."""
    message = server_message(message_type, None, **fields)
    transaction.on_commit(lambda: _publish([attempt_watchers_group(attempt_id)], message))


def resync_attempt_on_commit(attempt_id) -> None:
    """Once the transaction commits, have the practice attempt's sockets send their student a fresh state sync."""
    transaction.on_commit(lambda: _send(attempt_group(attempt_id), {"type": STATE_RESYNC_TYPE}))


def notify_participants_on_commit(session_id, student_ids, message_type: str, /, **fields) -> None:
    """Once the transaction commits, tell these students' home pages that their session changed."""
    event = {"type": HANDLER_TYPE, "message": server_message(message_type, session_id, **fields)}
    groups = [home_group(student_id) for student_id in set(student_ids)]

    def send_to_each():
        for group in groups:
            _send(group, event)

    transaction.on_commit(send_to_each)
