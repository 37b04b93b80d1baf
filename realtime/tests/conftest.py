"""Consumer-test helpers: connect through the real ASGI stack (Origin check, auth, router) as a browser would."""

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from sessions_app.services import session_open_waiting_room, session_start

ORIGIN = (b"origin", b"http://localhost")


def access_token(user, *, expired=False) -> str:
    token = AccessToken.for_user(user)
    if expired:
        token.set_exp(from_time=timezone.now() - timedelta(hours=1))
    return str(token)


class Socket:
    """A WebsocketCommunicator with the contract's JSON envelope and a few patient receivers."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.communicator = communicator
        self.connected = False
        self.close_code = None

    async def send(self, message_type=None, data=None, event_id=None, **raw):
        message = {"type": message_type, **raw} if message_type else dict(raw)
        if data is not None:
            message["data"] = data
        if event_id is not None:
            message["event_id"] = event_id
        await self.communicator.send_to(text_data=json.dumps(message))

    async def send_raw(self, text=None, bytes_data=None):
        await self.communicator.send_to(text_data=text, bytes_data=bytes_data)

    async def recv(self, timeout: float = 2.0) -> dict:
        return await self.communicator.receive_json_from(timeout)

    async def recv_type(self, message_type: str, timeout: float = 2.0) -> dict:
        """The next message of this type; fails if another type comes first."""
        message = await self.recv(timeout)
        assert message["type"] == message_type, message
        return message

    async def until(self, message_type: str, timeout: float = 2.0) -> tuple[dict, list[dict]]:
        """Skip to the next message of this type; returns it and what came before it."""
        skipped = []
        while True:
            message = await self.recv(timeout)
            if message["type"] == message_type:
                return message, skipped
            skipped.append(message)

    async def drain(self, timeout: float = 0.3) -> list[dict]:
        messages = []
        while not await self.communicator.receive_nothing(timeout):
            messages.append(await self.recv())
        return messages

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout)

    async def still_open(self) -> bool:
        """The connection answers a heartbeat (a closed one would not)."""
        await self.send("heartbeat")
        return (await self.recv())["type"] == "pong"

    async def close(self):
        await self.communicator.disconnect()


@pytest.fixture(autouse=True)
def fresh_server_registration():
    """Each test has a fresh database, so this process registers itself anew."""
    from realtime import process

    process.forget_registration()
    yield
    process.forget_registration()


@pytest.fixture
async def ws():
    """`await ws(session_id, user=..., token=..., ticket=..., cookie=..., origin=..., path=...)` → Socket.

    `user` stands for a valid access token of that user. Every socket is disconnected at teardown.
    """
    from ielts_site.asgi import application

    sockets = []

    async def open_socket(session_id, *, user=None, token=None, ticket=None, cookie=None, origin=ORIGIN, path=None):
        if user is not None and token is None:
            token = access_token(user)
        url = path or f"/api/v1/sessions/{session_id}/ws"
        query = "&".join(f"{k}={v}" for k, v in (("token", token), ("ticket", ticket)) if v is not None)
        headers = [origin] if origin else []
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        socket = Socket(WebsocketCommunicator(application, f"{url}?{query}" if query else url, headers=headers))
        sockets.append(socket)
        socket.connected, socket.close_code = await socket.communicator.connect(timeout=5)
        return socket

    yield open_socket
    for socket in sockets:
        await socket.close()


@pytest.fixture
def db_call():
    """Run ORM code from an async test: `await db_call(fn, *args, **kwargs)`."""

    async def call(fn, *args, **kwargs):
        return await database_sync_to_async(fn)(*args, **kwargs)

    return call


@pytest.fixture
def start_watched(ws, session, teacher, students, db_call):
    """`await start_watched(students=2)` → (teacher socket, student sockets): the waiting room opened, the teacher
    and the first students connected, the session started and every socket past its `session_status_changed`."""

    async def start(*, students_connected=2):
        await db_call(session_open_waiting_room, session=session)
        watcher = await ws(session.pk, user=teacher)
        await watcher.recv_type("connected")
        sockets = []
        for student in students[:students_connected]:
            socket = await ws(session.pk, user=student)
            await socket.recv_type("connected")
            sockets.append(socket)
        await db_call(session_start, session=session)
        for socket in sockets:
            await socket.until("session_status_changed")
        await watcher.until("session_status_changed")
        return watcher, sockets

    return start
