"""Fixtures shared by the whole suite: users, papers, classes, sessions, and real daphne servers."""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

BASE_DIR = Path(__file__).resolve().parent
PASSWORD = "pass-12345"
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: pytest-playwright keeps an event loop open that upsets async tests after it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"browser tests skipped: {CHROMIUM} not found (apt-get install chromium)")
        for item in items:
            if item.get_closest_marker("browser"):
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if not Path(CHROMIUM).exists():
        terminalreporter.write_line(
            f"NOTE: browser tests were skipped because {CHROMIUM} is missing (apt-get install chromium)."
        )


# ---------------------------------------------------------------- domain factories


@pytest.fixture
def make_user(db):
    from accounts.models import Role
    from accounts.services import user_create

    counter = {"n": 0}

    def make(role=Role.STUDENT, username=None, **fields):
        counter["n"] += 1
        username = username or f"{role.lower()}{counter['n']}"
        return user_create(username=username, password=PASSWORD, role=role, **fields)

    return make


@pytest.fixture
def teacher(make_user):
    return make_user("TEACHER", username="teacher", first_name="Tess", last_name="Teacher")


@pytest.fixture
def admin_user(make_user):
    return make_user("ADMIN", username="admin")


@pytest.fixture
def students(make_user):
    return [make_user("STUDENT", username=f"student{i}", first_name="Stu", last_name=f"Dent{i}") for i in range(1, 4)]


def paper_data(*, passages=2, per_passage=2, module="ACADEMIC_READING", minutes=60):
    """A small paper: every question type appears, numbered 1..N across passages."""
    types = ["TRUE_FALSE_NOT_GIVEN", "MULTIPLE_CHOICE", "SENTENCE_COMPLETION", "SHORT_ANSWER", "MATCHING",
             "YES_NO_NOT_GIVEN"]  # fmt: skip
    number = 0
    content = []
    for p in range(passages):
        questions = []
        for _ in range(per_passage):
            number += 1
            qtype = types[(number - 1) % len(types)]
            completion = qtype in ("SENTENCE_COMPLETION", "SHORT_ANSWER")
            questions.append(
                {
                    "number": number,
                    "type": qtype,
                    "prompt": f"Question {number}",
                    "options": ["A  first", "B  second", "C  third"]
                    if qtype in ("MULTIPLE_CHOICE", "MATCHING")
                    else [],
                    "answers": ["red wool", "wool"] if completion else ["TRUE" if "NOT_GIVEN" in qtype else "B"],
                    "word_limit": 2 if completion else None,
                }
            )
        content.append(
            {"title": f"Passage {p + 1}", "text": f"Passage {p + 1}. The red wool trade grew quickly. " * 3,
             "questions": questions}
        )  # fmt: skip
    return {"title": "Academic Reading 1", "module": module, "time_limit_minutes": minutes, "passages": content}


@pytest.fixture
def paper(db, teacher):
    from exams.services import test_create

    return test_create(**paper_data(), created_by=teacher)


@pytest.fixture
def school_class(db, teacher, students):
    from classes.services import class_create
    from sessions_app.services import class_enrol

    klass = class_create(name="Beacon 31", created_by=teacher)
    for student in students:
        class_enrol(school_class=klass, student=student)
    return klass


@pytest.fixture
def session(db, school_class, paper, teacher):
    from sessions_app.services import session_create

    return session_create(
        school_class=school_class, test=paper, title="Monday mock", scheduled_at=timezone.now() + timedelta(days=1),
        created_by=teacher,
    )  # fmt: skip


@pytest.fixture
def connect_student():
    """Mark a student connected as the WebSocket consumer would, through the same service."""
    from sessions_app.services import participant_connect, server_process_register

    server = {}

    def connect(session, student, channel_name=None):
        if "id" not in server:
            server["id"] = server_process_register(name="pytest")
        return participant_connect(
            session=session, student=student, channel_name=channel_name or f"test.{session.pk}.{student.pk}",
            server_id=server["id"],
        )  # fmt: skip

    return connect


@pytest.fixture
def running_session(session, students, connect_student):
    """A session in progress with the first two students connected (the third is absent)."""
    from sessions_app.services import session_open_waiting_room, session_start

    session_open_waiting_room(session=session)
    for student in students[:2]:
        connect_student(session, student)
    return session_start(session=session)


@pytest.fixture
def attempt_with_work(running_session, students, paper):
    """The first student's attempt in the running session with an answer, a highlight and a violation."""
    from attempts.services import attempt_answer, attempt_highlight, attempt_record_violation

    attempt = running_session.attempts.get(student=students[0])
    attempt_answer(attempt=attempt, question_id=paper.questions.get(number=1).pk, answer="TRUE", event_id="a1")
    passage = paper.passages.first()
    attempt_highlight(
        attempt=attempt, passage_id=passage.pk, text=passage.text[:7], position_start=0, position_end=7, event_id="h1"
    )
    attempt_record_violation(attempt=attempt, event_id="v1")
    return attempt


# ---------------------------------------------------------------- real daphne servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tests_database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


class DaphneServer:
    """A daphne process serving the test database, started and stopped like a real deployment."""

    def __init__(self, *, name: str, env: dict, log_dir: Path, args=()):
        self.name = name
        self.args = [str(arg) for arg in args]  # extra daphne options, e.g. ("--ping-interval", 1)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.env = env
        self.log_path = log_dir / f"daphne-{name}.log"
        self.process = None

    def start(self, timeout: float = 20.0) -> "DaphneServer":
        log = open(self.log_path, "ab")  # noqa: SIM115 — owned by the child process for its lifetime
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), *self.args,
             "ielts_site.asgi:application"],
            cwd=BASE_DIR, env={**self.env, "SERVER_NAME": self.name}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne {self.name} exited: see {self.log_path}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"daphne {self.name} did not answer in {timeout}s: see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: the process dies without any clean-up, as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def restart(self, timeout: float = 20.0) -> "DaphneServer":
        """A crash and a restart: SIGKILL, then the same name on the same port (as a supervisor would)."""
        self.kill()
        return self.start(timeout)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.poll() is None else None


@pytest.fixture
def daphne_servers(transactional_db, tmp_path, settings):
    """Start daphne processes on the test database: `start(name, **extra_env)` returns a running server."""
    started = []
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ielts_site.test_settings",
        "DATABASE_URL": tests_database_url(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),  # the files this test stores, the server serves
    }

    def start(name="web-1", daphne_args=(), **extra_env):
        server = DaphneServer(
            name=name, env={**env, **{k: str(v) for k, v in extra_env.items()}}, log_dir=tmp_path, args=daphne_args
        )
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
    logs_dir = os.environ.get("SERVER_LOG_DIR")
    if logs_dir:
        for server in started:
            if server.log_path.exists():
                shutil.copy(server.log_path, Path(logs_dir) / server.log_path.name)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }  # fmt: skip


# ---------------------------------------------------------------- what services publish


class GroupListener:
    """A real channel on the configured channel layer, subscribed to a session's group."""

    def __init__(self, group: str):
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer

        self._sync = async_to_sync
        self.layer = get_channel_layer()
        self.group = group
        # A plain channel name (no "!"): channels-redis then keeps no per-event-loop buffer for it.
        self.channel = f"listener.{uuid.uuid4().hex}"
        self._sync(self.layer.group_add)(group, self.channel)

    def messages(self, timeout: float = 0.3) -> list[dict]:
        """Everything delivered so far (the contract's flat messages), waiting `timeout` for stragglers."""
        import asyncio

        async def drain():
            received = []
            while True:
                try:
                    event = await asyncio.wait_for(self.layer.receive(self.channel), timeout)
                except TimeoutError:
                    return received
                received.append(event["message"])

        return self._sync(drain)()

    def types(self, timeout: float = 0.3) -> list[str]:
        return [m["type"] for m in self.messages(timeout)]

    def close(self):
        self._sync(self.layer.group_discard)(self.group, self.channel)


@pytest.fixture
def listen():
    """`listen(session_id, "teachers"|"everyone")` → a GroupListener on that group."""
    from realtime.events import session_group, teachers_group

    listeners = []

    def make(session_id, audience="teachers"):
        group = teachers_group(session_id) if audience == "teachers" else session_group(session_id)
        listener = GroupListener(group)
        listeners.append(listener)
        return listener

    yield make
    for listener in listeners:
        listener.close()


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded files (essays' charts) go to the test's own directory, never the checkout's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """A new channel-layer instance per test: channels-redis binds its locks to the event loop that first used
    them, and each test (and each async_to_sync call) runs its own loop."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
