"""A bad message gets an `error`, changes nothing, reaches no teacher, and the connection stays open."""

import asyncio
import json

import pytest

from attempts.models import AttemptEvent
from exams.models import Question
from exams.services import test_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def student_and_teacher(start_watched):
    watcher, [student] = await start_watched(students_connected=1)
    return student, watcher


def _other_paper(teacher):
    from conftest import paper_data

    return test_create(**paper_data(passages=1, per_passage=1), created_by=teacher)


async def _rejected(student, watcher, code, event_id=None):
    error = await student.recv_type("error")
    assert error["code"] == code, error
    assert error["event_id"] == event_id
    assert error["message"] and error["session_id"]
    assert await student.still_open()
    assert await watcher.nothing(0.1)
    return error


@pytest.mark.parametrize(
    "frame, code, event_id",
    [
        ("not json at all", "invalid_json", None),
        ("{\"type\": \"heartbeat\"", "invalid_json", None),
        ("[1, 2, 3]", "invalid_message", None),
        ("\"heartbeat\"", "invalid_message", None),
        ("{}", "invalid_message", None),
        (json.dumps({"type": 7, "event_id": "x1"}), "invalid_message", "x1"),
        (json.dumps({"type": "steal_answers", "event_id": "x2"}), "unknown_type", "x2"),
        (json.dumps({"type": "answer_submitted", "data": [1], "event_id": "x3"}), "invalid_data", "x3"),
        (json.dumps({"type": "answer_submitted", "data": "q1", "event_id": "x4"}), "invalid_data", "x4"),
        (json.dumps({"type": "answer_submitted", "data": {"answer": "A"}, "event_id": "x5"}), "invalid_data", "x5"),
        (json.dumps({"type": "answer_submitted", "data": {"question_id": 1}}), "invalid_data", None),
        (json.dumps({"type": "heartbeat", "event_id": "e" * 65}), "invalid_event_id", None),
        (json.dumps({"type": "heartbeat", "event_id": 12}), "invalid_event_id", None),
        (json.dumps({"type": "heartbeat", "event_id": ""}), "invalid_event_id", None),
        (json.dumps({"type": "tab_violation", "data": {"violation_type": "SNEEZE"}, "event_id": "x6"}), "invalid",
         "x6"),
    ],
)  # fmt: skip
async def test_malformed_frames(student_and_teacher, frame, code, event_id, db_call):
    student, watcher = student_and_teacher
    await student.send_raw(frame)
    await _rejected(student, watcher, code, event_id)
    assert await db_call(AttemptEvent.objects.count) == 0


async def test_ids_and_positions_are_checked_against_this_attempts_paper(
    student_and_teacher, session, teacher, db_call
):
    student, watcher = student_and_teacher
    other = await db_call(_other_paper, teacher)
    foreign_question = await db_call(other.questions.get)
    foreign_passage = await db_call(other.passages.get)
    passage = await db_call(session.test.passages.first)
    question = await db_call(session.test.questions.first)
    length = len(passage.text)
    cases = [
        ("answer_submitted", {"question_id": foreign_question.pk, "answer": "A"}, "unknown_question"),
        ("answer_submitted", {"question_id": "abc", "answer": "A"}, "invalid"),
        ("answer_submitted", {"question_id": question.pk, "answer": 42}, "invalid"),
        ("answer_submitted", {"question_id": question.pk, "answer": "x" * 2001}, "too_long"),
        ("question_flagged", {"question_id": foreign_question.pk, "flagged": True}, "unknown_question"),
        ("question_flagged", {"question_id": question.pk, "flagged": "yes"}, "invalid"),
        ("text_highlighted", {"passage_id": foreign_passage.pk, "text": "a", "position_start": 0, "position_end": 1},
         "unknown_passage"),
        ("text_highlighted", {"passage_id": passage.pk, "text": "a", "position_start": 5, "position_end": 5},
         "out_of_range"),
        ("text_highlighted", {"passage_id": passage.pk, "text": "a", "position_start": -1, "position_end": 3},
         "out_of_range"),
        ("text_highlighted", {"passage_id": passage.pk, "text": "a", "position_start": 0, "position_end": length + 1},
         "out_of_range"),
        ("text_highlighted", {"passage_id": passage.pk, "text": "a", "position_start": 0.5, "position_end": 3},
         "invalid"),
        ("highlight_removed", {"highlight_id": 999999}, "unknown_highlight"),
        ("progress_update", {"passage_index": 2, "question_index": 0}, "out_of_range"),
        ("progress_update", {"passage_index": 0, "question_index": 4}, "out_of_range"),
        ("progress_update", {"passage_index": -1, "question_index": 0}, "out_of_range"),
        ("progress_update", {"passage_index": "1", "question_index": 0}, "invalid"),
    ]  # fmt: skip
    for number, (message_type, data, code) in enumerate(cases):
        await student.send(message_type, data, f"bad-{number}")
        await _rejected(student, watcher, code, f"bad-{number}")
    assert await db_call(AttemptEvent.objects.count) == 0
    # A valid event with a once-rejected id is still applied: rejected messages leave no trace.
    await student.send("progress_update", {"passage_index": 1, "question_index": 3}, "bad-0")
    assert (await student.recv_type("ack"))["event_id"] == "bad-0"
    assert (await watcher.recv_type("progress_update"))["question_index"] == 3


async def test_an_oversized_frame_is_refused_unread(student_and_teacher, settings, db_call):
    student, watcher = student_and_teacher
    question = await db_call(Question.objects.first)
    data = {"question_id": question.pk, "answer": "é" * 70000}  # 70,000 characters, 140,000 bytes (limit: 128 KiB)
    frame = json.dumps({"type": "answer_submitted", "data": data, "event_id": "big"}, ensure_ascii=False)
    assert len(frame) < settings.WS_MAX_MESSAGE_BYTES < len(frame.encode())
    await student.send_raw(frame)
    await _rejected(student, watcher, "message_too_large")
    await student.send_raw(json.dumps({"type": "heartbeat", "data": {"pad": "x" * 140000}}))
    await _rejected(student, watcher, "message_too_large")
    assert await db_call(AttemptEvent.objects.count) == 0


async def test_binary_frames_are_refused(student_and_teacher):
    student, watcher = student_and_teacher
    await student.send_raw(bytes_data=b'{"type": "heartbeat"}')
    await _rejected(student, watcher, "invalid_message")


async def test_a_burst_beyond_the_rate_limit_is_refused_message_by_message_never_closed(
    student_and_teacher, settings, db_call
):
    """An outbox of 500 replayed messages fits; beyond the burst (refilled at 20 a second) each gets `rate_limited`."""
    student, watcher = student_and_teacher
    assert settings.WS_RATE_BURST == 500 and settings.WS_RATE_PER_SECOND == 20
    question = await db_call(Question.objects.first)
    total = 600
    for number in range(total):
        if number == total - 1:
            await student.send("answer_submitted", {"question_id": question.pk, "answer": "A"}, "last")
        else:
            await student.send("heartbeat")
    replies = [await student.recv(5) for _ in range(total)]
    pongs = sum(1 for m in replies if m["type"] == "pong")
    limited = [m for m in replies if m["type"] == "error"]
    assert 500 <= pongs < total - 50
    assert all(m["code"] == "rate_limited" for m in limited) and len(limited) == total - pongs
    assert replies[-1]["event_id"] == "last" and replies[-1]["code"] == "rate_limited"
    assert await watcher.nothing(0.1), "a refused answer reaches no teacher"
    assert await db_call(AttemptEvent.objects.count) == 0
    # Never closed: tokens come back at 20 a second.
    await asyncio.sleep(0.1)
    assert await student.still_open()
