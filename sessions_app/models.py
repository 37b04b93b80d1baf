"""Class-test sessions: their life cycle, participants, and who is connected right now."""

from datetime import timedelta
from enum import nonmember

from django.conf import settings
from django.db import models
from django.utils import timezone


class SessionStatus(models.TextChoices):
    SCHEDULED = "SCHEDULED", "Scheduled"
    WAITING_FOR_STUDENTS = "WAITING_FOR_STUDENTS", "Waiting for students"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    COMPLETED = "COMPLETED", "Completed"
    CANCELLED = "CANCELLED", "Cancelled"

    # The waiting room or the test is open: students may connect and join, and the class cannot be archived.
    OPEN = nonmember(frozenset({"WAITING_FOR_STUDENTS", "IN_PROGRESS"}))
    # Not started yet: a newly enrolled student joins these.
    NOT_STARTED = nonmember(frozenset({"SCHEDULED", "WAITING_FOR_STUDENTS"}))
    # Over, one way or the other.
    FINISHED = nonmember(frozenset({"COMPLETED", "CANCELLED"}))


TRANSITIONS: dict[str, set[str]] = {
    SessionStatus.SCHEDULED: {SessionStatus.WAITING_FOR_STUDENTS, SessionStatus.CANCELLED},
    SessionStatus.WAITING_FOR_STUDENTS: {SessionStatus.IN_PROGRESS, SessionStatus.CANCELLED},
    SessionStatus.IN_PROGRESS: {SessionStatus.COMPLETED},
    SessionStatus.COMPLETED: set(),
    SessionStatus.CANCELLED: set(),
}


def paper_duration(time_limit_minutes: int) -> timedelta:
    """A paper's length on the server's clock (tests shrink a minute with IELTS_SECONDS_PER_MINUTE)."""
    return timedelta(seconds=time_limit_minutes * settings.IELTS_SECONDS_PER_MINUTE)


def grace_period() -> timedelta:
    """How long after `ends_at` events still in flight count, and the clock waits before completing a session."""
    return timedelta(seconds=settings.SESSION_GRACE_SECONDS)


class Session(models.Model):
    school_class = models.ForeignKey("classes.Class", on_delete=models.PROTECT, related_name="sessions")
    test = models.ForeignKey("exams.Test", on_delete=models.PROTECT, related_name="sessions")
    title = models.CharField(max_length=200)
    status = models.CharField(
        max_length=32, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED, db_index=True
    )
    scheduled_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=SessionStatus.IN_PROGRESS)
                | models.Q(started_at__isnull=False, ends_at__isnull=False),
                name="session_in_progress_has_clock",
            )
        ]

    def __str__(self):
        return self.title

    def can_transition_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_joinable(self) -> bool:
        return self.status in SessionStatus.OPEN

    @property
    def is_editable(self) -> bool:
        return self.status == SessionStatus.SCHEDULED

    @property
    def events_accepted_until(self):
        """The last moment a student's event still counts: the end plus the grace for events in flight."""
        return self.ends_at + grace_period() if self.ends_at else None

    def remaining_seconds(self, now=None) -> float | None:
        if self.ends_at is None:
            return None
        if self.status != SessionStatus.IN_PROGRESS:
            return 0.0
        return max(0.0, (self.ends_at - (now or timezone.now())).total_seconds())


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
