"""The rules of what staff may write on a paper, in one place: the REST serializers, the admin forms, the model's
`clean()` and the services (hence every importer and seed command) all call these.

Each check raises Django's `ValidationError` (DRF turns it into a 400 naming the field; a form shows it beside the
field). `band_table_problem` is the same rule as a plain answer, for marking, which must never raise.
"""

import math
from collections.abc import Iterable

from django.core.exceptions import ValidationError

from exams.choices import WRITING_MODULES, WRITING_TASKS, QuestionType

MAX_LIST_ITEMS = 50
MAX_STRING_LENGTH = 2000
MAX_RAW_SCORE = 40
MAX_BAND = 9


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_band(value) -> bool:
    """A band: a multiple of 0.5 from 0 to 9 (a JSON number, not a string or a boolean)."""
    return _is_number(value) and math.isfinite(value) and 0 <= value <= MAX_BAND and not (value * 2) % 1


def non_finite_path(value, path: str = "") -> str | None:
    """Where `value` (parsed JSON) holds NaN or ±Infinity, as a dotted path (`""` for the value itself); else None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, dict):
        items: Iterable = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = non_finite_path(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def validate_finite_json(value) -> None:
    """JSON has no NaN or Infinity (Python's json module writes them anyway; PostgreSQL refuses them)."""
    path = non_finite_path(value)
    if path is not None:
        where = f" (at {path})" if path else ""
        raise ValidationError(f"NaN and Infinity are not JSON numbers{where}.", code="not_finite")


def band_table_problem(table) -> str | None:
    """Why `table` is not a valid band table (contract: "Band table"), or None when it is; `None` (the module's
    default) is valid. A list of 1 to 41 rows `[min_raw_score, band]`: an integer 0..40, each once; a multiple
    of 0.5 from 0 to 9; a higher `min_raw_score` never has a lower band."""
    if table is None:
        return None
    if not isinstance(table, list):
        return "Enter a list of [min_raw_score, band] rows, e.g. [[39, 9], [37, 8.5]], or leave it empty."
    if not 1 <= len(table) <= MAX_RAW_SCORE + 1:
        return f"A band table has 1 to {MAX_RAW_SCORE + 1} rows."
    seen: dict[int, float] = {}
    for index, row in enumerate(table):
        if not isinstance(row, list) or len(row) != 2:
            return f"Row {index + 1}: each row is [min_raw_score, band]."
        low, band = row
        if not isinstance(low, int) or isinstance(low, bool) or not 0 <= low <= MAX_RAW_SCORE:
            return f"Row {index + 1}: min_raw_score must be an integer from 0 to {MAX_RAW_SCORE}."
        if not is_band(band):
            return f"Row {index + 1}: band must be a multiple of 0.5 from 0 to {MAX_BAND}."
        if low in seen:
            return f"Row {index + 1}: min_raw_score {low} appears twice."
        seen[low] = float(band)
    bands = [seen[low] for low in sorted(seen)]
    if any(higher < lower for lower, higher in zip(bands, bands[1:], strict=False)):
        return "A row with a higher min_raw_score may not have a lower band."
    return None


def validate_band_table(table) -> None:
    problem = band_table_problem(table)
    if problem is not None:
        raise ValidationError(problem, code="invalid_band_table")


def validate_string_list(
    value, *, field: str, required: bool, max_items: int = MAX_LIST_ITEMS, max_length: int = MAX_STRING_LENGTH
) -> list[str]:
    """Options and accepted answers: a JSON list of strings (at most `max_items`, each at most `max_length`
    characters); `required` lists need one that is not blank."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(f'Enter {field} as a JSON list of strings, e.g. ["B"].', code="not_a_list_of_strings")
    if len(value) > max_items:
        raise ValidationError(f"At most {max_items} {field}.", code="too_many")
    if any(len(item) > max_length for item in value):
        raise ValidationError(f"Each of the {field} has at most {max_length} characters.", code="too_long")
    if required and not any(item.strip() for item in value):
        raise ValidationError("At least one accepted answer is needed.", code="required")
    return value


def validate_answers(value) -> None:
    validate_string_list(value, field="answers", required=True)


def validate_options(value) -> None:
    validate_string_list(value, field="options", required=False)


def evidence_problem(start, end, *, text_length: int) -> str | None:
    """Why an evidence span is not a span of the passage (`0 <= start < end <= len(text)`, both or neither), or
    None when it is one or there is none."""
    if start is None and end is None:
        return None
    if start is None or end is None:
        return "Give both ends of the evidence span, or neither."
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        return "The evidence span's ends are whole character offsets."
    if not 0 <= start < end <= text_length:
        return (
            f"The evidence span must lie in its passage: 0 <= position_start < position_end <= {text_length} "
            "(its length)."
        )
    return None


def numbering_problem(numbers: Iterable[int]) -> str | None:
    """Questions are numbered 1..N across the paper, each number once."""
    numbers = sorted(numbers)
    if numbers != list(range(1, len(numbers) + 1)):
        return "Questions must be numbered 1..N across the paper, each number once."
    return None


def essay_field_problems(question: dict) -> dict[str, str]:
    """What is wrong with one question's essay fields (field → why): an `ESSAY` has a `task` (1 or 2), a
    `min_words` of at least 1 and no accepted answers; any other question has neither `task` nor `min_words`
    and needs its answers (checked by `validate_answers`)."""
    problems = {}
    task, min_words = question.get("task"), question.get("min_words")
    if question.get("type") == QuestionType.ESSAY:
        if task not in WRITING_TASKS or isinstance(task, bool):
            problems["task"] = "An essay is Task 1 or Task 2."
        if isinstance(min_words, bool) or not isinstance(min_words, int) or min_words < 1:
            problems["min_words"] = "An essay needs min_words, a whole number of at least 1."
        if question.get("answers"):
            problems["answers"] = "An essay has no accepted answers: its teachers mark it."
    else:
        if task is not None:
            problems["task"] = "Only an essay has a task."
        if min_words is not None:
            problems["min_words"] = "Only an essay has min_words."
    return problems


def writing_paper_problem(module: str, questions: Iterable[dict]) -> tuple[int, str, str] | None:
    """(index of the question at fault, field, why) when a paper's questions do not fit its module: Writing papers
    hold only essays, at most one per task, and essays belong to Writing papers only; else None."""
    writing = module in WRITING_MODULES
    tasks = set()
    for index, question in enumerate(questions):
        essay = question.get("type") == QuestionType.ESSAY
        if writing and not essay:
            return index, "type", "A Writing paper holds only ESSAY questions."
        if essay and not writing:
            return index, "type", "ESSAY questions belong to Writing papers only."
        if essay and question.get("task") in tasks:
            return index, "task", "A Writing paper has at most one essay per task."
        tasks.add(question.get("task"))
    return None
