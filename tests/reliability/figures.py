"""The figures the reliability, fuzz and access tests measure, kept in one JSON file.

Each test records one entry (tried / survived / lost, plus its measured figures beside their targets);
`python -m tests.reliability.render` turns the file into docs/reliability.md. Tests assert correctness;
times and memory are only recorded here, next to their targets.
"""

import contextlib
import fcntl
import json
import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

FIGURES_PATH = Path(os.environ.get("RELIABILITY_FIGURES", Path(tempfile.gettempdir()) / "ielts-reliability.json"))


def _environment() -> dict:
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return {"database": engine, "redis": bool(os.environ.get("REDIS_URL")), "python": platform.python_version()}


def figure(label: str, value, target: str = "", met: bool | None = None) -> dict:
    """One measured figure: `value` beside its `target` (and whether it met it, when there is a target)."""
    return {"label": label, "value": value, "target": target, "met": met}


def record(key: str, *, title: str, tried: int, survived: int, lost: int, unit: str = "events", figures=(),
           notes: str = "") -> None:  # fmt: skip
    """Store (or replace) the entry `key`: what was tried, how much came through intact, how much was lost."""
    with _locked():
        _store(key, _entry(title, unit, tried, survived, lost, figures, notes))


def _entry(title, unit, tried, survived, lost, figures, notes) -> dict:
    return {
        "title": title,
        "unit": unit,
        "tried": tried,
        "survived": survived,
        "lost": lost,
        "figures": list(figures),
        "notes": notes,
        "recorded_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "run_id": RUN_ID,
        **_environment(),
    }


@contextlib.contextmanager
def _locked():
    """One writer at a time: another pytest run on this machine may record into the same file."""
    FIGURES_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(FIGURES_PATH.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _store(key: str, entry: dict) -> None:
    data = load()
    data[key] = entry
    with tempfile.NamedTemporaryFile("w", dir=FIGURES_PATH.parent, delete=False, suffix=".tmp") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
    os.replace(handle.name, FIGURES_PATH)


RUN_ID = f"{os.getpid()}-{datetime.now(UTC).timestamp():.0f}"


def tally(key: str, *, title: str, unit: str, tried: int, let_through: int, notes: str = "") -> None:
    """Add to the entry `key` of this pytest run (parametrized tests each add their share): N tried, M let through."""
    with _locked():
        entry = load().get(key, {})
        if entry.get("run_id") == RUN_ID:
            tried += entry["tried"]
            let_through += entry["lost"]
        refused = figure(f"{unit} refused", f"{tried - let_through} of {tried}", "100 %", let_through == 0)
        _store(key, _entry(title, unit, tried, tried - let_through, let_through, [refused], notes))


def load(path: Path = FIGURES_PATH) -> dict:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}
