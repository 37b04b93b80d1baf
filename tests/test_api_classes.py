"""Classes over REST: create, list, read, edit, archive, enrol and unenrol."""

import pytest
from django.utils import timezone

from classes.models import Class, ClassStatus
from sessions_app.models import Participant
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db


def test_a_teacher_creates_a_class_and_teaches_it(teacher, make_user):
    colleague = make_user("TEACHER", username="colleague")
    response = api(teacher).post(f"{API}/classes", {"name": "Beacon 32", "teacher_ids": [colleague.pk]})
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"], "name": "Beacon 32", "description": "", "status": "ACTIVE",
        "teacher_ids": sorted([teacher.pk, colleague.pk]), "student_ids": [], "target_band": None,
        "created_at": body["created_at"], "updated_at": body["updated_at"],
    }  # fmt: skip
    assert body["created_at"].endswith("Z")


def test_an_admin_creates_a_class_for_teachers(admin_user, teacher):
    body = (
        api(admin_user).post(f"{API}/classes/", {"name": "B", "description": "d", "teacher_ids": [teacher.pk]}).json()
    )
    assert body["teacher_ids"] == [teacher.pk] and body["description"] == "d"


@pytest.mark.parametrize(
    "data, field",
    [({}, "name"), ({"name": ""}, "name"), ({"name": "x", "teacher_ids": ["a"]}, "teacher_ids.0")],
)
def test_create_validates_the_shape(teacher, data, field):
    body = assert_error(api(teacher).post(f"{API}/classes", data), 400, "invalid")
    assert field in body["errors"]


def test_create_refuses_unknown_teachers_and_students_as_teachers(teacher, students):
    assert_error(api(teacher).post(f"{API}/classes", {"name": "x", "teacher_ids": [987654]}), 400, "unknown_teacher")
    assert_error(api(teacher).post(f"{API}/classes", {"name": "x", "teacher_ids": [students[0].pk]}), 400)


def test_list_admin_all_teacher_own(admin_user, teacher, school_class, make_user):
    other = make_user("TEACHER", username="other")
    api(other).post(f"{API}/classes", {"name": "Other's"})
    assert [c["name"] for c in api(admin_user).get(f"{API}/classes").json()] == ["Beacon 31", "Other's"]
    assert [c["name"] for c in api(teacher).get(f"{API}/classes").json()] == ["Beacon 31"]
    assert [c["name"] for c in api(other).get(f"{API}/classes").json()] == ["Other's"]


def test_retrieve(teacher, school_class, students, make_user):
    body = api(teacher).get(f"{API}/classes/{school_class.pk}").json()
    assert body["student_ids"] == sorted(s.pk for s in students) and body["teacher_ids"] == [teacher.pk]
    other = make_user("TEACHER", username="other")
    assert_error(api(other).get(f"{API}/classes/{school_class.pk}"), 404)
    assert_error(api(students[0]).get(f"{API}/classes/{school_class.pk}"), 403)


def test_put_and_patch(teacher, school_class, make_user):
    colleague = make_user("TEACHER", username="colleague")
    url = f"{API}/classes/{school_class.pk}"
    body = api(teacher).patch(url, {"description": "Tuesdays"}).json()
    assert body["description"] == "Tuesdays" and body["name"] == "Beacon 31"
    body = api(teacher).put(url + "/", {"name": "Beacon 31b", "teacher_ids": [teacher.pk, colleague.pk]}).json()
    assert body["name"] == "Beacon 31b" and body["teacher_ids"] == sorted([teacher.pk, colleague.pk])
    assert api(colleague).get(url).status_code == 200
    assert_error(api(teacher).put(url, {"description": "no name"}), 400)
    assert_error(api(teacher).patch(url, {"teacher_ids": []}), 400, "no_teacher")


def test_delete_archives_and_an_archived_class_takes_no_new_sessions_or_students(
    teacher, school_class, paper, make_user
):
    assert api(teacher).delete(f"{API}/classes/{school_class.pk}").status_code == 204
    school_class.refresh_from_db()
    assert school_class.status == ClassStatus.ARCHIVED
    assert api(teacher).get(f"{API}/classes/{school_class.pk}").json()["status"] == "ARCHIVED"
    newcomer = make_user("STUDENT", username="newcomer")
    assert_error(api(teacher).post(f"{API}/classes/{school_class.pk}/students", {"student_id": newcomer.pk}), 409)
    data = {"class_id": school_class.pk, "test_id": paper.pk, "title": "t", "scheduled_at": timezone.now().isoformat()}
    assert_error(api(teacher).post(f"{API}/sessions", data), 409, "class_archived")


@pytest.mark.parametrize("live", ["WAITING_FOR_STUDENTS", "IN_PROGRESS"])
def test_delete_is_409_while_a_session_waits_or_runs(teacher, session, students, connect_student, live):
    from sessions_app.services import session_open_waiting_room, session_start

    session_open_waiting_room(session=session)
    if live == "IN_PROGRESS":
        connect_student(session, students[0])
        session_start(session=session)
    assert_error(api(teacher).delete(f"{API}/classes/{session.school_class_id}"), 409, "session_running")
    assert Class.objects.get(pk=session.school_class_id).status == ClassStatus.ACTIVE


@pytest.mark.parametrize("slash", ["", "/"])
def test_enrol_joins_unstarted_sessions(teacher, school_class, session, make_user, slash):
    newcomer = make_user("STUDENT", username="newcomer")
    response = api(teacher).post(f"{API}/classes/{school_class.pk}/students{slash}", {"student_id": newcomer.pk})
    assert response.status_code == 201
    assert newcomer.pk in response.json()["student_ids"]
    assert Participant.objects.filter(session=session, student=newcomer).exists()


def test_enrol_errors(teacher, school_class, students):
    url = f"{API}/classes/{school_class.pk}/students"
    assert_error(api(teacher).post(url, {"student_id": students[0].pk}), 409, "already_enrolled")
    assert_error(api(teacher).post(url, {"student_id": teacher.pk}), 400, "not_a_student")
    assert_error(api(teacher).post(url, {"student_id": 987654}), 400, "unknown_student")
    assert_error(api(teacher).post(url, {}), 400, "invalid")
    assert_error(api(teacher).post(url, {"student_id": "x"}), 400, "invalid")


@pytest.mark.parametrize("slash", ["", "/"])
def test_unenrol(teacher, school_class, session, students, slash):
    url = f"{API}/classes/{school_class.pk}/students/{students[0].pk}{slash}"
    assert api(teacher).delete(url).status_code == 204
    assert not Participant.objects.filter(session=session, student=students[0]).exists()
    assert_error(api(teacher).delete(url), 404, "not_enrolled")
    assert api(teacher).get(f"{API}/classes/{school_class.pk}").json()["student_ids"] == sorted(
        s.pk for s in students[1:]
    )


def test_unenrol_abandons_an_open_attempt(teacher, running_session, students):
    attempt = running_session.attempts.get(student=students[0])
    assert (
        api(teacher).delete(f"{API}/classes/{running_session.school_class_id}/students/{students[0].pk}").status_code
        == 204
    )
    attempt.refresh_from_db()
    assert attempt.status == "ABANDONED"


def test_a_teacher_who_hands_the_class_over_gets_the_new_body_then_loses_access(teacher, school_class, make_user):
    successor = make_user("TEACHER", username="successor")
    url = f"{API}/classes/{school_class.pk}"
    response = api(teacher).patch(url, {"teacher_ids": [successor.pk]})
    assert response.status_code == 200 and response.json()["teacher_ids"] == [successor.pk]
    assert_error(api(teacher).get(url), 404)
    assert api(successor).get(url).status_code == 200
