"""The ceiling: a bare `websockets` echo + broadcast server speaking just enough of our protocol.

It does what the real server does on the wire and nothing else: no database, no channel layer, no
authentication (it reads `user_id` and `role` from the token's payload without checking it). The
same load client drives it, so each of our figures can be read as a fraction of this one.

    python bench/baseline_server.py --port 8765
"""

import argparse
import asyncio
import base64
import itertools
import json
import resource
import time
from collections import defaultdict
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import broadcast, serve


def iso_now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class Room:
    def __init__(self):
        self.everyone = set()
        self.teachers = set()
        self.started = False
        self.answers = defaultdict(dict)  # student → {question: answer}
        self.highlights = defaultdict(set)  # student → highlight ids
        self.violations = defaultdict(int)  # student → count


highlight_ids = itertools.count(1)


rooms: dict[int, Room] = defaultdict(Room)
MIXED = {"progress_update", "text_highlighted", "highlight_removed", "question_flagged", "tab_violation"}
in_progress: set[int] = set()  # sessions that setup_school created running (their students get a state sync)


def message(kind: str, session_id: int, **fields) -> str:
    return json.dumps({"type": kind, "session_id": session_id, "timestamp": iso_now(), **fields})


def state_sync(session_id: int, student_id: int, room: Room) -> str:
    answers = [{"question_id": q, "answer": a, "answered_at": iso_now()} for q, a in room.answers[student_id].items()]
    attempt = {
        "id": student_id, "session_id": session_id, "test_id": 1, "student_id": student_id,
        "status": "IN_PROGRESS", "started_at": iso_now(), "submitted_at": None, "ends_at": iso_now(),
        "server_now": iso_now(), "current_passage_index": 0, "current_question_index": 0, "answers": answers,
        "highlights": [], "flagged_question_ids": [], "violations": [], "score": None, "band": None,
    }  # fmt: skip
    return message("state_sync_response", session_id, status="IN_PROGRESS", ends_at=iso_now(), server_now=iso_now(),
                   remaining_seconds=3600.0, attempt=attempt)  # fmt: skip


async def handler(ws):
    url = urlsplit(ws.request.path)
    session_id = int(url.path.rstrip("/").split("/")[-2])
    token = parse_qs(url.query).get("token", [""])[0]
    user = claims(token)
    user_id, role = int(user["user_id"]), user.get("role", "STUDENT")
    ws.bench_user_id = user_id
    room = rooms[session_id]
    teacher = role != "STUDENT"
    room.everyone.add(ws)
    if teacher:
        room.teachers.add(ws)
    await ws.send(message("connected", session_id, user_id=user_id, role=role, server_now=iso_now()))
    if not teacher:
        broadcast(room.teachers, message("participant_joined", session_id, student_id=user_id,
                                         student_name=str(user_id), connected_count=len(room.everyone)))  # fmt: skip
        if room.started or session_id in in_progress:
            await ws.send(state_sync(session_id, user_id, room))
    try:
        async for raw in ws:
            data = json.loads(raw)
            kind, event_id = data.get("type"), data.get("event_id")
            if kind == "answer_submitted":
                fields = data["data"]
                room.answers[user_id][fields["question_id"]] = fields["answer"]
                await ws.send(message("ack", session_id, event_id=event_id))
                broadcast(room.teachers, message("answer_submitted", session_id, student_id=user_id,
                                                 attempt_id=user_id, question_id=fields["question_id"],
                                                 answer=fields["answer"],
                                                 answered_count=len(room.answers[user_id])))  # fmt: skip
            elif kind in MIXED:  # the mixed stream's other events (bench/mixed.py): ack, then tell the teachers
                fields = dict(data.get("data") or {})
                ack = {}
                if kind == "text_highlighted":
                    fields["highlight_id"] = ack["highlight_id"] = next(highlight_ids)
                    fields["note"] = None
                    room.highlights[user_id].add(fields["highlight_id"])
                elif kind == "highlight_removed":
                    if fields.get("highlight_id") not in room.highlights[user_id]:
                        await ws.send(message("error", session_id, code="unknown_highlight", message="",
                                              event_id=event_id))  # fmt: skip
                        continue
                    room.highlights[user_id].discard(fields["highlight_id"])
                elif kind == "tab_violation":
                    room.violations[user_id] += 1
                    fields.setdefault("violation_type", "TAB_SWITCH")
                    fields["violations_count"] = room.violations[user_id]
                await ws.send(message("ack", session_id, event_id=event_id, **ack))
                broadcast(room.teachers, message(kind, session_id, student_id=user_id, attempt_id=user_id, **fields))
            elif kind == "submit_attempt":
                await ws.send(message("ack", session_id, event_id=event_id))
                score = len(room.answers[user_id])
                broadcast(room.teachers, message("attempt_submitted", session_id, student_id=user_id,
                                                 attempt_id=user_id, score=score, band=6.5))  # fmt: skip
            elif kind == "heartbeat":
                await ws.send(message("pong", session_id, server_now=iso_now()))
            elif kind == "bench_start" and teacher:  # stands in for POST /sessions/{id}/start
                room.started = True
                now = iso_now()
                broadcast(room.everyone, message("session_started", session_id, started_at=now, ends_at=now,
                                                 server_now=now, connected_students=[]))  # fmt: skip
                for peer in list(room.everyone - room.teachers):
                    peer_id = getattr(peer, "bench_user_id", 0)
                    broadcast([peer], state_sync(session_id, peer_id, room))
    finally:
        room.everyone.discard(ws)
        room.teachers.discard(ws)
        if not teacher:
            left = message("participant_disconnected", session_id, student_id=user_id, student_name=str(user_id),
                           connected_count=len(room.everyone))  # fmt: skip
            broadcast(room.teachers, left)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, ping_interval=20, ping_timeout=30, max_queue=None):
        print(f"baseline listening on {port} at {time.time():.0f}", flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", help="setup_school's output: which sessions are in progress")
    args = parser.parse_args()
    if args.data:
        with open(args.data) as data:
            groups = json.load(data)["groups"].values()
        in_progress.update(s["session_id"] for g in groups for s in g if s["status"] == "IN_PROGRESS")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(args.port))
