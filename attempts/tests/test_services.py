"""Attempt services: each student event validated, applied once per event id, published to teachers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from attempts import services
from attempts.models import Attempt, AttemptEvent, AttemptStatus
from exams.services import test_create
from ielts_site.errors import Conflict, InvalidInput
from sessions_app.services import session_complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(running_session, students):
    return running_session.attempts.select_related("test").get(student=students[0])


@pytest.fixture
def foreign_paper(teacher):
    from conftest import paper_data

    return test_create(**paper_data(), created_by=teacher)


def question(attempt, number):
    return attempt.test.questions.get(number=number)


def test_an_answer_is_stored_as_typed_and_reaches_teachers(attempt, listen, publish):
    teachers = listen(attempt.session_id)
    publish(
        services.attempt_answer,
        attempt=attempt,
        question_id=question(attempt, 3).pk,
        answer=" Red  Wool ",
        event_id="e-1",
    )
    assert attempt.answers.get().answer == " Red  Wool "
    [message] = teachers.messages()
    assert message == {
        **message,
        "type": "answer_submitted",
        "session_id": attempt.session_id,
        "student_id": attempt.student_id,
        "attempt_id": attempt.pk,
        "question_id": question(attempt, 3).pk,
        "answer": " Red  Wool ",
        "answered_count": 1,
    }
    assert message["timestamp"].endswith("Z")


def test_a_new_answer_replaces_the_old_and_an_empty_one_clears_it(attempt):
    q = question(attempt, 1)
    services.attempt_answer(attempt=attempt, question_id=q.pk, answer="TRUE")
    services.attempt_answer(attempt=attempt, question_id=q.pk, answer="FALSE")
    assert list(attempt.answers.values_list("answer", flat=True)) == ["FALSE"]
    services.attempt_answer(attempt=attempt, question_id=q.pk, answer="   ")
    assert not attempt.answers.exists()


@pytest.mark.parametrize(
    ("service", "data"),
    [
        (services.attempt_answer, lambda a: {"question_id": question(a, 1).pk, "answer": "TRUE"}),
        (services.attempt_record_violation, lambda a: {"violation_type": "TAB_SWITCH"}),
        (services.attempt_flag, lambda a: {"question_id": question(a, 2).pk, "flagged": True}),
        (services.attempt_progress, lambda a: {"passage_index": 1, "question_index": 3}),
        (
            services.attempt_highlight,
            lambda a: {
                "passage_id": a.test.passages.first().pk,
                "text": "Passage",
                "position_start": 0,
                "position_end": 7,
            },
        ),
    ],
)
def test_a_replayed_event_id_is_applied_and_published_once(service, data, attempt, listen, publish):
    teachers = listen(attempt.session_id)
    first = publish(service, attempt=attempt, event_id="same-id", **data(attempt))
    again = publish(service, attempt=attempt, event_id="same-id", **data(attempt))
    assert (first.applied, again.applied) == (True, False)
    assert first.ack == again.ack
    assert AttemptEvent.objects.filter(attempt=attempt, event_id="same-id").count() == 1
    assert len([m for m in teachers.messages() if m["type"] != "real_time_stats"]) == 1
    assert attempt.violations.count() <= 1 and attempt.highlights.count() <= 1


def test_events_without_an_id_are_each_applied(attempt):
    services.attempt_record_violation(attempt=attempt)
    services.attempt_record_violation(attempt=attempt)
    assert list(attempt.violations.values_list("type", flat=True)) == ["TAB_SWITCH", "TAB_SWITCH"]


@pytest.mark.parametrize(
    ("service", "data", "code"),
    [
        (services.attempt_answer, {"question_id": 10**9, "answer": "x"}, "unknown_question"),
        (services.attempt_answer, {"question_id": "abc", "answer": "x"}, "invalid"),
        (services.attempt_answer, {"question_id": None, "answer": "x"}, "invalid"),
        (services.attempt_answer, {"answer": 5}, "invalid"),
        (services.attempt_answer, {"answer": "x" * 2001}, "too_long"),
        (services.attempt_answer, {"answer": "nul\x00byte"}, "invalid"),
        (services.attempt_highlight, {"text": "nul\x00"}, "invalid"),
        (services.attempt_record_violation, {"violation_type": "SNEEZE"}, "invalid"),
        (services.attempt_flag, {"flagged": "yes"}, "invalid"),
        (services.attempt_progress, {"passage_index": 2, "question_index": 0}, "out_of_range"),
        (services.attempt_progress, {"passage_index": 0, "question_index": 4}, "out_of_range"),
        (services.attempt_progress, {"passage_index": -1, "question_index": 0}, "out_of_range"),
        (services.attempt_progress, {"passage_index": "0", "question_index": 0}, "invalid"),
        (services.attempt_highlight, {"position_start": 5, "position_end": 5}, "out_of_range"),
        (services.attempt_highlight, {"position_start": 0, "position_end": 10**6}, "out_of_range"),
        (services.attempt_highlight, {"position_start": -1, "position_end": 3}, "out_of_range"),
        (services.attempt_highlight, {"text": ""}, "invalid"),
        (services.attempt_highlight, {"passage_id": 10**9}, "unknown_passage"),
        (services.attempt_remove_highlight, {"highlight_id": 10**9}, "unknown_highlight"),
    ],
)
def test_a_bad_event_is_refused_and_changes_nothing(service, data, code, attempt, listen, publish):
    defaults = {
        services.attempt_answer: {"question_id": question(attempt, 1).pk, "answer": "TRUE"},
        services.attempt_flag: {"question_id": question(attempt, 1).pk, "flagged": True},
        services.attempt_highlight: {
            "passage_id": attempt.test.passages.first().pk,
            "text": "Passage",
            "position_start": 0,
            "position_end": 7,
        },
    }.get(service, {})
    teachers = listen(attempt.session_id)
    with pytest.raises(InvalidInput) as refused:
        publish(service, attempt=attempt, event_id="bad", **{**defaults, **data})
    assert refused.value.code == code
    assert not AttemptEvent.objects.filter(attempt=attempt).exists()
    assert (attempt.answers.count(), attempt.highlights.count(), attempt.violations.count()) == (0, 0, 0)
    assert teachers.messages() == []


def test_ids_from_another_paper_are_refused(attempt, foreign_paper):
    with pytest.raises(InvalidInput):
        services.attempt_answer(attempt=attempt, question_id=foreign_paper.questions.first().pk, answer="TRUE")
    with pytest.raises(InvalidInput):
        services.attempt_highlight(
            attempt=attempt, passage_id=foreign_paper.passages.first().pk, text="P", position_start=0, position_end=1
        )


def test_highlights_are_kept_and_removable_by_their_own_student_only(attempt, running_session, students):
    passage = attempt.test.passages.first()
    outcome = services.attempt_highlight(
        attempt=attempt, passage_id=passage.pk, text="red wool", position_start=15, position_end=23
    )
    highlight_id = outcome.ack["highlight_id"]
    other = running_session.attempts.get(student=students[1])
    with pytest.raises(InvalidInput):
        services.attempt_remove_highlight(attempt=other, highlight_id=highlight_id)
    services.attempt_remove_highlight(attempt=attempt, highlight_id=highlight_id)
    assert not attempt.highlights.exists()
    assert list(attempt.events.values_list("type", flat=True)) == ["text_highlighted", "highlight_removed"]


def test_flags_toggle(attempt):
    q = question(attempt, 2)
    services.attempt_flag(attempt=attempt, question_id=q.pk, flagged=True)
    assert list(attempt.flagged_questions.all()) == [q]
    services.attempt_flag(attempt=attempt, question_id=q.pk, flagged=False)
    assert not attempt.flagged_questions.exists()


def test_submit_marks_once_and_a_second_submit_conflicts(attempt, listen, publish):
    for number in (1, 2, 3):
        q = question(attempt, number)
        services.attempt_answer(attempt=attempt, question_id=q.pk, answer=q.answers[0].upper())
    teachers = listen(attempt.session_id)
    publish(services.attempt_submit, attempt=attempt, event_id="submit-1")
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, float(attempt.band)) == (AttemptStatus.SUBMITTED, 3, 7.0)  # 30/40
    submitted = [m for m in teachers.messages() if m["type"] == "attempt_submitted"]
    assert submitted and submitted[0]["score"] == 3 and submitted[0]["band"] == 7.0
    assert services.attempt_submit(attempt=attempt, event_id="submit-1").applied is False  # a resend is acked
    with pytest.raises(Conflict):
        services.attempt_submit(attempt=attempt)


def test_nothing_changes_a_submitted_attempt(attempt):
    services.attempt_submit(attempt=attempt)
    with pytest.raises(Conflict) as refused:
        services.attempt_answer(attempt=attempt, question_id=question(attempt, 1).pk, answer="TRUE")
    assert refused.value.code == "attempt_closed"
    assert not attempt.answers.exists()


def test_nothing_is_accepted_after_the_deadline_and_its_grace(attempt, settings):
    settings.SESSION_GRACE_SECONDS = 2
    Attempt.objects.filter(pk=attempt.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    services.attempt_answer(attempt=attempt, question_id=question(attempt, 1).pk, answer="TRUE")  # in flight: counts
    Attempt.objects.filter(pk=attempt.pk).update(ends_at=timezone.now() - timedelta(seconds=3))
    with pytest.raises(Conflict) as refused:
        services.attempt_answer(attempt=attempt, question_id=question(attempt, 2).pk, answer="B")
    assert refused.value.code == "time_up"
    assert attempt.answers.count() == 1


def test_answers_saved_before_time_up_are_marked_at_completion(attempt, running_session):
    q = question(attempt, 1)
    services.attempt_answer(attempt=attempt, question_id=q.pk, answer="true")
    session_complete(session=running_session)
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score) == (AttemptStatus.SUBMITTED, 1)
    with pytest.raises(Conflict):
        services.attempt_answer(attempt=attempt, question_id=q.pk, answer="FALSE")
    assert attempt.answers.get().answer == "true"


def test_the_event_log_keeps_every_change_in_order(attempt):
    q = question(attempt, 1)
    services.attempt_answer(attempt=attempt, question_id=q.pk, answer="TRUE", event_id="a")
    services.attempt_answer(attempt=attempt, question_id=q.pk, answer="FALSE", event_id="b")
    services.attempt_progress(attempt=attempt, passage_index=1, question_index=2)
    services.attempt_submit(attempt=attempt)
    assert [(e.type, e.data.get("answer")) for e in attempt.events.all()] == [
        ("answer_submitted", "TRUE"),
        ("answer_submitted", "FALSE"),
        ("progress_update", None),
        ("attempt_submitted", None),
    ]


def test_a_batch_of_answers_ends_as_the_same_answers_given_one_by_one(running_session, students, listen, publish):
    first, second = (running_session.attempts.get(student=student) for student in students[:2])
    q1, q2 = question(first, 1), question(first, 2)
    teachers = listen(running_session.pk)

    def given(attempt_id, question_id, answer, event_id):
        data = {"question_id": question_id, "answer": answer}
        return services.StudentEvent(attempt_id, "answer_submitted", data, event_id)

    outcomes = publish(
        services.attempts_apply,
        events=[
            given(first.pk, q1.pk, "TRUE", "a"),
            given(second.pk, q1.pk, "FALSE", "b"),
            given(first.pk, q2.pk, "x" * 2001, "c"),  # too long: refused alone
            given(first.pk, str(q2.pk), "NOT GIVEN", "d"),
            given(first.pk, q1.pk, "TRUE", "a"),  # a copy of the first, in the same batch
            given(first.pk, q1.pk, " ", "e"),  # clears question 1
            given(10**9, q1.pk, "TRUE", "f"),
        ],
    )
    assert [o.applied if isinstance(o, services.EventOutcome) else o.code for o in outcomes] == [
        True, True, "too_long", True, False, True, "not_found",
    ]  # fmt: skip
    assert dict(first.answers.values_list("question_id", "answer")) == {q2.pk: "NOT GIVEN"}
    assert dict(second.answers.values_list("question_id", "answer")) == {q1.pk: "FALSE"}
    assert [(m["attempt_id"], m["question_id"], m["answered_count"]) for m in teachers.messages()] == [
        (first.pk, q1.pk, 1), (second.pk, q1.pk, 1), (first.pk, q2.pk, 2), (first.pk, q1.pk, 1),
    ]  # fmt: skip
    logged = AttemptEvent.objects.filter(attempt=first, type="answer_submitted").order_by("id")
    assert list(logged.values_list("event_id", flat=True)) == ["a", "d", "e"]


def _every_kind(attempt, highlight_id):
    """One of each bulk kind, resends and refusals among them, for `attempt` (its removable highlight given)."""
    passage = attempt.test.passages.order_by("order").first()
    q1, q2 = question(attempt, 1), question(attempt, 2)
    return [
        ("progress_update", {"passage_index": 1, "question_index": 2}, "p1"),
        (
            "text_highlighted",
            {"passage_id": passage.pk, "text": passage.text[4:9], "position_start": 4, "position_end": 9},
            "h1",
        ),  # fmt: skip
        ("question_flagged", {"question_id": q2.pk, "flagged": True}, "f1"),
        ("answer_submitted", {"question_id": q1.pk, "answer": "TRUE"}, "a1"),
        ("tab_violation", {"violation_type": "PASTE"}, "v1"),
        (
            "text_highlighted",
            {"passage_id": passage.pk, "text": passage.text[4:9], "position_start": 4, "position_end": 9},
            "h1",
        ),  # fmt: skip  (a resend: the same highlight id)
        ("highlight_removed", {"highlight_id": highlight_id}, "r1"),
        ("highlight_removed", {"highlight_id": highlight_id}, "r2"),  # gone already
        ("tab_violation", {"violation_type": "SNEEZE"}, "v2"),
        ("progress_update", {"passage_index": 9, "question_index": 0}, "p2"),
        ("question_flagged", {"question_id": q1.pk, "flagged": True}, "f2"),
        ("question_flagged", {"question_id": q1.pk, "flagged": False}, "f3"),
        ("tab_violation", {}, "v3"),
        ("progress_update", {"passage_index": 0, "question_index": 3}, None),
        ("answer_submitted", {"question_id": 10**9, "answer": "x"}, "a2"),
    ]


def _state(attempt):
    attempt.refresh_from_db()
    return {
        "progress": (attempt.current_passage_index, attempt.current_question_index),
        "answers": dict(attempt.answers.values_list("question__number", "answer")),
        "flags": sorted(attempt.flagged_questions.values_list("number", flat=True)),
        "highlights": list(attempt.highlights.values_list("text", "position_start", "position_end")),
        "violations": list(attempt.violations.values_list("type", flat=True)),
        "log": list(attempt.events.values_list("type", "event_id")),
    }


def _comparable(message):
    drop = {"timestamp", "attempt_id", "student_id", "highlight_id", "question_id", "passage_id", "violation_id"}
    return {k: v for k, v in message.items() if k not in drop}


def test_a_batch_of_every_kind_ends_as_the_same_events_given_one_by_one(running_session, students, listen, publish):
    """The single services (REST) and the bulk path (the WebSocket's batches) give the same outcomes, rows,
    log and messages; only the per-session live counts are sent once per batch instead of once per violation."""
    alone, batched = (running_session.attempts.select_related("test").get(student=s) for s in students[:2])
    services_by_type = {
        "progress_update": services.attempt_progress, "text_highlighted": services.attempt_highlight,
        "question_flagged": services.attempt_flag, "answer_submitted": services.attempt_answer,
        "tab_violation": services.attempt_record_violation, "highlight_removed": services.attempt_remove_highlight,
    }  # fmt: skip
    passage = alone.test.passages.order_by("order").first()
    removable = {
        attempt.pk: services.attempt_highlight(
            attempt=attempt, passage_id=passage.pk, text=passage.text[:3], position_start=0, position_end=3
        ).ack["highlight_id"]
        for attempt in (alone, batched)
    }
    teachers = listen(running_session.pk)

    one_by_one = []
    for event_type, data, event_id in _every_kind(alone, removable[alone.pk]):
        try:
            outcome = publish(services_by_type[event_type], attempt=alone, event_id=event_id, **data)
            one_by_one.append((outcome.applied, sorted(outcome.ack)))
        except (InvalidInput, Conflict) as exc:
            one_by_one.append(exc.code)
    alone_messages = [m for m in teachers.messages() if m["type"] != "real_time_stats"]

    events = [services.StudentEvent(batched.pk, t, d, e) for t, d, e in _every_kind(batched, removable[batched.pk])]
    outcomes = publish(services.attempts_apply, events=events)
    in_batch = [(o.applied, sorted(o.ack)) if isinstance(o, services.EventOutcome) else o.code for o in outcomes]
    messages = teachers.messages()
    batch_messages = [m for m in messages if m["type"] != "real_time_stats"]

    assert in_batch == one_by_one
    assert in_batch[1] == (True, ["highlight_id"]) and in_batch[6] == (True, [])
    assert outcomes[1].ack == outcomes[5].ack  # the resend in the same batch acks the same highlight
    assert _state(batched) == _state(alone)
    assert [_comparable(m) for m in batch_messages] == [_comparable(m) for m in alone_messages]
    assert {m["attempt_id"] for m in batch_messages} == {batched.pk}
    assert [m["type"] for m in messages].count("real_time_stats") == 1


def test_a_question_added_to_the_paper_is_answerable_at_once_and_a_deleted_one_is_not(attempt):
    """Each process keeps the shape of a paper (exams.selectors.paper_shape); a change to it is seen at once."""
    services.attempt_answer(attempt=attempt, question_id=question(attempt, 1).pk, answer="TRUE")  # shape cached
    added = attempt.test.questions.create(number=5, type="SHORT_ANSWER", prompt="Added", answers=["wool"],
                                          passage=attempt.test.passages.first())  # fmt: skip
    services.attempt_answer(attempt=attempt, question_id=added.pk, answer="wool")
    doomed = question(attempt, 2).pk
    attempt.test.questions.filter(pk=doomed).delete()  # a queryset delete too
    with pytest.raises(InvalidInput) as refused:
        services.attempt_answer(attempt=attempt, question_id=doomed, answer="B")
    assert refused.value.code == "unknown_question"
    with pytest.raises(InvalidInput):
        services.attempt_progress(attempt=attempt, passage_index=0, question_index=1)  # question 2 is gone
    with pytest.raises(InvalidInput):
        services.attempt_progress(attempt=attempt, passage_index=0, question_index=5)
    services.attempt_progress(attempt=attempt, passage_index=0, question_index=4)  # question 5
