"""The IELTS test bank: papers, their passages and numbered questions with answer keys."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from exams.choices import WRITING_MODULES, Module, QuestionType
from exams.marking import is_correct
from exams.validation import (
    essay_field_problems,
    evidence_problem,
    validate_answers,
    validate_band_table,
    validate_finite_json,
    validate_options,
)

__all__ = ["Module", "Passage", "Question", "QuestionType", "Test", "TIME_LIMIT_MINUTES"]

# The paper's length in minutes, from one minute to five hours: the model, its database constraint, the API and
# the services all check this range.
TIME_LIMIT_MINUTES = range(1, 301)


class TestQuerySet(models.QuerySet):
    __test__ = False  # not a pytest test class

    def latest_versions(self):
        """One row per paper: its latest version (what staff list, edit and schedule)."""
        return self.filter(is_latest=True)

    def of_paper(self, paper_id):
        """Every version of the paper `paper_id` (the id of its first version, the paper's public id)."""
        return self.filter(models.Q(pk=paper_id) | models.Q(original_id=paper_id))


class Test(models.Model):
    """One IELTS paper. `band_table` overrides the module's default raw-score table."""

    __test__ = False  # not a pytest test class

    title = models.CharField(max_length=200)
    module = models.CharField(max_length=32, choices=Module.choices, default=Module.ACADEMIC_READING)
    time_limit_minutes = models.PositiveSmallIntegerField(
        default=60,
        validators=[MinValueValidator(TIME_LIMIT_MINUTES[0]), MaxValueValidator(TIME_LIMIT_MINUTES[-1])],
    )
    band_table = models.JSONField(
        null=True,
        blank=True,
        help_text="Optional own table: [[min_raw_score_out_of_40, band], ...], e.g. [[39, 9], [37, 8.5], ...].",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Versions: a paper is the row of its first version (`original` empty) and the later versions' rows, which name
    # it as their `original`. A version a started session uses is never changed: a later edit makes the next one
    # (exams.services.version_for_edit).
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="later_versions", editable=False
    )
    version = models.PositiveSmallIntegerField(default=1, editable=False)
    is_latest = models.BooleanField(default=True, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TestQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["original", "version"],
                condition=models.Q(original__isnull=False),
                name="test_version_once_per_paper",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    time_limit_minutes__gte=TIME_LIMIT_MINUTES[0], time_limit_minutes__lte=TIME_LIMIT_MINUTES[-1]
                ),
                name="test_time_limit_1_to_300",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def question_count(self) -> int:
        return self.questions.count()

    @property
    def paper_id(self) -> int:
        """The paper's public id, the same for all its versions (the API's `test_id`)."""
        return self.original_id or self.pk

    @property
    def is_listening(self) -> bool:
        return self.module == Module.LISTENING

    def audio_seconds_total(self, passage_orders=None) -> float:
        """How long the recordings of the passages of `passage_orders` (all when empty) last, one after the other."""
        passages = self.passages.all()
        if passage_orders:
            passages = passages.filter(order__in=passage_orders)
        return sum(seconds or 0.0 for seconds in passages.values_list("audio_seconds", flat=True))

    def clean(self):
        super().clean()
        try:
            validate_finite_json(self.band_table)
            validate_band_table(self.band_table)
        except ValidationError as exc:
            raise ValidationError({"band_table": exc.messages}) from exc


class Passage(models.Model):
    test = models.ForeignKey(Test, on_delete=models.CASCADE, related_name="passages")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    # A Listening part's recording, in the default storage (only its name is in the database); a new version of the
    # paper shares the file with the version it copies. Its length is read from the file at upload (exams.audio).
    audio = models.FileField(upload_to="listening/", blank=True, max_length=300)
    audio_seconds = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["test", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["test", "order"], name="passage_order_unique_per_test")]

    def __str__(self):
        return self.title or f"Passage {self.order + 1}"

    @property
    def has_audio(self) -> bool:
        return bool(self.audio)


class Question(models.Model):
    test = models.ForeignKey(Test, on_delete=models.CASCADE, related_name="questions")
    passage = models.ForeignKey(Passage, on_delete=models.CASCADE, related_name="questions")
    number = models.PositiveSmallIntegerField(help_text="1..N across the whole paper.")
    type = models.CharField(max_length=32, choices=QuestionType.choices)
    prompt = models.TextField()
    options = models.JSONField(default=list, blank=True, help_text="Display text only, e.g. ['A  ...', 'B  ...'].")
    answers = models.JSONField(default=list, help_text="Every accepted answer; marking ignores case and spacing.")
    word_limit = models.PositiveSmallIntegerField(null=True, blank=True)
    # Where the passage holds the answer (staff only): character offsets in the question's own passage, end
    # exclusive; both empty when the question has no evidence span.
    evidence_start = models.PositiveIntegerField(
        null=True, blank=True, help_text="Evidence span: its first character in the passage (0-based)."
    )
    evidence_end = models.PositiveIntegerField(
        null=True, blank=True, help_text="Evidence span: the character after its last one (end exclusive)."
    )
    # An essay's (Writing): its task, the words it asks for at least, and the chart or diagram it shows (a file
    # through the storage API, served by the files view; empty until uploaded).
    task = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=[(1, "Task 1"), (2, "Task 2")], help_text="Essays only: Task 1 or Task 2."
    )
    min_words = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Essays only: at least 1.")
    image = models.FileField(upload_to="questions/", blank=True, help_text="Essays only: a PNG or JPEG chart.")

    class Meta:
        ordering = ["test", "number"]
        constraints = [
            models.UniqueConstraint(fields=["test", "number"], name="question_number_unique_per_test"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="question_number_from_1"),
            models.CheckConstraint(
                condition=models.Q(evidence_start__isnull=True, evidence_end__isnull=True)
                | models.Q(evidence_start__lt=models.F("evidence_end")),
                name="question_evidence_whole_and_forward",
            ),
            models.UniqueConstraint(
                fields=["test", "task"], condition=models.Q(task__isnull=False), name="question_one_essay_per_task"
            ),
            models.CheckConstraint(
                condition=models.Q(task__isnull=True) | models.Q(task__in=[1, 2]), name="question_task_1_or_2"
            ),
            models.CheckConstraint(
                condition=models.Q(min_words__isnull=True) | models.Q(min_words__gte=1),
                name="question_min_words_from_1",
            ),
        ]

    def __str__(self):
        return f"Q{self.number}"

    def clean(self):
        super().clean()
        errors = {name: [problem] for name, problem in essay_field_problems(self.__dict__).items()}
        checks = [("options", validate_options)]
        if self.type != QuestionType.ESSAY:
            checks.append(("answers", validate_answers))
        for name, check in checks:
            try:
                check(getattr(self, name))
            except ValidationError as exc:
                errors[name] = exc.messages
        text = self.passage.text if self.passage_id else None
        problem = evidence_problem(self.evidence_start, self.evidence_end, text_length=len(text or ""))
        if problem:
            errors["evidence_end" if self.evidence_start is not None else "evidence_start"] = [problem]
        if self.test_id and self.type and self.is_essay != (self.test.module in WRITING_MODULES):
            errors["type"] = ["Writing papers hold only ESSAY questions, and ESSAY questions only Writing papers."]
        if errors:
            raise ValidationError(errors)

    @property
    def evidence(self) -> dict | None:
        """The evidence span as staff read it, or None."""
        if self.evidence_start is None or self.evidence_end is None:
            return None
        return {"passage_id": self.passage_id, "position_start": self.evidence_start,
                "position_end": self.evidence_end}  # fmt: skip

    @property
    def is_essay(self) -> bool:
        return self.type == QuestionType.ESSAY

    def is_correct(self, answer: str | None) -> bool:
        if self.is_essay:  # an essay is marked by its teachers, never by the key
            return False
        return is_correct(answer, accepted=self.answers, word_limit=self.word_limit)
