"""Sockets follow permissions: a user who loses access to a session is told so and disconnected (4403), and
nothing more is taken from that connection; everyone else stays connected."""

import asyncio

import pytest

from classes.services import class_update
from sessions_app.services import class_unenrol, session_delete, session_open_waiting_room

pytestmark = pytest.mark.django_db(transaction=True)


async def _revoked(socket, timeout=2.0):
    """The connection gets `error` `forbidden`, then is closed with 4403 (within `timeout`)."""
    while True:
        message = await socket.recv(timeout)
        if message["type"] == "error":
            break
    assert message["code"] == "forbidden", message
    closed = await socket.communicator.receive_output(timeout)
    assert closed == {"type": "websocket.close", "code": 4403}


async def _open(ws, session, user):
    socket = await ws(session.pk, user=user)
    assert socket.connected
    await socket.recv_type("connected")
    return socket


@pytest.fixture
async def waiting(session, db_call):
    await db_call(session_open_waiting_room, session=session)
    return session


async def test_a_deactivated_student_is_disconnected_and_their_classmates_are_not(ws, waiting, students, db_call):
    gone, staying = await _open(ws, waiting, students[0]), await _open(ws, waiting, students[1])

    def deactivate():
        students[0].is_active = False
        students[0].save(update_fields=["is_active"])

    await db_call(deactivate)
    await _revoked(gone)
    await staying.drain()
    assert await staying.still_open()


async def test_a_student_who_leaves_the_class_is_disconnected(ws, waiting, school_class, students, teacher, db_call):
    watcher = await _open(ws, waiting, teacher)
    gone = await _open(ws, waiting, students[0])
    await db_call(class_unenrol, school_class=school_class, student_id=students[0].pk)
    await _revoked(gone)
    await watcher.drain()
    assert await watcher.still_open()


async def test_a_teacher_removed_from_the_class_is_disconnected_the_one_kept_is_not(
    ws, waiting, school_class, teacher, make_user, db_call
):
    colleague = await db_call(make_user, "TEACHER", username="colleague")
    await db_call(class_update, school_class=school_class, teacher_ids=[teacher.pk, colleague.pk])
    kept, removed = await _open(ws, waiting, teacher), await _open(ws, waiting, colleague)
    await db_call(class_update, school_class=school_class, teacher_ids=[teacher.pk])
    await _revoked(removed)
    await kept.drain()
    assert await kept.still_open()


async def test_everyone_on_a_deleted_session_is_disconnected(ws, waiting, teacher, students, db_call):
    sockets = [await _open(ws, waiting, user) for user in (teacher, students[0], students[1])]
    await db_call(session_delete, session=waiting)
    await asyncio.gather(*(_revoked(socket) for socket in sockets))


async def test_a_revoked_student_sends_nothing_more(start_watched, students, db_call, session):
    watcher, [student, _] = await start_watched()

    def deactivate():
        students[0].is_active = False
        students[0].save(update_fields=["is_active"])

    await db_call(deactivate)
    await _revoked(student)
    from attempts.models import Answer

    assert not await db_call(Answer.objects.filter(attempt__session=session).exists)


async def test_a_student_has_at_most_five_sockets_to_a_session(ws, waiting, students, db_call):
    sockets = [await _open(ws, waiting, students[0]) for _ in range(5)]
    sixth = await ws(waiting.pk, user=students[0])
    assert not sixth.connected
    classmate = await _open(ws, waiting, students[1])  # the limit is per student
    await sockets[0].close()
    await asyncio.sleep(0.2)  # the closed one's presence is cleared in the background
    assert (await ws(waiting.pk, user=students[0])).connected
    assert await classmate.still_open()
