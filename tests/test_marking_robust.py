"""Marking never raises on stored data, and the clock isolates a session that fails (contract: "Band table").

A band table written around the API (a raw UPDATE) is ignored for the module's default: submit, `complete` and
the clock all finish, the attempts carry the default band, and the server logs why once per table. A session
whose completion raises is backed off (doubling up to a minute), logged at most once a minute, and the others
complete on time."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest

from attempts.models import AttemptStatus
from attempts.services import attempt_answer
from exams import marking
from exams.marking import BAND_TABLES, band_for, is_correct
from exams.models import Module, Test
from ielts_site.clock import now
from realtime import clock
from sessions_app.models import SessionStatus
from tests.controls_support import move_deadlines
from tests.test_api_support import API
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db

BAD_TABLES = [
    [[39, "nine"]],
    [[0, 1000]],
    {"a": 1},
    [[30]],
    "x",
    [],
    [[30, 9.3]],
    [[-1, 5]],
    [[10, 6], [20, 5]],
    [[10, 6], [10, 7]],
    [[True, 5]],
    [[39, None]],
    [[39, [9]]],
    [[39, float("nan")]],
    [[39, float("inf")]],
    42,
]


def default_band(score, count, module=Module.ACADEMIC_READING):
    return band_for(score, count, module=module)


@pytest.fixture(autouse=True)
def fresh_marking_and_clock_state():
    marking._logged_tables.clear()
    clock._failing.clear()
    yield
    marking._logged_tables.clear()
    clock._failing.clear()


def store_around_the_api(test: Test, table) -> None:
    """As a raw UPDATE would: no model, form or serializer sees it."""
    Test.objects.filter(pk=test.pk).update(band_table=table)


# ---------------------------------------------------------------- band_for itself


@pytest.mark.parametrize("table", BAD_TABLES, ids=repr)
def test_band_for_uses_the_module_default_for_an_invalid_table(table):
    for module in BAND_TABLES:
        for raw in (0, 1, 13, 27, 39, 40):
            assert band_for(raw, 40, module=module, table=table) == band_for(raw, 40, module=module)


def test_an_invalid_table_is_logged_once_per_table_not_per_call(caplog):
    with caplog.at_level(logging.WARNING, logger="ielts.marking"):
        for _ in range(50):
            band_for(30, 40, module=Module.LISTENING, table=[[39, "nine"]])
        band_for(30, 40, module=Module.LISTENING, table={"a": 1})
        band_for(30, 40, module=Module.LISTENING, table={"a": 1})
    warnings = [r for r in caplog.records if r.name == "ielts.marking"]
    assert len(warnings) == 2
    assert "default" in warnings[0].getMessage() and "band must be" in warnings[0].problem
    assert '[[39, "nine"]]' in warnings[0].band_table


def test_a_valid_own_table_still_applies():
    assert band_for(36, 40, module=Module.LISTENING, table=[[36, 9], [30, 8], [0, 1]]) == 9.0
    assert band_for(29, 40, module=Module.LISTENING, table=[[36, 9], [30, 8], [0, 1]]) == 1.0


@pytest.mark.parametrize("accepted", [{"a": 1}, [1, 2], None, "TRUE", [["TRUE"]]], ids=repr)
def test_stored_answer_keys_of_the_wrong_shape_never_raise(accepted):
    assert is_correct("TRUE", accepted=accepted) is False
    assert is_correct(None, accepted=["TRUE"]) is False


# ---------------------------------------------------------------- the stored bad table, end to end


@pytest.mark.parametrize("table", [[[39, "nine"]], [[0, 1000]], {"a": 1}], ids=repr)
def test_submit_works_with_a_stored_bad_table_and_marks_with_the_default(running_session, students, table):
    store_around_the_api(running_session.test, table)
    attempt = running_session.attempts.get(student=students[0])
    attempt_answer(attempt=attempt, question_id=running_session.test.questions.get(number=1).pk, answer="TRUE")
    response = api(students[0]).post(f"{API}/attempts/{attempt.pk}/submit")
    assert response.status_code == 200, response.content
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.score == 1
    assert attempt.band == Decimal(str(default_band(1, 4)))


@pytest.mark.parametrize("table", [[[39, "nine"]], [[0, 1000]], {"a": 1}], ids=repr)
def test_complete_works_with_a_stored_bad_table(running_session, students, teacher, table):
    store_around_the_api(running_session.test, table)
    response = api(teacher).post(f"{API}/sessions/{running_session.pk}/complete")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "COMPLETED"
    for attempt in running_session.attempts.all():
        assert attempt.status == AttemptStatus.SUBMITTED and attempt.band == Decimal(str(default_band(0, 4)))


@pytest.mark.parametrize("table", [[[39, "nine"]], [[0, 1000]], {"a": 1}], ids=repr)
def test_the_clock_completes_a_session_with_a_stored_bad_table(running_session, students, table, caplog):
    store_around_the_api(running_session.test, table)
    attempt = running_session.attempts.get(student=students[1])
    for number in (1, 2):
        question = running_session.test.questions.get(number=number)
        attempt_answer(attempt=attempt, question_id=question.pk, answer=question.answers[0])
    move_deadlines(running_session, ends_at=now() - timedelta(hours=1))
    with caplog.at_level(logging.WARNING):
        assert clock.tick() == [running_session.pk]
    running_session.refresh_from_db()
    assert running_session.status == SessionStatus.COMPLETED
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.band == Decimal(str(default_band(2, 4)))
    assert not [r for r in caplog.records if r.name == "ielts.clock"]
    assert len([r for r in caplog.records if r.name == "ielts.marking"]) == 1  # two attempts, one line


# ---------------------------------------------------------------- the clock isolates a failing session


@pytest.fixture
def two_due_sessions(running_session, school_class, paper, teacher, students, connect_student):
    from sessions_app.services import session_create, session_open_waiting_room, session_start

    other = session_create(
        school_class=school_class, test=paper, title="Second", scheduled_at=now(), created_by=teacher
    )
    session_open_waiting_room(session=other)
    connect_student(other, students[2])
    session_start(session=other)
    move_deadlines(running_session, other, ends_at=now() - timedelta(hours=1))
    return running_session, other


def test_a_failing_session_is_backed_off_logged_once_a_minute_and_does_not_stall_the_others(
    two_due_sessions, monkeypatch, caplog
):
    broken, healthy = two_due_sessions
    real = clock.session_complete_if_due
    calls = []

    def complete(*, session_id):
        calls.append(session_id)
        if session_id == broken.pk:
            raise RuntimeError("a broken session")
        return real(session_id=session_id)

    moment = [1000.0]
    monkeypatch.setattr(clock, "session_complete_if_due", complete)
    monkeypatch.setattr(clock.time, "monotonic", lambda: moment[0])

    with caplog.at_level(logging.INFO, logger="ielts.clock"):
        assert clock.tick() == [healthy.pk]  # the broken one first or not, the other completes
        assert clock.failing_session_ids() == [broken.pk]
        tries = [calls.count(broken.pk)]
        for _ in range(30):  # 3 ticks a second for 10 s
            moment[0] += 1 / 3
            clock.tick()
        tries.append(calls.count(broken.pk))
        moment[0] += 600  # ten minutes on: the delay has reached its ceiling
        for _ in range(20):
            moment[0] += 61
            clock.tick()
        tries.append(calls.count(broken.pk))

    healthy.refresh_from_db()
    assert healthy.status == SessionStatus.COMPLETED
    assert tries[0] == 1 and tries[1] <= 5  # 1 s, 2 s, 4 s, 8 s: not thirty times
    assert clock._failing[broken.pk].delay == clock.BACKOFF_MAX_SECONDS
    logged = [r for r in caplog.records if r.getMessage().startswith("session clock failed")]
    minutes = (moment[0] - 1000.0) / 60
    assert len(logged) <= minutes + 1 and len(logged) < tries[2]
    assert logged[0].session_id == broken.pk and logged[0].exc_info

    monkeypatch.setattr(clock, "session_complete_if_due", real)  # repaired: the next retry completes it
    moment[0] += 61
    assert clock.tick() == [broken.pk]
    assert clock.failing_session_ids() == []
    assert any(r.getMessage() == "session clock recovered" for r in caplog.records)
