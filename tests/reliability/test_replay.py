"""Replays: every event sent 1 to 5 times, copies arriving late and out of order, across reconnects and from two
tabs at once. Nothing is applied twice, and the final attempt equals that of a student who sent each event once."""

import asyncio
import json
import random
import uuid

import pytest
from websockets.asyncio.client import connect

from attempts.models import Answer, Attempt, AttemptEvent, Highlight, Violation
from tests.reliability.figures import figure, record
from tests.reliability.support import build_world, loopback_only, needs_postgresql, rest

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Tab:
    """One WebSocket of a student that sends a frame and waits for the reply naming its event_id."""

    def __init__(self, server, session_id: int, token: str):
        self.url = f"{server.ws_url}/api/v1/sessions/{session_id}/ws?token={token}"
        self.origin = server.url
        self.ws = None
        self.attempt_id = None

    async def connect(self) -> "Tab":
        self.ws = await connect(self.url, origin=self.origin, open_timeout=10, ping_interval=None)
        return self

    async def synced(self) -> "Tab":
        """Wait for the state sync that every student gets once the test runs (at the start or on connect)."""
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
            if message["type"] == "state_sync_response":
                self.attempt_id = message["attempt"]["id"]
                return self

    async def open(self) -> "Tab":
        await self.connect()
        return await self.synced()

    async def send(self, frame: dict) -> dict:
        await self.ws.send(json.dumps(frame))
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
            if message["type"] in ("ack", "error") and message.get("event_id") == frame["event_id"]:
                return message

    async def reconnect(self):
        self.ws.transport.abort()  # the network drops: no close frame
        await self.open()

    async def close(self):
        await self.ws.close()


def script(rng: random.Random, world) -> list[tuple[str, dict]]:
    """A student's test: answers (often changed), flags on and off, focus losses, highlights, one removed, moves."""
    events = []
    for n in range(60):
        roll = rng.random()
        q = rng.choice(world.question_ids)
        if roll < 0.45:
            events.append(("answer_submitted", {"question_id": q, "answer": f"take {n}"}))
        elif roll < 0.6:
            events.append(("question_flagged", {"question_id": q, "flagged": rng.random() < 0.6}))
        elif roll < 0.72:
            events.append(("tab_violation", {"violation_type": rng.choice(["TAB_SWITCH", "COPY", "PASTE"])}))
        elif roll < 0.87:
            start = rng.randrange(0, world.passage_lengths[0] - 12)
            events.append(("text_highlighted", {"passage_id": world.passage_ids[0], "text": f"h{n}",
                                                "position_start": start, "position_end": start + 7}))  # fmt: skip
        else:
            events.append(("progress_update", {"passage_index": rng.randrange(len(world.passage_ids)),
                                               "question_index": rng.randrange(len(world.question_ids))}))  # fmt: skip
    first_highlight = next(i for i, (kind, _) in enumerate(events) if kind == "text_highlighted")
    events.insert(first_highlight + 3, ("highlight_removed", {"highlight_of": first_highlight}))
    return events


def commuting_script(rng: random.Random, world) -> list[tuple[str, dict]]:
    """Events whose order does not matter: each question answered once and flagged once, focus losses, highlights."""
    events = [("answer_submitted", {"question_id": q, "answer": f"final {q}"}) for q in world.question_ids]
    events += [("question_flagged", {"question_id": q, "flagged": True}) for q in world.question_ids[::3]]
    events += [("tab_violation", {"violation_type": "WINDOW_BLUR"}) for _ in range(8)]
    events += [("text_highlighted", {"passage_id": world.passage_ids[0], "text": f"c{i}", "position_start": i,
                                     "position_end": i + 4}) for i in range(8)]  # fmt: skip
    rng.shuffle(events)
    return events


def frames_for(events) -> list[dict]:
    return [{"type": kind, "data": dict(data), "event_id": uuid.uuid4().hex} for kind, data in events]


def resolve(frame: dict, frames: list[dict], acks: dict) -> dict:
    """`highlight_removed` names the highlight its sender was told about in the ack of `highlight_of`."""
    if "highlight_of" in frame["data"]:
        frame = {**frame, "data": {"highlight_id": acks[frames[frame["data"]["highlight_of"]]["event_id"]]
                                   ["highlight_id"]}}  # fmt: skip
    return frame


def state_of(attempt_id: int) -> dict:
    attempt = Attempt.objects.get(pk=attempt_id)
    return {
        "answers": dict(Answer.objects.filter(attempt=attempt).values_list("question_id", "answer")),
        "flags": set(attempt.flagged_questions.values_list("pk", flat=True)),
        "violations": sorted(Violation.objects.filter(attempt=attempt).values_list("type", flat=True)),
        "highlights": sorted(
            Highlight.objects.filter(attempt=attempt).values_list(
                "passage_id", "text", "position_start", "position_end"
            )
        ),  # fmt: skip
        "position": (attempt.current_passage_index, attempt.current_question_index),
    }


def test_replayed_and_reordered_events_apply_once(daphne_servers, make_user):
    needs_postgresql()
    loopback_only()
    rng = random.Random(42)
    world = build_world(make_user, students=4, passages=2, per_passage=6)
    server = daphne_servers("web-replay")
    counts = {"frames": 0, "events": 0, "errors": 0}

    async def scenario():
        tabs = [await Tab(server, world.session_id, token).connect() for token in world.student_tokens]
        await rest(server, world.teacher_token, "POST", f"/api/v1/sessions/{world.session_id}/start")
        for tab in tabs:
            await tab.synced()
        in_order, replayed, calm, two_tabs = tabs

        # 1. The reference: each event once, in order. Then the same test with late, repeated copies.
        events = script(rng, world)
        reference = frames_for(events)
        acks = {}
        for frame in reference:
            acks[frame["event_id"]] = await in_order.send(resolve(frame, reference, acks))
        copies = frames_for(events)
        stream = []  # (position, frame): each first copy in order, extra copies somewhere later
        for index, frame in enumerate(copies):
            stream.append((index, frame))
            for _ in range(rng.randint(0, 4)):
                stream.append((rng.uniform(index, len(copies) + 5), frame))
        stream.sort(key=lambda item: item[0])
        acks = {}
        for n, (_, frame) in enumerate(stream):
            if n == len(stream) // 2:
                await replayed.reconnect()  # half-way the network drops; copies keep coming on the new socket
            reply = await replayed.send(resolve(frame, copies, acks))
            acks.setdefault(frame["event_id"], reply)
            counts["errors"] += reply["type"] == "error"
        counts["frames"] += len(stream) + len(reference)
        counts["events"] += len(events) * 2

        # 2. Order-free events, shuffled, each sent 1-5 times from two tabs of one student at the same time.
        order_free = commuting_script(rng, world)
        reference = frames_for(order_free)
        for frame in reference:
            await calm.send(frame)
        second_tab = await Tab(server, world.session_id, world.student_tokens[3]).open()
        shuffled = [frame for frame in frames_for(order_free) for _ in range(rng.randint(1, 5))]
        rng.shuffle(shuffled)
        half = len(shuffled) // 2

        async def pour(tab, frames):
            for frame in frames:
                reply = await tab.send(frame)
                counts["errors"] += reply["type"] == "error"

        await asyncio.gather(pour(two_tabs, shuffled[:half]), pour(second_tab, shuffled[half:]))
        counts["frames"] += len(shuffled) + len(reference)
        counts["events"] += len(order_free) * 2
        for tab in (*tabs, second_tab):
            await tab.close()
        return [tab.attempt_id for tab in tabs], len(events), len(order_free)

    (in_order, replayed, calm, two_tabs), n_ordered, n_free = asyncio.run(scenario())

    rows = {a: AttemptEvent.objects.filter(attempt_id=a, event_id__isnull=False).count() for a in
            (in_order, replayed, calm, two_tabs)}  # fmt: skip
    duplicates = (rows[replayed] - n_ordered) + (rows[two_tabs] - n_free)
    differences = [key for key, value in state_of(in_order).items() if state_of(replayed)[key] != value]
    differences += [key for key, value in state_of(calm).items() if state_of(two_tabs)[key] != value]
    record(
        "replay",
        title="Each event sent 1-5 times, late copies out of order, across a reconnect and from two tabs at once",
        tried=counts["frames"], survived=counts["events"], lost=len(differences), unit="frames",
        figures=[
            figure("frames sent / distinct events", f"{counts['frames']} / {counts['events']}"),
            figure("rows applied twice", duplicates, "0", duplicates == 0),
            figure("final state ≠ the in-order run (answers, flags, violations, highlights, position)",
                   len(differences), "0", not differences),  # fmt: skip
            figure("copies refused with an error", counts["errors"], "0", counts["errors"] == 0),
        ],
        notes="`survived` counts distinct events; `lost` counts state fields that differ from the in-order run.",
    )  # fmt: skip
    assert rows[in_order] == rows[replayed] == n_ordered
    assert rows[calm] == rows[two_tabs] == n_free
    assert not differences, differences
    assert counts["errors"] == 0
