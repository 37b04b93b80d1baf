"""Essays over the WebSocket: the longest essay fits in one frame (even in 4-byte characters it is under the
128 KiB limit), a longer one is an `error` and never a close, and the teachers hear each save with its text."""

import json

import pytest

from attempts.models import Answer
from exams.services import test_create
from tests.writing_support import writing_paper_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def paper(teacher):  # the session of these tests is a Writing one
    return test_create(**writing_paper_data(), created_by=teacher)


async def test_an_essay_of_20000_characters_fits_in_one_event_and_a_longer_one_is_an_error(
    start_watched, session, db_call
):
    watcher, (a, _b) = await start_watched()
    task2 = await db_call(session.test.questions.get, task=2)
    essay = "😀" * 20000  # 80,000 bytes of UTF-8: the longest essay in the widest script
    frame = {"type": "answer_submitted", "data": {"question_id": task2.pk, "answer": essay}, "event_id": "essay-1"}
    await a.send_raw(json.dumps(frame, ensure_ascii=False))  # as a browser's JSON.stringify sends it
    ack = await a.recv_type("ack")
    assert ack["event_id"] == "essay-1"
    relayed = await watcher.recv_type("answer_submitted")
    assert relayed["answer"] == essay and relayed["question_id"] == task2.pk
    assert (await db_call(Answer.objects.get, question=task2)).answer == essay

    await a.send("answer_submitted", {"question_id": task2.pk, "answer": "a" * 20001}, "essay-2")
    error = await a.recv_type("error")
    assert (error["code"], error["event_id"]) == ("too_long", "essay-2")
    assert await a.still_open()
    assert (await db_call(Answer.objects.get, question=task2)).answer == essay
