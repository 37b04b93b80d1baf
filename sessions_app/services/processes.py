"""Server processes: each registers, beats its heart, and is forgotten (its students go offline) when it stops or
its heartbeat lapses."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from ielts_site.clock import now
from sessions_app.models import LiveConnection, Participant, ServerProcess
from sessions_app.services.presence import lock_participants, refresh_presence


def server_process_register(*, name: str = "") -> str:
    """Register this process; a restarted process with the same stable name drops its old connections."""
    server_id = uuid.uuid4().hex
    if name:
        for old in ServerProcess.objects.filter(name=name):
            server_process_forget(server_id=old.pk)
    ServerProcess.objects.create(id=server_id, name=name)
    return server_id


def server_process_heartbeat(*, server_id: str, name: str = "") -> None:
    updated = ServerProcess.objects.filter(pk=server_id).update(last_seen=now())
    if not updated:  # swept as dead after a long stall: come back under the same id
        ServerProcess.objects.create(id=server_id, name=name)


# How often a forget starts again because students joined the process while it was locking their participants.
FORGET_ATTEMPTS = 3


def _participants_on(server_id: str) -> set[int]:
    return set(LiveConnection.objects.filter(server_id=server_id).values_list("participant_id", flat=True))


def server_process_forget(*, server_id: str) -> int:
    """Drop a process and the presence it held; returns how many students went offline.

    Locks in the order of every presence writer: the participants (in pk order), then their live connections, then
    the process row. A join locks its participant before it inserts a connection, and a leave before it deletes
    one; deleting the process's connections first (as the cascade would) and locking their participants after
    made a closing connection and a forget of its process wait for each other (a deadlock, seen when a stalled
    process was swept, or left at shutdown, while hundreds of its connections closed)."""
    attempt = 1
    while True:
        with transaction.atomic():
            participant_ids = _participants_on(server_id)
            last_seen = ServerProcess.objects.filter(pk=server_id).values_list("last_seen", flat=True).first()
            # In bulk: a large process holds thousands of students, and a sweep runs on a survivor's clock thread.
            locked = lock_participants(Participant.objects.filter(pk__in=participant_ids))
            # Holding the process row, no new connection can name it (its foreign-key check waits for us).
            list(ServerProcess.objects.select_for_update().filter(pk=server_id).values_list("pk", flat=True))
            joined = _participants_on(server_id) - participant_ids
            if joined and attempt < FORGET_ATTEMPTS:
                attempt += 1
                continue  # students joined it meanwhile: unlock and start again, their participants included
            if joined:  # it keeps taking students: lock the latest few too, out of order, rather than leave them
                locked += lock_participants(Participant.objects.filter(pk__in=joined))
            LiveConnection.objects.filter(server_id=server_id).delete()
            ServerProcess.objects.filter(pk=server_id).delete()
            return refresh_presence(locked, gone_since=last_seen)


def server_processes_sweep() -> int:
    """Forget every process whose heartbeat has lapsed."""
    cutoff = now() - timedelta(seconds=settings.SERVER_DEAD_AFTER_SECONDS)
    return sum(
        server_process_forget(server_id=server_id)
        for server_id in ServerProcess.objects.filter(last_seen__lt=cutoff).values_list("pk", flat=True)
    )
