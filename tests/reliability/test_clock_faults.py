"""The clock is the server's: a client whose clock is 10 minutes off changes no stored time, a student offline across
`ends_at` gets nothing accepted after the deadline, and no answer saved before it is lost at the auto-submit."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from attempts.models import Answer, Attempt, AttemptEvent, AttemptStatus, Highlight, Violation
from exams.models import Question
from tests.reliability.figures import figure, record
from tests.reliability.support import OutboxStudent, build_world, loopback_only, needs_postgresql, rest

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECONDS_PER_MINUTE, MINUTES, GRACE = 3, 3, 1.0  # a 9-second test, 1 s of grace
SKEW = timedelta(minutes=10)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_the_server_clock_decides(daphne_servers, make_user):
    needs_postgresql()
    loopback_only()
    world = build_world(make_user, students=4, minutes=MINUTES, passages=1, per_passage=6)
    keys = {q.pk: q.answers[0] for q in Question.objects.filter(pk__in=world.question_ids)}
    server = daphne_servers(
        "web-clock", IELTS_SECONDS_PER_MINUTE=SECONDS_PER_MINUTE, SESSION_GRACE_SECONDS=GRACE,
        SESSION_CLOCK_INTERVAL_SECONDS=0.2,
    )  # fmt: skip
    sid = world.session_id
    late = {"tried": 0, "accepted": 0}
    marks = {}

    async def scenario():
        skewed, offline, lingering, by_rest = (
            OutboxStudent(server, sid, token, label=name).start()
            for name, token in zip(("skewed", "offline", "lingering", "rest"), world.student_tokens, strict=True)
        )
        students = (skewed, offline, lingering, by_rest)
        await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in students)), 20)
        started = await rest(server, world.teacher_token, "POST", f"/api/v1/sessions/{sid}/start")
        ends_at = datetime.fromisoformat(started["ends_at"].replace("Z", "+00:00"))
        marks["ends_at"] = ends_at
        deadline = ends_at + timedelta(seconds=GRACE)
        while skewed.attempt_id is None or by_rest.attempt_id is None:
            await asyncio.sleep(0.05)

        # A client whose clock runs 10 minutes ahead (or behind) puts its own times everywhere it can.
        marks["window_start"] = datetime.now(UTC)
        for sign in (1, -1):
            wrong = _iso(datetime.now(UTC) + sign * SKEW)
            skewed.emit("answer_submitted", {"question_id": world.question_ids[0], "answer": "TRUE",
                                             "answered_at": wrong, "timestamp": wrong})  # fmt: skip
            skewed.emit("tab_violation", {"violation_type": "TAB_SWITCH", "timestamp": wrong})
            skewed.emit("text_highlighted", {"passage_id": world.passage_ids[0], "text": "red wool",
                                             "position_start": 15, "position_end": 23, "timestamp": wrong})  # fmt: skip
            for frame in list(skewed.outbox.values())[-3:]:
                frame.update(timestamp=wrong, server_now=wrong)  # in the envelope too
        await rest(server, world.student_tokens[3], "POST", f"/api/v1/attempts/{by_rest.attempt_id}/answers",
                   {"question_id": world.question_ids[1], "answer": "B", "answered_at": _iso(datetime.now(UTC) - SKEW),
                    "timestamp": _iso(datetime.now(UTC) - SKEW)})  # fmt: skip
        assert await skewed.drain(10)
        marks["window_end"] = datetime.now(UTC)

        # The offline student saves three right answers, then loses the network across ends_at.
        for question_id in world.question_ids[:3]:
            offline.emit("answer_submitted", {"question_id": question_id, "answer": keys[question_id]})
        assert await offline.drain(10)
        marks["saved"] = dict(offline.acked)
        offline.go_offline()
        for question_id in world.question_ids[3:5]:  # typed while offline: they can only arrive too late
            offline.emit("answer_submitted", {"question_id": question_id, "answer": keys[question_id]})

        # The server's clock ends the test with nobody asking.
        while True:
            session = await rest(server, world.teacher_token, "GET", f"/api/v1/sessions/{sid}")
            if session["status"] == "COMPLETED":
                break
            assert datetime.now(UTC) < deadline + timedelta(seconds=10), "the session clock never ended the test"
            await asyncio.sleep(0.1)
        marks["completed_after_deadline"] = (
            datetime.fromisoformat(session["completed_at"].replace("Z", "+00:00")) - deadline
        ).total_seconds()

        # After the deadline: a connected student sends, the offline one comes back and replays, one uses REST.
        before = len(lingering.acked)
        lingering.emit("answer_submitted", {"question_id": world.question_ids[0], "answer": "TRUE"})
        lingering.emit("submit_attempt")
        await asyncio.sleep(1.0)
        late["tried"] += 2
        late["accepted"] += len(lingering.acked) - before
        offline.go_online()
        await asyncio.sleep(1.5)
        late["tried"] += len(offline.outbox) if offline.refusals else 0  # the replay never got past the handshake
        late["accepted"] += len(offline.acked) - len(marks["saved"])
        marks["offline_refusals"] = offline.refusals
        for frame in list(offline.outbox.values()):
            late["tried"] += 1
            await rest(server, world.student_tokens[1], "POST", f"/api/v1/attempts/{offline.attempt_id}/answers",
                       frame["data"], expect=409)  # fmt: skip
        await rest(server, world.student_tokens[3], "POST", f"/api/v1/attempts/{by_rest.attempt_id}/answers",
                           {"question_id": world.question_ids[2], "answer": "late"}, expect=409)  # fmt: skip
        late["tried"] += 1
        marks["offline_attempt"] = offline.attempt_id
        marks["attempt_view"] = await rest(server, world.student_tokens[1], "GET",
                                           f"/api/v1/attempts/{offline.attempt_id}")  # fmt: skip
        for student in students:
            await student.stop()
        return skewed, offline

    skewed, offline = asyncio.run(scenario())

    # 1. No stored time came from the client: each lies inside the server's window, none 10 minutes away.
    window = (marks["window_start"] - timedelta(seconds=1), marks["window_end"] + timedelta(seconds=1))
    skewed_attempt = Attempt.objects.get(pk=skewed.attempt_id)
    stored_times = [
        *Answer.objects.filter(attempt__session_id=world.session_id, question_id__in=world.question_ids[:2])
        .values_list("answered_at", flat=True),
        *Violation.objects.filter(attempt=skewed_attempt).values_list("timestamp", flat=True),
        *Highlight.objects.filter(attempt=skewed_attempt).values_list("timestamp", flat=True),
        *AttemptEvent.objects.filter(attempt=skewed_attempt, event_id__isnull=False)
        .values_list("created_at", flat=True),
    ]  # fmt: skip
    client_times_used = sum(1 for t in stored_times if not window[0] <= t <= window[1])

    # 2. Nothing accepted after the deadline, nothing saved before it lost at the auto-submit.
    deadline = marks["ends_at"] + timedelta(seconds=GRACE)
    after_deadline = Answer.objects.filter(attempt__session_id=world.session_id, answered_at__gt=deadline).count()
    attempt = Attempt.objects.get(pk=marks["offline_attempt"])
    stored = dict(Answer.objects.filter(attempt=attempt).values_list("question_id", "answer"))
    saved_lost = sum(1 for q in world.question_ids[:3] if stored.get(q) != keys[q])
    auto_submit = AttemptEvent.objects.filter(attempt=attempt, type="attempt_submitted").values_list("data", flat=True)
    open_attempts = Attempt.objects.filter(session_id=world.session_id, status=AttemptStatus.IN_PROGRESS).count()
    view_answers = {a["question_id"] for a in marks["attempt_view"]["answers"]}
    record(
        "clock",
        title="Client clocks 10 minutes off; a student offline across ends_at (a 9 s paper, 1 s grace)",
        unit="late writes", tried=late["tried"], survived=late["tried"] - late["accepted"],
        lost=late["accepted"] + saved_lost,
        figures=[
            figure("stored times checked / taken from the client", f"{len(stored_times)} / {client_times_used}",
                   "0 from the client", client_times_used == 0),  # fmt: skip
            figure("writes tried after the deadline / accepted", f"{late['tried']} / {late['accepted']}", "0 accepted",
                   late["accepted"] == 0),  # fmt: skip
            figure("answers stored with answered_at after ends_at + grace", after_deadline, "0", after_deadline == 0),
            figure("saved answers lost at the auto-submit", saved_lost, "0", saved_lost == 0),
            figure("offline student's reconnects refused after the end (HTTP 403)", marks["offline_refusals"]),
            figure("auto-submit score of the offline student (3 right answers saved)", attempt.score, "3",
                   attempt.score == 3),  # fmt: skip
            figure("clock completed the session after ends_at + grace (s)",
                   round(marks["completed_after_deadline"], 2), "≤ 1 clock interval (0.2 s) + load"),  # fmt: skip
        ],
        notes="`survived` counts late writes refused; `lost` counts late writes accepted plus saved answers lost.",
    )  # fmt: skip
    assert len(stored_times) >= 8
    assert client_times_used == 0, "a stored time came from the client"
    assert late["accepted"] == 0 and after_deadline == 0
    assert attempt.status == AttemptStatus.SUBMITTED and open_attempts == 0
    assert saved_lost == 0 and attempt.score == 3
    assert [data["reason"] for data in auto_submit] == ["TIME_UP"]
    assert view_answers == set(world.question_ids[:3]), "the student sees exactly the answers saved before the end"
    assert marks["offline_refusals"] >= 1
