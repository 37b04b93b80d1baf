"""The teacher's server-rendered pages: dashboard, class, live monitor, results (SVG charts, CSV), timeline.

Views translate only: reads come from selectors and the ORM, writes go through the services;
admins and the class's teachers see a class or session, anyone else gets a 404 (students a 403).
"""

import csv
import io
import re
from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Role, User
from accounts.serializers import MAX_ID
from attempts.models import Attempt, AttemptEvent, AttemptStatus, ViolationType
from classes.models import Class, ClassStatus
from classes.selectors import classes_visible_to
from exams.models import Test
from ielts_site.errors import ApplicationError, InvalidInput
from monitoring.charts import band_distribution_svg, facility_level, facility_svg
from sessions_app.models import LIVE_STATUSES, Session, SessionStatus
from sessions_app.selectors import sessions_visible_to

ID_PATTERN = re.compile(r"[0-9]{1,19}")
MAX_PASTED_USERNAMES = 200
SEARCH_LIMIT = 20
PAST_SESSIONS_SHOWN = 5
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def staff_required(view):
    """Logged in (else the login page) and a teacher or admin (else 403)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff_member:
            raise PermissionDenied("The teacher's pages are for teachers and admins.")
        return view(request, *args, **kwargs)

    return wrapped


def _admin_url(name: str, *args) -> str | None:
    """A link into the admin where it is the better tool; None when that admin page is not there."""
    try:
        return reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return None


def _admin_links(user) -> dict:
    links = {
        "tests": _admin_url("exams_test_changelist"),
        "add_test": _admin_url("exams_test_add"),
        "add_student": _admin_url("accounts_user_add"),
        "add_class": _admin_url("classes_class_add"),
    }
    if not user.is_staff:
        return {}
    return {key: url for key, url in links.items() if url}


def _split_sessions(sessions) -> dict:
    """A class's sessions as the dashboard shows them: live now, upcoming (soonest first), past (latest first)."""
    live = [s for s in sessions if s.status in LIVE_STATUSES]
    upcoming = sorted((s for s in sessions if s.status == SessionStatus.SCHEDULED), key=lambda s: s.scheduled_at)
    past = sorted(
        (s for s in sessions if s.status in (SessionStatus.COMPLETED, SessionStatus.CANCELLED)),
        key=lambda s: s.completed_at or s.scheduled_at,
        reverse=True,
    )
    return {"live": live, "upcoming": upcoming, "past": past}


# ---------------------------------------------------------------- dashboard


@require_GET
@staff_required
def dashboard(request):
    classes = (
        classes_visible_to(request.user)
        .annotate(student_count=Count("enrolments", distinct=True))
        .prefetch_related(
            Prefetch("sessions", queryset=Session.objects.select_related("test")),
            "teachers",
        )
        .order_by("status", "name", "id")
    )
    rows = []
    for school_class in classes:
        groups = _split_sessions(list(school_class.sessions.all()))
        rows.append(
            {
                "school_class": school_class,
                "live": groups["live"],
                "upcoming": groups["upcoming"],
                "past": groups["past"][:PAST_SESSIONS_SHOWN],
                "past_more": max(0, len(groups["past"]) - PAST_SESSIONS_SHOWN),
            }
        )
    return render(
        request,
        "teacher/dashboard.html",
        {
            "rows": rows,
            "live_count": sum(len(row["live"]) for row in rows),
            "admin_links": _admin_links(request.user),
        },
    )


# ---------------------------------------------------------------- class page


class SessionCreateForm(forms.Form):
    title = forms.CharField(max_length=200)
    test = forms.ModelChoiceField(queryset=Test.objects.order_by("title", "id"), empty_label="Choose a paper…")
    scheduled_at = forms.DateTimeField(
        label="Scheduled for",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    # Minutes to add to the browser's local time to get UTC (JavaScript's getTimezoneOffset()).
    tz_offset = forms.IntegerField(required=False, min_value=-900, max_value=900, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        moment = cleaned.get("scheduled_at")
        offset = cleaned.get("tz_offset")
        if moment is not None and offset is not None:
            # The field read the wall time as UTC; shift it by the browser's offset.
            cleaned["scheduled_at"] = moment + timedelta(minutes=offset)
        return cleaned


class UsernameListForm(forms.Form):
    usernames = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "one username per line, or separated by commas"}),
        label="Paste usernames",
    )

    def clean_usernames(self):
        names = [name for name in re.split(r"[\s,;]+", self.cleaned_data["usernames"]) if name]
        unique = list(dict.fromkeys(names))
        if not unique:
            raise forms.ValidationError("Paste at least one username.")
        if len(unique) > MAX_PASTED_USERNAMES:
            raise forms.ValidationError(f"Paste at most {MAX_PASTED_USERNAMES} usernames at a time.")
        return unique


def _student_search(school_class: Class, query: str):
    """Students not yet in the class whose username or name contains every word of the query."""
    students = User.objects.filter(role=Role.STUDENT, is_superuser=False, is_active=True).exclude(
        enrolments__school_class=school_class
    )
    for word in query.split():
        students = students.filter(
            Q(username__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
        )
    return students.order_by("last_name", "first_name", "username")[:SEARCH_LIMIT]


def _enrol_usernames(school_class: Class, usernames: list[str]) -> list[dict]:
    """Enrol each pasted username through the service; one outcome per username, errors included."""
    from sessions_app.services import class_enrol

    found = {user.username.lower(): user for user in User.objects.filter(username__in=usernames)}
    missing = [name for name in usernames if name.lower() not in found]
    if missing:  # usernames match case-insensitively, as logging in does for users who type them differently
        query = Q()
        for name in missing:
            query |= Q(username__iexact=name)
        found.update({user.username.lower(): user for user in User.objects.filter(query)})
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


def _posted_student(request) -> User:
    """The user a form names by `student_id`: 400 (a message on the page) unless it is an id, 404 if none has it."""
    raw = request.POST.get("student_id", "")
    if not ID_PATTERN.fullmatch(raw) or not 1 <= int(raw) <= MAX_ID:
        raise InvalidInput("Choose a student from the list.", code="invalid_student")
    return get_object_or_404(User, pk=int(raw))


@require_http_methods(["GET", "POST"])
@staff_required
def class_detail(request, class_id):
    from sessions_app.services import class_enrol, class_unenrol, session_create

    school_class = get_object_or_404(classes_visible_to(request.user), pk=class_id)
    session_form = SessionCreateForm(
        initial={"scheduled_at": timezone.now().replace(second=0, microsecond=0) + timedelta(hours=1)}
    )
    username_form = UsernameListForm()
    outcomes = None
    status = 200

    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create_session":
                session_form = SessionCreateForm(request.POST)
                if session_form.is_valid():
                    session = session_create(
                        school_class=school_class,
                        test=session_form.cleaned_data["test"],
                        title=session_form.cleaned_data["title"],
                        scheduled_at=session_form.cleaned_data["scheduled_at"],
                        created_by=request.user,
                    )
                    messages.success(request, f"Session “{session.title}” created.")
                    return redirect("teacher-live", session_id=session.pk)
                status = 400
            elif action == "enrol":
                student = _posted_student(request)
                class_enrol(school_class=school_class, student=student)
                messages.success(request, f"{student.display_name} ({student.username}) enrolled.")
                query = urlencode({"q": request.POST.get("q", "")})
                return redirect(f"{reverse('teacher-class', args=[school_class.pk])}?{query}")
            elif action == "enrol_list":
                username_form = UsernameListForm(request.POST)
                if username_form.is_valid():
                    outcomes = _enrol_usernames(school_class, username_form.cleaned_data["usernames"])
                    if all(outcome["ok"] for outcome in outcomes):
                        messages.success(request, f"{len(outcomes)} student(s) enrolled.")
                        return redirect("teacher-class", class_id=school_class.pk)
                    username_form = UsernameListForm(
                        initial={"usernames": "\n".join(o["username"] for o in outcomes if not o["ok"])}
                    )
                else:
                    status = 400
            elif action == "remove":
                student = _posted_student(request)
                class_unenrol(school_class=school_class, student_id=student.pk)
                messages.success(request, f"{student.display_name} ({student.username}) removed from the class.")
                return redirect("teacher-class", class_id=school_class.pk)
            else:
                messages.error(request, "Unknown action.")
                status = 400
        except ApplicationError as error:
            messages.error(request, error.detail)
            status = 409 if error.status_code == 409 else 400

    query = request.GET.get("q", "").strip()
    sessions = list(school_class.sessions.select_related("test").order_by("-scheduled_at", "-id"))
    context = {
        "school_class": school_class,
        "teachers": school_class.teachers.order_by("last_name", "first_name", "username"),
        "enrolments": school_class.enrolments.select_related("student").order_by(
            "student__last_name", "student__first_name", "student__username"
        ),
        "sessions": sessions,
        "groups": _split_sessions(sessions),
        "session_form": session_form,
        "username_form": username_form,
        "outcomes": outcomes,
        "query": query,
        "search_results": _student_search(school_class, query) if query else None,
        "is_active": school_class.status == ClassStatus.ACTIVE,
        "admin_links": _admin_links(request.user),
        "admin_class_url": _admin_url("classes_class_change", school_class.pk) if request.user.is_staff else None,
    }
    return render(request, "teacher/class.html", context, status=status)


# ---------------------------------------------------------------- live monitor


def _visible_session(user, session_id) -> Session:
    return get_object_or_404(sessions_visible_to(user), pk=session_id)


@require_GET
@staff_required
def live(request, session_id):
    session = _visible_session(request.user, session_id)
    config = {
        "sessionId": session.pk,
        "apiBase": f"/api/v1/sessions/{session.pk}",
        "wsPath": f"/api/v1/sessions/{session.pk}/ws",
        "attemptApiBase": "/api/v1/attempts/",
        "timelineUrl": reverse("teacher-timeline", args=[0]).replace("/0/", "/{id}/"),
        "resultsUrl": reverse("teacher-results", args=[session.pk]),
        "passageCount": session.test.passages.count(),
        "questionCount": session.test.questions.count(),
        "questionNumbers": dict(session.test.questions.values_list("pk", "number")),
    }
    return render(
        request,
        "teacher/live.html",
        {"session": session, "config": config, "school_class": session.school_class},
    )


# ---------------------------------------------------------------- results


def _results_data(session: Session) -> dict:
    """The session's statistics (the same selector as the API) plus what the page and CSV add."""
    from sessions_app.selectors import session_stats

    stats = session_stats(session)
    usernames = dict(
        User.objects.filter(pk__in=[s["student_id"] for s in stats["students"]]).values_list("pk", "username")
    )
    question_count = len(stats["questions"])
    students = sorted(stats["students"], key=lambda s: (str(s["student_name"]).lower(), str(s["student_id"])))
    for student in students:
        student["username"] = usernames.get(student["student_id"], "")
        student["status_label"] = AttemptStatus(student["status"]).label if student["status"] else None
    questions = sorted(stats["questions"], key=lambda q: q["number"])
    for question in questions:
        question["percent"] = round(float(question["facility"]) * 100)
        question["level"] = facility_level(float(question["facility"]))
    return {"stats": stats, "students": students, "questions": questions, "question_count": question_count}


@require_GET
@staff_required
def results(request, session_id):
    session = _visible_session(request.user, session_id)
    context = {"session": session, "school_class": session.school_class}
    if session.status != SessionStatus.COMPLETED:
        return render(request, "teacher/results.html", context)
    data = _results_data(session)
    violation_labels = dict(ViolationType.choices)
    violations_by_type = {}
    for row in (
        Attempt.objects.filter(session=session)
        .values("violations__type")
        .annotate(n=Count("violations"))
        .filter(n__gt=0)
        .order_by("violations__type")
    ):
        violations_by_type[violation_labels.get(row["violations__type"], row["violations__type"])] = row["n"]
    context.update(
        data,
        band_chart=band_distribution_svg(s["band"] for s in data["students"] if s["band"] is not None),
        facility_chart=facility_svg(data["questions"]),
        violations_by_type=violations_by_type,
    )
    return render(request, "teacher/results.html", context)


def _csv_cell(value) -> str:
    """Text a spreadsheet shows as text: a cell that would start a formula gets a leading quote."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(CSV_FORMULA_PREFIXES):
        return "'" + text
    return text


CSV_COLUMNS = [
    ("student_id", "Student ID"),
    ("username", "Username"),
    ("student_name", "Name"),
    ("status", "Attempt status"),
    ("answered", "Answered"),
    ("correct", "Correct"),
    ("score", "Score"),
    ("out_of", "Out of"),
    ("band", "Band"),
    ("violations", "Violations"),
    ("highlights", "Highlights"),
]


@require_GET
@staff_required
def results_csv(request, session_id):
    session = _visible_session(request.user, session_id)
    if session.status != SessionStatus.COMPLETED:
        return HttpResponse(
            "Results can be exported once the session is completed.\n",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    data = _results_data(session)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for _, label in CSV_COLUMNS])
    for student in data["students"]:
        row = {**student, "out_of": data["question_count"]}
        if row.get("band") is not None:
            row["band"] = f"{float(row['band']):.1f}"
        writer.writerow([_csv_cell(row.get(key)) for key, _ in CSV_COLUMNS])
    filename = f"session-{session.pk}-{slugify(session.title)[:60] or 'results'}-results.csv"
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---------------------------------------------------------------- an attempt's timeline


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
            reason = {"STUDENT": "handed in", "TEACHER": "the teacher ended the test", "TIME_UP": "time was up"}
            why = reason.get(data.get("reason"), data.get("reason") or "")
            return f"Submitted and marked ({why}): score {data.get('score')}, band {data.get('band')}"
        case "attempt_abandoned":
            return "Attempt abandoned (removed from the class)"
    return event.type.replace("_", " ").capitalize()


@require_GET
@staff_required
def timeline(request, attempt_id):
    attempt = get_object_or_404(
        Attempt.objects.select_related("student", "session", "session__school_class", "test").filter(
            session__in=sessions_visible_to(request.user)
        ),
        pk=attempt_id,
    )
    session = attempt.session
    questions = list(attempt.test.questions.order_by("number"))
    numbers = {q.pk: q.number for q in questions}
    passages = {p.pk: p.title or f"passage {p.order + 1}" for p in attempt.test.passages.all()}
    origin = session.started_at or attempt.started_at
    events = []
    for event in attempt.events.order_by("created_at", "id"):
        offset = (event.created_at - origin).total_seconds() if origin else 0
        sign = "-" if offset < 0 else "+"
        minutes, seconds = divmod(int(abs(offset)), 60)
        events.append(
            {
                "event": event,
                "text": _describe(event, numbers, passages),
                "offset": f"{sign}{minutes:02d}:{seconds:02d}",
                "kind": event.type,
            }
        )
    answers = {answer.question_id: answer for answer in attempt.answers.all()}
    flagged = set(attempt.flagged_questions.values_list("pk", flat=True))
    marked = attempt.score is not None
    answer_rows = [
        {
            "number": q.number,
            "answer": answers[q.pk].answer if q.pk in answers else "",
            "correct": q.is_correct(answers[q.pk].answer if q.pk in answers else None) if marked else None,
            "flagged": q.pk in flagged,
        }
        for q in questions
    ]
    return render(
        request,
        "teacher/timeline.html",
        {
            "attempt": attempt,
            "session": session,
            "school_class": session.school_class,
            "events": events,
            "answer_rows": answer_rows,
            "violations": attempt.violations.all(),
            "highlights": attempt.highlights.select_related("passage"),
        },
    )
