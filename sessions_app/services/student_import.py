"""Students from a file into a class, all or nothing: every row is checked before anything is written, new students
are created (a password generated when the file gives none) and every row's student is enrolled."""

import secrets
from dataclasses import dataclass, field

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower

from accounts.models import Role, User
from accounts.services import user_create
from classes.models import Class, Enrolment
from classes.student_csv import RowError, StudentFileRefused, StudentRow
from ielts_site.errors import Conflict
from sessions_app.services.classes import class_enrol

NAME_MAX_LENGTH = User._meta.get_field("first_name").max_length
USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length
# No 0/o, 1/l/i: a password read off paper is typed back without guessing.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GENERATED_PASSWORD_LENGTH = 10
ROLE_NAMES = {Role.TEACHER: "a teacher", Role.ADMIN: "an admin"}


@dataclass(frozen=True)
class NewStudent:
    user: User
    generated_password: str | None  # None: the file gave the password


@dataclass
class ImportResult:
    created: list[NewStudent] = field(default_factory=list)
    enrolled_existing: list[User] = field(default_factory=list)
    already_enrolled: list[User] = field(default_factory=list)


def generated_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(GENERATED_PASSWORD_LENGTH))


def _row_errors(row: StudentRow, existing: User | None) -> list[RowError]:
    errors = []
    if not row.username:
        errors.append(RowError(row.line, "username", "is empty."))
    elif len(row.username) > USERNAME_MAX_LENGTH:
        errors.append(RowError(row.line, "username", f"is longer than {USERNAME_MAX_LENGTH} characters."))
    else:
        try:
            UnicodeUsernameValidator()(row.username)
        except ValidationError:
            errors.append(RowError(row.line, "username", "may contain only letters, digits and @ . + - _"))
    if existing is not None and not existing.is_student:
        errors.append(RowError(row.line, "username", f"already taken by {ROLE_NAMES[existing.effective_role]}."))
    for name in ("first_name", "last_name"):
        if len(getattr(row, name)) > NAME_MAX_LENGTH:
            errors.append(RowError(row.line, name, f"is longer than {NAME_MAX_LENGTH} characters."))
    if row.password and existing is None:
        candidate = User(username=row.username, first_name=row.first_name, last_name=row.last_name)
        try:
            validate_password(row.password, user=candidate)
        except ValidationError as error:
            errors.extend(RowError(row.line, "password", message) for message in error.messages)
    return errors


def _check(rows: list[StudentRow], existing: dict[str, User]) -> list[RowError]:
    errors = []
    first_line_of: dict[str, int] = {}
    for row in rows:
        key = row.username.lower()
        if key and key in first_line_of:
            errors.append(RowError(row.line, "username", f"appears twice (first on line {first_line_of[key]})."))
        first_line_of.setdefault(key, row.line)
        errors.extend(_row_errors(row, existing.get(key)))
    return errors


def _existing_users(rows: list[StudentRow]) -> dict[str, User]:
    """The users the rows name, by lower-cased username (user_create refuses a username taken in any case)."""
    wanted = {row.username.lower() for row in rows if row.username}
    matching = User.objects.annotate(username_lower=Lower("username")).filter(username_lower__in=wanted)
    return {user.username.lower(): user for user in matching}


@transaction.atomic
def students_import(*, school_class: Class, rows: list[StudentRow], by: User | None) -> ImportResult:
    """Create the rows' new students and enrol every row's student in `school_class`; StudentFileRefused (nothing
    written) lists every row's problem. An existing student is enrolled as they are, their password untouched."""
    if not school_class.is_active:
        raise Conflict("An archived class takes no new students.", code="class_archived")
    existing = _existing_users(rows)
    errors = _check(rows, existing)
    if errors:
        raise StudentFileRefused(errors)
    enrolled_ids = set(Enrolment.objects.filter(school_class=school_class).values_list("student_id", flat=True))
    result = ImportResult()
    for row in rows:
        student = existing.get(row.username.lower())
        if student is None:
            password = row.password or generated_password()
            student = user_create(
                username=row.username, password=password, role=Role.STUDENT, first_name=row.first_name,
                last_name=row.last_name, created_by=by,
            )  # fmt: skip
            result.created.append(NewStudent(student, None if row.password else password))
        elif student.pk in enrolled_ids:
            result.already_enrolled.append(student)
            continue
        else:
            result.enrolled_existing.append(student)
        class_enrol(school_class=school_class, student=student)
    return result
