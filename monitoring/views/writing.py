"""A session's Writing to mark: every student's essays beside the four criteria (whole bands 0–9) and a comment
per task; each form posts one task's marks to `attempts.writing.attempt_mark_writing` (the REST route's service),
then comes back to the student's row, which shows the task's band and, once every task is marked, the writing
band."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from attempts.writing import attempt_mark_writing
from exams.marking import WRITING_CRITERIA
from ielts_site.errors import ApplicationError
from monitoring.access import staff_required, visible_session
from monitoring.selectors import session_writing_sheet

CRITERIA_LABELS = {
    "TA": "Task Achievement / Response",
    "CC": "Coherence and Cohesion",
    "LR": "Lexical Resource",
    "GRA": "Grammatical Range and Accuracy",
}


def _whole_band(value) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() and int(value) <= 9 else None


@require_http_methods(["GET", "POST"])
@staff_required
def writing(request, session_id):
    session = visible_session(request.user, session_id)
    if request.method == "POST":
        return _mark(request, session)
    sheet = session_writing_sheet(session)
    for row in sheet["students"]:
        for task in row["tasks"]:
            given = task["mark"].criteria if task["mark"] else {}
            task["fields"] = [(name, CRITERIA_LABELS[name], given.get(name)) for name in WRITING_CRITERIA]
    return render(
        request,
        "teacher/writing.html",
        {
            "session": session,
            "school_class": session.school_class,
            "sheet": sheet,
            "bands": range(10),
        },
    )


def _mark(request, session):
    attempt_id, question_id = request.POST.get("attempt_id", ""), request.POST.get("question_id", "")
    criteria = {name: _whole_band(request.POST.get(name)) for name in WRITING_CRITERIA}
    back = reverse("teacher-writing", args=[session.pk])
    attempt = session.attempts.filter(pk=int(attempt_id)).first() if attempt_id.isdigit() else None
    if attempt is None:
        messages.error(request, "No such attempt in this session.")
        return redirect(back)
    try:
        attempt_mark_writing(
            attempt=attempt, question_id=question_id, criteria=criteria, comment=request.POST.get("comment", ""),
            by=request.user,
        )  # fmt: skip
    except ApplicationError as exc:
        messages.error(request, exc.detail)
    return redirect(f"{back}#student-{attempt.student_id}")
