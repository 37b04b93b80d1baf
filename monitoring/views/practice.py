"""A practice's page for its class's teachers: every student of the class with each attempt on it."""

from django.shortcuts import get_object_or_404, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET

from attempts.models import AttemptStatus
from attempts.selectors import practice_results, practices_visible_to
from monitoring.access import staff_required


@require_GET
@staff_required
def practice(request, practice_id):
    practice = get_object_or_404(practices_visible_to(request.user), pk=practice_id)
    students = practice_results(practice)["students"]
    for student in students:
        for attempt in student["attempts"]:  # the body's ISO times as times, its status in words
            attempt["status_label"] = AttemptStatus(attempt["status"]).label
            attempt["started_at"] = parse_datetime(attempt["started_at"])
            attempt["submitted_at"] = attempt["submitted_at"] and parse_datetime(attempt["submitted_at"])
    taken = sum(1 for student in students if student["attempts"])
    return render(request, "teacher/practice.html", {"practice": practice, "students": students, "taken": taken})
