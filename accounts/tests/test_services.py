"""User services: roles decide staff flags, groups and who may create whom."""

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from accounts.services import TEACHERS_GROUP, user_create
from ielts_site.errors import Conflict, Forbidden, InvalidInput

pytestmark = pytest.mark.django_db


def test_a_teacher_is_staff_in_the_teachers_group_with_admin_permissions():
    teacher = user_create(username="t", password="p", role=Role.TEACHER)
    assert teacher.is_staff and not teacher.is_superuser
    assert teacher.groups.filter(name=TEACHERS_GROUP).exists()
    assert teacher.has_perm("classes.add_class") and teacher.has_perm("exams.change_test")
    assert not teacher.has_perm("sessions_app.delete_session")


def test_a_student_is_not_staff():
    student = user_create(username="s", password="p")
    assert (student.role, student.is_staff, student.is_student) == (Role.STUDENT, False, True)


def test_teachers_create_students_only(teacher):
    user_create(username="new-student", password="p", role=Role.STUDENT, created_by=teacher)
    with pytest.raises(Forbidden):
        user_create(username="new-teacher", password="p", role=Role.TEACHER, created_by=teacher)
    assert not User.objects.filter(username="new-teacher").exists()


def test_usernames_are_unique_regardless_of_case(teacher):
    with pytest.raises(Conflict):
        user_create(username="TEACHER", password="p")


def test_unknown_roles_are_refused():
    with pytest.raises(InvalidInput):
        user_create(username="x", password="p", role="JANITOR")


def test_a_superuser_counts_as_admin_whatever_its_stored_role(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "pw")
    call_command("createsuperuser", "--noinput", username="root", email="root@example.com", verbosity=0)
    root = User.objects.get(username="root")
    assert root.effective_role == Role.ADMIN and root.is_platform_admin
    root.role = Role.STUDENT
    assert root.effective_role == Role.ADMIN
