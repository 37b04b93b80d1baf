"""Reads on attempts: who sees which attempt, loaded whole for its body."""

import json

from django.db.models import Prefetch

from attempts.models import Answer, Attempt


def _whole(attempts):
    return attempts.select_related("session").prefetch_related(
        Prefetch("answers", queryset=Answer.objects.order_by("question__number")),
        "highlights",
        "violations",
        "flagged_questions",
    )


def attempts_visible_to(user):
    """A student sees their own attempts; admins every attempt; teachers those of their classes' sessions."""
    attempts = _whole(Attempt.objects.all())
    if user.is_platform_admin:
        return attempts
    if user.is_teacher:
        return attempts.filter(session__school_class__teachers=user).distinct()
    return attempts.filter(student=user)


def attempt_loaded(attempt_id) -> Attempt:
    """One attempt with everything its body shows (for the body after a write)."""
    return _whole(Attempt.objects.all()).get(pk=attempt_id)


def attempt_body(attempt: Attempt | int) -> dict:
    """The contract's attempt body as plain JSON data (REST, WebSocket `state_sync_response`, pages alike)."""
    from attempts.serializers import AttemptSerializer

    loaded = attempt_loaded(attempt.pk if isinstance(attempt, Attempt) else attempt)
    return json.loads(json.dumps(AttemptSerializer(loaded).data))
