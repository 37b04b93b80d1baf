"""Who may open the session WebSocket, and how: token, single-use ticket, session cookie; every refusal is a 403."""

import pytest
from django.test import Client
from rest_framework_simplejwt.tokens import RefreshToken

from ielts_site.ops.logging import KeyValueFormatter
from realtime.tests.conftest import access_token
from sessions_app.models import ConnectionStatus, Participant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def waiting_session(session):
    from sessions_app.services import session_open_waiting_room

    return session_open_waiting_room(session=session)


def _ticket(user, session_id) -> str:
    client = Client()
    client.force_login(user)
    response = client.post(f"/api/v1/sessions/{session_id}/ws-ticket")
    assert response.status_code == 201, response.content
    return response.json()["ticket"]


async def test_teacher_connects_on_both_paths_and_gets_connected(ws, session, teacher):
    for path in (f"/api/v1/sessions/{session.pk}/ws", f"/ws/sessions/{session.pk}", f"/ws/sessions/{session.pk}/"):
        socket = await ws(session.pk, user=teacher, path=path)
        assert socket.connected, path
        connected = await socket.recv_type("connected")
        assert connected["session_id"] == session.pk
        assert connected["user_id"] == teacher.pk and connected["role"] == "TEACHER"
        assert connected["server_now"].endswith("Z") and connected["timestamp"]
        await socket.close()


async def test_admin_may_watch_any_session_in_any_state(ws, session, admin_user):
    socket = await ws(session.pk, user=admin_user)
    assert socket.connected
    assert (await socket.recv_type("connected"))["role"] == "ADMIN"


async def test_student_joins_the_waiting_room(ws, waiting_session, students, teacher, db_call):
    watcher = await ws(waiting_session.pk, user=teacher)
    await watcher.recv_type("connected")
    student = await ws(waiting_session.pk, user=students[0])
    assert student.connected
    assert (await student.recv_type("connected"))["role"] == "STUDENT"
    assert await student.nothing(), "no state sync before the test starts"
    joined = await watcher.recv_type("participant_joined")
    assert joined["student_id"] == students[0].pk
    assert joined["student_name"] == "Stu Dent1" and joined["connected_count"] == 1
    stats = await watcher.recv_type("real_time_stats")
    assert stats["connected"] == 1 and stats["participants"] == 3
    participant = await db_call(Participant.objects.get, session=waiting_session, student=students[0])
    assert participant.connection_status == ConnectionStatus.CONNECTED


async def test_single_use_ticket_and_session_cookie(ws, waiting_session, students, db_call):
    ticket = await db_call(_ticket, students[0], waiting_session.pk)
    first = await ws(waiting_session.pk, ticket=ticket)
    assert first.connected
    assert (await first.recv_type("connected"))["user_id"] == students[0].pk
    reused = await ws(waiting_session.pk, ticket=ticket)
    assert not reused.connected

    client = Client()
    await db_call(client.force_login, students[1])
    by_cookie = await ws(waiting_session.pk, cookie=f"sessionid={client.cookies['sessionid'].value}")
    assert by_cookie.connected
    assert (await by_cookie.recv_type("connected"))["user_id"] == students[1].pk


def _other_session(session, teacher):
    from datetime import timedelta

    from django.utils import timezone

    from classes.services import class_create
    from sessions_app.services import session_create

    klass = class_create(name="Other class", created_by=teacher)
    return session_create(
        school_class=klass, test=session.test, title="Other", scheduled_at=timezone.now() + timedelta(days=1),
        created_by=teacher,
    )  # fmt: skip


# case → the reason the consumer logs (None: the Origin check refuses before the consumer runs)
REFUSALS = {
    "no credentials": "no_valid_credentials:session",
    "bad token": "no_valid_credentials:token",
    "empty token": "no_valid_credentials:token",
    "refresh token": "no_valid_credentials:token",
    "expired token": "no_valid_credentials:token",
    "reused ticket": "no_valid_credentials:ticket",
    "unknown ticket": "no_valid_credentials:ticket",
    "ticket for another session": "ticket_for_another_session",
    "foreign origin": None,
    "missing origin": None,
    "unknown session": "not_found",
    "student not a participant": "not_a_participant",
    "student while scheduled": "not_joinable",
    "student after cancellation": "not_joinable",
    "teacher of another class": "forbidden",
    "inactive user": "no_valid_credentials:token",
}


@pytest.mark.parametrize("case", REFUSALS)
async def test_the_handshake_is_refused(case, ws, session, students, teacher, make_user, db_call, caplog):
    from sessions_app.services import session_cancel, session_open_waiting_room

    session_id = session.pk
    if case not in ("student while scheduled",):
        await db_call(session_open_waiting_room, session=session)
    kwargs = {}
    if case == "no credentials":
        pass
    elif case == "bad token":
        kwargs["token"] = access_token(students[0])[:-3] + "abc"
    elif case == "empty token":
        kwargs["token"] = ""
    elif case == "refresh token":
        kwargs["token"] = str(await db_call(RefreshToken.for_user, students[0]))
    elif case == "expired token":
        kwargs["token"] = access_token(students[0], expired=True)
    elif case == "reused ticket":
        ticket = await db_call(_ticket, students[0], session_id)
        first = await ws(session_id, ticket=ticket)
        assert first.connected
        kwargs["ticket"] = ticket
    elif case == "unknown ticket":
        kwargs["ticket"] = "x" * 43
    elif case == "ticket for another session":
        other = await db_call(_other_session, session, teacher)
        kwargs["ticket"] = await db_call(_ticket, teacher, other.pk)
    elif case == "foreign origin":
        kwargs.update(user=teacher, origin=(b"origin", b"http://evil.example"))
    elif case == "missing origin":
        kwargs.update(user=teacher, origin=None)
    elif case == "unknown session":
        session_id, kwargs["user"] = session.pk + 1000, teacher
    elif case == "student not a participant":
        kwargs["user"] = await db_call(make_user, "STUDENT", username="outsider")
    elif case in ("student while scheduled",):
        kwargs["user"] = students[0]
    elif case == "student after cancellation":
        await db_call(session_cancel, session=session)
        kwargs["user"] = students[0]
    elif case == "teacher of another class":
        kwargs["user"] = await db_call(make_user, "TEACHER", username="stranger")
    elif case == "inactive user":
        students[0].is_active = False
        await db_call(students[0].save)
        kwargs["user"] = students[0]
    caplog.set_level("INFO", logger="ielts.ws")
    socket = await ws(session_id, **kwargs)
    assert not socket.connected
    assert await socket.nothing(0.05)
    reasons = [r.reason for r in caplog.records if r.getMessage() == "ws refused"]
    assert reasons == ([REFUSALS[case]] if REFUSALS[case] else [])
    logged = "\n".join(KeyValueFormatter().format(record) for record in caplog.records)
    for secret in (kwargs.get("token"), kwargs.get("ticket")):
        assert not secret or secret not in logged, "a credential reached a log line"
    if case.startswith("student"):
        connected = await db_call(
            Participant.objects.filter(session_id=session.pk, connection_status=ConnectionStatus.CONNECTED).count
        )
        assert connected == 0


def test_ticket_route(client, session, students, teacher, make_user):
    url = f"/api/v1/sessions/{session.pk}/ws-ticket"
    assert client.post(url).status_code == 401
    client.force_login(students[0])
    for path in (url, url + "/"):
        response = client.post(path)
        assert response.status_code == 201 and len(response.json()["ticket"]) >= 40
    assert client.get(url).status_code == 405
    client.force_login(make_user("STUDENT", username="outsider"))
    response = client.post(url)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    token = access_token(teacher)
    response = Client().post(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 201
