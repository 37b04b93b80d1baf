"""End-to-end helpers: drive real daphne processes from outside with httpx and websockets, as clients would."""

import asyncio
import contextlib
import json
import os
import uuid

import httpx
import pytest
from websockets.asyncio.client import connect

from conftest import PASSWORD

NEEDS_REDIS = (
    "two server processes share groups, tickets and the clock's announcements only through Redis: set REDIS_URL"
)


def two_processes_or_skip():
    if not os.environ.get("REDIS_URL"):
        pytest.skip(NEEDS_REDIS)


class Api:
    """A user of the REST API on one server: logs in for a JWT, then calls with `Authorization: Bearer`."""

    def __init__(self, server, username: str):
        self.server = server
        self.username = username
        self.client = httpx.AsyncClient(base_url=server.url, timeout=10)
        self.access = None

    async def login(self) -> "Api":
        response = await self.client.post("/api/v1/auth/token", json={"username": self.username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.access = response.json()["access"]
        self.client.headers["Authorization"] = f"Bearer {self.access}"
        return self

    def on(self, server) -> "Api":
        """The same user (same JWT) talking to another server process."""
        other = Api(server, self.username)
        other.access = self.access
        other.client.headers["Authorization"] = f"Bearer {self.access}"
        return other

    async def post(self, path: str, body=None, expect: int = 200) -> dict:
        response = await self.client.post(path, json=body)
        assert response.status_code == expect, f"{path}: {response.status_code} {response.text}"
        return response.json() if response.content else {}

    async def get(self, path: str) -> dict:
        response = await self.client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        return response.json()

    async def close(self):
        await self.client.aclose()


class Peer:
    """One WebSocket connection to the session, with the contract's envelope."""

    def __init__(self, connection, label: str):
        self.connection = connection
        self.label = label

    @classmethod
    async def open(cls, server, session_id: int, *, token=None, ticket=None, label="", path=None) -> "Peer":
        query = f"token={token}" if token else f"ticket={ticket}"
        url = f"{server.ws_url}{path or f'/api/v1/sessions/{session_id}/ws'}?{query}"
        connection = await connect(url, origin=server.url, open_timeout=10, ping_interval=None)
        peer = cls(connection, label)
        connected = await peer.recv()
        assert connected["type"] == "connected", connected
        return peer

    async def send(self, message_type: str, data=None, event_id: str | None = "auto") -> str | None:
        if event_id == "auto":
            event_id = uuid.uuid4().hex
        message = {"type": message_type, "data": data or {}}
        if event_id is not None:
            message["event_id"] = event_id
        await self.connection.send(json.dumps(message))
        return event_id

    async def recv(self, timeout: float = 10) -> dict:
        return json.loads(await asyncio.wait_for(self.connection.recv(), timeout))

    async def until(self, message_type: str, timeout: float = 10, **match) -> tuple[dict, list[dict]]:
        """The next message of this type (with these field values); returns it and what came before."""
        skipped = []
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            message = await self.recv(max(left, 0.01))
            if message["type"] == message_type and all(message.get(k) == v for k, v in match.items()):
                return message, skipped
            skipped.append(message)

    async def drain(self, quiet: float = 0.5) -> list[dict]:
        """Everything until the line has been quiet for `quiet` seconds."""
        messages = []
        while True:
            try:
                messages.append(await self.recv(quiet))
            except TimeoutError:
                return messages

    async def close(self):
        await self.connection.close()

    def drop(self):
        """The network goes away: no close frame, the server just loses the TCP connection."""
        self.connection.transport.abort()


@pytest.fixture
async def opened():
    """Collect Peers and Api clients so every one is closed at the end, whatever happened."""
    things = []

    def keep(thing):
        things.append(thing)
        return thing

    yield keep
    for thing in things:
        with contextlib.suppress(Exception):  # already closed, or its server was killed
            await thing.close()
