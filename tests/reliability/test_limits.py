"""Limits on a real server: frames over 64 KiB are refused (an error; over daphne's 1 MiB, a close with 1009), a
sender over the rate limit gets `rate_limited` per message and is never closed, and the server's memory stays flat."""

import asyncio
import json
import os
import uuid

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from attempts.models import AttemptEvent
from tests.reliability.figures import figure, record
from tests.reliability.support import (
    build_world,
    loopback_only,
    needs_postgresql,
    raw_websocket,
    rest,
    rss_kib,
    server_frames,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BIG_FRAMES, BIG_BYTES = 100, 512 * 1024
FLOOD = 1500


async def _replies(ws, count: int, timeout: float = 30) -> list[dict]:
    out = []
    while len(out) < count:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] in ("error", "ack", "pong"):
            out.append(message)
    return out


def _announce_two_mebibytes(server, world) -> str:
    """Send only the header of a 2 MiB text frame (and a few bytes), then read until the server hangs up."""
    sock = raw_websocket(server, world.session_id, world.student_tokens[1], rcvbuf=1 << 20)
    data = b""
    try:
        header = bytes([0x81, 0x80 | 127]) + (2 * 1024 * 1024).to_bytes(8, "big") + os.urandom(4)
        sock.sendall(header + b"y" * 16)
        sock.settimeout(10)
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        return "still open"
    finally:
        sock.close()
    closes = [payload for opcode, payload in server_frames(data) if opcode == 0x8]
    return f"close {int.from_bytes(closes[0][:2], 'big')}" if closes else "dropped, no close frame (1006)"


def test_oversized_frames_and_floods_are_refused_with_flat_memory(daphne_servers, make_user):
    needs_postgresql()
    loopback_only()
    world = build_world(make_user, students=2, passages=1, per_passage=4)
    server = daphne_servers("web-limits")
    url = f"{server.ws_url}/api/v1/sessions/{world.session_id}/ws?token="
    figures = {}

    async def scenario():
        sockets = [await connect(url + token, origin=server.url, ping_interval=None, max_size=2**22)
                   for token in world.student_tokens]  # fmt: skip
        await rest(server, world.teacher_token, "POST", f"/api/v1/sessions/{world.session_id}/start")
        big, flooder = sockets
        for ws in sockets:
            while json.loads(await ws.recv())["type"] != "state_sync_response":
                pass
        figures["rss_start"] = rss_kib(server.pid)

        # 1. Frames of 512 KiB: each refused with `message_too_large`, unread; the socket stays usable.
        frame = json.dumps({"type": "answer_submitted", "event_id": "big",
                            "data": {"question_id": world.question_ids[0], "answer": "x" * BIG_BYTES}})  # fmt: skip
        codes = []
        for _ in range(BIG_FRAMES):
            await big.send(frame)
            codes.append((await _replies(big, 1))[0].get("code"))
        await big.send(json.dumps({"type": "heartbeat"}))
        figures["big_still_open"] = (await _replies(big, 1))[0]["type"] == "pong"
        figures["big_refused"] = codes.count("message_too_large")
        figures["rss_after_big"] = rss_kib(server.pid)

        # 2. A 2 MiB frame: daphne (autobahn) fails the connection as soon as the frame header names the size, before
        #    the application sees a byte. It fails "by drop": the TCP connection goes, with no close frame (1006).
        #    The drop can come while the client is still writing the frame, so the send itself may be the one to see it.
        try:
            await big.send("y" * (2 * 1024 * 1024))
            await asyncio.wait_for(big.recv(), 10)
            figures["client_close"] = "still open"
        except ConnectionClosed as closed:
            figures["client_close"] = closed.rcvd.code if closed.rcvd else "reset (1006)"
        figures["close_code"] = await asyncio.to_thread(_announce_two_mebibytes, server, world)

        # 3. A flood of answers as fast as the socket takes them. The burst passes, the rest is refused
        #    message by message (`rate_limited`), the socket is never closed.
        event_ids = [uuid.uuid4().hex for _ in range(FLOOD)]
        for n, event_id in enumerate(event_ids):
            data = {"question_id": world.question_ids[n % 4], "answer": f"a{n}"}
            await flooder.send(json.dumps({"type": "answer_submitted", "event_id": event_id, "data": data}))
        replies = await _replies(flooder, FLOOD, timeout=60)
        figures["acked"] = {m["event_id"] for m in replies if m["type"] == "ack"}
        figures["rate_limited"] = sum(1 for m in replies if m.get("code") == "rate_limited")
        figures["other"] = [m for m in replies if m["type"] == "error" and m.get("code") != "rate_limited"]
        await asyncio.sleep(1.0)  # the bucket refills at 20 a second
        await flooder.send(json.dumps({"type": "heartbeat"}))
        figures["flooder_still_open"] = (await _replies(flooder, 1))[0]["type"] == "pong"
        figures["rss_end"] = rss_kib(server.pid)
        await flooder.close()

    asyncio.run(scenario())

    stored = set(AttemptEvent.objects.filter(event_id__isnull=False, attempt__session_id=world.session_id)
                 .values_list("event_id", flat=True))  # fmt: skip
    applied_refused = len(stored - figures["acked"] - {"big"})
    growth = (figures["rss_end"] - figures["rss_start"]) / 1024
    tried = BIG_FRAMES + 1 + FLOOD
    refused = figures["big_refused"] + (figures["client_close"] != "still open") + figures["rate_limited"]
    record(
        "limits",
        title=f"{BIG_FRAMES} frames of 512 KiB, one of 2 MiB, and a flood of {FLOOD:,} messages on one socket",
        unit="frames", tried=tried, survived=tried - applied_refused, lost=applied_refused,
        figures=[
            figure("512 KiB frames refused (`message_too_large`)", f"{figures['big_refused']} of {BIG_FRAMES}",
                   f"{BIG_FRAMES}", figures["big_refused"] == BIG_FRAMES),  # fmt: skip
            figure("2 MiB frame, client that announced it and waited", figures["close_code"], "closed (1009 or drop)",
                   figures["close_code"] != "still open"),  # fmt: skip
            figure("2 MiB frame, client still sending it", figures["client_close"], "closed (1009 or drop)",
                   figures["client_close"] != "still open"),  # fmt: skip
            figure("flood: acknowledged / `rate_limited`", f"{len(figures['acked'])} / {figures['rate_limited']}",
                   "burst 500 (+20/s) / the rest"),  # fmt: skip
            figure("refused messages that changed a row", applied_refused, "0", applied_refused == 0),
            figure("sockets answering a heartbeat after their refused frames",
                   int(figures["big_still_open"]) + int(figures["flooder_still_open"]), "2",
                   figures["big_still_open"] and figures["flooder_still_open"]),  # fmt: skip
            figure("daphne RSS start → after big frames → end (MiB)",
                   f"{figures['rss_start'] / 1024:.1f} → {figures['rss_after_big'] / 1024:.1f} → "
                   f"{figures['rss_end'] / 1024:.1f}"),  # fmt: skip
            figure("RSS growth (MiB)", round(growth, 1), "flat (≤ 32)", growth <= 32),
        ],
        notes=f"Every frame was handled as the contract says: {refused:,} refused, the rest (the flood's burst) "
        "applied; `lost` counts refused frames that changed a row anyway.",
    )  # fmt: skip
    assert figures["big_refused"] == BIG_FRAMES and figures["big_still_open"]
    assert "still open" not in (figures["close_code"], figures["client_close"])
    assert 500 <= len(figures["acked"]) < FLOOD and figures["rate_limited"] == FLOOD - len(figures["acked"])
    assert not figures["other"]
    assert figures["flooder_still_open"]
    assert applied_refused == 0 and figures["acked"] <= stored
    assert growth <= 32, f"daphne grew by {growth:.1f} MiB"
