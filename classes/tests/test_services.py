"""Class services: who teaches, and who can be enrolled."""

import pytest

from classes.services import class_create, class_update, enrolment_create
from ielts_site.errors import Conflict, InvalidInput

pytestmark = pytest.mark.django_db


def test_the_creating_teacher_teaches_the_new_class(teacher, make_user):
    colleague = make_user("TEACHER")
    klass = class_create(name="  Beacon 32 ", teacher_ids=[colleague.pk], created_by=teacher)
    assert klass.name == "Beacon 32"
    assert set(klass.teachers.all()) == {teacher, colleague}


def test_an_admin_creates_a_class_for_other_teachers(admin_user, teacher):
    klass = class_create(name="Beacon 33", teacher_ids=[teacher.pk], created_by=admin_user)
    assert list(klass.teachers.all()) == [teacher]


@pytest.mark.parametrize("bad", ["student", "unknown"])
def test_only_teachers_and_admins_can_teach(bad, teacher, students):
    teacher_id = students[0].pk if bad == "student" else 10**9
    with pytest.raises(InvalidInput):
        class_create(name="x", teacher_ids=[teacher_id], created_by=teacher)


def test_a_class_keeps_at_least_one_teacher_and_a_name(teacher):
    klass = class_create(name="Beacon", created_by=teacher)
    with pytest.raises(InvalidInput):
        class_update(school_class=klass, teacher_ids=[])
    with pytest.raises(InvalidInput):
        class_update(school_class=klass, name="  ")
    klass.refresh_from_db()
    assert klass.name == "Beacon" and list(klass.teachers.all()) == [teacher]


def test_enrolment_is_unique(school_class, students):
    with pytest.raises(Conflict) as refused:
        enrolment_create(school_class=school_class, student=students[0])
    assert refused.value.code == "already_enrolled"
