"""The student's home socket (/ws/me): only a logged-in student, from an allowed Origin, may open it; it hears of
every transition of the student's own sessions and of no one else's, and closes with 4403 when access ends."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from sessions_app.services import session_cancel, session_open_waiting_room, session_start

pytestmark = pytest.mark.django_db(transaction=True)

HOME = "/ws/me"


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.fixture
async def home(ws, db_call):
    """`await home(user)` → the user's home socket, opened with their session cookie as the page does."""

    async def open_home(user):
        return await ws(None, cookie=await db_call(_cookie, user), path=HOME)

    return open_home


def _other_class_session(teacher, paper, make_user):
    from classes.services import class_create
    from sessions_app.services import class_enrol, session_create

    klass = class_create(name="Another class", created_by=teacher)
    class_enrol(school_class=klass, student=make_user("STUDENT"))
    return session_create(
        school_class=klass, test=paper, title="Not mine", scheduled_at=timezone.now() + timedelta(hours=1),
        created_by=teacher,
    )  # fmt: skip


async def test_a_student_hears_each_transition_of_their_own_session(home, session, students, connect_student, db_call):
    socket = await home(students[0])
    assert socket.connected
    await db_call(session_open_waiting_room, session=session)
    opened = await socket.recv_type("session_status_changed")
    assert (opened["session_id"], opened["status"]) == (session.pk, "WAITING_FOR_STUDENTS")
    await db_call(connect_student, session, students[0])
    await db_call(session_start, session=session)
    started = await socket.recv_type("session_status_changed")
    assert (started["session_id"], started["status"]) == (session.pk, "IN_PROGRESS")
    assert await socket.nothing()


async def test_a_student_hears_nothing_of_another_class_s_session(
    home, session, students, teacher, paper, make_user, db_call
):
    socket = await home(students[0])
    other = await db_call(_other_class_session, teacher, paper, make_user)
    await db_call(session_open_waiting_room, session=other)
    await db_call(session_cancel, session=other)
    assert await socket.nothing()


async def test_a_session_socket_of_the_student_does_not_hear_their_other_sessions(
    ws, home, session, students, teacher, school_class, paper, db_call
):
    from sessions_app.services import session_create

    await db_call(session_open_waiting_room, session=session)
    in_the_room = await ws(session.pk, user=students[0])
    await in_the_room.recv_type("connected")
    later = await db_call(
        session_create, school_class=school_class, test=paper, title="Later", scheduled_at=timezone.now(),
        created_by=teacher,
    )  # fmt: skip
    await db_call(session_open_waiting_room, session=later)
    await db_call(session_cancel, session=later)
    assert await in_the_room.nothing()


async def test_the_home_socket_answers_heartbeats_and_refuses_other_messages(home, students):
    socket = await home(students[0])
    assert await socket.still_open()
    await socket.send("answer_submitted", {"question_id": 1, "answer": "A"}, event_id="e1")
    refused = await socket.recv_type("error")
    assert (refused["code"], refused["event_id"]) == ("unknown_type", "e1")


async def test_only_a_logged_in_student_from_an_allowed_origin_may_open_it(ws, home, teacher, admin_user, students):
    assert not (await home(teacher)).connected
    assert not (await home(admin_user)).connected
    assert not (await ws(None, path=HOME)).connected
    assert not (await ws(None, path=HOME, cookie="sessionid=forged")).connected
    assert (await ws(None, user=students[0], path=HOME)).connected  # an access token works as on the session socket
    foreign = (b"origin", b"http://evil.example")
    assert not (await ws(None, user=students[0], path=HOME, origin=foreign)).connected
    assert not (await ws(None, user=students[0], path=HOME, origin=None)).connected


async def test_a_deactivated_student_s_home_socket_is_closed_with_4403(home, students, db_call):
    gone, staying = await home(students[0]), await home(students[1])

    def deactivate():
        students[0].is_active = False
        students[0].save(update_fields=["is_active"])

    await db_call(deactivate)
    refused = await gone.recv_type("error")
    assert refused["code"] == "forbidden"
    assert await gone.communicator.receive_output(2) == {"type": "websocket.close", "code": 4403}
    assert await staying.still_open()


async def test_a_student_who_leaves_a_class_keeps_their_home_socket(home, school_class, students, db_call):
    from sessions_app.services import class_unenrol

    socket = await home(students[0])
    await db_call(class_unenrol, school_class=school_class, student_id=students[0].pk)
    assert await socket.still_open()


async def test_a_ticket_for_a_session_does_not_open_the_home_socket(ws, session, students, db_call):
    def ticket_for(student):
        client = Client()
        client.force_login(student)
        return client.post(f"/api/v1/sessions/{session.pk}/ws-ticket").json()["ticket"]

    await db_call(session_open_waiting_room, session=session)
    ticket = await db_call(ticket_for, students[0])
    assert not (await ws(None, ticket=ticket, path=HOME)).connected
