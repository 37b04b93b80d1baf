"""The REST scenarios (our servers only; the baseline speaks no HTTP API).

U1: an admin creates a teacher and a class of 40 students through `POST /api/v1/users` (the real password
hasher), every one of them logs in with `POST /api/v1/auth/token` (40 at a time, each from its own loopback
address as from its own device: the login throttle counts per address), the teacher builds the class and its
session through the API, everyone opens a socket with the JWT it got, and the teacher starts.

R1: N concurrent clients (teachers and students, page loads with a session cookie from the login page, API reads
with a JWT) each make a bounded number of requests at once, at 50, 100, 200 and 500 clients; `/healthz` is
probed throughout; the server's database connections are sampled from pg_stat_activity during each burst
and about 2 s after it.
"""

import asyncio
import re
import time
from collections import Counter
from datetime import UTC, datetime

import httpx
import psycopg

from bench.client import Conn, close_all, open_all, summary
from bench.scenarios import Target, sessions_of, start_session

PASSWORD = "Reading-paper-2468"  # passes Django's password validators; hashed by the server on create
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def loopback(block: int, i: int) -> str:
    """The i-th client address of a block: 127.<block>.x.y (Linux routes all of 127/8 to the loopback)."""
    return f"127.{block}.{i // 250}.{2 + i % 250}"


def _status_row(codes: Counter, latencies: list[float]) -> dict:
    fivexx = sum(n for code, n in codes.items() if isinstance(code, int) and code >= 500)
    ok = sum(n for code, n in codes.items() if isinstance(code, int) and 200 <= code < 300)
    return {
        "n": sum(codes.values()), "ok": ok, "5xx": fivexx, "other": sum(codes.values()) - ok - fivexx,
        "status": {str(k): v for k, v in sorted(codes.items(), key=str)}, "latency_ms": summary(latencies),
    }  # fmt: skip


async def _timed(codes: Counter, latencies: list[float], request) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await request
    except httpx.HTTPError as exc:
        codes[type(exc).__name__] += 1
        return None
    latencies.append((time.perf_counter() - started) * 1000)
    codes[response.status_code] += 1
    return response


# ------------------------------------------------------------------------------------------ U1


async def u1(target: Target, data: dict, cfg: dict) -> dict:
    if target.kind != "ours":
        return {}
    n = cfg["u1_students"]
    prefix = f"u1-{target.group_prefix}"
    bases = target.http_bases
    admin = {"Authorization": f"Bearer {data['tokens'][str(data['admin_id'])]}"}
    create_codes, create_ms = Counter(), []
    out: dict = {"students": n, "create_concurrency": cfg["u1_create_concurrency"],
                 "login_concurrency": cfg["u1_login_concurrency"]}  # fmt: skip
    async with httpx.AsyncClient(timeout=120) as http:
        gate = asyncio.Semaphore(cfg["u1_create_concurrency"])

        async def create(k: int, username: str, role: str):
            body = {"username": username, "password": PASSWORD, "role": role, "first_name": "U1", "last_name": str(k)}
            url = f"{bases[k % len(bases)]}/api/v1/users"
            async with gate:
                response = await _timed(create_codes, create_ms, http.post(url, json=body, headers=admin))
            return response.json()["id"] if response is not None and response.status_code == 201 else None

        started = time.perf_counter()
        teacher_id = await create(0, f"{prefix}teacher", "TEACHER")
        names = [f"{prefix}s{k:03d}" for k in range(n)]
        student_ids = await asyncio.gather(*(create(k + 1, name, "STUDENT") for k, name in enumerate(names)))
        out["create"] = {**_status_row(create_codes, create_ms), "wall_s": round(time.perf_counter() - started, 2)}
        print(f"    U1 {target.name}: {n + 1} users created, {out['create']}", flush=True)
        if teacher_id is None:
            raise RuntimeError(f"U1 {target.name}: the teacher could not be created: {dict(create_codes)}")

        # Logins: everyone at once (up to the concurrency), each from its own address.
        login_codes, login_ms, tokens = Counter(), [], {}
        gate = asyncio.Semaphore(cfg["u1_login_concurrency"])
        users = [(f"{prefix}teacher", teacher_id)] + [(u, i) for u, i in zip(names, student_ids, strict=True) if i]
        block = 10 + target.processes

        async def login(k: int, username: str, user_id):
            transport = httpx.AsyncHTTPTransport(local_address=loopback(block, k))
            url, body = f"{bases[k % len(bases)]}/api/v1/auth/token", {"username": username, "password": PASSWORD}
            async with gate, httpx.AsyncClient(transport=transport, timeout=120) as own:
                response = await _timed(login_codes, login_ms, own.post(url, json=body))
            if response is not None and response.status_code == 200:
                tokens[user_id] = response.json()["access"]

        started = time.perf_counter()
        await asyncio.gather(*(login(k, u, i) for k, (u, i) in enumerate(users)))
        out["login"] = {**_status_row(login_codes, login_ms), "wall_s": round(time.perf_counter() - started, 2)}
        print(f"    U1 {target.name}: {len(users)} logins, {out['login']}", flush=True)
        if teacher_id not in tokens:
            raise RuntimeError(f"U1 {target.name}: the teacher could not log in: {dict(login_codes)}")

        # The teacher builds the class and its session through the API, then opens the waiting room.
        teacher = {"Authorization": f"Bearer {tokens[teacher_id]}"}
        api = f"{bases[0]}/api/v1"
        calls = Counter()

        async def call(path: str, body: dict, want: int = 201) -> dict:
            response = await http.post(f"{api}{path}", json=body, headers=teacher)
            calls[f"{path.split('/')[1]} {response.status_code}"] += 1
            if response.status_code != want:
                raise RuntimeError(f"U1 {target.name}: POST {path}: {response.status_code} {response.text[:200]}")
            return response.json()

        klass = await call("/classes", {"name": f"U1 {target.name}"})
        enrol = asyncio.Semaphore(8)

        async def add(student_id):
            async with enrol:
                await call(f"/classes/{klass['id']}/students", {"student_id": student_id})

        enrolled = [i for i in student_ids if i and i in tokens]
        await asyncio.gather(*(add(i) for i in enrolled))
        scheduled = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        session = await call("/sessions", {"class_id": klass["id"], "test_id": data["paper_id"], "title": "U1",
                                           "scheduled_at": scheduled})  # fmt: skip
        await call(f"/sessions/{session['id']}/start-waiting", {}, want=200)
        out["setup_calls"] = dict(calls)

        sid = session["id"]
        teacher_conn = Conn(url=target.url(sid, tokens[teacher_id], 0), user_id=teacher_id, role="teacher",
                            session_id=sid)  # fmt: skip
        pupils = [Conn(url=target.url(sid, tokens[i], k + 1), user_id=i, role="student", session_id=sid)
                  for k, i in enumerate(enrolled)]  # fmt: skip
        clients = [teacher_conn, *pupils]
        try:
            failed = await open_all(clients)
            out["sockets"] = {"opened": len(clients) - len(failed), "failed": len(failed),
                              "failures": sorted({c.error or "?" for c in failed})[:5]}  # fmt: skip
            if len(failed) == len(clients):
                raise RuntimeError(f"U1 {target.name}: no socket opened: {out['sockets']['failures']}")
            await target.quiet()
            t0 = time.perf_counter()
            await start_session(target, http, {"session_id": sid}, teacher_conn, tokens[teacher_id])
            syncs = await asyncio.gather(*(c.expect("state_sync_response", 20) for c in pupils))
            got = [t for t in syncs if t is not None]
            out["start"] = {"missing_state_sync": len(pupils) - len(got),
                            "last_state_sync_ms": round((max(got) - t0) * 1000, 1) if got else None}  # fmt: skip
        finally:
            await close_all(clients)
            await target.quiet()
    errors = out["create"]["n"] - out["create"]["ok"] + out["login"]["n"] - out["login"]["ok"]
    out["errors"] = errors + out["sockets"]["failed"] + out["start"]["missing_state_sync"]
    return {"U1": out}


# ------------------------------------------------------------------------------------------ R1


async def _page_login(base: str, username: str, password: str) -> tuple[str | None, float]:
    """Log in through /accounts/login/ as a browser does: the form, its CSRF token, the POST; → sessionid."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as browser:
        form = await browser.get("/accounts/login/")
        match = CSRF_INPUT.search(form.text)
        started = time.perf_counter()
        response = await browser.post(
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": match.group(1) if match else ""},
        )
        ms = (time.perf_counter() - started) * 1000
        return (browser.cookies.get("sessionid") if response.status_code == 302 else None), ms


class DbSampler:
    """Counts the server's connections to its database (pg_stat_activity) every 50 ms, in the background."""

    def __init__(self, dsn: str, database: str):
        self.dsn, self.database, self.samples, self.task = dsn, database, [], None

    async def __aenter__(self):
        self.conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
        self.task = asyncio.create_task(self._run())
        return self

    async def _run(self):
        while True:
            cursor = await self.conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity WHERE datname = %s",
                (self.database,),
            )
            total, active = await cursor.fetchone()
            self.samples.append((time.perf_counter(), total, active))
            await asyncio.sleep(0.05)

    def between(self, t0: float, t1: float) -> list[tuple]:
        return [s for s in self.samples if t0 <= s[0] <= t1]

    async def __aexit__(self, *exc):
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.conn.close()


class HealthProbe:
    """GET /healthz every 100 ms (one at a time, round robin over the processes), anonymously."""

    def __init__(self, bases: list[str]):
        self.bases, self.results, self.task = bases, [], None
        self.running = asyncio.Event()  # cleared while the runner waits for the servers to go idle
        self.running.set()

    async def __aenter__(self):
        self.http = httpx.AsyncClient(timeout=10)
        self.task = asyncio.create_task(self._run())
        return self

    async def _run(self):
        k = 0
        while True:
            await self.running.wait()
            started = time.perf_counter()
            try:
                status = (await self.http.get(f"{self.bases[k % len(self.bases)]}/healthz")).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            self.results.append((started, status, (time.perf_counter() - started) * 1000))
            k += 1
            await asyncio.sleep(0.1)

    def between(self, t0: float, t1: float) -> dict:
        rows = [r for r in self.results if t0 <= r[0] <= t1]
        return {"n": len(rows), "not_200": sum(1 for r in rows if r[1] != 200),
                "statuses": dict(Counter(str(r[1]) for r in rows)), "max_ms": round(max((r[2] for r in rows),
                                                                                     default=0), 1)}  # fmt: skip

    async def __aexit__(self, *exc):
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.http.aclose()


def _r1_requests(role: str, who: dict) -> list[tuple[str, str, str]]:
    """(label, path, credential) of a client's visit, in order: 'cookie' pages, 'jwt' API reads, 'anon'."""
    sid = who["session_id"]
    if role == "teacher":
        return [
            ("teacher live page", f"/teacher/sessions/{sid}/live/", "cookie"),
            ("GET session", f"/api/v1/sessions/{sid}", "jwt"),
            ("GET stats", f"/api/v1/sessions/{sid}/stats", "jwt"),
            ("GET users/me", "/api/v1/users/me", "jwt"),
            ("teacher dashboard", "/teacher/", "cookie"),
            ("GET stats", f"/api/v1/sessions/{sid}/stats", "jwt"),
        ]
    return [
        ("student test page", f"/sessions/{sid}/test/", "cookie"),
        ("GET users/me", "/api/v1/users/me", "jwt"),
        ("GET attempt", f"/api/v1/attempts/{who['attempt_id']}", "jwt"),
        ("GET session", f"/api/v1/sessions/{sid}", "jwt"),
        ("healthz", "/healthz", "anon"),
        ("student sessions page", "/my-sessions/", "cookie"),
    ]


async def _burst(bases, teachers, students, with_cookie, tokens, clients: int, requests: int):
    """`clients` clients start at the same moment; each makes `requests` requests one after the other."""
    codes, latencies, by_label = Counter(), [], {}
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    gate = asyncio.Event()
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:

        async def visit(c: int):
            base = bases[c % len(bases)]
            role = "teacher" if c % 5 == 0 else "student"
            who = teachers[c % len(teachers)] if role == "teacher" else students[c % len(students)]
            paged = who if role == "teacher" else with_cookie[c % len(with_cookie)]
            plan, page_plan = _r1_requests(role, who), _r1_requests(role, paged)
            await gate.wait()
            for r in range(requests):
                i = (c + r) % len(plan)
                label, path, credential = plan[i]
                headers = {}
                if credential == "cookie":
                    path = page_plan[i][1]
                    headers["Cookie"] = f"sessionid={paged['cookie']}"
                elif credential == "jwt":
                    headers["Authorization"] = f"Bearer {tokens[str(who['id'])]}"
                label_codes, label_ms = by_label.setdefault(label, (Counter(), []))
                started = time.perf_counter()
                try:
                    code = (await http.get(base + path, headers=headers)).status_code
                except httpx.HTTPError as exc:
                    code = type(exc).__name__
                ms = (time.perf_counter() - started) * 1000
                label_codes[code] += 1
                codes[code] += 1
                if isinstance(code, int):
                    label_ms.append(ms)
                    latencies.append(ms)

        tasks = [asyncio.create_task(visit(c)) for c in range(clients)]
        await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        gate.set()
        await asyncio.gather(*tasks)
        t1 = time.perf_counter()
    return codes, latencies, by_label, t0, t1


async def r1(target: Target, data: dict, cfg: dict, *, dsn: str, database: str) -> dict:
    if target.kind != "ours":
        return {}
    bases = target.http_bases
    sessions = sessions_of(target, data, "r1")
    teachers = [{"id": s["teacher_id"], "username": s["teacher_username"], "session_id": s["session_id"]}
                for s in sessions]  # fmt: skip
    students = [{**st, "session_id": s["session_id"]} for s in sessions for st in s["students"]]
    # Session cookies from the login page (the real hasher) for every teacher and some students.
    page_users = teachers + students[: cfg["r1_cookie_students"]]
    logins = await asyncio.gather(*(_page_login(bases[k % len(bases)], u["username"], data["password"])
                                    for k, u in enumerate(page_users)))  # fmt: skip
    for user, (cookie, _) in zip(page_users, logins, strict=True):
        user["cookie"] = cookie
    failed_logins = [u["username"] for u in page_users if not u["cookie"]]
    if failed_logins:
        raise RuntimeError(f"R1 {target.name}: the login page refused {failed_logins[:3]}")
    with_cookie = [u for u in students if u.get("cookie")]
    pool_max = cfg["db_pool_max"]
    out = {"pool_max_per_process": pool_max, "connection_limit": pool_max * target.processes,
           "requests_per_client": cfg["r1_requests"], "page_login_ms": summary([ms for _, ms in logins]),
           "levels": []}  # fmt: skip
    async with DbSampler(dsn, database) as db, HealthProbe(bases) as health:
        await asyncio.sleep(0.5)
        t_first = time.perf_counter()
        for clients in cfg["r1_levels"]:
            health.running.clear()  # its requests would keep the servers from looking idle
            await target.quiet()
            health.running.set()
            codes, latencies, by_label, t0, t1 = await _burst(
                bases, teachers, students, with_cookie, data["tokens"], clients, cfg["r1_requests"]
            )
            await asyncio.sleep(2.0)
            during = db.between(t0, t1)
            after = db.samples[-1] if db.samples else (0, None, None)
            level = {
                "clients": clients, "wall_s": round(t1 - t0, 2), "per_s": round(sum(codes.values()) / (t1 - t0), 1),
                **_status_row(codes, latencies),
                "by_request": {label: _status_row(c, ms) for label, (c, ms) in sorted(by_label.items())},
                "db_connections_max": max((s[1] for s in during), default=None),
                "db_active_max": max((s[2] for s in during), default=None),
                "db_connections_after_2s": after[1], "healthz": health.between(t0, t1),
            }  # fmt: skip
            level["passed"] = (
                level["5xx"] == 0 and level["healthz"]["not_200"] == 0
                and (level["db_connections_max"] or 0) <= out["connection_limit"]
            )  # fmt: skip
            out["levels"].append(level)
            print(f"    R1 {target.name} {clients:>4} clients: {level['n']} requests in {level['wall_s']} s, p50/p99 "
                  f"{level['latency_ms']['p50']}/{level['latency_ms']['p99']} ms, 5xx {level['5xx']}, other "
                  f"{level['other']} {level['status']}, db connections max {level['db_connections_max']} (after "
                  f"2 s {level['db_connections_after_2s']}, limit {out['connection_limit']}), healthz "
                  f"{level['healthz']['statuses']} max {level['healthz']['max_ms']} ms", flush=True)  # fmt: skip
        out["healthz_all"] = health.between(t_first, time.perf_counter())
    levels = out["levels"]
    top = levels[-1] if levels else {}
    out["top"] = {
        "clients": top.get("clients"), "5xx": top.get("5xx"), "p99_ms": (top.get("latency_ms") or {}).get("p99"),
        "db_connections_max": max((lv["db_connections_max"] or 0 for lv in levels), default=None),
        "healthz_not_200": out["healthz_all"]["not_200"], "5xx_all_levels": sum(lv["5xx"] for lv in levels),
        "passed": bool(levels) and all(lv["passed"] for lv in levels) and out["healthz_all"]["not_200"] == 0,
    }  # fmt: skip
    return {"R1": out}
