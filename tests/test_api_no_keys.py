"""No response a student can get carries an answer key: walk every endpoint a student can reach, in every state."""

import json

import pytest
from django.utils import timezone

from classes.services import class_create
from exams.services import test_create
from sessions_app.services import (
    class_enrol,
    session_complete,
    session_create,
    session_open_waiting_room,
    session_start,
)
from tests.test_api_support import API
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db

KEYS = ["ZEBRA-KEY-ONE", "quokka key two", "NARWHAL-3", "AXOLOTL FOUR", "Pangolin5"]


def secret_paper(teacher):
    """A paper whose accepted answers are strings found nowhere else."""
    questions = [
        {"number": i + 1, "type": "SHORT_ANSWER", "prompt": f"Question {i + 1}", "options": [],
         "answers": [KEYS[i]], "word_limit": 3}
        for i in range(4)
    ]  # fmt: skip
    questions[0]["answers"].append(KEYS[4])
    questions[1]["evidence"] = {"position_start": 6, "position_end": 13}  # staff only, like the keys
    return test_create(
        title="Secret", module="LISTENING", time_limit_minutes=30, created_by=teacher,
        passages=[{"title": "P", "text": "Plain passage text, no keys here.", "questions": questions}],
    )  # fmt: skip


def assert_no_key(response, where):
    text = response.content.decode()
    for key in KEYS:
        assert key.lower() not in text.lower(), f"{where}: the key {key!r} leaked"
    assert "evidence" not in text, f"{where}: an evidence span leaked"
    if not text:
        return

    def walk(value, path):
        if isinstance(value, dict):
            if "answers" in value:
                # The only `answers` a student sees is their own attempt's: a list of {question_id, answer, ...}.
                assert "question_id" not in value and "prompt" not in value, f"{where}: a question carries answers"
                for item in value["answers"]:
                    assert isinstance(item, dict) and set(item) == {"question_id", "answer", "answered_at"}, where
            for key, sub in value.items():
                walk(sub, f"{path}.{key}")
        elif isinstance(value, list):
            for index, sub in enumerate(value):
                walk(sub, f"{path}.{index}")

    walk(json.loads(text), where)


def test_no_student_response_contains_an_answer_key(make_user, connect_student, teacher):
    student = make_user("STUDENT", username="taker", first_name="Tay", last_name="Ker")
    classmate = make_user("STUDENT", username="classmate")
    paper = secret_paper(teacher)
    klass = class_create(name="Beacon", created_by=teacher)
    class_enrol(school_class=klass, student=student)
    class_enrol(school_class=klass, student=classmate)
    session = session_create(school_class=klass, test=paper, title="Mock", scheduled_at=timezone.now(),
                             created_by=teacher)  # fmt: skip
    questions = list(paper.questions.order_by("number"))
    client = api(student)
    seen = []

    def visit(method, path, data=None):
        response = (
            getattr(client, method)(API + path, data, format="json") if data else getattr(client, method)(API + path)
        )
        assert response.status_code < 500, (path, response.status_code)
        assert_no_key(response, f"{method.upper()} {path} [{stage}]")
        seen.append((stage, method, path, response.status_code))
        return response

    def walk_everything():
        visit("get", "/users/me")
        visit("get", "/sessions/my-sessions")
        visit("get", f"/sessions/{session.pk}")
        visit("get", f"/tests/{paper.pk}")
        visit("get", "/tests")
        visit("get", f"/sessions/{session.pk}/stats")
        visit("get", "/sessions")
        visit("get", "/classes")
        visit("get", f"/classes/{klass.pk}")
        visit("get", "/users")
        visit("post", f"/sessions/{session.pk}/ws-ticket")
        attempt = session.attempts.filter(student=student).first()
        if attempt:
            visit("get", f"/attempts/{attempt.pk}")
            for question in questions:
                visit("post", f"/attempts/{attempt.pk}/answers", {"question_id": question.pk, "answer": "a guess"})
            visit("post", f"/attempts/{attempt.pk}/answers", {"question_id": 987654, "answer": "x"})
            other = session.attempts.exclude(student=student).first()
            if other:
                visit("get", f"/attempts/{other.pk}")

    stage = "scheduled"
    walk_everything()
    stage = "waiting"
    session_open_waiting_room(session=session)
    connect_student(session, student)
    connect_student(session, classmate)
    walk_everything()
    stage = "in progress"
    session_start(session=session)
    walk_everything()
    attempt = session.attempts.get(student=student)
    visit("post", f"/attempts/{attempt.pk}/submit")
    stage = "submitted"
    walk_everything()
    visit("post", f"/attempts/{attempt.pk}/submit")  # 409
    stage = "completed"
    session_complete(session=session)
    walk_everything()

    assert ("in progress", "get", f"/tests/{paper.pk}", 200) in seen  # the paper itself was checked
    assert ("in progress", "get", f"/attempts/{attempt.pk}", 200) in seen
    assert ("submitted", "get", f"/attempts/{attempt.pk}", 200) in seen
    # ...and staff do see the keys, so the search would have found them.
    staff_view = api(teacher).get(f"{API}/tests/{paper.pk}").content.decode()
    assert all(key in staff_view for key in KEYS)


def test_a_practice_gives_no_key_before_the_hand_in_and_none_after_without_the_teacher_s_choice(make_user, teacher):
    from attempts.practice import practice_attempt_start, practice_publish

    student = make_user("STUDENT", username="alone")
    paper = secret_paper(teacher)
    klass = class_create(name="Beacon", created_by=teacher)
    class_enrol(school_class=klass, student=student)
    practice = practice_publish(school_class=klass, test=paper, by=teacher)
    client = api(student)
    assert_no_key(client.get(f"{API}/practice"), "GET /practice")
    assert client.get(f"{API}/tests/{paper.pk}").status_code == 404  # not taking it yet
    attempt = practice_attempt_start(practice=practice, student=student)
    paper_view = client.get(f"{API}/tests/{paper.pk}")
    assert paper_view.status_code == 200 and len(paper_view.json()["passages"][0]["questions"]) == 4
    assert_no_key(paper_view, "GET /tests/{id} during a practice attempt")
    for question in paper.questions.all():
        assert_no_key(
            client.post(f"{API}/attempts/{attempt.pk}/answers", {"question_id": question.pk, "answer": "x"},
                        format="json"),
            "POST answers",
        )  # fmt: skip
    assert_no_key(client.get(f"{API}/attempts/{attempt.pk}"), "GET attempt in progress")
    assert_no_key(client.post(f"{API}/attempts/{attempt.pk}/submit"), "POST submit")
    assert_no_key(client.get(f"{API}/attempts/{attempt.pk}"), "GET attempt submitted")
    assert client.get(f"{API}/tests/{paper.pk}").status_code == 404  # handed in: the paper is closed again


def test_a_listening_transcript_never_reaches_a_student(make_user, connect_student, teacher, client):
    """A Listening part's text is its transcript: staff read it; the student's view of the paper and their test page
    (its config included) carry `text: null`, and the transcript nowhere."""
    student = make_user("STUDENT", username="listener")
    paper = secret_paper(teacher)
    transcript = paper.passages.get().text
    klass = class_create(name="Beacon", created_by=teacher)
    class_enrol(school_class=klass, student=student)
    session = session_create(school_class=klass, test=paper, title="Mock", scheduled_at=timezone.now(),
                             created_by=teacher)  # fmt: skip
    session_open_waiting_room(session=session)
    connect_student(session, student)
    session_start(session=session)
    view = api(student).get(f"{API}/tests/{paper.pk}")
    assert view.status_code == 200 and view.json()["passages"][0]["text"] is None
    assert transcript not in view.content.decode()
    client.force_login(student)
    page = client.get(f"/sessions/{session.pk}/test/").content.decode()
    assert 'data-listening-part="0"' in page and transcript not in page
    assert transcript in api(teacher).get(f"{API}/tests/{paper.pk}").content.decode()
