"""Writes on attempts: every student event is validated, logged once by event id, applied and published.

Each use case locks the attempt row, so two copies of one event (a replay after a reconnect,
two tabs) are applied once; the unique (attempt, event_id) constraint is the backstop.
"""

import operator
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import reduce

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from attempts.models import Answer, Attempt, AttemptEvent, AttemptStatus, Highlight, Violation, ViolationType
from attempts.signals import attempt_counts_changed
from exams.marking import band_for
from exams.models import Question
from ielts_site.clock import iso, now
from ielts_site.errors import ApplicationError, Conflict, InvalidInput, NotFound
from monitoring.events import Audience, publish_on_commit

MAX_ANSWER_CHARS = 2000
MAX_HIGHLIGHT_CHARS = 10000


@dataclass
class EventOutcome:
    """What a student event did: `applied` is False for a deduplicated resend. `ack` goes back to the sender."""

    attempt: Attempt
    applied: bool = True
    ack: dict = field(default_factory=dict)


def _locked(attempt: Attempt | int) -> Attempt:
    attempt_id = attempt.pk if isinstance(attempt, Attempt) else attempt
    try:
        return (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("session", "test", "student")
            .get(pk=attempt_id)
        )
    except Attempt.DoesNotExist as exc:
        raise NotFound("Attempt not found.") from exc


def _previous(attempt: Attempt, event_id: str | None) -> AttemptEvent | None:
    if not event_id:
        return None
    return AttemptEvent.objects.filter(attempt=attempt, event_id=event_id).first()


def deadline_of(attempt: Attempt):
    """The last moment an event still counts: the session's end plus the grace for events in flight."""
    ends_at = attempt.session.ends_at
    return ends_at + timedelta(seconds=settings.SESSION_GRACE_SECONDS) if ends_at else None


def _require_open(attempt: Attempt) -> None:
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise Conflict(f"The attempt is {attempt.get_status_display().lower()}.", code="attempt_closed")
    deadline = deadline_of(attempt)
    if deadline is not None and now() > deadline:
        raise Conflict("Time is up: the attempt takes no more changes.", code="time_up")


def _log(attempt: Attempt, event_id: str | None, event_type: str, data: dict) -> None:
    # No savepoint of its own: every caller holds the attempt's lock in its own atomic block, which the
    # Conflict rolls back whole (apply_student_event then retries the event as the resend it is).
    try:
        AttemptEvent.objects.create(attempt=attempt, event_id=event_id or None, type=event_type, data=data)
    except IntegrityError as exc:  # a concurrent copy of the same event won the race
        raise Conflict("This event was already applied.", code="duplicate_event") from exc


def _publish(attempt: Attempt, event_type: str, **fields) -> None:
    publish_on_commit(
        attempt.session_id,
        event_type,
        audience=Audience.TEACHERS,
        student_id=attempt.student_id,
        attempt_id=attempt.pk,
        **fields,
    )


def _question(attempt: Attempt, question_id):
    question = attempt.test.questions.filter(pk=_as_id(question_id, "question_id")).first()
    if question is None:
        raise InvalidInput("The question is not part of this paper.", code="unknown_question")
    return question


def _as_id(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidInput(f"{name} must be an id.", code="invalid")
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be an id.", code="invalid") from exc


def _as_index(value, name: str, upper: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be a whole number.", code="invalid")
    if not 0 <= value < upper:
        raise InvalidInput(f"{name} must be from 0 to {upper - 1}.", code="out_of_range")
    return value


def attempt_create(*, session, student) -> Attempt:
    """The student's attempt in the session (created once; a second call returns the same one)."""
    attempt, _ = Attempt.objects.get_or_create(
        session=session, student=student, defaults={"test_id": session.test_id, "started_at": now()}
    )
    return attempt


def attempts_create(*, session, student_ids) -> None:
    """The attempts of these students in the session, in one statement; existing ones are left as they are."""
    moment = now()
    Attempt.objects.bulk_create(
        [Attempt(session=session, student_id=pk, test_id=session.test_id, started_at=moment) for pk in student_ids],
        ignore_conflicts=True,
    )


@dataclass(frozen=True)
class AnswerGiven:
    """One `answer_submitted` as the student sent it: checked by `attempts_answer`, not here."""

    attempt_id: int
    question_id: object
    answer: object
    event_id: str | None = None


def attempt_answer(*, attempt: Attempt | int, question_id, answer, event_id: str | None = None) -> EventOutcome:
    """Upsert the answer to one question; an empty answer clears it. Stored exactly as typed."""
    attempt_id = attempt.pk if isinstance(attempt, Attempt) else attempt
    [outcome] = attempts_answer([AnswerGiven(attempt_id, question_id, answer, event_id)])
    if isinstance(outcome, ApplicationError):
        raise outcome
    return outcome


@transaction.atomic
def attempts_answer(answers: Sequence[AnswerGiven]) -> list[EventOutcome | ApplicationError]:
    """Apply answer events of any attempts in order, each checked as one would be, in a fixed number of
    statements however many there are (the WebSocket's batches; REST sends a batch of one).

    Returns an outcome per event, or the error that refused it: a refused event changes nothing and the
    others go on. A resent event id, even a copy within the batch, is applied once.
    """
    attempts = {
        attempt.pk: attempt
        for attempt in Attempt.objects.select_for_update(of=("self",))
        .select_related("session")
        .filter(pk__in={given.attempt_id for given in answers})
        .order_by("pk")  # every writer locks attempts in id order: no deadlock between batches
    }
    applied_ids = _applied_event_ids(answers)
    known_questions = set(
        Question.objects.filter(
            test_id__in={attempt.test_id for attempt in attempts.values()},
            pk__in={qid for given in answers if (qid := _as_question_id(given.question_id))},
        )
        .order_by()
        .values_list("pk", "test_id")
    )
    answered = defaultdict(set)  # attempt id → ids of the questions it has an answer to
    for attempt_id, question_id in (
        Answer.objects.filter(attempt_id__in=attempts).order_by().values_list("attempt_id", "question_id")
    ):
        answered[attempt_id].add(question_id)

    outcomes: list[EventOutcome | ApplicationError] = []
    latest: dict[tuple[int, int], Answer] = {}  # the last answer given to each question: what is stored
    log: list[AttemptEvent] = []
    for given in answers:
        attempt = attempts.get(given.attempt_id)
        try:
            if attempt is None:
                raise NotFound("Attempt not found.")
            if given.event_id and (attempt.pk, given.event_id) in applied_ids:
                outcomes.append(EventOutcome(attempt, applied=False))
                continue
            answer = _answer_text(given.answer)
            question_id = _as_id(given.question_id, "question_id")
            if (question_id, attempt.test_id) not in known_questions:
                raise InvalidInput("The question is not part of this paper.", code="unknown_question")
            _require_open(attempt)
        except ApplicationError as exc:
            outcomes.append(exc)
            continue
        moment = now()
        latest[attempt.pk, question_id] = Answer(
            attempt=attempt, question_id=question_id, answer=answer, answered_at=moment
        )
        if answer.strip():
            answered[attempt.pk].add(question_id)
        else:
            answered[attempt.pk].discard(question_id)
        if given.event_id:
            applied_ids.add((attempt.pk, given.event_id))
        data = {"question_id": question_id, "answer": answer}
        log.append(AttemptEvent(attempt=attempt, event_id=given.event_id or None, type="answer_submitted", data=data,
                                created_at=moment))  # fmt: skip
        _publish(attempt, "answer_submitted", **data, answered_count=len(answered[attempt.pk]))
        outcomes.append(EventOutcome(attempt))

    kept = [answer for answer in latest.values() if answer.answer.strip()]
    if kept:  # one INSERT ... ON CONFLICT DO UPDATE
        Answer.objects.bulk_create(
            kept, update_conflicts=True, unique_fields=["attempt", "question"], update_fields=["answer", "answered_at"]
        )
    if cleared := [answer for answer in latest.values() if not answer.answer.strip()]:
        Answer.objects.filter(
            reduce(operator.or_, (Q(attempt_id=a.attempt_id, question_id=a.question_id) for a in cleared))
        ).delete()
    try:
        AttemptEvent.objects.bulk_create(log)
    except IntegrityError as exc:  # an event id logged without the attempt's lock: nothing of the batch stays
        raise Conflict("This event was already applied.", code="duplicate_event") from exc
    return outcomes


def _applied_event_ids(answers: Sequence[AnswerGiven]) -> set[tuple[int, str]]:
    event_ids = {given.event_id for given in answers if given.event_id}
    if not event_ids:
        return set()
    return set(
        AttemptEvent.objects.filter(attempt_id__in={given.attempt_id for given in answers}, event_id__in=event_ids)
        .order_by()
        .values_list("attempt_id", "event_id")
    )


def _answer_text(answer) -> str:
    if answer is None:
        return ""
    if not isinstance(answer, str):
        raise InvalidInput("answer must be text.", code="invalid")
    if "\x00" in answer:
        raise InvalidInput("answer must not contain NUL characters.", code="invalid")
    if len(answer) > MAX_ANSWER_CHARS:
        raise InvalidInput(f"answer is longer than {MAX_ANSWER_CHARS} characters.", code="too_long")
    return answer


def _as_question_id(value) -> int | None:
    """The id a question id value names, if it could name a row at all (the lookup skips the rest)."""
    try:
        question_id = _as_id(value, "question_id")
    except InvalidInput:
        return None
    return question_id if 0 < question_id < 2**63 else None


@transaction.atomic
def attempt_record_violation(
    *, attempt: Attempt | int, violation_type: str | None = None, event_id: str | None = None
) -> EventOutcome:
    attempt = _locked(attempt)
    if _previous(attempt, event_id):
        return EventOutcome(attempt, applied=False)
    violation_type = violation_type or ViolationType.TAB_SWITCH
    if violation_type not in ViolationType.values:
        raise InvalidInput(f"Unknown violation_type {violation_type!r}.", code="invalid")
    _require_open(attempt)
    Violation.objects.create(attempt=attempt, type=violation_type, timestamp=now())
    _log(attempt, event_id, "tab_violation", {"violation_type": violation_type})
    _publish(attempt, "tab_violation", violation_type=violation_type, violations_count=attempt.violations.count())
    attempt_counts_changed.send(sender=Attempt, session_id=attempt.session_id)
    return EventOutcome(attempt)


@transaction.atomic
def attempt_highlight(
    *,
    attempt: Attempt | int,
    passage_id,
    text,
    position_start,
    position_end,
    event_id: str | None = None,
) -> EventOutcome:
    attempt = _locked(attempt)
    previous = _previous(attempt, event_id)
    if previous:
        return EventOutcome(attempt, applied=False, ack={"highlight_id": previous.data.get("highlight_id")})
    passage = attempt.test.passages.filter(pk=_as_id(passage_id, "passage_id")).first()
    if passage is None:
        raise InvalidInput("The passage is not part of this paper.", code="unknown_passage")
    if not isinstance(text, str) or not text.strip() or "\x00" in text:
        raise InvalidInput("text must be the highlighted text.", code="invalid")
    for name, value in (("position_start", position_start), ("position_end", position_end)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"{name} must be a whole number.", code="invalid")
    if not 0 <= position_start < position_end <= len(passage.text):
        raise InvalidInput(f"Positions must satisfy 0 <= start < end <= {len(passage.text)}.", code="out_of_range")
    if len(text) > MAX_HIGHLIGHT_CHARS:
        raise InvalidInput("The highlighted text is too long.", code="too_long")
    _require_open(attempt)
    highlight = Highlight.objects.create(
        attempt=attempt, passage=passage, text=text, position_start=position_start, position_end=position_end,
        timestamp=now(),
    )  # fmt: skip
    _log(
        attempt,
        event_id,
        "text_highlighted",
        {"highlight_id": highlight.pk, "passage_id": passage.pk, "text": text,
         "position_start": position_start, "position_end": position_end},
    )  # fmt: skip
    _publish(
        attempt, "text_highlighted", highlight_id=highlight.pk, passage_id=passage.pk, text=text,
        position_start=position_start, position_end=position_end,
    )  # fmt: skip
    return EventOutcome(attempt, ack={"highlight_id": highlight.pk})


@transaction.atomic
def attempt_remove_highlight(*, attempt: Attempt | int, highlight_id, event_id: str | None = None) -> EventOutcome:
    attempt = _locked(attempt)
    if _previous(attempt, event_id):
        return EventOutcome(attempt, applied=False)
    highlight = attempt.highlights.filter(pk=_as_id(highlight_id, "highlight_id")).first()
    if highlight is None:
        raise InvalidInput("No such highlight in this attempt.", code="unknown_highlight")
    _require_open(attempt)
    highlight_pk = highlight.pk
    highlight.delete()
    _log(attempt, event_id, "highlight_removed", {"highlight_id": highlight_pk})
    _publish(attempt, "highlight_removed", highlight_id=highlight_pk)
    return EventOutcome(attempt)


@transaction.atomic
def attempt_flag(*, attempt: Attempt | int, question_id, flagged, event_id: str | None = None) -> EventOutcome:
    attempt = _locked(attempt)
    if _previous(attempt, event_id):
        return EventOutcome(attempt, applied=False)
    if not isinstance(flagged, bool):
        raise InvalidInput("flagged must be true or false.", code="invalid")
    question = _question(attempt, question_id)
    _require_open(attempt)
    if flagged:
        attempt.flagged_questions.add(question)
    else:
        attempt.flagged_questions.remove(question)
    _log(attempt, event_id, "question_flagged", {"question_id": question.pk, "flagged": flagged})
    _publish(attempt, "question_flagged", question_id=question.pk, flagged=flagged)
    return EventOutcome(attempt)


@transaction.atomic
def attempt_progress(
    *, attempt: Attempt | int, passage_index, question_index, event_id: str | None = None
) -> EventOutcome:
    attempt = _locked(attempt)
    if _previous(attempt, event_id):
        return EventOutcome(attempt, applied=False)
    passage_index = _as_index(passage_index, "passage_index", attempt.test.passages.count())
    question_index = _as_index(question_index, "question_index", attempt.test.questions.count())
    _require_open(attempt)
    attempt.current_passage_index = passage_index
    attempt.current_question_index = question_index
    attempt.save(update_fields=["current_passage_index", "current_question_index"])
    _log(attempt, event_id, "progress_update", {"passage_index": passage_index, "question_index": question_index})
    _publish(attempt, "progress_update", passage_index=passage_index, question_index=question_index)
    return EventOutcome(attempt)


def _mark(attempt: Attempt) -> None:
    questions = list(attempt.test.questions.all())
    given = dict(attempt.answers.values_list("question_id", "answer"))
    score = sum(1 for q in questions if q.is_correct(given.get(q.pk)))
    attempt.score = score
    attempt.band = band_for(score, len(questions), module=attempt.test.module, table=attempt.test.band_table)


def _close(attempt: Attempt, *, reason: str) -> None:
    """Submit and mark a locked, open attempt (the deadline does not apply: this is how time-up ends it)."""
    _mark(attempt)
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = now()
    attempt.save(update_fields=["status", "submitted_at", "score", "band"])
    _log(attempt, None, "attempt_submitted", {"reason": reason, "score": attempt.score, "band": str(attempt.band)})
    _publish(attempt, "attempt_submitted", score=attempt.score, band=float(attempt.band))
    attempt_counts_changed.send(sender=Attempt, session_id=attempt.session_id)


@transaction.atomic
def attempt_submit(*, attempt: Attempt | int, event_id: str | None = None) -> EventOutcome:
    """The student hands in: marked at once. A second submit is a conflict (a resent event is not)."""
    attempt = _locked(attempt)
    if _previous(attempt, event_id):
        return EventOutcome(attempt, applied=False)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise Conflict("The attempt is already submitted.", code="already_submitted")
    deadline = deadline_of(attempt)
    if deadline is not None and now() > deadline:
        raise Conflict("Time is up: the attempt is submitted by the server.", code="time_up")
    if event_id:
        _log(attempt, event_id, "submit_attempt", {})
    _close(attempt, reason="STUDENT")
    return EventOutcome(attempt)


def attempts_submit_open(*, session_id, reason: str) -> int:
    """Submit and mark every open attempt of a session (the session is ending). Call inside its transaction."""
    count = 0
    for attempt in (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("session", "test")
        .filter(session_id=session_id, status=AttemptStatus.IN_PROGRESS)
        .order_by("pk")  # the order every writer locks attempts in
    ):
        _close(attempt, reason=reason)
        count += 1
    return count


@transaction.atomic
def attempt_abandon(*, attempt: Attempt | int) -> Attempt:
    attempt = _locked(attempt)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return attempt
    attempt.status = AttemptStatus.ABANDONED
    attempt.save(update_fields=["status"])
    _log(attempt, None, "attempt_abandoned", {"at": iso(now())})
    attempt_counts_changed.send(sender=Attempt, session_id=attempt.session_id)
    return attempt
