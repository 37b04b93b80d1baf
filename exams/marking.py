"""Marking: normalised answer comparison and the raw-score to band tables of ielts.md."""

from collections.abc import Iterable, Sequence

from exams.models import Module

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
    given = normalise(answer)
    if not given:
        return False
    if word_limit is not None and word_count(given) > word_limit:
        return False
    return any(given == normalise(key) for key in accepted)


def scaled_to_40(score: int, question_count: int) -> int:
    if question_count <= 0:
        return 0
    # round-half-even is Python's round(); the contract says round(), so we use it as is.
    return round(score * 40 / question_count)


def band_for(score: int, question_count: int, *, module: str, table: Sequence[Sequence[float]] | None = None) -> float:
    """The band for `score` correct out of `question_count`, read from `table` or the module's default."""
    raw = scaled_to_40(score, question_count)
    rows = sorted(((int(low), float(band)) for low, band in table), reverse=True) if table else BAND_TABLES[module]
    for lowest, band in rows:
        if raw >= lowest:
            return band
    return 0.0
