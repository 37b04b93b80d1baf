"""Schemathesis against the API's own OpenAPI schema, in-process through Django's WSGI handler: no 5xx, and
2xx bodies match the schema. Authenticated as the class's teacher or as an admin; path and body ids are
often swapped for ids of real objects so that generated requests reach past the 404s."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.serializers import RoleRefreshToken
from conftest import paper_data

APP = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", APP)
STUDENT_OPERATIONS = {"/api/v1/attempts/{id}/answers", "/api/v1/attempts/{id}/submit", "/api/v1/sessions/my-sessions"}


@pytest.fixture
def world(db, make_user, connect_student):
    """A class with students, a running session with an attempt, a scheduled one, and tokens for staff."""
    from classes.services import class_create
    from exams.services import test_create
    from sessions_app.services import class_enrol, session_create, session_open_waiting_room, session_start

    teacher = make_user("TEACHER", username="fuzz_teacher")
    admin = make_user("ADMIN", username="fuzz_admin")
    students = [make_user("STUDENT", username=f"fuzz_student{i}") for i in range(3)]
    paper = test_create(**paper_data(), created_by=teacher)
    klass = class_create(name="Fuzz", created_by=teacher)
    for student in students:
        class_enrol(school_class=klass, student=student)
    running = session_create(school_class=klass, test=paper, title="R", scheduled_at=timezone.now(), created_by=teacher)
    session_open_waiting_room(session=running)
    connect_student(running, students[0])
    session_start(session=running)
    scheduled = session_create(
        school_class=klass, test=paper, title="S", scheduled_at=timezone.now(), created_by=teacher
    )
    return {
        "tokens": [str(RoleRefreshToken.for_user(user).access_token) for user in (teacher, admin)],
        "student_token": str(RoleRefreshToken.for_user(students[0]).access_token),
        "ids": {
            "class_id": [klass.pk],
            "test_id": [paper.pk],
            "student_id": [s.pk for s in students],
            "question_id": list(paper.questions.values_list("pk", flat=True)),
            "session_id": [running.pk, scheduled.pk],
        },
        "ids_by_resource": {
            "classes": [klass.pk],
            "tests": [paper.pk],
            "sessions": [running.pk, scheduled.pk],
            "attempts": [running.attempts.get().pk],
        },  # fmt: skip
    }


@pytest.fixture
def django_wsgi():
    """Requests share the test's transaction, as with Django's test client (which does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield APP
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _with_real_ids(values: dict, ids: dict) -> None:
    """Swap about half of the generated ids for real ones (chosen by the generated value, so it replays)."""
    for key, value in list(values.items()):
        if key in ids and isinstance(value, int) and not isinstance(value, bool) and value % 2 == 0:
            choices = ids[key]
            values[key] = choices[value // 2 % len(choices)]


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
def test_no_operation_answers_with_a_server_error(case, world, django_wsgi):
    if case.path_parameters:
        resource = case.operation.path.removeprefix("/api/v1/").split("/")[0]
        _with_real_ids(case.path_parameters, {**world["ids"], "id": world["ids_by_resource"].get(resource, [0])})
    if isinstance(case.body, dict):
        _with_real_ids(case.body, world["ids"])
    if case.operation.path in STUDENT_OPERATIONS:
        token = world["student_token"]  # the student taking the running session
    else:
        token = world["tokens"][len(str(case.path_parameters or "")) % 2]  # teacher or admin
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
