"""The teacher's live controls: pause and resume, extra time (one attempt or the class), finish or reopen one
attempt, messages, violation reviews.

Each locks what it changes (the session before its attempts, attempts in pk order, as every writer does), checks
the state, writes the attempts' event logs (who, when, why) and publishes after commit. A student whose attempt or
clock changed gets a fresh state sync right after the event that says so.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import F

from accounts.models import User
from attempts.models import Attempt, AttemptEvent, AttemptStatus, Verdict, Violation
from attempts.selectors import attempt_loaded
from attempts.services import attempts_close, open_attempts_locked
from attempts.signals import attempt_counts_changed
from ielts_site.clock import iso, now
from ielts_site.errors import Conflict, InvalidInput, NotFound
from realtime.events import Audience, publish_on_commit, publish_to_student_on_commit, resync_on_commit
from sessions_app.models import ConnectionStatus, Participant, Session, SessionStatus, TeacherMessage
from sessions_app.services.lifecycle import CompletionReason, _locked, _publish_status, _transition

# The contract's bounds: a correction of up to an hour, a gift of up to five hours.
EXTRA_SECONDS = range(-3600, 18001)
REOPEN_SECONDS = range(1, 18001)
MAX_TEXT_CHARS = 500


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, field=field)


def _check_seconds(seconds, allowed: range, *, zero_allowed: bool = True) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise _invalid("seconds", "A whole number of seconds is required.")
    if seconds not in allowed or (seconds == 0 and not zero_allowed):
        raise _invalid("seconds", f"Must be from {allowed[0]} to {allowed[-1]}" + ("" if zero_allowed else ", not 0."))
    return seconds


def _reason(reason) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_TEXT_CHARS:
        raise _invalid("reason", f"At most {MAX_TEXT_CHARS} characters.")
    return reason


def _log(attempts, event_type: str, by: User, moment, **data) -> None:
    AttemptEvent.objects.bulk_create(
        AttemptEvent(attempt=attempt, type=event_type, data={"by": by.pk if by else None, **data}, created_at=moment)
        for attempt in attempts
    )


def _locked_attempt(attempt: Attempt | int) -> Attempt:
    """The attempt, locked after its session (the order every control locks them in)."""
    attempt_id = attempt.pk if isinstance(attempt, Attempt) else attempt
    found = Attempt.objects.filter(pk=attempt_id).values_list("session_id", flat=True)
    if not found:
        raise NotFound("Attempt not found.")
    [session_id] = found
    if session_id is None:
        raise Conflict("A practice attempt runs on its own clock: a session's controls do not apply.", code="practice")
    session = _locked(session_id)
    locked = Attempt.objects.select_for_update(of=("self",)).select_related("student", "test").get(pk=attempt_id)
    locked.session = session
    return locked


def _require_open_attempt(attempt: Attempt) -> None:
    if not attempt.is_open:
        raise Conflict(f"The attempt is {attempt.get_status_display().lower()}.", code="attempt_closed")


def _require_running_attempt(attempt: Attempt) -> None:
    _require_open_attempt(attempt)
    if not attempt.session.is_running:
        raise Conflict("The session is not running.", code="session_not_running")


def _seconds(delta: timedelta) -> int:
    return round(delta.total_seconds())


def _set_deadline(attempt: Attempt, ends_at, *, session_ends_at) -> None:
    """The attempt's own deadline, and its extra time as the contract defines it (not saved)."""
    attempt.ends_at = ends_at
    attempt.extra_seconds = _seconds(ends_at - session_ends_at)


def _later_by(moment, seconds: int, *, not_before):
    """`moment` moved by `seconds`, never before `not_before` (now)."""
    return max(moment + timedelta(seconds=seconds), not_before)


def _connected(session: Session, student_id) -> bool:
    return Participant.objects.filter(
        session=session, student_id=student_id, connection_status=ConnectionStatus.CONNECTED
    ).exists()


# ---------------------------------------------------------------- pause and resume


@transaction.atomic
def session_pause(*, session: Session | int, by: User | None = None, reason: str | None = None) -> Session:
    """Stop the room (a fire alarm): the clock closes nothing and students' events wait until the resume."""
    reason = _reason(reason)
    session = _transition(session, SessionStatus.PAUSED, by_action="pause", by=by)
    moment = now()
    session.paused_at = moment
    session.pause_reason = reason
    session.save(update_fields=["status", "paused_at", "pause_reason", "updated_at"])
    attempts = open_attempts_locked(session.pk)
    for attempt in attempts:  # time paused never counts as offline
        attempt.end_offline_stretch(moment)
    Attempt.objects.bulk_update(attempts, ["offline_seconds", "offline_since"])
    _log(attempts, "session_paused", by, moment, reason=reason or None)
    publish_on_commit(session.pk, "session_paused", paused_at=iso(moment), reason=reason or None)
    _publish_status(session)
    return session


@transaction.atomic
def session_resume(*, session: Session | int, by: User | None = None) -> Session:
    """Go on: the session's and every open attempt's deadline move later by the time spent paused."""
    session = _transition(session, SessionStatus.IN_PROGRESS, by_action="resume", by=by)
    moment = now()
    paused = moment - session.paused_at
    session.ends_at += paused
    session.paused_seconds += paused.total_seconds()
    session.paused_at = None
    session.pause_reason = ""
    session.save(update_fields=["status", "ends_at", "paused_at", "pause_reason", "paused_seconds", "updated_at"])
    attempts = open_attempts_locked(session.pk)
    Attempt.objects.filter(pk__in=[a.pk for a in attempts]).update(ends_at=F("ends_at") + paused)
    offline = set(
        Participant.objects.filter(session=session)
        .exclude(connection_status=ConnectionStatus.CONNECTED)
        .values_list("student_id", flat=True)
    )
    Attempt.objects.filter(pk__in=[a.pk for a in attempts if a.student_id in offline]).update(offline_since=moment)
    _log(attempts, "session_resumed", by, moment, paused_seconds=_seconds(paused))
    publish_on_commit(
        session.pk, "session_resumed", ends_at=iso(session.ends_at), server_now=iso(moment),
        paused_seconds=_seconds(paused),
    )  # fmt: skip
    _publish_status(session)
    resync_on_commit(session.pk)
    return session


# ---------------------------------------------------------------- extra time


@transaction.atomic
def attempt_extend(*, attempt: Attempt | int, seconds, by: User, reason: str | None = None) -> Attempt:
    """Give one student more time (or take back a mistake): their deadline moves, never before now."""
    seconds = _check_seconds(seconds, EXTRA_SECONDS, zero_allowed=False)
    reason = _reason(reason)
    attempt = _locked_attempt(attempt)
    _require_running_attempt(attempt)
    moment = now()
    _set_deadline(
        attempt, _later_by(attempt.ends_at, seconds, not_before=moment), session_ends_at=attempt.session.ends_at
    )
    attempt.save(update_fields=["ends_at", "extra_seconds"])
    _log([attempt], "time_extended", by, moment, seconds=seconds, reason=reason or None)
    publish_to_student_on_commit(
        attempt.session_id, attempt.student_id, "time_extended", student_id=attempt.student_id,
        attempt_id=attempt.pk, ends_at=iso(attempt.ends_at), server_now=iso(moment), seconds=seconds,
        reason=reason or None,
    )  # fmt: skip
    resync_on_commit(attempt.session_id, [attempt.student_id])
    return attempt_loaded(attempt.pk)


@transaction.atomic
def session_extend(*, session: Session | int, seconds, by: User, reason: str | None = None) -> Session:
    """More time for the class: the session's deadline and every open attempt's move (each keeps its own extra
    time; none moves before now)."""
    seconds = _check_seconds(seconds, EXTRA_SECONDS, zero_allowed=False)
    reason = _reason(reason)
    session = _locked(session)
    if not session.is_running:
        raise Conflict("The session is not running.", code="session_not_running")
    moment = now()
    session.ends_at = _later_by(session.ends_at, seconds, not_before=moment)
    session.save(update_fields=["ends_at", "updated_at"])
    attempts = open_attempts_locked(session.pk)
    for attempt in attempts:
        _set_deadline(attempt, _later_by(attempt.ends_at, seconds, not_before=moment), session_ends_at=session.ends_at)
    Attempt.objects.bulk_update(attempts, ["ends_at", "extra_seconds"])
    _log(attempts, "time_extended", by, moment, seconds=seconds, reason=reason or None, whole_class=True)
    publish_on_commit(
        session.pk, "time_extended", student_id=None, attempt_id=None, ends_at=iso(session.ends_at),
        server_now=iso(moment), seconds=seconds, reason=reason or None,
    )  # fmt: skip
    resync_on_commit(session.pk, [attempt.student_id for attempt in attempts])  # each with an open attempt
    return session


# ---------------------------------------------------------------- finish and reopen


@transaction.atomic
def attempt_finish(*, attempt: Attempt | int, by: User) -> Attempt:
    """Hand the attempt in for the student now: marked as their own submit would be."""
    attempt = _locked_attempt(attempt)
    _require_open_attempt(attempt)
    _log([attempt], "attempt_finished", by, now())
    attempts_close([attempt], reason=CompletionReason.TEACHER)
    resync_on_commit(attempt.session_id, [attempt.student_id])
    return attempt_loaded(attempt.pk)


@transaction.atomic
def attempt_reopen(*, attempt: Attempt | int, seconds, by: User) -> Attempt:
    """Let a student who handed in early back in, for `seconds` from now; their mark is cleared until they hand
    in again."""
    seconds = _check_seconds(seconds, REOPEN_SECONDS)
    attempt = _locked_attempt(attempt)
    if attempt.status != AttemptStatus.SUBMITTED:
        raise Conflict(f"The attempt is {attempt.get_status_display().lower()}.", code="not_submitted")
    if not attempt.session.is_running:
        raise Conflict("The session is not running.", code="session_not_running")
    if attempt.session.review and attempt.session.result_is_released_for(attempt.status):
        raise Conflict("The student has seen the answer keys.", code="keys_shown")
    moment = now()
    attempt.status = AttemptStatus.IN_PROGRESS
    attempt.submitted_at = None
    attempt.score = None
    attempt.band = None
    _set_deadline(attempt, moment + timedelta(seconds=seconds), session_ends_at=attempt.session.ends_at)
    counting = not attempt.session.is_paused and not _connected(attempt.session, attempt.student_id)
    attempt.offline_since = moment if counting else None
    attempt.save(update_fields=["status", "submitted_at", "score", "band", "ends_at", "extra_seconds", "offline_since"])
    _log([attempt], "attempt_reopened", by, moment, seconds=seconds)
    publish_to_student_on_commit(
        attempt.session_id, attempt.student_id, "attempt_reopened", student_id=attempt.student_id,
        attempt_id=attempt.pk, ends_at=iso(attempt.ends_at), server_now=iso(moment),
    )  # fmt: skip
    attempt_counts_changed.send(sender=Attempt, session_id=attempt.session_id)
    resync_on_commit(attempt.session_id, [attempt.student_id])
    return attempt_loaded(attempt.pk)


# ---------------------------------------------------------------- messages


@transaction.atomic
def session_message(*, session: Session | int, text, by: User, student_id=None) -> TeacherMessage:
    """A message to the class, or to one participant: shown on their page at once and kept for the session."""
    if not isinstance(text, str) or not text.strip():
        raise _invalid("text", "A message needs some text.")
    if len(text) > MAX_TEXT_CHARS:
        raise _invalid("text", f"At most {MAX_TEXT_CHARS} characters.")
    session = _locked(session)
    if student_id is not None and not session.participants.filter(student_id=student_id).exists():
        raise _invalid("student_id", "Not a participant of this session.")
    if session.status not in SessionStatus.OPEN:
        raise Conflict("Messages go to a session whose waiting room or test is open.", code="session_not_open")
    message = TeacherMessage.objects.create(session=session, student_id=student_id, text=text, sent_by=by)
    addressed = Attempt.objects.filter(session=session, status=AttemptStatus.IN_PROGRESS)
    if student_id is not None:
        addressed = addressed.filter(student_id=student_id)
    _log(addressed, "teacher_message", by, message.sent_at, message_id=message.pk)
    fields = {"message_id": message.pk, "text": message.text, "student_id": student_id, "sent_at": iso(message.sent_at)}
    if student_id is None:
        publish_on_commit(session.pk, "teacher_message", **fields)
    else:
        publish_to_student_on_commit(session.pk, student_id, "teacher_message", **fields)
    return message


# ---------------------------------------------------------------- violation reviews


@transaction.atomic
def violation_review(*, attempt: Attempt | int, violation_id, verdict, by: User, note: str | None = None) -> Attempt:
    """Confirm or dismiss a violation (a tab switch that was the teacher's own fault), with a note; a later
    review replaces the earlier one. Allowed in any state of the session."""
    if verdict not in Verdict.values:
        raise _invalid("verdict", f"Must be one of {', '.join(Verdict.values)}.")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_TEXT_CHARS):
        raise _invalid("note", f"At most {MAX_TEXT_CHARS} characters.")
    attempt = _locked_attempt(attempt)
    # Only the violation's row: the ordering's joins reach the attempt's nullable session (no lock there).
    violation = (
        Violation.objects.select_for_update(of=("self",)).filter(attempt=attempt, pk=violation_id).order_by().first()
    )
    if violation is None:
        raise NotFound("No such violation in this attempt.")
    moment = now()
    violation.verdict = verdict
    violation.note = note or None
    violation.reviewed_by = by
    violation.reviewed_at = moment
    violation.save(update_fields=["verdict", "note", "reviewed_by", "reviewed_at"])
    _log([attempt], "violation_reviewed", by, moment, violation_id=violation.pk, verdict=verdict, note=note or None)
    publish_on_commit(
        attempt.session_id, "violation_reviewed", audience=Audience.TEACHERS, student_id=attempt.student_id,
        attempt_id=attempt.pk, violation_id=violation.pk, verdict=verdict,
    )  # fmt: skip
    return attempt_loaded(attempt.pk)
