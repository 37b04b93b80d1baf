"""Marking: normalised answer comparison and the raw-score to band tables of ielts.md."""

import json
import logging
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction

from exams.choices import Module
from exams.validation import band_table_problem

logger = logging.getLogger("ielts.marking")

# (lowest raw score out of 40, band), highest band first. Below the published tables:
# band 2 for two or more correct, 1 for one, 0 for none.
_FLOOR = [(2, 2.0), (1, 1.0), (0, 0.0)]

BAND_TABLES: dict[str, list[tuple[int, float]]] = {
    Module.LISTENING: [
        (39, 9.0), (37, 8.5), (35, 8.0), (32, 7.5), (30, 7.0), (26, 6.5), (23, 6.0),
        (18, 5.5), (16, 5.0), (13, 4.5), (10, 4.0), (8, 3.5), (6, 3.0), (4, 2.5),
    ] + _FLOOR,
    Module.ACADEMIC_READING: [
        (39, 9.0), (37, 8.5), (35, 8.0), (33, 7.5), (30, 7.0), (27, 6.5), (23, 6.0),
        (19, 5.5), (15, 5.0), (13, 4.5), (10, 4.0), (8, 3.5), (6, 3.0), (4, 2.5),
    ] + _FLOOR,
    Module.GENERAL_READING: [
        (40, 9.0), (39, 8.5), (37, 8.0), (36, 7.5), (34, 7.0), (32, 6.5), (30, 6.0),
        (27, 5.5), (23, 5.0), (19, 4.5), (15, 4.0), (12, 3.5), (9, 3.0), (6, 2.5),
    ] + _FLOOR,
}  # fmt: skip


def normalise(answer: str | None) -> str:
    """Case-insensitive, with surrounding and repeated white space folded."""
    return " ".join((answer or "").split()).casefold()


def word_count(answer: str | None) -> int:
    return len((answer or "").split())


def is_correct(answer: str | None, *, accepted: Iterable[str], word_limit: int | None = None) -> bool:
    """Whether `answer` is one of the `accepted` keys. Keys that are not strings (stored around the API) never
    match, and a key list that is not a list matches nothing: marking never raises on stored data."""
    given = normalise(answer) if isinstance(answer, str) else ""
    if not given:
        return False
    if word_limit is not None and word_count(given) > word_limit:
        return False
    if not isinstance(accepted, (list, tuple)):
        return False
    return any(isinstance(key, str) and given == normalise(key) for key in accepted)


def scaled_to_40(score: int, question_count: int) -> int:
    if question_count <= 0:
        return 0
    # round-half-even is Python's round(); the contract says round(), so we use it as is.
    return round(score * 40 / question_count)


_MAX_REMEMBERED_TABLES = 1000
_logged_tables: set[str] = set()
_logged_lock = threading.Lock()


def _table_key(table) -> str:
    try:
        return json.dumps(table, sort_keys=True, default=repr)
    except (TypeError, ValueError):  # e.g. keys of mixed types
        return repr(table)


def _report_invalid_table(table, problem: str) -> None:
    """Log once per process per distinct table (marking runs per submit; the log must not run with it)."""
    key = _table_key(table)
    with _logged_lock:
        if key in _logged_tables:
            return
        if len(_logged_tables) >= _MAX_REMEMBERED_TABLES:
            _logged_tables.clear()
        _logged_tables.add(key)
    logger.warning(
        "stored band table is not valid; the module's default table is used",
        extra={"problem": problem, "band_table": key[:500]},
    )


def usable_band_table(table, *, module: str) -> list[tuple[int, float]]:
    """The rows marking reads: the paper's own table when it is valid, otherwise the module's default (a table
    written around the API is ignored, and the server logs why once)."""
    if table is None:
        return BAND_TABLES.get(module, BAND_TABLES[Module.ACADEMIC_READING])
    problem = band_table_problem(table)  # its rows are finite numbers when it is valid
    if problem is not None:
        _report_invalid_table(table, problem)
        return BAND_TABLES.get(module, BAND_TABLES[Module.ACADEMIC_READING])
    return sorted(((int(low), float(band)) for low, band in table), reverse=True)


def band_for(score: int, question_count: int, *, module: str, table: Sequence[Sequence[float]] | None = None) -> float:
    """The band for `score` correct out of `question_count`, read from `table` or the module's default.

    Never raises on a stored table: an invalid one gives the module's default (see `usable_band_table`)."""
    raw = scaled_to_40(score, question_count)
    rows = usable_band_table(table, module=module)
    for lowest, band in rows:
        if raw >= lowest:
            return band
    return 0.0


# ---------------------------------------------------------------- Writing

# A word as the Writing page counts it: a run of letters, digits, apostrophes and hyphens. static/common/words.js
# holds the same pattern (`/[\p{L}\p{N}'’-]+/gu`): the page, the monitor and the server count alike.
ESSAY_WORD = re.compile(r"(?:[^\W_]|['’-])+")
WRITING_CRITERIA = ("TA", "CC", "LR", "GRA")


def essay_words(text: str | None) -> int:
    return len(ESSAY_WORD.findall(text or ""))


def down_to_half_band(value: Fraction) -> float:
    return math.floor(value * 2) / 2


def nearest_half_band(value: Fraction) -> float:
    """To the nearest half band, a quarter rounding up (6.25 → 6.5, 6.75 → 7.0)."""
    return math.floor(value * 2 + Fraction(1, 2)) / 2


def writing_task_band(criteria: Mapping[str, int]) -> float:
    """A task's band: the mean of its four criteria (whole bands), rounded down to the nearest half band."""
    return down_to_half_band(Fraction(sum(criteria[name] for name in WRITING_CRITERIA), len(WRITING_CRITERIA)))


def writing_band(task_bands: Mapping[int, float]) -> float | None:
    """The writing band of an attempt from its tasks' bands (task → band): (Task 1 + 2 × Task 2) / 3 to the nearest
    half band; a paper of one task: that task's band; None without any."""
    if not task_bands:
        return None
    if set(task_bands) != {1, 2}:
        return float(next(iter(task_bands.values())))
    return nearest_half_band((Fraction(task_bands[1]) + 2 * Fraction(task_bands[2])) / 3)
