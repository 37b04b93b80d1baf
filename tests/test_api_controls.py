"""The teacher's live controls over REST (contract: "Teacher controls during a session" → Routes): each route's
body, 400 naming the field for every out-of-range input the contract lists, 403 for a student, 404 for another
class's teacher, 409 for the wrong state; a refused call changes nothing and sends nothing."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from attempts.models import Attempt, AttemptStatus
from attempts.services import attempt_answer, attempt_record_violation, attempt_submit
from sessions_app import services
from sessions_app.models import Session, SessionStatus, TeacherMessage
from tests.controls_support import snapshot
from tests.test_api_attempts import ATTEMPT_FIELDS
from tests.test_api_sessions import PARTICIPANT_FIELDS, SESSION_FIELDS
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db

VIOLATION_FIELDS = {"id", "type", "timestamp", "verdict", "note", "away_seconds"}
MESSAGE_FIELDS = ["id", "text", "student_id", "sent_at"]


def parse(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value)


@pytest.fixture
def attempts(running_session, students):
    return [running_session.attempts.get(student=student) for student in students[:2]]


@pytest.fixture
def outsider(make_user):
    """A teacher of another class."""
    return make_user("TEACHER", username="elsewhere")


@pytest.fixture
def refused(running_session, django_capture_on_commit_callbacks):
    """`refused(request, status, code=..., field=...)`: the error body, and nothing changed or scheduled to send."""

    def check(request, status, *, code=None, field=None):
        before = snapshot(running_session)
        with django_capture_on_commit_callbacks() as callbacks:
            response = request()
        body = assert_error(response, status, code)
        if field is not None:
            assert field in body["errors"], body
        assert callbacks == [], "a refused call sends nothing"
        assert snapshot(running_session) == before, "a refused call changes nothing"
        return body

    return check


def attempt_url(attempt, action: str) -> str:
    return f"{API}/attempts/{attempt.pk}/{action}"


def session_url(session, action: str) -> str:
    return f"{API}/sessions/{session.pk}/{action}"


# ---------------------------------------------------------------- extra time


@pytest.mark.parametrize("slash", ["", "/"])
def test_extra_time_for_one_student_answers_the_attempt_body(teacher, attempts, running_session, slash):
    response = api(teacher).post(
        attempt_url(attempts[0], "extra-time") + slash, {"seconds": 1500, "reason": "25 %"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == ATTEMPT_FIELDS
    assert (body["id"], body["status"], body["extra_seconds"], body["offline_seconds"]) == (
        attempts[0].pk, "IN_PROGRESS", 1500, 0,
    )  # fmt: skip
    assert parse(body["ends_at"]) - running_session.ends_at == timedelta(seconds=1500)
    other = api(teacher).get(f"{API}/attempts/{attempts[1].pk}").json()
    assert (other["extra_seconds"], parse(other["ends_at"])) == (0, running_session.ends_at)


def test_an_admin_gives_extra_time_to_the_class(admin_user, attempts, running_session):
    response = api(admin_user).post(session_url(running_session, "extra-time"), {"seconds": -60}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == SESSION_FIELDS and body["status"] == "IN_PROGRESS"
    assert running_session.ends_at - parse(body["ends_at"]) == timedelta(seconds=60)
    assert all(a.ends_at == parse(body["ends_at"]) for a in Attempt.objects.filter(session=running_session))


# The contract's out-of-range inputs, route by route: (route, body, the field named in `errors`).
OUT_OF_RANGE = [
    ("attempt-extra-time", {"seconds": 0}, "seconds"),
    ("attempt-extra-time", {"seconds": 18001}, "seconds"),
    ("attempt-extra-time", {"seconds": -3601}, "seconds"),
    ("attempt-extra-time", {"seconds": 1.5}, "seconds"),
    ("attempt-extra-time", {"seconds": "abc"}, "seconds"),
    ("attempt-extra-time", {}, "seconds"),
    ("attempt-extra-time", {"seconds": 60, "reason": "x" * 501}, "reason"),
    ("session-extra-time", {"seconds": 0}, "seconds"),
    ("session-extra-time", {"seconds": 18001}, "seconds"),
    ("session-extra-time", {"seconds": -3601}, "seconds"),
    ("session-extra-time", {"seconds": 2.5}, "seconds"),
    ("session-extra-time", {"seconds": None}, "seconds"),
    ("pause", {"reason": "x" * 501}, "reason"),
    ("reopen", {"seconds": 0}, "seconds"),
    ("reopen", {"seconds": 18001}, "seconds"),
    ("reopen", {"seconds": -1}, "seconds"),
    ("reopen", {"seconds": "soon"}, "seconds"),
    ("reopen", {}, "seconds"),
    ("message", {"text": ""}, "text"),
    ("message", {"text": "x" * 501}, "text"),
    ("message", {}, "text"),
    ("message", {"text": "Hi", "student_id": "not a participant"}, "student_id"),
    ("message", {"text": "Hi", "student_id": 987654}, "student_id"),
    ("message", {"text": "Hi", "student_id": "abc"}, "student_id"),
    ("review", {"verdict": "MAYBE"}, "verdict"),
    ("review", {}, "verdict"),
    ("review", {"verdict": "CONFIRMED", "note": "x" * 501}, "note"),
]


def route_url(route: str, running_session, attempts) -> str:
    attempt = attempts[0]
    return {
        "attempt-extra-time": attempt_url(attempt, "extra-time"),
        "session-extra-time": session_url(running_session, "extra-time"),
        "pause": session_url(running_session, "pause"),
        "reopen": attempt_url(attempt, "reopen"),
        "message": session_url(running_session, "messages"),
        "review": attempt_url(attempt, f"violations/{attempt.violations.first().pk}/review"),
        "finish": attempt_url(attempt, "finish"),
        "resume": session_url(running_session, "resume"),
    }[route]


@pytest.mark.parametrize(
    "route, data, field", [pytest.param(*row, id=f"{row[0]}-{row[2]}-{i}") for i, row in enumerate(OUT_OF_RANGE)]
)
def test_a_body_out_of_range_is_400_naming_the_field(
    route, data, field, teacher, attempts, running_session, make_user, refused
):
    attempt_record_violation(attempt=attempts[0])
    if route == "reopen":
        attempt_submit(attempt=attempts[0])
    if data.get("student_id") == "not a participant":
        data = {**data, "student_id": make_user("STUDENT", username="stranger").pk}
    url = route_url(route, running_session, attempts)
    body = refused(lambda: api(teacher).post(url, data, format="json"), 400, field=field)
    assert body["code"] == "invalid"


@pytest.mark.parametrize("route", ["attempt-extra-time", "session-extra-time", "pause", "finish", "reopen",
                                   "message", "review", "resume"])  # fmt: skip
def test_a_student_is_403_and_another_class_s_teacher_404(
    route, students, outsider, attempts, running_session, refused
):
    attempt_record_violation(attempt=attempts[0])
    url = route_url(route, running_session, attempts)
    data = {"seconds": 60, "text": "Hi", "verdict": "CONFIRMED"}
    for student in students[:2]:  # the attempt's own student, and a classmate
        refused(lambda student=student: api(student).post(url, data, format="json"), 403)
    refused(lambda: api(outsider).post(url, data, format="json"), 404)


def test_extra_time_is_409_unless_the_attempt_and_session_are_running(teacher, attempts, running_session, refused):
    attempt_submit(attempt=attempts[1])
    refused(
        lambda: api(teacher).post(attempt_url(attempts[1], "extra-time"), {"seconds": 60}, format="json"), 409,
        code="attempt_closed",
    )  # fmt: skip
    services.session_complete(session=running_session)
    for url in (attempt_url(attempts[0], "extra-time"), session_url(running_session, "extra-time")):
        refused(lambda url=url: api(teacher).post(url, {"seconds": 60}, format="json"), 409)


def test_extra_time_for_the_class_is_409_before_the_start(teacher, session):
    response = api(teacher).post(session_url(session, "extra-time"), {"seconds": 60}, format="json")
    assert_error(response, 409, "session_not_running")
    assert Session.objects.get(pk=session.pk).ends_at is None


# ---------------------------------------------------------------- pause and resume


def test_pause_and_resume_answer_the_session_body(teacher, attempts, running_session, students):
    client = api(teacher)
    body = client.post(session_url(running_session, "pause"), {"reason": "Fire alarm"}, format="json").json()
    assert set(body) == SESSION_FIELDS and body["status"] == "PAUSED"
    assert set(body["participants"][0]) == PARTICIPANT_FIELDS
    assert_error(client.post(session_url(running_session, "pause")), 409, "invalid_transition")
    Session.objects.filter(pk=running_session.pk).update(paused_at=timezone.now() - timedelta(seconds=90))
    response = client.post(session_url(running_session, "resume/"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == SESSION_FIELDS and body["status"] == "IN_PROGRESS"
    moved = parse(body["ends_at"]) - running_session.ends_at
    assert timedelta(seconds=90) <= moved < timedelta(seconds=92)
    for attempt in Attempt.objects.filter(session=running_session):
        assert attempt.ends_at == parse(body["ends_at"]), "every open attempt moves with the session"
    assert_error(client.post(session_url(running_session, "resume")), 409, "invalid_transition")


def test_pause_is_409_unless_in_progress(teacher, session):
    for url in (session_url(session, "pause"), session_url(session, "resume")):
        assert_error(api(teacher).post(url), 409, "invalid_transition")
    assert Session.objects.get(pk=session.pk).status == SessionStatus.SCHEDULED


def test_while_paused_rest_answers_and_submit_are_409_session_paused(teacher, students, attempts, running_session):
    services.session_pause(session=running_session, by=teacher)
    question = running_session.test.questions.get(number=1)
    student = api(students[0])
    answer = student.post(attempt_url(attempts[0], "answers"), {"question_id": question.pk, "answer": "TRUE"})
    assert_error(answer, 409, "session_paused")
    assert_error(student.post(attempt_url(attempts[0], "submit")), 409, "session_paused")
    stored = Attempt.objects.get(pk=attempts[0].pk)
    assert stored.status == AttemptStatus.IN_PROGRESS and not stored.answers.exists()
    assert student.get(f"{API}/attempts/{attempts[0].pk}").status_code == 200, "reading still works"
    assert student.get(f"{API}/tests/{running_session.test_id}").status_code == 200, "and so does the paper"


def test_a_paused_session_is_not_deleted_and_its_class_not_archived(admin_user, teacher, running_session):
    services.session_pause(session=running_session, by=teacher)
    assert_error(api(admin_user).delete(f"{API}/sessions/{running_session.pk}"), 409)
    assert_error(api(teacher).delete(f"{API}/classes/{running_session.school_class_id}"), 409)


# ---------------------------------------------------------------- finish and reopen


def test_finish_and_reopen_answer_the_attempt_body(teacher, attempts, running_session):
    question = running_session.test.questions.get(number=1)
    attempt_answer(attempt=attempts[0], question_id=question.pk, answer="TRUE")
    client = api(teacher)
    body = client.post(attempt_url(attempts[0], "finish")).json()
    assert list(body) == ATTEMPT_FIELDS
    assert (body["status"], body["score"]) == ("SUBMITTED", 1) and isinstance(body["band"], float)
    assert body["submitted_at"] is not None
    assert_error(client.post(attempt_url(attempts[0], "finish")), 409, "attempt_closed")

    before = timezone.now()
    response = client.post(attempt_url(attempts[0], "reopen/"), {"seconds": 600}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ATTEMPT_FIELDS
    assert (body["status"], body["score"], body["band"], body["submitted_at"]) == ("IN_PROGRESS", None, None, None)
    assert timedelta(seconds=600) <= parse(body["ends_at"]) - before < timedelta(seconds=602)
    assert body["extra_seconds"] == round((parse(body["ends_at"]) - running_session.ends_at).total_seconds())
    assert [a["answer"] for a in body["answers"]] == ["TRUE"], "the work is kept"
    assert_error(client.post(attempt_url(attempts[0], "reopen"), {"seconds": 600}, format="json"), 409,
                 "not_submitted")  # fmt: skip


def test_reopen_is_409_once_the_session_is_over(teacher, attempts, running_session, refused):
    services.session_complete(session=running_session)
    refused(lambda: api(teacher).post(attempt_url(attempts[0], "reopen"), {"seconds": 60}, format="json"), 409,
            code="session_not_running")  # fmt: skip
    refused(lambda: api(teacher).post(attempt_url(attempts[0], "finish")), 409, code="attempt_closed")


# ---------------------------------------------------------------- messages


def test_messages_to_the_class_and_to_one_student_and_who_reads_them(teacher, students, running_session, outsider):
    client = api(teacher)
    to_all = client.post(session_url(running_session, "messages"), {"text": "Question 12: 'west'"}, format="json")
    assert to_all.status_code == 201
    body = to_all.json()
    assert list(body) == MESSAGE_FIELDS and (body["text"], body["student_id"]) == ("Question 12: 'west'", None)
    assert parse(body["sent_at"]) <= timezone.now()
    for student in students[1:]:
        response = client.post(
            session_url(running_session, "messages/"), {"text": f"For {student.pk}", "student_id": student.pk},
            format="json",
        )  # fmt: skip
        assert response.status_code == 201 and response.json()["student_id"] == student.pk
    assert TeacherMessage.objects.filter(session=running_session).count() == 3

    everything = client.get(session_url(running_session, "messages")).json()
    assert [m["student_id"] for m in everything] == [None, students[1].pk, students[2].pk], "oldest first"
    assert all(list(m) == MESSAGE_FIELDS for m in everything)
    mine = api(students[1]).get(session_url(running_session, "messages")).json()
    assert [m["student_id"] for m in mine] == [None, students[1].pk], "to the class and to them only"
    assert [m["student_id"] for m in api(students[0]).get(session_url(running_session, "messages")).json()] == [None]
    assert_error(api(outsider).get(session_url(running_session, "messages")), 404)


def test_messages_are_sent_in_the_waiting_room_and_refused_once_over(teacher, session, students):
    client = api(teacher)
    assert_error(client.post(session_url(session, "messages"), {"text": "Hi"}, format="json"), 409, "session_not_open")
    services.session_open_waiting_room(session=session)
    assert client.post(session_url(session, "messages"), {"text": "Hi"}, format="json").status_code == 201
    services.session_cancel(session=session)
    assert_error(client.post(session_url(session, "messages"), {"text": "Bye"}, format="json"), 409,
                 "session_not_open")  # fmt: skip
    assert TeacherMessage.objects.filter(session=session).count() == 1


# ---------------------------------------------------------------- violation reviews


def test_a_review_answers_the_attempt_body_and_a_later_one_replaces_it(teacher, attempts, running_session):
    attempt_record_violation(attempt=attempts[0], violation_type="COPY")
    violation = attempts[0].violations.get()
    client, url = api(teacher), attempt_url(attempts[0], f"violations/{violation.pk}/review")
    before = client.get(f"{API}/attempts/{attempts[0].pk}").json()["violations"]
    assert before == [{"id": violation.pk, "type": "COPY", "timestamp": before[0]["timestamp"], "verdict": None,
                       "note": None, "away_seconds": None}]  # fmt: skip
    response = client.post(url, {"verdict": "CONFIRMED", "note": "Seen copying"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ATTEMPT_FIELDS
    [item] = body["violations"]
    assert set(item) == VIOLATION_FIELDS
    assert (item["id"], item["verdict"], item["note"]) == (violation.pk, "CONFIRMED", "Seen copying")
    services.session_complete(session=running_session)  # in any state of the session
    body = client.post(url + "/", {"verdict": "DISMISSED"}, format="json").json()
    assert (body["violations"][0]["verdict"], body["violations"][0]["note"]) == ("DISMISSED", None)
    stats = client.get(session_url(running_session, "stats")).json()
    row = next(row for row in stats["students"] if row["attempt_id"] == attempts[0].pk)
    assert (row["violations"], row["violations_confirmed"]) == (1, 0)


def test_a_review_of_a_violation_not_of_that_attempt_is_404(teacher, attempts, refused):
    attempt_record_violation(attempt=attempts[1])
    theirs = attempts[1].violations.get()
    for violation_id in (theirs.pk, 987654):
        refused(lambda violation_id=violation_id: api(teacher).post(
            attempt_url(attempts[0], f"violations/{violation_id}/review"), {"verdict": "CONFIRMED"}, format="json"),
            404)  # fmt: skip


# ---------------------------------------------------------------- the new fields


def test_participants_show_open_sockets_and_offline_time_and_stats_the_new_counts(
    teacher, students, running_session, connect_student, attempts
):
    connect_student(running_session, students[0], channel_name="second-tab")
    services.attempt_extend(attempt=attempts[1], seconds=120, by=teacher)
    body = api(teacher).get(f"{API}/sessions/{running_session.pk}").json()
    participants = {p["student_id"]: p for p in body["participants"]}
    assert all(set(p) == PARTICIPANT_FIELDS for p in participants.values())
    assert [participants[s.pk]["connections"] for s in students] == [2, 1, 0]
    assert [participants[s.pk]["offline_seconds"] for s in students] == [0, 0, 0]
    stats = {
        row["student_id"]: row for row in api(teacher).get(session_url(running_session, "stats")).json()["students"]
    }
    assert [(stats[s.pk]["extra_seconds"], stats[s.pk]["offline_seconds"], stats[s.pk]["violations_confirmed"])
            for s in students] == [(0, 0, 0), (120, 0, 0), (0, 0, 0)]  # fmt: skip
