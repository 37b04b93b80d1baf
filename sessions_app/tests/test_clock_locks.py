"""Each attempt's own clock under contention, on PostgreSQL: server processes (threads with their own database
connections) close an attempt at its own deadline exactly once, and a teacher's pause or extension that is being
written when the deadline passes wins over the clock (the clock locks the session first, as every control does)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from attempts import services as attempt_services
from attempts.models import Attempt, AttemptEvent, AttemptStatus
from attempts.signals import attempt_counts_changed
from classes.services import class_create
from realtime import clock
from sessions_app import services
from sessions_app.models import Session, SessionStatus
from sessions_app.services import controls
from sessions_app.tests.test_presence_locks import in_thread, lock_waiters
from tests.controls_support import move_deadlines

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql_only(settings):
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        pytest.skip("row locks and concurrent transactions matter on PostgreSQL: set DATABASE_URL=postgres://...")
    settings.SESSION_GRACE_SECONDS = 0


@pytest.fixture
def submitted_published(monkeypatch):
    """The `attempt_submitted` messages the attempts services publish, recorded when their transaction commits."""
    events = []

    def record(session_id, message_type, *, audience=None, **fields):
        if message_type == "attempt_submitted":
            transaction.on_commit(lambda: events.append(fields["attempt_id"]))

    monkeypatch.setattr(attempt_services, "publish_on_commit", record)
    return events


def running_class_of_ten(make_user, teacher, paper, connect_student):
    klass = class_create(name="Ten", created_by=teacher)
    pupils = [make_user("STUDENT") for _ in range(10)]
    for pupil in pupils:
        services.class_enrol(school_class=klass, student=pupil)
    session = services.session_create(
        school_class=klass, test=paper, title="Ten", scheduled_at=timezone.now(), created_by=teacher
    )
    services.session_open_waiting_room(session=session)
    for pupil in pupils:
        connect_student(session, pupil)
    return services.session_start(session=session)


@pytest.fixture
def big_class(make_user, teacher, paper, connect_student):
    """A running session of ten connected students: the first has ten minutes more, the others' time is up."""
    session = running_class_of_ten(make_user, teacher, paper, connect_student)
    services.attempt_extend(attempt=session.attempts.order_by("pk").first(), seconds=600, by=teacher)
    move_deadlines(session, ends_at=timezone.now() - timedelta(seconds=1))
    return session


@pytest.fixture
def class_out_of_time(make_user, teacher, paper, connect_student):
    """A running session of ten connected students whose time is up for everyone: the session is due."""
    session = running_class_of_ten(make_user, teacher, paper, connect_student)
    move_deadlines(session, ends_at=timezone.now() - timedelta(seconds=1))
    return session


def closings(session) -> dict[int, int]:
    """attempt id → how many times the log says it was submitted."""
    counts = {pk: 0 for pk in Attempt.objects.filter(session=session).values_list("pk", flat=True)}
    for attempt_id in AttemptEvent.objects.filter(attempt__session=session, type="attempt_submitted").values_list(
        "attempt_id", flat=True
    ):
        counts[attempt_id] += 1
    return counts


def test_two_processes_ticking_at_once_close_each_attempt_at_its_deadline_once(big_class, submitted_published):
    due = set(services.attempts_due_ids())
    assert len(due) == 9
    start, errors = threading.Barrier(2), []

    def process_clock():
        start.wait(10)
        for _ in range(3):
            clock.tick()

    threads = [in_thread(process_clock, errors, name=f"web-{n}") for n in (1, 2)]
    for thread in threads:
        thread.join(30)
    assert errors == []
    counts = closings(big_class)
    assert {pk for pk, n in counts.items() if n} == due and set(counts.values()) == {0, 1}, counts
    assert sorted(submitted_published) == sorted(due), "each attempt_submitted is published once"
    assert Session.objects.get(pk=big_class.pk).status == SessionStatus.IN_PROGRESS, "one attempt has time left"


def hold_in_thread(name: str):
    """(hook, holding, release): `hook()` blocks the thread called `name` until `release` is set."""
    holding, release = threading.Event(), threading.Event()

    def hook(*args, **kwargs):
        if threading.current_thread().name == name:
            holding.set()
            release.wait(10)

    return hook, holding, release


def wait_for_a_lock_waiter():
    deadline = time.monotonic() + 10
    while lock_waiters() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lock_waiters() >= 1


def race(first, second, hook, holding, release) -> list:
    """Run `first` in a thread until it holds (inside its transaction), then `second`, which must wait for it."""
    results, errors = {}, []

    def run(call):
        results[threading.current_thread().name] = call()

    try:
        one = in_thread(run, errors, name="first", call=first)
        assert holding.wait(10)
        two = in_thread(run, errors, name="second", call=second)
        wait_for_a_lock_waiter()
        release.set()
        one.join(15)
        two.join(15)
    finally:
        release.set()
    assert errors == []
    return [results["first"], results["second"]]


def test_a_second_process_waits_for_the_first_and_closes_nothing(big_class, submitted_published):
    attempt_id = sorted(services.attempts_due_ids())[0]
    hook, holding, release = hold_in_thread("first")
    attempt_counts_changed.connect(hook, weak=False)  # sent inside the closing transaction
    try:
        results = race(
            lambda: services.attempt_close_if_due(attempt_id=attempt_id),
            lambda: services.attempt_close_if_due(attempt_id=attempt_id),
            hook, holding, release,
        )  # fmt: skip
    finally:
        attempt_counts_changed.disconnect(hook)
    assert results == [True, False]
    assert closings(big_class)[attempt_id] == 1 and submitted_published == [attempt_id]


def test_a_pause_being_written_as_the_deadline_passes_wins_over_the_clock(
    big_class, teacher, monkeypatch, submitted_published
):
    attempt_id = sorted(services.attempts_due_ids())[0]
    hook, holding, release = hold_in_thread("first")
    real = controls.publish_on_commit

    def publish_then_hold(*args, **kwargs):  # called after the pause has written the attempts, before its commit
        real(*args, **kwargs)
        hook()

    monkeypatch.setattr(controls, "publish_on_commit", publish_then_hold)
    results = race(
        lambda: services.session_pause(session=big_class.pk, by=teacher).status,
        lambda: services.attempt_close_if_due(attempt_id=attempt_id),
        hook, holding, release,
    )  # fmt: skip
    assert results == [SessionStatus.PAUSED, False]
    assert Attempt.objects.get(pk=attempt_id).status == AttemptStatus.IN_PROGRESS, "nothing closes while paused"
    assert submitted_published == []


def hold_extensions(monkeypatch):
    """(hook, holding, release) for an extension held in the thread "first" once its new deadline is written."""
    hook, holding, release = hold_in_thread("first")
    real = controls.publish_to_student_on_commit

    def publish_then_hold(*args, **kwargs):  # the new deadline is written, not yet committed
        real(*args, **kwargs)
        hook()

    monkeypatch.setattr(controls, "publish_to_student_on_commit", publish_then_hold)
    return hook, holding, release


def test_an_extension_being_written_as_the_deadline_passes_wins_over_the_clock(
    big_class, teacher, monkeypatch, submitted_published
):
    attempt_id = sorted(services.attempts_due_ids())[0]
    results = race(
        lambda: services.attempt_extend(attempt=attempt_id, seconds=300, by=teacher).status,
        lambda: services.attempt_close_if_due(attempt_id=attempt_id),
        *hold_extensions(monkeypatch),
    )  # fmt: skip
    assert results == [AttemptStatus.IN_PROGRESS, False]
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.status == AttemptStatus.IN_PROGRESS and attempt.ends_at > timezone.now()
    assert submitted_published == []


def test_an_extension_being_written_as_the_session_s_deadline_passes_keeps_the_session_going(
    class_out_of_time, teacher, monkeypatch, submitted_published
):
    assert services.sessions_due_ids() == [class_out_of_time.pk]
    attempt_id = class_out_of_time.attempts.order_by("pk").first().pk
    results = race(
        lambda: services.attempt_extend(attempt=attempt_id, seconds=300, by=teacher).status,
        lambda: services.session_complete_if_due(session_id=class_out_of_time.pk),
        *hold_extensions(monkeypatch),
    )  # fmt: skip
    assert results == [AttemptStatus.IN_PROGRESS, False]
    assert Session.objects.get(pk=class_out_of_time.pk).status == SessionStatus.IN_PROGRESS
    assert Attempt.objects.get(pk=attempt_id).status == AttemptStatus.IN_PROGRESS
    assert submitted_published == [], "no attempt is closed by a completion that did not happen"
