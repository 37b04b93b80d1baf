import pytest

from attempts.models import AttemptStatus
from attempts.services import attempt_answer, attempt_submit
from sessions_app.models import SessionStatus
from sessions_app.services import session_complete


@pytest.mark.django_db
def test_a_whole_session_through_the_services(running_session, students, django_capture_on_commit_callbacks):
    attempt = running_session.attempts.get(student=students[0])
    q1 = running_session.test.questions.get(number=1)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_answer(attempt=attempt, question_id=q1.pk, answer="  true ", event_id="e1")
        outcome = attempt_answer(attempt=attempt, question_id=q1.pk, answer="FALSE", event_id="e1")
    assert outcome.applied is False
    assert attempt.answers.get().answer == "  true "
    attempt_submit(attempt=attempt)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.score == 1
    session = session_complete(session=running_session)
    assert session.status == SessionStatus.COMPLETED
    other = running_session.attempts.get(student=students[1])
    assert other.status == AttemptStatus.SUBMITTED and other.score == 0
