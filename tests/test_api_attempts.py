"""Attempts over REST: the body, answers and submit through the same services (and messages) as the WebSocket."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from attempts.models import Answer, AttemptStatus
from attempts.services import attempt_flag, attempt_highlight, attempt_record_violation
from realtime.events import teachers_group
from tests.controls_support import move_deadlines
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db

ATTEMPT_FIELDS = [
    "id", "session_id", "test_id", "student_id", "status", "started_at", "submitted_at", "ends_at", "server_now",
    "current_passage_index", "current_question_index", "answers", "highlights", "flagged_question_ids",
    "violations", "score", "band", "extra_seconds", "offline_seconds", "practice_id", "writing",
]  # fmt: skip


@pytest.fixture
def attempt(running_session, students):
    return running_session.attempts.get(student=students[0])


@pytest.fixture
def questions(running_session):
    return {q.number: q for q in running_session.test.questions.all()}


def test_the_body_has_exactly_the_contract_s_fields(attempt, students, questions, running_session):
    attempt_record_violation(attempt=attempt, violation_type="PASTE")
    passage = running_session.test.passages.first()
    attempt_highlight(attempt=attempt, passage_id=passage.pk, text="red", position_start=15, position_end=18)
    attempt_flag(attempt=attempt, question_id=questions[2].pk, flagged=True)
    response = api(students[0]).get(f"{API}/attempts/{attempt.pk}")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ATTEMPT_FIELDS
    assert (body["id"], body["session_id"], body["test_id"], body["student_id"]) == (
        attempt.pk, running_session.pk, running_session.test_id, students[0].pk,
    )  # fmt: skip
    assert body["status"] == "IN_PROGRESS" and body["submitted_at"] is None
    assert body["score"] is None and body["band"] is None
    assert body["ends_at"] == running_session.ends_at.isoformat().replace("+00:00", "Z")
    assert body["server_now"].endswith("Z")
    assert body["flagged_question_ids"] == [questions[2].pk]
    assert [v["type"] for v in body["violations"]] == ["PASTE"] and set(body["violations"][0]) == {
        "id", "type", "timestamp", "verdict", "note", "away_seconds",
    }  # fmt: skip
    assert (body["violations"][0]["verdict"], body["violations"][0]["note"]) == (None, None)
    assert (body["extra_seconds"], body["offline_seconds"]) == (0, 0)
    highlight = body["highlights"][0]
    assert set(highlight) == {"id", "passage_id", "text", "position_start", "position_end", "timestamp", "note"}
    assert (highlight["passage_id"], highlight["text"], highlight["position_start"], highlight["position_end"]) == (
        passage.pk, "red", 15, 18,
    )  # fmt: skip


@pytest.mark.parametrize("slash", ["", "/"])
def test_answers_upsert_and_clear(attempt, students, questions, slash):
    client, url = api(students[0]), f"{API}/attempts/{attempt.pk}/answers{slash}"
    response = client.post(url, {"question_id": questions[3].pk, "answer": "  red wool "})
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ATTEMPT_FIELDS
    assert [(a["question_id"], a["answer"]) for a in body["answers"]] == [(questions[3].pk, "  red wool ")]
    body = client.post(url, {"question_id": questions[3].pk, "answer": "wool"}).json()
    assert [a["answer"] for a in body["answers"]] == ["wool"]
    client.post(url, {"question_id": questions[1].pk, "answer": "TRUE"})
    assert Answer.objects.filter(attempt=attempt).count() == 2
    body = client.post(url, {"question_id": questions[3].pk, "answer": ""}).json()  # an empty answer clears
    assert [a["question_id"] for a in body["answers"]] == [questions[1].pk]
    body = client.post(url, {"question_id": questions[1].pk, "answer": None}).json()
    assert body["answers"] == []


def test_answer_input_errors(attempt, students, questions, paper):
    client, url = api(students[0]), f"{API}/attempts/{attempt.pk}/answers"
    assert_error(client.post(url, {"answer": "x"}), 400, "invalid")
    assert_error(client.post(url, {"question_id": questions[1].pk}), 400, "invalid")
    assert_error(client.post(url, {"question_id": "abc", "answer": "x"}), 400, "invalid")
    assert_error(client.post(url, {"question_id": questions[1].pk, "answer": "x" * 2001}), 400)
    assert_error(client.post(url, {"question_id": questions[1].pk, "answer": ["x"]}), 400)
    assert_error(client.post(url, {"question_id": 987654, "answer": "x"}), 400, "unknown_question")


def test_submit_marks_and_then_both_actions_are_409(attempt, students, questions):
    client = api(students[0])
    client.post(f"{API}/attempts/{attempt.pk}/answers", {"question_id": questions[1].pk, "answer": "true"})
    client.post(f"{API}/attempts/{attempt.pk}/answers", {"question_id": questions[4].pk, "answer": "red wool"})
    response = client.post(f"{API}/attempts/{attempt.pk}/submit")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "SUBMITTED" and body["submitted_at"] is not None
    assert body["score"] == 2 and body["band"] == 5.5 and isinstance(body["band"], float)  # 2/4 → 20/40
    assert_error(client.post(f"{API}/attempts/{attempt.pk}/submit/"), 409, "already_submitted")
    assert_error(
        client.post(f"{API}/attempts/{attempt.pk}/answers", {"question_id": questions[2].pk, "answer": "B"}),
        409,
        "attempt_closed",
    )


def test_after_ends_at_answers_and_submit_are_409(attempt, students, questions, running_session):
    move_deadlines(running_session, ends_at=timezone.now() - timedelta(minutes=1))
    client = api(students[0])
    assert_error(
        client.post(f"{API}/attempts/{attempt.pk}/answers", {"question_id": questions[1].pk, "answer": "TRUE"}),
        409,
        "time_up",
    )
    assert_error(client.post(f"{API}/attempts/{attempt.pk}/submit"), 409, "time_up")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS and not attempt.answers.exists()


def test_who_may_read_and_write_an_attempt(attempt, students, teacher, admin_user, make_user, questions):
    url = f"{API}/attempts/{attempt.pk}"
    answer = {"question_id": questions[1].pk, "answer": "TRUE"}
    for user in (teacher, admin_user):
        assert api(user).get(url).status_code == 200
        assert_error(api(user).post(f"{url}/answers", answer), 403)
        assert_error(api(user).post(f"{url}/submit"), 403)
    for user in (students[1], make_user("TEACHER", username="other")):  # a classmate, another teacher
        assert_error(api(user).get(url), 404)
        assert_error(api(user).post(f"{url}/answers", answer), 404)
    assert_error(api().get(url), 401)
    assert_error(api(teacher).get(f"{API}/attempts/987654"), 404)
    assert not attempt.answers.exists()


def test_a_rest_answer_reaches_teachers_as_the_websocket_one_does(
    attempt, students, questions, running_session, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(teachers_group(running_session.pk), channel)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = api(students[0]).post(
                f"{API}/attempts/{attempt.pk}/answers", {"question_id": questions[2].pk, "answer": "b"}
            )
        assert response.status_code == 200
        message = async_to_sync(layer.receive)(channel)["message"]
        assert message == {
            "type": "answer_submitted", "session_id": running_session.pk, "timestamp": message["timestamp"],
            "student_id": students[0].pk, "attempt_id": attempt.pk, "question_id": questions[2].pk, "answer": "b",
            "answered_count": 1,
        }  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            api(students[0]).post(f"{API}/attempts/{attempt.pk}/submit")
        types = set()
        for _ in range(2):
            types.add(async_to_sync(layer.receive)(channel)["message"]["type"])
        assert "attempt_submitted" in types
    finally:
        async_to_sync(layer.group_discard)(teachers_group(running_session.pk), channel)


def test_attempt_body_is_the_rest_body(attempt, students, questions):
    """`attempts.selectors.attempt_body` (WebSocket state sync, pages) gives the same body as REST."""
    from attempts.selectors import attempt_body

    student = api(students[0])
    for question, answer in ((questions[3], "third"), (questions[1], "first")):
        student.post(f"{API}/attempts/{attempt.pk}/answers", {"question_id": question.pk, "answer": answer})
    passage = attempt.test.passages.first()
    attempt_highlight(attempt=attempt, passage_id=passage.pk, text=passage.text[2:9], position_start=2, position_end=9)
    attempt_highlight(attempt=attempt, passage_id=passage.pk, text=passage.text[:4], position_start=0, position_end=4)
    for question in (questions[4], questions[2]):
        attempt_flag(attempt=attempt, question_id=question.pk, flagged=True)
    attempt_record_violation(attempt=attempt, violation_type="WINDOW_BLUR")
    attempt_record_violation(attempt=attempt)

    for moment in ("in progress", "submitted"):
        rest = student.get(f"{API}/attempts/{attempt.pk}").json()
        body = attempt_body(attempt)
        assert list(body) == ATTEMPT_FIELDS, moment
        assert {**body, "server_now": None} == {**rest, "server_now": None}, moment
        assert body == attempt_body(attempt.pk) | {"server_now": body["server_now"]}, moment
        student.post(f"{API}/attempts/{attempt.pk}/submit")
    assert [len(body[name]) for name in ("answers", "highlights", "flagged_question_ids", "violations")] == [2, 2, 2, 2]
    assert body["status"] == "SUBMITTED" and body["band"] is not None
