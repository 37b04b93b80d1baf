"""Short-lived, single-use WebSocket tickets, so a browser never puts a JWT in a URL.

A ticket lives in the default cache (Redis when REDIS_URL is set), so any server process can
redeem it; `cache.add` is an atomic claim on every backend, so two processes cannot both redeem one.
"""

import hashlib
import secrets
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

_PREFIX = "ws-ticket"


@dataclass(frozen=True)
class Ticket:
    """Whose it is and the one socket it opens: a session's, or (session_id None) a practice attempt's."""

    user_id: int
    session_id: int | None
    attempt_id: int | None = None


def _key(ticket: str, suffix: str = "") -> str:
    # The cache holds a digest, never the ticket itself.
    digest = hashlib.sha256(ticket.encode()).hexdigest()
    return f"{_PREFIX}:{digest}{suffix}"


def ticket_issue(*, user_id: int, session_id: int | None = None, attempt_id: int | None = None) -> str:
    ticket = secrets.token_urlsafe(32)
    value = {"user_id": user_id, "session_id": session_id, "attempt_id": attempt_id}
    cache.set(_key(ticket), value, timeout=settings.WS_TICKET_SECONDS)
    return ticket


def ticket_redeem(ticket: str) -> Ticket | None:
    """The ticket's owner and session if it is valid and unused; it is spent either way."""
    if not isinstance(ticket, str) or not 10 <= len(ticket) <= 100:
        return None
    value = cache.get(_key(ticket))
    if not value:
        return None
    if not cache.add(_key(ticket, ":spent"), 1, timeout=settings.WS_TICKET_SECONDS + 5):
        return None  # another connection redeemed it first
    cache.delete(_key(ticket))
    return Ticket(user_id=value["user_id"], session_id=value["session_id"], attempt_id=value.get("attempt_id"))


aticket_redeem = sync_to_async(ticket_redeem, thread_sensitive=False)
