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

from monitoring import live
from monitoring.db import database_call

logger = logging.getLogger(__name__)

MAX_BATCH = 200  # events in one transaction (the rows they lock stay locked until it commits)


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
        return live.apply_student_event(attempt_id=attempt_id, event_type=event_type, data=data, event_id=event_id)
    except Exception as exc:  # reported to that event's sender alone
        return exc


def _apply_run(items: list[tuple], indexes: list[int], results: list) -> None:
    if not indexes:
        return
    try:
        outcomes = live.apply_student_events([items[i] for i in indexes])
    except Exception:  # the run failed as a whole (it rolled back to its savepoint): each event alone, then
        logger.warning("event run failed: applying its %d events one by one", len(indexes), exc_info=True)
        outcomes = [_apply_one(items[i]) for i in indexes]
    for i, outcome in zip(indexes, outcomes, strict=True):
        results[i] = outcome


class EventBatcher:
    """One per event loop: queue events, write them in batches on a database thread, resolve each waiter."""

    def __init__(self, parallel: int):
        self.parallel = parallel  # batches in flight at once, on as many database threads
        self._pending: list[tuple[tuple, asyncio.Future]] = []
        self._running: set[asyncio.Task] = set()

    async def apply(self, *, attempt_id, event_type: str, data: dict, event_id: str | None):
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append(((attempt_id, event_type, data, event_id), future))
        if len(self._running) < self.parallel:
            task = loop.create_task(self._drain())
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return await future

    async def _drain(self):
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                results = await database_call(apply_batch)([item for item, _ in batch])
            except Exception as exc:  # the commit itself failed: every event of the batch failed
                results = [exc] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # its connection went away meanwhile
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)


_batchers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, EventBatcher]" = weakref.WeakKeyDictionary()


async def apply_student_event(*, attempt_id, event_type: str, data: dict, event_id: str | None):
    """`live.apply_student_event`, batched with the other connections' events of this process."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = EventBatcher(parallel=settings.WS_EVENT_BATCHES)
    return await batcher.apply(attempt_id=attempt_id, event_type=event_type, data=data, event_id=event_id)
