"""Who may open the teacher's pages, and the look-ups every page shares.

Teachers and admins only (anyone else is sent to log in, or refused with a 403); within them, a class,
session or attempt the user may not see is a 404, so its existence is not revealed.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse

from attempts.models import Attempt
from classes.models import Class
from classes.selectors import classes_visible_to
from monitoring.selectors import attempts_for_timeline_visible_to
from sessions_app.models import Session
from sessions_app.selectors import sessions_visible_to


def staff_required(view):
    """Logged in (else the login page) and a teacher or admin (else 403)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff_member:
            raise PermissionDenied("The teacher's pages are for teachers and admins.")
        return view(request, *args, **kwargs)

    return wrapped


def visible_class(user, class_id) -> Class:
    return get_object_or_404(classes_visible_to(user), pk=class_id)


def visible_session(user, session_id) -> Session:
    return get_object_or_404(sessions_visible_to(user), pk=session_id)


def visible_attempt(user, attempt_id) -> Attempt:
    return get_object_or_404(attempts_for_timeline_visible_to(user), pk=attempt_id)


def admin_links(user) -> dict:
    """The admin's pages a page links to (a test, a student, a class to add), for users who may use the admin."""
    if not user.is_staff:
        return {}
    return {
        "tests": reverse("admin:exams_test_changelist"),
        "add_test": reverse("admin:exams_test_add"),
        "add_student": reverse("admin:accounts_user_add"),
        "add_class": reverse("admin:classes_class_add"),
    }
