"""Presence writers under contention, on PostgreSQL: each takes its locks in one order (the participants, in pk
order, then their live connections, then the server process), so a connection that closes while its process
is being forgotten waits for it instead of deadlocking with it, and every student is told gone once."""

import random
import threading
import time

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import pre_delete

from sessions_app import services
from sessions_app.models import ConnectionStatus, LiveConnection, Participant
from sessions_app.services import presence

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql_only():
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        pytest.skip("row locks and their order matter on PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture
def published(monkeypatch):
    """What the presence services publish, recorded when (and only if) their transaction commits."""
    events = []

    def record(session_id, message_type, *, audience=None, **fields):
        transaction.on_commit(lambda: events.append((session_id, message_type, fields)))

    monkeypatch.setattr(presence, "publish_on_commit", record)
    return events


def lock_waiters() -> int:
    """Backends of the test database waiting for a lock (the main thread runs in autocommit: a fresh view)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def in_thread(target, errors: list, name=None, **kwargs) -> threading.Thread:
    def run():
        try:
            target(**kwargs)
        except Exception as exc:  # collected and asserted by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def statuses(session) -> dict:
    return dict(session.participants.values_list("student_id", "connection_status"))


def test_a_connection_closing_while_its_process_is_forgotten_does_not_deadlock(session, students, published):
    services.session_open_waiting_room(session=session)
    server = services.server_process_register(name="web-1")
    other = services.server_process_register(name="web-2")
    for student in students:
        services.participant_connect(session=session, student=student, channel_name=f"c{student.pk}", server_id=server)
    # The last student also has a tab on another process: it stays connected.
    services.participant_connect(session=session, student=students[2], channel_name="tab-2", server_id=other)
    published.clear()
    closing = students[1]
    holds_participant, release = threading.Event(), threading.Event()

    def pause_before_deleting(sender, instance, **kwargs):
        # Only in the closing connection's own thread: its participant is locked, its row not yet deleted.
        if threading.current_thread().name == "closer":
            holds_participant.set()
            release.wait(10)

    pre_delete.connect(pause_before_deleting, sender=LiveConnection, weak=False)
    errors = []
    try:
        closer = in_thread(services.participant_disconnect, errors, name="closer", channel_name=f"c{closing.pk}")
        assert holds_participant.wait(10)
        forgetter = in_thread(services.server_process_forget, errors, server_id=server)
        deadline = time.monotonic() + 10
        while lock_waiters() == 0 and time.monotonic() < deadline:  # the forget now waits for that participant
            time.sleep(0.02)
        assert lock_waiters() >= 1
        release.set()
        closer.join(15)
        forgetter.join(15)
    finally:
        release.set()
        pre_delete.disconnect(pause_before_deleting, sender=LiveConnection)

    assert errors == []
    assert statuses(session) == {
        students[0].pk: ConnectionStatus.DISCONNECTED,
        students[1].pk: ConnectionStatus.DISCONNECTED,
        students[2].pk: ConnectionStatus.CONNECTED,
    }
    assert list(LiveConnection.objects.values_list("channel_name", flat=True)) == ["tab-2"]
    gone = [fields["student_id"] for _, kind, fields in published if kind == "participant_disconnected"]
    assert sorted(gone) == sorted([students[0].pk, students[1].pk])


def test_joins_leaves_and_touches_racing_a_forget_leave_presence_consistent(session, make_user, school_class):
    """Many writers at once on one process that is being forgotten: nobody errors (no deadlock), and in the end
    a participant is CONNECTED exactly when a live connection of theirs remains."""
    pupils = [make_user("STUDENT") for _ in range(30)]
    for pupil in pupils:
        services.class_enrol(school_class=school_class, student=pupil)
    services.session_open_waiting_room(session=session)
    doomed = services.server_process_register(name="doomed")
    alive = services.server_process_register(name="alive")
    for pupil in pupils:
        services.participant_connect(session=session, student=pupil, channel_name=f"d{pupil.pk}", server_id=doomed)
    rng = random.Random(12)
    start = threading.Barrier(len(pupils) + 1)

    def churn(pupil, seed):
        own = random.Random(seed)
        start.wait()
        for round_ in range(6):
            action = own.random()
            if action < 0.4:
                services.participant_disconnect(channel_name=f"d{pupil.pk}")
            elif action < 0.7:
                services.participant_connect(
                    session=session, student=pupil, channel_name=f"a{pupil.pk}.{round_}", server_id=alive
                )
            elif action < 0.85:
                services.participant_disconnect(channel_name=f"a{pupil.pk}.{round_ - 1}")
            else:
                services.participants_touch(pairs=[(session.pk, pupil.pk)])

    def forget():
        start.wait()
        services.server_process_forget(server_id=doomed)

    errors = []
    threads = [in_thread(churn, errors, pupil=pupil, seed=rng.random()) for pupil in pupils]
    threads.append(in_thread(forget, errors))
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert not LiveConnection.objects.filter(server_id=doomed).exists()
    live = set(LiveConnection.objects.values_list("participant_id", flat=True))
    shown = dict(Participant.objects.filter(session=session).values_list("pk", "connection_status"))
    assert {pk for pk, status in shown.items() if status == ConnectionStatus.CONNECTED} == live
