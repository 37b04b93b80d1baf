"""Reads on attempts: who sees which attempt, loaded whole for its body."""

from collections import defaultdict

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
    `AttemptSerializer` gives REST, read as plain rows."""
    attempt_id = attempt.pk if isinstance(attempt, Attempt) else attempt
    return attempt_bodies([attempt_id])[attempt_id]


def attempt_bodies(attempt_ids) -> dict[int, dict]:
    """`attempt_body` of many attempts in five queries however many there are (a class's state syncs at the
    start, a reconnect storm): attempt id → body; ids of no attempt are left out."""
    attempt_ids = set(attempt_ids)
    rows = Attempt.objects.filter(pk__in=attempt_ids).values(*_ATTEMPT_COLUMNS, ends_at=F("session__ends_at"))
    answers, highlights, violations, flagged = (defaultdict(list) for _ in range(4))
    for attempt_id, *answer in (
        Answer.objects.filter(attempt_id__in=attempt_ids)
        .order_by("attempt_id", "question__number")
        .values_list("attempt_id", "question_id", "answer", "answered_at")
    ):
        answers[attempt_id].append(answer)
    for attempt_id, *highlight in (
        Highlight.objects.filter(attempt_id__in=attempt_ids)
        .order_by("attempt_id", "timestamp", "id")
        .values_list("attempt_id", "id", "passage_id", "text", "position_start", "position_end", "timestamp")
    ):
        highlights[attempt_id].append(highlight)
    for attempt_id, kind, moment in (
        Violation.objects.filter(attempt_id__in=attempt_ids)
        .order_by("attempt_id", "timestamp", "id")
        .values_list("attempt_id", "type", "timestamp")
    ):
        violations[attempt_id].append({"type": kind, "timestamp": iso(moment)})
    for attempt_id, question_id in (
        Attempt.flagged_questions.through.objects.filter(attempt_id__in=attempt_ids)
        .order_by("attempt_id", "question__test", "question__number")
        .values_list("attempt_id", "question_id")
    ):
        flagged[attempt_id].append(question_id)
    moment = iso(now())
    return {
        row["id"]: {
            **{name: row[name] for name in ("id", "session_id", "test_id", "student_id", "status")},
            "started_at": iso(row["started_at"]),
            "submitted_at": iso(row["submitted_at"]),
            "ends_at": iso(row["ends_at"]),
            "server_now": moment,
            "current_passage_index": row["current_passage_index"],
            "current_question_index": row["current_question_index"],
            "answers": [
                {"question_id": question_id, "answer": answer, "answered_at": iso(answered_at)}
                for question_id, answer, answered_at in answers[row["id"]]
            ],
            "highlights": [
                {
                    "id": pk,
                    "passage_id": passage_id,
                    "text": text,
                    "position_start": start,
                    "position_end": end,
                    "timestamp": iso(timestamp),
                }
                for pk, passage_id, text, start, end, timestamp in highlights[row["id"]]
            ],  # fmt: skip
            "flagged_question_ids": flagged[row["id"]],
            "violations": violations[row["id"]],
            "score": row["score"],
            "band": float(row["band"]) if row["band"] is not None else None,
        }
        for row in rows
    }
