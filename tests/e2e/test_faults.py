"""The server's clock and server crashes, against real daphne processes (two of them when Redis is there)."""

import asyncio
import time

import pytest

from attempts.models import Attempt, AttemptEvent, AttemptStatus
from sessions_app.models import ConnectionStatus, Participant, Session, SessionStatus
from tests.e2e.conftest import Api, Peer, two_processes_or_skip

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A 60-minute paper lasts 1.8 s; events in flight count for 0.5 s more; each process looks every 0.2 s.
QUICK_CLOCK = {"IELTS_SECONDS_PER_MINUTE": 0.03, "SESSION_GRACE_SECONDS": 0.5, "SESSION_CLOCK_INTERVAL_SECONDS": 0.2}


@pytest.fixture(params=["one-process", "two-processes"])
def topology(request):
    if request.param == "two-processes":
        two_processes_or_skip()
    return request.param


async def _open_waiting_room(server, session, students, opened):
    staff = opened(await Api(server, "teacher").login())
    pupils = [opened(await Api(server, s.username).login()) for s in students]
    await staff.post(f"/api/v1/sessions/{session.pk}/start-waiting")
    return staff, pupils


def _statuses(session_id) -> dict:
    return dict(Participant.objects.filter(session_id=session_id).values_list("student_id", "connection_status"))


async def _wait_for(predicate, timeout: float = 15, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_time_up_ends_the_session_once_for_everyone(topology, daphne_servers, session, students, opened):
    first = daphne_servers("web-1", **QUICK_CLOCK)
    second = daphne_servers("web-2", **QUICK_CLOCK) if topology == "two-processes" else first
    sid = session.pk
    question = await session.test.questions.order_by("number").afirst()
    staff, pupils = await _open_waiting_room(first, session, students, opened)
    watcher = opened(await Peer.open(first, sid, token=staff.access, label="teacher"))
    peers = [
        opened(await Peer.open(server, sid, token=pupil.access, label=pupil.username))
        for server, pupil in zip((first, second, second), pupils, strict=True)
    ]
    started = await staff.post(f"/api/v1/sessions/{sid}/start")
    for peer in peers:
        await peer.until("state_sync_response")
    await peers[0].send("answer_submitted", {"question_id": question.pk, "answer": "true"}, "before-time")
    assert (await peers[0].until("ack"))[0]["event_id"] == "before-time"

    # No request triggers it: the clock of whichever process gets there first ends the session.
    for peer in (watcher, *peers):
        completed, _ = await peer.until("session_completed", timeout=15)
        assert completed["reason"] == "TIME_UP"
    await asyncio.sleep(1.0)  # several more passes of every process's clock
    later = await asyncio.gather(*(peer.drain(0.3) for peer in (watcher, *peers)))
    assert all("session_completed" not in [m["type"] for m in messages] for messages in later), "told twice"
    await peers[1].send("answer_submitted", {"question_id": question.pk, "answer": "true"}, "after-time")
    refused = await peers[1].until("error")
    assert refused[0]["code"] in ("attempt_closed", "time_up")

    stored = await Session.objects.aget(pk=sid)
    assert stored.status == SessionStatus.COMPLETED
    assert stored.completed_at >= stored.ends_at, started["ends_at"]
    marked = {a.student_id: (a.status, a.score) async for a in Attempt.objects.filter(session_id=sid)}
    assert marked == {
        students[0].pk: (AttemptStatus.SUBMITTED, 1),
        students[1].pk: (AttemptStatus.SUBMITTED, 0),
        students[2].pk: (AttemptStatus.SUBMITTED, 0),
    }
    marks = AttemptEvent.objects.filter(attempt__session_id=sid, type="attempt_submitted")
    assert await marks.acount() == 3, "each attempt is marked exactly once"


async def test_a_killed_process_restarts_and_no_one_is_shown_connected_who_is_not(
    topology, daphne_servers, session, students, opened
):
    # Without the restart nobody would notice for a minute: it is the restart that clears the dead rows.
    calm = {"SERVER_DEAD_AFTER_SECONDS": 60}
    students_server = daphne_servers("web-2", **calm)
    teacher_server = daphne_servers("web-1", **calm) if topology == "two-processes" else students_server
    sid = session.pk
    questions = [q async for q in session.test.questions.order_by("number")]
    staff, pupils = await _open_waiting_room(teacher_server, session, students, opened)
    peers = [opened(await Peer.open(students_server, sid, token=p.access, label=p.username)) for p in pupils[:2]]
    await staff.post(f"/api/v1/sessions/{sid}/start")
    for number, peer in enumerate(peers):
        await peer.until("state_sync_response")
        await peer.send("answer_submitted", {"question_id": questions[number].pk, "answer": f"answer {number}"})
        await peer.until("ack")
    watcher = None
    if topology == "two-processes":
        watcher = opened(await Peer.open(teacher_server, sid, token=staff.access, label="teacher"))

    students_server.kill()  # SIGKILL: no disconnect handler runs, the presence rows stay behind
    stale = await _as_dict(sid)
    assert stale[students[0].pk] == stale[students[1].pk] == ConnectionStatus.CONNECTED

    students_server.start()  # same SERVER_NAME: clears what its predecessor left as it registers
    if watcher is not None:
        for student in students[:2]:
            await watcher.until("participant_disconnected", student_id=student.pk)

    async def nobody_connected():
        return set((await _as_dict(sid)).values()) == {ConnectionStatus.DISCONNECTED}

    await _wait_for(nobody_connected, what="the restarted process to clear its predecessor's presence")
    shown = await staff.on(teacher_server).get(f"/api/v1/sessions/{sid}")
    assert {p["connection_status"] for p in shown["participants"]} == {"DISCONNECTED"}

    # The students reconnect and resume where they were.
    for number, pupil in enumerate(pupils[:2]):
        peer = opened(await Peer.open(students_server, sid, token=pupil.access, label=f"{pupil.username} again"))
        sync = await peer.recv()
        assert sync["type"] == "state_sync_response" and sync["status"] == "IN_PROGRESS"
        assert [(a["question_id"], a["answer"]) for a in sync["attempt"]["answers"]] == [
            (questions[number].pk, f"answer {number}")
        ]
    now_shown = await _as_dict(sid)
    assert now_shown == {
        students[0].pk: ConnectionStatus.CONNECTED,
        students[1].pk: ConnectionStatus.CONNECTED,
        students[2].pk: ConnectionStatus.DISCONNECTED,
    }
    if watcher is not None:
        for student in students[:2]:
            await watcher.until("participant_joined", student_id=student.pk)


async def test_the_other_process_sweeps_a_dead_one_whose_heartbeat_lapsed(daphne_servers, session, students, opened):
    two_processes_or_skip()
    quick = {"SERVER_HEARTBEAT_SECONDS": 0.3, "SERVER_DEAD_AFTER_SECONDS": 2}
    teacher_server = daphne_servers("web-1", **quick)
    doomed = daphne_servers("web-2", **quick)
    sid = session.pk
    question = await session.test.questions.order_by("number").afirst()
    staff, pupils = await _open_waiting_room(teacher_server, session, students, opened)
    watcher = opened(await Peer.open(teacher_server, sid, token=staff.access, label="teacher"))
    peer = opened(await Peer.open(doomed, sid, token=pupils[0].access, label="student"))
    await staff.post(f"/api/v1/sessions/{sid}/start")
    await peer.until("state_sync_response")
    await peer.send("answer_submitted", {"question_id": question.pk, "answer": "TRUE"})
    await peer.until("ack")
    await watcher.until("answer_submitted")

    doomed.kill()
    killed_at = time.monotonic()
    gone, _ = await watcher.until("participant_disconnected", timeout=10, student_id=students[0].pk)
    assert gone["connected_count"] == 0 and time.monotonic() - killed_at < 8
    counts, _ = await watcher.until("real_time_stats")
    assert counts["connected"] == 0

    # The student's page reconnects to the surviving process and resumes.
    again = opened(await Peer.open(teacher_server, sid, token=pupils[0].access, label="student again"))
    sync = await again.recv()
    assert sync["type"] == "state_sync_response"
    assert [a["answer"] for a in sync["attempt"]["answers"]] == ["TRUE"]
    await watcher.until("participant_joined", student_id=students[0].pk)


async def _as_dict(session_id) -> dict:
    from asgiref.sync import sync_to_async

    return await sync_to_async(_statuses)(session_id)


async def test_a_process_stopped_cleanly_takes_its_students_presence_at_once(daphne_servers, session, students, opened):
    two_processes_or_skip()
    calm = {"SERVER_DEAD_AFTER_SECONDS": 60}  # no sweep: only the clean exit can tell
    teacher_server = daphne_servers("web-1", **calm)
    leaving = daphne_servers("web-2", **calm)
    sid = session.pk
    staff, pupils = await _open_waiting_room(teacher_server, session, students, opened)
    watcher = opened(await Peer.open(teacher_server, sid, token=staff.access, label="teacher"))
    opened(await Peer.open(leaving, sid, token=pupils[0].access, label="student"))
    await watcher.until("participant_joined", student_id=students[0].pk)

    stopped_at = time.monotonic()
    leaving.stop()  # SIGTERM, as a deploy or a scale-down does
    gone, _ = await watcher.until("participant_disconnected", timeout=5, student_id=students[0].pk)
    assert gone["connected_count"] == 0 and time.monotonic() - stopped_at < 5
    assert (await _as_dict(sid))[students[0].pk] == ConnectionStatus.DISCONNECTED
