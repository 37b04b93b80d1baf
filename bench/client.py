"""The load client: asyncio connections on the `websockets` library, an open-loop event generator, and the
bookkeeping that turns receipts into latencies, losses and duplicates.

Every timestamp is `time.perf_counter()` of this one process, so a send time written into an event
can be compared with the moment the teacher's connection reads the matching message.
"""

import asyncio
import contextlib
import json
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus


def origin_of(url: str) -> str:
    """The Origin a page served by that server sends: its own scheme, host and port (the contract's rule)."""
    parts = urlsplit(url)
    return f"{'https' if parts.scheme == 'wss' else 'http'}://{parts.netloc}"


OPEN: set = set()  # every connection not yet closed, so a failed scenario can clean up after itself


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(values_ms: list[float]) -> dict:
    return {
        "n": len(values_ms),
        "p50": _round(percentile(values_ms, 50)),
        "p95": _round(percentile(values_ms, 95)),
        "p99": _round(percentile(values_ms, 99)),
        "max": _round(max(values_ms) if values_ms else None),
    }


def _round(value):
    return None if value is None else round(value, 2)


# ------------------------------------------------------------------------------------------ processes


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used by the server processes and by this client between start() and stop(), as % of one core."""

    def __init__(self, pids: list[int]):
        self.pids = pids

    def start(self):
        self.t0 = time.perf_counter()
        self.server0 = sum(cpu_seconds(p) for p in self.pids)
        self.client0 = time.process_time()
        return self

    def stop(self) -> dict:
        elapsed = time.perf_counter() - self.t0
        server = sum(cpu_seconds(p) for p in self.pids) - self.server0
        client = time.process_time() - self.client0
        return {"server_cpu_pct": round(100 * server / elapsed, 1), "client_cpu_pct": round(100 * client / elapsed, 1)}


async def wait_quiet(pids: list[int], *, idle_pct: float = 3.0, hold: float = 1.0, limit: float = 60.0) -> float:
    """Wait until the servers use less than idle_pct of a core for `hold` seconds (a backlog has drained)."""
    started = time.perf_counter()
    quiet_since = None
    last = sum(cpu_seconds(p) for p in pids)
    while time.perf_counter() - started < limit:
        await asyncio.sleep(0.25)
        now = sum(cpu_seconds(p) for p in pids)
        busy = 100 * (now - last) / 0.25
        last = now
        if busy < idle_pct:
            quiet_since = quiet_since or time.perf_counter()
            if time.perf_counter() - quiet_since >= hold:
                break
        else:
            quiet_since = None
    return time.perf_counter() - started


# ------------------------------------------------------------------------------------------ connections


class Conn:
    """One WebSocket of one user. `on_message(conn, message, t)` sees every message as it is read."""

    def __init__(self, *, url: str, user_id: int, role: str, session_id: int, attempt_id=None):
        self.url = url
        self.user_id = user_id
        self.role = role
        self.session_id = session_id
        self.attempt_id = attempt_id
        self.ws = None
        self.reader = None
        self.on_message = None
        self.first: dict[str, float] = {}  # message type → when it first arrived (since the last reset)
        self.counts: Counter = Counter()
        self.waiters: dict[str, list[asyncio.Future]] = defaultdict(list)
        self.error: str | None = None
        self.closed = False
        self.open_ms: float | None = None  # the last handshake's duration

    async def open(self, timeout: float = 15.0) -> bool:
        self.closed = False
        self.error = None
        started = time.perf_counter()
        try:
            self.ws = await connect(
                self.url, origin=origin_of(self.url), compression=None, ping_interval=None, open_timeout=timeout,
                close_timeout=2, max_size=2**22, max_queue=None,
            )  # fmt: skip
        except InvalidStatus as exc:
            self.error = f"http {exc.response.status_code}"
            return False
        except InvalidHandshake as exc:  # e.g. the server dropped the socket before answering (handshake timeout)
            self.error = type(exc).__name__
            return False
        except (OSError, TimeoutError) as exc:
            self.error = type(exc).__name__
            return False
        self.open_ms = (time.perf_counter() - started) * 1000
        OPEN.add(self)
        self.reader = asyncio.create_task(self._read())
        return True

    async def _read(self):
        try:
            async for raw in self.ws:
                t = time.perf_counter()
                message = json.loads(raw)
                kind = message.get("type")
                self.counts[kind] += 1
                if kind not in self.first:
                    self.first[kind] = t
                    for waiter in self.waiters.pop(kind, ()):
                        if not waiter.done():
                            waiter.set_result(t)
                if self.on_message is not None:
                    self.on_message(self, message, t)
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            OPEN.discard(self)

    def reset(self, *kinds: str) -> None:
        for kind in kinds or list(self.first):
            self.first.pop(kind, None)

    async def expect(self, kind: str, timeout: float = 10.0) -> float | None:
        """When the first `kind` arrived (since the last reset), waiting up to `timeout`; None if it never did."""
        if kind in self.first:
            return self.first[kind]
        waiter = asyncio.get_running_loop().create_future()
        self.waiters[kind].append(waiter)
        try:
            return await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return None

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):  # closing a socket that is already dead
                await self.ws.close()
        if self.reader is not None:
            try:
                await asyncio.wait_for(self.reader, 5)
            except (TimeoutError, asyncio.CancelledError):
                self.reader.cancel()

    def drop(self) -> None:
        """Lose the connection as a network does: the socket goes away without a closing handshake."""
        if self.ws is not None and self.ws.transport is not None:
            self.ws.transport.abort()


async def open_all(conns: list[Conn], *, concurrency: int = 16, expect: str | None = "connected") -> list[Conn]:
    """Open every connection, `concurrency` handshakes at a time; returns those that failed."""
    gate = asyncio.Semaphore(concurrency)
    failed = []

    async def one(conn: Conn):
        async with gate:
            if not await conn.open():
                failed.append(conn)
                return
            if expect and await conn.expect(expect, 30) is None:
                conn.error = f"no {expect}"
                failed.append(conn)

    await asyncio.gather(*(one(c) for c in conns))
    return failed


async def close_all(conns: list[Conn], *, concurrency: int = 256) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(conn: Conn):
        async with gate:
            await conn.close()

    await asyncio.gather(*(one(c) for c in conns))


# ------------------------------------------------------------------------------------------ open-loop load


@dataclass
class LoadResult:
    rate: float
    duration: float
    sent: int = 0
    delivered: int = 0  # distinct events the teacher received
    duplicates: int = 0
    acked: int = 0
    ack_duplicates: int = 0
    errors: Counter = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    send_lag_ms: float = 0.0  # how far the generator fell behind its schedule at worst
    drain_s: float = 0.0
    cpu: dict = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.sent - self.delivered

    def as_dict(self) -> dict:
        return {
            "rate": self.rate, "duration_s": self.duration, "sent": self.sent, "delivered": self.delivered,
            "lost": self.lost, "duplicates": self.duplicates, "acked": self.acked, "ack_lost": self.sent - self.acked,
            "ack_duplicates": self.ack_duplicates, "errors": dict(self.errors),
            "latency_ms": summary(self.latencies_ms), "ack_ms": summary(self.ack_ms),
            "send_lag_ms": round(self.send_lag_ms, 1), "drain_s": round(self.drain_s, 2),
            "achieved_per_s": round(self.delivered / self.duration, 1) if self.duration else 0.0, **self.cpu,
        }  # fmt: skip


class Sequence:
    """Event numbers unique for the whole run, so no two events of one attempt share an event_id."""

    def __init__(self):
        self.value = 0

    def next(self) -> int:
        self.value += 1
        return self.value


async def paced(*, rate: float, total: int, start: float, lag):
    """Yield (n, its scheduled time) for events 0..total-1 at `rate` a second from `start`, whatever the caller
    does with them (open loop): a late caller gets the overdue ones at once, and `lag.send_lag_ms` keeps the
    worst lateness seen."""
    sent = 0
    while sent < total:
        now = time.perf_counter()
        due = min(total, int((now - start) * rate) + 1)
        if due - 1 > sent:
            lag.send_lag_ms = max(lag.send_lag_ms, (now - (start + sent / rate)) * 1000)
        while sent < due:
            yield sent, start + sent / rate
            sent += 1
        delay = start + sent / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)


async def open_loop(
    students: list[Conn], teachers: list[Conn], *, rate: float, duration: float, question_ids: list[int],
    seq: Sequence, cpu: CpuMeter | None = None, drain_limit: float = 20.0,
) -> LoadResult:  # fmt: skip
    """Students send `answer_submitted` at a fixed total rate (round robin), whatever the server does.

    Each event carries its sequence number and its scheduled send time (in the answer text, and the
    sequence number in event_id); the teacher's receipt of the matching `answer_submitted` gives its latency.
    """
    result = LoadResult(rate=rate, duration=duration)
    scheduled: dict[int, float] = {}
    received: Counter = Counter()
    acks: Counter = Counter()
    first_seq = seq.value + 1

    def on_teacher(conn, message, t):
        if message.get("type") == "answer_submitted":
            number, _, stamp = message.get("answer", "").partition(":")
            if number.isdigit() and int(number) >= first_seq:
                number = int(number)
                received[number] += 1
                if received[number] == 1:
                    result.latencies_ms.append((t - int(stamp) / 1e9) * 1000)

    def on_student(conn, message, t):
        kind = message.get("type")
        if kind == "ack":
            event_id = message.get("event_id") or ""
            if event_id.startswith("e"):
                number = int(event_id[1:])
                if number in scheduled:
                    acks[number] += 1
                    if acks[number] == 1:
                        result.ack_ms.append((t - scheduled[number]) * 1000)
        elif kind == "error":
            result.errors[message.get("code")] += 1

    for teacher in teachers:
        teacher.on_message = on_teacher
    for student in students:
        student.on_message = on_student
    if cpu:
        cpu.start()
    total = int(rate * duration)
    start = time.perf_counter() + 0.02
    async for sent, at in paced(rate=rate, total=total, start=start, lag=result):
        student = students[sent % len(students)]
        number = seq.next()
        scheduled[number] = at
        question = question_ids[number % len(question_ids)]
        payload = json.dumps(
            {"type": "answer_submitted", "event_id": f"e{number}",
             "data": {"question_id": question, "answer": f"{number}:{int(at * 1e9)}"}}
        )  # fmt: skip
        try:
            await student.ws.send(payload)
        except ConnectionClosed:
            result.errors["connection_closed"] += 1
    result.sent = total
    # Drain: wait for every event (or for progress to stop), so a backlog shows as latency, not loss.
    drain_started = time.perf_counter()
    last_progress, last_count = drain_started, -1
    while time.perf_counter() - drain_started < drain_limit:
        count = len(received) + len(acks)
        if len(received) >= sent and len(acks) >= sent:
            break
        if count != last_count:
            last_count, last_progress = count, time.perf_counter()
        elif time.perf_counter() - last_progress > 3.0:
            break
        await asyncio.sleep(0.05)
    result.drain_s = time.perf_counter() - drain_started
    if cpu:
        result.cpu = cpu.stop()
    result.delivered = len(received)
    result.duplicates = sum(received.values()) - len(received)
    result.acked = len(acks)
    result.ack_duplicates = sum(acks.values()) - len(acks)
    for conn in (*teachers, *students):
        conn.on_message = None
    return result
