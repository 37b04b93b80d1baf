"""Reads on users: which users a member of staff may list."""

from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import IntegerField, Q
from django.db.models.functions import Cast

from accounts.models import Role, User


def users_with_role(role: str):
    """Users whose effective role is `role` (a superuser counts as ADMIN)."""
    if role == Role.ADMIN:
        return User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
    return User.objects.filter(role=role, is_superuser=False)


def users_visible_to(user, *, role: str | None = None):
    """Admins see every user, teachers students only, students nobody; `role` narrows further."""
    if user.is_platform_admin:
        users = User.objects.all()
    elif user.is_teacher:
        users = users_with_role(Role.STUDENT)
    else:
        return User.objects.none()
    if role is not None:
        users = users & users_with_role(role)
    return users.order_by("username")


def _added_in_admin_by(user):
    """Ids of the users `user` created in the admin (its log is the only record of who created an account)."""
    return (
        LogEntry.objects.filter(user=user, action_flag=ADDITION, content_type=ContentType.objects.get_for_model(User))
        .annotate(added_id=Cast("object_id", IntegerField()))
        .values("added_id")
    )


def students_managed_by(user):
    """The students a member of staff may change (names, a password reset): every user for an admin; for a
    teacher, the students of the classes they teach, and the students they created themselves that no class has
    taken yet (so a teacher can finish the account they just made). Nobody for anyone else."""
    if user.is_platform_admin:
        return User.objects.all()
    if not user.is_teacher:
        return User.objects.none()
    students = users_with_role(Role.STUDENT)
    in_my_classes = students.filter(enrolled_classes__teachers=user).values("pk")
    mine_unplaced = students.filter(pk__in=_added_in_admin_by(user), enrolments__isnull=True).values("pk")
    return User.objects.filter(Q(pk__in=in_my_classes) | Q(pk__in=mine_unplaced))


def students_enrollable_by(user):
    """The students a teacher may put into a class: their own students and those no class has taken yet (a
    student of another teacher's class is enrolled elsewhere by an admin, never revealed to this teacher)."""
    if user.is_platform_admin:
        return users_with_role(Role.STUDENT)
    if not user.is_teacher:
        return User.objects.none()
    students = users_with_role(Role.STUDENT)
    return students.filter(Q(pk__in=students_managed_by(user).values("pk")) | Q(enrolments__isnull=True)).distinct()
