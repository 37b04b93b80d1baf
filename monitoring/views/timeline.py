"""An attempt's timeline: every event the student's test produced, in order and in words, with the time since
the session started, beside the answers given, the violations and the highlights."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from attempts.models import AttemptEvent, ViolationType
from monitoring.access import staff_required, visible_attempt
from monitoring.selectors import attempt_timeline

SUBMIT_REASONS = {"STUDENT": "handed in", "TEACHER": "the teacher ended the test", "TIME_UP": "time was up"}


def _describe(event: AttemptEvent, numbers: dict, passages: dict) -> str:
    """One line of the timeline in words."""
    data = event.data or {}
    question = numbers.get(data.get("question_id"))
    label = f"Q{question}" if question else "a question"
    match event.type:
        case "answer_submitted":
            answer = data.get("answer") or ""
            return f"Answered {label}: “{answer}”" if answer.strip() else f"Cleared the answer to {label}"
        case "tab_violation":
            kind = data.get("violation_type") or ViolationType.TAB_SWITCH
            return f"Left the test: {dict(ViolationType.choices).get(kind, kind).lower()}"
        case "text_highlighted":
            where = passages.get(data.get("passage_id"), "the passage")
            return f"Highlighted “{data.get('text', '')}” in {where}"
        case "highlight_removed":
            return "Removed a highlight"
        case "question_flagged":
            return f"Flagged {label} for review" if data.get("flagged") else f"Unflagged {label}"
        case "progress_update":
            passage = (data.get("passage_index") or 0) + 1
            question_number = (data.get("question_index") or 0) + 1
            return f"Moved to passage {passage}, question {question_number}"
        case "submit_attempt":
            return "Handed in"
        case "attempt_submitted":
            why = SUBMIT_REASONS.get(data.get("reason"), data.get("reason") or "")
            return f"Submitted and marked ({why}): score {data.get('score')}, band {data.get('band')}"
        case "attempt_abandoned":
            return "Attempt abandoned (removed from the class)"
    return event.type.replace("_", " ").capitalize()


def _offset(moment, origin) -> str:
    """`+mm:ss` (or `-mm:ss`) from the origin; `+00:00` without one."""
    offset = (moment - origin).total_seconds() if origin else 0
    sign = "-" if offset < 0 else "+"
    minutes, seconds = divmod(int(abs(offset)), 60)
    return f"{sign}{minutes:02d}:{seconds:02d}"


@require_GET
@staff_required
def timeline(request, attempt_id):
    """One attempt's timeline, for the teachers of its session's class and admins."""
    attempt = visible_attempt(request.user, attempt_id)
    session = attempt.session
    data = attempt_timeline(attempt)
    origin = session.started_at or attempt.started_at
    events = [
        {
            "event": event,
            "text": _describe(event, data["question_numbers"], data["passage_names"]),
            "offset": _offset(event.created_at, origin),
            "kind": event.type,
        }
        for event in data["events"]
    ]
    return render(
        request,
        "teacher/timeline.html",
        {
            "attempt": attempt,
            "session": session,
            "school_class": session.school_class,
            "events": events,
            "answer_rows": data["answer_rows"],
            "violations": attempt.violations.all(),
            "highlights": attempt.highlights.select_related("passage"),
        },
    )
