"""A batch of student events from many connections: each attempt's events in the order they came, each refused
event refused alone."""

import pytest

from attempts.models import AttemptStatus
from attempts.services import EventOutcome
from realtime.batching import apply_batch

pytestmark = pytest.mark.django_db


def _answer(attempt, number, answer, event_id):
    question = attempt.test.questions.get(number=number)
    return (attempt.pk, "answer_submitted", {"question_id": question.pk, "answer": answer}, event_id)


def test_answers_before_a_hand_in_count_and_answers_after_it_are_refused(running_session, students):
    first, second = (running_session.attempts.select_related("test").get(student=s) for s in students[:2])
    key = first.test.questions.get(number=1).answers[0]
    results = apply_batch(
        [
            _answer(second, 1, "wrong", "s1"),
            _answer(first, 1, key, "f1"),
            (first.pk, "submit_attempt", {}, "f2"),
            _answer(first, 2, "late", "f3"),
            (second.pk, "answer_submitted", {"answer": "no question"}, "s2"),
            (None, "answer_submitted", {"question_id": 1, "answer": "x"}, "n1"),
            _answer(second, 2, "kept", "s3"),
        ]
    )
    assert [r.applied if isinstance(r, EventOutcome) else r.code for r in results] == [
        True, True, True, "attempt_closed", "invalid_data", "no_attempt", True,
    ]  # fmt: skip
    first.refresh_from_db()
    assert (first.status, first.score) == (AttemptStatus.SUBMITTED, 1)
    assert list(first.answers.values_list("answer", flat=True)) == [key]
    assert sorted(second.answers.values_list("answer", flat=True)) == ["kept", "wrong"]
