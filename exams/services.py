"""Writes on the test bank: a paper is created whole, with its passages and questions."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from exams.models import TIME_LIMIT_MINUTES, Module, Passage, Question, QuestionType, Test
from exams.selectors import paper_is_owned_by
from exams.validation import (
    numbering_problem,
    validate_answers,
    validate_band_table,
    validate_finite_json,
    validate_options,
)
from ielts_site.errors import Forbidden, InvalidInput


def _check(check, value, *, label: str) -> None:
    """Run a rule of exams.validation; its refusal becomes the domain's InvalidInput."""
    try:
        check(value)
    except ValidationError as exc:
        raise InvalidInput(f"{label}: {' '.join(exc.messages)}") from exc


def _validate_band_table(band_table) -> None:
    _check(validate_finite_json, band_table, label="band_table")
    _check(validate_band_table, band_table, label="band_table")


def _validate_paper(*, module: str, time_limit_minutes: int, passages: list[dict]) -> None:
    if module not in Module.values:
        raise InvalidInput(f"Unknown module {module!r}.")
    if int(time_limit_minutes) not in TIME_LIMIT_MINUTES:
        raise InvalidInput(f"time_limit_minutes must be between {TIME_LIMIT_MINUTES[0]} and {TIME_LIMIT_MINUTES[-1]}.")
    if not passages:
        raise InvalidInput("A test needs at least one passage.")
    numbers = [q["number"] for p in passages for q in p.get("questions", [])]
    if not numbers:
        raise InvalidInput("A test needs at least one question.")
    problem = numbering_problem(numbers)
    if problem:
        raise InvalidInput(problem)
    for passage in passages:
        if not (passage.get("text") or "").strip():
            raise InvalidInput("Every passage needs text.")
        for question in passage.get("questions", []):
            if question["type"] not in QuestionType.values:
                raise InvalidInput(f"Question {question['number']}: unknown type {question['type']!r}.")
            label = f"Question {question['number']}"
            answers, options = question.get("answers"), question.get("options")
            _check(validate_answers, [] if answers is None else answers, label=label)
            _check(validate_options, [] if options is None else options, label=label)
            word_limit = question.get("word_limit")
            if word_limit is not None and int(word_limit) < 1:
                raise InvalidInput(f"Question {question['number']}: word_limit must be at least 1.")


@transaction.atomic
def test_create(
    *,
    title: str,
    module: str,
    time_limit_minutes: int,
    passages: Iterable[dict],
    band_table: list | None = None,
    created_by=None,
) -> Test:
    """Create a paper from nested data: passages in order, each with its questions."""
    passages = list(passages)
    _validate_paper(module=module, time_limit_minutes=time_limit_minutes, passages=passages)
    _validate_band_table(band_table)
    test = Test.objects.create(
        title=title, module=module, time_limit_minutes=time_limit_minutes, band_table=band_table,
        created_by=created_by,
    )  # fmt: skip
    for order, passage_data in enumerate(passages):
        passage = Passage.objects.create(
            test=test, order=order, title=passage_data.get("title", ""), text=passage_data["text"]
        )
        Question.objects.bulk_create(
            Question(
                test=test,
                passage=passage,
                number=q["number"],
                type=q["type"],
                prompt=q.get("prompt", ""),
                options=list(q.get("options") or []),
                answers=[str(a) for a in q["answers"]],
                word_limit=q.get("word_limit"),
            )
            for q in passage_data.get("questions", [])
        )
    return test


@transaction.atomic
def test_set_band_table(*, test: Test, band_table: list | None, by=None) -> Test:
    """Give a paper its own raw-score → band table (`None`: the module's default), checked as on create.

    With `by`, only its author or an admin may (a teacher changes only their own papers, as in the admin)."""
    if by is not None and not paper_is_owned_by(test, by):
        raise Forbidden("Only the paper's author or an admin may change it.", code="not_your_paper")
    _validate_band_table(band_table)
    test = Test.objects.select_for_update().get(pk=test.pk)
    test.band_table = band_table
    test.save(update_fields=["band_table", "updated_at"])
    return test


test_set_band_table.__test__ = False
test_create.__test__ = False  # a service, not a pytest test, wherever it is imported
