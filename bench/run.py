"""`make bench` / `make bench-quick`: build a fresh database, start the servers, run the scenarios, write the table.

    .venv/bin/python -m bench.run [--quick] [--processes 1,2] [--scenarios S1,M1,R1] [--no-baseline] [--profile S2]

Scenarios: S1-S6 (answers only; see docs/performance.md), M1/M2 (the mixed stream of a reading paper, and its
throughput ladder), M0 (classes started from the waiting room, streaming from their session_started), U1 (users
created and logged in through the REST API), R1 (a REST burst at rising concurrency, database connections counted).
It creates the PostgreSQL database `ielts_bench` afresh (dropping an old one), runs migrate and
bench/setup_school.py, flushes Redis db 12, then runs every scenario against the bare-websockets baseline and
against 1 and 2 daphne processes. Results go to bench/results.json and bench/results.md (both ignored
by git); the Markdown table is printed too. Everything listens on 127.0.0.1 only.
"""

import argparse
import asyncio
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import redis

from bench import client, report, rest
from bench.client import Sequence, close_all
from bench.scenarios import Target, m0, m1_m2, s1_s2, s3, s4, s5, s6

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_DB", "ielts_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
DAPHNE_OPTIONS = ["--websocket_connect_timeout", "30"]  # as the Dockerfile and `make run` start it

FULL = {
    "warmup_s": 3, "s1_s": 15, "s2_step_s": 4, "s2_p99_ms": 100,
    "s2_rates": [50, 100, 150, 200, 300, 400, 600, 800, 1000, 1250, 1500, 2000, 3000],
    "s2_rates_baseline": [250, 500, 1000, 1500, 2000, 3000, 4000, 6000],
    "s3_students": 5000, "s3_concurrency": 32, "s4_reps_40": 5, "s4_reps_500": 2,
    "s5_students": 500, "s5_spread_s": 1.0, "s6_reps": 3, "s6_spread_s": 0.1, "processes": [1, 2],
    "quiet_hold_s": 1.0, "s1_sessions": 10,
    # the mixed stream (M1, M2, M0), the REST scenarios (U1, R1), and the servers' database pool
    "m1_sessions": 10, "m1_s": 15, "m1_rate_per_student": 0.2, "m2_step_s": 4,
    "m2_rates": [80, 160, 320, 640, 1000, 1280, 1600, 2000, 2560], "m2_rates_baseline": [1000, 2000, 4000],
    "m0_sessions": 10, "m0_s": 6, "u1_students": 40, "u1_create_concurrency": 8, "u1_login_concurrency": 40,
    "r1_classes": 5, "r1_levels": [50, 100, 200, 500], "r1_requests": 2, "r1_cookie_students": 10,
    "db_pool_max": int(os.environ.get("BENCH_DATABASE_POOL_MAX", "20")),
    "m1_on_s1": False, "baseline_scenarios": None, "scenarios": None,
}  # fmt: skip
QUICK = {  # a smoke run of under a minute: most scenarios, smaller (S1/S2/M1 on 2 classes, M1 on S1's sockets,
    # S3 with 60 students, S4 with 40 only, S5 with 50, R1 at 50 clients); M0, M2 and U1 only when asked for
    # (--scenarios); the baseline runs S1 and M1 only.
    **FULL, "warmup_s": 0.5, "s1_s": 2, "s1_sessions": 2, "s2_step_s": 1.5, "s2_rates": [400],
    "s2_rates_baseline": [], "s3_students": 60, "s4_reps_40": 1, "s4_reps_500": 0,
    "s5_students": 50, "s6_reps": 1, "processes": [1], "quiet_hold_s": 0.2,
    "m1_sessions": 2, "m1_s": 3, "m1_on_s1": True, "m2_step_s": 1.5, "m2_rates": [160, 400], "m2_rates_baseline": [],
    "m0_sessions": 2, "m0_s": 1, "u1_students": 5, "u1_login_concurrency": 5, "r1_classes": 1, "r1_levels": [50],
    "r1_requests": 2, "r1_cookie_students": 2, "baseline_scenarios": ["S1", "S2", "M1"],
    "scenarios": ["S1", "S2", "S3", "S4", "S5", "S6", "M1", "R1"],
}  # fmt: skip
SCENARIOS = ["S1", "S2", "S3", "S4", "S5", "S6", "M1", "M2", "M0", "U1", "R1"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raise_fd_limit() -> int:
    """As many open files as allowed (children inherit it): 5,000 sockets each side and then some."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def server_env(**extra) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ielts_site.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "REDIS_URL": REDIS_URL,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def fresh_database() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    redis.Redis.from_url(REDIS_URL).flushdb()


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=server_env(), check=True)


def setup_school(*args: str) -> None:
    """bench/setup_school.py (the school in bulk) in its own process, with the servers' environment."""
    subprocess.run([sys.executable, "-m", "bench.setup_school", *args], cwd=ROOT, env=server_env(), check=True)


def spec_for(cfg: dict) -> dict:
    groups = []
    for n in cfg["processes"]:
        p = f"p{n}-"
        groups += [
            {"name": p + "s1", "classes": cfg["s1_sessions"], "students_per_class": 40},
            {"name": p + "s4a", "classes": 1, "students_per_class": 40, "sessions_per_class": cfg["s4_reps_40"],
             "status": "WAITING_FOR_STUDENTS"},
            *([{"name": p + "s4b", "classes": 1, "students_per_class": 500, "sessions_per_class": cfg["s4_reps_500"],
                "status": "WAITING_FOR_STUDENTS"}] if cfg["s4_reps_500"] else []),
            {"name": p + "s5", "classes": 10, "students_per_class": cfg["s5_students"] // 10},
            {"name": p + "s6", "classes": cfg["s6_reps"], "students_per_class": 40, "answers_per_student": 30},
            {"name": p + "m1", "classes": cfg["m1_sessions"], "students_per_class": 40},
            {"name": p + "m0", "classes": cfg["m0_sessions"], "students_per_class": 40,
             "status": "WAITING_FOR_STUDENTS"},
            {"name": p + "r1", "classes": cfg["r1_classes"], "students_per_class": 40, "password": True},
        ]  # fmt: skip
    groups.append({"name": "p1-s3", "classes": -(-cfg["s3_students"] // 40), "students_per_class": 40})
    # One pool of students for every group (a student sits in several classes; the scenarios run one at a time).
    return {"students": max(1000, cfg["s3_students"], 500 if cfg["s4_reps_500"] else 0), "groups": groups}


class Servers:
    """Child processes of the run (daphne, the baseline, py-spy): started here, stopped here, logs in bench/logs."""

    def __init__(self):
        self.children: list[subprocess.Popen] = []
        self.logs = BENCH / "logs"
        self.logs.mkdir(exist_ok=True)

    def spawn(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 — the child owns it
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.children.append(child)
        return child

    def daphne(self, name: str, pool_max: int) -> tuple[subprocess.Popen, int]:
        port = free_port()
        argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *DAPHNE_OPTIONS]
        argv.append("ielts_site.asgi:application")
        child = self.spawn(name, argv, server_env(SERVER_NAME=name, DATABASE_POOL_MAX=str(pool_max)))
        wait_http(f"http://127.0.0.1:{port}/healthz", child, name)
        return child, port

    def baseline(self, data_path: Path) -> tuple[subprocess.Popen, int]:
        port = free_port()
        argv = [sys.executable, str(BENCH / "baseline_server.py"), "--port", str(port), "--data", str(data_path)]
        child = self.spawn("baseline", argv, dict(os.environ))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return child, port
            time.sleep(0.05)
        raise RuntimeError("baseline server did not listen")

    def stop(self, child: subprocess.Popen, sig=signal.SIGTERM) -> None:
        if child.poll() is None:
            child.send_signal(sig)
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if child in self.children:
            self.children.remove(child)

    def stop_all(self) -> None:
        for child in list(self.children):
            self.stop(child)


def wait_http(url: str, child: subprocess.Popen, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"{name} exited: see bench/logs/{name}.log")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not answer in {timeout}s")


def versions() -> dict:
    packages = ["Django", "channels", "daphne", "channels-redis", "Twisted", "websockets", "psycopg", "redis"]
    found = {p: importlib.metadata.version(p) for p in packages}
    with psycopg.connect(PG_ADMIN) as conn:
        found["PostgreSQL"] = conn.execute("SHOW server_version").fetchone()[0]
        found["pg fsync/synchronous_commit"] = "/".join(
            conn.execute(f"SHOW {name}").fetchone()[0] for name in ("fsync", "synchronous_commit")
        )
    found["Redis"] = redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]
    found["Python"] = platform.python_version()
    return found


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "cpus": os.cpu_count(), "cpu_model": model, "memory_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(), "loadavg_start": os.getloadavg(), "commit": commit.stdout.strip(),
    }  # fmt: skip


class Profiler:
    """py-spy on the daphne processes during chosen scenarios (collapsed stacks in bench/profiles)."""

    def __init__(self, servers: Servers, scenarios: set[str]):
        self.servers, self.scenarios, self.running = servers, scenarios, []
        self.binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")

    def start(self, scenario: str, target: Target) -> None:
        if scenario not in self.scenarios or target.kind != "ours":
            return
        out = BENCH / "profiles"
        out.mkdir(exist_ok=True)
        for i, pid in enumerate(target.pids):
            path = out / f"{target.name.replace(' ', '')}-{scenario}-{i}.txt"
            argv = [self.binary, "record", "--pid", str(pid), "--rate", "200", "--format", "raw", "--nonblocking",
                    "--output", str(path), *os.environ.get("BENCH_PYSPY_ARGS", "").split()]  # fmt: skip
            self.running.append(self.servers.spawn(f"py-spy-{i}", argv, dict(os.environ)))
        time.sleep(1.0)

    def stop(self) -> None:
        for child in self.running:
            self.servers.stop(child, signal.SIGINT)
        self.running = []


async def run_target(target: Target, data: dict, cfg: dict, wanted: list[str], profiler: Profiler) -> dict:
    results = {"name": target.name, "kind": target.kind, "processes": target.processes}
    seq = Sequence()
    plan = [
        ("S3", lambda: s3(target, data, cfg)) if target.processes == 1 else None,
        ("S1", lambda: s1_s2(target, data, cfg, seq, then=mixed_on_s1)),
        ("M1", lambda: m1_m2(target, data, cfg, seq, m1="M1" in allowed, m2="M2" in allowed)),
        ("S4", lambda: s4(target, data, cfg)),
        ("M0", lambda: m0(target, data, cfg, seq)),
        ("S5", lambda: s5(target, data, cfg)),
        ("S6", lambda: s6(target, data, cfg)),
        ("U1", lambda: rest.u1(target, data, cfg)) if target.kind == "ours" else None,
        ("R1", lambda: rest.r1(target, data, cfg, dsn=PG_ADMIN, database=DB_NAME)) if target.kind == "ours" else None,
    ]
    allowed = set(wanted)
    if target.kind == "baseline" and cfg.get("baseline_scenarios") is not None:
        allowed &= set(cfg["baseline_scenarios"])
    groups = {"S1": {"S1", "S2"}, "M1": {"M1", "M2"}}
    mixed_on_s1 = None
    if cfg["m1_on_s1"] and groups["S1"] & allowed and groups["M1"] & allowed:  # quick: M1 on S1's connections
        groups["S1"] = groups["S1"] | groups.pop("M1")
        plan = [item for item in plan if item is None or item[0] != "M1"]

        async def mixed_on_s1(teachers, students):
            return await m1_m2(target, data, cfg, seq, m1="M1" in allowed, m2="M2" in allowed,
                               conns=(teachers, students))  # fmt: skip

    for item in plan:
        if item is None:
            continue
        name, run = item
        names = groups.get(name, {name}) & allowed
        if not names:
            continue
        started = time.perf_counter()
        print(f"  {target.name}: {'+'.join(sorted(names))} …", flush=True)
        for scenario in names:
            profiler.start(scenario, target)
        try:
            results.update(await run())
        except Exception as exc:  # one broken scenario must not lose the others' figures
            results.setdefault("failures", {})[name] = f"{type(exc).__name__}: {exc}"
            print(f"  {target.name}: {name} FAILED: {exc}", flush=True)
            await close_all(list(client.OPEN))
            await target.quiet()
        finally:
            profiler.stop()
        print(f"  {target.name}: {'+'.join(sorted(names))} done in {time.perf_counter() - started:.1f}s", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller run of under a minute")
    parser.add_argument("--processes", help="daphne process counts to run, e.g. 1,2")
    parser.add_argument("--scenarios", help=f"which of {','.join(SCENARIOS)} (default: all; quick: its own list)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--profile", default="", help="scenarios to profile with py-spy, e.g. S2,S5")
    parser.add_argument("--out", default=str(BENCH / "results.json"))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="override a setting")
    args = parser.parse_args()
    cfg = dict(QUICK if args.quick else FULL)
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in cfg:
            parser.error(f"--set: unknown setting {key!r} (one of {', '.join(cfg)})")
        cfg[key] = json.loads(value)
    if args.processes:
        cfg["processes"] = [int(n) for n in args.processes.split(",")]
    chosen = args.scenarios.split(",") if args.scenarios else (cfg["scenarios"] or SCENARIOS)
    wanted = [s.strip().upper() for s in chosen]
    cfg["scenarios"] = wanted
    run_started = time.perf_counter()
    fd_limit = raise_fd_limit()
    results = {"mode": "quick" if args.quick else "full", "config": cfg, "machine": machine(), "targets": []}
    results["server"] = {"DATABASE_POOL_MAX": cfg["db_pool_max"], "daphne_options": " ".join(DAPHNE_OPTIONS),
                         "DJANGO_DEBUG": server_env()["DJANGO_DEBUG"]}  # fmt: skip
    results["machine"]["fd_limit"] = fd_limit
    results["versions"] = versions()

    print(f"bench: fresh database {DB_NAME}, Redis {REDIS_URL}, DATABASE_POOL_MAX={cfg['db_pool_max']} per daphne "
          "process", flush=True)  # fmt: skip
    t = time.perf_counter()
    fresh_database()
    manage("migrate", "--noinput", "-v0")
    results["setup"] = {"migrate_s": round(time.perf_counter() - t, 1)}
    data_path = BENCH / "logs" / "bench_data.json"
    spec_path = BENCH / "logs" / "bench_spec.json"
    (BENCH / "logs").mkdir(exist_ok=True)
    spec_path.write_text(json.dumps(spec_for(cfg)))
    t = time.perf_counter()
    setup_school("--spec", str(spec_path), "--out", str(data_path))
    results["setup"]["bench_setup_s"] = round(time.perf_counter() - t, 1)
    data = json.loads(data_path.read_text())

    servers = Servers()
    profiler = Profiler(servers, {s.strip().upper() for s in args.profile.split(",") if s.strip()})
    try:
        if not args.no_baseline:
            child, port = servers.baseline(data_path)
            ws = [f"ws://127.0.0.1:{port}"]
            target = Target("baseline", "baseline", ws, None, [child.pid], "p1-", cfg["quiet_hold_s"])
            results["targets"].append(asyncio.run(run_target(target, data, cfg, wanted, profiler)))
            servers.stop(child)
        for n in cfg["processes"]:
            started = [servers.daphne(f"bench-{n}-{i + 1}", cfg["db_pool_max"]) for i in range(n)]
            target = Target(
                f"daphne x{n}", "ours", [f"ws://127.0.0.1:{port}" for _, port in started],
                f"http://127.0.0.1:{started[0][1]}", [child.pid for child, _ in started], f"p{n}-", cfg["quiet_hold_s"],
            )  # fmt: skip
            results["targets"].append(asyncio.run(run_target(target, data, cfg, wanted, profiler)))
            asyncio.run(target.quiet(limit=600))  # stopped with work left, its presence would be swept by the next
            for child, _ in started:
                servers.stop(child)
    finally:
        profiler.stop()
        servers.stop_all()
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["elapsed_s"] = round(time.perf_counter() - run_started, 1)
    Path(args.out).write_text(json.dumps(results, indent=2))
    table = report.markdown(results)
    (BENCH / "results.md").write_text(table)
    print()
    print(table)
    print(f"bench: {results['elapsed_s']}s; results in {args.out} and bench/results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
