"""The class page: its sessions, practices and students, and the seven things its forms do (schedule a session,
publish a paper for practice, set the class's target band, enrol a student found by the search, enrol a pasted
list of usernames, import students from a CSV file, remove a student), one view each.

The forms all post to the page's own URL with an `action` field, and `class_page` routes them. A refusal
from a service is shown as a message on the page again, with 409 for a conflict and 400 otherwise.
"""

import re
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.serializers import MAX_ID
from attempts.practice import practice_publish
from classes.models import Class, ClassStatus
from classes.services import class_update
from classes.student_csv import StudentFileRefused
from ielts_site.errors import ApplicationError, InvalidInput
from monitoring.access import admin_links, staff_required, visible_class
from monitoring.forms import (
    PracticePublishForm,
    SessionCreateForm,
    StudentFileForm,
    TargetBandForm,
    UsernameListForm,
)
from monitoring.selectors import (
    class_enrolments,
    class_practice_grid,
    class_sessions,
    class_teachers,
    split_sessions,
    students_outside_class_matching,
    users_by_username,
)
from sessions_app.services import class_enrol, class_unenrol, session_create, students_import

ID_PATTERN = re.compile(r"[0-9]{1,19}")
SEARCH_LIMIT = 20


def _render(
    request,
    school_class: Class,
    *,
    session_form=None,
    practice_form=None,
    username_form=None,
    student_file_form=None,
    outcomes=None,
    status=200,
):
    """The page, with the forms as a POST left them (fresh ones otherwise) and the search of `?q=` if any."""
    if session_form is None:
        in_an_hour = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=1)
        session_form = SessionCreateForm(initial={"scheduled_at": in_an_hour})
    if practice_form is None:
        practice_form = PracticePublishForm()
    if username_form is None:
        username_form = UsernameListForm()
    if student_file_form is None:
        student_file_form = StudentFileForm()
    query = request.GET.get("q", "").strip()
    sessions = class_sessions(school_class)
    enrolments = list(class_enrolments(school_class))
    context = {
        "school_class": school_class,
        "teachers": class_teachers(school_class),
        "enrolments": enrolments,
        "practice": class_practice_grid(school_class, enrolments),
        "practice_form": practice_form,
        "target_band_form": TargetBandForm(
            initial={"target_band": f"{school_class.target_band:.1f}" if school_class.target_band is not None else ""}
        ),
        "sessions": sessions,
        "groups": split_sessions(sessions),
        "session_form": session_form,
        "username_form": username_form,
        "student_file_form": student_file_form,
        "outcomes": outcomes,
        "query": query,
        "search_results": students_outside_class_matching(school_class, query, limit=SEARCH_LIMIT) if query else None,
        "is_active": school_class.status == ClassStatus.ACTIVE,
        "admin_links": admin_links(request.user),
        "admin_class_url": (
            reverse("admin:classes_class_change", args=[school_class.pk]) if request.user.is_staff else None
        ),
    }
    return render(request, "teacher/class.html", context, status=status)


def _refused(request, school_class: Class, error: ApplicationError, **forms):
    messages.error(request, error.detail)
    return _render(request, school_class, status=409 if error.status_code == 409 else 400, **forms)


def _posted_student(request) -> User:
    """The user a form names by `student_id`: 400 (a message on the page) unless it is an id, 404 if none has it."""
    raw = request.POST.get("student_id", "")
    if not ID_PATTERN.fullmatch(raw) or not 1 <= int(raw) <= MAX_ID:
        raise InvalidInput("Choose a student from the list.", code="invalid_student")
    return get_object_or_404(User, pk=int(raw))


def _enrol_usernames(school_class: Class, usernames: list[str]) -> list[dict]:
    """Enrol each pasted username through the service; one outcome per username, errors included."""
    found = users_by_username(usernames)
    outcomes = []
    for name in usernames:
        user = found.get(name.lower())
        if user is None:
            outcomes.append({"username": name, "ok": False, "message": "No user with this username."})
            continue
        try:
            class_enrol(school_class=school_class, student=user)
        except ApplicationError as error:
            outcomes.append({"username": name, "ok": False, "message": error.detail, "user": user})
        else:
            outcomes.append({"username": name, "ok": True, "message": "Enrolled.", "user": user})
    return outcomes


@require_GET
@staff_required
def class_detail(request, class_id):
    """The class's sessions (live, upcoming, past), its students, and the forms to add to both."""
    return _render(request, visible_class(request.user, class_id))


@require_POST
@staff_required
def class_session_create(request, class_id):
    """Schedule a session of the class for its students, then go to the session's live monitor."""
    school_class = visible_class(request.user, class_id)
    form = SessionCreateForm(request.POST)
    if not form.is_valid():
        return _render(request, school_class, session_form=form, status=400)
    try:
        session = session_create(
            school_class=school_class,
            test=form.cleaned_data["test"],
            title=form.cleaned_data["title"],
            scheduled_at=form.cleaned_data["scheduled_at"],
            created_by=request.user,
            passage_ids=form.cleaned_data["passage_ids"],
            time_limit_minutes=form.cleaned_data["time_limit_minutes"],
            results_release=form.cleaned_data["results_release"],
            review=form.cleaned_data["review"],
        )
    except ApplicationError as error:
        return _refused(request, school_class, error, session_form=form)
    messages.success(request, f"Session “{session.title}” created.")
    return redirect("teacher-live", session_id=session.pk)


@require_POST
@staff_required
def class_practice_publish(request, class_id):
    """Publish a paper to the class for practice, then show the page at its practices."""
    school_class = visible_class(request.user, class_id)
    form = PracticePublishForm(request.POST)
    if not form.is_valid():
        return _render(request, school_class, practice_form=form, status=400)
    try:
        practice = practice_publish(
            school_class=school_class, test=form.cleaned_data["test"], opens_at=form.cleaned_data["opens_at"],
            closes_at=form.cleaned_data["closes_at"], time_limit_minutes=form.cleaned_data["time_limit_minutes"],
            show_answers_after_submit=form.cleaned_data["show_answers_after_submit"], by=request.user,
        )  # fmt: skip
    except ApplicationError as error:
        return _refused(request, school_class, error, practice_form=form)
    messages.success(request, f"“{practice.test.title}” is published for practice.")
    return redirect(reverse("teacher-class", args=[school_class.pk]) + "#practice")


@require_POST
@staff_required
def class_target_band_set(request, class_id):
    """Set (or clear) the band the class aims at."""
    school_class = visible_class(request.user, class_id)
    form = TargetBandForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a band from 0 to 9, or none.")
        return _render(request, school_class, status=400)
    class_update(school_class=school_class, target_band=form.cleaned_data["target_band"])
    messages.success(request, "Target band saved.")
    return redirect("teacher-class", class_id=school_class.pk)


@require_POST
@staff_required
def class_student_enrol(request, class_id):
    """Enrol the student picked from the search, then show the page again with the same search."""
    school_class = visible_class(request.user, class_id)
    try:
        student = _posted_student(request)
        class_enrol(school_class=school_class, student=student)
    except ApplicationError as error:
        return _refused(request, school_class, error)
    messages.success(request, f"{student.display_name} ({student.username}) enrolled.")
    query = urlencode({"q": request.POST.get("q", "")})
    return redirect(f"{reverse('teacher-class', args=[school_class.pk])}?{query}")


@require_POST
@staff_required
def class_students_enrol_list(request, class_id):
    """Enrol every pasted username; if any fails, show each outcome and put the failed usernames back in the box."""
    school_class = visible_class(request.user, class_id)
    form = UsernameListForm(request.POST)
    if not form.is_valid():
        return _render(request, school_class, username_form=form, status=400)
    outcomes = _enrol_usernames(school_class, form.cleaned_data["usernames"])
    if all(outcome["ok"] for outcome in outcomes):
        messages.success(request, f"{len(outcomes)} student(s) enrolled.")
        return redirect("teacher-class", class_id=school_class.pk)
    failed = UsernameListForm(initial={"usernames": "\n".join(o["username"] for o in outcomes if not o["ok"])})
    return _render(request, school_class, username_form=failed, outcomes=outcomes)


@require_POST
@staff_required
def class_students_import(request, class_id):
    """Import a CSV of students; on success the sheet of the new students' passwords, shown this once and never
    cached; on any problem the page again with every one of them and nothing imported."""
    school_class = visible_class(request.user, class_id)
    form = StudentFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, school_class, student_file_form=form, status=400)
    try:
        result = students_import(school_class=school_class, rows=form.cleaned_data["rows"], by=request.user)
    except StudentFileRefused as refusal:
        form.add_error("file", [str(error) for error in refusal.errors])
        return _render(request, school_class, student_file_form=form, status=400)
    except ApplicationError as error:
        return _refused(request, school_class, error, student_file_form=form)
    response = render(request, "teacher/student_sheet.html", {"school_class": school_class, "result": result})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@staff_required
def class_student_remove(request, class_id):
    """Take a student out of the class (the service takes them out of its unfinished sessions too)."""
    school_class = visible_class(request.user, class_id)
    try:
        student = _posted_student(request)
        class_unenrol(school_class=school_class, student_id=student.pk)
    except ApplicationError as error:
        return _refused(request, school_class, error)
    messages.success(request, f"{student.display_name} ({student.username}) removed from the class.")
    return redirect("teacher-class", class_id=school_class.pk)


@require_POST
@staff_required
def class_action_unknown(request, class_id):
    """A POST whose `action` no form sends: the page again, with a message."""
    school_class = visible_class(request.user, class_id)
    messages.error(request, "Unknown action.")
    return _render(request, school_class, status=400)


CLASS_ACTIONS = {
    "create_session": class_session_create,
    "publish_practice": class_practice_publish,
    "set_target_band": class_target_band_set,
    "enrol": class_student_enrol,
    "enrol_list": class_students_enrol_list,
    "import_students": class_students_import,
    "remove": class_student_remove,
}


@require_http_methods(["GET", "POST"])
@staff_required
def class_page(request, class_id):
    """The class page's one URL: a GET shows the page, a POST goes to the view its `action` field names."""
    if request.method == "POST":
        return CLASS_ACTIONS.get(request.POST.get("action"), class_action_unknown)(request, class_id)
    return class_detail(request, class_id)
