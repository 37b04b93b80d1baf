"""Writes on the test bank: a paper is created whole, with its passages and questions."""

from collections.abc import Iterable

from django.db import transaction

from exams.models import Module, Passage, Question, QuestionType, Test
from ielts_site.errors import InvalidInput


def _validate_paper(*, module: str, time_limit_minutes: int, passages: list[dict]) -> None:
    if module not in Module.values:
        raise InvalidInput(f"Unknown module {module!r}.")
    if not 1 <= int(time_limit_minutes) <= 300:
        raise InvalidInput("time_limit_minutes must be between 1 and 300.")
    if not passages:
        raise InvalidInput("A test needs at least one passage.")
    numbers = [q["number"] for p in passages for q in p.get("questions", [])]
    if not numbers:
        raise InvalidInput("A test needs at least one question.")
    if sorted(numbers) != list(range(1, len(numbers) + 1)):
        raise InvalidInput("Questions must be numbered 1..N across the paper, each number once.")
    for passage in passages:
        if not (passage.get("text") or "").strip():
            raise InvalidInput("Every passage needs text.")
        for question in passage.get("questions", []):
            if question["type"] not in QuestionType.values:
                raise InvalidInput(f"Question {question['number']}: unknown type {question['type']!r}.")
            if not [a for a in question.get("answers") or [] if str(a).strip()]:
                raise InvalidInput(f"Question {question['number']}: at least one accepted answer is needed.")
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


test_create.__test__ = False  # a service, not a pytest test, wherever it is imported
