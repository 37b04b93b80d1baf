"""A server process killed (SIGKILL) in the middle of a class test and restarted under the same name and port:
the students' outboxes replay what was not acknowledged, and nothing acknowledged is lost or applied twice."""

import asyncio
import os
import random
import time
from collections import Counter

import pytest
from django.utils import timezone

from attempts.models import Answer, AttemptEvent, Highlight, Violation
from tests.reliability.figures import figure, record
from tests.reliability.support import OutboxStudent, build_world, loopback_only, needs_postgresql, rest

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STUDENTS = 40
EMIT_SECONDS = 15.0
DRAIN_SECONDS = 20.0


def next_event(rng: random.Random, world, n: int) -> tuple[str, dict]:
    """One student action, drawn like a real test: mostly answers, some focus losses, highlights and flags."""
    roll = rng.random()
    if roll < 0.6:
        return "answer_submitted", {"question_id": rng.choice(world.question_ids), "answer": f"answer {n}"}
    if roll < 0.75:
        return "tab_violation", {"violation_type": rng.choice(["TAB_SWITCH", "WINDOW_BLUR"])}
    if roll < 0.85:
        start = rng.randrange(0, world.passage_lengths[0] - 10)
        return "text_highlighted", {"passage_id": world.passage_ids[0], "text": f"mark {n}",
                                    "position_start": start, "position_end": start + 5}  # fmt: skip
    if roll < 0.95:
        return "question_flagged", {"question_id": rng.choice(world.question_ids), "flagged": rng.random() < 0.7}
    return "progress_update", {"passage_index": rng.randrange(len(world.passage_ids)),
                               "question_index": rng.randrange(len(world.question_ids))}  # fmt: skip


def test_sigkill_mid_session_loses_no_acknowledged_event(daphne_servers, make_user):
    needs_postgresql()
    loopback_only()
    seed = int(os.environ.get("RELIABILITY_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    world = build_world(make_user, students=STUDENTS)
    server = daphne_servers("web-kill")
    kill_at = rng.uniform(5.0, 9.0)
    timings = {}
    in_flight = set()  # sent (or queued) and not yet acknowledged when the server died

    async def scenario():
        students = [OutboxStudent(server, world.session_id, token, label=str(i)).start()
                    for i, token in enumerate(world.student_tokens)]  # fmt: skip
        await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in students)), 30)
        await rest(server, world.teacher_token, "POST", f"/api/v1/sessions/{world.session_id}/start")

        async def work(student: OutboxStudent, index: int):
            counter = 0
            await asyncio.sleep(rng.uniform(0, 1))
            while time.monotonic() < timings["stop_emitting"]:
                counter += 1
                student.emit(*next_event(rng, world, index * 10_000 + counter))
                await asyncio.sleep(rng.uniform(0.7, 1.3))  # about one event a second

        timings["begin"] = time.monotonic()
        timings["stop_emitting"] = timings["begin"] + EMIT_SECONDS
        workers = [asyncio.create_task(work(s, i)) for i, s in enumerate(students)]
        await asyncio.sleep(kill_at)
        # The kill lands while the server is busy: every student has just sent an event.
        for index, student in enumerate(students):
            student.emit(*next_event(rng, world, 900_000 + index))
        await asyncio.sleep(rng.uniform(0.0, 0.05))
        in_flight.update(event_id for student in students for event_id in student.outbox)
        timings["killed"] = time.monotonic()
        timings["killed_at"] = timezone.now()
        server.kill()
        await asyncio.to_thread(server.start)
        timings["restarted"] = time.monotonic()
        await asyncio.gather(*workers)
        drained = await asyncio.gather(*(s.drain(DRAIN_SECONDS) for s in students))
        for student in students:
            await student.stop()
        return students, drained

    students, drained = asyncio.run(scenario())

    # What the database holds, per student.
    created = acked = persisted = lost = duplicated = resent = wrong_answers = 0
    for student in students:
        rows = list(AttemptEvent.objects.filter(attempt_id=student.attempt_id, event_id__isnull=False)
                    .values_list("event_id", "type"))  # fmt: skip
        stored = Counter(event_id for event_id, _ in rows)
        created += len(student.created)
        acked += len(student.acked)
        persisted += sum(1 for event_id in student.created if event_id in stored)
        lost += sum(1 for event_id in student.acked if event_id not in stored)
        duplicated += sum(n - 1 for n in stored.values())
        resent += sum(n - 1 for n in student.sends.values())
        # Rows an event creates: exactly one per distinct applied event, however often it was sent.
        kinds = Counter(kind for _, kind in rows)
        duplicated += max(0, Violation.objects.filter(attempt_id=student.attempt_id).count() - kinds["tab_violation"])
        duplicated += max(0, Highlight.objects.filter(attempt_id=student.attempt_id).count()
                          - kinds["text_highlighted"])  # fmt: skip
        # The last answer typed to each question is the one stored.
        last = {}
        for frame in student.created.values():
            if frame["type"] == "answer_submitted":
                last[frame["data"]["question_id"]] = frame["data"]["answer"]
        stored_answers = dict(Answer.objects.filter(attempt_id=student.attempt_id).values_list("question_id", "answer"))
        wrong_answers += sum(1 for q, a in last.items() if stored_answers.get(q) != a)

    applied_by_the_dead = AttemptEvent.objects.filter(
        event_id__in=in_flight, created_at__lt=timings["killed_at"]
    ).count()

    def after_kill(moments):
        seconds = [t - timings["killed"] for t in moments if t is not None]
        return round(max(seconds), 2) if len(seconds) == len(students) else None

    reconnected = after_kill(s.first_connect_since(timings["killed"]) for s in students)
    resume_all = after_kill(s.first_ack_since(timings["restarted"]) for s in students)
    restart_seconds = timings["restarted"] - timings["killed"]
    record(
        "server_killed",
        title=f"daphne SIGKILLed mid-session and restarted ({STUDENTS} students, ~1 event/s each)",
        tried=created, survived=persisted, lost=lost,
        figures=[
            figure("events created / acknowledged / persisted", f"{created} / {acked} / {persisted}"),
            figure("acknowledged events lost", lost, "0", lost == 0),
            figure("events applied twice", duplicated, "0", duplicated == 0),
            figure("events refused with an error", sum(len(s.errors) for s in students), "0"),
            figure("events in flight at the kill (sent or queued, not acknowledged)", len(in_flight)),
            figure("… of which the killed server had already stored (acknowledged after the restart, deduplicated)",
                   applied_by_the_dead),  # fmt: skip
            figure("frames resent after the restart (outbox replay)", resent),
            figure("stored answer ≠ last typed answer", wrong_answers, "0", wrong_answers == 0),
            figure("killed after (s)", round(kill_at, 1)),
            figure("restart until /healthz answers (s)", round(restart_seconds, 2)),
            figure("time to resume: kill → every student reconnected (s)", reconnected or "never", "≤ 10",
                   reconnected is not None and reconnected <= 10),  # fmt: skip
            figure("kill → every student's next event acknowledged (s)", resume_all or "never", "≤ 10",
                   resume_all is not None and resume_all <= 10),  # fmt: skip
            figure("seed", seed),
        ],
    )  # fmt: skip
    assert all(drained), f"outboxes not drained: {[len(s.outbox) for s in students]}"
    assert lost == 0, f"{lost} acknowledged events are not in the database"
    assert duplicated == 0, f"{duplicated} events applied twice"
    assert wrong_answers == 0
    assert persisted == created
    assert in_flight <= set().union(*(s.acked for s in students)), "every event in flight was acknowledged in the end"
    assert not [s.errors for s in students if s.errors]
    assert server.pid is not None
