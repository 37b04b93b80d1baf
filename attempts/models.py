"""A student's work on one paper, in a live session or alone on a practice, and the append-only log of everything
they did."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from ielts_site.clock import grace_period


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


# The violations that are a departure from the test: they last until the student comes back.
DEPARTURE_TYPES = frozenset({ViolationType.TAB_SWITCH, ViolationType.WINDOW_BLUR, ViolationType.FULLSCREEN_EXIT})


class Verdict(models.TextChoices):
    CONFIRMED = "CONFIRMED", "Confirmed"
    DISMISSED = "DISMISSED", "Dismissed"


class Practice(models.Model):
    """A paper published to a class for practice: each student of the class takes it alone, whenever it is open, on
    the attempt's own clock. It also answers what a session answers for its attempts (`paper_questions`,
    `result_is_released_for`, `review`), so the attempt body and marking read either the same way."""

    school_class = models.ForeignKey("classes.Class", on_delete=models.CASCADE, related_name="practices")
    # The version new attempts take: an edit of a paper in use moves the practice to the new version (as it moves
    # sessions not started yet); each attempt keeps the version it was taken on.
    test = models.ForeignKey("exams.Test", on_delete=models.PROTECT, related_name="practices")
    opens_at = models.DateTimeField(null=True, blank=True, help_text="Empty: open from when it is published.")
    closes_at = models.DateTimeField(null=True, blank=True, help_text="Empty: it never closes.")
    time_limit_minutes = models.PositiveSmallIntegerField()
    show_answers_after_submit = models.BooleanField(
        default=False, help_text="A student who has handed in also sees the keys and their marks."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # A practice covers its whole paper and is never paused.
    passage_orders: list[int] = []
    is_paused = False

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens_at__isnull=True)
                | models.Q(closes_at__isnull=True)
                | models.Q(closes_at__gt=models.F("opens_at")),
                name="practice_closes_after_it_opens",
            )
        ]

    def __str__(self):
        return f"{self.test} for {self.school_class}"

    @property
    def title(self) -> str:
        return f"Practice: {self.test.title}"

    @property
    def duration_minutes(self) -> int:
        return self.time_limit_minutes

    def is_open_at(self, moment) -> bool:
        opened = self.opens_at is None or self.opens_at <= moment
        return opened and (self.closes_at is None or moment < self.closes_at)

    def paper_passages(self):
        return self.test.passages.order_by("order")

    def paper_questions(self):
        return self.test.questions.order_by("number")

    @property
    def review(self) -> bool:
        return self.show_answers_after_submit

    def result_is_released_for(self, attempt_status: str) -> bool:
        """A practice's result is the student's as soon as they hand in."""
        return attempt_status == AttemptStatus.SUBMITTED


class Attempt(models.Model):
    # Exactly one of the two: the live session it is part of, or the practice it was started from.
    session = models.ForeignKey(
        "sessions_app.Session", null=True, blank=True, on_delete=models.CASCADE, related_name="attempts"
    )
    practice = models.ForeignKey(Practice, null=True, blank=True, on_delete=models.CASCADE, related_name="attempts")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    test = models.ForeignKey("exams.Test", on_delete=models.PROTECT, related_name="attempts")
    status = models.CharField(
        max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS, db_index=True
    )
    started_at = models.DateTimeField(default=timezone.now)
    # The attempt's own deadline: the session's `ends_at` plus the time a teacher gave (`extra_seconds`).
    ends_at = models.DateTimeField(null=True, blank=True, db_index=True)
    extra_seconds = models.IntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Time without an open connection while the attempt was open and the session not paused: the closed
    # stretches, plus the one going on since `offline_since`.
    offline_seconds = models.PositiveIntegerField(default=0)
    offline_since = models.DateTimeField(null=True, blank=True)
    current_passage_index = models.PositiveSmallIntegerField(default=0)
    current_question_index = models.PositiveSmallIntegerField(default=0)
    flagged_questions = models.ManyToManyField("exams.Question", blank=True, related_name="+")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    band = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["session", "student__username"]
        constraints = [
            models.UniqueConstraint(fields=["session", "student"], name="attempt_once_per_session_and_student"),
            models.CheckConstraint(
                condition=models.Q(session__isnull=True, practice__isnull=False)
                | models.Q(session__isnull=False, practice__isnull=True),
                name="attempt_of_a_session_or_a_practice",
            ),
            models.UniqueConstraint(
                fields=["practice", "student"],
                condition=models.Q(status="IN_PROGRESS"),
                name="one_open_attempt_per_practice_and_student",
            ),
        ]

    def __str__(self):
        return f"{self.student} — {self.test}"

    @property
    def occasion(self) -> "Practice | models.Model":
        """What the attempt is taken in: its session, or its practice (both answer `paper_passages`,
        `paper_questions`, `passage_orders`, `is_paused`, `result_is_released_for` and `review`)."""
        return self.session if self.session_id is not None else self.practice

    @property
    def is_open(self) -> bool:
        return self.status == AttemptStatus.IN_PROGRESS

    def audio_started_at(self, now=None):
        """Where a Listening paper's audio timeline starts for this attempt: its session's (moved by the session's
        pauses), or, on a practice, the attempt's own start."""
        if self.session_id is not None:
            return self.session.audio_started_at(now)
        return self.started_at

    def can_transition_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def events_accepted_until(self):
        """The last moment a student's event still counts: the attempt's end plus the grace for events in flight."""
        return self.ends_at + grace_period() if self.ends_at else None

    def offline_seconds_at(self, moment) -> int:
        """Offline time so far, the stretch going on included."""
        ongoing = (moment - self.offline_since).total_seconds() if self.offline_since else 0
        return self.offline_seconds + max(0, int(ongoing))

    def end_offline_stretch(self, moment) -> None:
        """The stretch going on (if any) ends at `moment` and joins the total (not saved)."""
        self.offline_seconds = self.offline_seconds_at(moment)
        self.offline_since = None


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
    # The student's own note on it (`highlight_noted`); null when it has none.
    note = models.CharField(max_length=500, null=True, blank=True)

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
    # A teacher's review: a later one replaces the earlier.
    verdict = models.CharField(max_length=16, choices=Verdict.choices, null=True, blank=True)
    note = models.CharField(max_length=500, null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # A departure's end: when the server heard the student was back, and how long the page measured them away
    # (the page may tell late, from its outbox, so the two need not agree). Both null while the student is away,
    # and for good when they did not come back before the end.
    returned_at = models.DateTimeField(null=True, blank=True)
    away_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "timestamp", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(returned_at__isnull=True, away_seconds__isnull=True)
                | models.Q(returned_at__isnull=False, away_seconds__isnull=False, type__in=sorted(DEPARTURE_TYPES)),
                name="violation_ends_whole_and_only_a_departure",
            )
        ]

    def __str__(self):
        return self.get_type_display()

    @property
    def is_away(self) -> bool:
        """A departure the student has not come back from (yet)."""
        return self.type in DEPARTURE_TYPES and self.returned_at is None

    def end_departure(self, *, at, away_seconds: int | None = None) -> None:
        """The student is back: away for `away_seconds` as their page measured it, else since the departure."""
        if not self.is_away:
            raise ValueError("Only a departure still going on can end.")
        self.returned_at = at
        if away_seconds is None:
            away_seconds = max(0, int((at - self.timestamp).total_seconds()))
        self.away_seconds = away_seconds


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


class WritingMark(models.Model):
    """A teacher's marks for one essay of a submitted attempt: the four criteria (whole bands 0–9) and the task's
    band made of them (`exams.marking.writing_task_band`). Marking the task again replaces them."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="writing_marks")
    question = models.ForeignKey("exams.Question", on_delete=models.CASCADE, related_name="+")
    ta = models.PositiveSmallIntegerField(help_text="Task Achievement (Task 1) or Task Response (Task 2), 0–9.")
    cc = models.PositiveSmallIntegerField(help_text="Coherence and Cohesion, 0–9.")
    lr = models.PositiveSmallIntegerField(help_text="Lexical Resource, 0–9.")
    gra = models.PositiveSmallIntegerField(help_text="Grammatical Range and Accuracy, 0–9.")
    band = models.DecimalField(max_digits=3, decimal_places=1)
    comment = models.TextField(blank=True, default="")
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["attempt", "question__number"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="one_writing_mark_per_essay"),
            models.CheckConstraint(
                condition=models.Q(ta__lte=9, cc__lte=9, lr__lte=9, gra__lte=9), name="writing_criteria_0_to_9"
            ),
        ]

    def __str__(self):
        return f"{self.attempt} — Q{self.question_id}: {self.band}"

    @property
    def criteria(self) -> dict:
        return {"TA": self.ta, "CC": self.cc, "LR": self.lr, "GRA": self.gra}
