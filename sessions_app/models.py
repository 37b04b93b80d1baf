"""Class-test sessions: their life cycle, participants, and who is connected right now."""

from datetime import timedelta
from enum import nonmember

from django.conf import settings
from django.db import models
from django.utils import timezone

from exams.models import Passage, Question


class SessionStatus(models.TextChoices):
    SCHEDULED = "SCHEDULED", "Scheduled"
    WAITING_FOR_STUDENTS = "WAITING_FOR_STUDENTS", "Waiting for students"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    PAUSED = "PAUSED", "Paused"
    COMPLETED = "COMPLETED", "Completed"
    CANCELLED = "CANCELLED", "Cancelled"

    # The waiting room or the test is open: students may connect and join, and the class cannot be archived.
    OPEN = nonmember(frozenset({"WAITING_FOR_STUDENTS", "IN_PROGRESS", "PAUSED"}))
    # The test has started and not ended: attempts are open, the teacher's controls apply.
    RUNNING = nonmember(frozenset({"IN_PROGRESS", "PAUSED"}))
    # Not started yet: a newly enrolled student joins these.
    NOT_STARTED = nonmember(frozenset({"SCHEDULED", "WAITING_FOR_STUDENTS"}))
    # Over, one way or the other.
    FINISHED = nonmember(frozenset({"COMPLETED", "CANCELLED"}))


# The life cycle: status → {next status: the action that takes it there}. The actions are the REST routes'
# (sessions_app.services.SESSION_ACTIONS); the clock completes a running session by the "complete" edge too.
TRANSITIONS: dict[str, dict[str, str]] = {
    SessionStatus.SCHEDULED: {SessionStatus.WAITING_FOR_STUDENTS: "start-waiting", SessionStatus.CANCELLED: "cancel"},
    SessionStatus.WAITING_FOR_STUDENTS: {SessionStatus.IN_PROGRESS: "start", SessionStatus.CANCELLED: "cancel"},
    SessionStatus.IN_PROGRESS: {SessionStatus.PAUSED: "pause", SessionStatus.COMPLETED: "complete"},
    SessionStatus.PAUSED: {SessionStatus.IN_PROGRESS: "resume", SessionStatus.COMPLETED: "complete"},
    SessionStatus.COMPLETED: {},
    SessionStatus.CANCELLED: {},
}


class ResultsRelease(models.TextChoices):
    """When a student sees their score and band."""

    IMMEDIATE = "IMMEDIATE", "As soon as they submit"
    ON_COMPLETE = "ON_COMPLETE", "When the session completes"
    MANUAL = "MANUAL", "When a teacher releases them"


class Session(models.Model):
    school_class = models.ForeignKey("classes.Class", on_delete=models.PROTECT, related_name="sessions")
    test = models.ForeignKey("exams.Test", on_delete=models.PROTECT, related_name="sessions")
    title = models.CharField(max_length=200)
    status = models.CharField(
        max_length=32, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED, db_index=True
    )
    scheduled_at = models.DateTimeField()
    waiting_opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True, db_index=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=500, blank=True)
    # The time spent paused by the pauses that have ended (the one going on counts from `paused_at`): what moves a
    # Listening paper's audio timeline later.
    paused_seconds = models.FloatField(default=0.0, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The session's own shape: the paper's passages it covers (their `order`s, which stay the same from one version
    # of the paper to the next; empty: all) and its length (empty: the paper's).
    passage_orders = models.JSONField(null=True, blank=True)
    time_limit_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    results_release = models.CharField(max_length=16, choices=ResultsRelease.choices, default=ResultsRelease.IMMEDIATE)
    review = models.BooleanField(default=False, help_text="Released students also see the keys and their marks.")
    results_released_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=[SessionStatus.IN_PROGRESS, SessionStatus.PAUSED])
                | models.Q(started_at__isnull=False, ends_at__isnull=False),
                name="session_in_progress_has_clock",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=SessionStatus.PAUSED) | models.Q(paused_at__isnull=False),
                name="session_paused_has_pause_time",
            ),
        ]

    def __str__(self):
        return self.title

    def can_transition_to(self, status: str, *, by: str | None = None) -> bool:
        """Whether the life cycle leads from here to `status` (by the action `by`, when given)."""
        action = TRANSITIONS[self.status].get(status)
        return action is not None and (by is None or action == by)

    @property
    def is_joinable(self) -> bool:
        return self.status in SessionStatus.OPEN

    @property
    def is_editable(self) -> bool:
        return self.status == SessionStatus.SCHEDULED

    @property
    def is_paused(self) -> bool:
        return self.status == SessionStatus.PAUSED

    @property
    def is_running(self) -> bool:
        return self.status in SessionStatus.RUNNING

    def remaining_seconds(self, now=None) -> float | None:
        return remaining_seconds(self.ends_at, session=self, now=now)

    @property
    def duration_minutes(self) -> int:
        return self.time_limit_minutes or self.test.time_limit_minutes

    def time_paused(self, now=None) -> timedelta:
        """How long the session has spent paused so far, the pause going on included."""
        paused = timedelta(seconds=self.paused_seconds)
        if self.is_paused and self.paused_at is not None:
            paused += (now or timezone.now()) - self.paused_at
        return paused

    def audio_started_at(self, now=None):
        """Where a Listening paper's audio timeline starts: the first part at `started_at`, moved later by the time
        spent paused, so that the live position is always now − audio_started_at (it stands still while paused)."""
        if self.started_at is None:
            return None
        return self.started_at + self.time_paused(now)

    def paper_passages(self):
        """The passages of the session's version of the paper that the session covers, in the paper's order."""
        passages = Passage.objects.filter(test_id=self.test_id).order_by("order")
        return passages if not self.passage_orders else passages.filter(order__in=self.passage_orders)

    def paper_questions(self):
        """The questions of those passages, by number (what the session marks, counts and shows)."""
        questions = Question.objects.filter(test_id=self.test_id).order_by("number")
        return questions if not self.passage_orders else questions.filter(passage__order__in=self.passage_orders)

    @property
    def results_are_released(self) -> bool:
        """Whether every student of the session may see their result (and, with `review`, the keys) now."""
        return self.results_released_at is not None

    def result_is_released_for(self, attempt_status: str) -> bool:
        """Whether a student may see the result of their attempt in `attempt_status` (IMMEDIATE: from its submit)."""
        if self.results_are_released:
            return True
        return self.results_release == ResultsRelease.IMMEDIATE and attempt_status == "SUBMITTED"


def remaining_seconds(ends_at, *, session: Session, now=None) -> float | None:
    """Seconds left until `ends_at` (the session's or an attempt's): frozen at the pause while the session is
    paused, 0 once it is not running."""
    if ends_at is None:
        return None
    if not session.is_running:
        return 0.0
    moment = session.paused_at if session.is_paused else (now or timezone.now())
    return max(0.0, (ends_at - moment).total_seconds())


class ConnectionStatus(models.TextChoices):
    CONNECTED = "CONNECTED", "Connected"
    DISCONNECTED = "DISCONNECTED", "Disconnected"


class Participant(models.Model):
    """A student taking part in a session (one row each, so concurrent joins never collide)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="participants")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations")
    joined_at = models.DateTimeField(null=True, blank=True)
    last_activity = models.DateTimeField(null=True, blank=True)
    connection_status = models.CharField(
        max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.DISCONNECTED
    )

    class Meta:
        ordering = ["session", "student__username"]
        constraints = [models.UniqueConstraint(fields=["session", "student"], name="participant_once_per_session")]

    def __str__(self):
        return f"{self.student} in {self.session}"

    @property
    def is_connected(self) -> bool:
        return self.connection_status == ConnectionStatus.CONNECTED


class ServerProcess(models.Model):
    """A running server process; it beats its heart so others can tell when it has died."""

    id = models.CharField(primary_key=True, max_length=64)
    name = models.CharField(max_length=64, blank=True, db_index=True)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return self.name or self.id


class LiveConnection(models.Model):
    """One open WebSocket of a participant. Presence is derived from these rows, never a counter."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="connections")
    channel_name = models.CharField(max_length=200, unique=True)
    server = models.ForeignKey(ServerProcess, on_delete=models.CASCADE, related_name="connections")
    connected_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.channel_name


class TeacherMessage(models.Model):
    """A message from a teacher during a session: to the whole class (`student` empty) or to one student."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="messages")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(max_length=500)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "sent_at", "id"]

    def __str__(self):
        return self.text[:60]
