"""Reads on attempts: the one attempt body of the contract, shared by REST and the WebSocket state sync."""

from attempts.models import Attempt
from ielts_site.clock import iso, now


def attempt_body(attempt: Attempt) -> dict:
    """The contract's attempt body (never an answer key): exactly the fields the contract lists."""
    attempt = (
        Attempt.objects.select_related("session")
        .prefetch_related("answers", "highlights", "violations", "flagged_questions")
        .get(pk=attempt.pk)
    )
    return {
        "id": attempt.pk,
        "session_id": attempt.session_id,
        "test_id": attempt.test_id,
        "student_id": attempt.student_id,
        "status": attempt.status,
        "started_at": iso(attempt.started_at),
        "submitted_at": iso(attempt.submitted_at),
        "ends_at": iso(attempt.session.ends_at),
        "server_now": iso(now()),
        "current_passage_index": attempt.current_passage_index,
        "current_question_index": attempt.current_question_index,
        "answers": [
            {"question_id": a.question_id, "answer": a.answer, "answered_at": iso(a.answered_at)}
            for a in attempt.answers.all()
        ],
        "highlights": [
            {
                "id": h.pk,
                "passage_id": h.passage_id,
                "text": h.text,
                "position_start": h.position_start,
                "position_end": h.position_end,
                "timestamp": iso(h.timestamp),
            }
            for h in attempt.highlights.all()
        ],
        "flagged_question_ids": sorted(q.pk for q in attempt.flagged_questions.all()),
        "violations": [{"type": v.type, "timestamp": iso(v.timestamp)} for v in attempt.violations.all()],
        "score": attempt.score,
        "band": float(attempt.band) if attempt.band is not None else None,
    }
