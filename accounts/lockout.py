"""The login lockout that the web login, the admin login and the API token share (django-axes counts the failures
per username and client address in the database): how long a locked pair still waits, and what it is told."""

import math
from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from ielts_site.security import client_address


def login_retry_after(request, username: str | None) -> int | None:
    """Seconds until `username` may try again from this request's address, or None when it is not locked out."""
    if not settings.AXES_ENABLED or not username:
        return None
    now = timezone.now()
    cool_off: timedelta = settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(
        username=username, ip_address=client_address(request), attempt_time__gte=now - cool_off
    ).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    if (recent["failures"] or 0) < settings.AXES_FAILURE_LIMIT:
        return None
    return max(1, math.ceil((recent["last"] + cool_off - now).total_seconds()))


def lockout_message(retry_after: int) -> str:
    minutes = max(1, math.ceil(retry_after / 60))
    at = (timezone.now() + timedelta(seconds=retry_after)).strftime("%H:%M UTC")
    return (
        "Too many failed logins for this username from your address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''} (after {at})."
    )


def login_failures_forget(request, username: str) -> None:
    """A successful API login clears its pair's count, as a page login does (axes hears `user_logged_in` there)."""
    if settings.AXES_ENABLED and settings.AXES_RESET_ON_SUCCESS:
        AccessAttempt.objects.filter(username=username, ip_address=client_address(request)).delete()
