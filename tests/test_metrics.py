"""`GET /metrics` (the contract's "Operations: CORS and metrics"): who may scrape it, and that its figures move
with what the server does. The figures are the process's own, so a test compares two scrapes."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from attempts.models import Attempt
from realtime.tests.conftest import db_call, fresh_server_registration, start_watched, ws  # noqa: F401
from sessions_app.models import Session, SessionStatus

TOKEN = "s3cret-scrape-token"

FAMILIES = {
    "ielts_ws_connections_open": "gauge",
    "ielts_ws_connects_total": "counter",
    "ielts_ws_disconnects_total": "counter",
    "ielts_ws_events_applied_total": "counter",
    "ielts_ws_event_apply_seconds": "histogram",
    "ielts_ws_errors_total": "counter",
    "ielts_publishes_total": "counter",
    "ielts_sessions": "gauge",
    "ielts_sessions_overdue": "gauge",
    "ielts_db_pool_connections_in_use": "gauge",
    "ielts_db_pool_connections_waiting": "gauge",
    "ielts_http_requests_total": "counter",
}


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def scrape() -> dict[tuple, float]:
    """Every sample of an authorized scrape: (name, sorted labels) → value."""
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# ---------------------------------------------------------------- who may scrape


@pytest.mark.django_db
def test_without_a_token_or_networks_there_are_no_metrics(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", []
    assert Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


@pytest.mark.django_db
def test_the_token_is_needed_and_must_be_the_one(token):
    assert Client().get("/metrics").status_code == 401
    assert Client().get("/metrics", headers={"Authorization": "Bearer another"}).status_code == 401
    assert Client().get("/metrics", headers={"Authorization": TOKEN}).status_code == 401
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST


@pytest.mark.django_db
def test_a_peer_in_the_allowed_networks_needs_no_token(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", ["10.0.0.0/8", "192.0.2.7"]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.7").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.8").get("/metrics").status_code == 401
    assert Client(REMOTE_ADDR="192.0.2.8").get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 401


@pytest.mark.django_db
def test_the_peer_is_the_socket_s_never_a_forwarded_header(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = TOKEN, ["10.0.0.0/8"]
    settings.TRUSTED_PROXIES = ["192.0.2.1"]  # even a trusted proxy's X-Forwarded-For is not the peer here
    outside = Client(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert outside.get("/metrics").status_code == 401
    assert outside.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


# ---------------------------------------------------------------- what it says


@pytest.mark.django_db
def test_exactly_the_contract_s_families(token):
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    families = list(text_string_to_metric_families(response.content.decode()))
    # The parser names a counter's family without `_total`; the exposition's TYPE line carries it.
    named = {family.name + ("_total" if family.type == "counter" else ""): family.type for family in families}
    assert named == FAMILIES
    sessions = next(family for family in families if family.name == "ielts_sessions")
    assert {sample.labels["status"] for sample in sessions.samples} == set(SessionStatus.values)


@pytest.mark.django_db(transaction=True)
async def test_a_short_session_moves_the_figures(token, start_watched, session, db_call):  # noqa: F811
    before = await db_call(scrape)
    watcher, (student, _) = await start_watched()  # a teacher and two students connected, the session started
    question = await db_call(session.test.questions.first)

    await student.send("answer_submitted", {"question_id": question.pk, "answer": "TRUE"}, "e-1")
    assert (await student.recv_type("ack"))["event_id"] == "e-1"
    await student.send("answer_submitted", {"question_id": question.pk, "answer": "TRUE"}, "e-1")  # a resend
    assert (await student.recv_type("ack"))["event_id"] == "e-1"
    await student.send("no_such_type", event_id="e-2")
    assert (await student.recv_type("error"))["code"] == "unknown_type"
    during = await db_call(scrape)
    await student.close()
    after = await db_call(scrape)

    def moved(name, **labels):
        return value(during, name, **labels) - value(before, name, **labels)

    assert moved("ielts_ws_connects_total") == 3
    assert moved("ielts_ws_connections_open") == 3
    assert moved("ielts_ws_events_applied_total", type="answer_submitted") == 1, "the resend is not counted"
    assert moved("ielts_ws_event_apply_seconds_count") == 1
    assert moved("ielts_ws_event_apply_seconds_sum") > 0
    assert moved("ielts_ws_errors_total", code="unknown_type") == 1
    assert moved("ielts_publishes_total") >= 4  # the start's messages, the joins and the answer at least
    assert moved("ielts_http_requests_total", status="200") >= 1  # the first scrape
    assert value(during, "ielts_sessions", status=SessionStatus.IN_PROGRESS) == 1
    assert {labels for name, labels in during if name == "ielts_sessions"} == {
        (("status", status),) for status in SessionStatus.values
    }
    assert value(after, "ielts_ws_disconnects_total") - value(during, "ielts_ws_disconnects_total") == 1
    assert value(after, "ielts_ws_connections_open") - value(during, "ielts_ws_connections_open") == -1


@pytest.mark.django_db
def test_a_session_the_clock_left_running_30_s_past_its_time_is_overdue(token, running_session, settings):
    settings.SESSION_GRACE_SECONDS = 5
    moment = timezone.now()

    def due(seconds_ago, attempts_seconds_ago=None):
        ends_at = moment - timedelta(seconds=seconds_ago)
        Session.objects.filter(pk=running_session.pk).update(ends_at=ends_at)
        attempts_ends_at = moment - timedelta(seconds=attempts_seconds_ago or seconds_ago)
        Attempt.objects.filter(session=running_session).update(ends_at=attempts_ends_at)
        return value(scrape(), "ielts_sessions_overdue")

    assert due(20) == 0, "due, and the clock has yet to come"
    assert due(40) == 1
    assert due(40, attempts_seconds_ago=20) == 0, "an attempt's extra time keeps it going"
