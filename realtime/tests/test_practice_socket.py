"""A practice attempt's WebSocket (`/api/v1/attempts/{id}/ws`): the session socket's protocol with no session. Its
student alone sends events; staff of the class may watch; the clock submits the attempt at its deadline."""

from datetime import timedelta

import pytest
from django.utils import timezone

from attempts.models import Attempt
from attempts.practice import practice_attempt_start, practice_publish
from realtime.clock import tick
from realtime.tickets import ticket_issue
from tests.test_api_support import API, bearer_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def practice_attempt(school_class, paper, teacher, students):
    practice = practice_publish(school_class=school_class, test=paper, by=teacher)
    return practice_attempt_start(practice=practice, student=students[0])


@pytest.fixture
def attempt_socket(ws):
    """`await attempt_socket(attempt, user=...)` → the attempt's socket, opened with a token as a script would."""

    async def open_socket(attempt, **kwargs):
        return await ws(None, path=f"/api/v1/attempts/{attempt.pk}/ws", **kwargs)

    return open_socket


async def test_its_student_is_told_connected_then_the_attempt_s_state(attempt_socket, practice_attempt, students):
    socket = await attempt_socket(practice_attempt, user=students[0])
    assert socket.connected
    connected = await socket.recv_type("connected")
    assert connected["session_id"] is None and connected["user_id"] == students[0].pk
    sync = await socket.recv_type("state_sync_response")
    assert sync["session_id"] is None and sync["status"] == "IN_PROGRESS"
    assert (
        sync["attempt"]["id"] == practice_attempt.pk and sync["attempt"]["practice_id"] == practice_attempt.practice_id
    )
    assert 59 * 60 < sync["remaining_seconds"] <= 60 * 60


async def test_an_event_is_acked_and_watching_staff_hear_it(attempt_socket, practice_attempt, students, teacher, paper):
    watcher = await attempt_socket(practice_attempt, user=teacher)
    assert watcher.connected
    await watcher.recv_type("connected")
    assert await watcher.nothing()  # staff have no attempt to sync
    socket = await attempt_socket(practice_attempt, user=students[0])
    await socket.until("state_sync_response")
    question = await _question(paper, 1)
    await socket.send("answer_submitted", {"question_id": question, "answer": "TRUE"}, event_id="e1")
    ack = await socket.recv_type("ack")
    assert (ack["event_id"], ack["session_id"]) == ("e1", None)
    heard = await watcher.recv_type("answer_submitted")
    assert heard["session_id"] is None
    assert (heard["student_id"], heard["attempt_id"], heard["question_id"]) == (
        students[0].pk, practice_attempt.pk, question,
    )  # fmt: skip
    assert heard["answer"] == "TRUE" and heard["answered_count"] == 1
    await socket.send("answer_submitted", {"question_id": question, "answer": "TRUE"}, event_id="e1")
    assert (await socket.recv_type("ack"))["event_id"] == "e1"  # a resend: acked again, not heard again
    assert await watcher.nothing()
    await socket.send("heartbeat")
    pong = await socket.recv_type("pong")
    assert pong["session_id"] is None


async def test_a_bad_event_gets_an_error_and_the_socket_stays_open(attempt_socket, practice_attempt, students):
    socket = await attempt_socket(practice_attempt, user=students[0])
    await socket.until("state_sync_response")
    await socket.send("highlight_noted", {"highlight_id": 999, "note": "x"}, event_id="n1")
    error = await socket.recv_type("error")
    assert (error["code"], error["event_id"]) == ("unknown_highlight", "n1")
    assert await socket.still_open()


async def test_nobody_else_may_open_it(
    attempt_socket, ws, practice_attempt, students, make_user, running_session, db_call
):
    for user in (students[1], await db_call(make_user, "TEACHER")):
        socket = await attempt_socket(practice_attempt, user=user)
        assert not socket.connected
    assert not (await attempt_socket(practice_attempt)).connected  # no credential
    assert not (
        await attempt_socket(practice_attempt, user=students[0], origin=(b"origin", b"http://evil.test"))
    ).connected
    session_attempt = await db_call(Attempt.objects.get, session=running_session, student=students[0])
    assert not (
        await attempt_socket(session_attempt, user=students[0])
    ).connected  # a session's: its socket is the session's


async def test_a_ticket_opens_this_attempt_s_socket_once_and_no_session_s(
    attempt_socket, ws, practice_attempt, students, running_session, db_call
):
    response = await db_call(lambda: bearer_client(students[0]).post(f"{API}/attempts/{practice_attempt.pk}/ws-ticket"))
    assert response.status_code == 201
    ticket = response.json()["ticket"]
    assert (await attempt_socket(practice_attempt, ticket=ticket)).connected
    assert not (await attempt_socket(practice_attempt, ticket=ticket)).connected  # spent
    other = await db_call(ticket_issue, user_id=students[0].pk, attempt_id=practice_attempt.pk)
    assert not (await ws(running_session.pk, ticket=other)).connected
    for_session = await db_call(ticket_issue, user_id=students[0].pk, session_id=running_session.pk)
    assert not (await attempt_socket(practice_attempt, ticket=for_session)).connected


async def test_a_ticket_is_refused_for_another_student_s_attempt(practice_attempt, students, db_call):
    response = await db_call(lambda: bearer_client(students[1]).post(f"{API}/attempts/{practice_attempt.pk}/ws-ticket"))
    assert response.status_code == 404


async def test_at_its_deadline_the_clock_submits_it_and_both_sides_are_told(
    attempt_socket, practice_attempt, students, teacher, paper, db_call
):
    watcher = await attempt_socket(practice_attempt, user=teacher)
    await watcher.recv_type("connected")
    socket = await attempt_socket(practice_attempt, user=students[0])
    await socket.until("state_sync_response")
    past = timezone.now() - timedelta(seconds=10)
    await db_call(lambda: Attempt.objects.filter(pk=practice_attempt.pk).update(ends_at=past))
    await db_call(tick)
    submitted = await watcher.recv_type("attempt_submitted")
    assert (submitted["reason"], submitted["attempt_id"], submitted["score"]) == ("TIME_UP", practice_attempt.pk, 0)
    sync = await socket.recv_type("state_sync_response")
    assert sync["status"] == "SUBMITTED" and sync["attempt"]["status"] == "SUBMITTED"
    assert sync["remaining_seconds"] == 0
    assert sync["attempt"]["score"] == 0  # a practice shows its result at once
    await socket.send("answer_submitted", {"question_id": await _question(paper, 1), "answer": "x"}, event_id="late")
    late = await socket.recv_type("error")
    assert (late["code"], late["event_id"]) == ("attempt_closed", "late")


async def _question(paper, number) -> int:
    from channels.db import database_sync_to_async

    return await database_sync_to_async(lambda: paper.questions.get(number=number).pk)()
