"""A session's life cycle: created, edited while scheduled, moved through TRANSITIONS by the teacher (one service per
action, listed in SESSION_ACTIONS) or completed by the clock.

Every transition locks the session row, checks TRANSITIONS and publishes after commit.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from accounts.models import User
from attempts.services import attempts_create, attempts_submit_open
from classes.models import Class
from exams.models import Test
from ielts_site.clock import iso, now
from ielts_site.errors import Conflict, InvalidInput, NotFound
from realtime.events import publish_on_commit
from sessions_app.models import (
    TRANSITIONS,
    ConnectionStatus,
    Participant,
    Session,
    SessionStatus,
    grace_period,
    paper_duration,
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


@transaction.atomic
def session_create(*, school_class: Class, test: Test, title: str, scheduled_at, created_by: User) -> Session:
    if not school_class.is_active:
        raise Conflict("An archived class takes no new sessions.", code="class_archived")
    session = Session.objects.create(
        school_class=school_class, test=test, title=_title(title), scheduled_at=scheduled_at, created_by=created_by
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
        session.title = _title(title)
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


def _move(session: Session | int, to: str, *, announce: str) -> Session:
    """A transition that changes the status alone: saved, announced with `announce`, then the status."""
    session = _transition(session, to)
    session.save(update_fields=["status", "updated_at"])
    publish_on_commit(session.pk, announce)
    _publish_status(session)
    return session


@transaction.atomic
def session_open_waiting_room(*, session: Session | int) -> Session:
    return _move(session, SessionStatus.WAITING_FOR_STUDENTS, announce="waiting_room_opened")


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
    with transaction.atomic():
        moment = now()
        claimed = (
            _due().filter(pk=session_id).update(status=SessionStatus.COMPLETED, completed_at=moment, updated_at=moment)
        )
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


def _due():
    return Session.objects.filter(status=SessionStatus.IN_PROGRESS, ends_at__lte=now() - grace_period())


def sessions_due_ids() -> list[int]:
    return list(_due().values_list("pk", flat=True))


@transaction.atomic
def session_cancel(*, session: Session | int) -> Session:
    return _move(session, SessionStatus.CANCELLED, announce="session_cancelled")


@transaction.atomic
def session_delete(*, session: Session | int) -> None:
    session = _locked(session)
    if session.status == SessionStatus.IN_PROGRESS:
        raise Conflict("A session in progress cannot be deleted; complete it first.", code="session_in_progress")
    # Before the cascade deletes their connections (a closing socket would otherwise wait on us, and we on it).
    lock_participants(session.participants.all())
    session.delete()


@dataclass(frozen=True)
class SessionAction:
    """A transition the teacher asks for: the REST action's path, the status it reaches, the service that takes
    it there, the button's label and what the teacher is told once it is done."""

    slug: str
    to: str
    service: Callable[..., Session]
    label: str
    done: str
    done_briefly: str  # the admin's "<done_briefly>: <n>." after a bulk action

    @property
    def allowed_from(self) -> list[str]:
        return [status for status, targets in TRANSITIONS.items() if self.to in targets]


# The one list of the teacher's transitions: the viewset's actions, the admin's and the live monitor's buttons.
SESSION_ACTIONS = (
    SessionAction("start-waiting", SessionStatus.WAITING_FOR_STUDENTS, session_open_waiting_room,
                  "Open the waiting room", "The waiting room is open.", "Waiting room opened"),
    SessionAction("start", SessionStatus.IN_PROGRESS, session_start, "Start the test", "The test has started.",
                  "Started"),
    SessionAction("complete", SessionStatus.COMPLETED, session_complete, "Complete now", "The session is completed.",
                  "Completed"),
    SessionAction("cancel", SessionStatus.CANCELLED, session_cancel, "Cancel the session",
                  "The session is cancelled.", "Cancelled"),
)  # fmt: skip
SESSION_ACTIONS_BY_SLUG = {action.slug: action for action in SESSION_ACTIONS}
