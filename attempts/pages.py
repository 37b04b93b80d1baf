"""The student's pages: "My sessions" (with the practices open to them) and the test page (waiting room → test →
finished), which also serves a practice attempt.

The paper is rendered on the server (exams.presentation) so the page keeps working offline once loaded, but
only while the student has an attempt in a session in progress (as GET /api/v1/tests/{id}): the waiting room
does not carry it, and the page fetches itself again when the test starts.
"""

from collections import defaultdict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.pages import staff_home_url
from attempts.models import Attempt, AttemptStatus
from attempts.practice import practice_attempt_start
from attempts.selectors import as_student_sees, attempt_body, practices_visible_to
from exams.presentation import student_paper
from ielts_site.clock import iso, now
from ielts_site.errors import Conflict, NotFound
from sessions_app.models import Session, SessionStatus, remaining_seconds
from sessions_app.selectors import sessions_visible_to


def page_config(*, occasion, user, passages, attempt) -> dict:
    """What the page's JavaScript needs (the json_script tag): ids, numbers, types, texts and the clock. `occasion` is
    the session, or the practice of `attempt` (a practice attempt's page talks to the attempt's own socket)."""
    in_session = isinstance(occasion, Session)
    if in_session:
        ends_at = attempt.ends_at if attempt else occasion.ends_at
        status, remaining = occasion.status, remaining_seconds(ends_at, session=occasion)
    else:
        ends_at = attempt.ends_at
        # The page reads a practice attempt's own status where a session's would be: running until it is handed in.
        status = AttemptStatus.IN_PROGRESS if attempt.is_open else attempt.status
        remaining = max(0.0, (ends_at - now()).total_seconds()) if attempt.is_open else 0.0
    return {
        "session_id": occasion.pk if in_session else None,
        # What the page's stored state (outbox, pause, seen messages, other tabs) is kept under.
        "scope": f"session-{occasion.pk}" if in_session else f"practice-attempt-{attempt.pk}",
        "user_id": user.pk,
        "username": user.username,
        "status": status,
        # The student's own clock: their attempt's deadline, frozen while the session is paused.
        "ends_at": iso(ends_at),
        "remaining_seconds": remaining,
        "paused_at": iso(occasion.paused_at) if in_session else None,
        "pause_reason": (occasion.pause_reason or None) if in_session else None,
        "server_now": iso(now()),
        "seconds_per_minute": settings.IELTS_SECONDS_PER_MINUTE,
        "ws_path": f"/api/v1/sessions/{occasion.pk}/ws" if in_session else f"/api/v1/attempts/{attempt.pk}/ws",
        "session_api": f"/api/v1/sessions/{occasion.pk}" if in_session else None,
        "messages_api": f"/api/v1/sessions/{occasion.pk}/messages" if in_session else None,
        "attempt_api": "/api/v1/attempts/",
        "my_sessions_url": reverse("student-sessions"),
        "paper_loaded": bool(passages),
        "module": attempt.test.module if attempt else occasion.test.module,
        # A Listening paper's timeline (static/student/listening.js): the live position is now − audio_started_at.
        "audio_started_at": iso(attempt.audio_started_at()) if attempt and attempt.test.is_listening else None,
        "passages": [
            {
                "id": p["id"],
                "index": p["index"],
                "title": p["title"],
                "text": p["text"],
                "audio": p["audio"],
                "audio_seconds": p["audio_seconds"],
            }
            for p in passages
        ],  # fmt: skip
        "questions": [
            {
                "id": q["id"],
                "number": q["number"],
                "type": q["type"],
                "passage_id": q["passage_id"],
                "passage_index": q["passage_index"],
                "word_limit": q["word_limit"],
            }
            for p in passages
            for q in p["questions"]
        ],
        "attempt": as_student_sees(attempt_body(attempt), occasion) if attempt else None,
        # What the finished screen's review names each question by (the paper is not loaded by then).
        "question_numbers": {q.pk: q.number for q in occasion.paper_questions().only("pk", "number")},
    }


def _test_running(row) -> bool:
    attempt = row["attempt"]
    return row["session"].is_running and attempt is not None and attempt.status == AttemptStatus.IN_PROGRESS


# Never from the browser's cache: Back from the test page must show the test running, not the page as it was.
@never_cache
@login_required
def my_sessions(request):
    """Upcoming, open and finished sessions of the student, straight from the database; a test of theirs that is
    running is named first, with the way back to it. The page reloads its lists when the home socket says so."""
    if not request.user.is_student:
        return redirect(staff_home_url())
    sessions = list(sessions_visible_to(request.user).order_by("scheduled_at", "id"))
    attempts = {a.session_id: a for a in Attempt.objects.filter(student=request.user, session__in=sessions)}
    rows = [_row(s, attempts.get(s.pk)) for s in sessions]
    return render(
        request,
        "student/my_sessions.html",
        {
            "running_row": next((r for r in rows if _test_running(r)), None),
            "open_rows": [r for r in rows if r["session"].status in SessionStatus.OPEN],
            "upcoming_rows": [r for r in rows if r["session"].status == SessionStatus.SCHEDULED],
            "finished_rows": [r for r in reversed(rows) if r["session"].status in SessionStatus.FINISHED],
            "practice_rows": practice_rows(request.user),
        },
    )


def _row(session, attempt) -> dict:
    """A session of the list with the student's attempt, and whether its result may be shown yet."""
    shown = attempt is not None and session.result_is_released_for(attempt.status)
    return {"session": session, "attempt": attempt, "result_shown": shown}


def practice_rows(student) -> list[dict]:
    """The open practices of the student's classes, each with the attempt in progress (if any) and those handed in,
    newest first."""
    practices = list(practices_visible_to(student))
    attempts = defaultdict(list)
    for attempt in Attempt.objects.filter(student=student, practice__in=practices).order_by("-started_at", "-id"):
        attempts[attempt.practice_id].append(attempt)
    return [
        {
            "practice": practice,
            "open_attempt": next((a for a in attempts[practice.pk] if a.is_open), None),
            "finished": [a for a in attempts[practice.pk] if not a.is_open],
        }
        for practice in practices
    ]


@require_POST
@login_required
def practice_start(request, practice_id: int):
    """Start a practice attempt (or go back to the one in progress) and open it."""
    if not request.user.is_student:
        return redirect(staff_home_url())
    open_attempt = Attempt.objects.filter(
        practice_id=practice_id, student=request.user, status=AttemptStatus.IN_PROGRESS
    ).first()
    if open_attempt is None:
        try:
            open_attempt = practice_attempt_start(practice=practice_id, student=request.user)
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except Conflict as exc:
            messages.error(request, exc.detail)
            return redirect("student-sessions")
    return redirect("student-practice-attempt", open_attempt.pk)


@never_cache
@login_required
def practice_attempt_page(request, attempt_id: int):
    """A practice attempt: the test page on the attempt's own clock, then its result (and keys, if the teacher chose
    to show them)."""
    attempt = get_object_or_404(
        Attempt.objects.select_related("practice__test", "test"), pk=attempt_id, student=request.user,
        practice__isnull=False,
    )  # fmt: skip
    practice = attempt.practice
    passages = student_paper(attempt.test, []) if attempt.is_open else []
    config = page_config(occasion=practice, user=request.user, passages=passages, attempt=attempt)
    return render(
        request,
        "student/test.html",
        {
            "sitting": practice,
            "attempt": attempt,
            "finished": not attempt.is_open,
            "show_paper": attempt.is_open,
            "passages": passages,
            "question_count": len(config["question_numbers"]),
            "result": config["attempt"],
            "config": config,
        },
    )


@login_required
def test_page(request, session_id: int):
    """The waiting room that becomes the test the moment the teacher starts, then the finished screen."""
    if not request.user.is_student:
        return redirect(reverse("teacher-live", args=[session_id]))
    session = get_object_or_404(sessions_visible_to(request.user).select_related("test"), pk=session_id)
    attempt = Attempt.objects.filter(session=session, student=request.user).first()
    show_paper = session.is_running and attempt is not None and attempt.status == AttemptStatus.IN_PROGRESS
    passages = student_paper(session.test, session.passage_orders) if show_paper else []
    config = page_config(occasion=session, user=request.user, passages=passages, attempt=attempt)
    finished = session.status in SessionStatus.FINISHED or (
        attempt is not None and attempt.status != AttemptStatus.IN_PROGRESS
    )
    return render(
        request,
        "student/test.html",
        {
            "sitting": session,
            "attempt": attempt,
            "finished": finished,
            "show_paper": show_paper,
            "passages": passages,
            "question_count": len(config["question_numbers"]),
            "result": config["attempt"],
            "config": config,
        },
    )
