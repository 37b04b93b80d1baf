"""Real daphne processes at the sizes a deployment meets: two deployments on one Redis, a burst of requests on a
small connection pool, and 500 students leaving at once, by closing or with their server process killed."""

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import httpx
import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from conftest import BASE_DIR, PASSWORD, paper_data
from conftest import tests_database_url as live_database_url  # (a "tests_..." name would be collected)
from tests.e2e.conftest import Api, Peer, two_processes_or_skip

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def postgresql_or_skip():
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        pytest.skip("these tests model the deployment on PostgreSQL: set DATABASE_URL=postgres://...")


def token_for(user) -> str:
    from accounts.serializers import RoleRefreshToken

    return str(RoleRefreshToken.for_user(user).access_token)


def server_log_problems(*servers) -> list[str]:
    """Tracebacks and deadlocks the servers logged (a server swallowing them would still be wrong)."""
    problems = []
    for server in servers:
        text = server.log_path.read_text(errors="replace")
        problems += [
            f"{server.name}: {line}" for line in text.splitlines() if "Traceback" in line or "deadlock" in line
        ]
    return problems


async def in_thread(fn, *args, **kwargs):
    """An ORM call in a worker thread (the event loop must not block), which then gives its connection back."""

    def call():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    return await asyncio.to_thread(call)


class Watcher:
    """A teacher's socket that keeps every message it gets, read in a task of its own."""

    def __init__(self, connection_):
        self.connection = connection_
        self.messages: list[dict] = []
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, server, session_id: int, token: str) -> "Watcher":
        url = f"{server.ws_url}/api/v1/sessions/{session_id}/ws?token={token}"
        ws = await connect(url, origin=server.url, open_timeout=10, ping_interval=None, max_queue=None)
        first = json.loads(await ws.recv())
        assert first["type"] == "connected" and first["role"] != "student", first
        return cls(ws)

    async def _read(self):
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.connection:
                self.messages.append(json.loads(raw))

    def of(self, message_type: str) -> list[dict]:
        return [m for m in self.messages if m["type"] == message_type]

    async def until(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.05)

    async def quiet(self, seconds: float = 1.0, timeout: float = 30):
        """Wait until nothing has arrived for `seconds`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = len(self.messages)
            await asyncio.sleep(seconds)
            if len(self.messages) == seen:
                return
        raise AssertionError("the teacher's socket never went quiet")

    async def close(self):
        await self.connection.close()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


# ---------------------------------------------------------------- two deployments on one Redis


def build_deployment(label: str, *, students: int, session_id: int | None = None) -> dict:
    """A teacher, a class of `students`, a paper and a session with its waiting room open, in the current database;
    with `session_id`, the session gets that id (so that two databases' sessions collide)."""
    from accounts.models import Role
    from accounts.services import user_create
    from classes.services import class_create
    from exams.services import test_create
    from sessions_app.services import class_enrol, session_create, session_open_waiting_room

    if session_id is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('sessions_app_session', 'id'), %s, false)", [session_id]
            )
    name = label.title()
    teacher = user_create(
        username=f"{label}-teacher", password=PASSWORD, role=Role.TEACHER, first_name=name, last_name="Teacher"
    )
    pupils = [
        user_create(username=f"{label}-{i}", password=PASSWORD, role=Role.STUDENT, first_name=name, last_name=str(i))
        for i in range(students)
    ]
    paper = test_create(**paper_data(), created_by=teacher)
    klass = class_create(name=f"{name} class", created_by=teacher)
    for pupil in pupils:
        class_enrol(school_class=klass, student=pupil)
    session = session_create(
        school_class=klass, test=paper, title=f"{name} mock", scheduled_at=timezone.now(), created_by=teacher
    )
    session_open_waiting_room(session=session)
    return {
        "label": label,
        "session_id": session.pk,
        "teacher": token_for(teacher),
        "students": [token_for(p) for p in pupils],
        "names": [p.display_name for p in pupils],
        "question_id": paper.questions.order_by("number").values_list("pk", flat=True).first(),
    }


@pytest.fixture
def second_database(transactional_db):
    """Another migrated PostgreSQL database beside the test database: `(url, build(label, ...))`. Ask for it before
    `daphne_servers`, so that the servers using it stop before it is dropped."""
    postgresql_or_skip()
    db = settings.DATABASES["default"]
    name = f"{db['NAME']}_other_{os.getpid()}"
    admin = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ielts_site.test_settings", "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)

    def build(label: str, **kwargs) -> dict:
        code = (
            "import django, json, sys; django.setup(); from tests.e2e.test_scale import build_deployment; "
            "print(json.dumps(build_deployment(**json.loads(sys.argv[1]))))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, json.dumps({"label": label, **kwargs})],
            cwd=BASE_DIR, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return json.loads(done.stdout.strip().splitlines()[-1])

    yield url, build
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("prefixes", ["own", "shared"])
async def test_two_deployments_on_one_redis_hear_only_their_own(prefixes, second_database, daphne_servers, opened):
    """Same Redis, same database number, two PostgreSQL databases whose sessions share an id. With each
    deployment's own (default) prefix, no message crosses; forced to one prefix, they do (the test can fail)."""
    two_processes_or_skip()
    other_url, build_other = second_database
    alpha = await in_thread(build_deployment, "alpha", students=3)
    bravo = await asyncio.to_thread(build_other, "bravo", students=3, session_id=alpha["session_id"])
    assert alpha["session_id"] == bravo["session_id"]
    prefix = f"ielts-shared-{uuid.uuid4().hex[:8]}" if prefixes == "shared" else ""  # "": the default prefix
    servers = {
        "alpha": daphne_servers("alpha", CHANNEL_LAYER_PREFIX=prefix),
        "bravo": daphne_servers("bravo", CHANNEL_LAYER_PREFIX=prefix, DATABASE_URL=other_url),
    }
    sid = alpha["session_id"]
    teachers = {}
    for world in (alpha, bravo):
        teachers[world["label"]] = opened(await Watcher.open(servers[world["label"]], sid, world["teacher"]))

    peers = {}
    for world in (alpha, bravo):
        server = servers[world["label"]]
        peers[world["label"]] = [
            opened(await Peer.open(server, sid, token=token, label=f"{world['label']}-{i}"))
            for i, token in enumerate(world["students"])
        ]
        staff = Api(server, f"{world['label']}-teacher")
        staff.client.headers["Authorization"] = f"Bearer {world['teacher']}"
        opened(staff)
        await staff.post(f"/api/v1/sessions/{sid}/start")
    for world in (alpha, bravo):
        for i, peer in enumerate(peers[world["label"]]):
            await peer.until("state_sync_response")
            await peer.send(
                "answer_submitted", {"question_id": world["question_id"], "answer": f"{world['label']} {i}"}
            )
            await peer.until("ack")
    for world in (alpha, bravo):
        await teachers[world["label"]].until(
            lambda w=world: len(teachers[w["label"]].of("answer_submitted")) >= 3, 15, "the own class's answers"
        )
        await teachers[world["label"]].quiet(1.0)

    heard = {}
    for label, watcher in teachers.items():
        heard[label] = {
            "joined": Counter(m["student_name"] for m in watcher.of("participant_joined")),
            "answers": Counter(m["answer"] for m in watcher.of("answer_submitted")),
        }
    for world in (alpha, bravo):
        label = world["label"]
        # Each teacher gets its own class's events, once each.
        assert {name: heard[label]["joined"][name] for name in world["names"]} == dict.fromkeys(world["names"], 1)
        assert {f"{label} {i}": heard[label]["answers"][f"{label} {i}"] for i in range(3)} == {
            f"{label} {i}": 1 for i in range(3)
        }
    crossed = {
        label: sorted(name for name in heard[label]["joined"] if not name.lower().startswith(label))
        + sorted(answer for answer in heard[label]["answers"] if not answer.startswith(label))
        for label in heard
    }
    if prefixes == "own":
        assert crossed == {"alpha": [], "bravo": []}
    else:  # one prefix on one Redis: each teacher hears the other deployment's session of the same id
        assert crossed["alpha"] and crossed["bravo"], crossed
    assert server_log_problems(*servers.values()) == []


# ---------------------------------------------------------------- a burst of requests on a small pool

POOL_MAX = 8


async def test_a_burst_of_requests_stays_within_the_connection_pool(daphne_servers, make_user):
    postgresql_or_skip()
    application = f"ielts-pool-{uuid.uuid4().hex[:8]}"
    server = daphne_servers(
        "pooled", DATABASE_URL=f"{live_database_url()}?application_name={application}",
        DATABASE_POOL_MAX=POOL_MAX, DATABASE_POOL_MIN=2,
    )  # fmt: skip
    user = await in_thread(make_user, "STUDENT", username="burst")
    token = await in_thread(token_for, user)
    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} dbname={db['NAME']}"
    count_sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s"

    def held(conn) -> int:
        return conn.execute(count_sql, (db["NAME"], application)).fetchone()[0]

    samples: list[int] = []
    stop = threading.Event()

    def sample():
        with psycopg.connect(dsn, autocommit=True) as conn:
            while not stop.is_set():
                samples.append(held(conn))
                time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        async with httpx.AsyncClient(
            base_url=server.url, timeout=60, limits=httpx.Limits(max_connections=None, max_keepalive_connections=0)
        ) as client:
            start = asyncio.Event()

            async def one(i: int) -> tuple[str, int]:
                await start.wait()
                if i % 2:
                    response = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
                    assert response.status_code != 200 or response.json()["username"] == "burst"
                    return "me", response.status_code
                return "healthz", (await client.get("/healthz")).status_code

            calls = [asyncio.create_task(one(i)) for i in range(200)]
            await asyncio.sleep(0.1)
            start.set()
            results = await asyncio.gather(*calls)
        await asyncio.sleep(0.5)
    finally:
        stop.set()
        sampler.join(10)
    with psycopg.connect(dsn, autocommit=True) as conn:
        after = held(conn)

    assert Counter(results) == {("me", 200): 100, ("healthz", 200): 100}
    assert samples and max(samples) >= 1, "the sampler sees the server's connections"
    assert max(samples) <= POOL_MAX, f"the server held {max(samples)} connections (pool max {POOL_MAX})"
    assert 1 <= after <= POOL_MAX
    assert server_log_problems(server) == []


# ---------------------------------------------------------------- 500 students leave at once

CLASSES, CLASS_SIZE = 5, 100


def build_classes(make_user) -> list[dict]:
    """One teacher, CLASSES classes of CLASS_SIZE students, and a session each with its waiting room open."""
    from accounts.models import Role, User
    from classes.models import Enrolment
    from classes.services import class_create
    from exams.services import test_create
    from sessions_app.services import session_create, session_open_waiting_room

    teacher = make_user("TEACHER", username="scale-teacher")
    paper = test_create(**paper_data(), created_by=teacher)
    worlds = []
    for c in range(CLASSES):
        pupils = User.objects.bulk_create(
            User(username=f"scale-{c}-{i}", role=Role.STUDENT, first_name=f"Class{c}", last_name=str(i))
            for i in range(CLASS_SIZE)
        )
        klass = class_create(name=f"Scale {c}", created_by=teacher)
        Enrolment.objects.bulk_create(Enrolment(school_class=klass, student=p) for p in pupils)
        session = session_create(
            school_class=klass, test=paper, title=f"Scale {c}", scheduled_at=timezone.now() + timedelta(hours=1),
            created_by=teacher,
        )  # fmt: skip
        session_open_waiting_room(session=session)
        worlds.append(
            {"session_id": session.pk, "student_ids": [p.pk for p in pupils], "tokens": [token_for(p) for p in pupils]}
        )
    for world in worlds:
        world["teacher"] = token_for(teacher)
    return worlds


async def open_students(server, worlds, at_once: int = 25) -> list:
    """Every student's socket, opened `at_once` at a time (as a class arriving, not one SYN flood)."""
    gate = asyncio.Semaphore(at_once)

    async def one(session_id, token):
        async with gate:
            url = f"{server.ws_url}/api/v1/sessions/{session_id}/ws?token={token}"
            ws = await connect(url, origin=server.url, open_timeout=30, ping_interval=None, close_timeout=30)
            assert json.loads(await ws.recv())["type"] == "connected"
            return ws

    return await asyncio.gather(*(one(w["session_id"], t) for w in worlds for t in w["tokens"]))


def statuses(worlds) -> Counter:
    from sessions_app.models import Participant

    ids = [w["session_id"] for w in worlds]
    return Counter(Participant.objects.filter(session_id__in=ids).values_list("connection_status", flat=True))


async def wait_all_disconnected(worlds, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while (shown := await in_thread(statuses, worlds)) != {"DISCONNECTED": CLASSES * CLASS_SIZE}:
        assert time.monotonic() < deadline, f"still shown after {timeout}s: {dict(shown)}"
        await asyncio.sleep(0.2)


async def assert_each_teacher_told_once(teachers, worlds, *, swept: bool = False):
    """Each teacher hears of each of its students' departure exactly once; a sweep clears a session in one go,
    so its teachers get one `real_time_stats` after the departures, counting nobody connected."""
    for watcher, world in zip(teachers, worlds, strict=True):
        await watcher.until(
            lambda w=watcher: len(w.of("participant_disconnected")) >= CLASS_SIZE, 30, "every student's departure"
        )
        await watcher.quiet(1.0)
        told = Counter(m["student_id"] for m in watcher.of("participant_disconnected"))
        assert told == dict.fromkeys(world["student_ids"], 1)
        if swept:
            first_gone = next(i for i, m in enumerate(watcher.messages) if m["type"] == "participant_disconnected")
            stats = [m for m in watcher.messages[first_gone:] if m["type"] == "real_time_stats"]
            assert [m["connected"] for m in stats] == [0]


async def open_class(server_for_students, server_for_teachers, worlds):
    teachers = [await Watcher.open(server_for_teachers, w["session_id"], w["teacher"]) for w in worlds]
    students = await open_students(server_for_students, worlds)
    for watcher in teachers:
        await watcher.until(lambda w=watcher: len(w.of("participant_joined")) >= CLASS_SIZE, 30, "every join")
    assert await in_thread(statuses, worlds) == {"CONNECTED": CLASSES * CLASS_SIZE}
    return teachers, students


@contextlib.asynccontextmanager
async def closed_at_the_end(teachers, students):
    """Whatever the test does, every socket it opened is closed after it."""
    try:
        yield
    finally:
        for socket in (*teachers, *students):
            with contextlib.suppress(Exception):
                await socket.close()


async def test_500_students_closing_at_once_are_all_disconnected_and_announced_once(daphne_servers, make_user):
    postgresql_or_skip()
    worlds = await in_thread(build_classes, make_user)
    server = daphne_servers("crowd")
    teachers, students = await open_class(server, server, worlds)
    async with closed_at_the_end(teachers, students):
        await asyncio.gather(*(ws.close() for ws in students))
        await wait_all_disconnected(worlds)
        await assert_each_teacher_told_once(teachers, worlds)
    assert server_log_problems(server) == []


async def test_500_students_of_a_killed_process_are_swept_by_the_survivor_and_announced_once(daphne_servers, make_user):
    postgresql_or_skip()
    two_processes_or_skip()
    quick = {"SERVER_HEARTBEAT_SECONDS": 0.5, "SERVER_DEAD_AFTER_SECONDS": 5}
    worlds = await in_thread(build_classes, make_user)
    survivor = daphne_servers("survivor", **quick)
    doomed = daphne_servers("doomed", **quick)
    teachers, students = await open_class(doomed, survivor, worlds)
    async with closed_at_the_end(teachers, students):
        doomed.kill()  # SIGKILL: no disconnect handler runs; only the survivor's sweep can clear them
        await wait_all_disconnected(worlds)
        await assert_each_teacher_told_once(teachers, worlds, swept=True)
    assert server_log_problems(survivor) == []


async def test_500_students_closing_as_their_process_stops_are_all_disconnected_and_announced_once(
    daphne_servers, make_user
):
    """The closing connections' own clean-up and the process's leave at shutdown (SIGTERM) clear the same students
    at the same time: neither may deadlock with the other, and each student is announced once."""
    postgresql_or_skip()
    two_processes_or_skip()
    calm = {"SERVER_DEAD_AFTER_SECONDS": 60}  # no sweep: only the closing connections and the leave can clear them
    worlds = await in_thread(build_classes, make_user)
    watching = daphne_servers("watching", **calm)
    leaving = daphne_servers("leaving", **calm)
    teachers, students = await open_class(leaving, watching, worlds)
    async with closed_at_the_end(teachers, students):
        closing = [asyncio.create_task(ws.close()) for ws in students]
        await asyncio.sleep(0.2)  # the server is busy clearing the first of them
        await asyncio.to_thread(leaving.stop)
        await asyncio.gather(*closing, return_exceptions=True)
        await wait_all_disconnected(worlds)
        await assert_each_teacher_told_once(teachers, worlds)
    assert server_log_problems(leaving, watching) == []
