"""Sessions over REST: create, edit while scheduled, lists and filters, every transition, delete, statistics."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from attempts.models import AttemptStatus
from attempts.services import attempt_answer, attempt_highlight, attempt_record_violation, attempt_submit
from sessions_app.models import Session, SessionStatus
from sessions_app.selectors import session_stats
from sessions_app.services import SESSION_ACTIONS, SESSION_ACTIONS_BY_SLUG, session_open_waiting_room, session_start
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db

SESSION_FIELDS = {
    "id", "class_id", "test_id", "title", "status", "scheduled_at", "started_at", "ends_at", "completed_at",
    "created_by", "created_at", "updated_at", "server_now", "participants",
    # "Session shape, paper versions and results release"
    "test_version", "passage_ids", "time_limit_minutes", "results_release", "review", "results_released_at",
}  # fmt: skip
PARTICIPANT_FIELDS = {
    "student_id", "student_name", "attempt_id", "joined_at", "connection_status", "last_activity", "connections",
    "offline_seconds",
}  # fmt: skip


def parse(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value)


def create_body(school_class, paper, **extra):
    return {"class_id": school_class.pk, "test_id": paper.pk, "title": "Monday mock",
            "scheduled_at": "2026-11-30T20:00:00Z", **extra}  # fmt: skip


# ---------------------------------------------------------------- create, read, edit


def test_create_makes_the_class_students_participants(teacher, school_class, paper, students):
    response = api(teacher).post(f"{API}/sessions", create_body(school_class, paper))
    assert response.status_code == 201
    body = response.json()
    assert set(body) == SESSION_FIELDS
    assert body["class_id"] == school_class.pk and body["test_id"] == paper.pk and body["created_by"] == teacher.pk
    assert body["status"] == "SCHEDULED" and body["scheduled_at"] == "2026-11-30T20:00:00Z"
    assert body["started_at"] is None and body["ends_at"] is None and body["completed_at"] is None
    assert abs(parse(body["server_now"]) - timezone.now()) < timedelta(seconds=5)
    assert [p["student_id"] for p in body["participants"]] == [s.pk for s in students]
    first = body["participants"][0]
    assert set(first) == PARTICIPANT_FIELDS
    assert first["student_name"] == "Stu Dent1" and first["attempt_id"] is None
    assert first["connection_status"] == "DISCONNECTED" and first["joined_at"] is None
    assert (first["connections"], first["offline_seconds"]) == (0, 0)


def test_student_name_falls_back_to_the_username(teacher, school_class, paper, make_user):
    from sessions_app.services import class_enrol

    class_enrol(school_class=school_class, student=make_user("STUDENT", username="nameless"))
    body = api(teacher).post(f"{API}/sessions", create_body(school_class, paper)).json()
    assert "nameless" in [p["student_name"] for p in body["participants"]]


def test_an_admin_creates_for_any_class(admin_user, school_class, paper):
    assert api(admin_user).post(f"{API}/sessions/", create_body(school_class, paper)).status_code == 201


@pytest.mark.parametrize(
    "change, field",
    [
        ({"class_id": 987654}, "class_id"),
        ({"test_id": 987654}, "test_id"),
        ({"title": ""}, "title"),
        ({"scheduled_at": "tomorrow"}, "scheduled_at"),
        ({"class_id": "x"}, "class_id"),
    ],
)
def test_create_validates(teacher, school_class, paper, change, field):
    body = assert_error(api(teacher).post(f"{API}/sessions", create_body(school_class, paper, **change)), 400)
    assert field in body["errors"]


def test_another_teacher_cannot_create_for_a_class_not_theirs(school_class, paper, make_user):
    other = make_user("TEACHER", username="other")
    body = assert_error(api(other).post(f"{API}/sessions", create_body(school_class, paper)), 400)
    assert "class_id" in body["errors"]
    assert not Session.objects.exists()


def test_retrieve_for_teacher_student_and_admin(teacher, admin_user, session, students, make_user):
    url = f"{API}/sessions/{session.pk}"
    for user in (teacher, admin_user, students[0]):
        body = api(user).get(url).json()
        assert body["id"] == session.pk and set(body) == SESSION_FIELDS
    outsider = make_user("STUDENT", username="outsider")
    assert_error(api(outsider).get(url), 404)
    assert_error(api(make_user("TEACHER", username="other")).get(url), 404)
    assert_error(api(teacher).get(f"{API}/sessions/999999"), 404)


def test_patch_while_scheduled_then_409(teacher, session, make_user):
    from conftest import paper_data
    from exams.services import test_create

    other_paper = test_create(**paper_data(passages=1), created_by=teacher)
    url = f"{API}/sessions/{session.pk}"
    body = api(teacher).patch(url, {"title": "Renamed", "scheduled_at": "2026-12-01T09:30:00Z",
                                    "test_id": other_paper.pk}).json()  # fmt: skip
    assert (body["title"], body["scheduled_at"], body["test_id"]) == ("Renamed", "2026-12-01T09:30:00Z", other_paper.pk)
    assert_error(api(teacher).patch(url, {"title": ""}), 400)
    assert_error(api(teacher).patch(url, {"test_id": 987654}), 400)
    session_open_waiting_room(session=session)
    assert_error(api(teacher).patch(url + "/", {"title": "Too late"}), 409, "not_editable")
    assert_error(api(teacher).put(url, {"title": "PUT is not offered"}), 405, "method_not_allowed")


# ---------------------------------------------------------------- lists


def test_lists_and_filters(admin_user, teacher, session, school_class, paper, make_user):
    from classes.services import class_create
    from sessions_app.services import session_create

    other = make_user("TEACHER", username="other")
    other_class = class_create(name="Other", created_by=other)
    foreign = session_create(school_class=other_class, test=paper, title="Foreign", scheduled_at=timezone.now(),
                             created_by=other)  # fmt: skip
    second = session_create(school_class=school_class, test=paper, title="Second", scheduled_at=timezone.now(),
                            created_by=teacher)  # fmt: skip
    session_open_waiting_room(session=second)

    def ids(user, query=""):
        response = api(user).get(f"{API}/sessions{query}")
        assert response.status_code == 200, response.json()
        return {s["id"] for s in response.json()}

    assert ids(admin_user) == {session.pk, foreign.pk, second.pk}
    assert ids(teacher) == {session.pk, second.pk}
    assert ids(other) == {foreign.pk}
    assert ids(admin_user, f"?class_id={other_class.pk}") == {foreign.pk}
    assert ids(teacher, "/?status=WAITING_FOR_STUDENTS") == {second.pk}
    assert ids(teacher, f"?class_id={school_class.pk}&status=SCHEDULED") == {session.pk}
    assert ids(teacher, f"?class_id={other_class.pk}") == set()
    assert_error(api(teacher).get(f"{API}/sessions?status=LIVE"), 400)
    assert_error(api(teacher).get(f"{API}/sessions?class_id=abc"), 400)


@pytest.mark.parametrize("slash", ["", "/"])
def test_my_sessions(teacher, session, students, make_user, slash):
    body = api(students[0]).get(f"{API}/sessions/my-sessions{slash}").json()
    assert [s["id"] for s in body] == [session.pk] and set(body[0]) == SESSION_FIELDS
    assert api(make_user("STUDENT", username="outsider")).get(f"{API}/sessions/my-sessions").json() == []
    assert_error(api(teacher).get(f"{API}/sessions/my-sessions"), 403)
    assert_error(api(students[0]).get(f"{API}/sessions"), 403)
    assert [s["id"] for s in api(students[0]).get(f"{API}/sessions/my-sessions?status=SCHEDULED").json()] == [
        session.pk
    ]


# ---------------------------------------------------------------- transitions

# How to bring a fresh session to each status, through the services.
REACH = {
    "SCHEDULED": [],
    "WAITING_FOR_STUDENTS": ["start-waiting"],
    "IN_PROGRESS": ["start-waiting", "start"],
    "PAUSED": ["start-waiting", "start", "pause"],
    "COMPLETED": ["start-waiting", "start", "complete"],
    "CANCELLED": ["cancel"],
}


@pytest.mark.parametrize("status", SessionStatus.values)
@pytest.mark.parametrize("action", SESSION_ACTIONS, ids=lambda action: action.slug)
def test_every_listed_action_is_a_route_that_moves_only_the_listed_statuses(
    action, status, teacher, session, students, connect_student
):
    """The registry the admin and the live monitor read is the REST API's: each action's route takes a session
    from exactly the statuses it lists to its target, and refuses every other status."""
    for slug in REACH[status]:
        if slug == "start":
            connect_student(session, students[0])
        SESSION_ACTIONS_BY_SLUG[slug].service(session=session)
    if action.slug == "start" and status == "WAITING_FOR_STUDENTS":
        connect_student(session, students[0])
    response = api(teacher).post(f"{API}/sessions/{session.pk}/{action.slug}")
    if status in action.allowed_from:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == action.to
    else:
        assert_error(response, 409, "invalid_transition")
        session.refresh_from_db()
        assert session.status == status, "a refused transition changes nothing"


@pytest.mark.parametrize("slash", ["", "/"])
def test_the_whole_life_cycle(teacher, session, students, connect_student, slash, paper):
    client, url = api(teacher), f"{API}/sessions/{session.pk}"
    assert_error(client.post(f"{url}/start{slash}"), 409, "invalid_transition")  # scheduled → in progress
    body = client.post(f"{url}/start-waiting{slash}").json()
    assert body["status"] == "WAITING_FOR_STUDENTS" and set(body) == SESSION_FIELDS
    assert_error(client.post(f"{url}/start-waiting{slash}"), 409)
    assert_error(client.post(f"{url}/start{slash}"), 409, "no_students_connected")
    connect_student(session, students[0])
    body = client.post(f"{url}/start{slash}").json()
    assert body["status"] == "IN_PROGRESS"
    started, ends = parse(body["started_at"]), parse(body["ends_at"])
    assert ends - started == timedelta(minutes=paper.time_limit_minutes)
    by_student = {p["student_id"]: p for p in body["participants"]}
    attempt = session.attempts.get(student=students[0])
    assert by_student[students[0].pk]["attempt_id"] == attempt.pk
    assert by_student[students[0].pk]["connection_status"] == "CONNECTED"
    assert by_student[students[1].pk]["attempt_id"] is None
    assert_error(client.post(f"{url}/cancel{slash}"), 409)
    assert_error(client.delete(url), 403)  # teachers never delete
    body = client.post(f"{url}/complete{slash}").json()
    assert body["status"] == "COMPLETED" and body["completed_at"] is not None
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.score == 0
    assert_error(client.post(f"{url}/complete{slash}"), 409)
    assert_error(client.post(f"{url}/start-waiting{slash}"), 409)


@pytest.mark.parametrize("open_waiting_room", [False, True])
def test_cancel_before_start(teacher, session, open_waiting_room):
    if open_waiting_room:
        session_open_waiting_room(session=session)
    body = api(teacher).post(f"{API}/sessions/{session.pk}/cancel").json()
    assert body["status"] == "CANCELLED"
    assert_error(api(teacher).post(f"{API}/sessions/{session.pk}/start-waiting"), 409)


def test_admin_deletes_except_while_in_progress(admin_user, running_session, session, school_class, paper):
    url = f"{API}/sessions/{running_session.pk}"
    assert_error(api(admin_user).delete(url), 409, "session_in_progress")
    api(admin_user).post(f"{url}/complete")
    assert api(admin_user).delete(url + "/").status_code == 204
    assert not Session.objects.filter(pk=running_session.pk).exists()
    assert_error(api(admin_user).get(url), 404)


# ---------------------------------------------------------------- statistics


def _play(session, students):
    """Two students answer (one fully right), one submits; a violation and a highlight."""
    a0 = session.attempts.get(student=students[0])
    a1 = session.attempts.get(student=students[1])
    q = {question.number: question for question in session.test.questions.all()}
    attempt_answer(attempt=a0, question_id=q[1].pk, answer="true")
    attempt_answer(attempt=a0, question_id=q[2].pk, answer=" b ")
    attempt_answer(attempt=a0, question_id=q[3].pk, answer="Red  Wool")
    attempt_answer(attempt=a0, question_id=q[4].pk, answer="wool")
    attempt_answer(attempt=a1, question_id=q[1].pk, answer="FALSE")
    attempt_answer(attempt=a1, question_id=q[2].pk, answer="B")
    attempt_record_violation(attempt=a1, violation_type="TAB_SWITCH")
    attempt_record_violation(attempt=a1, violation_type="COPY")
    passage = session.test.passages.first()
    attempt_highlight(attempt=a1, passage_id=passage.pk, text="red", position_start=15, position_end=18)
    attempt_submit(attempt=a0)
    return a0, a1, q


def test_stats_body(teacher, running_session, students):
    a0, a1, q = _play(running_session, students)
    response = api(teacher).get(f"{API}/sessions/{running_session.pk}/stats")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("session_id", "status", "participants", "connected", "submitted")} == {
        "session_id": running_session.pk, "status": "IN_PROGRESS", "participants": 3, "connected": 2, "submitted": 1,
    }  # fmt: skip
    assert body["average_score"] == 4 and body["average_band"] == 9.0 and body["violations_total"] == 2
    rows = {row["student_id"]: row for row in body["students"]}
    assert list(rows) == [s.pk for s in students]  # every participant, by username
    assert rows[students[0].pk] == {
        "student_id": students[0].pk, "student_name": "Stu Dent1", "attempt_id": a0.pk, "status": "SUBMITTED",
        "answered": 4, "correct": 4, "score": 4, "band": 9.0, "violations": 0, "highlights": 0,
        "current_passage_index": 0, "current_question_index": 0, "extra_seconds": 0, "offline_seconds": 0,
        "violations_confirmed": 0,
    }  # fmt: skip
    row1 = rows[students[1].pk]
    assert (row1["status"], row1["answered"], row1["correct"], row1["score"], row1["band"]) == (
        "IN_PROGRESS", 2, 1, None, None,
    )  # fmt: skip
    assert (row1["violations"], row1["highlights"]) == (2, 1)
    absent = rows[students[2].pk]
    assert absent["attempt_id"] is None and absent["status"] is None and absent["answered"] == 0
    questions = {row["number"]: row for row in body["questions"]}
    assert questions[1] == {"question_id": q[1].pk, "number": 1, "answered": 2, "correct": 1, "facility": 0.5}
    assert questions[2]["correct"] == 2 and questions[2]["facility"] == 1.0
    assert questions[4] == {"question_id": q[4].pk, "number": 4, "answered": 1, "correct": 1, "facility": 0.5}
    assert isinstance(body["average_band"], float)


def test_stats_of_a_scheduled_session(teacher, session):
    body = api(teacher).get(f"{API}/sessions/{session.pk}/stats/").json()
    assert body["submitted"] == 0 and body["average_score"] is None and body["average_band"] is None
    assert all(q["facility"] == 0 for q in body["questions"])
    assert len(body["students"]) == 3


def _running_session_with(n_students, *, teacher, paper, make_user, connect_student):
    from classes.services import class_create
    from sessions_app.services import class_enrol, session_create

    klass = class_create(name=f"Class of {n_students}", created_by=teacher)
    students = [make_user("STUDENT", username=f"s{n_students}_{i}") for i in range(n_students)]
    for student in students:
        class_enrol(school_class=klass, student=student)
    session = session_create(school_class=klass, test=paper, title="t", scheduled_at=timezone.now(), created_by=teacher)
    session_open_waiting_room(session=session)
    for student in students:
        connect_student(session, student)
    session_start(session=session)
    questions = list(paper.questions.all())
    for i, attempt in enumerate(session.attempts.all()):
        for question in questions[: 1 + i % len(questions)]:
            attempt_answer(attempt=attempt, question_id=question.pk, answer="TRUE")
        attempt_record_violation(attempt=attempt)
        if i % 2:
            attempt_submit(attempt=attempt)
    return session


def test_the_stats_selector_runs_a_fixed_number_of_queries(
    django_assert_num_queries, teacher, paper, make_user, connect_student
):
    small = _running_session_with(3, teacher=teacher, paper=paper, make_user=make_user, connect_student=connect_student)
    large = _running_session_with(
        30, teacher=teacher, paper=paper, make_user=make_user, connect_student=connect_student
    )
    with django_assert_num_queries(6):
        small_stats = session_stats(small)
    with django_assert_num_queries(6):
        large_stats = session_stats(large)
    assert len(small_stats["students"]) == 3 and len(large_stats["students"]) == 30
    assert large_stats["submitted"] == 15 and large_stats["violations_total"] == 30


def test_the_stats_endpoint_does_not_grow_with_the_class(teacher, paper, make_user, connect_student):
    counts = []
    for n in (3, 30):
        session = _running_session_with(
            n, teacher=teacher, paper=paper, make_user=make_user, connect_student=connect_student
        )
        client = api(teacher)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{API}/sessions/{session.pk}/stats")
        assert response.status_code == 200 and len(response.json()["students"]) == n
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 10, counts


def test_the_session_list_does_not_grow_with_the_class(admin_user, teacher, paper, make_user, connect_student):
    counts = []
    for n in (3, 30):
        session = _running_session_with(
            n, teacher=teacher, paper=paper, make_user=make_user, connect_student=connect_student
        )
        with CaptureQueriesContext(connection) as queries:
            assert api(admin_user).get(f"{API}/sessions/{session.pk}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
