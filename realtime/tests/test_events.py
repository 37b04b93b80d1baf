"""Student events over the WebSocket: applied once through the services, acknowledged, relayed to teachers only."""

from types import SimpleNamespace

import pytest

from attempts.models import Answer, Attempt, AttemptEvent, AttemptStatus, Highlight, Violation
from sessions_app.services import session_open_waiting_room, session_start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def live(start_watched, session, students, db_call):
    """A session in progress: a teacher watching, the first two students connected over the WebSocket."""
    watcher, sockets = await start_watched()
    attempts = {a.student_id: a for a in await db_call(list, Attempt.objects.filter(session=session))}
    questions = await db_call(list, session.test.questions.all())
    passages = await db_call(list, session.test.passages.all())
    return SimpleNamespace(
        session=session, teacher=watcher, a=sockets[0], b=sockets[1], students=students,
        attempt_a=attempts[students[0].pk], attempt_b=attempts[students[1].pk], questions=questions, passages=passages,
    )  # fmt: skip


async def test_session_started_reaches_everyone_and_each_student_gets_its_attempt(
    ws, session, teacher, students, db_call
):
    await db_call(session_open_waiting_room, session=session)
    watcher = await ws(session.pk, user=teacher)
    await watcher.recv_type("connected")
    student = await ws(session.pk, user=students[0])
    await student.recv_type("connected")
    await db_call(session_start, session=session)
    started = await student.recv_type("session_started")
    assert started["connected_students"] == [students[0].pk]
    sync = await student.recv_type("state_sync_response")
    assert sync["status"] == "IN_PROGRESS" and sync["ends_at"] == started["ends_at"]
    assert 0 < sync["remaining_seconds"] <= 3600
    attempt = sync["attempt"]
    assert attempt["student_id"] == students[0].pk and attempt["status"] == "IN_PROGRESS"
    assert attempt["answers"] == [] and attempt["score"] is None and attempt["ends_at"] == started["ends_at"]
    assert "answers" not in str(attempt.keys() - {"answers"})
    assert (await student.recv_type("session_status_changed"))["status"] == "IN_PROGRESS"
    _, before = await watcher.until("session_started")
    assert [m["type"] for m in before] == ["participant_joined", "real_time_stats"]
    assert (await watcher.recv_type("session_status_changed"))["status"] == "IN_PROGRESS"


async def test_every_student_event_is_acknowledged_persisted_and_relayed_to_teachers(live, db_call):
    q1, q2 = live.questions[0], live.questions[1]
    passage = live.passages[0]
    a, teacher, attempt = live.a, live.teacher, live.attempt_a

    await a.send("answer_submitted", {"question_id": q1.pk, "answer": "  True "}, "e-1")
    await _ack(a, "e-1")
    seen = await teacher.recv_type("answer_submitted")
    assert seen["student_id"] == live.students[0].pk and seen["attempt_id"] == attempt.pk
    assert seen["question_id"] == q1.pk and seen["answer"] == "  True " and seen["answered_count"] == 1

    await a.send("tab_violation", {"violation_type": "WINDOW_BLUR"}, "e-2")
    await _ack(a, "e-2")
    seen = await teacher.recv_type("tab_violation")
    assert seen["violation_type"] == "WINDOW_BLUR" and seen["violations_count"] == 1
    stats = await teacher.recv_type("real_time_stats")
    assert stats == {**stats, "violations_total": 1, "connected": 2, "participants": 3, "submitted": 0}

    await a.send("tab_violation", None, "e-3")  # data omitted: TAB_SWITCH by default
    await _ack(a, "e-3")
    assert (await teacher.recv_type("tab_violation"))["violation_type"] == "TAB_SWITCH"
    await teacher.recv_type("real_time_stats")

    highlight = {"passage_id": passage.pk, "text": "red wool", "position_start": 15, "position_end": 23}
    await a.send("text_highlighted", highlight, "e-4")
    ack = await _ack(a, "e-4")
    highlight_id = ack["highlight_id"]
    seen = await teacher.recv_type("text_highlighted")
    assert seen == {**seen, **highlight, "highlight_id": highlight_id, "attempt_id": attempt.pk}

    await a.send("question_flagged", {"question_id": q2.pk, "flagged": True}, "e-5")
    await _ack(a, "e-5")
    seen = await teacher.recv_type("question_flagged")
    assert seen["question_id"] == q2.pk and seen["flagged"] is True

    await a.send("progress_update", {"passage_index": 1, "question_index": 2}, "e-6")
    await _ack(a, "e-6")
    seen = await teacher.recv_type("progress_update")
    assert seen["passage_index"] == 1 and seen["question_index"] == 2

    await a.send("state_sync_request")
    sync = await a.recv_type("state_sync_response")
    body = sync["attempt"]
    assert [x["answer"] for x in body["answers"]] == ["  True "]
    assert [h["id"] for h in body["highlights"]] == [highlight_id]
    assert body["flagged_question_ids"] == [q2.pk]
    assert [v["type"] for v in body["violations"]] == ["WINDOW_BLUR", "TAB_SWITCH"]
    assert body["current_passage_index"] == 1 and body["current_question_index"] == 2

    await a.send("highlight_removed", {"highlight_id": highlight_id}, "e-7")
    await _ack(a, "e-7")
    assert (await teacher.recv_type("highlight_removed"))["highlight_id"] == highlight_id

    await a.send("heartbeat")
    pong = await a.recv_type("pong")
    assert pong["server_now"].endswith("Z")

    await a.send("submit_attempt", {}, "e-8")
    await _ack(a, "e-8")
    submitted = await teacher.recv_type("attempt_submitted")
    assert submitted["score"] == 1 and isinstance(submitted["band"], float)
    assert (await teacher.recv_type("real_time_stats"))["submitted"] == 1

    await a.send("answer_submitted", {"question_id": q2.pk, "answer": "late"}, "e-9")
    error = await a.recv_type("error")
    assert error["code"] == "attempt_closed" and error["event_id"] == "e-9"
    assert await teacher.nothing()
    assert await live.b.nothing(), "the other student hears nothing of it"

    stored = await db_call(Attempt.objects.get, pk=attempt.pk)
    assert stored.status == AttemptStatus.SUBMITTED and stored.score == 1
    assert await db_call(Highlight.objects.filter(attempt=attempt).count) == 0
    assert await db_call(Violation.objects.filter(attempt=attempt).count) == 2


async def _ack(socket, event_id):
    ack = await socket.recv_type("ack")
    assert ack["event_id"] == event_id and ack["session_id"]
    return ack


async def test_an_event_without_event_id_is_acknowledged_with_null(live):
    await live.a.send("progress_update", {"passage_index": 0, "question_index": 1})
    ack = await live.a.recv_type("ack")
    assert ack["event_id"] is None
    await live.teacher.recv_type("progress_update")


async def test_a_resent_event_is_acknowledged_again_but_applied_and_broadcast_once(live, db_call):
    q1 = live.questions[0]
    passage = live.passages[0]
    for answer in ("TRUE", "FALSE"):
        await live.a.send("answer_submitted", {"question_id": q1.pk, "answer": answer}, "same-id")
        await _ack(live.a, "same-id")
    highlight = {"passage_id": passage.pk, "text": "The", "position_start": 11, "position_end": 14}
    first = second = None
    for _ in range(2):
        await live.a.send("text_highlighted", highlight, "hl-1")
        second = (await _ack(live.a, "hl-1"))["highlight_id"]
        first = first or second
    assert first == second
    seen = await live.teacher.drain()
    assert [m["type"] for m in seen] == ["answer_submitted", "text_highlighted"]
    assert seen[0]["answer"] == "TRUE"
    assert (await db_call(Answer.objects.get, attempt=live.attempt_a)).answer == "TRUE"
    assert await db_call(AttemptEvent.objects.filter(attempt=live.attempt_a, event_id="same-id").count) == 1
    assert await db_call(Highlight.objects.filter(attempt=live.attempt_a).count) == 1


async def test_students_never_hear_each_other(live):
    q1 = live.questions[0]
    await live.a.send("answer_submitted", {"question_id": q1.pk, "answer": "B"}, "a-1")
    await live.a.send("tab_violation", {}, "a-2")
    await live.b.send("answer_submitted", {"question_id": q1.pk, "answer": "C"}, "b-1")
    assert [m["type"] for m in await live.a.drain()] == ["ack", "ack"]
    assert [m["type"] for m in await live.b.drain()] == ["ack"]
    relayed = await live.teacher.drain()
    assert sorted((m["type"], m["student_id"]) for m in relayed if m["type"] != "real_time_stats") == sorted(
        [
            ("answer_submitted", live.students[0].pk),
            ("tab_violation", live.students[0].pk),
            ("answer_submitted", live.students[1].pk),
        ]
    )


async def test_teachers_may_not_send_student_events(live):
    for message_type in ("answer_submitted", "submit_attempt", "state_sync_request"):
        await live.teacher.send(message_type, {"question_id": live.questions[0].pk, "answer": "x"}, "t-1")
        error = await live.teacher.recv_type("error")
        assert error["code"] == "forbidden" and error["event_id"] == "t-1"
    await live.teacher.send("heartbeat")
    assert (await live.teacher.recv_type("pong"))["server_now"]
    assert await live.a.nothing()


async def test_a_waiting_student_has_no_attempt_to_change(ws, session, students, teacher, db_call):
    await db_call(session_open_waiting_room, session=session)
    watcher = await ws(session.pk, user=teacher)
    await watcher.recv_type("connected")
    student = await ws(session.pk, user=students[0])
    await student.recv_type("connected")
    await watcher.until("real_time_stats")
    question = await db_call(session.test.questions.first)
    await student.send("answer_submitted", {"question_id": question.pk, "answer": "A"}, "w-1")
    error = await student.recv_type("error")
    assert error["code"] == "no_attempt" and error["event_id"] == "w-1"
    await student.send("state_sync_request")
    assert (await student.recv_type("error"))["code"] == "no_attempt"
    assert await student.still_open()
    assert await watcher.nothing()
    assert await db_call(Attempt.objects.count) == 0


async def test_the_same_message_for_a_rest_answer_and_a_websocket_answer(live, db_call):
    """One publish path: the REST endpoint and the socket go through the same service."""
    from django.test import Client

    q1, q2 = live.questions[0], live.questions[1]
    await live.a.send("answer_submitted", {"question_id": q1.pk, "answer": "TRUE"}, "ws-1")
    await _ack(live.a, "ws-1")
    over_ws = await live.teacher.recv_type("answer_submitted")

    def post_answer():
        client = Client()
        client.force_login(live.students[0])
        return client.post(
            f"/api/v1/attempts/{live.attempt_a.pk}/answers", {"question_id": q2.pk, "answer": "B"},
            content_type="application/json",
        )  # fmt: skip

    response = await db_call(post_answer)
    assert response.status_code == 200, response.content
    over_rest = await live.teacher.recv_type("answer_submitted")
    assert over_ws.keys() == over_rest.keys()
    assert over_rest["question_id"] == q2.pk and over_rest["answer"] == "B" and over_rest["answered_count"] == 2
    assert await live.a.nothing(), "no echo to the student"


async def test_events_sent_the_moment_the_start_arrives_are_acked_after_the_state_sync(
    ws, session, teacher, students, db_call
):
    """The start's state syncs leave in bulk while the consumers read on: a student answering as soon as
    `session_started` arrives still gets its whole attempt first, then the ack, and the teacher the answer."""
    await db_call(session_open_waiting_room, session=session)
    watcher = await ws(session.pk, user=teacher)
    await watcher.recv_type("connected")
    sockets = []
    for student in students:
        socket = await ws(session.pk, user=student)
        await socket.recv_type("connected")
        sockets.append(socket)
    questions = await db_call(list, session.test.questions.order_by("number"))
    await db_call(session_start, session=session)
    for n, socket in enumerate(sockets):
        await socket.recv_type("session_started")
        await socket.send(
            "answer_submitted", {"question_id": questions[n].pk, "answer": f"first {n}"}, event_id=f"e{n}"
        )
    for n, socket in enumerate(sockets):
        sync = await socket.recv_type("state_sync_response")
        assert sync["attempt"]["student_id"] == students[n].pk and sync["attempt"]["status"] == "IN_PROGRESS"
        rest = [await socket.recv() for _ in range(2)]
        assert sorted(m["type"] for m in rest) == ["ack", "session_status_changed"]
        assert next(m for m in rest if m["type"] == "ack")["event_id"] == f"e{n}"
    relayed = []
    while len(relayed) < len(sockets):
        message, _ = await watcher.until("answer_submitted")
        relayed.append((message["student_id"], message["answer"]))
    assert sorted(relayed) == sorted((student.pk, f"first {n}") for n, student in enumerate(students))


async def test_a_note_on_a_highlight_is_acknowledged_and_relayed_to_teachers(live):
    passage = live.passages[0]
    a, teacher = live.a, live.teacher
    await a.send("text_highlighted", {"passage_id": passage.pk, "text": "red wool", "position_start": 15,
                                      "position_end": 23}, "h-1")  # fmt: skip
    highlight_id = (await _ack(a, "h-1"))["highlight_id"]
    assert (await teacher.recv_type("text_highlighted"))["note"] is None
    await a.send("highlight_noted", {"highlight_id": highlight_id, "note": "the colour"}, "h-2")
    await _ack(a, "h-2")
    seen = await teacher.recv_type("highlight_noted")
    assert seen == {**seen, "student_id": live.students[0].pk, "attempt_id": live.attempt_a.pk,
                    "highlight_id": highlight_id, "note": "the colour"}  # fmt: skip
    await a.send("highlight_noted", {"highlight_id": highlight_id, "note": "x" * 501}, "h-3")
    error = await a.recv_type("error")
    assert error["code"] == "too_long" and error["event_id"] == "h-3"
    await a.send("highlight_noted", {"highlight_id": highlight_id, "note": "the colour"}, "h-2")  # a resend
    await _ack(a, "h-2")
    await a.send("state_sync_request")
    [item] = (await a.recv_type("state_sync_response"))["attempt"]["highlights"]
    assert item["note"] == "the colour"
    await a.send("highlight_noted", {"highlight_id": highlight_id}, "h-4")
    assert (await a.recv_type("error"))["code"] == "invalid_data"
