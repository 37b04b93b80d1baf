"""Reads on users: which users a member of staff may list."""

from django.db.models import Q

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
