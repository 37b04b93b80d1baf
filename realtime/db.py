"""Where the WebSocket consumer's database work runs: a small pool of threads, each with its own connection.

Channels' `database_sync_to_async` runs every ORM call of a process on one shared thread
(django/channels#2132), so one connection's slow round trip holds up every other connection of the
process. The consumer's calls do not need that thread: each connection still makes its own calls one
at a time, and the services lock the rows they change. So they run on `settings.WS_DB_THREADS` threads.

A write made on one of these threads publishes through `deferred_loop()`: the message is handed to the
event loop, which sends it after the commit, instead of the thread waiting for the loop to send it.
"""

import asyncio
import logging
import os
import threading
import weakref
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

_local = threading.local()
_executors: dict[tuple, ThreadPoolExecutor] = {}  # by process id (a forked child starts its own) and lane
_lock = threading.Lock()


def _executor(background: bool) -> ThreadPoolExecutor:
    key = (os.getpid(), background)
    with _lock:
        executor = _executors.get(key)
        if executor is None:
            threads = max(1, settings.WS_DB_THREADS // 2) if background else settings.WS_DB_THREADS
            executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ws-db-bg" if background else "ws-db")
            _executors[key] = executor
        return executor


class _PoolCall(SyncToAsync):
    """`database_sync_to_async` on the pool: the connection is borrowed for the call (from the process's
    connection pool on PostgreSQL, settings.DATABASES) and given back at its end, as for a request."""

    defer_publishing = True

    def thread_handler(self, loop, *args, **kwargs):
        close_old_connections()
        _local.loop = loop if self.defer_publishing else None
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            _local.loop = None
            close_old_connections()


def database_call(func, *, background: bool = False):
    """Wrap a sync function that uses the database so the consumer can await it (on the pool).

    `background` work (clearing a closed connection's presence) has threads of its own, so that a wave of
    disconnections never makes handshakes and events wait behind it.
    """
    call = _PoolCall(func, thread_sensitive=False, executor=_executor(background))
    # Background work publishes the plain way (the thread waits for the send): a closing consumer's messages
    # then leave before it is gone, which the storing layer's shared receive needs.
    call.defer_publishing = settings.WS_DEFER_PUBLISH and not background
    return call


def deferred_loop():
    """The event loop this thread is working for, when it is one of the pool's threads; otherwise None."""
    return getattr(_local, "loop", None)


class _Outbox:
    """Coroutine calls handed to one event loop, run one after the other in the order they were handed over."""

    def __init__(self):
        self.calls: deque = deque()
        self.task: asyncio.Task | None = None

    def add(self, loop, call) -> None:  # on the loop
        self.calls.append(call)
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._run())

    async def _run(self):
        while self.calls:
            async_fn, args = self.calls.popleft()
            try:
                await async_fn(*args)
            except Exception:  # e.g. Redis is away: the database is the log, a lost notification undoes nothing
                logger.exception("deferred call failed", extra={"call": getattr(async_fn, "__qualname__", "?")})


_outboxes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Outbox]" = weakref.WeakKeyDictionary()


def _hand_over(loop, call) -> None:
    outbox = _outboxes.get(loop)
    if outbox is None:
        outbox = _outboxes[loop] = _Outbox()
    outbox.add(loop, call)


def call_later_on_loop(async_fn, *args) -> bool:
    """On a pool thread: have the event loop await `async_fn(*args)` after every call handed over before it,
    without waiting for it. Returns False (and does nothing) on any other thread."""
    loop = deferred_loop()
    if loop is None:
        return False
    try:
        loop.call_soon_threadsafe(_hand_over, loop, (async_fn, args))
    except RuntimeError:  # the loop has closed (the server is stopping)
        logger.warning("event loop closed: deferred call dropped")
    return True
