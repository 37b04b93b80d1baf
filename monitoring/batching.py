"""Student events of every connection of a process, applied in batches: one transaction for all the events
that arrived while the previous batch was being written (group commit).

Each event still goes through its service (`live.apply_student_event`, the same call REST makes), in
its own savepoint, so a bad event fails alone and a resent event id is still applied at most once. What
the batch saves is the per-event cost around the services: a trip to a database thread, a connection
check and, above all, a commit (a disk flush) per event. At one event at a time the batch is that one
event, so nothing waits for a batch to fill; and several batches run at once on the pool's threads, each locking
its attempts in the same order.
"""

import asyncio
import weakref

from django.conf import settings
from django.db import transaction

from monitoring import live
from monitoring.db import database_call

MAX_BATCH = 200  # events in one transaction (the rows they lock stay locked until it commits)


def apply_batch(items: list[tuple]) -> list:
    """Apply (attempt_id, event_type, data, event_id) items in one transaction: an outcome or an exception each.

    Items are applied in order of attempt (a stable sort keeps each attempt's own order), so two processes'
    batches lock the attempts they share in the same order.
    """
    order = sorted(range(len(items)), key=lambda i: items[i][0] or 0)
    results: list = [None] * len(items)
    with transaction.atomic():
        for i in order:
            attempt_id, event_type, data, event_id = items[i]
            try:  # each service is atomic itself: a failure rolls back to its savepoint, the batch goes on
                results[i] = live.apply_student_event(
                    attempt_id=attempt_id, event_type=event_type, data=data, event_id=event_id
                )
            except Exception as exc:  # reported to that event's sender alone
                results[i] = exc
    return results


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
        # One database thread stays free of batches for handshakes and state syncs.
        batcher = _batchers[loop] = EventBatcher(parallel=max(1, settings.WS_DB_THREADS - 1))
    return await batcher.apply(attempt_id=attempt_id, event_type=event_type, data=data, event_id=event_id)
