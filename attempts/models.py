"""A student's work on one paper in one session, and the append-only log of everything they did."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    SUBMITTED = "SUBMITTED", "Submitted"
    ABANDONED = "ABANDONED", "Abandoned"


# The attempt's life cycle: open until the student hands in or the session ends it (SUBMITTED, marked), or the
# student leaves the class meanwhile (ABANDONED).
TRANSITIONS: dict[str, set[str]] = {
    AttemptStatus.IN_PROGRESS: {AttemptStatus.SUBMITTED, AttemptStatus.ABANDONED},
    AttemptStatus.SUBMITTED: set(),
    AttemptStatus.ABANDONED: set(),
}


class ViolationType(models.TextChoices):
    TAB_SWITCH = "TAB_SWITCH", "Tab switch"
    WINDOW_BLUR = "WINDOW_BLUR", "Window blur"
    FULLSCREEN_EXIT = "FULLSCREEN_EXIT", "Full screen exit"
    COPY = "COPY", "Copy"
    PASTE = "PASTE", "Paste"


class Attempt(models.Model):
    session = models.ForeignKey("sessions_app.Session", on_delete=models.CASCADE, related_name="attempts")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    test = models.ForeignKey("exams.Test", on_delete=models.PROTECT, related_name="attempts")
    status = models.CharField(
        max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS, db_index=True
    )
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    current_passage_index = models.PositiveSmallIntegerField(default=0)
    current_question_index = models.PositiveSmallIntegerField(default=0)
    flagged_questions = models.ManyToManyField("exams.Question", blank=True, related_name="+")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    band = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["session", "student__username"]
        constraints = [
            models.UniqueConstraint(fields=["session", "student"], name="attempt_once_per_session_and_student")
        ]

    def __str__(self):
        return f"{self.student} — {self.test}"

    @property
    def is_open(self) -> bool:
        return self.status == AttemptStatus.IN_PROGRESS

    def can_transition_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]


class Answer(models.Model):
    """The current answer to one question (upserted; the event log keeps every change)."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey("exams.Question", on_delete=models.CASCADE, related_name="+")
    answer = models.TextField()
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["attempt", "question__number"]
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="one_answer_per_question")]

    def __str__(self):
        return self.answer


class Highlight(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="highlights")
    passage = models.ForeignKey("exams.Passage", on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    position_start = models.PositiveIntegerField()
    position_end = models.PositiveIntegerField()
    timestamp = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["attempt", "timestamp", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(position_start__lt=models.F("position_end")), name="highlight_start_before_end"
            )
        ]

    def __str__(self):
        return self.text[:60]


class Violation(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="violations")
    type = models.CharField(max_length=32, choices=ViolationType.choices, default=ViolationType.TAB_SWITCH)
    timestamp = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["attempt", "timestamp", "id"]

    def __str__(self):
        return self.get_type_display()


class AttemptEvent(models.Model):
    """Append-only audit log. A client `event_id` is applied once per attempt, however often it is resent."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=64, null=True, blank=True)
    type = models.CharField(max_length=32)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["attempt", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "event_id"],
                condition=models.Q(event_id__isnull=False),
                name="event_id_once_per_attempt",
            )
        ]

    def __str__(self):
        return f"{self.type} ({self.event_id or '-'})"
