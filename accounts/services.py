"""Writes on users: the one way accounts are created."""

import logging

from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import Role, User
from accounts.selectors import students_managed_by
from ielts_site.errors import Conflict, Forbidden, InvalidInput

audit = logging.getLogger("ielts.audit")

TEACHERS_GROUP = "Teachers"

# What a teacher may do in the admin; which rows they see is narrowed by ownership there.
TEACHER_PERMISSIONS = {
    "accounts": {"user": ["add", "change", "view"]},
    "exams": {"test": ["add", "change", "view"], "passage": ["add", "change", "delete", "view"],
              "question": ["add", "change", "delete", "view"]},
    "classes": {"class": ["add", "change", "view"], "enrolment": ["add", "change", "delete", "view"]},
    "sessions_app": {"session": ["add", "change", "view"], "participant": ["view"]},
    "attempts": {"attempt": ["view"], "answer": ["view"], "highlight": ["view"], "violation": ["view"],
                 "attemptevent": ["view"], "practice": ["add", "change", "view"],
                 "writingmark": ["add", "change", "view"]},
}  # fmt: skip


def teachers_group_ensure() -> Group:
    """The "Teachers" group with the admin permissions a teacher needs (idempotent)."""
    group, _ = Group.objects.get_or_create(name=TEACHERS_GROUP)
    codenames = [
        (app, f"{action}_{model}")
        for app, models in TEACHER_PERMISSIONS.items()
        for model, actions in models.items()
        for action in actions
    ]
    permissions = [
        p
        for p in Permission.objects.filter(content_type__app_label__in=TEACHER_PERMISSIONS).select_related(
            "content_type"
        )
        if (p.content_type.app_label, p.codename) in codenames
    ]
    group.permissions.set(permissions)
    return group


def user_apply_role(user: User) -> None:
    """Staff flags and groups follow the role: teachers use the admin, admins see everything."""
    role = user.effective_role
    user.is_staff = role in (Role.ADMIN, Role.TEACHER)
    if role == Role.ADMIN:
        user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    if role == Role.TEACHER:
        user.groups.add(teachers_group_ensure())
    else:
        user.groups.remove(*Group.objects.filter(name=TEACHERS_GROUP))


def user_refresh_tokens_revoke(*, user: User) -> int:
    """Revoke every refresh token of `user` not yet expired (a password change, a deactivation: accounts/signals.py
    calls it for every path that saves a user). Returns how many were revoked."""
    live = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in live.only("pk")], ignore_conflicts=True
    )
    return len(revoked)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str = Role.STUDENT,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    created_by: User | None = None,
) -> User:
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}.", code="invalid_role")
    if created_by is not None and not created_by.is_platform_admin and role != Role.STUDENT:
        raise Forbidden("Teachers may create students only.")
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"The username {username!r} is taken.", code="username_taken")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username, password=password, role=role, first_name=first_name, last_name=last_name,
                email=email,
            )  # fmt: skip
    except IntegrityError as exc:
        raise Conflict(f"The username {username!r} is taken.", code="username_taken") from exc
    user_apply_role(user)
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str, changed_by: User | None = None) -> User:
    """Change a user's role; superuser and staff flags and the Teachers group follow it (a demoted admin
    stops being a superuser)."""
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}.", code="invalid_role")
    if changed_by is not None and not changed_by.is_platform_admin:
        raise Forbidden("Only admins change roles.")
    user.role = role
    user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["role", "is_superuser"])
    user_apply_role(user)
    return user


@transaction.atomic
def student_password_reset(*, by: User, student: User, password: str | None) -> User:
    """Set `student`'s password (`None`: no password login at all) on behalf of `by`, who must manage them
    (accounts.selectors.students_managed_by: an admin, or a teacher of one of their classes); the audit log
    names who did it. The admin's history records it too."""
    if not students_managed_by(by).filter(pk=student.pk).exists():
        audit.warning(
            "password reset refused",
            extra={"by_id": by.pk, "by": by.username, "user_id": student.pk, "user": student.username},
        )
        raise Forbidden("You may reset the passwords of your own students only.", code="not_your_student")
    student = User.objects.select_for_update().get(pk=student.pk)
    if password is None:
        student.set_unusable_password()
    else:
        student.set_password(password)
    student.save(update_fields=["password"])
    audit.info(
        "password reset",
        extra={"by_id": by.pk, "by": by.username, "user_id": student.pk, "user": student.username,
               "usable": password is not None},
    )  # fmt: skip
    return student
