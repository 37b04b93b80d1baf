"""Access over the WebSocket, the half the REST permission matrix (tests/test_api_permissions.py) cannot see:
every way into someone else's session refused at the handshake, and no message reaching another student's
attempt, another class or a teacher's action, however its ids are forged. Each test counts what it tried."""

import asyncio
import base64
import json
from datetime import timedelta

import jwt
import pytest
from channels.db import database_sync_to_async
from django.db import connections
from django.test import Client
from django.utils import timezone

from attempts.models import Answer, Attempt, AttemptEvent, Highlight, Violation
from conftest import paper_data
from realtime.tests.conftest import ORIGIN, access_token, db_call, fresh_server_registration, ws  # noqa: F401
from tests.reliability.figures import figure, record

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    """In-process sockets on the in-memory layer: a Redis layer bound to another test's event loop would not do."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(autouse=True)
async def database_thread_closed():
    """After the sockets: close the connection the consumers' database thread holds (the test database is dropped)."""
    yield
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def two_classes(db, make_user):
    """Class 1 (teacher t1, students a and b) and class 2 (teacher t2, student c), each with its own paper and
    a running session in which every student has an attempt and a highlight; an admin; a student of no class."""
    from attempts.services import attempt_highlight
    from classes.services import class_create
    from exams.services import test_create
    from sessions_app.services import (
        class_enrol,
        participant_connect,
        participant_disconnect,
        server_process_register,
        session_create,
        session_open_waiting_room,
        session_start,
    )

    server_id = server_process_register(name="access")
    users = {name: make_user(role, username=name) for name, role in (
        ("t1", "TEACHER"), ("t2", "TEACHER"), ("a", "STUDENT"), ("b", "STUDENT"), ("c", "STUDENT"),
        ("nobody", "STUDENT"), ("admin", "ADMIN"))}  # fmt: skip
    world = {"users": users, "sessions": {}, "papers": {}, "attempts": {}, "highlights": {}}
    for number, (teacher, pupils) in enumerate((("t1", ("a", "b")), ("t2", ("c",))), start=1):
        paper = test_create(**paper_data(passages=1, per_passage=3), created_by=users[teacher])
        klass = class_create(name=f"Class {number}", created_by=users[teacher])
        for pupil in pupils:
            class_enrol(school_class=klass, student=users[pupil])
        session = session_create(school_class=klass, test=paper, title=f"S{number}", scheduled_at=timezone.now(),
                                 created_by=users[teacher])  # fmt: skip
        session_open_waiting_room(session=session)
        for pupil in pupils:
            participant_connect(session=session, student=users[pupil], channel_name=f"x.{pupil}", server_id=server_id)
        session_start(session=session)
        for pupil in pupils:
            participant_disconnect(channel_name=f"x.{pupil}")
            attempt = session.attempts.get(student=users[pupil])
            world["attempts"][pupil] = attempt.pk
            passage = paper.passages.get()
            outcome = attempt_highlight(attempt=attempt, passage_id=passage.pk, text="red", position_start=0,
                                        position_end=3, event_id=f"seed-{pupil}")  # fmt: skip
            world["highlights"][pupil] = outcome.ack["highlight_id"]
        world["sessions"][number] = session.pk
        world["papers"][number] = {"questions": list(paper.questions.values_list("pk", flat=True)),
                                   "passage": paper.passages.get().pk}  # fmt: skip
    return world


def snapshot(attempt_ids) -> tuple:
    """Everything a student event could change on these attempts."""
    attempts = Attempt.objects.filter(pk__in=attempt_ids)
    return (
        list(
            attempts.order_by("pk").values_list(
                "pk", "status", "score", "current_passage_index", "current_question_index"
            )
        ),  # fmt: skip
        list(Answer.objects.filter(attempt__in=attempts).order_by("pk").values_list("pk", "answer")),
        list(Highlight.objects.filter(attempt__in=attempts).order_by("pk").values_list("pk")),
        list(Violation.objects.filter(attempt__in=attempts).values_list("pk")),
        list(Attempt.flagged_questions.through.objects.filter(attempt__in=attempts).values_list("pk")),
        list(AttemptEvent.objects.filter(attempt__in=attempts).values_list("pk")),
    )


# ---------------------------------------------------------------- forged credentials


def _segments(token: str):
    return token.split(".")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _payload(token: str) -> dict:
    body = _segments(token)[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def forged_tokens(users) -> dict:
    """Access tokens a curious student could make: every one must be refused."""
    from accounts.serializers import RoleRefreshToken

    real = access_token(users["a"])
    head, body, signature = _segments(real)
    as_b = {**_payload(real), "user_id": users["b"].pk}
    as_admin = {**_payload(real), "role": "ADMIN", "user_id": users["admin"].pk}
    expired = RoleRefreshToken.for_user(users["a"]).access_token
    expired.set_exp(from_time=timezone.now() - timedelta(minutes=31))
    flipped = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")
    return {
        "empty token": "",
        "not a JWT": "hello",
        "tampered signature": f"{head}.{body}.{flipped}",
        "signature of another token": f"{head}.{body}.{_segments(access_token(users['b']))[2]}",
        "payload changed to another student": f"{head}.{_b64(as_b)}.{signature}",
        "payload changed to an admin": f"{head}.{_b64(as_admin)}.{signature}",
        'alg "none"': f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(as_admin)}.",
        "signed with another key": jwt.encode(as_admin, "not-the-secret-key-" * 3, algorithm="HS256"),
        "expired access token": str(expired),
        "refresh token used as access": str(RoleRefreshToken.for_user(users["a"])),
        "no signature": f"{head}.{body}.",
    }


def _ticket(user, session_id) -> str:
    client = Client()
    client.force_login(user)
    response = client.post(f"/api/v1/sessions/{session_id}/ws-ticket")
    assert response.status_code == 201, response.content
    return response.json()["ticket"]


async def test_every_forged_or_foreign_handshake_is_refused(two_classes, ws, db_call, settings):  # noqa: F811
    users, s1, s2 = two_classes["users"], two_classes["sessions"][1], two_classes["sessions"][2]
    cases = {}  # case → (session_id, kwargs)
    for name, token in (await db_call(forged_tokens, users)).items():
        cases[name] = (s1, {"token": token})
    gone = await db_call(_make_and_delete, users)
    cases["token of a deleted user"] = (s1, {"token": gone})
    cases["token of a deactivated user"] = (s1, {"token": await db_call(_deactivated_token, users)})
    cases["no credential"] = (s1, {})
    cases["forged session cookie"] = (s1, {"cookie": "sessionid=" + "x" * 32})
    # Tickets: reused, unknown, stale (past their lifetime), for another session, or behind a bad token.
    used = await db_call(_ticket, users["a"], s1)
    first = await ws(s1, ticket=used)
    assert first.connected
    await first.close()
    cases["reused ticket"] = (s1, {"ticket": used})
    cases["unknown ticket"] = (s1, {"ticket": "x" * 43})
    cases["ticket for another session"] = (s1, {"ticket": await db_call(_ticket, users["c"], s2)})
    cases["bad token beside a valid ticket"] = (s1, {"token": "bad", "ticket": await db_call(_ticket, users["a"], s1)})
    settings.WS_TICKET_SECONDS = 1
    stale = await db_call(_ticket, users["a"], s1)
    # Origins: missing, foreign, opaque, look-alike hosts.
    for origin in (None, b"http://evil.example", b"null", b"http://localhost.evil.example", b"https://127.0.0.1.nip.io",
                   b"http://evil.example#localhost", b"file://"):  # fmt: skip
        cases[f"Origin {origin.decode() if origin else 'missing'}"] = (s1, {"user": users["t1"], "origin": (
            (b"origin", origin) if origin else None)})  # fmt: skip
    # Real users, wrong session.
    cases["student of another class"] = (s1, {"user": users["c"]})
    cases["student of no class"] = (s1, {"user": users["nobody"]})
    cases["teacher of another class"] = (s1, {"user": users["t2"]})
    cases["student, session of the other class"] = (s2, {"user": users["a"]})
    cases["teacher, session of the other class"] = (s2, {"user": users["t1"]})
    cases["unknown session"] = (s2 + 1000, {"user": users["admin"]})
    await asyncio.sleep(1.2)
    cases["stale ticket (past its lifetime)"] = (s1, {"ticket": stale})

    allowed, tried = [], 0
    for name, (session_id, kwargs) in cases.items():
        for path in (f"/api/v1/sessions/{session_id}/ws", f"/ws/sessions/{session_id}"):
            if "ticket" in kwargs and path.startswith("/ws/"):
                continue  # a ticket is spent by its first try
            tried += 1
            socket = await ws(session_id, path=path, **kwargs)
            if socket.connected:
                allowed.append((name, path))
            assert await socket.nothing(0.02), f"{name}: something was sent before the refusal"
    # The same users on their own sessions do get in: the refusals are about access, not a broken handshake.
    for user, session_id in (("a", s1), ("t1", s1), ("c", s2), ("t2", s2), ("admin", s1), ("admin", s2)):
        assert (await ws(session_id, user=users[user])).connected, (user, session_id)
    record(
        "access_ws_handshake",
        title="WebSocket handshakes with forged, stale or foreign credentials and origins",
        unit="handshakes", tried=tried, survived=tried - len(allowed), lost=len(allowed),
        figures=[
            figure("kinds of refusal tried", len(cases)),
            figure("handshakes refused", f"{tried - len(allowed)} of {tried}", "100 %", not allowed),
        ],
        notes="`lost` counts handshakes let in that should have been refused.",
    )  # fmt: skip
    assert not allowed, allowed


def _make_and_delete(users) -> str:
    from accounts.models import User

    user = User.objects.create_user(username="gone", password="x-long-pass-41", role="STUDENT")
    token = access_token(user)
    user.delete()
    return token


def _deactivated_token(users) -> str:
    from accounts.models import User
    from classes.models import Class
    from sessions_app.services import class_enrol

    user = User.objects.create_user(username="left", password="x-long-pass-41", role="STUDENT")
    class_enrol(school_class=Class.objects.get(name="Class 1"), student=user)
    token = access_token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    return token


# ---------------------------------------------------------------- forged ids in messages


def forged_messages(world) -> list[tuple[str, dict]]:
    """Messages student a sends to reach b's or c's attempt, or another class's paper."""
    other = world["papers"][2]
    mine = world["papers"][1]
    b_attempt, c_attempt = world["attempts"]["b"], world["attempts"]["c"]
    forged_fields = {"attempt_id": b_attempt, "student_id": world["users"]["b"].pk, "session_id": world["sessions"][2]}
    return [
        ("answer to another class's question", {"type": "answer_submitted",
                                                "data": {"question_id": other["questions"][0], "answer": "x"}}),
        ("flag on another class's question", {"type": "question_flagged",
                                              "data": {"question_id": other["questions"][0], "flagged": True}}),
        ("highlight in another class's passage", {"type": "text_highlighted", "data": {
            "passage_id": other["passage"], "text": "red", "position_start": 0, "position_end": 3}}),
        ("remove b's highlight", {"type": "highlight_removed", "data": {"highlight_id": world["highlights"]["b"]}}),
        ("remove c's highlight", {"type": "highlight_removed", "data": {"highlight_id": world["highlights"]["c"]}}),
        ("remove b's highlight, id as text", {"type": "highlight_removed",
                                              "data": {"highlight_id": str(world["highlights"]["b"])}}),
        ("answer naming b's attempt", {"type": "answer_submitted", "attempt_id": b_attempt, "data": {
            "question_id": mine["questions"][0], "answer": "mine", **forged_fields}}),
        ("violation naming c's attempt", {"type": "tab_violation", "attempt_id": c_attempt,
                                          "data": {"violation_type": "COPY", **forged_fields}}),
        ("progress naming b's attempt", {"type": "progress_update", "data": {
            "passage_index": 0, "question_index": 1, **forged_fields}}),
        ("flag naming b's attempt", {"type": "question_flagged", "data": {
            "question_id": mine["questions"][1], "flagged": True, **forged_fields}}),
        ("state sync naming b's attempt", {"type": "state_sync_request", "data": forged_fields}),
        ("submit naming b's attempt", {"type": "submit_attempt", "data": forged_fields}),
    ]  # fmt: skip


STUDENT_EVENTS = [
    ("answer_submitted", lambda w: {"question_id": w["papers"][1]["questions"][0], "answer": "teacher"}),
    ("tab_violation", lambda w: {"violation_type": "COPY"}),
    (
        "text_highlighted",
        lambda w: {"passage_id": w["papers"][1]["passage"], "text": "red", "position_start": 0, "position_end": 3},
    ),  # fmt: skip
    ("highlight_removed", lambda w: {"highlight_id": w["highlights"]["a"]}),
    ("question_flagged", lambda w: {"question_id": w["papers"][1]["questions"][0], "flagged": True}),
    ("progress_update", lambda w: {"passage_index": 0, "question_index": 2}),
    ("submit_attempt", lambda w: {}),
    ("state_sync_request", lambda w: {}),
]


async def test_no_message_reaches_another_attempt_or_acts_for_a_student(two_classes, ws, db_call):  # noqa: F811
    world, users = two_classes, two_classes["users"]
    s1 = world["sessions"][1]
    others = [world["attempts"]["b"], world["attempts"]["c"]]
    before_others = await db_call(snapshot, others)
    tried, reached = 0, []

    # Student a forges ids; whatever a's own attempt does, b's and c's do not move.
    a = await ws(s1, user=users["a"])
    await a.until("state_sync_response")
    for name, message in forged_messages(world):
        tried += 1
        await a.send(**message)
        reply = await a.recv()
        if reply["type"] == "state_sync_response":
            assert reply["attempt"]["id"] == world["attempts"]["a"], f"{name}: another student's attempt"
        if await db_call(snapshot, others) != before_others:
            reached.append(name)
    # Teachers and admins watch; they never act as a student, whatever they send.
    every_attempt = [world["attempts"][k] for k in ("a", "b", "c")]
    before_all = await db_call(snapshot, every_attempt)
    for who in ("t1", "admin"):
        watcher = await ws(s1, user=users[who])
        await watcher.recv_type("connected")
        for event_type, data in STUDENT_EVENTS:
            tried += 1
            await watcher.send(event_type, data(world), event_id=f"{who}-{event_type}")
            reply = await watcher.until("error")
            if reply[0]["code"] != "forbidden":
                reached.append(f"{who} {event_type}: {reply[0]['code']}")
    if await db_call(snapshot, every_attempt) != before_all:
        reached.append("a teacher's or admin's message changed an attempt")
    record(
        "access_ws_messages",
        title="WebSocket messages with forged ids (another student's attempt or highlight, another class's paper) "
        "and student events sent by teachers and admins",
        unit="messages", tried=tried, survived=tried - len(reached), lost=len(reached),
        figures=[figure("messages that reached another attempt or acted for a student", len(reached), "0",
                        not reached)],  # fmt: skip
        notes="`lost` counts messages that got through.",
    )  # fmt: skip
    assert not reached, reached
    kept = [world["highlights"]["b"], world["highlights"]["c"]]
    assert await Highlight.objects.filter(pk__in=kept).acount() == 2, "another student's highlight was removed"


async def test_a_student_never_hears_another_students_events(two_classes, ws, db_call):  # noqa: F811
    world, users = two_classes, two_classes["users"]
    s1, s2 = world["sessions"][1], world["sessions"][2]
    a, b = await ws(s1, user=users["a"]), await ws(s1, user=users["b"])
    c, t1, t2 = await ws(s2, user=users["c"]), await ws(s1, user=users["t1"]), await ws(s2, user=users["t2"])
    for socket in (a, b, c, t1, t2):
        await socket.drain(0.2)
    await b.send("answer_submitted", {"question_id": world["papers"][1]["questions"][0], "answer": "b's"}, "b-1")
    await b.send("tab_violation", {"violation_type": "COPY"}, "b-2")
    await b.send("text_highlighted", {"passage_id": world["papers"][1]["passage"], "text": "red",
                                      "position_start": 0, "position_end": 3}, "b-3")  # fmt: skip
    assert [m["type"] for m in await b.drain(0.3)] == ["ack", "ack", "ack"]
    heard_by_teacher = {m["type"] for m in await t1.drain(0.3)}
    assert {"answer_submitted", "tab_violation", "text_highlighted"} <= heard_by_teacher
    leaks = {"student a (same session)": await a.drain(0.2), "student c (other class)": await c.drain(0.1),
             "teacher of the other class": await t2.drain(0.1)}  # fmt: skip
    record(
        "access_ws_isolation",
        title="Who hears a student's events: the same session's other student, another class, its teacher",
        unit="listeners", tried=3, survived=sum(1 for heard in leaks.values() if not heard),
        lost=sum(1 for heard in leaks.values() if heard),
        figures=[figure("listeners who heard another student's events", sum(1 for h in leaks.values() if h), "0",
                        not any(leaks.values()))],  # fmt: skip
    )  # fmt: skip
    assert not any(leaks.values()), leaks
