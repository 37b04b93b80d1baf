"""An attempt's timeline: a replay first (a scrubber over the session's time showing the student's paper at that
moment, with the gaps in presence, the violations and the teacher's actions on the same axis), then every event
the student's test produced (and every control a teacher used on it), in order and in words, with the time since
the session started, beside the answers given, the highlights and the violations, each of which a teacher may
confirm or dismiss with a note here."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from attempts.models import AttemptEvent, Verdict, Violation, ViolationType
from ielts_site.clock import iso, now
from ielts_site.errors import ApplicationError
from monitoring.access import staff_required, visible_attempt
from monitoring.forms import ViolationReviewForm
from monitoring.history import attempt_replay, epoch_ms, replay_axis, replay_step
from monitoring.selectors import attempt_timeline
from monitoring.views.results import duration_text
from sessions_app.services import violation_review

SUBMIT_REASONS = {"STUDENT": "handed in", "TEACHER": "the teacher ended the test", "TIME_UP": "time was up"}
VERDICT_WORDS = dict(Verdict.choices)


def _given(seconds: int) -> str:
    return f"{duration_text(seconds)} more" if seconds >= 0 else f"{duration_text(-seconds)} taken back"


def _because(reason) -> str:
    return f" ({reason})" if reason else ""


def _describe_control(event: AttemptEvent, data: dict, context: dict) -> str | None:
    """A line for what a teacher did to the attempt, or what its connection did; None for a student's event."""
    match event.type:
        case "connected":
            return "Connected"
        case "disconnected":
            return "Disconnected (offline time counts while the test runs)"
        case "session_paused":
            return "The teacher paused the test" + _because(data.get("reason"))
        case "session_resumed":
            return f"The test went on after {duration_text(data.get('paused_seconds') or 0)} paused"
        case "time_extended":
            who = "The class was given" if data.get("whole_class") else "Given"
            return f"{who} {_given(int(data.get('seconds') or 0))}" + _because(data.get("reason"))
        case "attempt_finished":
            return "The teacher finished the test"
        case "attempt_reopened":
            return f"Reopened for {duration_text(data.get('seconds') or 0)}"
        case "teacher_message":
            text = context["messages"].get(data.get("message_id"))
            return f"Message from the teacher: “{text}”" if text else "Message from the teacher"
        case "violation_reviewed":
            verdict = VERDICT_WORDS.get(data.get("verdict"), data.get("verdict") or "reviewed").lower()
            return f"A violation was {verdict}" + (f": “{data['note']}”" if data.get("note") else "")
    return None


def _describe(event: AttemptEvent, context: dict) -> str:
    """One line of the timeline in words."""
    data = event.data if isinstance(event.data, dict) else {}
    question = context["question_numbers"].get(data.get("question_id"))
    label = f"Q{question}" if question else "a question"
    match event.type:
        case "answer_submitted":
            answer = data.get("answer") or ""
            return f"Answered {label}: “{answer}”" if answer.strip() else f"Cleared the answer to {label}"
        case "tab_violation":
            kind = data.get("violation_type") or ViolationType.TAB_SWITCH
            what = dict(ViolationType.choices).get(kind, kind).lower()
            if data.get("returned"):
                return f"Came back to the test after {duration_text(data.get('away_seconds') or 0)} ({what})"
            return f"Left the test: {what}"
        case "text_highlighted":
            where = context["passage_names"].get(data.get("passage_id"), "the passage")
            return f"Highlighted “{data.get('text', '')}” in {where}"
        case "highlight_removed":
            return "Removed a highlight"
        case "highlight_noted":
            return f"Noted a highlight: “{data['note']}”" if data.get("note") else "Cleared a highlight's note"
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
    control = _describe_control(event, data, context)
    if control is None:
        return event.type.replace("_", " ").capitalize()
    by = context["people"].get(data.get("by"))
    return f"{control} — by {by}" if by else control


def _away_text(violation: Violation, attempt) -> str:
    """How long a departure lasted: "away 42 s", "away now", or "did not come back" once the attempt is over."""
    if violation.away_seconds is not None:
        return f"away {duration_text(violation.away_seconds)}"
    if not violation.is_away:
        return ""
    return "away now" if attempt.is_open else "did not come back before the end"


def _offset(moment, origin) -> str:
    """`+mm:ss` (or `-mm:ss`) from the origin; `+00:00` without one."""
    offset = (moment - origin).total_seconds() if origin else 0
    sign = "-" if offset < 0 else "+"
    minutes, seconds = divmod(int(abs(offset)), 60)
    return f"{sign}{minutes:02d}:{seconds:02d}"


def _replay(attempt, data: dict) -> tuple[dict, dict]:
    """The replay's script data (its steps in words, the paper's questions and passages) and its axis."""
    replay = attempt_replay(attempt, data["events"])
    start, end = replay["start"], replay["end"]
    steps = [
        {
            **replay_step(event),
            "at": epoch_ms(moment),
            "offset": _offset(moment, start),
            "words": _describe(event, data),
        }
        for moment, event in replay["timed"]
    ]
    script = {"start": iso(start), "end": iso(end), "steps": steps, "questions": replay["questions"],
              "passages": replay["passages"]}  # fmt: skip
    return script, replay_axis(steps, start, end)


@require_GET
@staff_required
def timeline(request, attempt_id):
    """One attempt's timeline, for the teachers of its session's (or practice's) class and admins."""
    attempt = visible_attempt(request.user, attempt_id)
    session = attempt.session
    data = attempt_timeline(attempt)
    origin = (session.started_at if session else None) or attempt.started_at
    events = [
        {
            "event": event,
            "text": _describe(event, data),
            "offset": _offset(event.created_at, origin),
            "kind": event.type,
        }
        for event in data["events"]
    ]
    replay, axis = _replay(attempt, data)
    offline = attempt.offline_seconds_at(now())
    violations = [
        {"violation": violation, "number": index, "offset": _offset(violation.timestamp, origin),
         "away": _away_text(violation, attempt)}
        for index, violation in enumerate(data["violations"], start=1)
    ]  # fmt: skip
    return render(
        request,
        "teacher/timeline.html",
        {
            "attempt": attempt,
            "session": session,
            "practice": attempt.practice,
            "school_class": attempt.occasion.school_class,
            "events": events,
            "answer_rows": data["answer_rows"],
            "violations": violations,
            "confirmed_count": sum(1 for v in data["violations"] if v.verdict == Verdict.CONFIRMED),
            "extra_text": duration_text(attempt.extra_seconds) if attempt.extra_seconds else "",
            "offline_text": duration_text(offline) if offline else "",
            "highlights": attempt.highlights.select_related("passage"),
            "replay": replay,
            "axis": axis,
        },
    )


@require_POST
@staff_required
def review_violation(request, attempt_id, violation_id):
    """Confirm or dismiss one of the attempt's violations with a note (the same service as the REST route), then
    back to the timeline at that violation."""
    attempt = visible_attempt(request.user, attempt_id)
    form = ViolationReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Confirm or Dismiss; a note has at most 500 characters.")
    else:
        try:
            violation_review(
                attempt=attempt, violation_id=violation_id, verdict=form.cleaned_data["verdict"], by=request.user,
                note=form.cleaned_data["note"] or None,
            )  # fmt: skip
        except ApplicationError as error:
            messages.error(request, error.detail)
        else:
            word = VERDICT_WORDS[form.cleaned_data["verdict"]].lower()
            messages.success(request, f"Violation {word}.")
    return redirect(reverse("teacher-timeline", args=[attempt.pk]) + f"#violation-{violation_id}")
