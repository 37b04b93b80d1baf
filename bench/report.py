"""bench/results.json → a Markdown table: each figure of ours beside the bare-websockets ceiling, with the ratio."""


def _get(target: dict, *path):
    value = target
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _path(*path):
    return lambda t, ctx: _get(t, *path)


def _met(check):
    """A check on the row's value alone (the usual case)."""
    return lambda value, t, ctx: check(value)


def _lost(scenario: str, *extra: str):
    """'lost / duplicated[ / …]' as text: a row of its own, met when every part is 0."""

    def get(t, ctx):
        parts = [_get(t, scenario, name) for name in ("lost", "duplicates", *extra)]
        return None if any(p is None for p in parts) else " / ".join(str(p) for p in parts)

    return get


def _zero_parts(value, t, ctx) -> bool:
    return all(part.strip() == "0" for part in value.split("/"))


def _ratio_to_baseline(*path):
    def get(t, ctx):
        value, base = _get(t, *path), _get(ctx["base"], *path) if ctx["base"] else None
        return round(value / base, 1) if value is not None and base not in (None, 0) and t is not ctx["base"] else None

    return get


def _scaling(scenario: str):
    """Two processes' clean events/s over one process's (the same run's)."""

    def get(t, ctx):
        one = next((o for o in ctx["ours"] if o["processes"] == 1), None)
        if t.get("kind") != "ours" or t["processes"] == 1 or one is None:
            return None
        mine, single = _get(t, scenario, "max_achieved_per_s"), _get(one, scenario, "max_achieved_per_s")
        return round(mine / single, 2) if mine is not None and single else None

    return get


def _r1_connections_ok(value, t, ctx) -> bool:
    return value <= _get(t, "R1", "connection_limit")


def _r1_top(key: str):
    def get(t, ctx):
        levels = _get(t, "R1", "levels") or []
        top = levels[-1] if levels else None
        return _get(top, *key.split(".")) if top else None

    return get


# (scenario, measure, getter(target, ctx) → value, target text, check(value, target, ctx) → met?, unit, ratio?)
ROWS = [
    ("S1", "p50 student → teacher", _path("S1", "latency_ms", "p50"), "≤ 5 ms", _met(lambda v: v <= 5), "ms"),
    ("S1", "p95", _path("S1", "latency_ms", "p95"), "≤ 15 ms", _met(lambda v: v <= 15), "ms"),
    ("S1", "p99", _path("S1", "latency_ms", "p99"), "≤ 30 ms", _met(lambda v: v <= 30), "ms"),
    ("S1", "lost / duplicated", _lost("S1"), "0", _zero_parts, ""),
    ("S1", "server CPU (% of a core)", _path("S1", "server_cpu_pct"), "", None, "%"),
    ("S2", "events/s, p99 ≤ 100 ms, 0 lost (all processes)", _path("S2", "max_achieved_per_s"), "", None, "/s"),
    ("S2", "… per process", _path("S2", "per_process"), "≥ 1,000 (< 400 fails)", _met(lambda v: v >= 1000), "/s"),
    ("M1", "mixed 0.2/s per student: p50 student → teacher", _path("M1", "latency_ms", "p50"), "≤ 5 ms",
     _met(lambda v: v <= 5), "ms"),
    ("M1", "p95", _path("M1", "latency_ms", "p95"), "≤ 15 ms", _met(lambda v: v <= 15), "ms"),
    ("M1", "p99", _path("M1", "latency_ms", "p99"), "≤ 30 ms", _met(lambda v: v <= 30), "ms"),
    ("M1", "p95 ÷ the baseline's p95", _ratio_to_baseline("M1", "latency_ms", "p95"), "≤ 25×",
     _met(lambda v: v <= 25), "×"),
    ("M1", "lost / duplicated / mismatched", _lost("M1", "mismatched"), "0", _zero_parts, ""),
    ("M1", "acks missing / errors", lambda t, ctx: None if "M1" not in t else
     f"{t['M1']['ack_lost']} / {sum(t['M1']['errors'].values())}", "0", _zero_parts, ""),
    ("M1", "server CPU (% of a core)", _path("M1", "server_cpu_pct"), "", None, "%"),
    ("M2", "mixed events/s, p99 ≤ 100 ms, all clean (all processes)", _path("M2", "max_achieved_per_s"), "", None,
     "/s"),
    ("M2", "… per process", _path("M2", "per_process"), "≥ 1,000 (< 400 fails)", _met(lambda v: v >= 1000), "/s"),
    ("M2", "2 processes ÷ 1 process", _scaling("M2"), "≥ 1.8×", _met(lambda v: v >= 1.8), "×"),
    ("S3", "idle students held by one process", _path("S3", "connected"), "≥ 5,000", _met(lambda v: v >= 5000), ""),
    ("S3", "RSS per connection", _path("S3", "kib_per_connection"), "≤ 100 KiB", _met(lambda v: v <= 100), "KiB"),
    ("S3", "connects/s (handshake + join + sync)", _path("S3", "connects_per_s"), "", None, "/s"),
    ("S4", "start → last of 40 clients, p99", _path("S4", "40", "last_client_p99_ms"), "≤ 50 ms",
     _met(lambda v: v <= 50), "ms"),
    ("S4", "start → last of 500 clients, p99", _path("S4", "500", "last_client_p99_ms"), "≤ 250 ms",
     _met(lambda v: v <= 250), "ms"),
    ("S4", "start → last state sync of 40 (worst)", _path("S4", "40", "state_sync_last_ms"), "", None, "ms"),
    ("S4", "start → last state sync of 500 (worst)", _path("S4", "500", "state_sync_last_ms"), "≤ 3 s",
     _met(lambda v: v <= 3000), "ms"),
    ("M0", "classes of 40 started at once: start → last state sync (worst)", _path("M0", "last_state_sync_ms"),
     "≤ 1 s", _met(lambda v: v <= 1000), "ms"),
    ("M0", "their first events, p50 / p99 after session_started", lambda t, ctx: None if "M0" not in t else
     "{p50} / {p99} ms".format(**t["M0"]["first_events"]["latency_ms"]), "", None, ""),
    ("M0", "lost / duplicated / mismatched", _lost("M0", "mismatched"), "0", _zero_parts, ""),
    ("S5", "500 reconnect: last state sync after the drop", _path("S5", "last_rejoined_s"), "≤ 3 s",
     _met(lambda v: v <= 3), "s"),
    ("S5", "failures", _path("S5", "failures"), "0", _met(lambda v: v == 0), ""),
    ("S5", "RSS change after the storm", _path("S5", "rss_change_pct"), "≤ 10 %", _met(lambda v: abs(v) <= 10), "%"),
    ("S6", "40 hand-ins in 100 ms: last marked at teacher", _path("S6", "worst_last_ms"), "≤ 500 ms",
     _met(lambda v: v <= 500), "ms"),
    ("U1", "REST user create p50 / p99 (real hasher)", lambda t, ctx: None if "U1" not in t else
     "{p50} / {p99} ms".format(**t["U1"]["create"]["latency_ms"]), "", None, ""),
    ("U1", "REST login p50 / p99 (all at once)", lambda t, ctx: None if "U1" not in t else
     "{p50} / {p99} ms".format(**t["U1"]["login"]["latency_ms"]), "", None, ""),
    ("U1", "errors (create, login, sockets, syncs)", _path("U1", "errors"), "0", _met(lambda v: v == 0), ""),
    ("R1", "REST burst at the top concurrency: clients", _r1_top("clients"), "500", None, ""),
    ("R1", "… p50 / p99", lambda t, ctx: None if not _r1_top("latency_ms")(t, ctx) else
     "{p50} / {p99} ms".format(**_r1_top("latency_ms")(t, ctx)), "", None, ""),
    ("R1", "… 5xx (all levels)", _path("R1", "top", "5xx_all_levels"), "0", _met(lambda v: v == 0), ""),
    ("R1", "database connections, max during bursts", _path("R1", "top", "db_connections_max"),
     "≤ pool max × processes", _r1_connections_ok, ""),
    ("R1", "/healthz not 200 (probed throughout)", _path("R1", "top", "healthz_not_200"), "0",
     _met(lambda v: v == 0), ""),
    ("R1", "… /healthz slowest answer", _path("R1", "healthz_all", "max_ms"), "", None, "ms"),
]  # fmt: skip


def _fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    text = f"{value:,}"
    if isinstance(value, float):
        text = f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    if unit == "×":
        return f"{text}×"
    return f"{text} {unit}".strip() if unit not in ("%",) else f"{text} %"


def markdown(results: dict) -> str:
    targets = results["targets"]
    base = next((t for t in targets if t["kind"] == "baseline"), None)
    ours = [t for t in targets if t["kind"] == "ours"]
    ctx = {"base": base, "ours": ours}
    head = ["scenario", "measure", "target", "baseline (bare websockets)"]
    head += [f"{t['name']} (× baseline)" for t in ours] + ["met"]
    cfg = results.get("config", {})
    server = results.get("server", {})
    ran = set(cfg.get("scenarios") or [row[0] for row in ROWS])
    sizes = {
        "S1": f"S1/S2 {cfg.get('s1_sessions')} classes × 40 students + a teacher each",
        "S3": f"S3 {cfg.get('s3_students')} students",
        "S4": f"S4 {cfg.get('s4_reps_40')} × 40 and {cfg.get('s4_reps_500')} × 500",
        "S5": f"S5 {cfg.get('s5_students')} students",
        "S6": f"S6 {cfg.get('s6_reps')} × 40",
        "M1": f"M1/M2 {cfg.get('m1_sessions')} classes × 40, the mixed stream ({cfg.get('m1_s')} s at "
        f"{cfg.get('m1_rate_per_student')}/s per student; M2 ladder in {cfg.get('m2_step_s')} s steps)",
        "M0": f"M0 {cfg.get('m0_sessions')} classes × 40 started at once ({cfg.get('m0_s')} s of stream)",
        "U1": f"U1 a teacher and {cfg.get('u1_students')} students created and logged in via REST",
        "R1": f"R1 {cfg.get('r1_levels')} clients × {cfg.get('r1_requests')} requests",
    }
    shown = [text for key, text in sizes.items() if {key, "S2" if key == "S1" else "M2" if key == "M1" else key} & ran]
    lines = [
        f"{results.get('mode', '?')} run: {'; '.join(shown)}. Servers: DATABASE_POOL_MAX="
        f"{server.get('DATABASE_POOL_MAX', '?')} per process, daphne {server.get('daphne_options', '?')}. "
        "(×N: ours ÷ the baseline's figure.)",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for scenario, measure, get, goal, check, unit in ROWS:
        base_value = get(base, ctx) if base else None
        cells = [_fmt(base_value, unit)]
        verdicts = []
        for t in ours:
            value = get(t, ctx)
            cell = _fmt(value, unit)
            if (
                isinstance(value, (int, float)) and isinstance(base_value, (int, float)) and base_value != 0
                and unit not in ("", "×")
            ):  # fmt: skip
                ratio = value / base_value
                cell += f" (×{ratio:.0f})" if ratio >= 10 else f" (×{ratio:.2g})"
            cells.append(cell)
            if check is not None and value is not None:
                verdicts.append(_verdict(t, check(value, t, ctx)))
        if all(cell == "—" for cell in cells):
            continue  # a scenario this run left out
        lines.append("| " + " | ".join([scenario, measure, goal, *cells, ", ".join(verdicts) or ""]) + " |")
    failures = [f"{t['name']} {name}: {why}" for t in targets for name, why in (t.get("failures") or {}).items()]
    if failures:
        lines += ["", "Scenarios that did not finish:", *[f"- {f}" for f in failures]]
    return "\n".join(lines) + "\n"


def _verdict(target: dict, ok: bool) -> str:
    return f"{target['name'].replace('daphne ', '')} {'yes' if ok else 'NO'}"
