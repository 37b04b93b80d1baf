"""The session clock: sessions end by themselves when their time is up, in every server process.

daphne has no ASGI lifespan, so `start_clock_lazily` starts the loop on the first request or
connection a process serves. Several processes may run it at once: `session_complete_if_due`
claims a session with a conditional UPDATE, so each session completes (and announces it) once.
The same loop beats this process's heart and sweeps dead processes' presence. On SIGTERM
daphne's reactor shuts down; before it does, the clock lets the database thread finish its work
(whose publishes need the event loop) and drops this process's presence at once.

It never starts during manage.py commands (they serve no ASGI scope), nor inside pytest unless
`settings.SESSION_CLOCK_AUTOSTART` is True; tests call `tick()` directly instead.
"""

import asyncio
import contextlib
import contextvars
import logging
import sys
import time

from channels.db import database_sync_to_async
from django.conf import settings

from attempts.practice import practice_attempt_close_if_due, practice_attempts_due_ids
from realtime import process
from sessions_app.services import attempt_close_if_due, attempts_due_ids, session_complete_if_due, sessions_due_ids

logger = logging.getLogger("ielts.clock")


BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0
FAILURE_LOG_EVERY_SECONDS = 60.0


class _Failing:
    """A session whose completion failed: when to try it again, and when its failure was last logged."""

    __slots__ = ("delay", "retry_at", "failures", "logged_at", "unlogged")

    def __init__(self):
        self.delay = 0.0
        self.retry_at = 0.0
        self.failures = 0
        self.logged_at: float | None = None
        self.unlogged = 0


# session id → its failure state, in this process (a session that completes, or stops being due, is forgotten).
_failing: dict[int, _Failing] = {}


def failing_session_ids() -> list[int]:
    """The sessions this process's clock is backing off (their completion raised)."""
    return sorted(_failing)


def _session_failed(session_id: int, at: float) -> None:
    state = _failing.setdefault(session_id, _Failing())
    state.failures += 1
    state.delay = min(BACKOFF_MAX_SECONDS, state.delay * 2 if state.delay else BACKOFF_FIRST_SECONDS)
    state.retry_at = at + state.delay
    if state.logged_at is None or at - state.logged_at >= FAILURE_LOG_EVERY_SECONDS:
        logger.exception(
            "session clock failed; backing off this session",
            extra={"session_id": session_id, "failures": state.failures, "retry_in_seconds": state.delay,
                   "failures_not_logged": state.unlogged},
        )  # fmt: skip
        state.logged_at, state.unlogged = at, 0
    else:
        state.unlogged += 1


def tick() -> list[int]:
    """One pass: close every attempt whose own time (plus the grace) is up (of a session, or of a practice), then
    complete every session whose time is up and whose attempts are all closed. Returns the ids of the sessions this
    call completed.

    A session whose completion raises is isolated: it is retried after a back-off that doubles up to a minute,
    its failure is logged at most once a minute, and the other sessions go on being completed."""
    completed = []
    for attempt_id in attempts_due_ids():  # each attempt at its own deadline first: then the sessions they end
        try:
            attempt_close_if_due(attempt_id=attempt_id)
        except Exception:
            logger.exception("attempt clock failed", extra={"attempt_id": attempt_id})
    for attempt_id in practice_attempts_due_ids():
        try:
            practice_attempt_close_if_due(attempt_id=attempt_id)
        except Exception:
            logger.exception("practice attempt clock failed", extra={"attempt_id": attempt_id})
    at = time.monotonic()
    due = sessions_due_ids()
    for session_id in set(_failing) - set(due):  # completed elsewhere, or no longer due: forget it
        _failing.pop(session_id, None)
    for session_id in due:
        state = _failing.get(session_id)
        if state is not None and at < state.retry_at:
            continue
        try:
            if session_complete_if_due(session_id=session_id):
                completed.append(session_id)
        except Exception:  # one broken session must not stop the others' clocks
            _session_failed(session_id, at)
        else:
            if _failing.pop(session_id, None) is not None:
                logger.info("session clock recovered", extra={"session_id": session_id})
    return completed


def heartbeat() -> None:
    """Beat this process's heart and clear the presence held by processes whose heart has stopped."""
    process.beat()
    process.sweep()


class SessionClock:
    """The background task of one server process (one per event loop)."""

    def __init__(self):
        self._task: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.running and self._task.get_loop() is loop:
            return
        self._task = loop.create_task(self._run(), name="session-clock")
        _before_reactor_shutdown(self.shutdown)
        logger.info("session clock started", extra={"server_name": settings.SERVER_NAME or None})

    async def shutdown(self) -> None:
        """Stop the clock, wait for the database thread to drain, and leave: students here go offline now."""
        await self.stop()
        try:
            await asyncio.wait_for(database_sync_to_async(process.leave)(), timeout=5)
        except Exception:  # shutting down anyway: the restart or the other processes' sweep will clean up
            logger.exception("server process could not leave cleanly")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _run(self) -> None:
        last_beat = None
        while True:
            started = time.monotonic()
            try:
                if last_beat is None or started - last_beat >= settings.SERVER_HEARTBEAT_SECONDS:
                    last_beat = started
                    await database_sync_to_async(heartbeat)()
                await database_sync_to_async(tick)()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup: try again at the next beat
                logger.exception("session clock pass failed")
            await asyncio.sleep(max(0.05, settings.SESSION_CLOCK_INTERVAL_SECONDS - (time.monotonic() - started)))


clock = SessionClock()
_shutdown_hooked = set()


def _before_reactor_shutdown(coroutine_function) -> None:
    """Under daphne (Twisted), run this before the reactor stops, while the event loop still turns."""
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is None or not getattr(reactor, "running", False) or id(reactor) in _shutdown_hooked:
        return
    from twisted.internet import defer

    _shutdown_hooked.add(id(reactor))

    def trigger():
        # A fresh context: the signal may arrive while a consumer's database call holds asgiref's thread marker.
        task = asyncio.get_event_loop().create_task(coroutine_function(), context=contextvars.Context())
        return defer.Deferred.fromFuture(task)

    reactor.addSystemEventTrigger("before", "shutdown", trigger)


def autostart_allowed() -> bool:
    flag = settings.SESSION_CLOCK_AUTOSTART
    if flag is None:
        return "pytest" not in sys.modules
    return bool(flag)


def start_clock_lazily(app):
    """Wrap the ASGI application: the first scope a process serves starts its clock (and ASGI lifespan works too)."""

    async def application(scope, receive, send):
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        if autostart_allowed():
            clock.start()  # a no-op once this event loop's clock runs
        return await app(scope, receive, send)

    return application


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if autostart_allowed():
                clock.start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await clock.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return
