"""The server's clock: a session ends by itself when its time is up, once, and nothing changes after."""

import asyncio

import pytest

from attempts.models import Attempt, AttemptStatus
from realtime.clock import clock, tick
from sessions_app.models import Session, SessionStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quick_paper(settings):
    """A 60-minute paper lasts 0.6 s; events in flight are accepted for 0.2 s more."""
    settings.IELTS_SECONDS_PER_MINUTE = 0.01
    settings.SESSION_GRACE_SECONDS = 0.2
    settings.SESSION_CLOCK_INTERVAL_SECONDS = 0.05


async def test_time_up_completes_the_session_once_and_marks_every_attempt(quick_paper, start_watched, session, db_call):
    watcher, (a, b) = await start_watched()
    question = await db_call(session.test.questions.first)
    await a.send("answer_submitted", {"question_id": question.pk, "answer": "TRUE"}, "t-1")
    await a.recv_type("ack")
    assert await db_call(tick) == [], "not before ends_at + grace"

    await asyncio.sleep(0.85)
    await a.send("answer_submitted", {"question_id": question.pk, "answer": "FALSE"}, "t-2")
    assert (await a.recv_type("error"))["code"] == "time_up", "after the grace nothing changes, clock or not"

    assert await db_call(tick) == [session.pk]
    assert await db_call(tick) == []
    for socket in (a, b):
        done = await socket.recv_type("session_completed")
        assert done["reason"] == "TIME_UP"
        assert (await socket.recv_type("session_status_changed"))["status"] == "COMPLETED"
        assert (await socket.recv())["type"] == "results_released"
        assert await socket.nothing(0.2), "session_completed is sent once"
    relayed = [m["type"] for m in await watcher.drain()]
    assert relayed.count("session_completed") == 1 and relayed.count("attempt_submitted") == 2

    stored = await db_call(Session.objects.get, pk=session.pk)
    assert stored.status == SessionStatus.COMPLETED and stored.completed_at >= stored.ends_at
    attempts = await db_call(list, Attempt.objects.filter(session=session).order_by("student__username"))
    assert [(x.status, x.score) for x in attempts] == [(AttemptStatus.SUBMITTED, 1), (AttemptStatus.SUBMITTED, 0)]
    await a.send("submit_attempt", {}, "t-3")
    assert (await a.recv_type("error"))["code"] == "already_submitted"


async def test_the_clock_runs_by_itself_once_a_connection_starts_it(
    quick_paper, settings, start_watched, session, db_call
):
    settings.SESSION_CLOCK_AUTOSTART = True
    try:
        watcher, (a, b) = await start_watched()
        assert clock.running
        for socket in (a, b):
            done = await socket.recv_type("session_completed", timeout=3)
            assert done["reason"] == "TIME_UP"
        stored = await db_call(Session.objects.get, pk=session.pk)
        assert stored.status == SessionStatus.COMPLETED
    finally:
        await clock.stop()


async def test_the_clock_does_not_start_inside_tests_unless_asked(ws, session, teacher):
    socket = await ws(session.pk, user=teacher)
    assert socket.connected and not clock.running
