"""The student's pages: "My sessions" and the test page (waiting room → test → finished).

The paper is rendered on the server (exams.presentation) so the page keeps working offline once loaded, but
only while the student has an attempt in a session in progress (as GET /api/v1/tests/{id}): the waiting room
does not carry it, and the page fetches itself again when the test starts.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from accounts.pages import staff_home_url
from attempts.models import Attempt, AttemptStatus
from attempts.selectors import as_student_sees, attempt_body
from exams.presentation import student_paper
from ielts_site.clock import iso, now
from sessions_app.models import SessionStatus, remaining_seconds
from sessions_app.selectors import sessions_visible_to


def page_config(*, session, user, passages, attempt) -> dict:
    """What the page's JavaScript needs (the json_script tag): ids, numbers, types, texts and the clock."""
    return {
        "session_id": session.pk,
        "user_id": user.pk,
        "username": user.username,
        "status": session.status,
        # The student's own clock: their attempt's deadline, frozen while the session is paused.
        "ends_at": iso(attempt.ends_at if attempt else session.ends_at),
        "remaining_seconds": remaining_seconds(attempt.ends_at if attempt else session.ends_at, session=session),
        "paused_at": iso(session.paused_at),
        "pause_reason": session.pause_reason or None,
        "server_now": iso(now()),
        "seconds_per_minute": settings.IELTS_SECONDS_PER_MINUTE,
        "ws_path": f"/api/v1/sessions/{session.pk}/ws",
        "session_api": f"/api/v1/sessions/{session.pk}",
        "messages_api": f"/api/v1/sessions/{session.pk}/messages",
        "attempt_api": "/api/v1/attempts/",
        "my_sessions_url": reverse("student-sessions"),
        "paper_loaded": bool(passages),
        "passages": [{"id": p["id"], "index": p["index"], "title": p["title"], "text": p["text"]} for p in passages],
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
        "attempt": as_student_sees(attempt_body(attempt), session) if attempt else None,
        # What the finished screen's review names each question by (the paper is not loaded by then).
        "question_numbers": {q.pk: q.number for q in session.paper_questions().only("pk", "number")},
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
    rows = [{"session": s, "attempt": attempts.get(s.pk)} for s in sessions]
    return render(
        request,
        "student/my_sessions.html",
        {
            "running_row": next((r for r in rows if _test_running(r)), None),
            "open_rows": [r for r in rows if r["session"].status in SessionStatus.OPEN],
            "upcoming_rows": [r for r in rows if r["session"].status == SessionStatus.SCHEDULED],
            "finished_rows": [r for r in reversed(rows) if r["session"].status in SessionStatus.FINISHED],
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
    config = page_config(session=session, user=request.user, passages=passages, attempt=attempt)
    finished = session.status in SessionStatus.FINISHED or (
        attempt is not None and attempt.status != AttemptStatus.IN_PROGRESS
    )
    return render(
        request,
        "student/test.html",
        {
            "session": session,
            "attempt": attempt,
            "finished": finished,
            "show_paper": show_paper,
            "passages": passages,
            "question_count": len(config["question_numbers"]),
            "result": config["attempt"],
            "config": config,
        },
    )
