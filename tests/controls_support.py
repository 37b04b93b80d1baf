"""Helpers for the tests of the teacher's controls and the clock (no tests here): move deadlines as if time had
passed, hear every group a control may reach, and take a snapshot of what a control may change."""

import asyncio
import contextlib
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from attempts.models import Attempt, AttemptEvent, Violation
from conftest import GroupListener
from realtime.events import session_group, student_group, teachers_group
from sessions_app.models import Session, TeacherMessage


def move_deadlines(*sessions, ends_at) -> None:
    """The sessions' `ends_at` becomes `ends_at`, and each attempt's own deadline moves with it (it keeps its extra
    time), as written around the services."""
    session_ids = [session.pk for session in sessions]
    Session.objects.filter(pk__in=session_ids).update(ends_at=ends_at)
    for attempt in Attempt.objects.filter(session_id__in=session_ids):
        Attempt.objects.filter(pk=attempt.pk).update(ends_at=ends_at + timedelta(seconds=attempt.extra_seconds))


class _WithNotices:
    """The channel layer, handing on a notice that carries no message (a `state.resync`) as a message of its type."""

    def __init__(self, layer):
        self._layer = layer

    def __getattr__(self, name):
        return getattr(self._layer, name)

    async def receive(self, channel):
        event = await self._layer.receive(channel)
        return event if "message" in event else {"message": {"type": event["type"]}}


class RawListener(GroupListener):
    """A group listener that also hears the "send your student a fresh state sync" notices (as `state.resync`)."""

    def __init__(self, group: str):
        super().__init__(group)
        self.layer = _WithNotices(self.layer)


class Ears:
    """Every group a control may reach: everyone, the teachers, and each student's own connections."""

    def __init__(self, session, students):
        pk = session.pk
        self.groups = {"everyone": session_group(pk), "teachers": teachers_group(pk)}
        self.groups |= {student.pk: student_group(pk, student.pk) for student in students}
        self.listeners = {name: RawListener(group) for name, group in self.groups.items()}

    def heard(self) -> dict:
        """Group → what reached it since the last call (empty groups left out), every group listened to at once.

        Quiet for long enough on Redis: a receive cancelled as a message arrives loses it there."""
        quiet = 0.05 if "InMemory" in type(get_channel_layer()).__name__ else 0.3

        async def until_quiet(listener):
            events = []
            with contextlib.suppress(TimeoutError):
                while True:
                    events.append((await asyncio.wait_for(listener.layer.receive(listener.channel), quiet))["message"])
            return events

        async def every_group():
            return await asyncio.gather(*map(until_quiet, self.listeners.values()))

        heard = dict(zip(self.listeners, async_to_sync(every_group)(), strict=True))
        return {name: events for name, events in heard.items() if events}

    def close(self):
        for listener in self.listeners.values():
            listener.close()


def snapshot(session) -> dict:
    """Everything a control may change, to show that a refused one changed none of it."""
    return {
        "session": Session.objects.filter(pk=session.pk).values().get(),
        "attempts": list(Attempt.objects.filter(session=session).order_by("pk").values()),
        "violations": list(Violation.objects.filter(attempt__session=session).order_by("pk").values()),
        "log": AttemptEvent.objects.filter(attempt__session=session).count(),
        "messages": TeacherMessage.objects.filter(session=session).count(),
    }
