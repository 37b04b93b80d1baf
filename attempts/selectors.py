"""Reads on attempts: who sees which attempt, loaded whole for its body."""

from django.db.models import F, Prefetch

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


_ATTEMPT_COLUMNS = (
    "id", "session_id", "test_id", "student_id", "status", "started_at", "submitted_at", "current_passage_index",
    "current_question_index", "score", "band",
)  # fmt: skip


def attempt_body(attempt: Attempt | int) -> dict:
    """The contract's attempt body as plain JSON data (WebSocket `state_sync_response`, pages): exactly what
    `AttemptSerializer` gives REST, read as plain rows in five queries (a reconnect storm makes hundreds a second).
    """
    attempt_id = attempt.pk if isinstance(attempt, Attempt) else attempt
    row = Attempt.objects.filter(pk=attempt_id).values(*_ATTEMPT_COLUMNS, ends_at=F("session__ends_at")).get()
    answers = Answer.objects.filter(attempt_id=attempt_id).order_by("question__number")
    highlights = Highlight.objects.filter(attempt_id=attempt_id).order_by("timestamp", "id")
    violations = Violation.objects.filter(attempt_id=attempt_id).order_by("timestamp", "id")
    flagged = Attempt.flagged_questions.through.objects.filter(attempt_id=attempt_id).order_by(
        "question__test", "question__number"
    )
    return {
        **{name: row[name] for name in ("id", "session_id", "test_id", "student_id", "status")},
        "started_at": iso(row["started_at"]),
        "submitted_at": iso(row["submitted_at"]),
        "ends_at": iso(row["ends_at"]),
        "server_now": iso(now()),
        "current_passage_index": row["current_passage_index"],
        "current_question_index": row["current_question_index"],
        "answers": [
            {**answer, "answered_at": iso(answer["answered_at"])}
            for answer in answers.values("question_id", "answer", "answered_at")
        ],
        "highlights": [
            {**highlight, "timestamp": iso(highlight["timestamp"])}
            for highlight in highlights.values(
                "id", "passage_id", "text", "position_start", "position_end", "timestamp"
            )
        ],
        "flagged_question_ids": list(flagged.values_list("question_id", flat=True)),
        "violations": [
            {"type": kind, "timestamp": iso(moment)} for kind, moment in violations.values_list("type", "timestamp")
        ],
        "score": row["score"],
        "band": float(row["band"]) if row["band"] is not None else None,
    }
