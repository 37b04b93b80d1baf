"""The mixed stream: what a class sends during a 60-minute reading paper, event for event, each one matched at
the teacher.

Proportions (per 100 events, in a fixed shuffled order): 45 progress_update, 30 answer_submitted, 12
text_highlighted, 3 highlight_removed (of a highlight the same student made earlier, whose id came back in its
ack), 5 question_flagged, 5 tab_violation.

Every event is found again in exactly one teacher message, by a key that no other outstanding event shares:

| event | key at the teacher | made unique by |
|---|---|---|
| answer_submitted | the answer text | `ans <seq>` (seq: unique for the run) |
| text_highlighted | student, passage, start, end | the student's n-th highlight: its own span, a real slice |
| highlight_removed | highlight_id | the server's id, from the highlight's ack |
| progress_update | student, passage_index, question_index | n-th move: question n mod Q, passage n div Q mod P |
| question_flagged | student, question_id, flagged | n-th flag: question n mod Q, flagged while n div Q is even |
| tab_violation | student, violation_type (+ violations_count) | n-th violation: type n mod 5; the count must rise |

Keys repeat only after Q x P (progress), 2 Q (flags) or hundreds (highlights) events of one student; a key
holds a FIFO of the events sent with it (the server keeps each attempt's order), so even then each message
consumes one event. A teacher message of these types that matches no outstanding event is a duplicate (or a
stray); a matched one whose other fields differ from what was sent is `mismatched`; one that arrives at the
teacher of another session is `wrong_session`. Latency is open-loop: from the event's scheduled send time.
"""

import asyncio
import json
import random
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed

from bench.client import Conn, CpuMeter, Sequence, paced, summary

MIX = {
    "progress_update": 45, "answer_submitted": 30, "text_highlighted": 12, "highlight_removed": 3,
    "question_flagged": 5, "tab_violation": 5,
}  # fmt: skip
KINDS = tuple(MIX)
VIOLATIONS = ("TAB_SWITCH", "WINDOW_BLUR", "FULLSCREEN_EXIT", "COPY", "PASTE")


def pattern(seed: int = 12) -> list[str]:
    """The 100-slot order of kinds: exact proportions per 100 events, the kinds interleaved."""
    slots = [kind for kind, n in MIX.items() for _ in range(n)]
    random.Random(seed).shuffle(slots)
    return slots


PATTERN = pattern()


@dataclass
class Paper:
    question_ids: list
    passages: list[dict]  # [{"id", "text"}] in the paper's order (passage_index = position)

    @classmethod
    def of(cls, data: dict) -> "Paper":
        return cls(question_ids=data["question_ids"], passages=data["passages"])


@dataclass
class Pending:
    seq: int
    kind: str
    conn: Conn
    at: float  # scheduled send time (perf_counter)
    key: tuple
    expect: dict  # fields the teacher's message must carry
    phase: "Phase"
    delivered: bool = False
    acked: bool = False
    highlight_id: object = None  # from the ack of a text_highlighted
    latency_ms: float | None = None  # scheduled send → the teacher's receipt


@dataclass
class Phase:
    """One measured stretch of the stream (an M1 run, an M2 step, M0's start): its events and what became of them."""

    name: str
    rate: float = 0.0
    duration: float = 0.0
    events: list[Pending] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    by_kind_ms: dict = field(default_factory=lambda: defaultdict(list))
    ack_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    send_lag_ms: float = 0.0
    drain_s: float = 0.0
    substituted: int = 0  # removals sent as highlights: no student had a highlight left to remove
    cpu: dict = field(default_factory=dict)
    elapsed_s: float = 0.0  # first scheduled send → drain done


class MixedStream:
    """Drives students' sockets with the mixed stream and matches what their teachers receive.

    The same instance lasts a whole scenario (M1 then every M2 step), so a student's counters and its
    highlights carry over from one phase to the next and keys stay unique.
    """

    def __init__(self, students: list[Conn], teachers: list[Conn], paper: Paper, seq: Sequence, *,
                 check_attempt_ids: bool = True):  # fmt: skip
        self.students, self.teachers, self.paper, self.seq = students, teachers, paper, seq
        self.pending: dict[tuple, deque[Pending]] = defaultdict(deque)
        self.by_event_id: dict[str, Pending] = {}
        self.counters: dict[int, Counter] = defaultdict(Counter)  # student → kind → events sent
        self.highlights: dict[int, deque] = defaultdict(deque)  # student → acked highlight ids not yet removed
        self.attempt_ids = {c.user_id: c.attempt_id for c in students if check_attempt_ids and c.attempt_id}
        self.violation_counts: dict[int, set] = defaultdict(set)
        self.unmatched: Counter = Counter()  # teacher messages of our kinds that match no outstanding event
        self.mismatched: Counter = Counter()
        self.wrong_session = 0
        self.leaked = 0  # a student received a message meant for teachers
        self.sent: Counter = Counter()
        self.phase: Phase | None = None
        for teacher in teachers:
            teacher.on_message = self._on_teacher
        for student in students:
            student.on_message = self._on_student

    def detach(self) -> None:
        for conn in (*self.teachers, *self.students):
            conn.on_message = None

    # ------------------------------------------------------------ building events

    def _event(self, conn: Conn, kind: str, seq: int) -> tuple[dict, tuple, dict]:
        n = self.counters[conn.user_id][kind]
        self.counters[conn.user_id][kind] += 1
        sid = str(conn.user_id)
        qids, passages = self.paper.question_ids, self.paper.passages
        if kind == "answer_submitted":
            data = {"question_id": qids[(seq * 7) % len(qids)], "answer": f"ans {seq}"}
            return data, (kind, data["answer"]), {**data, "student_id": conn.user_id}
        if kind == "progress_update":
            data = {"passage_index": (n // len(qids)) % len(passages), "question_index": n % len(qids)}
            return data, (kind, sid, data["passage_index"], data["question_index"]), data
        if kind == "question_flagged":
            data = {"question_id": qids[n % len(qids)], "flagged": (n // len(qids)) % 2 == 0}
            return data, (kind, sid, str(data["question_id"]), data["flagged"]), data
        if kind == "tab_violation":
            data = {"violation_type": VIOLATIONS[n % len(VIOLATIONS)]}
            return data, (kind, sid, data["violation_type"]), data
        if kind == "text_highlighted":
            passage = passages[n % len(passages)]
            text = passage["text"]
            span = 6 + n % 23
            start = (n // len(passages) * 37) % (len(text) - span - 1)
            start += 1 if text[start] == " " else 0  # a highlight that starts on a word, like a reader's
            data = {"passage_id": passage["id"], "text": text[start : start + span], "position_start": start,
                    "position_end": start + span}  # fmt: skip
            return data, (kind, sid, str(passage["id"]), start, start + span), data
        raise ValueError(kind)

    async def send(self, conn: Conn, kind: str, at: float) -> Pending | None:
        """Send one event of `kind` from `conn`, scheduled at `at`; a removal without a highlight to remove
        becomes a highlight (the phase counts it)."""
        seq = self.seq.next()
        if kind == "highlight_removed":
            if not self.highlights[conn.user_id]:
                kind = "text_highlighted"
                self.phase.substituted += 1
            else:
                highlight_id = self.highlights[conn.user_id].popleft()
                data = {"highlight_id": highlight_id}
                key, expect = (kind, str(highlight_id)), {**data, "student_id": conn.user_id}
        if kind != "highlight_removed":
            data, key, expect = self._event(conn, kind, seq)
        event_id = f"m{seq}"
        pending = Pending(seq=seq, kind=kind, conn=conn, at=at, key=key, expect=expect, phase=self.phase)
        self.pending[key].append(pending)
        self.by_event_id[event_id] = pending
        self.phase.events.append(pending)
        self.sent[kind] += 1
        try:
            await conn.ws.send(json.dumps({"type": kind, "event_id": event_id, "data": data}))
        except ConnectionClosed:
            self.phase.errors["connection_closed"] += 1
        return pending

    def has_highlight(self, conn: Conn) -> bool:
        return bool(self.highlights[conn.user_id])

    # ------------------------------------------------------------ receiving

    def _on_student(self, conn: Conn, message: dict, t: float) -> None:
        kind = message.get("type")
        if kind == "ack":
            pending = self.by_event_id.get(message.get("event_id") or "")
            if pending is None:
                return
            if pending.acked:
                pending.phase.errors["ack_duplicate"] += 1
                return
            pending.acked = True
            pending.phase.ack_ms.append((t - pending.at) * 1000)
            if pending.kind == "text_highlighted":
                highlight_id = message.get("highlight_id")
                if highlight_id is None:
                    pending.phase.errors["ack_without_highlight_id"] += 1
                else:
                    pending.highlight_id = highlight_id
                    self.highlights[conn.user_id].append(highlight_id)
        elif kind == "error":
            pending = self.by_event_id.get(message.get("event_id") or "")
            (pending.phase if pending else self.phase).errors[message.get("code")] += 1
        elif kind == "state_sync_response":
            attempt = message.get("attempt") or {}
            if attempt.get("id") is not None:
                self.attempt_ids.setdefault(conn.user_id, attempt["id"])
        elif kind in KINDS:
            self.leaked += 1

    def _on_teacher(self, conn: Conn, message: dict, t: float) -> None:
        kind = message.get("type")
        if kind not in KINDS:
            return
        student = message.get("student_id")
        sid = str(student)
        if kind == "answer_submitted":
            key = (kind, message.get("answer"))
        elif kind == "progress_update":
            key = (kind, sid, message.get("passage_index"), message.get("question_index"))
        elif kind == "question_flagged":
            key = (kind, sid, str(message.get("question_id")), message.get("flagged"))
        elif kind == "tab_violation":
            key = (kind, sid, message.get("violation_type"))
            count = message.get("violations_count")
            if count in self.violation_counts[student]:
                self.unmatched[kind] += 1  # the same violation told twice
                return
            self.violation_counts[student].add(count)
        elif kind == "text_highlighted":
            key = (kind, sid, str(message.get("passage_id")), message.get("position_start"),
                   message.get("position_end"))  # fmt: skip
        else:
            key = (kind, str(message.get("highlight_id")))
        queue = self.pending.get(key)
        if not queue:
            self.unmatched[kind] += 1
            return
        pending = queue.popleft()
        if not queue:
            del self.pending[key]
        pending.delivered = True
        latency = pending.latency_ms = (t - pending.at) * 1000
        pending.phase.latencies_ms.append(latency)
        pending.phase.by_kind_ms[kind].append(latency)
        if conn.session_id != pending.conn.session_id:
            self.wrong_session += 1
        wrong = [name for name, value in pending.expect.items() if message.get(name) != value]
        if pending.highlight_id is not None and message.get("highlight_id") != pending.highlight_id:
            wrong.append("highlight_id")
        attempt = self.attempt_ids.setdefault(pending.conn.user_id, message.get("attempt_id"))
        if message.get("attempt_id") != attempt or attempt is None:
            wrong.append("attempt_id")
        if message.get("student_id") != pending.conn.user_id:
            wrong.append("student_id")
        if wrong:
            self.mismatched[f"{kind}.{sorted(set(wrong))[0]}"] += 1

    # ------------------------------------------------------------ phases

    def begin(self, name: str, *, rate: float = 0.0, duration: float = 0.0, cpu: CpuMeter | None = None) -> Phase:
        self.phase = Phase(name=name, rate=rate, duration=duration)
        self._cpu = cpu.start() if cpu else None
        self._unmatched0, self._mismatched0 = Counter(self.unmatched), Counter(self.mismatched)
        self._wrong0, self._leaked0 = self.wrong_session, self.leaked
        return self.phase

    async def drain(self, limit: float = 20.0) -> None:
        """Wait for every event's delivery and ack (or for progress to stop for 3 s): a backlog shows as latency."""
        phase = self.phase
        started = time.perf_counter()
        last_progress, last_count = started, -1
        while time.perf_counter() - started < limit:
            delivered = sum(1 for p in phase.events if p.delivered)
            acked = sum(1 for p in phase.events if p.acked)
            if delivered >= len(phase.events) and acked >= len(phase.events):
                break
            if delivered + acked != last_count:
                last_count, last_progress = delivered + acked, time.perf_counter()
            elif time.perf_counter() - last_progress > 3.0:
                break
            await asyncio.sleep(0.05)
        phase.drain_s = time.perf_counter() - started
        if self._cpu:
            phase.cpu = self._cpu.stop()

    def result(self, phase: Phase | None = None) -> dict:
        phase = phase or self.phase
        sent = len(phase.events)
        delivered = sum(1 for p in phase.events if p.delivered)
        acked = sum(1 for p in phase.events if p.acked)
        lost_by_kind = Counter(p.kind for p in phase.events if not p.delivered)
        duplicates = sum((self.unmatched - self._unmatched0).values())
        mismatched = self.mismatched - self._mismatched0
        return {
            "rate": phase.rate, "duration_s": phase.duration, "sent": sent,
            "sent_by_kind": dict(Counter(p.kind for p in phase.events)), "substituted": phase.substituted,
            "delivered": delivered, "lost": sent - delivered, "lost_by_kind": dict(lost_by_kind),
            "duplicates": duplicates, "duplicates_by_kind": dict(self.unmatched - self._unmatched0),
            "mismatched": sum(mismatched.values()), "mismatched_fields": dict(mismatched),
            "wrong_session": self.wrong_session - self._wrong0, "leaked_to_students": self.leaked - self._leaked0,
            "acked": acked, "ack_lost": sent - acked, "errors": dict(phase.errors),
            "latency_ms": summary(phase.latencies_ms), "ack_ms": summary(phase.ack_ms),
            "by_kind_ms": {kind: summary(v) for kind, v in sorted(phase.by_kind_ms.items())},
            "send_lag_ms": round(phase.send_lag_ms, 1), "drain_s": round(phase.drain_s, 2),
            "achieved_per_s": round(delivered / phase.duration, 1) if phase.duration else 0.0, **phase.cpu,
        }  # fmt: skip

    def clean(self, row: dict, p99_ms: float | None = None) -> bool:
        ok = (
            row["lost"] == 0 and row["ack_lost"] == 0 and not row["errors"] and row["duplicates"] == 0
            and row["mismatched"] == 0 and row["wrong_session"] == 0 and row["leaked_to_students"] == 0
        )  # fmt: skip
        return ok and (p99_ms is None or (row["latency_ms"]["p99"] or 0) <= p99_ms)

    # ------------------------------------------------------------ drivers

    async def open_loop(self, name: str, *, rate: float, duration: float, cpu: CpuMeter | None = None,
                        drain_limit: float = 20.0) -> dict:  # fmt: skip
        """Round robin over the students at a fixed total rate, whatever the server does (open loop).

        Event n goes to student n mod N, of kind PATTERN[(n + n div N) mod 100]: each student walks the
        pattern, and each round of N events covers it evenly.
        """
        phase = self.begin(name, rate=rate, duration=duration, cpu=cpu)
        students, count = self.students, len(self.students)
        total = int(rate * duration)
        start = time.perf_counter() + 0.02
        async for sent, at in paced(rate=rate, total=total, start=start, lag=phase):
            conn = students[sent % count]
            kind = PATTERN[(sent + sent // count) % len(PATTERN)]
            if kind == "highlight_removed" and not self.has_highlight(conn):
                # the removal goes to the next student who has a highlight to remove, if any
                conn = next((c for c in students if self.has_highlight(c)), conn)
            await self.send(conn, kind, at)
        await self.drain(drain_limit)
        phase.elapsed_s = time.perf_counter() - start
        return self.result()

    async def per_student(self, name: str, *, arrivals: dict[int, asyncio.Future], per_student_rate: float,
                          duration: float, cpu: CpuMeter | None = None) -> dict:  # fmt: skip
        """Each student starts its own stream the moment its trigger (e.g. `session_started`) arrives: its
        first event at once, then one every 1/rate seconds, for `duration` seconds after its trigger."""
        phase = self.begin(name, rate=per_student_rate * len(self.students), duration=duration, cpu=cpu)
        firsts: list[Pending] = []

        async def stream(i: int, conn: Conn):
            trigger = await arrivals[conn.user_id]
            if trigger is None:
                return
            k = 0
            while k / per_student_rate < duration:
                at = trigger + k / per_student_rate
                delay = at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    phase.send_lag_ms = max(phase.send_lag_ms, -delay * 1000)
                pending = await self.send(conn, PATTERN[(i * 7 + k) % len(PATTERN)], at)
                if k == 0:
                    firsts.append(pending)
                k += 1

        await asyncio.gather(*(stream(i, c) for i, c in enumerate(self.students)))
        await self.drain()
        out = self.result()
        firsts_ms = [p.latency_ms for p in firsts if p.delivered]
        out["first_events"] = {"sent": len(firsts), "lost": len(firsts) - len(firsts_ms),
                               "latency_ms": summary(firsts_ms)}  # fmt: skip
        return out
