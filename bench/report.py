"""bench/results.json → a Markdown table: each figure of ours beside the bare-websockets ceiling, with the ratio."""


def _get(target: dict, *path):
    value = target
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


# (scenario, measure, path into a target's results, target text, check(value) → met?, unit)
ROWS = [
    ("S1", "p50 student → teacher", ("S1", "latency_ms", "p50"), "≤ 5 ms", lambda v: v <= 5, "ms"),
    ("S1", "p95", ("S1", "latency_ms", "p95"), "≤ 15 ms", lambda v: v <= 15, "ms"),
    ("S1", "p99", ("S1", "latency_ms", "p99"), "≤ 30 ms", lambda v: v <= 30, "ms"),
    ("S1", "lost / duplicated", ("S1", "lost"), "0", lambda v: v == 0, ""),
    ("S1", "server CPU (% of a core)", ("S1", "server_cpu_pct"), "", None, "%"),
    ("S2", "events/s, p99 ≤ 100 ms, 0 lost (all processes)", ("S2", "max_achieved_per_s"), "", None, "/s"),
    ("S2", "… per process", ("S2", "per_process"), "≥ 1,000 (< 400 fails)", lambda v: v >= 1000, "/s"),
    ("S3", "idle students held by one process", ("S3", "connected"), "≥ 5,000", lambda v: v >= 5000, ""),
    ("S3", "RSS per connection", ("S3", "kib_per_connection"), "≤ 100 KiB", lambda v: v <= 100, "KiB"),
    ("S3", "connects/s (handshake + join + sync)", ("S3", "connects_per_s"), "", None, "/s"),
    ("S4", "start → last of 40 clients, p99", ("S4", "40", "last_client_p99_ms"), "≤ 50 ms", lambda v: v <= 50, "ms"),
    ("S4", "start → last of 500 clients, p99", ("S4", "500", "last_client_p99_ms"), "≤ 250 ms", lambda v: v <= 250,
     "ms"),
    ("S5", "500 reconnect: last state sync after the drop", ("S5", "last_rejoined_s"), "≤ 3 s", lambda v: v <= 3, "s"),
    ("S5", "failures", ("S5", "failures"), "0", lambda v: v == 0, ""),
    ("S5", "RSS change after the storm", ("S5", "rss_change_pct"), "≤ 10 %", lambda v: abs(v) <= 10, "%"),
    ("S6", "40 hand-ins in 100 ms: last marked at teacher", ("S6", "worst_last_ms"), "≤ 500 ms", lambda v: v <= 500,
     "ms"),
]  # fmt: skip


def _fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:,}"
    if isinstance(value, float):
        text = f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{text} {unit}".strip() if unit not in ("%",) else f"{text} %"


def markdown(results: dict) -> str:
    targets = results["targets"]
    base = next((t for t in targets if t["kind"] == "baseline"), None)
    ours = [t for t in targets if t["kind"] == "ours"]
    head = ["scenario", "measure", "target", "baseline (bare websockets)"]
    head += [f"{t['name']} (× baseline)" for t in ours] + ["met"]
    cfg = results.get("config", {})
    lines = [
        f"{results.get('mode', '?')} run: S1/S2 {cfg.get('s1_sessions')} classes × 40 students + a teacher each; "
        f"S3 {cfg.get('s3_students')} students; S4 {cfg.get('s4_reps_40')} × 40 and {cfg.get('s4_reps_500')} × 500; "
        f"S5 {cfg.get('s5_students')} students; S6 {cfg.get('s6_reps')} × 40. (×N: ours ÷ the baseline's figure.)",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for scenario, measure, path, goal, check, unit in ROWS:
        if scenario == "S1" and path[-1] == "lost":
            cells = [_lost(base)] + [_lost(t) for t in ours]
            verdicts = [
                _verdict(t, _get(t, "S1", "lost") == 0 and _get(t, "S1", "duplicates") == 0)
                for t in ours
                if _get(t, "S1", "lost") is not None
            ]
        else:
            base_value = _get(base, *path) if base else None
            cells = [_fmt(base_value, unit)]
            verdicts = []
            for t in ours:
                value = _get(t, *path)
                cell = _fmt(value, unit)
                if value is not None and base_value not in (None, 0) and isinstance(value, (int, float)) and unit:
                    ratio = value / base_value
                    cell += f" (×{ratio:.0f})" if ratio >= 10 else f" (×{ratio:.2g})"
                cells.append(cell)
                if check is not None and value is not None:
                    verdicts.append(_verdict(t, check(value)))
        lines.append("| " + " | ".join([scenario, measure, goal, *cells, ", ".join(verdicts) or ""]) + " |")
    failures = [f"{t['name']} {name}: {why}" for t in targets for name, why in (t.get("failures") or {}).items()]
    if failures:
        lines += ["", "Scenarios that did not finish:", *[f"- {f}" for f in failures]]
    return "\n".join(lines) + "\n"


def _lost(target) -> str:
    if not target or "S1" not in target:
        return "—"
    return f"{target['S1']['lost']} / {target['S1']['duplicates']}"


def _verdict(target: dict, ok: bool) -> str:
    return f"{target['name'].replace('daphne ', '')} {'yes' if ok else 'NO'}"
