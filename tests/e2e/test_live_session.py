"""A whole class test driven from outside against real daphne processes: the teacher on one process,
the students on another (sharing groups through Redis), or everything on one process (embedded default).
"""

import asyncio

import pytest
from websockets.exceptions import InvalidStatus

from attempts.models import Attempt, AttemptStatus
from tests.e2e.conftest import Api, Peer, two_processes_or_skip

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=["one-process", "two-processes"])
def servers(request, daphne_servers):
    """(the teacher's server, the students' server)."""
    if request.param == "two-processes":
        two_processes_or_skip()
        return daphne_servers("web-1"), daphne_servers("web-2")
    server = daphne_servers("web-1")
    return server, server


async def test_a_whole_session(servers, session, teacher, students, opened):
    teacher_server, student_server = servers
    sid = session.pk
    questions = [q async for q in session.test.questions.order_by("number")]
    passage = await session.test.passages.afirst()
    staff = opened(await Api(teacher_server, "teacher").login())
    pupils = [opened(await Api(student_server, s.username).login()) for s in students]

    # The handshake refuses a missing credential with HTTP 403, and a student before the waiting room opens.
    for token in (None, pupils[0].access):
        with pytest.raises(InvalidStatus) as refused:
            await Peer.open(student_server, sid, token=token or "")
        assert refused.value.response.status_code == 403

    await staff.post(f"/api/v1/sessions/{sid}/start-waiting")
    # A ticket issued by the students' server is redeemed by the teacher's: the cache is shared.
    ticket = (await staff.on(student_server).post(f"/api/v1/sessions/{sid}/ws-ticket", expect=201))["ticket"]
    watcher = opened(await Peer.open(teacher_server, sid, ticket=ticket, label="teacher"))
    a = opened(await Peer.open(student_server, sid, token=pupils[0].access, label="a"))
    b = opened(await Peer.open(student_server, sid, token=pupils[1].access, label="b", path=f"/ws/sessions/{sid}"))
    for student in students[:2]:
        await watcher.until("participant_joined", student_id=student.pk)

    started = await staff.post(f"/api/v1/sessions/{sid}/start")
    assert started["status"] == "IN_PROGRESS"
    syncs = {}
    for peer in (a, b):
        announced, _ = await peer.until("session_started")
        assert announced["ends_at"] == started["ends_at"], "REST and WebSocket write times alike"
        sync, _ = await peer.until("state_sync_response")
        assert sync["attempt"]["status"] == "IN_PROGRESS" and sync["ends_at"] == announced["ends_at"]
        syncs[peer.label] = sync
        await peer.until("session_status_changed", status="IN_PROGRESS")
    await watcher.until("session_started")
    await watcher.until("session_status_changed", status="IN_PROGRESS")
    ends_at = syncs["a"]["ends_at"]
    attempt_a, attempt_b = syncs["a"]["attempt"]["id"], syncs["b"]["attempt"]["id"]

    # Student a works over the WebSocket; the teacher sees each event, student b sees none of them.
    outbox = []
    outbox.append(await a.send("answer_submitted", {"question_id": questions[0].pk, "answer": "True"}))
    outbox.append(await a.send("answer_submitted", {"question_id": questions[2].pk, "answer": " red  WOOL "}))
    outbox.append(await a.send("tab_violation", {"violation_type": "TAB_SWITCH"}))
    outbox.append(await a.send("text_highlighted", {"passage_id": passage.pk, "text": "red wool",
                                                    "position_start": 15, "position_end": 23}))  # fmt: skip
    outbox.append(await a.send("question_flagged", {"question_id": questions[1].pk, "flagged": True}))
    outbox.append(await a.send("progress_update", {"passage_index": 1, "question_index": 2}))
    acks = [await a.until("ack") for _ in outbox]
    assert [ack["event_id"] for ack, _ in acks] == outbox
    highlight_id = acks[3][0]["highlight_id"]
    relayed = [await watcher.recv() for _ in range(7)]
    assert [m["type"] for m in relayed] == ["answer_submitted", "answer_submitted", "tab_violation", "real_time_stats",
                                            "text_highlighted", "question_flagged", "progress_update"]  # fmt: skip
    assert all(m["student_id"] == students[0].pk for m in relayed if m["type"] != "real_time_stats")
    assert relayed[3]["violations_total"] == 1 and relayed[3]["connected"] == 2
    assert relayed[4]["highlight_id"] == highlight_id and relayed[1]["answer"] == " red  WOOL "

    # Student b answers over REST: the teacher gets the same message as for a WebSocket answer.
    await pupils[1].post(f"/api/v1/attempts/{attempt_b}/answers", {"question_id": questions[0].pk, "answer": "TRUE"})
    over_rest, _ = await watcher.until("answer_submitted")
    assert over_rest["student_id"] == students[1].pk and over_rest["attempt_id"] == attempt_b
    assert over_rest["answered_count"] == 1 and over_rest["question_id"] == questions[0].pk
    assert [m["type"] for m in await b.drain(0.3)] == []

    # Student a's network drops; the teacher sees it; a comes back, resumes, replays its outbox harmlessly.
    a.drop()
    gone, _ = await watcher.until("participant_disconnected", student_id=students[0].pk)
    assert gone["connected_count"] == 1
    a = opened(await Peer.open(student_server, sid, token=pupils[0].access, label="a again"))
    resumed = await a.recv()
    assert resumed["type"] == "state_sync_response" and resumed["ends_at"] == ends_at
    body = resumed["attempt"]
    assert {x["question_id"]: x["answer"] for x in body["answers"]} == {
        questions[0].pk: "True",
        questions[2].pk: " red  WOOL ",
    }
    assert [h["id"] for h in body["highlights"]] == [highlight_id]
    assert body["flagged_question_ids"] == [questions[1].pk] and len(body["violations"]) == 1
    assert (body["current_passage_index"], body["current_question_index"]) == (1, 2)
    await watcher.until("participant_joined", student_id=students[0].pk)
    assert (await watcher.until("real_time_stats"))[0]["connected"] == 2
    for event_id in outbox:  # the client's outbox, replayed after the reconnect
        await a.send("tab_violation", {}, event_id)
    assert [(await a.recv())["event_id"] for _ in outbox] == outbox
    assert [m["type"] for m in await watcher.drain(0.5)] == []

    # A late joiner gets an attempt and the same end.
    c = opened(await Peer.open(student_server, sid, token=pupils[2].access, label="c"))
    late = await c.recv()
    assert late["type"] == "state_sync_response" and late["ends_at"] == ends_at
    await watcher.until("participant_joined", student_id=students[2].pk)

    # a hands in; the teacher sees the mark and the live counts.
    await a.send("submit_attempt", {}, "hand-in")
    assert (await a.recv())["type"] == "ack"
    submitted, _ = await watcher.until("attempt_submitted", student_id=students[0].pk)
    assert submitted["score"] == 2 and isinstance(submitted["band"], float)
    counts, _ = await watcher.until("real_time_stats")
    assert counts == {**counts, "connected": 3, "submitted": 1, "participants": 3, "violations_total": 1}

    stats = await staff.get(f"/api/v1/sessions/{sid}/stats")
    assert (stats["connected"], stats["submitted"], stats["violations_total"]) == (3, 1, 1)
    row = next(s for s in stats["students"] if s["student_id"] == students[0].pk)
    assert row == {**row, "answered": 2, "correct": 2, "score": 2, "violations": 1, "highlights": 1,
                   "current_passage_index": 1, "current_question_index": 2}  # fmt: skip

    # The teacher ends the test: everyone is told once, every open attempt is marked.
    done = await staff.post(f"/api/v1/sessions/{sid}/complete")
    assert done["status"] == "COMPLETED"
    for peer in (watcher, a, b, c):
        completed, _ = await peer.until("session_completed")
        assert completed["reason"] == "TEACHER"
    await asyncio.sleep(0.5)
    for peer in (a, b, c):
        assert "session_completed" not in [m["type"] for m in await peer.drain(0.2)]
    await b.send("answer_submitted", {"question_id": questions[1].pk, "answer": "B"}, "too-late")
    error = await b.recv()
    assert error["type"] == "error" and error["code"] == "attempt_closed" and error["event_id"] == "too-late"

    final = await staff.get(f"/api/v1/sessions/{sid}/stats")
    assert final["status"] == "COMPLETED" and final["submitted"] == 3
    marked = {x.student_id: (x.status, x.score) async for x in Attempt.objects.filter(session_id=sid)}
    assert marked == {
        students[0].pk: (AttemptStatus.SUBMITTED, 2),
        students[1].pk: (AttemptStatus.SUBMITTED, 1),
        students[2].pk: (AttemptStatus.SUBMITTED, 0),
    }
    own = await pupils[1].get(f"/api/v1/attempts/{attempt_b}")
    assert own["status"] == "SUBMITTED" and own["score"] == 1 and attempt_a != attempt_b
