"""Presence and resumption: reconnects, late joiners, two tabs, the end of a session, dead server processes."""

import asyncio
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from attempts.models import Attempt, AttemptStatus
from realtime import consumers, process
from sessions_app.models import ConnectionStatus, LiveConnection, Participant, ServerProcess, Session, SessionStatus
from sessions_app.services import session_cancel, session_complete, session_open_waiting_room, session_start

pytestmark = pytest.mark.django_db(transaction=True)


async def _watch(ws, session, teacher):
    watcher = await ws(session.pk, user=teacher)
    await watcher.recv_type("connected")
    return watcher


async def _join(ws, session, student):
    socket = await ws(session.pk, user=student)
    assert socket.connected
    await socket.recv_type("connected")
    return socket


def _status(session, student):
    return Participant.objects.get(session=session, student=student).connection_status


async def test_a_dropped_student_resumes_with_its_answers(ws, session, teacher, students, db_call):
    await db_call(session_open_waiting_room, session=session)
    watcher = await _watch(ws, session, teacher)
    socket = await _join(ws, session, students[0])
    await db_call(session_start, session=session)
    first_sync, _ = await socket.until("state_sync_response")
    question = await db_call(session.test.questions.first)
    await socket.send("answer_submitted", {"question_id": question.pk, "answer": "TRUE"}, "r-1")
    await socket.until("ack")
    await watcher.drain()

    await socket.close()
    gone = await watcher.recv_type("participant_disconnected")
    assert gone["student_id"] == students[0].pk and gone["connected_count"] == 0
    assert (await watcher.recv_type("real_time_stats"))["connected"] == 0
    assert await db_call(_status, session, students[0]) == ConnectionStatus.DISCONNECTED

    again = await _join(ws, session, students[0])
    sync = await again.recv_type("state_sync_response")
    assert sync["attempt"]["id"] == first_sync["attempt"]["id"]
    assert [(a["question_id"], a["answer"]) for a in sync["attempt"]["answers"]] == [(question.pk, "TRUE")]
    assert sync["ends_at"] == first_sync["ends_at"] and sync["remaining_seconds"] <= first_sync["remaining_seconds"]
    assert (await watcher.recv_type("participant_joined"))["connected_count"] == 1
    # The outbox replayed after the reconnect: acknowledged again, applied and broadcast once.
    await again.send("answer_submitted", {"question_id": question.pk, "answer": "TRUE"}, "r-1")
    assert (await again.recv_type("ack"))["event_id"] == "r-1"
    assert [m["type"] for m in await watcher.drain()] == ["real_time_stats"]


async def test_a_late_joiner_gets_an_attempt_and_the_same_end(ws, session, teacher, students, db_call):
    await db_call(session_open_waiting_room, session=session)
    watcher = await _watch(ws, session, teacher)
    early = await _join(ws, session, students[0])
    await db_call(session_start, session=session)
    started, _ = await early.until("session_started")
    await early.until("session_status_changed")
    await watcher.drain()

    late = await ws(session.pk, user=students[2])
    assert late.connected
    await late.recv_type("connected")
    sync = await late.recv_type("state_sync_response")
    assert sync["ends_at"] == started["ends_at"] and sync["status"] == "IN_PROGRESS"
    assert sync["attempt"]["student_id"] == students[2].pk and sync["attempt"]["status"] == "IN_PROGRESS"
    assert (await watcher.recv_type("participant_joined"))["student_id"] == students[2].pk
    assert await db_call(Attempt.objects.filter(session=session).count) == 2
    assert await early.nothing(0.1), "students hear nothing of each other's arrival"


async def test_two_tabs_count_as_one_student(ws, session, teacher, students, db_call):
    await db_call(session_open_waiting_room, session=session)
    watcher = await _watch(ws, session, teacher)
    tab1 = await _join(ws, session, students[0])
    assert [m["type"] for m in await watcher.drain()] == ["participant_joined", "real_time_stats"]
    tab2 = await _join(ws, session, students[0])
    connections = await watcher.recv_type("participant_connections")
    assert (connections["student_id"], connections["student_name"], connections["connections"]) == (
        students[0].pk, "Stu Dent1", 2,
    ), "a second tab is a second connection, not a second participant"  # fmt: skip
    assert await watcher.nothing(), "a second tab sends teachers no participant_joined nor real_time_stats"
    await tab1.close()
    assert (await watcher.recv_type("participant_connections"))["connections"] == 1
    assert await watcher.nothing(), "closing one of two tabs sends teachers no participant_disconnected"
    assert await db_call(_status, session, students[0]) == ConnectionStatus.CONNECTED
    await tab2.close()
    assert (await watcher.recv_type("participant_disconnected"))["student_id"] == students[0].pk
    assert await db_call(_status, session, students[0]) == ConnectionStatus.DISCONNECTED
    assert await db_call(LiveConnection.objects.count) == 0


async def test_both_tabs_get_the_start_and_their_attempt(ws, session, students, db_call):
    await db_call(session_open_waiting_room, session=session)
    tab1 = await _join(ws, session, students[0])
    tab2 = await _join(ws, session, students[0])
    await db_call(session_start, session=session)
    syncs = [(await tab.until("state_sync_response"))[0] for tab in (tab1, tab2)]
    assert syncs[0]["attempt"]["id"] == syncs[1]["attempt"]["id"]


async def test_the_teacher_completes_and_nothing_changes_afterwards(ws, session, teacher, students, db_call):
    await db_call(session_open_waiting_room, session=session)
    watcher = await _watch(ws, session, teacher)
    sockets = [await _join(ws, session, s) for s in students[:2]]
    await db_call(session_start, session=session)
    for socket in sockets:
        await socket.until("session_status_changed")
    question = await db_call(session.test.questions.first)
    await sockets[0].send("answer_submitted", {"question_id": question.pk, "answer": "true"}, "c-1")
    await sockets[0].until("ack")
    await watcher.drain()

    await db_call(session_complete, session=session)
    for socket in sockets:
        done = await socket.recv_type("session_completed")
        assert done["reason"] == "TEACHER" and done["completed_at"]
        assert (await socket.recv_type("session_status_changed"))["status"] == "COMPLETED"
        assert (await socket.recv())["type"] == "results_released"  # shown at once: the session's default
        assert await socket.nothing(0.1)
    relayed = [m["type"] for m in await watcher.drain()]
    assert relayed.count("attempt_submitted") == 2 and relayed.count("session_completed") == 1

    await sockets[1].send("answer_submitted", {"question_id": question.pk, "answer": "true"}, "c-2")
    assert (await sockets[1].recv_type("error"))["code"] == "attempt_closed"
    await sockets[1].send("submit_attempt", {}, "c-3")
    assert (await sockets[1].recv_type("error"))["code"] == "already_submitted"
    await sockets[0].send("state_sync_request")
    sync = await sockets[0].recv_type("state_sync_response")
    assert sync["status"] == "COMPLETED" and sync["remaining_seconds"] == 0
    assert sync["attempt"]["status"] == "SUBMITTED" and sync["attempt"]["score"] == 1
    assert await watcher.nothing(0.1)
    late = await ws(session.pk, user=students[2])
    assert not late.connected, "students may not connect to a completed session"


async def test_a_submitted_attempt_is_synced_on_reconnect(ws, session, students, db_call):
    await db_call(session_open_waiting_room, session=session)
    socket = await _join(ws, session, students[0])
    await db_call(session_start, session=session)
    await socket.until("session_status_changed")
    await socket.send("submit_attempt", {}, "s-1")
    await socket.recv_type("ack")
    await socket.close()
    again = await _join(ws, session, students[0])
    sync = await again.recv_type("state_sync_response")
    assert sync["status"] == "IN_PROGRESS" and sync["attempt"]["status"] == "SUBMITTED"
    assert sync["attempt"]["score"] == 0 and sync["attempt"]["submitted_at"]


async def test_teachers_watching_a_scheduled_session_see_the_waiting_room_open(ws, session, teacher, db_call):
    watcher = await _watch(ws, session, teacher)
    await db_call(session_open_waiting_room, session=session)
    assert (await watcher.recv_type("waiting_room_opened"))["session_id"] == session.pk
    assert (await watcher.recv_type("session_status_changed"))["status"] == "WAITING_FOR_STUDENTS"


async def test_waiting_students_hear_the_cancellation(ws, session, teacher, students, db_call):
    await db_call(session_open_waiting_room, session=session)
    socket = await _join(ws, session, students[0])
    await db_call(session_cancel, session=session)
    assert (await socket.recv_type("session_cancelled"))["session_id"] == session.pk
    assert (await socket.recv_type("session_status_changed"))["status"] == "CANCELLED"


async def test_heartbeats_keep_last_activity(ws, session, students, db_call, monkeypatch):
    monkeypatch.setattr(consumers, "TOUCH_EVERY_SECONDS", 0.0)
    await db_call(session_open_waiting_room, session=session)
    socket = await _join(ws, session, students[0])
    joined = await db_call(lambda: Participant.objects.get(session=session, student=students[0]).last_activity)
    await asyncio.sleep(0.01)
    await socket.send("heartbeat")
    await socket.recv_type("pong")
    touched = joined
    for _ in range(50):  # touches are written together, at most a second later
        await asyncio.sleep(0.1)
        touched = await db_call(lambda: Participant.objects.get(session=session, student=students[0]).last_activity)
        if touched > joined:
            break
    assert touched > joined


async def test_a_dead_process_takes_its_presence_with_it(ws, session, teacher, students, db_call, settings):
    """Another process (here: a row with a lapsed heartbeat) held a student's connection; the sweep clears it."""
    from realtime.clock import heartbeat
    from sessions_app.services import participant_connect, server_process_register

    await db_call(session_open_waiting_room, session=session)
    watcher = await _watch(ws, session, teacher)

    def connect_elsewhere():
        dead = server_process_register(name="web-9")
        participant_connect(session=session, student=students[1], channel_name="elsewhere.1", server_id=dead)
        ServerProcess.objects.filter(pk=dead).update(last_seen=timezone.now() - timedelta(minutes=5))

    await db_call(connect_elsewhere)
    here = await _join(ws, session, students[0])
    await watcher.drain()
    await db_call(heartbeat)
    gone = await watcher.recv_type("participant_disconnected")
    assert gone["student_id"] == students[1].pk and gone["connected_count"] == 1
    assert await db_call(_status, session, students[1]) == ConnectionStatus.DISCONNECTED
    assert await db_call(_status, session, students[0]) == ConnectionStatus.CONNECTED
    assert await here.still_open()


async def test_a_process_swept_during_a_stall_restores_its_students(ws, session, teacher, students, db_call):
    from realtime.clock import heartbeat
    from sessions_app.services import server_process_forget

    await db_call(session_open_waiting_room, session=session)
    watcher = await _watch(ws, session, teacher)
    await _join(ws, session, students[0])
    await watcher.drain()
    this_server = await db_call(process.server_id)
    await db_call(server_process_forget, server_id=this_server)  # what another process's sweep would do
    assert (await watcher.recv_type("participant_disconnected"))["student_id"] == students[0].pk
    await watcher.recv_type("real_time_stats")
    await db_call(heartbeat)
    assert (await watcher.recv_type("participant_joined"))["student_id"] == students[0].pk
    assert await db_call(_status, session, students[0]) == ConnectionStatus.CONNECTED
    assert await db_call(ServerProcess.objects.filter(pk=this_server).exists)


async def test_the_start_does_not_miss_a_student_whose_join_raced_it(ws, session, students, db_call):
    """A student connected but not yet counted when the session started still gets an attempt with the start."""
    await db_call(session_open_waiting_room, session=session)
    first = await _join(ws, session, students[0])
    racer = await _join(ws, session, students[1])

    @transaction.atomic  # the start's messages go out on commit: after the join, as its consumer would see them
    def start_without(student):
        # As if student 1's join committed just after the start read who was connected.
        Participant.objects.filter(session=session, student=student).update(
            connection_status=ConnectionStatus.DISCONNECTED
        )
        session_start(session=session)
        Participant.objects.filter(session=session, student=student).update(
            connection_status=ConnectionStatus.CONNECTED
        )

    await db_call(start_without, students[1])
    started, _ = await racer.until("session_started")
    assert started["connected_students"] == [students[0].pk]
    sync = await racer.recv_type("state_sync_response")
    assert sync["attempt"]["student_id"] == students[1].pk
    assert (await first.until("state_sync_response"))[0]["attempt"]["student_id"] == students[0].pk
    assert await db_call(Session.objects.filter(pk=session.pk, status=SessionStatus.IN_PROGRESS).exists)
    assert await db_call(Attempt.objects.filter(session=session, status=AttemptStatus.IN_PROGRESS).count) == 2
