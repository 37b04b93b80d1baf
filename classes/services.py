"""Writes on classes and their enrolments. Rules that involve sessions live in sessions_app.services."""

from decimal import Decimal

from django.db import IntegrityError, transaction

from accounts.models import User
from classes.models import Class, ClassStatus, Enrolment
from exams.validation import is_band
from ielts_site.errors import Conflict, InvalidInput, NotFound

UNCHANGED = object()  # an update that leaves a field that may be null as it is


def _target_band(value) -> Decimal | None:
    if value is None:
        return None
    if not is_band(value):
        raise InvalidInput("A target band is a multiple of 0.5 from 0 to 9.", field="target_band")
    return Decimal(str(float(value)))


def _teachers_from(teacher_ids) -> list[User]:
    teachers = list(User.objects.filter(pk__in=set(teacher_ids)))
    if len(teachers) != len(set(teacher_ids)):
        raise InvalidInput("Unknown teacher id.", code="unknown_teacher")
    if any(not t.is_staff_member for t in teachers):
        raise InvalidInput("Only teachers and admins can teach a class.", code="not_a_teacher")
    return teachers


@transaction.atomic
def class_create(
    *, name: str, description: str = "", teacher_ids=(), target_band: float | None = None, created_by: User
) -> Class:
    """The creating teacher always teaches the new class; an admin creator only if listed."""
    if not name.strip():
        raise InvalidInput("A class needs a name.")
    teachers = _teachers_from(teacher_ids)
    if created_by.is_teacher and created_by not in teachers:
        teachers.append(created_by)
    if not teachers:
        teachers.append(created_by)
    school_class = Class.objects.create(
        name=name.strip(), description=description, target_band=_target_band(target_band)
    )
    school_class.teachers.set(teachers)
    return school_class


@transaction.atomic
def class_update(
    *,
    school_class: Class,
    name: str | None = None,
    description: str | None = None,
    teacher_ids=None,
    target_band=UNCHANGED,
):
    if name is not None:
        if not name.strip():
            raise InvalidInput("A class needs a name.")
        school_class.name = name.strip()
    if description is not None:
        school_class.description = description
    if target_band is not UNCHANGED:
        school_class.target_band = _target_band(target_band)
    school_class.save()
    if teacher_ids is not None:
        teachers = _teachers_from(teacher_ids)
        if not teachers:
            raise InvalidInput("A class needs at least one teacher.", code="no_teacher")
        school_class.teachers.set(teachers)
    return school_class


def class_mark_archived(*, school_class: Class) -> Class:
    """Only the status change; sessions_app.services.class_archive checks running sessions first."""
    school_class.status = ClassStatus.ARCHIVED
    school_class.save(update_fields=["status", "updated_at"])
    return school_class


def enrolment_create(*, school_class: Class, student: User) -> Enrolment:
    if not school_class.is_active:
        raise Conflict("An archived class takes no new students.", code="class_archived")
    if not student.is_student:
        raise InvalidInput("Only students can be enrolled.", code="not_a_student")
    try:
        with transaction.atomic():
            return Enrolment.objects.create(school_class=school_class, student=student)
    except IntegrityError as exc:
        raise Conflict("The student is already enrolled.", code="already_enrolled") from exc


def enrolment_delete(*, school_class: Class, student_id) -> None:
    deleted, _ = Enrolment.objects.filter(school_class=school_class, student_id=student_id).delete()
    if not deleted:
        raise NotFound("The student is not enrolled in this class.", code="not_enrolled")
