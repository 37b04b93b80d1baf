"""The server's clock, and how its times are written on the wire."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as DRF writes times, so REST and WebSocket agree."""
    if moment is None:
        return None
    value = moment.astimezone(UTC).isoformat()
    return value[:-6] + "Z" if value.endswith("+00:00") else value


def grace_period() -> timedelta:
    """How long after a deadline events still in flight count, and the clock waits before closing anything."""
    return timedelta(seconds=settings.SESSION_GRACE_SECONDS)


def paper_duration(time_limit_minutes: int) -> timedelta:
    """A paper's length on the server's clock (tests shrink a minute with IELTS_SECONDS_PER_MINUTE)."""
    return timedelta(seconds=time_limit_minutes * settings.IELTS_SECONDS_PER_MINUTE)
