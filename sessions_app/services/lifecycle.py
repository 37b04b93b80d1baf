"""A session's life cycle: created, edited while scheduled, moved through TRANSITIONS by the teacher (one service per
action, listed in services.actions.SESSION_ACTIONS) or completed by the clock.

Every transition locks the session row, checks TRANSITIONS and publishes after commit.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from accounts.models import User
from attempts.models import Attempt, AttemptStatus
from attempts.services import attempts_close, attempts_create, attempts_submit_open
from classes.models import Class
from exams.audio import time_limit_problem
from exams.models import TIME_LIMIT_MINUTES, Test
from ielts_site.clock import grace_period, iso, now, paper_duration
from ielts_site.errors import Conflict, InvalidInput, NotFound
from realtime.events import (
    notify_participants_on_commit,
    publish_on_commit,
    publish_to_students_on_commit,
    resync_on_commit,
)
from sessions_app.models import (
    ConnectionStatus,
    Participant,
    ResultsRelease,
    Session,
    SessionStatus,
)
from sessions_app.services.presence import lock_participants

logger = logging.getLogger(__name__)


class InvalidTransition(Conflict):
    code = "invalid_transition"


class CompletionReason:
    TEACHER = "TEACHER"
    TIME_UP = "TIME_UP"


def _title(title: str) -> str:
    if not title.strip():
        raise InvalidInput("A session needs a title.")
    return title.strip()


def _passage_orders(test: Test, passage_ids) -> list[int] | None:
    """The orders of the paper's passages `passage_ids` names (a non-empty list of them, in the paper's order);
    `None` (all of them) for `None` or every passage."""
    if passage_ids is None:
        return None
    orders = dict(test.passages.values_list("pk", "order"))
    if not passage_ids or any(passage_id not in orders for passage_id in passage_ids):
        raise InvalidInput("Name one or more passages of the paper.", field="passage_ids")
    chosen = [orders[passage_id] for passage_id in passage_ids]
    if chosen != sorted(set(chosen)):
        raise InvalidInput("Name each passage once, in the paper's order.", field="passage_ids")
    return None if len(chosen) == len(orders) else chosen


def _time_limit(minutes: int | None) -> int | None:
    if minutes is not None and minutes not in TIME_LIMIT_MINUTES:
        raise InvalidInput(
            f"Must be from {TIME_LIMIT_MINUTES[0]} to {TIME_LIMIT_MINUTES[-1]} minutes.", field="time_limit_minutes"
        )
    return minutes


def _require_time_for_audio(session: Session) -> None:
    """A Listening session's own length covers the audio of the parts it plays, plus the review time."""
    if session.time_limit_minutes is None or not session.test.is_listening:
        return
    problem = time_limit_problem(session.time_limit_minutes, session.test.audio_seconds_total(session.passage_orders))
    if problem:
        raise InvalidInput(problem, field="time_limit_minutes")


# A PATCH leaves out what it does not change; `None` is a value there (the paper's length, every passage).
UNCHANGED = object()


@transaction.atomic
def session_create(
    *,
    school_class: Class,
    test: Test,
    title: str,
    scheduled_at,
    created_by: User,
    passage_ids: list | None = None,
    time_limit_minutes: int | None = None,
    results_release: str = ResultsRelease.IMMEDIATE,
    review: bool = False,
) -> Session:
    """A session of the class on the paper's latest version, covering `passage_ids` (all by default) for
    `time_limit_minutes` (the paper's by default)."""
    if not school_class.is_active:
        raise Conflict("An archived class takes no new sessions.", code="class_archived")
    session = Session(
        school_class=school_class, test=test, title=_title(title), scheduled_at=scheduled_at, created_by=created_by,
        passage_orders=_passage_orders(test, passage_ids), time_limit_minutes=_time_limit(time_limit_minutes),
        results_release=results_release, review=review,
    )  # fmt: skip
    _require_time_for_audio(session)
    session.save()
    Participant.objects.bulk_create(
        Participant(session=session, student_id=student_id)
        for student_id in school_class.enrolments.values_list("student_id", flat=True)
    )
    return session


@transaction.atomic
def session_update(
    *,
    session: Session,
    title: str | None = None,
    scheduled_at=None,
    test: Test | None = None,
    passage_ids=UNCHANGED,
    time_limit_minutes=UNCHANGED,
    results_release: str | None = None,
    review: bool | None = None,
):
    """What the session is (title, time, paper, passages, length) changes while it is scheduled; how its results
    are released, until they are."""
    session = _locked(session)
    changes_shape = any(value is not None for value in (title, scheduled_at, test)) or any(
        value is not UNCHANGED for value in (passage_ids, time_limit_minutes)
    )
    if changes_shape and not session.is_editable:
        raise Conflict("A session can be changed only while it is scheduled.", code="not_editable")
    if (results_release is not None or review is not None) and session.results_are_released:
        raise Conflict("The results are released already.", code="results_released")
    if title is not None:
        session.title = _title(title)
    if scheduled_at is not None:
        session.scheduled_at = scheduled_at
    if test is not None and test.pk != session.test_id:
        session.test = test
        session.passage_orders = None  # another paper's passages are not these
    if passage_ids is not UNCHANGED:
        session.passage_orders = _passage_orders(session.test, passage_ids)
    if time_limit_minutes is not UNCHANGED:
        session.time_limit_minutes = _time_limit(time_limit_minutes)
    if results_release is not None:
        session.results_release = results_release
    if review is not None:
        session.review = review
    if changes_shape:
        _require_time_for_audio(session)
    session.save()
    return session


def _locked(session: Session | int) -> Session:
    session_id = session.pk if isinstance(session, Session) else session
    try:
        return Session.objects.select_for_update(of=("self",)).select_related("test").get(pk=session_id)
    except Session.DoesNotExist as exc:
        raise NotFound("Session not found.") from exc


def _transition(session: Session | int, to: str, *, by_action: str, by: User | None) -> Session:
    """Lock the session and move it to `to` by the action `by_action` (not saved yet), or refuse."""
    session = _locked(session)
    if not session.can_transition_to(to, by=by_action):
        raise InvalidTransition(
            f"A {session.get_status_display().lower()} session cannot become {SessionStatus(to).label.lower()}."
        )
    logger.info(
        "session transition",
        extra={"session_id": session.pk, "from": session.status, "to": to, "by": by.pk if by else None},
    )
    session.status = to
    return session


def _publish_status(session: Session) -> None:
    """Every transition ends here: the session's connections and its students' home pages hear the new status."""
    publish_on_commit(session.pk, "session_status_changed", status=session.status)
    participant_ids = session.participants.values_list("student_id", flat=True)
    notify_participants_on_commit(session.pk, participant_ids, "session_status_changed", status=session.status)


def _move(session: Session | int, to: str, *, by_action: str, by: User | None, announce: str) -> Session:
    """A transition that changes the status alone: saved, announced with `announce`, then the status."""
    session = _transition(session, to, by_action=by_action, by=by)
    session.save(update_fields=["status", "updated_at"])
    publish_on_commit(session.pk, announce)
    _publish_status(session)
    return session


@transaction.atomic
def session_open_waiting_room(*, session: Session | int, by: User | None = None) -> Session:
    session = _transition(session, SessionStatus.WAITING_FOR_STUDENTS, by_action="start-waiting", by=by)
    session.waiting_opened_at = now()
    session.save(update_fields=["status", "waiting_opened_at", "updated_at"])
    publish_on_commit(session.pk, "waiting_room_opened")
    _publish_status(session)
    return session


@transaction.atomic
def session_start(*, session: Session | int, by: User | None = None) -> Session:
    """Start one clock for everyone: each connected student gets an attempt and the same ends_at."""
    session = _transition(session, SessionStatus.IN_PROGRESS, by_action="start", by=by)
    connected = list(
        session.participants.filter(connection_status=ConnectionStatus.CONNECTED).values_list("student_id", flat=True)
    )
    if not connected:
        raise Conflict("No student is connected yet.", code="no_students_connected")
    session.started_at = now()
    session.ends_at = session.started_at + paper_duration(session.duration_minutes)
    session.save(update_fields=["status", "started_at", "ends_at", "updated_at"])
    attempts_create(session=session, student_ids=connected)  # one INSERT for the class
    listening = {"audio_started_at": iso(session.audio_started_at())} if session.test.is_listening else {}
    publish_on_commit(
        session.pk,
        "session_started",
        started_at=iso(session.started_at),
        ends_at=iso(session.ends_at),
        server_now=iso(now()),
        connected_students=connected,
        **listening,
    )
    _publish_status(session)
    return session


def _complete(session: Session, *, reason: str) -> Session:
    session.status = SessionStatus.COMPLETED
    session.completed_at = now()
    session.save(update_fields=["status", "completed_at", "updated_at"])
    attempts_submit_open(session_id=session.pk, reason=reason)
    _announce_completion(session, reason=reason)
    return session


def _announce_completion(session: Session, *, reason: str) -> None:
    """`session_completed` and the status; the results come out with the completion unless a teacher releases
    them (IMMEDIATE: each one at its submit already, all of them now)."""
    publish_on_commit(session.pk, "session_completed", completed_at=iso(session.completed_at), reason=reason)
    _publish_status(session)
    if session.results_release != ResultsRelease.MANUAL:
        _release_results(session, at=session.completed_at)


def _release_results(session: Session, *, at) -> None:
    session.results_released_at = at
    session.save(update_fields=["results_released_at", "updated_at"])
    student_ids = list(session.participants.values_list("student_id", flat=True))
    publish_to_students_on_commit(session.pk, student_ids, "results_released")
    notify_participants_on_commit(session.pk, student_ids, "results_released")


@transaction.atomic
def session_release_results(*, session: Session | int, by: User | None = None) -> Session:
    """A teacher shows the students of a completed session their results (MANUAL release only, once)."""
    session = _locked(session)
    if session.results_release != ResultsRelease.MANUAL:
        raise Conflict("This session's results are released without a teacher.", code="not_manual_release")
    if session.status != SessionStatus.COMPLETED:
        raise Conflict("Results are released once the session is completed.", code="not_completed")
    if session.results_are_released:
        raise Conflict("The results are released already.", code="results_released")
    _release_results(session, at=now())
    logger.info("results released", extra={"session_id": session.pk, "by": by.pk if by else None})
    return session


@transaction.atomic
def session_complete(*, session: Session | int, by: User | None = None) -> Session:
    """The teacher ends the test now (running or paused): every open attempt is submitted and marked."""
    session = _transition(session, SessionStatus.COMPLETED, by_action="complete", by=by)
    return _complete(session, reason=CompletionReason.TEACHER)


def _wait_for_writers(session_id) -> None:
    """Lock the session row, as every writer of the session and its attempts does first: what this transaction reads
    next sees the control that was being written (a pause, an extension, a reopen) as committed."""
    list(Session.objects.select_for_update(no_key=True).filter(pk=session_id).values_list("pk", flat=True))


def session_complete_if_due(*, session_id: int) -> bool:
    """Time is up (plus the grace): complete the session once, whichever server process gets here first.

    The conditional UPDATE decides who acts, on SQLite as on PostgreSQL; the session's lock, taken first, makes it
    see a control written meanwhile (an extension, a reopen: the session is then no longer due).
    """
    with transaction.atomic():
        _wait_for_writers(session_id)
        moment = now()
        claimed = (
            _due().filter(pk=session_id).update(status=SessionStatus.COMPLETED, completed_at=moment, updated_at=moment)
        )
        if not claimed:
            return False
        session = Session.objects.get(pk=session_id)
        attempts_submit_open(session_id=session.pk, reason=CompletionReason.TIME_UP)
        _announce_completion(session, reason=CompletionReason.TIME_UP)
    logger.info("session completed by the clock", extra={"session_id": session_id})
    return True


def _open_later(cutoff):
    """Open attempts of the session (an OuterRef) whose own deadline is later than `cutoff`."""
    return Attempt.objects.filter(session=OuterRef("pk"), status=AttemptStatus.IN_PROGRESS, ends_at__gt=cutoff)


def _due(*, late_by: timedelta = timedelta(0)):
    """Sessions whose own time (plus the grace, plus `late_by`) is up and that no attempt with a later deadline keeps
    open."""
    cutoff = now() - grace_period() - late_by
    return Session.objects.filter(status=SessionStatus.IN_PROGRESS, ends_at__lte=cutoff).exclude(
        Exists(_open_later(cutoff))
    )


def _going_on(cutoff):
    """Sessions in progress that are not due: their own time, or an attempt's with extra time, is still running."""
    return Session.objects.filter(status=SessionStatus.IN_PROGRESS).filter(
        Q(ends_at__gt=cutoff) | Exists(_open_later(cutoff))
    )


def _attempts_due():
    """Open attempts whose own time (plus the grace) is up while their session goes on. An attempt whose session
    is due closes with it, in the session's completion. No join: a conditional UPDATE of these rechecks every
    condition on the attempt row it waited for (a join's conditions it would not)."""
    cutoff = now() - grace_period()
    return Attempt.objects.filter(
        status=AttemptStatus.IN_PROGRESS, ends_at__lte=cutoff, session_id__in=_going_on(cutoff).values("pk")
    )


def attempts_due_ids() -> list[int]:
    return list(_attempts_due().values_list("pk", flat=True))


def attempt_close_if_due(*, attempt_id: int) -> bool:
    """An attempt's own time is up (plus the grace) while its session goes on: close it once, whichever server
    process gets here first, and give its student a fresh state sync.

    The session is locked first, so a pause, an extension or the session's completion either happened before this
    looks (and is seen) or waits for it; the conditional UPDATE of the attempt decides between two clocks."""
    with transaction.atomic():
        session_id = Attempt.objects.filter(pk=attempt_id).values_list("session_id", flat=True).first()
        if session_id is None:
            return False
        _wait_for_writers(session_id)
        if not _attempts_due().filter(pk=attempt_id).update(status=AttemptStatus.SUBMITTED):
            return False
        attempt = Attempt.objects.select_related("session", "test").get(pk=attempt_id)
        attempts_close([attempt], reason=CompletionReason.TIME_UP)
        resync_on_commit(attempt.session_id, [attempt.student_id])
    logger.info("attempt closed by the clock", extra={"attempt_id": attempt_id})
    return True


def sessions_due_ids() -> list[int]:
    return list(_due().values_list("pk", flat=True))


def sessions_overdue_count(*, late_by: timedelta) -> int:
    """Sessions the clock should have completed more than `late_by` ago: it has stopped, or fails on them."""
    return _due(late_by=late_by).count()


@transaction.atomic
def session_cancel(*, session: Session | int, by: User | None = None) -> Session:
    return _move(session, SessionStatus.CANCELLED, by_action="cancel", by=by, announce="session_cancelled")


@transaction.atomic
def session_delete(*, session: Session | int) -> None:
    session = _locked(session)
    if session.is_running:
        raise Conflict("A session in progress cannot be deleted; complete it first.", code="session_in_progress")
    # Before the cascade deletes their connections (a closing socket would otherwise wait on us, and we on it).
    lock_participants(session.participants.all())
    session.delete()
