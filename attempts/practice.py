"""Writes on practices: a teacher publishes a paper to a class; a student starts an attempt alone, on its own clock,
which the server's clock closes at its deadline (plus the grace) as it closes a session's."""

import logging

from django.db import IntegrityError, transaction

from attempts.models import Attempt, AttemptStatus, Practice
from attempts.services import attempts_close
from exams.audio import time_limit_problem
from ielts_site.clock import grace_period, now, paper_duration
from ielts_site.errors import Conflict, InvalidInput, NotFound
from realtime.events import resync_attempt_on_commit

logger = logging.getLogger("ielts.clock")

MAX_PRACTICE_MINUTES = 300


@transaction.atomic
def practice_publish(
    *, school_class, test, opens_at=None, closes_at=None, time_limit_minutes=None, show_answers_after_submit=False,
    by=None,
) -> Practice:  # fmt: skip
    """Publish `test` (its latest version) to the class for practice; without a time limit, the paper's."""
    if not school_class.is_active:
        raise Conflict("An archived class takes no new practice.", code="class_archived")
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise InvalidInput("closes_at must be after opens_at.", code="invalid", field="closes_at")
    minutes = time_limit_minutes or test.time_limit_minutes
    if not 1 <= minutes <= MAX_PRACTICE_MINUTES:
        raise InvalidInput(
            f"time_limit_minutes must be from 1 to {MAX_PRACTICE_MINUTES}.", code="out_of_range",
            field="time_limit_minutes",
        )  # fmt: skip
    problem = test.is_listening and time_limit_problem(minutes, test.audio_seconds_total())
    if problem:
        raise InvalidInput(problem, field="time_limit_minutes")
    return Practice.objects.create(
        school_class=school_class, test=test, opens_at=opens_at, closes_at=closes_at, time_limit_minutes=minutes,
        show_answers_after_submit=show_answers_after_submit, created_by=by,
    )  # fmt: skip


def practice_attempt_start(*, practice: Practice | int, student) -> Attempt:
    """The student's new attempt on the practice, on its own clock from now; one open attempt at a time."""
    practice_id = practice.pk if isinstance(practice, Practice) else practice
    practice = Practice.objects.select_related("school_class", "test").filter(pk=practice_id).first()
    if practice is None or not practice.school_class.enrolments.filter(student=student).exists():
        raise NotFound("Practice not found.")
    moment = now()
    if not practice.school_class.is_active or not practice.is_open_at(moment):
        raise Conflict("This practice is not open now.", code="practice_not_open")
    if practice.attempts.filter(student=student, status=AttemptStatus.IN_PROGRESS).exists():
        raise Conflict("You already have this practice open: carry on with it.", code="attempt_in_progress")
    try:
        with transaction.atomic():
            return Attempt.objects.create(
                practice=practice, student=student, test=practice.test, started_at=moment,
                ends_at=moment + paper_duration(practice.time_limit_minutes),
            )  # fmt: skip
    except IntegrityError as exc:  # the same start from another tab won the race
        raise Conflict("You already have this practice open: carry on with it.", code="attempt_in_progress") from exc


def _practice_attempts_due():
    """Open practice attempts whose own time (plus the grace) is up. No join: the conditional UPDATE of one rechecks
    every condition on the row it waited for."""
    return Attempt.objects.filter(
        practice__isnull=False, status=AttemptStatus.IN_PROGRESS, ends_at__lte=now() - grace_period()
    )


def practice_attempts_due_ids() -> list[int]:
    return list(_practice_attempts_due().values_list("pk", flat=True))


def practice_attempt_close_if_due(*, attempt_id: int) -> bool:
    """A practice attempt's time is up: submit and mark it once, whichever server process gets here first, and send
    its student a fresh state sync (the attempt `SUBMITTED`)."""
    with transaction.atomic():
        # The UPDATE waits for a writer holding the attempt's lock, then rechecks the row: an event applied meanwhile
        # is in, and one after it finds the attempt closed.
        if not _practice_attempts_due().filter(pk=attempt_id).update(status=AttemptStatus.SUBMITTED):
            return False
        attempt = Attempt.objects.select_related("practice", "test").get(pk=attempt_id)
        attempts_close([attempt], reason="TIME_UP")
        resync_attempt_on_commit(attempt.pk)
    logger.info("practice attempt closed by the clock", extra={"attempt_id": attempt_id})
    return True
