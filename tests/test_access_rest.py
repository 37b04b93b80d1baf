"""Forged ids over REST, on top of the permission matrix (tests/test_api_permissions.py): for every row of the
matrix, the actors who may use the route on their own objects (the student, the class's teacher) try it on
another class's objects and on made-up ids (unknown, huge, negative, not a number). Nothing is let through and
nothing answers 5xx. Then forged ids in bodies, and forged tokens."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.utils import timezone

from accounts.serializers import RoleRefreshToken
from attempts.models import Answer, Attempt
from conftest import paper_data
from sessions_app.models import Session
from tests.listening_support import listening_paper
from tests.reliability.figures import tally
from tests.test_api_permissions import ROWS, RawBody, build_world
from tests.test_api_support import API
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db

FORGED = {"unknown": 987654, "huge": 2**63, "huger": 2**64, "negative": -1, "zero": 0, "text": "abc",
          "decimal": "1.5", "exponent": "1e3", "hex": "0x1", "sql": "1 OR 1=1", "spaces": "%20"}  # fmt: skip


def add_twin_class(world, make_user, connect_student):
    """The other teacher's class: its own paper, student and running session with an attempt."""
    from attempts.practice import practice_publish
    from attempts.services import attempt_record_violation
    from classes.models import Class
    from exams.services import test_create
    from sessions_app.services import class_enrol, session_create, session_open_waiting_room, session_start

    other_teacher = world.users["other_teacher"]
    paper = test_create(**paper_data(), created_by=other_teacher)
    klass = Class.objects.get(name="Elsewhere")
    twin = make_user("STUDENT", username="twin")
    class_enrol(school_class=klass, student=twin)
    session = session_create(school_class=klass, test=paper, title="Twin", scheduled_at=timezone.now(),
                             created_by=other_teacher)  # fmt: skip
    session_open_waiting_room(session=session)
    connect_student(session, twin)
    session_start(session=session)
    attempt = session.attempts.get()
    attempt_record_violation(attempt=attempt)
    listening = listening_paper(other_teacher, part_seconds=(1.0,))
    return {"class": klass.pk, "session": session.pk, "test": paper.pk, "student": twin.pk, "newcomer": twin.pk,
            "attempt": attempt.pk, "question": paper.questions.get(number=1).pk,
            "violation": attempt.violations.get().pk,
            "practice": practice_publish(school_class=klass, test=paper, by=other_teacher).pk,
            "listening": listening.pk, "part": listening.passages.get().pk}  # fmt: skip


def _call(user, method, url, data):
    """The request as a client would send it: JSON with \\u escapes (so a lone surrogate travels as on the wire)."""
    client = api(user)
    if data is None:
        return getattr(client, method)(url)
    if isinstance(data, RawBody):  # a file sent as the body
        return client.generic(method.upper(), url, data.content, content_type=data.content_type)
    return client.generic(method.upper(), url, json.dumps(data), content_type="application/json")


# Rows where a teacher may use another teacher's object: the test bank is shared by all teachers (a Listening
# part's recording with it).
SHARED_WITH_TEACHERS = {"test-detail", "test-detail-running", "passage-audio-file"}


@pytest.mark.parametrize("row", [pytest.param(row, id=row[0]) for row in ROWS if "{" in row[3]])
def test_forged_path_ids_are_refused(row, make_user, connect_student):
    name, state, method, path, body, expected = row
    world = build_world(state, make_user, connect_student)
    twin = add_twin_class(world, make_user, connect_student)
    tried, let_through, failures = 0, 0, []
    for actor in ("student", "teacher"):
        if expected[["anonymous", "student", "other_student", "teacher", "other_teacher", "admin"].index(actor)] >= 400:
            continue  # the matrix already shows this actor refused on its own objects
        variants = {f"forged {label}": {key: value for key in world.ids} for label, value in FORGED.items()}
        if not (actor == "teacher" and name in SHARED_WITH_TEACHERS):
            variants["another class's"] = twin
        for label, ids in variants.items():
            if name == "class-unenrol":  # the class is the actor's own; the student is someone else's
                ids = {**world.ids, "student": ids["student"]}
            url = API + path.format(**ids)
            data = body(world)
            response = _call(world.users[actor], method, url, data)
            tried += 1
            if response.status_code < 400 or response.status_code >= 500:
                let_through += 1
                failures.append((actor, label, url, response.status_code, response.content[:200]))
            elif response.status_code not in (400, 403, 404, 409):
                failures.append((actor, label, url, response.status_code, response.content[:200]))
    tally("access_rest_forged_paths", title="REST routes of the permission matrix with forged path ids "
          "(another class's objects; unknown, huge, negative, non-numeric ids), as the student and the teacher",
          unit="requests", tried=tried, let_through=let_through)  # fmt: skip
    assert not failures, failures


def test_forged_ids_in_bodies_are_refused(make_user, connect_student):
    world = build_world("running", make_user, connect_student)
    twin = add_twin_class(world, make_user, connect_student)
    student, teacher = world.users["student"], world.users["teacher"]
    attempt = f"{API}/attempts/{world.ids['attempt']}"
    twin_attempt = Attempt.objects.get(pk=twin["attempt"])
    twin_before = list(Answer.objects.filter(attempt=twin_attempt).values_list("pk", "answer"))
    refused = [
        (student, "post", f"{attempt}/answers", {"question_id": twin["question"], "answer": "x"}),
        (student, "post", f"{attempt}/answers", {"question_id": 2**63, "answer": "x"}),
        (student, "post", f"{attempt}/answers", {"question_id": "1 OR 1=1", "answer": "x"}),
        (student, "post", f"{attempt}/answers", {"question_id": [world.ids["question"]], "answer": "x"}),
        (student, "post", f"{attempt}/answers", {"question_id": world.ids["question"], "answer": "a\x00b"}),
        (student, "post", f"{attempt}/answers", {"question_id": world.ids["question"], "answer": "\ud800"}),
        (teacher, "post", f"{API}/sessions", {"class_id": twin["class"], "test_id": world.ids["test"], "title": "t",
                                              "scheduled_at": "2026-11-30T20:00:00Z"}),
        (teacher, "post", f"{API}/sessions", {"class_id": 2**63, "test_id": world.ids["test"], "title": "t",
                                              "scheduled_at": "2026-11-30T20:00:00Z"}),
        (teacher, "post", f"{API}/classes/{world.ids['class']}/students", {"student_id": world.users["admin"].pk}),
        (teacher, "post", f"{API}/classes/{world.ids['class']}/students",
         {"student_id": world.users["other_teacher"].pk}),
        (teacher, "post", f"{API}/classes/{world.ids['class']}/students", {"student_id": 2**64}),
        (teacher, "post", f"{API}/users", {"username": "boss", "password": "a-long-pass-41", "role": "ADMIN"}),
        (teacher, "post", f"{API}/users", {"username": "peer", "password": "a-long-pass-41", "role": "TEACHER"}),
        (teacher, "post", f"{API}/classes", {"name": "Mine", "teacher_ids": [2**63]}),
    ]  # fmt: skip
    failures = []
    for user, method, url, data in refused:
        response = _call(user, method, url, data)
        if not 400 <= response.status_code < 500:
            failures.append((user.username, url, data, response.status_code, response.content[:200]))
    # Fields naming another attempt, student or class are not the route's: they change nothing of anyone else's.
    ignored = [
        (student, "post", f"{attempt}/answers", {"question_id": world.ids["question"], "answer": "mine",
                                                 "attempt_id": twin["attempt"], "student_id": twin["student"]}),
    ]  # fmt: skip
    for user, method, url, data in ignored:
        response = _call(user, method, url, data)
        assert response.status_code == 200, response.content
    session = Session.objects.get(pk=world.ids["session"])
    response = _call(teacher, "patch", f"{API}/sessions/{session.pk}", {"class_id": twin["class"]})
    session.refresh_from_db()
    moved = session.school_class_id == twin["class"]
    reached_twin = list(Answer.objects.filter(attempt=twin_attempt).values_list("pk", "answer")) != twin_before
    tried = len(refused) + len(ignored) + 1
    let_through = len([f for f in failures if f[3] < 400]) + int(reached_twin) + int(moved)
    tally("access_rest_forged_bodies", title="REST bodies naming another class's question, class or attempt, "
          "a teacher or admin as a student, a higher role, ids out of range, text the database cannot store",
          unit="requests", tried=tried, let_through=let_through)  # fmt: skip
    assert not failures, failures
    assert not reached_twin and not moved


def _forged_tokens(world) -> dict:
    student = world.users["student"]
    real = str(RoleRefreshToken.for_user(student).access_token)
    head, body, signature = real.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    as_admin = {**payload, "user_id": world.users["admin"].pk, "role": "ADMIN"}

    def b64(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    expired = RoleRefreshToken.for_user(student).access_token
    expired.set_exp(from_time=timezone.now() - timedelta(minutes=31))
    return {
        "payload changed to an admin": f"{head}.{b64(as_admin)}.{signature}",
        'alg "none"': f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(as_admin)}.",
        "signed with another key": jwt.encode(as_admin, "not-the-secret-key-" * 3, algorithm="HS256"),
        "tampered signature": f"{head}.{body}.{signature[::-1]}",
        "expired": str(expired),
        "refresh token as access": str(RoleRefreshToken.for_user(student)),
    }


def test_forged_tokens_are_refused_on_every_route(make_user, connect_student):
    world = build_world("running", make_user, connect_student)
    tried, failures = 0, []
    for label, token in _forged_tokens(world).items():
        for _name, _state, method, path, body, _expected in ROWS:
            client = api()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            data = body(world)
            url = API + path.format(**world.ids)
            if isinstance(data, RawBody):
                response = client.generic(method.upper(), url, data.content, content_type=data.content_type)
            else:
                response = getattr(client, method)(url, data, format="json") if data is not None else getattr(
                    client, method)(url)  # fmt: skip
            tried += 1
            if response.status_code != 401:
                failures.append((label, method, url, response.status_code))
    tally("access_rest_forged_tokens", title="Every REST route with a forged, expired or refresh token as Bearer",
          unit="requests", tried=tried, let_through=len(failures))  # fmt: skip
    assert not failures, failures
