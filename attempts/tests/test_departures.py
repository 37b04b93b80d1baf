"""A departure (leaving the tab or the window) and the return from it: one violation with its duration, both ends
in the log, once per event id; a plain `tab_violation` stays what the contract says."""

from datetime import timedelta

import pytest
from django.utils import timezone

from attempts import services
from attempts.models import AttemptEvent, Violation
from attempts.selectors import attempt_body
from ielts_site.errors import ApplicationError, Conflict, InvalidInput
from sessions_app.services import session_pause

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(running_session, students):
    attempt = running_session.attempts.get(student=students[0])
    attempt.started_at = timezone.now() - timedelta(minutes=10)  # time enough to have been away 42 s
    attempt.save(update_fields=["started_at"])
    return attempt


def _unchanged(attempt):
    return (
        list(Violation.objects.filter(attempt=attempt).values_list("id", "returned_at", "away_seconds")),
        list(AttemptEvent.objects.filter(attempt=attempt).values_list("event_id", "data")),
    )


def test_a_departure_and_its_return_are_one_violation_with_its_duration_and_both_ends_in_the_log(
    attempt, listen, publish
):
    teachers = listen(attempt.session_id)
    left = publish(services.attempt_record_violation, attempt=attempt, violation_type="TAB_SWITCH", event_id="out")
    violation = attempt.violations.get()
    assert left.ack == {"violation_id": violation.pk}
    assert violation.is_away and attempt_body(attempt)["violations"][0]["away_seconds"] is None

    back = publish(services.attempt_end_departure, attempt=attempt, violation_type="TAB_SWITCH", away_seconds=41.6,
                   event_id="in")  # fmt: skip

    violation.refresh_from_db()
    assert back.ack == {"violation_id": violation.pk}
    assert (violation.away_seconds, violation.is_away, violation.returned_at is not None) == (42, False, True)
    assert [v["away_seconds"] for v in attempt_body(attempt)["violations"]] == [42]
    assert list(attempt.events.values_list("event_id", "type", "data")) == [
        ("out", "tab_violation", {"violation_type": "TAB_SWITCH", "violation_id": violation.pk}),
        ("in", "tab_violation", {"violation_type": "TAB_SWITCH", "violation_id": violation.pk, "returned": True,
                                 "away_seconds": 42}),
    ]  # fmt: skip
    relayed = [m for m in teachers.messages() if m["type"] == "tab_violation"]
    common = {"student_id": attempt.student_id, "attempt_id": attempt.pk, "violation_type": "TAB_SWITCH",
              "violation_id": violation.pk, "violations_count": 1}  # fmt: skip
    assert relayed == [
        {**relayed[0], **common, "returned": False, "away_seconds": None},
        {**relayed[1], **common, "returned": True, "away_seconds": 42},
    ]
    # The return is no new violation: the live counts are not sent again.
    assert [m["type"] for m in teachers.messages()] == []


def test_a_return_without_a_measure_counts_from_the_departure(attempt):
    services.attempt_record_violation(attempt=attempt, violation_type="WINDOW_BLUR")
    Violation.objects.update(timestamp=timezone.now() - timedelta(seconds=30))
    services.attempt_end_departure(attempt=attempt, violation_type="WINDOW_BLUR")
    assert 30 <= attempt.violations.get().away_seconds <= 31


def test_a_resent_return_or_departure_changes_nothing_and_is_acknowledged_alike(attempt, listen, publish):
    first_out = services.attempt_record_violation(attempt=attempt, event_id="out")
    first_in = services.attempt_end_departure(attempt=attempt, away_seconds=5, event_id="in")
    before = _unchanged(attempt)
    teachers = listen(attempt.session_id)

    again_in = publish(services.attempt_end_departure, attempt=attempt, away_seconds=9, event_id="in")
    again_out = publish(services.attempt_record_violation, attempt=attempt, event_id="out")

    assert (again_in.applied, again_in.ack) == (False, first_in.ack)
    assert (again_out.applied, again_out.ack) == (False, first_out.ack)
    assert _unchanged(attempt) == before and teachers.messages() == []


def test_a_departure_and_its_return_sent_together_from_the_outbox_end_as_one_by_one(attempt):
    """After coming back online, the outbox sends both ends in one batch; a resend of the pair is one too."""
    pair = [
        services.StudentEvent(attempt.pk, "tab_violation", {"violation_type": "WINDOW_BLUR"}, "out"),
        services.StudentEvent(
            attempt.pk, "tab_violation", {"violation_type": "WINDOW_BLUR", "returned": True, "away_seconds": 64}, "in"
        ),
    ]
    outcomes = services.attempts_apply(pair)
    violation = attempt.violations.get()
    assert [o.ack for o in outcomes] == [{"violation_id": violation.pk}] * 2
    assert (violation.type, violation.away_seconds) == ("WINDOW_BLUR", 64)

    resent = services.attempts_apply(pair)
    assert [o.applied for o in resent] == [False, False] and attempt.violations.count() == 1


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"returned": "yes"}, "invalid"),
        ({"returned": None}, "invalid"),
        ({"away_seconds": 5}, "invalid"),  # a measure of time away without a return
        ({"returned": True, "away_seconds": -1}, "out_of_range"),
        ({"returned": True, "away_seconds": 3600}, "out_of_range"),  # longer than the attempt has run
        ({"returned": True, "away_seconds": "42"}, "invalid"),
        ({"returned": True, "away_seconds": True}, "invalid"),
        ({"returned": True, "away_seconds": float("nan")}, "invalid"),
        ({"returned": True, "violation_type": "PASTE"}, "invalid"),  # no coming back from a paste
        ({"returned": True, "violation_type": "WINDOW_BLUR"}, "not_away"),  # the departure was a tab switch
        ({"returned": True, "violation_type": "SNEEZE"}, "invalid"),
    ],
)
def test_bad_return_data_is_refused_and_changes_nothing(attempt, listen, publish, data, code):
    services.attempt_record_violation(attempt=attempt, event_id="out")
    before = _unchanged(attempt)
    teachers = listen(attempt.session_id)
    [outcome] = publish(services.attempts_apply, events=[services.StudentEvent(attempt.pk, "tab_violation", data, "x")])
    assert isinstance(outcome, (InvalidInput, Conflict)) and outcome.code == code
    assert _unchanged(attempt) == before and teachers.messages() == []


def test_a_second_return_finds_no_departure_to_end(attempt):
    services.attempt_record_violation(attempt=attempt)
    services.attempt_end_departure(attempt=attempt, away_seconds=3)
    with pytest.raises(Conflict) as refused:
        services.attempt_end_departure(attempt=attempt, away_seconds=4)
    assert refused.value.code == "not_away" and attempt.violations.get().away_seconds == 3


def test_a_return_ends_the_latest_departure_of_its_type(attempt):
    """A departure whose return never came (another device, a lost page) stays open; the next return ends the
    newest one."""
    services.attempt_record_violation(attempt=attempt)
    services.attempt_record_violation(attempt=attempt)
    services.attempt_end_departure(attempt=attempt, away_seconds=2)
    assert list(attempt.violations.order_by("id").values_list("away_seconds", flat=True)) == [None, 2]


def test_a_return_after_the_end_is_refused_and_the_departure_stays_open(attempt):
    """A student who never came back before the hand-in (or time-up) was away until the end."""
    services.attempt_record_violation(attempt=attempt)
    services.attempt_submit(attempt=attempt)
    with pytest.raises(ApplicationError) as refused:
        services.attempt_end_departure(attempt=attempt, away_seconds=2)
    assert refused.value.code == "attempt_closed"
    violation = attempt.violations.get()
    assert violation.is_away and violation.returned_at is None


def test_a_return_while_paused_is_held_for_the_resume(attempt, teacher):
    """Refused as paused, its event id unused: the page's outbox sends it again after the resume."""
    services.attempt_record_violation(attempt=attempt, event_id="out")
    session_pause(session=attempt.session, by=teacher)
    with pytest.raises(Conflict) as refused:
        services.attempt_end_departure(attempt=attempt, away_seconds=2, event_id="in")
    assert refused.value.code == "session_paused"
    assert not attempt.events.filter(event_id="in").exists()


def test_a_plain_tab_violation_is_stored_and_relayed_as_the_contract_says(attempt, listen, publish):
    teachers = listen(attempt.session_id)
    outcome = publish(services.attempt_record_violation, attempt=attempt, violation_type="PASTE")
    violation = attempt.violations.get()
    [relayed, stats] = teachers.messages()
    assert relayed == {
        **relayed, "type": "tab_violation", "student_id": attempt.student_id, "attempt_id": attempt.pk,
        "violation_type": "PASTE", "violations_count": 1,
    }  # fmt: skip
    assert (stats["type"], stats["violations_total"]) == ("real_time_stats", 1)
    assert outcome.ack == {"violation_id": violation.pk}
    item = attempt_body(attempt)["violations"][0]
    assert item == {"id": violation.pk, "type": "PASTE", "timestamp": item["timestamp"], "verdict": None,
                    "note": None, "away_seconds": None}  # fmt: skip
