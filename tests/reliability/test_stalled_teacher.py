"""A teacher whose page stops reading (a frozen tab, a saturated school link) while 500 events arrive: the server's
memory stays bounded, no student event is lost, other teachers are not slowed, and the teacher resyncs."""

import asyncio
import random
import socket
import threading
import time

import pytest

from attempts.models import AttemptEvent
from tests.reliability.figures import figure, record
from tests.reliability.support import (
    LiveTeacher,
    OutboxStudent,
    build_world,
    loopback_only,
    needs_postgresql,
    raw_websocket,
    rest,
    rss_kib,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STUDENTS = 10
EVENTS_PER_STUDENT = 50
ANSWER_CHARS = 1500  # long answers make the stalled teacher's backlog easy to see
PING_INTERVAL, PING_TIMEOUT = 2, 3  # daphne drops a peer that answers no ping for this long


class RssSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[int] = []
        self.running = True

    def run(self):
        while self.running:
            try:
                self.samples.append(rss_kib(self.pid))
            except (OSError, RuntimeError):
                return
            time.sleep(0.05)


def test_a_stalled_teacher_costs_bounded_memory_and_loses_nothing(daphne_servers, make_user):
    needs_postgresql()
    loopback_only()
    rng = random.Random(3)
    world = build_world(make_user, students=STUDENTS)
    server = daphne_servers("web-stall", daphne_args=("--ping-interval", PING_INTERVAL, "--ping-timeout", PING_TIMEOUT))
    figures = {}

    async def scenario():
        students = [OutboxStudent(server, world.session_id, token, label=str(i)).start()
                    for i, token in enumerate(world.student_tokens)]  # fmt: skip
        await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in students)), 20)
        await rest(server, world.teacher_token, "POST", f"/api/v1/sessions/{world.session_id}/start")
        healthy = LiveTeacher(server, world.session_id, world.teacher_token).start()
        await asyncio.wait_for(healthy.ready.wait(), 10)
        stalled = await asyncio.to_thread(raw_websocket, server, world.session_id, world.teacher_token)
        await asyncio.sleep(0.5)
        sampler = RssSampler(server.pid)
        figures["rss_before"] = rss_kib(server.pid)
        sampler.start()
        started = time.monotonic()
        for round_ in range(EVENTS_PER_STUDENT):
            for student in students:
                if rng.random() < 0.9:
                    answer = f"{round_} " + "x" * ANSWER_CHARS
                    student.emit("answer_submitted", {"question_id": rng.choice(world.question_ids), "answer": answer})
                else:
                    student.emit("tab_violation", {"violation_type": "WINDOW_BLUR"})
            await asyncio.sleep(0.02)
        drained = await asyncio.gather(*(s.drain(30) for s in students))
        figures["events_seconds"] = time.monotonic() - started
        # The healthy teacher saw every event live while the other one was stalled.
        deadline = time.monotonic() + 10
        while healthy.view.events < STUDENTS * EVENTS_PER_STUDENT and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        figures["healthy_events"] = healthy.view.events
        figures["healthy_lag"] = (healthy.event_times[-1] - started) - figures["events_seconds"]
        figures["rss_loaded"] = rss_kib(server.pid)
        # daphne pings the stalled peer, hears nothing and drops it: its backlog is freed.
        dropped_after = None
        drop_deadline = time.monotonic() + PING_INTERVAL + PING_TIMEOUT + 10
        while time.monotonic() < drop_deadline:
            if tcp_closed(stalled):
                dropped_after = time.monotonic() - started - figures["events_seconds"]
                break
            await asyncio.sleep(0.2)
        figures["dropped_after"] = dropped_after
        await asyncio.sleep(1.0)
        figures["rss_after_drop"] = rss_kib(server.pid)
        sampler.running = False
        figures["rss_peak"] = max(sampler.samples)
        stalled.close()
        # The stalled teacher's page comes back: reconnect, GET stats (the resync), then live events.
        back = LiveTeacher(server, world.session_id, world.teacher_token).start()
        await asyncio.wait_for(back.ready.wait(), 10)
        truth = await rest(server, world.teacher_token, "GET", f"/api/v1/sessions/{world.session_id}/stats")
        for peer in (*students, healthy, back):
            await peer.stop()
        return students, drained, healthy, back, truth

    students, drained, healthy, back, truth = asyncio.run(scenario())

    created_ids = {event_id for s in students for event_id in s.created}
    acked_ids = {event_id for s in students for event_id in s.acked}
    stored = set(
        AttemptEvent.objects.filter(attempt__session_id=world.session_id, event_id__isnull=False).values_list(
            "event_id", flat=True
        )
    )
    lost = len(acked_ids - stored)
    growth_mib = (figures["rss_peak"] - figures["rss_before"]) / 1024
    backlog_kib = STUDENTS * EVENTS_PER_STUDENT * (ANSWER_CHARS + 250) / 1024
    record(
        "stalled_teacher",
        title=f"A teacher socket that reads nothing while {len(created_ids)} events arrive "
        f"({ANSWER_CHARS}-character answers)",
        tried=len(created_ids), survived=len(created_ids & stored), lost=lost,
        figures=[
            figure("student events lost", lost, "0", lost == 0),
            figure("daphne RSS before → peak → after the drop (MiB)",
                   f"{figures['rss_before'] / 1024:.1f} → {figures['rss_peak'] / 1024:.1f} → "
                   f"{figures['rss_after_drop'] / 1024:.1f}"),  # fmt: skip
            figure("RSS growth at peak (MiB)", round(growth_mib, 1), "bounded (≤ 64)", growth_mib <= 64),
            figure("the stalled teacher's backlog, estimated (KiB)", round(backlog_kib)),
            figure("stalled peer dropped by daphne's ping, after the flood (s)",
                   round(figures["dropped_after"], 1) if figures["dropped_after"] is not None else "not dropped",
                   f"≤ {PING_INTERVAL} + {PING_TIMEOUT} (ping interval + timeout)",
                   figures["dropped_after"] is not None),  # fmt: skip
            figure("flood: 500 events sent and acknowledged in (s)", round(figures["events_seconds"], 2)),
            figure("healthy teacher: live events received", f"{figures['healthy_events']} of {len(created_ids)}"),
            figure("healthy teacher: its last live event, relative to the last ack (s)",
                   round(figures["healthy_lag"], 2)),  # fmt: skip
            figure("teacher view ≠ database after the resync", len(back.view.differences(truth)), "0",
                   not back.view.differences(truth)),  # fmt: skip
        ],
        notes="daphne buffers a stalled peer's messages in memory until its ping times out (default 20 + 30 s; "
        f"this test runs daphne with --ping-interval {PING_INTERVAL} --ping-timeout {PING_TIMEOUT}).",
    )  # fmt: skip
    assert all(drained), [len(s.outbox) for s in students]
    assert lost == 0 and created_ids <= stored
    assert not back.view.differences(truth)
    assert not healthy.view.differences(truth), "a stalled teacher must not cost another teacher any event"
    assert growth_mib <= 64, f"daphne grew by {growth_mib:.1f} MiB"


def tcp_closed(sock: socket.socket) -> bool:
    """The server closed or reset the connection (Linux TCP_INFO state), found without reading a byte."""
    state = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]
    return state != 1  # 1 = ESTABLISHED; CLOSE_WAIT after a FIN, CLOSE after a reset
