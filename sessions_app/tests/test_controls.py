"""The teacher's live controls as services (contract: "Teacher controls during a session"): each changes its state,
writes the attempts' log (who, when, why), publishes after commit to exactly its audience, and a refusal changes
nothing and publishes nothing. Also each attempt's own clock, offline time and the count of open sockets."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from attempts.models import Attempt, AttemptEvent, AttemptStatus
from attempts.services import attempt_record_violation, attempt_submit
from ielts_site.clock import iso
from ielts_site.errors import Conflict, InvalidInput, NotFound
from realtime import clock
from sessions_app import services
from sessions_app.models import ConnectionStatus, Participant, ServerProcess, Session, SessionStatus, TeacherMessage
from sessions_app.selectors import session_stats
from tests.controls_support import Ears, move_deadlines, snapshot

pytestmark = pytest.mark.django_db

FLAT = {"type", "session_id", "timestamp"}  # every server message carries these


@pytest.fixture
def ears(running_session, students):
    ears = Ears(running_session, students)
    yield ears
    ears.close()


@pytest.fixture
def attempts(running_session, students):
    """The two attempts of the running session: the first and second students' (the third was absent)."""
    return [running_session.attempts.get(student=student) for student in students[:2]]


def types(events) -> list[str]:
    return [event["type"] for event in events]


@pytest.fixture
def refused(running_session, ears, django_capture_on_commit_callbacks):
    """`refused(call, error_class, code=..., field=...)`: the call raises that error and changes and sends nothing."""

    def check(call, error_class, *, code=None, field=None, session=None):
        before = snapshot(session or running_session)
        with pytest.raises(error_class) as caught, django_capture_on_commit_callbacks() as callbacks:
            call()
        if code is not None:
            assert caught.value.code == code
        if field is not None:
            assert caught.value.field == field
        assert callbacks == [], "a refused control publishes nothing"
        assert snapshot(session or running_session) == before, "a refused control changes nothing"
        assert ears.heard() == {}
        return caught.value

    return check


def logged(attempt, event_type) -> list[dict]:
    return list(AttemptEvent.objects.filter(attempt=attempt, type=event_type).values_list("data", flat=True))


def seconds_between(later, earlier) -> float:
    return (later - earlier).total_seconds()


# ---------------------------------------------------------------- pause and resume


def test_pause_stops_the_room_and_tells_everyone(
    running_session, attempts, teacher, ears, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        session = services.session_pause(session=running_session, by=teacher, reason="Fire alarm")
    stored = Session.objects.get(pk=running_session.pk)
    assert (stored.status, stored.pause_reason) == (SessionStatus.PAUSED, "Fire alarm") and stored.paused_at
    assert session.status == SessionStatus.PAUSED
    for attempt in attempts:
        assert logged(attempt, "session_paused") == [{"by": teacher.pk, "reason": "Fire alarm"}]
    heard = ears.heard()
    assert list(heard) == ["everyone"], "everyone hears it on the session's group, once"
    paused, status = heard["everyone"]
    assert set(paused) == FLAT | {"paused_at", "reason"}
    assert (paused["type"], paused["reason"]) == ("session_paused", "Fire alarm")
    assert paused["paused_at"] == iso(stored.paused_at)
    assert (status["type"], status["status"]) == ("session_status_changed", "PAUSED")


def test_a_pause_without_a_reason_says_null(running_session, teacher, ears, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.session_pause(session=running_session, by=teacher)
    assert ears.heard()["everyone"][0]["reason"] is None


def test_pause_is_refused_unless_in_progress(running_session, teacher, refused):
    services.session_pause(session=running_session, by=teacher)
    refused(lambda: services.session_pause(session=running_session, by=teacher), Conflict, code="invalid_transition")
    services.session_complete(session=running_session, by=teacher)
    refused(lambda: services.session_pause(session=running_session, by=teacher), Conflict, code="invalid_transition")


def test_pause_refuses_a_reason_over_500_characters(running_session, teacher, refused):
    refused(
        lambda: services.session_pause(session=running_session, by=teacher, reason="x" * 501),
        InvalidInput, field="reason",
    )  # fmt: skip


def test_resume_moves_every_open_deadline_by_the_time_paused(
    running_session, attempts, students, teacher, ears, django_capture_on_commit_callbacks
):
    services.attempt_extend(attempt=attempts[0], seconds=300, by=teacher)
    attempt_submit(attempt=attempts[1])  # closed: its deadline stays
    before = {a.pk: a.ends_at for a in Attempt.objects.filter(session=running_session)}
    session_ends = Session.objects.get(pk=running_session.pk).ends_at
    services.session_pause(session=running_session, by=teacher)
    Session.objects.filter(pk=running_session.pk).update(paused_at=F("paused_at") - timedelta(seconds=30))
    ears.heard()
    with django_capture_on_commit_callbacks(execute=True):
        session = services.session_resume(session=running_session, by=teacher)

    assert session.status == SessionStatus.IN_PROGRESS and session.paused_at is None
    paused = seconds_between(session.ends_at, session_ends)
    assert 30 <= paused < 32
    open_attempt, closed = Attempt.objects.get(pk=attempts[0].pk), Attempt.objects.get(pk=attempts[1].pk)
    assert seconds_between(open_attempt.ends_at, before[open_attempt.pk]) == paused, "as far as the session"
    assert open_attempt.extra_seconds == 300
    assert closed.ends_at == before[closed.pk]
    assert logged(open_attempt, "session_resumed") == [{"by": teacher.pk, "paused_seconds": round(paused)}]
    assert logged(closed, "session_resumed") == []

    heard = ears.heard()
    assert list(heard) == ["everyone"]
    assert types(heard["everyone"]) == ["session_resumed", "session_status_changed", "state.resync"]
    resumed = heard["everyone"][0]
    assert set(resumed) == FLAT | {"ends_at", "server_now", "paused_seconds"}
    assert resumed["paused_seconds"] == round(paused)
    assert resumed["ends_at"] == iso(session.ends_at)


def test_resume_is_refused_unless_paused(running_session, teacher, refused):
    refused(lambda: services.session_resume(session=running_session, by=teacher), Conflict, code="invalid_transition")


def test_complete_ends_a_paused_session(running_session, teacher):
    services.session_pause(session=running_session, by=teacher)
    services.session_complete(session=running_session, by=teacher)
    assert Session.objects.get(pk=running_session.pk).status == SessionStatus.COMPLETED
    assert not Attempt.objects.filter(session=running_session, status=AttemptStatus.IN_PROGRESS).exists()


def test_while_paused_a_student_event_is_refused_and_its_event_id_is_kept(running_session, attempts, teacher):
    from attempts.services import attempt_answer

    question = running_session.test.questions.get(number=1)
    services.session_pause(session=running_session, by=teacher)
    for call in (
        lambda: attempt_answer(attempt=attempts[0], question_id=question.pk, answer="TRUE", event_id="p-1"),
        lambda: attempt_submit(attempt=attempts[0], event_id="p-2"),
    ):
        with pytest.raises(Conflict) as caught:
            call()
        assert caught.value.code == "session_paused"
    assert not AttemptEvent.objects.filter(event_id__in=["p-1", "p-2"]).exists()
    services.session_resume(session=running_session, by=teacher)
    assert attempt_answer(attempt=attempts[0], question_id=question.pk, answer="TRUE", event_id="p-1").applied
    assert attempts[0].answers.get().answer == "TRUE"


# ---------------------------------------------------------------- extra time


def test_extra_time_for_one_student_moves_only_their_deadline(
    running_session, attempts, students, teacher, ears, django_capture_on_commit_callbacks
):
    ends = attempts[0].ends_at
    with django_capture_on_commit_callbacks(execute=True):
        body = services.attempt_extend(attempt=attempts[0], seconds=1500, by=teacher, reason="Access arrangement")
    mine, theirs = Attempt.objects.get(pk=attempts[0].pk), Attempt.objects.get(pk=attempts[1].pk)
    assert seconds_between(mine.ends_at, ends) == 1500 and mine.extra_seconds == 1500
    assert (theirs.ends_at, theirs.extra_seconds) == (ends, 0)
    assert Session.objects.get(pk=running_session.pk).ends_at == ends, "the session's deadline stays"
    assert body.pk == mine.pk and body.extra_seconds == 1500
    assert logged(mine, "time_extended") == [{"by": teacher.pk, "seconds": 1500, "reason": "Access arrangement"}]

    heard = ears.heard()
    assert set(heard) == {"teachers", students[0].pk}, "that student and the teachers; no other student"
    assert types(heard[students[0].pk]) == ["time_extended", "state.resync"]
    extended = heard["teachers"][0]
    assert heard[students[0].pk][0] == extended
    assert set(extended) == FLAT | {"student_id", "attempt_id", "ends_at", "server_now", "seconds", "reason"}
    assert (extended["student_id"], extended["attempt_id"], extended["seconds"], extended["reason"]) == (
        students[0].pk, mine.pk, 1500, "Access arrangement",
    )  # fmt: skip
    assert extended["ends_at"] == iso(mine.ends_at)


def test_a_correction_never_moves_a_deadline_before_now(running_session, attempts, teacher):
    services.attempt_extend(attempt=attempts[0], seconds=-3600, by=teacher, reason="Typed 60 minutes, meant 60 s")
    moment = timezone.now()
    mine = Attempt.objects.get(pk=attempts[0].pk)
    assert moment - timedelta(seconds=2) <= mine.ends_at <= moment
    assert mine.extra_seconds == round(seconds_between(mine.ends_at, running_session.ends_at)) < -3590
    assert mine.status == AttemptStatus.IN_PROGRESS


@pytest.mark.parametrize("seconds", [0, 18001, -3601, 1.5, "60", True, None])
def test_extra_time_out_of_range_is_refused(running_session, attempts, teacher, refused, seconds):
    refused(lambda: services.attempt_extend(attempt=attempts[0], seconds=seconds, by=teacher), InvalidInput,
            field="seconds")  # fmt: skip
    refused(lambda: services.session_extend(session=running_session, seconds=seconds, by=teacher), InvalidInput,
            field="seconds")  # fmt: skip


def test_extra_time_is_refused_for_a_closed_attempt_or_a_session_not_running(
    running_session, attempts, teacher, refused
):
    attempt_submit(attempt=attempts[1])
    refused(lambda: services.attempt_extend(attempt=attempts[1], seconds=60, by=teacher), Conflict,
            code="attempt_closed")  # fmt: skip
    services.session_complete(session=running_session, by=teacher)
    refused(lambda: services.attempt_extend(attempt=attempts[0], seconds=60, by=teacher), Conflict,
            code="attempt_closed")  # fmt: skip
    refused(lambda: services.session_extend(session=running_session, seconds=60, by=teacher), Conflict,
            code="session_not_running")  # fmt: skip


def test_extra_time_is_given_while_paused(running_session, attempts, teacher):
    services.session_pause(session=running_session, by=teacher)
    services.attempt_extend(attempt=attempts[0], seconds=120, by=teacher)
    services.session_extend(session=running_session, seconds=60, by=teacher)
    assert Attempt.objects.get(pk=attempts[0].pk).extra_seconds == 120


def test_extra_time_for_the_class_moves_the_session_and_every_open_attempt(
    running_session, attempts, students, teacher, ears, django_capture_on_commit_callbacks
):
    services.attempt_extend(attempt=attempts[0], seconds=300, by=teacher)
    ends = Session.objects.get(pk=running_session.pk).ends_at
    own = {a.pk: a.ends_at for a in Attempt.objects.filter(session=running_session)}
    ears.heard()
    with django_capture_on_commit_callbacks(execute=True):
        session = services.session_extend(session=running_session, seconds=600, by=teacher, reason="Late start")
    assert seconds_between(session.ends_at, ends) == 600
    for attempt in Attempt.objects.filter(session=running_session):
        assert seconds_between(attempt.ends_at, own[attempt.pk]) == 600, "each keeps its own extra time"
        assert logged(attempt, "time_extended")[-1] == {
            "by": teacher.pk, "seconds": 600, "reason": "Late start", "whole_class": True,
        }  # fmt: skip
    assert [a.extra_seconds for a in Attempt.objects.filter(session=running_session).order_by("pk")] == [300, 0]

    heard = ears.heard()
    assert set(heard) == {"everyone", students[0].pk, students[1].pk}
    [extended] = heard["everyone"]
    assert set(extended) == FLAT | {"student_id", "attempt_id", "ends_at", "server_now", "seconds", "reason"}
    assert (extended["student_id"], extended["attempt_id"], extended["seconds"], extended["reason"]) == (
        None, None, 600, "Late start",
    )  # fmt: skip
    assert extended["ends_at"] == iso(session.ends_at), "the session's new ends_at"
    for student in students[:2]:
        assert heard[student.pk] == [{"type": "state.resync"}], "each student with an open attempt resyncs"


def test_extra_time_for_the_class_leaves_closed_attempts_and_resyncs_only_open_ones(
    running_session, attempts, students, teacher, ears, django_capture_on_commit_callbacks
):
    attempt_submit(attempt=attempts[1])
    closed = Attempt.objects.get(pk=attempts[1].pk)
    ears.heard()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_extend(session=running_session, seconds=-60, by=teacher)
    after = Attempt.objects.get(pk=attempts[1].pk)
    assert (after.ends_at, after.extra_seconds) == (closed.ends_at, closed.extra_seconds)
    assert Attempt.objects.get(pk=attempts[0].pk).extra_seconds == 0
    heard = ears.heard()
    assert students[1].pk not in heard and heard[students[0].pk] == [{"type": "state.resync"}]


# ---------------------------------------------------------------- finish and reopen


def test_finish_hands_the_attempt_in_for_the_student(
    running_session, attempts, students, teacher, ears, django_capture_on_commit_callbacks
):
    question = running_session.test.questions.get(number=1)
    from attempts.services import attempt_answer

    attempt_answer(attempt=attempts[0], question_id=question.pk, answer="TRUE")
    ears.heard()
    with django_capture_on_commit_callbacks(execute=True):
        body = services.attempt_finish(attempt=attempts[0], by=teacher)
    stored = Attempt.objects.get(pk=attempts[0].pk)
    assert stored.status == AttemptStatus.SUBMITTED and stored.submitted_at is not None and stored.score == 1
    assert body.status == AttemptStatus.SUBMITTED and body.band == stored.band
    assert logged(stored, "attempt_finished") == [{"by": teacher.pk}]
    assert logged(stored, "attempt_submitted")[0]["reason"] == "TEACHER"
    assert Attempt.objects.get(pk=attempts[1].pk).status == AttemptStatus.IN_PROGRESS

    heard = ears.heard()
    assert set(heard) == {"teachers", students[0].pk}
    assert types(heard["teachers"]) == ["attempt_submitted", "real_time_stats"]
    submitted = heard["teachers"][0]
    assert (submitted["attempt_id"], submitted["reason"], submitted["score"]) == (stored.pk, "TEACHER", 1)
    assert heard[students[0].pk] == [{"type": "state.resync"}], "the student gets a fresh state sync"


def test_finish_is_refused_unless_the_attempt_is_in_progress(running_session, attempts, teacher, refused):
    attempt_submit(attempt=attempts[0])
    refused(lambda: services.attempt_finish(attempt=attempts[0], by=teacher), Conflict, code="attempt_closed")


def test_reopen_lets_a_student_back_in_with_their_mark_cleared(
    running_session, attempts, students, teacher, ears, django_capture_on_commit_callbacks
):
    attempt_submit(attempt=attempts[0])
    assert Attempt.objects.get(pk=attempts[0].pk).band is not None
    ears.heard()
    moment = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        body = services.attempt_reopen(attempt=attempts[0], seconds=600, by=teacher)
    stored = Attempt.objects.get(pk=attempts[0].pk)
    assert (stored.status, stored.score, stored.band, stored.submitted_at) == (AttemptStatus.IN_PROGRESS, None, None,
                                                                               None)  # fmt: skip
    assert 600 <= seconds_between(stored.ends_at, moment) < 602
    assert stored.extra_seconds == round(seconds_between(stored.ends_at, running_session.ends_at))
    assert body.status == AttemptStatus.IN_PROGRESS
    assert logged(stored, "attempt_reopened") == [{"by": teacher.pk, "seconds": 600}]

    heard = ears.heard()
    assert set(heard) == {"teachers", students[0].pk}
    assert types(heard[students[0].pk]) == ["attempt_reopened", "state.resync"]
    assert types(heard["teachers"]) == ["attempt_reopened", "real_time_stats"]
    reopened = heard["teachers"][0]
    assert set(reopened) == FLAT | {"student_id", "attempt_id", "ends_at", "server_now"}
    assert (reopened["student_id"], reopened["attempt_id"]) == (students[0].pk, stored.pk)
    assert reopened["ends_at"] == iso(stored.ends_at)
    assert heard["teachers"][1]["submitted"] == 0


@pytest.mark.parametrize("seconds", [0, 18001, -5, 2.5, "600"])
def test_reopen_out_of_range_is_refused(running_session, attempts, teacher, refused, seconds):
    attempt_submit(attempt=attempts[0])
    refused(lambda: services.attempt_reopen(attempt=attempts[0], seconds=seconds, by=teacher), InvalidInput,
            field="seconds")  # fmt: skip


def test_reopen_is_refused_unless_submitted_in_a_running_session(running_session, attempts, teacher, refused):
    refused(lambda: services.attempt_reopen(attempt=attempts[0], seconds=60, by=teacher), Conflict,
            code="not_submitted")  # fmt: skip
    services.session_complete(session=running_session, by=teacher)
    refused(lambda: services.attempt_reopen(attempt=attempts[0], seconds=60, by=teacher), Conflict,
            code="session_not_running")  # fmt: skip


# ---------------------------------------------------------------- messages


def test_a_message_to_the_class_reaches_everyone_and_is_kept(
    running_session, attempts, teacher, ears, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.session_message(session=running_session, text="Question 12: read 'west'", by=teacher)
    stored = TeacherMessage.objects.get()
    assert (stored.pk, stored.text, stored.student_id, stored.sent_by_id) == (message.pk, "Question 12: read 'west'",
                                                                              None, teacher.pk)  # fmt: skip
    for attempt in attempts:
        assert logged(attempt, "teacher_message") == [{"by": teacher.pk, "message_id": message.pk}]
    heard = ears.heard()
    assert list(heard) == ["everyone"]
    [sent] = heard["everyone"]
    assert set(sent) == FLAT | {"message_id", "text", "student_id", "sent_at"}
    assert (sent["type"], sent["message_id"], sent["text"], sent["student_id"]) == (
        "teacher_message", message.pk, "Question 12: read 'west'", None,
    )  # fmt: skip
    assert sent["sent_at"] == iso(stored.sent_at)


def test_a_message_to_one_student_reaches_only_them_and_the_teachers(
    running_session, attempts, students, teacher, ears, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.session_message(
            session=running_session, text="Please sit closer", by=teacher, student_id=students[1].pk
        )
    assert logged(attempts[1], "teacher_message") == [{"by": teacher.pk, "message_id": message.pk}]
    assert logged(attempts[0], "teacher_message") == []
    heard = ears.heard()
    assert set(heard) == {"teachers", students[1].pk}, "no other student hears it"
    assert heard["teachers"] == heard[students[1].pk]
    assert heard["teachers"][0]["student_id"] == students[1].pk


def test_a_message_to_an_absent_participant_and_in_the_waiting_room(session, students, teacher):
    services.session_open_waiting_room(session=session)
    services.session_message(session=session, text="We start at ten past", by=teacher)
    services.session_message(session=session, text="Your laptop?", by=teacher, student_id=students[2].pk)
    assert TeacherMessage.objects.filter(session=session).count() == 2


@pytest.mark.parametrize(
    "text, student_id, field",
    [("", None, "text"), ("   ", None, "text"), ("x" * 501, None, "text"), (None, None, "text"),
     ("Hello", "outsider", "student_id"), ("Hello", 987654, "student_id")],
)  # fmt: skip
def test_a_message_out_of_range_is_refused(running_session, teacher, make_user, refused, text, student_id, field):
    if student_id == "outsider":
        student_id = make_user("STUDENT", username="outsider").pk
    refused(lambda: services.session_message(session=running_session, text=text, by=teacher, student_id=student_id),
            InvalidInput, field=field)  # fmt: skip


def test_a_message_is_refused_once_the_session_is_over(running_session, teacher, refused):
    assert services.session_message(session=running_session, text="x" * 500, by=teacher)  # the longest allowed
    services.session_complete(session=running_session, by=teacher)
    refused(lambda: services.session_message(session=running_session, text="Too late", by=teacher), Conflict,
            code="session_not_open")  # fmt: skip


# ---------------------------------------------------------------- violation reviews


def test_a_review_confirms_or_dismisses_and_only_teachers_hear_it(
    running_session, attempts, students, teacher, ears, django_capture_on_commit_callbacks
):
    attempt_record_violation(attempt=attempts[0])
    violation = attempts[0].violations.get()
    ears.heard()
    with django_capture_on_commit_callbacks(execute=True):
        services.violation_review(attempt=attempts[0], violation_id=violation.pk, verdict="CONFIRMED", by=teacher,
                                  note="Seen from the front")  # fmt: skip
    violation.refresh_from_db()
    assert (violation.verdict, violation.note, violation.reviewed_by_id) == ("CONFIRMED", "Seen from the front",
                                                                              teacher.pk)  # fmt: skip
    assert violation.reviewed_at is not None
    assert logged(attempts[0], "violation_reviewed") == [
        {"by": teacher.pk, "violation_id": violation.pk, "verdict": "CONFIRMED", "note": "Seen from the front"}
    ]
    heard = ears.heard()
    assert list(heard) == ["teachers"], "no student hears a review"
    [reviewed] = heard["teachers"]
    assert set(reviewed) == FLAT | {"student_id", "attempt_id", "violation_id", "verdict"}
    assert (reviewed["type"], reviewed["student_id"], reviewed["attempt_id"], reviewed["violation_id"],
            reviewed["verdict"]) == ("violation_reviewed", students[0].pk, attempts[0].pk, violation.pk,
                                     "CONFIRMED")  # fmt: skip

    # A later review replaces the earlier, note included; any state of the session.
    services.session_complete(session=running_session, by=teacher)
    services.violation_review(attempt=attempts[0], violation_id=violation.pk, verdict="DISMISSED", by=teacher)
    violation.refresh_from_db()
    assert (violation.verdict, violation.note) == ("DISMISSED", None)
    assert session_stats(running_session)["students"][0]["violations_confirmed"] == 0


def test_confirmed_violations_are_counted_in_the_stats(running_session, attempts, teacher):
    for _ in range(3):
        attempt_record_violation(attempt=attempts[0])
    first, second, _ = attempts[0].violations.all()
    services.violation_review(attempt=attempts[0], violation_id=first.pk, verdict="CONFIRMED", by=teacher)
    services.violation_review(attempt=attempts[0], violation_id=second.pk, verdict="DISMISSED", by=teacher)
    row = session_stats(running_session)["students"][0]
    assert (row["violations"], row["violations_confirmed"]) == (3, 1)


@pytest.mark.parametrize(
    "verdict, note, field", [("MAYBE", None, "verdict"), (None, None, "verdict"), ("CONFIRMED", "x" * 501, "note")]
)
def test_a_review_out_of_range_is_refused(running_session, attempts, teacher, refused, verdict, note, field):
    attempt_record_violation(attempt=attempts[0])
    violation = attempts[0].violations.get()
    refused(lambda: services.violation_review(attempt=attempts[0], violation_id=violation.pk, verdict=verdict,
                                              note=note, by=teacher), InvalidInput, field=field)  # fmt: skip


def test_a_review_of_another_attempt_s_violation_is_not_found(running_session, attempts, teacher, refused):
    attempt_record_violation(attempt=attempts[1])
    theirs = attempts[1].violations.get()
    refused(lambda: services.violation_review(attempt=attempts[0], violation_id=theirs.pk, verdict="CONFIRMED",
                                              by=teacher), NotFound)  # fmt: skip


# ---------------------------------------------------------------- each attempt's own clock


def test_an_attempt_with_extra_time_outlives_the_session_s_end_and_the_last_one_completes_it(
    running_session, attempts, students, teacher, settings, ears, django_capture_on_commit_callbacks
):
    settings.SESSION_GRACE_SECONDS = 0
    services.attempt_extend(attempt=attempts[0], seconds=600, by=teacher)
    move_deadlines(running_session, ends_at=timezone.now() - timedelta(seconds=1))  # the first keeps its 600 s
    ears.heard()
    assert services.attempts_due_ids() == [attempts[1].pk] and services.sessions_due_ids() == []
    with django_capture_on_commit_callbacks(execute=True):
        assert clock.tick() == [], "the session goes on: one attempt has time left"
    session = Session.objects.get(pk=running_session.pk)
    mine, theirs = Attempt.objects.get(pk=attempts[0].pk), Attempt.objects.get(pk=attempts[1].pk)
    assert session.status == SessionStatus.IN_PROGRESS
    assert (mine.status, theirs.status) == (AttemptStatus.IN_PROGRESS, AttemptStatus.SUBMITTED)
    assert logged(theirs, "attempt_submitted")[0]["reason"] == "TIME_UP"
    heard = ears.heard()
    assert set(heard) == {"teachers", students[1].pk}
    assert types(heard["teachers"]) == ["attempt_submitted", "real_time_stats"]
    assert (heard["teachers"][0]["attempt_id"], heard["teachers"][0]["reason"]) == (theirs.pk, "TIME_UP")
    assert heard[students[1].pk] == [{"type": "state.resync"}], "its student gets a fresh state sync"

    with django_capture_on_commit_callbacks(execute=True):
        assert clock.tick() == []
    assert ears.heard() == {}, "nothing happens twice"

    Attempt.objects.filter(pk=mine.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert clock.tick() == [running_session.pk]
    session = Session.objects.get(pk=running_session.pk)
    assert session.status == SessionStatus.COMPLETED
    assert Attempt.objects.get(pk=mine.pk).status == AttemptStatus.SUBMITTED
    heard = ears.heard()
    completed = [m for m in heard["everyone"] if m["type"] == "session_completed"]
    assert len(completed) == 1 and completed[0]["reason"] == "TIME_UP"
    assert [(m["attempt_id"], m["reason"]) for m in heard["teachers"] if m["type"] == "attempt_submitted"] == [
        (mine.pk, "TIME_UP")
    ]


def test_attempts_ending_with_the_session_close_with_it(
    running_session, attempts, settings, ears, django_capture_on_commit_callbacks
):
    """No extra time: the session completes and closes every attempt at once (no separate state syncs)."""
    settings.SESSION_GRACE_SECONDS = 0
    move_deadlines(running_session, ends_at=timezone.now() - timedelta(seconds=1))
    assert services.attempts_due_ids() == [] and services.sessions_due_ids() == [running_session.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert clock.tick() == [running_session.pk]
    heard = ears.heard()
    students = set(heard) - {"everyone", "teachers"}
    assert students == set(running_session.participants.values_list("student_id", flat=True))
    assert all(types(heard[student]) == ["results_released"] for student in students)  # released with completion
    assert types(heard["everyone"]) == ["session_completed", "session_status_changed"]
    assert heard["everyone"][0]["reason"] == "TIME_UP"


def test_an_attempt_cut_short_closes_before_the_session(running_session, attempts, teacher, settings):
    settings.SESSION_GRACE_SECONDS = 0
    services.attempt_extend(attempt=attempts[0], seconds=-3600, by=teacher)
    assert services.attempts_due_ids() == [attempts[0].pk]
    assert services.attempt_close_if_due(attempt_id=attempts[0].pk) is True
    assert services.attempt_close_if_due(attempt_id=attempts[0].pk) is False, "once"
    assert len(logged(attempts[0], "attempt_submitted")) == 1
    assert Session.objects.get(pk=running_session.pk).status == SessionStatus.IN_PROGRESS


def test_an_attempt_waits_for_the_grace_period(running_session, attempts, teacher, settings):
    settings.SESSION_GRACE_SECONDS = 5
    services.attempt_extend(attempt=attempts[0], seconds=-3600, by=teacher)  # its deadline is now
    assert services.attempts_due_ids() == []
    assert services.attempt_close_if_due(attempt_id=attempts[0].pk) is False


def test_while_paused_the_clock_closes_nothing(running_session, attempts, teacher, settings):
    settings.SESSION_GRACE_SECONDS = 0
    services.attempt_extend(attempt=attempts[0], seconds=600, by=teacher)
    move_deadlines(running_session, ends_at=timezone.now() - timedelta(seconds=1))
    services.session_pause(session=running_session, by=teacher)
    assert services.attempts_due_ids() == [] and services.sessions_due_ids() == []
    assert services.attempt_close_if_due(attempt_id=attempts[1].pk) is False
    assert clock.tick() == []
    assert not Attempt.objects.filter(session=running_session, status=AttemptStatus.SUBMITTED).exists()


# ---------------------------------------------------------------- offline time


def offline_of(attempt) -> int:
    return Attempt.objects.get(pk=attempt.pk).offline_seconds_at(timezone.now())


def back_in_time(attempt, seconds):
    """The offline stretch going on started `seconds` earlier."""
    Attempt.objects.filter(pk=attempt.pk).update(offline_since=F("offline_since") - timedelta(seconds=seconds))


def test_offline_time_grows_while_away_stops_at_a_pause_and_at_a_reconnect(
    running_session, attempts, students, teacher, connect_student
):
    attempt, channel = attempts[0], f"test.{running_session.pk}.{students[0].pk}"
    assert offline_of(attempt) == 0
    services.participant_disconnect(channel_name=channel)
    assert [e.type for e in AttemptEvent.objects.filter(attempt=attempt)][-1:] == ["disconnected"]
    back_in_time(attempt, 20)
    assert offline_of(attempt) == 20, "it includes the stretch still going on"

    services.session_pause(session=running_session, by=teacher)
    frozen = Attempt.objects.get(pk=attempt.pk)
    assert frozen.offline_since is None and frozen.offline_seconds == 20, "time paused never counts"
    services.session_resume(session=running_session, by=teacher)
    assert Attempt.objects.get(pk=attempt.pk).offline_since is not None, "still away after the resume: it counts"
    back_in_time(attempt, 5)
    assert offline_of(attempt) == 25

    connect_student(running_session, students[0])
    back = Attempt.objects.get(pk=attempt.pk)
    assert back.offline_since is None and back.offline_seconds == 25, "a reconnect stops it"
    assert AttemptEvent.objects.filter(attempt=attempt).latest("id").type == "connected"
    assert offline_of(attempts[1]) == 0, "the other student never left"


def test_offline_time_is_shown_in_the_participant_the_attempt_and_the_stats(running_session, attempts, students):
    from attempts.selectors import attempt_body
    from sessions_app.serializers import SessionSerializer
    from sessions_app.views import _with_participants

    services.participant_disconnect(channel_name=f"test.{running_session.pk}.{students[0].pk}")
    back_in_time(attempts[0], 42)
    session = _with_participants(Session.objects.all()).get(pk=running_session.pk)
    participant = SessionSerializer(session).data["participants"][0]
    assert (participant["student_id"], participant["offline_seconds"], participant["connections"]) == (
        students[0].pk, 42, 0,
    )  # fmt: skip
    assert attempt_body(attempts[0])["offline_seconds"] == 42
    assert session_stats(running_session)["students"][0]["offline_seconds"] == 42


def test_a_dead_process_counts_offline_time_from_its_last_heartbeat(running_session, attempts, students):
    dying = services.server_process_register(name="web-9")
    channel = f"test.{running_session.pk}.{students[0].pk}"
    services.participant_disconnect(channel_name=channel)
    services.participant_connect(session=running_session, student=students[0], channel_name="dying", server_id=dying)
    ServerProcess.objects.filter(pk=dying).update(last_seen=timezone.now() - timedelta(seconds=40))
    assert services.server_processes_sweep() == 1
    attempt = Attempt.objects.get(pk=attempts[0].pk)
    assert Participant.objects.get(session=running_session, student=students[0]).connection_status == (
        ConnectionStatus.DISCONNECTED
    )
    assert 40 <= offline_of(attempt) <= 41, "from its last heartbeat, not from the sweep"


def test_a_reopened_attempt_of_an_absent_student_counts_offline_time(running_session, attempts, students, teacher):
    attempt_submit(attempt=attempts[0])
    services.participant_disconnect(channel_name=f"test.{running_session.pk}.{students[0].pk}")
    services.attempt_reopen(attempt=attempts[0], seconds=300, by=teacher)
    assert Attempt.objects.get(pk=attempts[0].pk).offline_since is not None


# ---------------------------------------------------------------- two connections


def test_a_student_s_sockets_are_counted_for_the_teachers_only(
    running_session, students, connect_student, ears, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        connect_student(running_session, students[0], channel_name="tab-2")
        connect_student(running_session, students[0], channel_name="tab-3")
        services.participant_disconnect(channel_name="tab-3")
        services.participant_disconnect(channel_name="tab-2")
    heard = ears.heard()
    assert list(heard) == ["teachers"], "a student never hears participant_connections"
    counts = [m for m in heard["teachers"] if m["type"] == "participant_connections"]
    assert [m["connections"] for m in counts] == [2, 3, 2, 1]
    assert set(counts[0]) == FLAT | {"student_id", "student_name", "connections"}
    assert (counts[0]["student_id"], counts[0]["student_name"]) == (students[0].pk, "Stu Dent1")
