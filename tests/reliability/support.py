"""What the fault tests share: a class to test, students with an outbox, a teacher who keeps a live view,
a private redis-server to restart, and the server's resident memory."""

import asyncio
import base64
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.utils import timezone
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from conftest import free_port, paper_data

JWT = re.compile(rb"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")


def needs_postgresql():
    """The fault tests model the deployment: several writers on one PostgreSQL, never SQLite."""
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        pytest.skip("fault tests run on PostgreSQL: set DATABASE_URL=postgres://...")


# ---------------------------------------------------------------- the class under test


@dataclass
class World:
    session_id: int
    teacher_token: str
    student_tokens: list[str]
    student_ids: list[int]
    question_ids: list[int]
    passage_ids: list[int]
    passage_lengths: list[int]


def token_for(user) -> str:
    from accounts.serializers import RoleRefreshToken

    return str(RoleRefreshToken.for_user(user).access_token)


def build_world(make_user, *, students: int, minutes: int = 60, passages: int = 4, per_passage: int = 10) -> World:
    """A teacher, `students` students in one class, a paper, and a session whose waiting room is open."""
    from classes.services import class_create
    from exams.services import test_create
    from sessions_app.services import class_enrol, session_create, session_open_waiting_room

    teacher = make_user("TEACHER", username="rel_teacher")
    pupils = [make_user("STUDENT", username=f"rel_student{i:02d}") for i in range(students)]
    paper = test_create(**paper_data(passages=passages, per_passage=per_passage, minutes=minutes), created_by=teacher)
    klass = class_create(name="Reliability", created_by=teacher)
    for pupil in pupils:
        class_enrol(school_class=klass, student=pupil)
    session = session_create(
        school_class=klass, test=paper, title="Fault drill", scheduled_at=timezone.now(), created_by=teacher
    )
    session_open_waiting_room(session=session)
    passages_qs = list(paper.passages.all())
    return World(
        session_id=session.pk,
        teacher_token=token_for(teacher),
        student_tokens=[token_for(p) for p in pupils],
        student_ids=[p.pk for p in pupils],
        question_ids=list(paper.questions.order_by("number").values_list("pk", flat=True)),
        passage_ids=[p.pk for p in passages_qs],
        passage_lengths=[len(p.text) for p in passages_qs],
    )


async def rest(server, token: str, method: str, path: str, body=None, expect: int | None = 200) -> dict:
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        response = await client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
    if expect is not None:
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text[:300]}"
    return response.json() if response.content else {}


class Supervised:
    """A client that keeps its connection in a task of its own (`_supervise`) until stopped."""

    _stopped = False
    _task = None

    def start(self):
        self._task = asyncio.create_task(self._supervise(), name=type(self).__name__)
        return self

    async def stop(self):
        self._stopped = True
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _supervise(self):
        raise NotImplementedError


# ---------------------------------------------------------------- a student with an outbox


class OutboxStudent(Supervised):
    """A student's browser as the contract wants it: every event goes to an outbox with its event_id and
    leaves it only when acknowledged; after a reconnect the whole outbox is sent again, in order."""

    def __init__(self, server, session_id: int, token: str, label: str = ""):
        self.server = server
        self.session_id = session_id
        self.token = token
        self.label = label
        self.outbox: dict[str, dict] = {}  # event_id → frame, in creation order
        self.created: dict[str, dict] = {}
        self.acked: dict[str, dict] = {}
        self.sends = Counter()  # event_id → frames sent
        self.errors: list[dict] = []
        self.rejected: dict[str, dict] = {}
        self.connects = 0
        self.connect_times: list[float] = []
        self.attempt_id = None
        self.first_ack_after: dict[float, float] = {}
        self.ack_times: list[float] = []
        self.connected = asyncio.Event()
        self._queue: asyncio.Queue | None = None
        self._offline = False
        self._ws = None
        self.refusals = 0  # handshakes the server refused (HTTP 403)

    # the life of the connection

    async def _supervise(self):
        while not self._stopped:
            if self._offline:
                await asyncio.sleep(0.05)
                continue
            url = f"{self.server.ws_url}/api/v1/sessions/{self.session_id}/ws?token={self.token}"
            try:
                async with connect(url, origin=self.server.url, open_timeout=5, ping_interval=None) as ws:
                    self._ws = ws
                    self.connects += 1
                    self.connect_times.append(time.monotonic())
                    # The whole outbox first, in order, then whatever is created from now on.
                    queue: asyncio.Queue = asyncio.Queue()
                    for event_id in self.outbox:
                        queue.put_nowait(event_id)
                    self._queue = queue
                    self.connected.set()
                    sender = asyncio.create_task(self._send_from(ws, queue))
                    try:
                        async for raw in ws:
                            self._on_message(json.loads(raw))
                    finally:
                        self._queue = None
                        self.connected.clear()
                        sender.cancel()
                        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                            await sender
            except InvalidStatus:
                self.refusals += 1
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
                pass
            self._ws = None
            if not self._stopped:
                await asyncio.sleep(0.2)

    def go_offline(self):
        """The network goes away: no close frame, the server just loses the TCP connection; no reconnect."""
        self._offline = True
        if self._ws is not None:
            self._ws.transport.abort()

    def go_online(self):
        self._offline = False

    async def _send_from(self, ws, queue: asyncio.Queue):
        while True:
            event_id = await queue.get()
            if event_id in self.outbox:
                self.sends[event_id] += 1
                await ws.send(json.dumps(self.outbox[event_id]))

    def _on_message(self, message: dict):
        kind = message.get("type")
        if kind == "ack":
            event_id = message.get("event_id")
            if event_id in self.outbox:
                self.outbox.pop(event_id)
                self.acked[event_id] = message
                self.ack_times.append(time.monotonic())
        elif kind == "error":
            self.errors.append(message)
            self.rejected[message.get("event_id")] = self.outbox.pop(message.get("event_id"), None)
        elif kind == "state_sync_response":
            self.attempt_id = message["attempt"]["id"]

    # the student's actions

    def emit(self, event_type: str, data: dict | None = None) -> str:
        event_id = uuid.uuid4().hex
        frame = {"type": event_type, "data": data or {}, "event_id": event_id}
        self.outbox[event_id] = frame
        self.created[event_id] = frame
        if self._queue is not None:
            self._queue.put_nowait(event_id)
        return event_id

    async def drain(self, timeout: float) -> bool:
        """Wait until the outbox is empty (everything acknowledged)."""
        deadline = time.monotonic() + timeout
        while self.outbox and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return not self.outbox

    def first_connect_since(self, moment: float) -> float | None:
        later = [t for t in self.connect_times if t > moment]
        return min(later) if later else None

    def first_ack_since(self, moment: float) -> float | None:
        later = [t for t in self.ack_times if t > moment]
        return min(later) if later else None


# ---------------------------------------------------------------- a teacher who keeps a live view


@dataclass
class TeacherView:
    """What the live page shows per student, built from `GET stats` and kept current by the WebSocket events."""

    answered: dict = field(default_factory=dict)
    violations: dict = field(default_factory=dict)
    events: int = 0

    def load(self, stats: dict):
        for row in stats["students"]:
            self.answered[row["student_id"]] = row["answered"]
            self.violations[row["student_id"]] = row["violations"]

    def apply(self, message: dict):
        kind = message.get("type")
        if kind == "answer_submitted":
            self.answered[message["student_id"]] = message["answered_count"]
            self.events += 1
        elif kind == "tab_violation":
            self.violations[message["student_id"]] = message["violations_count"]
            self.events += 1

    def differences(self, stats: dict) -> list[str]:
        out = []
        for row in stats["students"]:
            sid = row["student_id"]
            if self.answered.get(sid) != row["answered"]:
                out.append(f"student {sid}: answered {self.answered.get(sid)} shown, {row['answered']} stored")
            if self.violations.get(sid) != row["violations"]:
                out.append(f"student {sid}: violations {self.violations.get(sid)} shown, {row['violations']} stored")
        return out


class LiveTeacher(Supervised):
    """A teacher's live page: connect, then `GET stats` (the resync), then apply events; on any drop, again."""

    def __init__(self, server, session_id: int, token: str):
        self.server = server
        self.session_id = session_id
        self.token = token
        self.view = TeacherView()
        self.connects = 0
        self.resyncs = 0
        self.event_times: list[float] = []
        self.drops: list[float] = []
        self.ready = asyncio.Event()

    async def _supervise(self):
        while not self._stopped:
            url = f"{self.server.ws_url}/api/v1/sessions/{self.session_id}/ws?token={self.token}"
            try:
                async with connect(url, origin=self.server.url, open_timeout=5, ping_interval=None) as ws:
                    self.connects += 1
                    first = json.loads(await ws.recv())
                    assert first["type"] == "connected", first
                    # Subscribed first, then the resync: nothing can fall between the two.
                    self.view.load(
                        await rest(self.server, self.token, "GET", f"/api/v1/sessions/{self.session_id}/stats")
                    )
                    self.resyncs += 1
                    self.ready.set()
                    async for raw in ws:
                        message = json.loads(raw)
                        self.view.apply(message)
                        if message.get("type") in ("answer_submitted", "tab_violation"):
                            self.event_times.append(time.monotonic())
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError, AssertionError, httpx.HTTPError):
                pass
            self.ready.clear()
            self.drops.append(time.monotonic())
            if not self._stopped:
                await asyncio.sleep(0.2)

    def first_event_since(self, moment: float) -> float | None:
        later = [t for t in self.event_times if t > moment]
        return min(later) if later else None


# ---------------------------------------------------------------- a WebSocket by hand


def raw_websocket(server, session_id: int, token: str, rcvbuf: int = 4096) -> socket.socket:
    """A WebSocket opened by hand on a plain socket (small receive buffer): the caller decides what it reads."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (f"GET /api/v1/sessions/{session_id}/ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
         f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
         f"Origin: {server.url}\r\n\r\n").encode()
    )  # fmt: skip
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def server_frames(data: bytes):
    """(opcode, payload) of each complete unmasked frame the server sent."""
    frames, at = [], 0
    while at + 2 <= len(data):
        opcode, length, at_payload = data[at] & 0x0F, data[at + 1] & 0x7F, at + 2
        if length == 126:
            length, at_payload = int.from_bytes(data[at + 2 : at + 4], "big"), at + 4
        elif length == 127:
            length, at_payload = int.from_bytes(data[at + 2 : at + 10], "big"), at + 10
        if at_payload + length > len(data):
            break
        frames.append((opcode, data[at_payload : at_payload + length]))
        at = at_payload + length
    return frames


# ---------------------------------------------------------------- a private redis-server


class RedisServer:
    """A redis-server of the test's own on a free loopback port, never the machine's shared one."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = log_dir / f"redis-{self.port}.log"
        self.process = None

    def start(self, timeout: float = 10.0) -> "RedisServer":
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--logfile", str(self.log_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} did not answer: see {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


# ---------------------------------------------------------------- the server's memory and logs


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc/<pid>/status (VmRSS, in KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def jwts_in(paths) -> dict[Path, int]:
    """How many JWT-looking strings each log file holds."""
    found = {}
    for path in paths:
        path = Path(path)
        if path.exists():
            found[path] = len(JWT.findall(path.read_bytes()))
    return found


def loopback_only():
    """The fault tests talk to 127.0.0.1 only (REDIS_URL and DATABASE_URL must be local too)."""
    for name in ("DATABASE_URL", "REDIS_URL"):
        value = os.environ.get(name, "")
        if value and not re.search(r"@?(127\.0\.0\.1|localhost|\[::1\])[:/]", value) and "sqlite" not in value:
            pytest.skip(f"{name} is not on loopback")
