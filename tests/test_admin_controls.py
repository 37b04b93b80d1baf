"""The teacher's live controls in the admin: pause and resume a session, finish, give extra time to and reopen
attempts, through the same services as the REST API and the live monitor."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from attempts.models import Attempt, AttemptEvent, AttemptStatus
from sessions_app.models import Session, SessionStatus

pytestmark = pytest.mark.django_db

ATTEMPTS = "/admin/attempts/attempt/"
SESSIONS = "/admin/sessions_app/session/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def act(client, changelist, name, ids, **fields):
    return client.post(changelist, {"action": name, "_selected_action": [str(pk) for pk in ids], **fields}, follow=True)


def test_a_teacher_pauses_and_resumes_a_session_from_the_admin(running_session, teacher):
    client = client_for(teacher)
    response = act(client, SESSIONS, "pause", [running_session.pk])
    assert "Paused: 1." in messages_of(response)
    assert Session.objects.get(pk=running_session.pk).status == SessionStatus.PAUSED
    response = act(client, SESSIONS, "resume", [running_session.pk])
    assert "Resumed: 1." in messages_of(response)
    assert Session.objects.get(pk=running_session.pk).status == SessionStatus.IN_PROGRESS


def test_finish_submits_and_marks_the_selected_attempts_and_logs_who(running_session, teacher):
    attempts = list(running_session.attempts.order_by("pk"))
    response = act(client_for(teacher), ATTEMPTS, "finish", [a.pk for a in attempts])
    assert "Finished: 2." in messages_of(response)
    for attempt in Attempt.objects.filter(pk__in=[a.pk for a in attempts]):
        assert attempt.status == AttemptStatus.SUBMITTED and attempt.score is not None
        assert AttemptEvent.objects.get(attempt=attempt, type="attempt_finished").data["by"] == teacher.pk


def test_extra_time_asks_for_minutes_first_then_moves_only_the_selected_deadline(running_session, teacher):
    first, second = running_session.attempts.order_by("pk")
    client = client_for(teacher)
    page = act(client, ATTEMPTS, "extra_time", [first.pk])
    assert page.status_code == 200 and b"Give extra time" in page.content, "an intermediate page asks first"
    assert Attempt.objects.get(pk=first.pk).ends_at == first.ends_at, "nothing changes before the form is sent"
    refused = act(client, ATTEMPTS, "extra_time", [first.pk], apply="1", minutes="0")
    assert b"at least one minute" in refused.content
    assert Attempt.objects.get(pk=first.pk).extra_seconds == 0
    response = act(client, ATTEMPTS, "extra_time", [first.pk], apply="1", minutes="15", reason="25% extra time")
    assert "Extra time given: 1." in messages_of(response)
    first_after, second_after = Attempt.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk")
    assert first_after.ends_at - first.ends_at == timedelta(minutes=15) and first_after.extra_seconds == 900
    assert second_after.ends_at == second.ends_at, "only the selected attempt's clock moves"
    log = AttemptEvent.objects.get(attempt=first, type="time_extended").data
    assert log == {"by": teacher.pk, "seconds": 900, "reason": "25% extra time"}


def test_reopen_is_refused_for_an_open_attempt_and_works_for_a_submitted_one(running_session, teacher):
    attempt = running_session.attempts.order_by("pk").first()
    client = client_for(teacher)
    response = act(client, ATTEMPTS, "reopen", [attempt.pk], apply="1", minutes="5")
    assert any("in progress" in m for m in messages_of(response)), "an open attempt is not reopened"
    act(client, ATTEMPTS, "finish", [attempt.pk])
    response = act(client, ATTEMPTS, "reopen", [attempt.pk], apply="1", minutes="5")
    assert "Reopened: 1." in messages_of(response)
    reopened = Attempt.objects.get(pk=attempt.pk)
    assert reopened.status == AttemptStatus.IN_PROGRESS and reopened.score is None and reopened.band is None


def test_another_teacher_cannot_control_attempts_outside_their_classes(running_session, make_user):
    stranger = make_user("TEACHER", username="stranger")
    attempt = running_session.attempts.order_by("pk").first()
    act(client_for(stranger), ATTEMPTS, "finish", [attempt.pk])
    assert Attempt.objects.get(pk=attempt.pk).status == AttemptStatus.IN_PROGRESS
