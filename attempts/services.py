"""Writes on attempts: every student event is validated, logged once by event id, applied and published.

Each use case locks the attempt row, so two copies of one event (a replay after a reconnect,
two tabs) are applied once; the unique (attempt, event_id) constraint is the backstop.
"""

import math
import operator
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import reduce

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils.dateparse import parse_datetime

from attempts.models import (
    DEPARTURE_TYPES,
    Answer,
    Attempt,
    AttemptEvent,
    AttemptStatus,
    Highlight,
    Violation,
    ViolationType,
    WritingMark,
)
from attempts.signals import attempt_counts_changed
from exams.choices import WRITING_MODULES
from exams.marking import band_for, essay_words, writing_band
from exams.selectors import paper_shape
from ielts_site.clock import iso, now
from ielts_site.errors import ApplicationError, Conflict, InvalidInput, NotFound
from realtime.events import Audience, publish_on_commit, publish_to_attempt_watchers_on_commit

MAX_ANSWER_CHARS = 2000
MAX_ESSAY_CHARS = 20000  # an essay's answer (Unicode code points, as Python counts a str)
ESSAY_LOG_EXCERPT_CHARS = 80
MAX_HIGHLIGHT_CHARS = 10000
MAX_NOTE_CHARS = 500
# How far ahead of the server a student's clock may run before the time they say they made an event is ignored.
MADE_AT_SKEW = timedelta(seconds=5)


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
            .select_related("session", "practice", "test", "student")
            .get(pk=attempt_id)
        )
    except Attempt.DoesNotExist as exc:
        raise NotFound("Attempt not found.") from exc


def _previous(attempt: Attempt, event_id: str | None) -> AttemptEvent | None:
    if not event_id:
        return None
    return AttemptEvent.objects.filter(attempt=attempt, event_id=event_id).first()


def _require_open(attempt: Attempt) -> None:
    if not attempt.is_open:
        raise Conflict(f"The attempt is {attempt.get_status_display().lower()}.", code="attempt_closed")
    _require_not_paused(attempt)
    deadline = attempt.events_accepted_until
    if deadline is not None and now() > deadline:
        raise Conflict("Time is up: the attempt takes no more changes.", code="time_up")


def _require_not_paused(attempt: Attempt) -> None:
    if attempt.occasion.is_paused:  # refused before it is logged: the event id stays free for the resend
        raise Conflict("The session is paused: nothing changes until your teacher resumes it.", code="session_paused")


def _log(attempt: Attempt, event_id: str | None, event_type: str, data: dict) -> None:
    # No savepoint of its own: every caller holds the attempt's lock in its own atomic block, which the
    # Conflict rolls back whole (apply_student_event then retries the event as the resend it is).
    try:
        AttemptEvent.objects.create(attempt=attempt, event_id=event_id or None, type=event_type, data=data)
    except IntegrityError as exc:  # a concurrent copy of the same event won the race
        raise Conflict("This event was already applied.", code="duplicate_event") from exc


def _publish(attempt: Attempt, event_type: str, **fields) -> None:
    """What teachers hear of an attempt: its session's teachers, or the staff watching a practice attempt."""
    fields = {"student_id": attempt.student_id, "attempt_id": attempt.pk, **fields}
    if attempt.session_id is None:
        publish_to_attempt_watchers_on_commit(attempt.pk, event_type, **fields)
    else:
        publish_on_commit(attempt.session_id, event_type, audience=Audience.TEACHERS, **fields)


def _counts_changed(attempts) -> None:
    """Tell the sessions' live stats that their counts changed (a practice has none)."""
    if session_ids := sorted({attempt.session_id for attempt in attempts if attempt.session_id is not None}):
        attempt_counts_changed.send(sender=Attempt, session_ids=session_ids)


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
        session=session,
        student=student,
        defaults={"test_id": session.test_id, "started_at": now(), "ends_at": session.ends_at},
    )
    return attempt


def attempts_create(*, session, student_ids) -> None:
    """The attempts of these students in the session, in one statement; existing ones are left as they are."""
    moment = now()
    Attempt.objects.bulk_create(
        [
            Attempt(session=session, student_id=pk, test_id=session.test_id, started_at=moment, ends_at=session.ends_at)
            for pk in student_ids
        ],
        ignore_conflicts=True,
    )


@dataclass(frozen=True)
class StudentEvent:
    """One student event as it was sent: `data` holds its service's keyword arguments, checked by `attempts_apply`."""

    attempt_id: int
    type: str
    data: dict
    event_id: str | None = None
    made_at: str | None = None  # when the student's page made it (ISO), for one replayed from its outbox


def _one(attempt: Attempt | int, event_type: str, event_id: str | None, **data) -> EventOutcome:
    attempt_id = attempt.pk if isinstance(attempt, Attempt) else attempt
    [outcome] = attempts_apply([StudentEvent(attempt_id, event_type, data, event_id)])
    if isinstance(outcome, ApplicationError):
        raise outcome
    return outcome


def attempt_answer(*, attempt: Attempt | int, question_id, answer, event_id: str | None = None) -> EventOutcome:
    """Upsert the answer to one question; an empty answer clears it. Stored exactly as typed."""
    return _one(attempt, "answer_submitted", event_id, question_id=question_id, answer=answer)


def attempt_progress(*, attempt: Attempt | int, passage_index, question_index, event_id: str | None = None):
    """Where the student is in the paper (what the teacher's grid shows)."""
    return _one(attempt, "progress_update", event_id, passage_index=passage_index, question_index=question_index)


def attempt_highlight(
    *, attempt: Attempt | int, passage_id, text, position_start, position_end, event_id: str | None = None
) -> EventOutcome:
    """A highlight on a passage; the ack carries its `highlight_id`."""
    return _one(
        attempt, "text_highlighted", event_id, passage_id=passage_id, text=text, position_start=position_start,
        position_end=position_end,
    )  # fmt: skip


def attempt_remove_highlight(*, attempt: Attempt | int, highlight_id, event_id: str | None = None) -> EventOutcome:
    return _one(attempt, "highlight_removed", event_id, highlight_id=highlight_id)


def attempt_note_highlight(*, attempt: Attempt | int, highlight_id, note, event_id: str | None = None) -> EventOutcome:
    """The student's note on one of their highlights; `None` (or an empty note) clears it."""
    return _one(attempt, "highlight_noted", event_id, highlight_id=highlight_id, note=note)


def attempt_flag(*, attempt: Attempt | int, question_id, flagged, event_id: str | None = None) -> EventOutcome:
    return _one(attempt, "question_flagged", event_id, question_id=question_id, flagged=flagged)


def attempt_record_violation(
    *, attempt: Attempt | int, violation_type: str | None = None, event_id: str | None = None
) -> EventOutcome:
    return _one(attempt, "tab_violation", event_id, violation_type=violation_type)


def attempt_end_departure(
    *, attempt: Attempt | int, violation_type: str | None = None, away_seconds=None, event_id: str | None = None
) -> EventOutcome:
    """The student is back from their latest departure of this type (`tab_violation` with `returned: true`),
    away for `away_seconds` as their page measured it."""
    return _one(attempt, "tab_violation", event_id, violation_type=violation_type, returned=True,
                away_seconds=away_seconds)  # fmt: skip


def attempts_apply(events: Sequence[StudentEvent]) -> list[EventOutcome | ApplicationError]:
    """Apply student events of any attempts and any kind but a hand-in (`attempt_submit`, which marks the
    attempt) in order, each checked as it would be alone, in a fixed number of statements however many there
    are (the WebSocket's batches; REST and the single services send a batch of one).

    Returns an outcome per event, or the error that refused it: a refused event changes nothing and the
    others go on. A resent event id, even a copy within the batch, is applied once.
    """
    if not transaction.get_connection().in_atomic_block:
        # Resends are rare (a reconnect's outbox), so the log's unique event ids find them: only when the log
        # refuses one, or an event is refused, is the batch applied again, looking them up first. Outermost, the
        # first try rolls back whole, its messages with it (no savepoint: a lookup fewer, not two statements
        # more, per batch).
        try:
            with transaction.atomic():
                return _EventBatch(events, look_for_resends=False).apply()
        except _Resent:
            pass
    with transaction.atomic():
        return _EventBatch(events).apply()


class _Resent(Exception):
    """An event of the batch may have been applied before: the log refused its id, or its check refused it."""


class _EventBatch:
    """Reads what the events need in one query per kind of fact, applies each event in memory, then writes
    each kind of row in one statement and publishes each event's message, in the order of the events."""

    def __init__(self, events: Sequence[StudentEvent], *, look_for_resends: bool = True):
        self.events = events
        self.look_for_resends = look_for_resends
        self.by_type = defaultdict(list)
        for event in events:
            self.by_type[event.type].append(event)
        self.attempts = {
            attempt.pk: attempt
            for attempt in Attempt.objects.select_for_update(of=("self",))
            .select_related("session", "practice", "test")  # the paper's updated_at: is its cached shape still good
            .filter(pk__in={event.attempt_id for event in events})
            .order_by("pk")  # every writer locks attempts in id order: no deadlock between batches
        }
        # (attempt id, event id) → the logged event's data; those of this batch are added as they are applied.
        self.applied = self._applied_events() if look_for_resends else {}
        self.log: list[AttemptEvent] = []
        self.publishes: list[tuple[Attempt, str, dict]] = []
        self.stats_sessions: set[int] = set()
        self._load_paper()
        self._load_attempt_state()
        # What is written at the end: the last state of each row the events touched.
        self.answers: dict[tuple[int, int], Answer] = {}
        self.flags: dict[tuple[int, int], bool] = {}
        self.new_highlights: list[Highlight] = []
        self.removed_highlights: set[int] = set()
        self.notes: dict[int, str | None] = {}  # highlight id → its note, the last one set
        self.violations: list[Violation] = []
        self.returned_violations: list[Violation] = []
        self.moved: dict[int, Attempt] = {}

    # ------------------------------------------------------------------ reads, one query per kind of fact

    def _applied_events(self) -> dict[tuple[int, str], dict]:
        event_ids = {event.event_id for event in self.events if event.event_id}
        if not event_ids:
            return {}
        rows = AttemptEvent.objects.filter(attempt_id__in=self.attempts, event_id__in=event_ids).order_by()
        return {(attempt_id, event_id): data for attempt_id, event_id, data in
                rows.values_list("attempt_id", "event_id", "data")}  # fmt: skip

    def _load_paper(self) -> None:
        self.shapes = {
            attempt.pk: paper_shape(attempt.test, attempt.occasion.passage_orders) for attempt in self.attempts.values()
        }

    def _load_attempt_state(self) -> None:
        ids = self.attempts.keys()
        self.answered = defaultdict(set)  # attempt id → ids of the questions it has an answer to
        if self.by_type["answer_submitted"]:
            for attempt_id, question_id in (
                Answer.objects.filter(attempt_id__in=ids).order_by().values_list("attempt_id", "question_id")
            ):
                self.answered[attempt_id].add(question_id)
        self.highlights = {}  # highlight id → its attempt id, of the highlights named for removal or a note
        named = [*self.by_type["highlight_removed"], *self.by_type["highlight_noted"]]
        if highlight_ids := {pk for event in named if (pk := _as_lookup_id(event.data.get("highlight_id")))}:
            named = Highlight.objects.filter(attempt_id__in=ids, pk__in=highlight_ids).order_by()
            self.highlights = dict(named.values_list("pk", "attempt_id"))
        self.violation_counts = Counter()
        if self.by_type["tab_violation"]:
            self.violation_counts.update(
                dict(
                    Violation.objects.filter(attempt_id__in=ids)
                    .order_by()
                    .values("attempt_id")
                    .annotate(n=Count("id"))
                    .values_list("attempt_id", "n")
                )
            )
        # (attempt id, type) → the attempt's latest departure of that type, which a return ends.
        self.last_departures: dict[tuple[int, str], Violation] = {}
        if any(event.data.get("returned") is True for event in self.by_type["tab_violation"]):
            latest = (
                Violation.objects.filter(attempt_id__in=ids, type__in=DEPARTURE_TYPES)
                .order_by()
                .values("attempt_id", "type")
                .annotate(last=Max("pk"))
                .values("last")
            )
            for violation in Violation.objects.filter(pk__in=latest):
                self.last_departures[violation.attempt_id, violation.type] = violation

    # ------------------------------------------------------------------ each event, in memory

    def apply(self) -> list[EventOutcome | ApplicationError]:
        outcomes: list[EventOutcome | ApplicationError] = []
        for event in self.events:
            attempt = self.attempts.get(event.attempt_id)
            try:
                if attempt is None:
                    raise NotFound("Attempt not found.")
                previous = self.applied.get((attempt.pk, event.event_id)) if event.event_id else None
                if previous is not None:
                    outcomes.append(EventOutcome(attempt, applied=False, ack=previous))
                    continue
                published = len(self.publishes)
                data = getattr(self, "_" + event.type)(attempt, **event.data)
                if made_at := _made_at(attempt, event.made_at):
                    data["made_at"] = made_at
                    for _, _, fields in self.publishes[published:]:
                        fields["made_at"] = made_at
            except ApplicationError as exc:
                if event.event_id and not self.look_for_resends:
                    raise _Resent from exc  # perhaps a resend its original made invalid (a highlight it removed)
                outcomes.append(exc)
                continue
            entry = AttemptEvent(attempt=attempt, event_id=event.event_id or None, type=event.type, data=data,
                                 created_at=now())  # fmt: skip
            self.log.append(entry)
            if event.event_id:
                self.applied[attempt.pk, event.event_id] = data
            outcomes.append(EventOutcome(attempt, ack=data))  # the ack is made of the data once it is written
        self._write()
        for outcome in outcomes:
            if isinstance(outcome, EventOutcome):
                outcome.ack = self._ack_of(outcome.ack)
        for attempt, event_type, fields in self.publishes:
            _publish(attempt, event_type, **_written(fields))
        if self.stats_sessions:  # one count per session, however many violations, all in one query
            attempt_counts_changed.send(sender=Attempt, session_ids=sorted(self.stats_sessions))
        return outcomes

    @staticmethod
    def _ack_of(data: dict) -> dict:
        """What the sender's ack carries: a highlight's id (also for a resend of it)."""
        data = _written(data)
        if "text" in data and data.get("highlight_id") is not None:
            return {"highlight_id": data["highlight_id"]}
        if data.get("violation_id") is not None:
            return {"violation_id": data["violation_id"]}
        return {}

    def _paper_question(self, attempt: Attempt, question_id) -> int:
        question_id = _as_id(question_id, "question_id")
        if question_id not in self.shapes[attempt.pk].question_ids:
            raise InvalidInput("The question is not part of this paper.", code="unknown_question")
        return question_id

    def _answer_submitted(self, attempt: Attempt, *, question_id, answer) -> dict:
        question_id = self._paper_question(attempt, question_id)
        essay = question_id in self.shapes[attempt.pk].essay_ids
        answer = _answer_text(answer, max_chars=MAX_ESSAY_CHARS if essay else MAX_ANSWER_CHARS)
        _require_open(attempt)
        self.answers[attempt.pk, question_id] = Answer(
            attempt=attempt, question_id=question_id, answer=answer, answered_at=now()
        )
        if answer.strip():
            self.answered[attempt.pk].add(question_id)
        else:
            self.answered[attempt.pk].discard(question_id)
        data = {"question_id": question_id, "answer": answer}
        self.publishes.append((attempt, "answer_submitted", {**data, "answered_count": len(self.answered[attempt.pk])}))
        if essay:
            # An essay is saved about once a second as it is typed: its log keeps the size and first words of each
            # save, not the whole text every second (the answer row holds the text; the feed and the item analysis
            # read the log on every load).
            excerpt = answer[:ESSAY_LOG_EXCERPT_CHARS]
            return {"question_id": question_id, "answer": excerpt, "words": essay_words(answer), "chars": len(answer)}
        return data

    def _progress_update(self, attempt: Attempt, *, passage_index, question_index) -> dict:
        shape = self.shapes[attempt.pk]
        passage_index = _as_index(passage_index, "passage_index", shape.passage_count)
        question_index = _as_index(question_index, "question_index", max(shape.question_indexes) + 1)
        if question_index not in shape.question_indexes:
            raise InvalidInput("question_index names a question this session does not cover.", code="out_of_range")
        _require_open(attempt)
        attempt.current_passage_index = passage_index
        attempt.current_question_index = question_index
        self.moved[attempt.pk] = attempt
        data = {"passage_index": passage_index, "question_index": question_index}
        self.publishes.append((attempt, "progress_update", data))
        return data

    def _text_highlighted(self, attempt: Attempt, *, passage_id, text, position_start, position_end) -> dict:
        passage_pk = _as_id(passage_id, "passage_id")
        length = self.shapes[attempt.pk].passage_lengths.get(passage_pk)
        if length is None:
            raise InvalidInput("The passage is not part of this paper.", code="unknown_passage")
        if not isinstance(text, str) or not text.strip() or "\x00" in text:
            raise InvalidInput("text must be the highlighted text.", code="invalid")
        for name, value in (("position_start", position_start), ("position_end", position_end)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(f"{name} must be a whole number.", code="invalid")
        if not 0 <= position_start < position_end <= length:
            raise InvalidInput(f"Positions must satisfy 0 <= start < end <= {length}.", code="out_of_range")
        if len(text) > MAX_HIGHLIGHT_CHARS:
            raise InvalidInput("The highlighted text is too long.", code="too_long")
        _require_open(attempt)
        highlight = Highlight(
            attempt=attempt, passage_id=passage_pk, text=text, position_start=position_start,
            position_end=position_end, timestamp=now(),
        )  # fmt: skip
        self.new_highlights.append(highlight)
        # The id is the INSERT's: the log, the message and the ack read it once the batch is written.
        data = {"highlight_id": lambda: highlight.pk, "passage_id": passage_pk, "text": text,
                "position_start": position_start, "position_end": position_end}  # fmt: skip
        self.publishes.append((attempt, "text_highlighted", {**data, "note": None}))
        return data

    def _highlight_removed(self, attempt: Attempt, *, highlight_id) -> dict:
        highlight_pk = _as_id(highlight_id, "highlight_id")
        if self.highlights.get(highlight_pk) != attempt.pk or highlight_pk in self.removed_highlights:
            raise InvalidInput("No such highlight in this attempt.", code="unknown_highlight")
        _require_open(attempt)
        self.removed_highlights.add(highlight_pk)
        data = {"highlight_id": highlight_pk}
        self.publishes.append((attempt, "highlight_removed", data))
        return data

    def _highlight_noted(self, attempt: Attempt, *, highlight_id, note) -> dict:
        highlight_pk = _as_id(highlight_id, "highlight_id")
        if note is not None and not isinstance(note, str):
            raise InvalidInput("note must be text or null.", code="invalid")
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise InvalidInput(f"A note may be at most {MAX_NOTE_CHARS} characters.", code="too_long")
        if self.highlights.get(highlight_pk) != attempt.pk or highlight_pk in self.removed_highlights:
            raise InvalidInput("No such highlight in this attempt.", code="unknown_highlight")
        _require_open(attempt)
        note = note if note and note.strip() else None  # an empty note is no note
        self.notes[highlight_pk] = note
        data = {"highlight_id": highlight_pk, "note": note}
        self.publishes.append((attempt, "highlight_noted", data))
        return data

    def _question_flagged(self, attempt: Attempt, *, question_id, flagged) -> dict:
        if not isinstance(flagged, bool):
            raise InvalidInput("flagged must be true or false.", code="invalid")
        question_id = self._paper_question(attempt, question_id)
        _require_open(attempt)
        self.flags[attempt.pk, question_id] = flagged
        data = {"question_id": question_id, "flagged": flagged}
        self.publishes.append((attempt, "question_flagged", data))
        return data

    def _tab_violation(self, attempt: Attempt, *, violation_type=None, returned=False, away_seconds=None) -> dict:
        violation_type = violation_type or ViolationType.TAB_SWITCH
        if violation_type not in ViolationType.values:
            raise InvalidInput(f"Unknown violation_type {violation_type!r}.", code="invalid")
        if not isinstance(returned, bool):
            raise InvalidInput("returned must be true or false.", code="invalid")
        if returned:
            return self._departure_ended(attempt, violation_type, away_seconds)
        if away_seconds is not None:
            raise InvalidInput("away_seconds comes only with returned: true.", code="invalid")
        _require_open(attempt)
        violation = Violation(attempt=attempt, type=violation_type, timestamp=now())
        self.violations.append(violation)
        if violation_type in DEPARTURE_TYPES:
            self.last_departures[attempt.pk, violation_type] = violation
        self.violation_counts[attempt.pk] += 1
        if attempt.session_id is not None:
            self.stats_sessions.add(attempt.session_id)
        # The id is the INSERT's, as a highlight's.
        data = {"violation_type": violation_type, "violation_id": lambda: violation.pk}
        self._publish_violation(attempt, data)
        return data

    def _departure_ended(self, attempt: Attempt, violation_type: str, away_seconds) -> dict:
        if violation_type not in DEPARTURE_TYPES:
            raise InvalidInput(f"{violation_type} is not a departure: there is no coming back from it.", code="invalid")
        away_seconds = _away_seconds(away_seconds, attempt)
        _require_open(attempt)
        violation = self.last_departures.get((attempt.pk, violation_type))
        if violation is None or not violation.is_away:
            raise Conflict("There is no departure of this type to come back from.", code="not_away")
        violation.end_departure(at=now(), away_seconds=away_seconds)
        if violation.pk is not None:  # one of this batch is inserted ended
            self.returned_violations.append(violation)
        data = {"violation_type": violation_type, "violation_id": lambda: violation.pk, "returned": True,
                "away_seconds": violation.away_seconds}  # fmt: skip
        self._publish_violation(attempt, data)
        return data

    def _publish_violation(self, attempt: Attempt, data: dict) -> None:
        count = self.violation_counts[attempt.pk]
        fields = {"returned": False, "away_seconds": None, **data, "violations_count": count}
        self.publishes.append((attempt, "tab_violation", fields))

    # ------------------------------------------------------------------ writes, one statement per kind of row

    def _write(self) -> None:
        if self.new_highlights:  # first: the log and the messages carry the new ids
            Highlight.objects.bulk_create(self.new_highlights)
        if self.notes:
            Highlight.objects.bulk_update([Highlight(pk=pk, note=note) for pk, note in self.notes.items()], ["note"])
        if self.removed_highlights:
            Highlight.objects.filter(pk__in=self.removed_highlights).delete()
        kept = [answer for answer in self.answers.values() if answer.answer.strip()]
        if kept:  # one INSERT ... ON CONFLICT DO UPDATE
            Answer.objects.bulk_create(
                kept, update_conflicts=True, unique_fields=["attempt", "question"],
                update_fields=["answer", "answered_at"],
            )  # fmt: skip
        if cleared := [key for key, answer in self.answers.items() if not answer.answer.strip()]:
            Answer.objects.filter(_any_of(cleared)).delete()
        flagged = Attempt.flagged_questions.through
        if added := [key for key, on in self.flags.items() if on]:
            flagged.objects.bulk_create([flagged(attempt_id=a, question_id=q) for a, q in added], ignore_conflicts=True)
        if removed := [key for key, on in self.flags.items() if not on]:
            flagged.objects.filter(_any_of(removed)).delete()
        if self.violations:
            Violation.objects.bulk_create(self.violations)
        if self.returned_violations:
            Violation.objects.bulk_update(self.returned_violations, ["returned_at", "away_seconds"])
        if self.moved:
            Attempt.objects.bulk_update(self.moved.values(), ["current_passage_index", "current_question_index"])
        for entry in self.log:
            entry.data = _written(entry.data)
        try:
            AttemptEvent.objects.bulk_create(self.log)
        except IntegrityError as exc:
            if not self.look_for_resends:
                raise _Resent from exc
            # An event id logged without the attempt's lock: nothing of the batch stays.
            raise Conflict("This event was already applied.", code="duplicate_event") from exc


def _any_of(pairs) -> Q:
    """The rows of these (attempt id, question id) pairs."""
    return reduce(operator.or_, (Q(attempt_id=attempt, question_id=question) for attempt, question in pairs))


def _written(data: dict) -> dict:
    """`data` with the values known only once the batch is written (a new highlight's id) filled in."""
    return {key: value() if callable(value) else value for key, value in data.items()}


def _away_seconds(value, attempt: Attempt) -> int | None:
    """The page's measure of the time away, in whole seconds; no longer than the attempt has run."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput("away_seconds must be a number of seconds.", code="invalid")
    longest = (now() - attempt.started_at).total_seconds()
    if not 0 <= value <= longest:
        raise InvalidInput(f"away_seconds must be from 0 to {math.floor(longest)}.", code="out_of_range")
    return round(value)


def _made_at(attempt: Attempt, value) -> str | None:
    """The moment the student says they made an event, if it is believable: not before the attempt started and
    not ahead of the server beyond a small skew (within it, now). Anything else is ignored, never refused: the
    event itself counts."""
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    current = now()
    if moment < attempt.started_at or moment > current + MADE_AT_SKEW:
        return None
    return iso(min(moment, current))


def _answer_text(answer, *, max_chars: int) -> str:
    if answer is None:
        return ""
    if not isinstance(answer, str):
        raise InvalidInput("answer must be text.", code="invalid")
    if "\x00" in answer:
        raise InvalidInput("answer must not contain NUL characters.", code="invalid")
    if len(answer) > max_chars:
        raise InvalidInput(f"answer is longer than {max_chars} characters.", code="too_long", field="answer")
    return answer


def _as_lookup_id(value) -> int | None:
    """The id a value names, if it could name a row at all (the lookups skip the rest)."""
    try:
        pk = _as_id(value, "id")
    except InvalidInput:
        return None
    return pk if 0 < pk < 2**63 else None


def attempts_close(attempts: Sequence[Attempt], *, reason: str) -> None:
    """Submit and mark these locked, open attempts (the deadline does not apply: this is how time-up ends them),
    in one query per kind of row however many there are, and the live counts once."""
    if not attempts:
        return
    given = defaultdict(dict)
    for attempt_id, question_id, answer in Answer.objects.filter(attempt__in=attempts).values_list(
        "attempt_id", "question_id", "answer"
    ):
        given[attempt_id][question_id] = answer
    questions_of = {}  # by session or practice: the questions it covers
    moment = now()
    for attempt in attempts:
        occasion = (attempt.session_id, attempt.practice_id)
        if occasion not in questions_of:
            questions_of[occasion] = list(attempt.occasion.paper_questions())
        questions = questions_of[occasion]
        if attempt.test.module in WRITING_MODULES:  # essays are marked by teachers: the band is theirs
            attempt.score = None
            attempt.band = writing_band_of(attempt, [q for q in questions if q.is_essay])
        else:
            attempt.score = sum(1 for q in questions if q.is_correct(given[attempt.pk].get(q.pk)))
            attempt.band = band_for(
                attempt.score, len(questions), module=attempt.test.module, table=attempt.test.band_table
            )
        attempt.status = AttemptStatus.SUBMITTED
        attempt.submitted_at = moment
        attempt.end_offline_stretch(moment)
    Attempt.objects.bulk_update(
        attempts, ["status", "submitted_at", "score", "band", "offline_seconds", "offline_since"]
    )
    AttemptEvent.objects.bulk_create(
        AttemptEvent(
            attempt=attempt,
            type="attempt_submitted",
            data={"reason": reason, "score": attempt.score, "band": _band_text(attempt.band)},
            created_at=moment,
        )
        for attempt in attempts
    )
    for attempt in attempts:
        band = float(attempt.band) if attempt.band is not None else None
        _publish(attempt, "attempt_submitted", score=attempt.score, band=band, reason=reason)
    _counts_changed(attempts)


def _band_text(band) -> str | None:
    return None if band is None else str(band)


def writing_band_of(attempt: Attempt, essays) -> Decimal | None:
    """The attempt's writing band from its marks, once every one of these essays is marked (else None)."""
    marks = {mark.question_id: mark for mark in WritingMark.objects.filter(attempt=attempt)}
    if not essays or any(essay.pk not in marks for essay in essays):
        return None
    band = writing_band({essay.task: float(marks[essay.pk].band) for essay in essays})
    return Decimal(str(band))


@transaction.atomic
def attempt_submit(*, attempt: Attempt | int, event_id: str | None = None) -> EventOutcome:
    """The student hands in: marked at once. A second submit is a conflict (a resent event is not)."""
    attempt = _locked(attempt)
    if _previous(attempt, event_id):
        return EventOutcome(attempt, applied=False)
    if not attempt.can_transition_to(AttemptStatus.SUBMITTED):
        raise Conflict("The attempt is already submitted.", code="already_submitted")
    _require_not_paused(attempt)
    deadline = attempt.events_accepted_until
    if deadline is not None and now() > deadline:
        raise Conflict("Time is up: the attempt is submitted by the server.", code="time_up")
    if event_id:
        _log(attempt, event_id, "submit_attempt", {})
    attempts_close([attempt], reason="STUDENT")
    return EventOutcome(attempt)


def open_attempts_locked(session_id) -> list[Attempt]:
    """A session's open attempts, locked in pk order (the order every writer locks attempts in). Call inside the
    transaction that changes them."""
    return list(
        Attempt.objects.select_for_update(of=("self",))
        .select_related("session", "test")
        .filter(session_id=session_id, status=AttemptStatus.IN_PROGRESS)
        .order_by("pk")
    )


def attempts_submit_open(*, session_id, reason: str) -> int:
    """Submit and mark every open attempt of a session (the session is ending). Call inside its transaction."""
    attempts = open_attempts_locked(session_id)
    attempts_close(attempts, reason=reason)
    return len(attempts)


@transaction.atomic
def attempt_abandon(*, attempt: Attempt | int) -> Attempt:
    attempt = _locked(attempt)
    if not attempt.can_transition_to(AttemptStatus.ABANDONED):
        return attempt
    attempt.status = AttemptStatus.ABANDONED
    attempt.save(update_fields=["status"])
    _log(attempt, None, "attempt_abandoned", {"at": iso(now())})
    _counts_changed([attempt])
    return attempt
