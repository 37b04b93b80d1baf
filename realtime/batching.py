"""Student events of every connection of a process, applied in batches: one transaction for all the events
that arrived while the previous batch was being written (group commit).

Each event still goes through its service (the same call REST makes), so a bad event fails alone and a
resent event id is still applied at most once; every kind but a hand-in goes through the attempts' bulk
service together (`attempts_apply`: a fixed number of statements for any number of events). What the
batch saves is the per-event cost around the services: a trip to a database thread, a connection check,
statements and, above all, a commit (a disk flush) per event. At one event at a time the batch is that one
event, so nothing waits for a batch to fill; under load the next batch gathers while one is written
(`settings.WS_EVENT_BATCHES` at once, one by default), and every batch locks its attempts in id order.
"""

import asyncio
import logging
import weakref

from django.conf import settings
from django.db import transaction

from realtime import calls
from realtime.db import database_call

logger = logging.getLogger(__name__)

MAX_BATCH = 200  # events in one transaction (the rows they lock stay locked until it commits)
# Touches ("seen recently") wait this long for each other: one statement a second for a whole school.
TOUCH_GATHER_SECONDS = 1.0


def apply_batch(items: list[tuple]) -> list:
    """Apply (attempt_id, event_type, data, event_id) items in one transaction: an outcome or an exception each.

    Events are taken in order of attempt, each attempt's in the order they came: every kind but a hand-in
    together, in one `attempts_apply` call per run of them (a fixed number of statements for the run), a
    hand-in (which marks the attempt) through its service in a savepoint of its own. So attempts are locked
    in id order, as every writer locks them, and two batches never wait on each other in a cycle.
    """
    order = sorted(range(len(items)), key=lambda i: items[i][0] or 0)  # stable: each attempt keeps its order
    results: list = [None] * len(items)
    if not any(item[1] == "submit_attempt" for item in items):
        # The usual batch: the bulk service's own transaction is the batch's (no savepoint).
        _apply_run(items, order, results)
        return results
    with transaction.atomic():
        run: list[int] = []
        for i in order:
            if items[i][1] != "submit_attempt":
                run.append(i)
                continue
            _apply_run(items, run, results)
            run = []
            results[i] = _apply_one(items[i])
        _apply_run(items, run, results)
    return results


def _apply_one(item: tuple):
    attempt_id, event_type, data, event_id = item
    try:  # each service is atomic itself: a failure rolls back to its savepoint, the batch goes on
        return calls.apply_student_event(attempt_id=attempt_id, event_type=event_type, data=data, event_id=event_id)
    except Exception as exc:  # reported to that event's sender alone
        return exc


def _apply_run(items: list[tuple], indexes: list[int], results: list) -> None:
    if not indexes:
        return
    try:
        outcomes = calls.apply_student_events([items[i] for i in indexes])
    except Exception:  # the run failed as a whole (it rolled back to its savepoint): each event alone, then
        logger.warning("event run failed: applying its %d events one by one", len(indexes), exc_info=True)
        outcomes = [_apply_one(items[i]) for i in indexes]
    for i, outcome in zip(indexes, outcomes, strict=True):
        results[i] = outcome


class Batcher:
    """One per event loop and use: queue requests, handle each gathered run of them in one call of `handle`
    (a list of requests → a list of results, an exception standing for a failed one) on a database thread,
    and resolve each waiter. At most `parallel` calls at once: while they run the next run gathers."""

    def __init__(
        self, handle, *, parallel: int = 1, background: bool = False, limit: int = MAX_BATCH, gather: float = 0.0
    ):
        self.handle = database_call(handle, background=background)
        self.parallel = parallel
        self.limit = limit
        self.gather = gather  # seconds a call waits for more requests first (for work nobody waits on)
        self._pending: list[tuple[object, asyncio.Future]] = []
        self._running: set[asyncio.Task] = set()

    def submit(self, request) -> asyncio.Future:
        """Queue `request`: the future has its result."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((request, future))
        if len(self._running) < self.parallel:
            task = loop.create_task(self._drain())
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return future

    async def _drain(self):
        if self.gather:
            await asyncio.sleep(self.gather)
        while self._pending:
            batch, self._pending = self._pending[: self.limit], self._pending[self.limit :]
            try:
                results = await self.handle([request for request, _ in batch])
            except Exception as exc:  # the call failed as a whole (e.g. its commit): every request of it failed
                results = [exc] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # its connection went away meanwhile
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)


def _log_failure(future: asyncio.Future) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        logger.warning("touch not recorded: %r", exc)


_batchers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Batcher]]" = weakref.WeakKeyDictionary()


def batcher(name: str, handle, **options) -> Batcher:
    """The loop's batcher called `name` (made on first use with `handle` and `options`)."""
    loop = asyncio.get_running_loop()
    mine = _batchers.setdefault(loop, {})
    if name not in mine:
        mine[name] = Batcher(handle, **options)
    return mine[name]


async def apply_student_event(*, attempt_id, event_type: str, data: dict, event_id: str | None):
    """`calls.apply_student_event`, batched with the other connections' events of this process."""
    events = batcher("events", apply_batch, parallel=settings.WS_EVENT_BATCHES)
    return await events.submit((attempt_id, event_type, data, event_id))


async def state_sync(*, session_id: int, student, attempt_id: int | None) -> tuple[int | None, dict | None]:
    """`calls.students_state_sync` of one student, batched with the other connections' syncs of this process: a
    class's consumers all ask at the start, and their syncs leave in one database trip, not forty."""
    syncs = batcher("state_syncs", calls.students_state_sync)
    return await syncs.submit((session_id, student, attempt_id))


def touch(*, session_id: int, student_id: int) -> None:
    """Record a student's activity with the other connections' touches of this process, in one statement that
    skips rows another write holds (a touch never waits on, or stands in the way of, an event)."""
    touches = batcher("touches", calls.students_touch, background=True, limit=1000, gather=TOUCH_GATHER_SECONDS)
    touches.submit((session_id, student_id)).add_done_callback(_log_failure)  # nobody waits for it
