"""The teacher's controls as the sockets see them (contract: "Teacher controls during a session" → New server →
client messages): who hears what, events refused while paused and applied after the resume, and the fresh state
sync a student gets whenever a control changed their attempt or clock."""

import asyncio
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db.models import F
from django.utils import timezone

from attempts.models import Answer, Attempt, AttemptEvent, AttemptStatus
from attempts.services import attempt_record_violation
from ielts_site.clock import iso
from realtime.clock import tick
from sessions_app import services
from sessions_app.models import Session
from tests.controls_support import move_deadlines

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def live(start_watched, session, students, teacher, db_call):
    """A session in progress: a teacher watching, the first two students connected over the WebSocket."""
    watcher, (a, b) = await start_watched()  # each student past the start's own state sync
    attempts = {x.student_id: x for x in await db_call(list, Attempt.objects.filter(session=session))}
    question = await db_call(session.test.questions.get, number=1)
    return SimpleNamespace(
        session=session, teacher=watcher, a=a, b=b, students=students, by=teacher, question=question,
        attempt_a=attempts[students[0].pk], attempt_b=attempts[students[1].pk],
    )  # fmt: skip


async def stored_attempt(db_call, attempt):
    return await db_call(Attempt.objects.get, pk=attempt.pk)


async def test_a_pause_refuses_student_events_and_the_same_event_id_is_applied_after_the_resume(live, db_call):
    await db_call(services.session_pause, session=live.session, by=live.by, reason="Fire alarm")
    for socket in (live.a, live.b, live.teacher):
        paused = await socket.recv_type("session_paused")
        assert (paused["reason"], paused["paused_at"][-1]) == ("Fire alarm", "Z")
        assert (await socket.recv_type("session_status_changed"))["status"] == "PAUSED"

    answer = {"question_id": live.question.pk, "answer": "TRUE"}
    await live.a.send("answer_submitted", answer, "outbox-1")
    error = await live.a.recv_type("error")
    assert (error["code"], error["event_id"]) == ("session_paused", "outbox-1")
    await live.a.send("submit_attempt", {}, "outbox-2")
    assert (await live.a.recv_type("error"))["code"] == "session_paused"
    assert await live.teacher.nothing(), "a refused event reaches no teacher"
    assert not await db_call(Answer.objects.filter(attempt=live.attempt_a).exists)
    assert not await db_call(AttemptEvent.objects.filter(event_id__startswith="outbox").exists), "ids not used up"

    await live.a.send("heartbeat")
    assert (await live.a.recv_type("pong"))["server_now"]
    await live.a.send("state_sync_request")
    first = await live.a.recv_type("state_sync_response")
    await asyncio.sleep(0.3)
    await live.a.send("state_sync_request")
    second = await live.a.recv_type("state_sync_response")
    assert first["status"] == second["status"] == "PAUSED"
    assert first["remaining_seconds"] == second["remaining_seconds"] > 0, "the clock does not run while paused"

    await db_call(services.session_resume, session=live.session, by=live.by)
    for socket in (live.a, live.b):
        resumed = await socket.recv_type("session_resumed")
        assert set(resumed) >= {"ends_at", "server_now", "paused_seconds"}
        assert (await socket.recv_type("session_status_changed"))["status"] == "IN_PROGRESS"
        sync = await socket.recv_type("state_sync_response")
        assert sync["status"] == "IN_PROGRESS" and sync["ends_at"] == resumed["ends_at"], "a fresh state sync"
    assert (await live.teacher.until("session_resumed"))[0]["paused_seconds"] >= 0
    assert await live.teacher.until("session_status_changed")
    assert await live.teacher.nothing(), "teachers get no state sync"

    await live.a.send("answer_submitted", answer, "outbox-1")  # the outbox resends it
    assert (await live.a.recv_type("ack"))["event_id"] == "outbox-1"
    relayed = await live.teacher.recv_type("answer_submitted")
    assert (relayed["question_id"], relayed["answer"]) == (live.question.pk, "TRUE")
    assert (await db_call(Answer.objects.get, attempt=live.attempt_a)).answer == "TRUE"


async def test_a_student_connecting_while_paused_gets_the_frozen_clock(live, ws, students, db_call):
    await db_call(services.session_pause, session=live.session, by=live.by)
    await db_call(Session.objects.filter(pk=live.session.pk).update, paused_at=F("paused_at") - timedelta(minutes=10))
    late = await ws(live.session.pk, user=students[2])
    assert late.connected
    await late.recv_type("connected")
    sync = await late.recv_type("state_sync_response")
    attempt = await db_call(Attempt.objects.get, session=live.session, student=students[2])
    paused_at = (await db_call(Session.objects.get, pk=live.session.pk)).paused_at
    assert sync["status"] == "PAUSED" and sync["ends_at"] == iso(attempt.ends_at)
    assert sync["remaining_seconds"] == round((attempt.ends_at - paused_at).total_seconds(), 3)


async def test_extra_time_for_one_student_reaches_them_and_the_teachers_only(live, db_call):
    await db_call(services.attempt_extend, attempt=live.attempt_a, seconds=300, by=live.by, reason="Arrangement")
    extended = await live.a.recv_type("time_extended")
    assert (extended["student_id"], extended["attempt_id"], extended["seconds"], extended["reason"]) == (
        live.students[0].pk, live.attempt_a.pk, 300, "Arrangement",
    )  # fmt: skip
    sync = await live.a.recv_type("state_sync_response")
    mine = await stored_attempt(db_call, live.attempt_a)
    assert sync["ends_at"] == extended["ends_at"] == iso(mine.ends_at) != iso(live.session.ends_at)
    assert sync["attempt"]["extra_seconds"] == 300 and sync["attempt"]["ends_at"] == sync["ends_at"]
    assert 0 < sync["remaining_seconds"] - 300 <= 3600
    assert (await live.teacher.recv_type("time_extended")) == extended
    assert await live.b.nothing(), "a student never hears another student's time_extended"
    assert await live.teacher.nothing()


async def test_extra_time_for_the_class_gives_each_student_their_own_deadline(live, db_call):
    await db_call(services.attempt_extend, attempt=live.attempt_a, seconds=300, by=live.by)
    await live.a.until("state_sync_response")
    await live.teacher.until("time_extended")
    await db_call(services.session_extend, session=live.session, seconds=600, by=live.by)
    session = await db_call(Session.objects.get, pk=live.session.pk)
    for socket, attempt in ((live.a, live.attempt_a), (live.b, live.attempt_b)):
        extended = await socket.recv_type("time_extended")
        assert (extended["student_id"], extended["attempt_id"], extended["seconds"]) == (None, None, 600)
        assert extended["ends_at"] == iso(session.ends_at)
        sync = await socket.recv_type("state_sync_response")
        assert sync["ends_at"] == iso((await stored_attempt(db_call, attempt)).ends_at)
    assert (await live.teacher.recv_type("time_extended"))["student_id"] is None
    extra = [(await stored_attempt(db_call, x)).ends_at - session.ends_at for x in (live.attempt_a, live.attempt_b)]
    assert extra == [timedelta(seconds=300), timedelta(0)], "each keeps its own extra time"


async def test_finish_sends_the_student_their_submitted_attempt(live, db_call):
    await db_call(services.attempt_finish, attempt=live.attempt_a, by=live.by)
    sync = await live.a.recv_type("state_sync_response")
    assert sync["attempt"]["status"] == "SUBMITTED" and sync["remaining_seconds"] == 0
    submitted = await live.teacher.recv_type("attempt_submitted")
    assert (submitted["attempt_id"], submitted["reason"]) == (live.attempt_a.pk, "TEACHER")
    await live.a.send("answer_submitted", {"question_id": live.question.pk, "answer": "B"}, "late")
    assert (await live.a.recv_type("error"))["code"] == "attempt_closed"
    assert await live.b.nothing()


async def test_reopen_lets_the_student_back_in_with_their_own_deadline(live, db_call):
    await live.a.send("submit_attempt", {}, "done")
    await live.a.recv_type("ack")
    await live.teacher.until("real_time_stats")
    await db_call(services.attempt_reopen, attempt=live.attempt_a, seconds=120, by=live.by)
    reopened = await live.a.recv_type("attempt_reopened")
    assert (reopened["student_id"], reopened["attempt_id"]) == (live.students[0].pk, live.attempt_a.pk)
    sync = await live.a.recv_type("state_sync_response")
    assert sync["attempt"]["status"] == "IN_PROGRESS" and sync["attempt"]["score"] is None
    assert sync["ends_at"] == reopened["ends_at"] and 119 <= sync["remaining_seconds"] <= 120
    assert (await live.teacher.recv_type("attempt_reopened")) == reopened
    assert (await live.teacher.recv_type("real_time_stats"))["submitted"] == 0
    assert await live.b.nothing(), "another student hears nothing of it"
    await live.a.send("answer_submitted", {"question_id": live.question.pk, "answer": "TRUE"}, "again")
    assert (await live.a.recv_type("ack"))["event_id"] == "again"


async def test_messages_reach_the_students_addressed(live, db_call):
    await db_call(services.session_message, session=live.session, text="To you", by=live.by,
                  student_id=live.students[1].pk)  # fmt: skip
    personal = await live.b.recv_type("teacher_message")
    assert (personal["text"], personal["student_id"]) == ("To you", live.students[1].pk)
    assert (await live.teacher.recv_type("teacher_message")) == personal
    assert await live.a.nothing(), "a student never hears another student's teacher_message"
    await db_call(services.session_message, session=live.session, text="To all", by=live.by)
    for socket in (live.a, live.b, live.teacher):
        message = await socket.recv_type("teacher_message")
        assert (message["text"], message["student_id"]) == ("To all", None)


async def test_reviews_and_socket_counts_reach_teachers_only(live, ws, db_call):
    await db_call(attempt_record_violation, attempt=live.attempt_a)
    await live.teacher.until("real_time_stats")
    violation = await db_call(live.attempt_a.violations.get)
    await db_call(services.violation_review, attempt=live.attempt_a, violation_id=violation.pk, verdict="DISMISSED",
                  by=live.by, note="I asked them to")  # fmt: skip
    reviewed = await live.teacher.recv_type("violation_reviewed")
    assert (reviewed["violation_id"], reviewed["verdict"]) == (violation.pk, "DISMISSED")
    second_tab = await ws(live.session.pk, user=live.students[0])
    await second_tab.recv_type("connected")
    await second_tab.recv_type("state_sync_response")
    assert (await live.teacher.recv_type("participant_connections"))["connections"] == 2
    await second_tab.close()
    assert (await live.teacher.recv_type("participant_connections"))["connections"] == 1
    for socket in (live.a, live.b):
        assert await socket.nothing(), "no student hears violation_reviewed or participant_connections"


async def test_the_clock_closes_one_attempt_at_its_deadline_and_the_session_with_the_last(live, settings, db_call):
    settings.SESSION_GRACE_SECONDS = 0
    await db_call(services.attempt_extend, attempt=live.attempt_a, seconds=600, by=live.by)
    await live.a.until("state_sync_response")
    await live.teacher.until("time_extended")
    await db_call(move_deadlines, live.session, ends_at=timezone.now() - timedelta(seconds=1))

    assert await db_call(tick) == []
    sync = await live.b.recv_type("state_sync_response")
    assert sync["status"] == "IN_PROGRESS" and sync["attempt"]["status"] == "SUBMITTED"
    submitted = await live.teacher.recv_type("attempt_submitted")
    assert (submitted["attempt_id"], submitted["reason"]) == (live.attempt_b.pk, "TIME_UP")
    assert await live.a.nothing(), "the student with extra time goes on"
    await live.a.send("answer_submitted", {"question_id": live.question.pk, "answer": "TRUE"}, "still")
    assert (await live.a.recv_type("ack"))["event_id"] == "still"

    await db_call(Attempt.objects.filter(pk=live.attempt_a.pk).update, ends_at=timezone.now() - timedelta(seconds=1))
    assert await db_call(tick) == [live.session.pk]
    for socket in (live.a, live.b):
        assert (await socket.recv_type("session_completed"))["reason"] == "TIME_UP"
    attempt = await stored_attempt(db_call, live.attempt_a)
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.score == 1


async def test_a_closed_socket_counts_offline_time_until_the_student_is_back(live, ws, db_call):
    await live.b.close()
    await live.teacher.until("participant_disconnected")
    away = await stored_attempt(db_call, live.attempt_b)
    assert away.offline_since is not None
    await db_call(Attempt.objects.filter(pk=away.pk).update, offline_since=F("offline_since") - timedelta(seconds=20))
    back = await ws(live.session.pk, user=live.students[1])
    await back.recv_type("connected")
    sync = await back.recv_type("state_sync_response")
    assert 20 <= sync["attempt"]["offline_seconds"] <= 21
    stored = await stored_attempt(db_call, live.attempt_b)
    assert stored.offline_since is None and stored.offline_seconds == sync["attempt"]["offline_seconds"]
    log = await db_call(list, AttemptEvent.objects.filter(attempt=stored).values_list("type", flat=True))
    assert log[-2:] == ["disconnected", "connected"]
