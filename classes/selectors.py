"""Reads on classes: which classes a user may see and manage."""

from django.db.models import Prefetch

from classes.models import Class, Enrolment


def _with_members(classes):
    return classes.prefetch_related(
        "teachers", Prefetch("enrolments", queryset=Enrolment.objects.only("id", "school_class_id", "student_id"))
    )


def class_loaded(class_id) -> Class:
    """One class with its teachers and enrolments, for its body after a write."""
    return _with_members(Class.objects.all()).get(pk=class_id)


def classes_visible_to(user):
    """Admins see every class, teachers the classes they teach, students none (they see sessions)."""
    classes = _with_members(Class.objects.all())
    if user.is_platform_admin:
        return classes
    if user.is_teacher:
        return classes.filter(teachers=user).distinct()
    return classes.none()
