"""No JWT in any log a server wrote: every way a token reaches the server (the WebSocket's ?token=, a plain
HTTP request carrying ?token=, a bad or expired token, a refused handshake), then grep the logs of this test and
of every server the session started before it (this module sorts after the other end-to-end tests)."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.reliability.figures import figure, record
from tests.reliability.support import JWT, build_world, jwts_in

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _expired(user) -> str:
    from accounts.serializers import RoleRefreshToken

    token = RoleRefreshToken.for_user(user).access_token
    token.set_exp(from_time=timezone.now() - timedelta(hours=1))
    return str(token)


def test_no_jwt_reaches_a_server_log(daphne_servers, make_user, tmp_path_factory):
    from accounts.models import User
    from accounts.serializers import RoleRefreshToken

    world = build_world(make_user, students=2, passages=1, per_passage=2)
    server = daphne_servers("web-logs")
    student = User.objects.get(pk=world.student_ids[0])
    valid, expired = world.student_tokens[0], _expired(student)
    tampered = valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB")
    refresh = str(RoleRefreshToken.for_user(student))
    sid = world.session_id
    tried = 0

    wrongly = []  # (token, path, let in?) where the handshake went the wrong way

    async def scenario():
        nonlocal tried
        for label, token in (("valid", valid), ("expired", expired), ("tampered", tampered), ("refresh", refresh)):
            for path in (f"/api/v1/sessions/{sid}/ws", f"/ws/sessions/{sid}", f"/api/v1/sessions/{sid + 999}/ws"):
                tried += 1
                should_enter = label == "valid" and str(sid + 999) not in path
                try:
                    async with connect(f"{server.ws_url}{path}?token={token}", origin=server.url, open_timeout=5) as ws:
                        await asyncio.wait_for(ws.recv(), 5)
                        entered = True
                except InvalidStatus as refused:
                    entered = False
                    assert refused.response.status_code == 403
                if entered != should_enter:
                    wrongly.append((label, path, entered))
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            for token in (valid, expired):
                for path in (f"/api/v1/sessions/{sid}/ws", "/api/v1/users/me", f"/teacher/sessions/{sid}/live/",
                             "/no-such-page"):  # fmt: skip
                    tried += 1
                    await client.get(f"{path}?token={token}")
                tried += 1
                await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
            tried += 1
            await client.post("/api/v1/auth/token/refresh", json={"refresh": refresh})
            tried += 1
            ticket = (await client.post(f"/api/v1/sessions/{sid}/ws-ticket",
                                        headers={"Authorization": f"Bearer {valid}"})).json()["ticket"]  # fmt: skip
            async with connect(f"{server.ws_url}/api/v1/sessions/{sid}/ws?ticket={ticket}", origin=server.url) as ws:
                await asyncio.wait_for(ws.recv(), 5)

    asyncio.run(scenario())
    server.stop()  # flushes everything it had to say

    logs = sorted({path.resolve() for path in tmp_path_factory.getbasetemp().rglob("daphne-*.log")})
    found = jwts_in(logs)
    leaking = {path: n for path, n in found.items() if n}
    lines = sum(path.read_bytes().count(b"\n") for path in logs)
    record(
        "no_jwt_in_logs",
        title="JWTs in the logs the servers wrote (every daphne log of the run)",
        unit="requests carrying a JWT", tried=tried, survived=tried - sum(found.values()), lost=sum(found.values()),
        figures=[
            figure("server logs scanned", len(logs)),
            figure("log lines scanned", lines),
            figure("JWTs found", sum(found.values()), "0", not leaking),
        ],
    )  # fmt: skip
    assert not wrongly, wrongly
    assert server.log_path.resolve() in logs
    assert not leaking, {path: JWT.findall(path.read_bytes())[:1] for path in leaking}
