"""Writes on the test bank: a paper is created whole, with its passages and questions, and edited whole or in
part; a version that a started session uses is never changed (an edit makes the paper's next version)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import slugify

from exams.audio import AUDIO_TYPES, UnreadableAudio, audio_length_seconds, time_limit_problem
from exams.models import TIME_LIMIT_MINUTES, Module, Passage, Question, QuestionType, Test
from exams.selectors import paper_in_use, paper_is_owned_by
from exams.validation import (
    essay_field_problems,
    evidence_problem,
    numbering_problem,
    validate_answers,
    validate_band_table,
    validate_finite_json,
    validate_options,
    writing_paper_problem,
)
from ielts_site.errors import Conflict, Forbidden, InvalidInput, NotFound


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
    questions = [q for p in passages for q in p.get("questions", [])]
    if problem := writing_paper_problem(module, questions):
        index, name, why = problem
        raise InvalidInput(f"Question {questions[index]['number']}: {why}", field=name)
    for passage in passages:
        if not (passage.get("text") or "").strip():
            raise InvalidInput("Every passage needs text.")
        for question in passage.get("questions", []):
            if question["type"] not in QuestionType.values:
                raise InvalidInput(f"Question {question['number']}: unknown type {question['type']!r}.")
            label = f"Question {question['number']}"
            answers, options = question.get("answers"), question.get("options")
            if problems := essay_field_problems(question):
                name, problem = next(iter(problems.items()))
                raise InvalidInput(f"{label}: {problem}", field=name)
            if question["type"] != QuestionType.ESSAY:
                _check(validate_answers, [] if answers is None else answers, label=label)
            _check(validate_options, [] if options is None else options, label=label)
            word_limit = question.get("word_limit")
            if word_limit is not None and int(word_limit) < 1:
                raise InvalidInput(f"Question {question['number']}: word_limit must be at least 1.")
            span = question.get("evidence") or {}
            problem = evidence_problem(
                span.get("position_start"), span.get("position_end"), text_length=len(passage["text"])
            )
            if problem:
                raise InvalidInput(f"{label}: {problem}", field="evidence")


def _write_content(test: Test, passages: list[dict]) -> None:
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
                answers=[str(a) for a in q.get("answers") or []],
                word_limit=q.get("word_limit"),
                task=q.get("task"),
                min_words=q.get("min_words"),
                evidence_start=(q.get("evidence") or {}).get("position_start"),
                evidence_end=(q.get("evidence") or {}).get("position_end"),
            )
            for q in passage_data.get("questions", [])
        )


def _require_owner(test: Test, by) -> None:
    if by is not None and not paper_is_owned_by(test, by):
        raise Forbidden("Only the paper's author or an admin may change it.", code="not_your_paper")


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
    _write_content(test, passages)
    return test


@transaction.atomic
def test_set_band_table(*, test: Test, band_table: list | None, by=None) -> Test:
    """Give a paper its own raw-score → band table (`None`: the module's default), checked as on create.

    With `by`, only its author or an admin may (a teacher changes only their own papers, as in the admin)."""
    _require_owner(test, by)
    _validate_band_table(band_table)
    test = version_for_edit(test).test
    test.band_table = band_table
    test.save(update_fields=["band_table", "updated_at"])
    return test


@transaction.atomic
def test_edit(
    *,
    test: Test,
    by,
    title: str,
    module: str,
    time_limit_minutes: int,
    passages: Iterable[dict],
    band_table: list | None = None,
) -> Test:
    """Replace the paper's content (the body of `test_create`), in its latest version or, when a started session
    uses that, in a new one. Returns the version written."""
    _require_owner(test, by)
    passages = list(passages)
    _validate_paper(module=module, time_limit_minutes=time_limit_minutes, passages=passages)
    _validate_band_table(band_table)
    target = version_for_edit(test).test
    recordings = {p.order: (p.audio.name, p.audio_seconds) for p in target.passages.all() if p.audio}
    if module == Module.LISTENING:
        kept = sum(seconds or 0.0 for order, (_, seconds) in recordings.items() if order < len(passages))
        _require_time_for_audio(time_limit_minutes, kept, field="time_limit_minutes")
    target.questions.all().delete()
    target.passages.all().delete()
    _write_content(target, passages)
    for order, (name, seconds) in recordings.items():  # a part keeps its recording through an edit of its text
        target.passages.filter(order=order).update(audio=name, audio_seconds=seconds)
    target.title, target.module, target.time_limit_minutes, target.band_table = (
        title, module, time_limit_minutes, band_table
    )  # fmt: skip
    target.save()
    return target


def _require_time_for_audio(time_limit_minutes: int, audio_seconds: float, *, field: str) -> None:
    problem = time_limit_problem(int(time_limit_minutes), audio_seconds)
    if problem:
        raise InvalidInput(problem, field=field)


@transaction.atomic
def passage_set_audio(*, test: Test, passage_id: int, file, content_type: str, filename: str = "", by=None) -> Test:
    """Give a part of a Listening paper its recording (`file`, a readable file of `content_type`), its length read
    from it. Refused, changing nothing, when it is not readable audio of that type or the paper's time limit would
    not cover the audio plus the review time. Returns the version written (a new one when a started session uses
    the latest)."""
    _require_owner(test, by)
    latest = Test.objects.of_paper(test.paper_id).get(is_latest=True)
    passage = latest.passages.filter(pk=passage_id).first()
    if passage is None:
        raise NotFound("Passage not found.")
    if not latest.is_listening:
        raise InvalidInput("Only a Listening paper's parts have audio.", field="audio")
    try:
        seconds = audio_length_seconds(file, content_type)
    except UnreadableAudio as exc:
        raise InvalidInput(f"Not readable audio: {exc}", field="audio") from exc
    others = latest.audio_seconds_total() - (passage.audio_seconds or 0.0)
    _require_time_for_audio(latest.time_limit_minutes, others + seconds, field="audio")
    edit = version_for_edit(latest)
    target = Passage.objects.get(pk=edit.passage_id(passage.pk))
    _, extension = AUDIO_TYPES[content_type]
    stem = Path(filename).stem if filename else ""
    name = f"{slugify(stem) or f'part-{target.order + 1}'}{extension}"
    replaced = target.audio.name
    target.audio.save(name, File(file), save=False)  # a fresh name: an earlier version keeps its own file
    target.audio_seconds = seconds
    target.save(update_fields=["audio", "audio_seconds"])
    edit.test.save(update_fields=["updated_at"])
    if replaced and not Passage.objects.filter(audio=replaced).exists():  # no version shares it any more
        storage = target.audio.storage
        transaction.on_commit(lambda: storage.delete(replaced))
    return edit.test


@dataclass
class EditableVersion:
    """The version an edit goes to, and where each passage and question of the version edited went (their ids in
    it; the same ids when no copy was needed)."""

    test: Test
    passage_ids: dict = field(default_factory=dict)
    question_ids: dict = field(default_factory=dict)

    def passage_id(self, old_id):
        return self.passage_ids.get(old_id, old_id)

    def question_id(self, old_id):
        return self.question_ids.get(old_id, old_id)


@transaction.atomic
def version_for_edit(test: Test) -> EditableVersion:
    """Where an edit of `test`'s paper goes: its latest version, or, when a started session uses that, a copy of it
    as the next version (new ids for every passage and question), which the sessions not started yet follow from
    now on (a session keeps the passages it covers by their order)."""
    latest = Test.objects.select_for_update().of_paper(test.paper_id).get(is_latest=True)
    if not paper_in_use(latest):
        return EditableVersion(latest)
    Test.objects.filter(pk=latest.pk).update(is_latest=False)
    copy = Test.objects.create(
        title=latest.title, module=latest.module, time_limit_minutes=latest.time_limit_minutes,
        band_table=latest.band_table, created_by=latest.created_by, original_id=latest.paper_id,
        version=latest.version + 1, is_latest=True,
    )  # fmt: skip
    edit = EditableVersion(copy)
    for passage in latest.passages.order_by("order"):
        edit.passage_ids[passage.pk] = Passage.objects.create(
            test=copy, order=passage.order, title=passage.title, text=passage.text,
            audio=passage.audio.name, audio_seconds=passage.audio_seconds,  # the file is shared, not copied
        ).pk  # fmt: skip
    for question in latest.questions.order_by("number"):
        edit.question_ids[question.pk] = Question.objects.create(
            test=copy, passage_id=edit.passage_ids[question.passage_id], number=question.number, type=question.type,
            prompt=question.prompt, options=question.options, answers=question.answers,
            word_limit=question.word_limit, evidence_start=question.evidence_start,
            evidence_end=question.evidence_end, task=question.task, min_words=question.min_words,
            image=question.image.name,  # the same stored file: a new image is saved under a new name
        ).pk  # fmt: skip
    latest.sessions.filter(started_at__isnull=True).update(test=copy)
    latest.practices.update(test=copy)  # their next attempts take the new version; those taken keep theirs
    return edit


# What an image's first bytes are, by its declared type (the body must be what it says it is).
IMAGE_SIGNATURES = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",)}
IMAGE_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}


def require_paper_editor(test: Test, by) -> None:
    """Only the paper's author or an admin changes it (a teacher changes only their own papers, as in the admin)."""
    _require_owner(test, by)


@transaction.atomic
def question_set_image(*, test: Test, question_id: int, content: bytes, content_type: str, by=None) -> Test:
    """Give an essay its chart or diagram (a PNG or JPEG, checked by its first bytes), stored through the storage
    API; in the latest version, or in a new one when a started session uses that. A refused upload changes nothing.
    Returns the version written."""
    _require_owner(test, by)
    question = test.questions.filter(pk=question_id).first()
    if question is None:
        raise NotFound("No such question in this paper.")
    if not question.is_essay:
        raise InvalidInput("Only an ESSAY question shows an image.", field="image")
    if content_type not in IMAGE_SIGNATURES:
        raise InvalidInput("An image is a PNG or a JPEG.", field="image")
    if not content.startswith(IMAGE_SIGNATURES[content_type]):
        raise InvalidInput(f"The body is not a {IMAGE_EXTENSIONS[content_type].upper()} image.", field="image")
    edit = version_for_edit(test)
    target = Question.objects.get(pk=edit.question_id(question.pk))
    target.image.save(f"q{target.pk}.{IMAGE_EXTENSIONS[content_type]}", ContentFile(content), save=True)
    return edit.test


@transaction.atomic
def test_delete(*, test: Test) -> None:
    """Delete a paper with all its versions; refused while any session or practice uses one of them."""
    versions = Test.objects.of_paper(test.paper_id)
    if any(version.sessions.exists() or version.practices.exists() for version in versions):
        raise Conflict("A paper that sessions or practices use cannot be deleted.", code="paper_in_use")
    versions.delete()


test_edit.__test__ = False
test_delete.__test__ = False
test_set_band_table.__test__ = False
test_create.__test__ = False  # a service, not a pytest test, wherever it is imported
