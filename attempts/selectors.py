"""Reads on attempts: who sees which attempt, loaded whole for its body."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch

from attempts.models import Answer, Attempt, Highlight, Violation
from ielts_site.clock import iso, now


def _whole(attempts):
    return attempts.select_related("session").prefetch_related(
        Prefetch("answers", queryset=Answer.objects.order_by("question__number")),
        "highlights",
        "violations",
        "flagged_questions",
    )


def attempts_visible_to(user):
    """A student sees their own attempts; admins every attempt; teachers those of their classes' sessions."""
    attempts = _whole(Attempt.objects.all())
    if user.is_platform_admin:
        return attempts
    if user.is_teacher:
        return attempts.filter(session__school_class__teachers=user).distinct()
    return attempts.filter(student=user)


def attempt_loaded(attempt_id) -> Attempt:
    """One attempt with everything its body shows (for the body after a write)."""
    return _whole(Attempt.objects.all()).get(pk=attempt_id)


# The contract's attempt body, field by field: `attempt_body` (WebSocket, pages) and AttemptSerializer (REST) both
# give exactly these, in this order.
ANSWER_FIELDS = ("question_id", "answer", "answered_at")
HIGHLIGHT_FIELDS = ("id", "passage_id", "text", "position_start", "position_end", "timestamp", "note")
VIOLATION_FIELDS = ("id", "type", "timestamp", "verdict", "note", "away_seconds")
ATTEMPT_FIELDS = (
    "id", "session_id", "test_id", "student_id", "status", "started_at", "submitted_at", "ends_at", "server_now",
    "current_passage_index", "current_question_index", "answers", "highlights", "flagged_question_ids",
    "violations", "score", "band", "extra_seconds", "offline_seconds",
)  # fmt: skip
_ATTEMPT_COLUMNS = tuple(
    name for name in ATTEMPT_FIELDS
    if name not in {"server_now", "answers", "highlights", "flagged_question_ids", "violations", "offline_seconds"}
)  # fmt: skip


def _json(value):
    """A column's value as the contract's JSON has it: times in ISO 8601, the band a number."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _by_attempt(rows, fields) -> dict[int, list[dict]]:
    """(attempt_id, *fields) rows → attempt id → [{field: value}], in the rows' order."""
    grouped = defaultdict(list)
    for attempt_id, *values in rows:
        grouped[attempt_id].append({name: _json(value) for name, value in zip(fields, values, strict=True)})
    return grouped


def attempt_body(attempt: Attempt | int) -> dict:
    """The contract's attempt body as plain JSON data (WebSocket `state_sync_response`, pages): exactly what
    `AttemptSerializer` gives REST, read as plain rows."""
    attempt_id = attempt.pk if isinstance(attempt, Attempt) else attempt
    return attempt_bodies([attempt_id])[attempt_id]


def attempt_bodies(attempt_ids) -> dict[int, dict]:
    """`attempt_body` of many attempts in five queries however many there are (a class's state syncs at the
    start, a reconnect storm): attempt id → body; ids of no attempt are left out."""
    attempt_ids = set(attempt_ids)
    rows = Attempt.objects.filter(pk__in=attempt_ids).values(*_ATTEMPT_COLUMNS, "offline_seconds", "offline_since")
    answers = _by_attempt(
        Answer.objects.filter(attempt_id__in=attempt_ids)
        .order_by("attempt_id", "question__number")
        .values_list("attempt_id", *ANSWER_FIELDS),
        ANSWER_FIELDS,
    )
    highlights = _by_attempt(
        Highlight.objects.filter(attempt_id__in=attempt_ids)
        .order_by("attempt_id", "timestamp", "id")
        .values_list("attempt_id", *HIGHLIGHT_FIELDS),
        HIGHLIGHT_FIELDS,
    )
    violations = _by_attempt(
        Violation.objects.filter(attempt_id__in=attempt_ids)
        .order_by("attempt_id", "timestamp", "id")
        .values_list("attempt_id", *VIOLATION_FIELDS),
        VIOLATION_FIELDS,
    )
    flagged = defaultdict(list)
    for attempt_id, question_id in (
        Attempt.flagged_questions.through.objects.filter(attempt_id__in=attempt_ids)
        .order_by("attempt_id", "question__test", "question__number")
        .values_list("attempt_id", "question_id")
    ):
        flagged[attempt_id].append(question_id)
    moment = now()
    bodies = {}
    for row in rows:
        attempt_id = row["id"]
        offline = Attempt(offline_seconds=row.pop("offline_seconds"), offline_since=row.pop("offline_since"))
        body = {name: _json(value) for name, value in row.items()}
        body |= {
            "server_now": iso(moment),
            "offline_seconds": offline.offline_seconds_at(moment),
            "answers": answers[attempt_id],
            "highlights": highlights[attempt_id],
            "flagged_question_ids": flagged[attempt_id],
            "violations": violations[attempt_id],
        }
        bodies[attempt_id] = {name: body[name] for name in ATTEMPT_FIELDS}
    return bodies


def as_student_sees(body: dict, session) -> dict:
    """An attempt body as its student may see it: no score or band before the session's results are released for
    it; once they are, with the session's `review`, each answer with its mark and the accepted answers."""
    if not session.result_is_released_for(body["status"]):
        return {**body, "score": None, "band": None}
    if not session.review:
        return body
    questions = {question.pk: question for question in session.paper_questions()}
    answers = []
    for item in body["answers"]:
        question = questions.get(item["question_id"])
        if question is not None:
            item = {**item, "correct": question.is_correct(item["answer"]), "accepted_answers": list(question.answers)}
        answers.append(item)
    return {**body, "answers": answers}
