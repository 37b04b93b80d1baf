"""The state sync of many students in one trip is, student by student, the state sync of one."""

import pytest

from attempts.services import attempt_flag, attempt_highlight, attempt_record_violation, attempt_submit
from realtime.calls import state_sync_messages, students_state_sync

pytestmark = pytest.mark.django_db


def _without_clocks(message):
    attempt = {**message["attempt"], "server_now": None}
    return {**message, "timestamp": None, "server_now": None, "remaining_seconds": None, "attempt": attempt}


def test_a_bulk_state_sync_is_each_students_own(running_session, students):
    first, second = (running_session.attempts.select_related("test").get(student=s) for s in students[:2])
    passage = first.test.passages.first()
    questions = list(first.test.questions.order_by("number"))
    attempt_highlight(attempt=first, passage_id=passage.pk, text=passage.text[:4], position_start=0, position_end=4)
    attempt_flag(attempt=first, question_id=questions[1].pk, flagged=True)
    attempt_record_violation(attempt=first)
    attempt_flag(attempt=second, question_id=questions[0].pk, flagged=True)
    attempt_submit(attempt=second)

    synced = students_state_sync(
        [
            (running_session.pk, students[0], None),  # found by session and student
            (running_session.pk, students[1], second.pk),
            (running_session.pk, students[2], None),  # not connected at the start: no attempt
        ]
    )
    assert [attempt_id for attempt_id, _ in synced] == [first.pk, second.pk, None]
    assert synced[2][1] is None
    for attempt, (_, message) in zip((first, second), synced[:2], strict=True):
        [alone] = state_sync_messages([attempt.pk]).values()
        assert _without_clocks(message) == _without_clocks(alone)
        assert message["attempt"]["id"] == attempt.pk and message["status"] == "IN_PROGRESS"
    assert len(synced[0][1]["attempt"]["highlights"]) == 1 and synced[1][1]["attempt"]["status"] == "SUBMITTED"
    assert synced[0][1]["attempt"]["flagged_question_ids"] == [questions[1].pk]
