"""Redis restarted while events fan out to the teacher: students lose nothing (the database is the log), and the
teacher's live view resumes and, after its resync, equals the database. The test runs its own redis-server."""

import asyncio
import random
import shutil
import time

import pytest

from attempts.models import AttemptEvent
from tests.reliability.figures import figure, record
from tests.reliability.support import (
    LiveTeacher,
    OutboxStudent,
    RedisServer,
    build_world,
    loopback_only,
    needs_postgresql,
    rest,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STUDENTS = 10
EMIT_SECONDS = 12.0
REDIS_DOWN_AT = 4.0
REDIS_DOWN_FOR = 1.0


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    redis = RedisServer(tmp_path).start()
    yield redis
    redis.stop()


def test_redis_restart_during_fan_out(private_redis, daphne_servers, make_user):
    # private_redis first: it is torn down after the servers that use it.
    needs_postgresql()
    loopback_only()
    rng = random.Random(8)
    world = build_world(make_user, students=STUDENTS)
    server = daphne_servers("web-redis", REDIS_URL=private_redis.url)
    timings = {}

    async def scenario():
        teacher = LiveTeacher(server, world.session_id, world.teacher_token).start()
        await asyncio.wait_for(teacher.ready.wait(), 20)
        students = [OutboxStudent(server, world.session_id, token, label=str(i)).start()
                    for i, token in enumerate(world.student_tokens)]  # fmt: skip
        await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in students)), 20)
        await rest(server, world.teacher_token, "POST", f"/api/v1/sessions/{world.session_id}/start")

        async def work(student: OutboxStudent):
            n = 0
            while time.monotonic() < timings["stop_emitting"]:
                n += 1
                if rng.random() < 0.8:
                    student.emit("answer_submitted", {"question_id": rng.choice(world.question_ids), "answer": f"a{n}"})
                else:
                    student.emit("tab_violation", {"violation_type": "TAB_SWITCH"})
                await asyncio.sleep(rng.uniform(0.3, 0.7))  # about two events a second

        timings["stop_emitting"] = time.monotonic() + EMIT_SECONDS
        workers = [asyncio.create_task(work(s)) for s in students]
        await asyncio.sleep(REDIS_DOWN_AT)
        timings["down"] = time.monotonic()
        drops_before = len(teacher.drops)
        private_redis.stop()
        await asyncio.sleep(REDIS_DOWN_FOR)
        await asyncio.to_thread(private_redis.start)
        timings["up"] = time.monotonic()
        await asyncio.gather(*workers)
        drained = await asyncio.gather(*(s.drain(20) for s in students))
        # The teacher's page settles: connected and no event for a second.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            quiet = not teacher.event_times or time.monotonic() - teacher.event_times[-1] > 1.0
            if teacher.ready.is_set() and quiet:
                break
            await asyncio.sleep(0.1)
        truth = await rest(server, world.teacher_token, "GET", f"/api/v1/sessions/{world.session_id}/stats")
        teacher_dropped = len(teacher.drops) > drops_before
        for student in students:
            await student.stop()
        await teacher.stop()
        return teacher, students, drained, truth, teacher_dropped

    teacher, students, drained, truth, teacher_dropped = asyncio.run(scenario())
    crashes = server.log_path.read_text(errors="replace").count("Exception inside application")

    created = sum(len(s.created) for s in students)
    acked_ids = {event_id for s in students for event_id in s.acked}
    stored = set(
        AttemptEvent.objects.filter(attempt__session_id=world.session_id, event_id__isnull=False).values_list(
            "event_id", flat=True
        )
    )
    created_ids = {event_id for s in students for event_id in s.created}
    lost = len(acked_ids - stored)
    differences = teacher.view.differences(truth)
    first_event = teacher.first_event_since(timings["up"])
    resume = round(first_event - timings["down"], 2) if first_event else None
    student_resume = [s.first_ack_since(timings["up"]) for s in students]
    student_resume = (
        round(max(student_resume) - timings["down"], 2) if all(t is not None for t in student_resume) else None
    )
    record(
        "redis_restart",
        title=f"Redis killed and restarted during fan-out ({STUDENTS} students, ~2 events/s each, "
        f"{REDIS_DOWN_FOR:.0f} s down)",
        tried=created, survived=len(created_ids & stored), lost=lost,
        figures=[
            figure("acknowledged events lost", lost, "0", lost == 0),
            figure("teacher view ≠ database after the resync", len(differences), "0", not differences),
            figure("teacher connections / resyncs (GET stats)", f"{teacher.connects} / {teacher.resyncs}"),
            figure("teacher's connection dropped by the restart", "yes" if teacher_dropped else "no"),
            figure("teacher view resumes: Redis down → first live event (s)", resume or "never", "≤ 10",
                   resume is not None and resume <= 10),  # fmt: skip
            figure("students resume: Redis down → next event acknowledged (s)", student_resume or "never"),
            figure("student reconnects", sum(s.connects for s in students) - STUDENTS),
            figure("unhandled exceptions in the server log", crashes, "0", crashes == 0),
        ],
    )  # fmt: skip
    assert all(drained), [len(s.outbox) for s in students]
    assert lost == 0
    assert created_ids <= stored, "every student event is in the database"
    assert not differences, differences
    assert first_event is not None, "the teacher's live view never resumed after the Redis restart"
    assert crashes == 0, f"{crashes} connections ended in an unhandled exception: see {server.log_path}"
