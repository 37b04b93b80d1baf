"""The scenarios S1-S6 and the mixed stream's M0-M2 (the REST ones are in bench/rest.py), each bounded in
connections and time. A scenario gets a Target (our daphne processes, or the bare-websockets baseline), the ids
and tokens of setup_school, and the run's settings; it returns plain data.
"""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass

import httpx

from bench.client import (
    Conn,
    CpuMeter,
    Sequence,
    close_all,
    open_all,
    open_loop,
    percentile,
    rss_kib,
    summary,
    wait_quiet,
)
from bench.mixed import MixedStream, Paper


@dataclass
class Target:
    name: str
    kind: str  # "ours" or "baseline"
    ws_bases: list[str]
    http_base: str | None
    pids: list[int]
    group_prefix: str  # whose setup_school groups it uses
    quiet_hold_s: float = 1.0  # how long the servers must idle before the next step

    @property
    def processes(self) -> int:
        return len(self.pids) if self.kind == "ours" else 1

    @property
    def http_bases(self) -> list[str]:
        return [base.replace("ws://", "http://", 1) for base in self.ws_bases]

    def url(self, session_id: int, token: str, index: int) -> str:
        base = self.ws_bases[index % len(self.ws_bases)]
        return f"{base}/api/v1/sessions/{session_id}/ws?token={token}"

    def rss_kib(self) -> int:
        return sum(rss_kib(p) for p in self.pids)

    async def quiet(self, limit: float = 60.0) -> float:
        return await wait_quiet(self.pids, limit=limit, hold=self.quiet_hold_s)


def conns_for(target: Target, data: dict, group: str, *, sessions: int | None = None, students: int | None = None):
    """A group's teachers and students as connections: session k's teacher on process k, students round robin."""
    tokens = data["tokens"]
    teachers, pupils = [], []
    for k, session in enumerate(data["groups"][f"{target.group_prefix}{group}"][:sessions]):
        sid = session["session_id"]
        teachers.append(Conn(url=target.url(sid, tokens[str(session["teacher_id"])], k), user_id=session["teacher_id"],
                             role="teacher", session_id=sid))  # fmt: skip
        for i, student in enumerate(session["students"][:students]):
            pupils.append(Conn(url=target.url(sid, tokens[str(student["id"])], k + i + 1), user_id=student["id"],
                               role="student", session_id=sid, attempt_id=student["attempt_id"]))  # fmt: skip
    return teachers, pupils


def sessions_of(target: Target, data: dict, group: str) -> list[dict]:
    return data["groups"][f"{target.group_prefix}{group}"]


async def connect(target: Target, conns: list[Conn], expect="connected") -> None:
    failed = await open_all(conns, expect=expect)
    if failed:
        await close_all(conns)
        reasons = sorted({c.error or "?" for c in failed})
        raise RuntimeError(f"{target.name}: {len(failed)} of {len(conns)} connections failed: {reasons}")


# ------------------------------------------------------------------------------------------ S1 + S2


async def s1_s2(target: Target, data: dict, cfg: dict, seq: Sequence, then=None) -> dict:
    """S1: 10 sessions x 40 students + a teacher each at 0.2 events/s per student; S2: raise the rate.

    `then(teachers, students)`, if given, runs on the same connections before they close (quick mode's M1)."""
    teachers, students = conns_for(target, data, "s1")
    await connect(target, teachers)
    await connect(target, students, expect="state_sync_response")
    await target.quiet()
    qids = data["question_ids"]
    s1_rate = 0.2 * len(students)
    await open_loop(students, teachers, rate=s1_rate, duration=cfg["warmup_s"], question_ids=qids, seq=seq)
    await target.quiet()
    s1 = await open_loop(students, teachers, rate=s1_rate, duration=cfg["s1_s"], question_ids=qids, seq=seq,
                         cpu=CpuMeter(target.pids))  # fmt: skip
    out = {"S1": {"students": len(students), "teachers": len(teachers), **s1.as_dict()}}
    await target.quiet()

    steps, best = [], None
    ladder = cfg["s2_rates_baseline"] if target.kind == "baseline" else cfg["s2_rates"]
    for rate in ladder:
        step = await open_loop(students, teachers, rate=rate, duration=cfg["s2_step_s"], question_ids=qids, seq=seq,
                               cpu=CpuMeter(target.pids))  # fmt: skip
        row = step.as_dict()
        ok = (
            row["lost"] == 0 and row["ack_lost"] == 0 and not row["errors"] and row["duplicates"] == 0
            and (row["latency_ms"]["p99"] or 0) <= cfg["s2_p99_ms"]
        )  # fmt: skip
        row["passed"] = ok
        steps.append(row)
        verdict = "ok" if ok else "FAIL"
        print(f"    S2 {target.name} {rate:>6}/s: p99 {row['latency_ms']['p99']} ms, lost {row['lost']}, "
              f"errors {row['errors']}, server cpu {row.get('server_cpu_pct')}%, {verdict}", flush=True)  # fmt: skip
        await target.quiet()
        if not ok:
            break
        best = row
    out["S2"] = (
        None
        if not ladder
        else {  # an empty ladder (quick mode's baseline): no S2 figures
            "steps": steps,
            "max_rate": best["rate"] if best else 0,
            "max_achieved_per_s": best["achieved_per_s"] if best else 0,
            "per_process": round((best["achieved_per_s"] if best else 0) / target.processes, 1),
            "processes": target.processes,
        }
    )
    try:
        if then is not None:
            out.update(await then(teachers, students))
    finally:
        await close_all([*students, *teachers])
        await target.quiet()
    return {k: v for k, v in out.items() if v is not None}


# ------------------------------------------------------------------------------------------ S3


async def s3(target: Target, data: dict, cfg: dict) -> dict:
    """Idle connected students: how many one process holds, and the memory each costs."""
    n = cfg["s3_students"]
    per_session = len(sessions_of(target, data, "s3")[0]["students"])
    _, students = conns_for(target, data, "s3", sessions=-(-n // per_session))
    students = students[:n]
    warm = students[: min(50, n // 4)]
    await connect(target, warm)
    await close_all(warm)
    await target.quiet()
    rss0 = target.rss_kib()
    started = time.perf_counter()
    failed = await open_all(students, concurrency=cfg["s3_concurrency"])
    connect_s = time.perf_counter() - started
    await target.quiet()
    rss1 = target.rss_kib()
    alive = [c for c in students if c.ws is not None and not c.closed]
    # Still answering? A heartbeat round trip from a sample of the idle connections.
    sample = alive[:: max(1, len(alive) // 200)]
    sent_at = {}
    for conn in sample:
        conn.reset("pong")
        sent_at[conn] = time.perf_counter()
        await conn.send({"type": "heartbeat"})
    pongs = [await c.expect("pong", 10) for c in sample]
    pong_ms = [(t - sent_at[c]) * 1000 for c, t in zip(sample, pongs, strict=True) if t is not None]
    started = time.perf_counter()
    await close_all(students)
    await target.quiet(limit=600)  # every presence cleared: the next scenario must not start behind it
    disconnect_s = time.perf_counter() - started
    rss2 = target.rss_kib()
    return {"S3": {
        "students": n, "connected": n - len(failed), "failed": len(failed),
        "failures": sorted({c.error or "?" for c in failed})[:5], "connect_s": round(connect_s, 2),
        "connects_per_s": round(n / connect_s, 1), "disconnect_s": round(disconnect_s, 2),
        "rss_before_kib": rss0, "rss_connected_kib": rss1, "rss_after_kib": rss2,
        "kib_per_connection": round((rss1 - rss0) / max(1, n - len(failed)), 1),
        "heartbeat_ms": summary(pong_ms), "heartbeat_missing": len(sample) - len(pong_ms),
        "handshake_ms": summary([c.open_ms for c in students if c.open_ms is not None and c.error is None]),
    }}  # fmt: skip


# ------------------------------------------------------------------------------------------ S4


async def start_session(target: Target, client: httpx.AsyncClient, session: dict, teacher: Conn, token: str):
    if target.kind == "baseline":
        await teacher.send({"type": "bench_start"})
        return None
    response = await client.post(f"{target.http_base}/api/v1/sessions/{session['session_id']}/start",
                                 headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    if response.status_code != 200:
        raise RuntimeError(f"start {session['session_id']}: {response.status_code} {response.text[:200]}")
    return response


async def s4(target: Target, data: dict, cfg: dict) -> dict:
    """A teacher starts the session over REST: how long until the last of its clients has `session_started`."""
    out = {}
    async with httpx.AsyncClient(timeout=30) as client:
        for size, group, reps in (("40", "s4a", cfg["s4_reps_40"]), ("500", "s4b", cfg["s4_reps_500"])):
            if not reps:
                continue
            lasts, all_ms, sync_lasts, post_ms = [], [], [], []
            for rep in range(reps):
                session = sessions_of(target, data, group)[rep]
                sid = session["session_id"]
                tokens = data["tokens"]
                teacher = Conn(url=target.url(sid, tokens[str(session["teacher_id"])], 0),
                               user_id=session["teacher_id"], role="teacher", session_id=sid)  # fmt: skip
                students = [
                    Conn(
                        url=target.url(sid, tokens[str(s["id"])], i + 1),
                        user_id=s["id"],
                        role="student",
                        session_id=sid,
                    )  # fmt: skip
                    for i, s in enumerate(session["students"])
                ]
                clients = [teacher, *students]
                await connect(target, clients)
                await target.quiet()
                t0 = time.perf_counter()
                await start_session(target, client, session, teacher, tokens[str(session["teacher_id"])])
                post_ms.append((time.perf_counter() - t0) * 1000)
                arrivals = await asyncio.gather(*(c.expect("session_started", 20) for c in clients))
                syncs = await asyncio.gather(*(c.expect("state_sync_response", 20) for c in students))
                missing = sum(1 for t in arrivals if t is None) + sum(1 for t in syncs if t is None)
                if missing:
                    raise RuntimeError(f"S4 {target.name}: {missing} clients missed session_started or the sync")
                ms = [(t - t0) * 1000 for t in arrivals]
                all_ms += ms
                lasts.append(max(ms))
                sync_lasts.append(max((t - t0) * 1000 for t in syncs))
                await close_all(clients)
                await target.quiet()
            out[size] = {
                "reps": reps, "clients": len(clients), "last_client_ms": [round(x, 1) for x in lasts],
                "last_client_p99_ms": round(percentile(lasts, 99), 1), "clients_ms": summary(all_ms),
                "state_sync_last_ms": round(max(sync_lasts), 1),
                "state_sync_last_ms_reps": [round(x, 1) for x in sync_lasts],
                "rest_response_ms": round(max(post_ms), 1) if target.kind == "ours" else None,
            }  # fmt: skip
    return {"S4": out}


# ------------------------------------------------------------------------------------------ S5


async def presence(target: Target, data: dict, group: str) -> tuple[int, int]:
    """(connected, participants) as the REST API reports them, over the group's sessions."""
    if target.kind == "baseline":
        return (-1, -1)
    connected = total = 0
    async with httpx.AsyncClient(timeout=30) as client:
        for session in sessions_of(target, data, group):
            token = data["tokens"][str(session["teacher_id"])]
            body = (await client.get(f"{target.http_base}/api/v1/sessions/{session['session_id']}",
                                     headers={"Authorization": f"Bearer {token}"})).json()  # fmt: skip
            total += len(body["participants"])
            connected += sum(1 for p in body["participants"] if p["connection_status"] == "CONNECTED")
    return connected, total


async def s5(target: Target, data: dict, cfg: dict) -> dict:
    """500 students lose their connections at once and come back within 1 s; each needs its state sync again."""
    teachers, students = conns_for(target, data, "s5")
    students = students[: cfg["s5_students"]]
    sync = "state_sync_response"
    await connect(target, teachers)
    await connect(target, students, expect=sync)
    await target.quiet()
    rss0 = target.rss_kib()
    t0 = time.perf_counter()
    for conn in students:
        conn.drop()
    spread = cfg["s5_spread_s"]

    async def come_back(i: int, conn: Conn):
        await asyncio.sleep(max(0.0, t0 + spread * i / len(students) - time.perf_counter()))
        if conn.reader is not None:
            await asyncio.wait({conn.reader}, timeout=5)
        conn.reset()
        if not await conn.open(timeout=20):
            return None
        arrived = await conn.expect(sync, 20)
        if arrived is None:
            conn.error = f"no {sync}"
        return arrived

    arrivals = await asyncio.gather(*(come_back(i, c) for i, c in enumerate(students)))
    back = [(t - t0) for t in arrivals if t is not None]
    failures = len(students) - len(back)
    await target.quiet()
    await asyncio.sleep(target.quiet_hold_s)
    rss1 = target.rss_kib()
    connected, participants = await presence(target, data, "s5")
    await close_all([*students, *teachers])
    await target.quiet()
    reasons = Counter(c.error for c, t in zip(students, arrivals, strict=True) if t is None)
    return {"S5": {
        "students": len(students), "failures": failures, "failure_reasons": dict(reasons),
        "last_rejoined_s": round(max(back), 3) if back else None,
        "rejoined_s": summary([b * 1000 for b in back]), "rss_before_kib": rss0, "rss_after_kib": rss1,
        "rss_change_pct": round(100 * (rss1 - rss0) / rss0, 1), "presence_connected": connected,
        "presence_expected": len(students) if target.kind == "ours" else -1, "participants": participants,
    }}  # fmt: skip


# ------------------------------------------------------------------------------------------ S6


async def s6(target: Target, data: dict, cfg: dict) -> dict:
    """40 students of one class hand in within 100 ms: until the teacher has every marked attempt."""
    lasts, per_student = [], []
    for rep in range(cfg["s6_reps"]):
        last, each = await _hand_in_together(target, data, cfg, rep)
        lasts.append(last)
        per_student += each
    return {"S6": {"reps": cfg["s6_reps"], "students": 40, "last_delivered_ms": [round(x, 1) for x in lasts],
                   "worst_last_ms": round(max(lasts), 1), "per_student_ms": summary(per_student)}}  # fmt: skip


async def _hand_in_together(target: Target, data: dict, cfg: dict, rep: int) -> tuple[float, list[float]]:
    teachers, students = conns_for(target, data, "s6")
    teacher = teachers[rep]
    students = [s for s in students if s.session_id == teacher.session_id]
    await connect(target, [teacher])
    await connect(target, students, expect="state_sync_response")
    await target.quiet()
    got: dict[int, float] = {}
    marked: dict[int, object] = {}

    def on_teacher(conn, message, t):
        if message.get("type") == "attempt_submitted" and message["student_id"] not in got:
            got[message["student_id"]] = t
            marked[message["student_id"]] = message.get("score")

    teacher.on_message = on_teacher
    sent_at = {}
    t0 = time.perf_counter()

    async def hand_in(i: int, conn: Conn):
        await asyncio.sleep(max(0.0, t0 + cfg["s6_spread_s"] * i / len(students) - time.perf_counter()))
        sent_at[conn.user_id] = time.perf_counter()
        await conn.send({"type": "submit_attempt", "event_id": f"submit-{conn.user_id}-{rep}"})

    await asyncio.gather(*(hand_in(i, c) for i, c in enumerate(students)))
    deadline = time.perf_counter() + 10
    while len(got) < len(students) and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    missing = len(students) - len(got)
    if missing:
        raise RuntimeError(f"S6 {target.name}: {missing} attempt_submitted never reached the teacher")
    if any(score is None for score in marked.values()):
        raise RuntimeError(f"S6 {target.name}: an attempt_submitted without a score")
    await close_all([teacher, *students])
    await target.quiet()
    return (max(got.values()) - t0) * 1000, [(got[uid] - sent_at[uid]) * 1000 for uid in got]


# ------------------------------------------------------------------------------------------ M1 + M2


def _mixed_line(name: str, target: Target, row: dict, verdict: str = "") -> None:
    lat = row["latency_ms"]
    print(f"    {name} {target.name} {row['rate']:>6}/s: p50/p95/p99 {lat['p50']}/{lat['p95']}/{lat['p99']} ms, "
          f"sent {row['sent']}, lost {row['lost']}, dup {row['duplicates']}, mismatched {row['mismatched']}, "
          f"acks missing {row['ack_lost']}, errors {row['errors']}, server cpu {row.get('server_cpu_pct')}% "
          f"{verdict}", flush=True)  # fmt: skip


async def m1_m2(target: Target, data: dict, cfg: dict, seq: Sequence, *, m1: bool = True, m2: bool = True,
                conns: tuple | None = None) -> dict:  # fmt: skip
    """M1: 10 classes x 40 students + a teacher each, the mixed stream at 0.2 events/s per student; M2: the
    mixed rate doubled step by step until p99 > 100 ms or anything is lost, refused or duplicated.

    With `conns` (teachers, students) it runs on connections already open (S1's, in quick mode) and leaves
    them open."""
    if conns is None:
        teachers, students = conns_for(target, data, "m1")
        await connect(target, teachers)
        await connect(target, students, expect="state_sync_response")
        await target.quiet()
    else:
        teachers, students = conns
    stream = MixedStream(students, teachers, Paper.of(data), seq, check_attempt_ids=target.kind == "ours")
    out = {}
    try:
        rate = cfg["m1_rate_per_student"] * len(students)
        # The warm-up also gives students highlights to remove later.
        await stream.open_loop("M1 warm-up", rate=rate, duration=cfg["warmup_s"])
        await target.quiet()
        if m1:
            row = await stream.open_loop("M1", rate=rate, duration=cfg["m1_s"], cpu=CpuMeter(target.pids))
            row["passed"] = stream.clean(row)
            _mixed_line("M1", target, row)
            out["M1"] = {"students": len(students), "teachers": len(teachers), **row}
            await target.quiet()
        if m2:
            steps, best = [], None
            ladder = cfg["m2_rates_baseline"] if target.kind == "baseline" else cfg["m2_rates"]
            for step_rate in ladder:  # an empty ladder: no M2 figures (quick mode's baseline)
                row = await stream.open_loop(f"M2 {step_rate}/s", rate=step_rate, duration=cfg["m2_step_s"],
                                             cpu=CpuMeter(target.pids))  # fmt: skip
                row["passed"] = stream.clean(row, cfg["s2_p99_ms"])
                steps.append(row)
                _mixed_line("M2", target, row, "ok" if row["passed"] else "FAIL")
                await target.quiet()
                if not row["passed"]:
                    break
                best = row
            best_rate = best["achieved_per_s"] if best else 0
            out["M2"] = None if not ladder else {
                "steps": steps, "max_rate": best["rate"] if best else 0, "max_achieved_per_s": best_rate,
                "per_process": round(best_rate / target.processes, 1), "processes": target.processes,
                "ladder_exhausted": bool(best) and best is steps[-1],
            }  # fmt: skip
    finally:
        stream.detach()
        if conns is None:
            await close_all([*students, *teachers])
            await target.quiet()
    return {k: v for k, v in out.items() if v is not None}


# ------------------------------------------------------------------------------------------ M0


async def m0(target: Target, data: dict, cfg: dict, seq: Sequence) -> dict:
    """10 classes of 40 wait in the waiting room; their teachers start them at once (POST /start each); every
    student sends its mixed stream from the moment its `session_started` arrives (no warm-up). How long from
    each start until the last of its students has its state sync, and how fast those first events travel."""
    teachers, students = conns_for(target, data, "m0")
    await connect(target, teachers)
    await connect(target, students)
    await target.quiet()
    stream = MixedStream(students, teachers, Paper.of(data), seq, check_attempt_ids=False)
    sessions = sessions_of(target, data, "m0")
    started = {c.user_id: asyncio.ensure_future(c.expect("session_started", 30)) for c in students}
    t0s, post_ms = {}, {}
    try:
        streaming = asyncio.ensure_future(
            stream.per_student(
                "M0",
                arrivals=started,
                per_student_rate=cfg["m1_rate_per_student"],
                duration=cfg["m0_s"],
                cpu=CpuMeter(target.pids),
            )  # fmt: skip
        )
        async with httpx.AsyncClient(timeout=30) as http:

            async def start(k: int, session: dict):
                sid = session["session_id"]
                t0s[sid] = time.perf_counter()
                await start_session(target, http, session, teachers[k], data["tokens"][str(session["teacher_id"])])
                post_ms[sid] = (time.perf_counter() - t0s[sid]) * 1000

            await asyncio.gather(*(start(k, s) for k, s in enumerate(sessions)))
        syncs = await asyncio.gather(*(c.expect("state_sync_response", 30) for c in students))
        row = await streaming
        arrivals = [f.result() for f in started.values()]
        per_session = []
        for session in sessions:
            sid = session["session_id"]
            mine = [(a, s) for c, a, s in zip(students, arrivals, syncs, strict=True) if c.session_id == sid]
            got_sync = [s for _, s in mine if s is not None]
            got_start = [a for a, _ in mine if a is not None]
            per_session.append({
                "session_id": sid, "students": len(mine), "post_ms": round(post_ms.get(sid, 0), 1),
                "missing_session_started": len(mine) - len(got_start), "missing_state_sync": len(mine) - len(got_sync),
                "last_session_started_ms": round((max(got_start) - t0s[sid]) * 1000, 1) if got_start else None,
                "last_state_sync_ms": round((max(got_sync) - t0s[sid]) * 1000, 1) if got_sync else None,
            })  # fmt: skip
        lasts = [p["last_state_sync_ms"] for p in per_session if p["last_state_sync_ms"] is not None]
        missing = sum(p["missing_state_sync"] + p["missing_session_started"] for p in per_session)
        row["passed"] = stream.clean(row) and not missing
        _mixed_line("M0", target, row)
        print(f"    M0 {target.name}: start → last state sync per session {lasts} ms; first events "
              f"{row['first_events']['latency_ms']}", flush=True)  # fmt: skip
        return {"M0": {
            "sessions": len(sessions), "students": len(students), "per_session": per_session,
            "last_state_sync_ms": max(lasts) if lasts and not missing else None,
            "last_state_sync_p50_ms": percentile(lasts, 50), "missing": missing,
            "rest_response_ms": round(max(post_ms.values()), 1) if target.kind == "ours" and post_ms else None,
            **row,
        }}  # fmt: skip
    finally:
        stream.detach()
        for future in started.values():
            future.cancel()
        await close_all([*students, *teachers])
        await target.quiet()
