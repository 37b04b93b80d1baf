"""Who may do what: every endpoint × {anonymous, student of the class, other student, teacher of the class,
other teacher, admin}. Not visible → 404, visible but not allowed → 403, no credential → 401."""

from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from attempts.practice import practice_publish
from attempts.services import attempt_record_violation, attempt_submit
from classes.services import class_create
from conftest import paper_data
from exams.services import test_create
from sessions_app.services import (
    class_enrol,
    session_create,
    session_open_waiting_room,
    session_pause,
    session_start,
)
from tests.listening_support import listening_paper, wav_bytes
from tests.test_api_support import API
from tests.test_api_support import bearer_client as api
from tests.writing_support import tiny_png

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "student", "other_student", "teacher", "other_teacher", "admin"]


@dataclass
class World:
    users: dict
    ids: dict = field(default_factory=dict)


def build_world(state: str, make_user, connect_student) -> World:
    teacher = make_user("TEACHER", username="teacher")
    other_teacher = make_user("TEACHER", username="other_teacher")
    student = make_user("STUDENT", username="student")
    other_student = make_user("STUDENT", username="other_student")
    newcomer = make_user("STUDENT", username="newcomer")
    admin = make_user("ADMIN", username="admin")
    paper = test_create(**paper_data(), created_by=teacher)
    klass = class_create(name="Beacon 31", created_by=teacher)
    class_create(name="Elsewhere", created_by=other_teacher)
    class_enrol(school_class=klass, student=student)
    session = session_create(
        school_class=klass, test=paper, title="Mock", scheduled_at=timezone.now(), created_by=teacher
    )
    if state in ("waiting_connected", "running", "paused", "submitted"):
        session_open_waiting_room(session=session)
        connect_student(session, student)
    if state in ("running", "paused", "submitted"):
        session_start(session=session)
    attempt = session.attempts.filter(student=student).first()
    if attempt:
        attempt_record_violation(attempt=attempt)
    violation = attempt.violations.get() if attempt else None
    practice = practice_publish(school_class=klass, test=paper, by=teacher)
    listening = listening_paper(teacher, part_seconds=(2.0,))
    if state == "running":  # the student takes a Listening session too: its audio is theirs while it runs
        heard = session_create(
            school_class=klass, test=listening, title="Listening", scheduled_at=timezone.now(), created_by=teacher
        )
        session_open_waiting_room(session=heard)
        connect_student(heard, student)
        session_start(session=heard)
    if state == "paused":
        session_pause(session=session)
    if state == "submitted":
        attempt_submit(attempt=attempt)
    world = World(
        users={"anonymous": None, "student": student, "other_student": other_student, "teacher": teacher,
               "other_teacher": other_teacher, "admin": admin},
        ids={"class": klass.pk, "session": session.pk, "test": paper.pk, "student": student.pk,
             "newcomer": newcomer.pk, "attempt": attempt.pk if attempt else 0,
             "question": paper.questions.get(number=1).pk, "violation": violation.pk if violation else 0,
             "practice": practice.pk, "listening": listening.pk, "part": listening.passages.get().pk},
    )  # fmt: skip
    return world


def _new_user(w):
    return {"username": "fresh", "password": "a-long-pass-41", "role": "STUDENT"}


def _session_body(w):
    return {"class_id": w.ids["class"], "test_id": w.ids["test"], "title": "t", "scheduled_at": "2026-11-30T20:00:00Z"}


def _none(w):
    return None


def _png(w):
    return RawBody(tiny_png(), "image/png")


@dataclass
class RawBody:
    """A body sent as it is (a file), not as JSON."""

    content: bytes
    content_type: str


def _audio(w):
    return RawBody(wav_bytes(1.0), "audio/wav")


# (name, state, method, path, body, expected for ACTORS in order)
ROWS = [
    ("me", "scheduled", "get", "/users/me", _none, (401, 200, 200, 200, 200, 200)),
    ("users-list", "scheduled", "get", "/users", _none, (401, 403, 403, 200, 200, 200)),
    ("users-create", "scheduled", "post", "/users", _new_user, (401, 403, 403, 201, 201, 201)),
    ("tests-list", "scheduled", "get", "/tests", _none, (401, 403, 403, 200, 200, 200)),
    ("tests-create", "scheduled", "post", "/tests", lambda w: paper_data(), (401, 403, 403, 201, 201, 201)),
    ("test-detail", "scheduled", "get", "/tests/{test}", _none, (401, 404, 404, 200, 200, 200)),
    ("test-detail-running", "running", "get", "/tests/{test}", _none, (401, 200, 404, 200, 200, 200)),
    ("test-patch", "scheduled", "patch", "/tests/{test}", lambda w: {"band_table": [[0, 1], [30, 7]]},
     (401, 403, 403, 200, 403, 200)),
    # Admins only; a paper a session uses is never deleted (409).
    ("test-delete", "scheduled", "delete", "/tests/{test}", _none, (401, 403, 403, 403, 403, 409)),
    ("classes-list", "scheduled", "get", "/classes", _none, (401, 403, 403, 200, 200, 200)),
    ("classes-create", "scheduled", "post", "/classes", lambda w: {"name": "New"}, (401, 403, 403, 201, 201, 201)),
    ("class-detail", "scheduled", "get", "/classes/{class}", _none, (401, 403, 403, 200, 404, 200)),
    ("class-patch", "scheduled", "patch", "/classes/{class}", lambda w: {"description": "x"},
     (401, 403, 403, 200, 404, 200)),
    ("class-put", "scheduled", "put", "/classes/{class}", lambda w: {"name": "Renamed"},
     (401, 403, 403, 200, 404, 200)),
    ("class-delete", "scheduled", "delete", "/classes/{class}", _none, (401, 403, 403, 204, 404, 204)),
    ("class-enrol", "scheduled", "post", "/classes/{class}/students", lambda w: {"student_id": w.ids["newcomer"]},
     (401, 403, 403, 201, 404, 201)),
    ("class-unenrol", "scheduled", "delete", "/classes/{class}/students/{student}", _none,
     (401, 403, 403, 204, 404, 204)),
    ("sessions-create", "scheduled", "post", "/sessions", _session_body, (401, 403, 403, 201, 400, 201)),
    ("sessions-list", "scheduled", "get", "/sessions", _none, (401, 403, 403, 200, 200, 200)),
    ("my-sessions", "scheduled", "get", "/sessions/my-sessions", _none, (401, 200, 200, 403, 403, 403)),
    ("session-detail", "scheduled", "get", "/sessions/{session}", _none, (401, 200, 404, 200, 404, 200)),
    ("session-patch", "scheduled", "patch", "/sessions/{session}", lambda w: {"title": "x"},
     (401, 403, 404, 200, 404, 200)),
    ("start-waiting", "scheduled", "post", "/sessions/{session}/start-waiting", _none,
     (401, 403, 404, 200, 404, 200)),
    ("start", "waiting_connected", "post", "/sessions/{session}/start", _none, (401, 403, 404, 200, 404, 200)),
    ("complete", "running", "post", "/sessions/{session}/complete", _none, (401, 403, 404, 200, 404, 200)),
    ("cancel", "scheduled", "post", "/sessions/{session}/cancel", _none, (401, 403, 404, 200, 404, 200)),
    ("session-delete", "scheduled", "delete", "/sessions/{session}", _none, (401, 403, 404, 403, 404, 204)),
    # Releasing results waits for a MANUAL session's completion: the session's teachers and admins get 409 before.
    ("release-results", "running", "post", "/sessions/{session}/release-results", _none,
     (401, 403, 404, 409, 404, 409)),
    ("stats", "running", "get", "/sessions/{session}/stats", _none, (401, 403, 404, 200, 404, 200)),
    ("attempt-detail", "running", "get", "/attempts/{attempt}", _none, (401, 200, 404, 200, 404, 200)),
    ("attempt-answer", "running", "post", "/attempts/{attempt}/answers",
     lambda w: {"question_id": w.ids["question"], "answer": "TRUE"}, (401, 200, 404, 403, 404, 403)),
    ("attempt-submit", "running", "post", "/attempts/{attempt}/submit", _none, (401, 200, 404, 403, 404, 403)),
    # The teacher's live controls: a student → 403, a teacher who is not one of the session's → 404.
    ("pause", "running", "post", "/sessions/{session}/pause", lambda w: {"reason": "fire alarm"},
     (401, 403, 404, 200, 404, 200)),
    ("resume", "paused", "post", "/sessions/{session}/resume", _none, (401, 403, 404, 200, 404, 200)),
    ("session-extra-time", "running", "post", "/sessions/{session}/extra-time", lambda w: {"seconds": 60},
     (401, 403, 404, 200, 404, 200)),
    ("messages-list", "running", "get", "/sessions/{session}/messages", _none, (401, 200, 404, 200, 404, 200)),
    ("messages-create", "running", "post", "/sessions/{session}/messages", lambda w: {"text": "Question 12: typo"},
     (401, 403, 404, 201, 404, 201)),
    ("attempt-extra-time", "running", "post", "/attempts/{attempt}/extra-time", lambda w: {"seconds": 60},
     (401, 403, 403, 200, 404, 200)),
    ("attempt-finish", "running", "post", "/attempts/{attempt}/finish", _none, (401, 403, 403, 200, 404, 200)),
    ("attempt-reopen", "submitted", "post", "/attempts/{attempt}/reopen", lambda w: {"seconds": 300},
     (401, 403, 403, 200, 404, 200)),
    ("violation-review", "running", "post", "/attempts/{attempt}/violations/{violation}/review",
     lambda w: {"verdict": "DISMISSED", "note": "my fault"}, (401, 403, 403, 200, 404, 200)),
    ("class-practice", "scheduled", "post", "/classes/{class}/practice", lambda w: {"test_id": w.ids["test"]},
     (401, 403, 403, 201, 404, 201)),
    ("practice-list", "scheduled", "get", "/practice", _none, (401, 200, 200, 200, 200, 200)),
    ("practice-detail", "scheduled", "get", "/practice/{practice}", _none, (401, 200, 404, 200, 404, 200)),
    ("practice-start", "scheduled", "post", "/practice/{practice}/attempts", _none, (401, 201, 404, 403, 403, 403)),
    ("practice-results", "scheduled", "get", "/practice/{practice}/results", _none, (401, 403, 403, 200, 404, 200)),
    ("analysis", "running", "get", "/sessions/{session}/analysis", _none, (401, 403, 404, 200, 404, 200)),
    # A Listening part's recording: uploaded by the paper's author or an admin; heard by the participants of a
    # session running on it (the student here) and by staff; other students do not know it exists.
    ("passage-audio-upload", "scheduled", "put", "/tests/{listening}/passages/{part}/audio", _audio,
     (401, 403, 403, 200, 403, 200)),
    ("passage-audio-file", "running", "get", "/files/passages/{part}/audio", _none, (401, 200, 404, 200, 200, 200)),
    ("question-image-file", "running", "get", "/files/questions/{question}/image", _none,
     (401, 404, 404, 404, 404, 404)),
    # Writing: the matrix's paper is a Reading one, so its question 1 is no essay (400 / 404 for those allowed);
    # tests/test_writing_papers.py and test_writing_attempts.py cover the essays.
    ("question-image", "scheduled", "put", "/tests/{test}/questions/{question}/image", _png,
     (401, 403, 403, 400, 403, 400)),
    ("mark-writing", "submitted", "post", "/attempts/{attempt}/writing/{question}",
     lambda w: {"criteria": {"TA": 6, "CC": 6, "LR": 6, "GRA": 6}}, (401, 403, 403, 404, 404, 404)),
]  # fmt: skip

CASES = [
    pytest.param(row, actor, expected, id=f"{row[0]}-{actor}")
    for row in ROWS
    for actor, expected in zip(ACTORS, row[5], strict=True)
]


@pytest.mark.parametrize("row, actor, expected", CASES)
def test_permission_matrix(row, actor, expected, make_user, connect_student):
    _name, state, method, path, body, _ = row
    world = build_world(state, make_user, connect_student)
    url = API + path.format(**world.ids)
    data = body(world)
    if isinstance(data, RawBody):
        response = api(world.users[actor]).generic(method.upper(), url, data.content, content_type=data.content_type)
    elif data is not None:
        response = getattr(api(world.users[actor]), method)(url, data, format="json")
    else:
        response = getattr(api(world.users[actor]), method)(url)
    assert response.status_code == expected, (response.status_code, response.content[:300])
    if expected >= 400:
        assert {"code", "detail"} <= set(response.json()) <= {"code", "detail", "errors"}


def test_every_contract_route_is_in_the_matrix():
    """A new route must get a row: compare with the schema's operations (the ws-ticket route is the live layer's)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        (method, path.removeprefix("/api/v1"))
        for path, item in schema["paths"].items()
        for method in item
        if not path.endswith("/ws-ticket") and not path.startswith("/api/v1/auth/")
    }
    covered = set()
    for _name, _state, method, path, _body, _expected in ROWS:
        template = (
            path.replace("{test}", "{id}").replace("{class}", "{id}").replace("{session}", "{id}")
            .replace("{attempt}", "{id}").replace("{student}", "{student_id}")
            .replace("{violation}", "{violation_id}").replace("{practice}", "{id}").replace("{listening}", "{id}")
            .replace("{part}", "{passage_id}").replace("{question}", "{question_id}")
        )  # fmt: skip
        covered.add((method, template))
    assert operations - covered == set()
