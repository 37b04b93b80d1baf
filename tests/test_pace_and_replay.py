"""What the live monitor's pace lanes and the timeline's replay read from the attempts' logs (monitoring.history),
with figures computed by hand for a small session, each read in a bounded number of queries however many
students there are; and the keys the live page marks answers with reach staff only."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from attempts.models import AttemptEvent
from attempts.services import attempt_answer, attempt_flag, attempt_highlight, attempt_progress
from monitoring.history import session_lanes

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def at_seconds(attempt, seconds: int, **lookup):
    """Move the attempt's newest logged event of this kind to `seconds` after the session's start."""
    event = AttemptEvent.objects.filter(attempt=attempt, **lookup).order_by("-pk").first()
    event.created_at = attempt.session.started_at + timedelta(seconds=seconds)
    event.save(update_fields=["created_at"])
    return event


def test_lanes_start_from_the_log_the_passages_the_pauses_and_the_keys(running_session, students, paper, teacher):
    from sessions_app.services import session_pause, session_resume

    session = running_session
    first, second = (session.attempts.get(student=student) for student in students[:2])
    questions = {q.number: q for q in paper.questions.all()}
    attempt_progress(attempt=first, passage_index=0, question_index=1)
    at_seconds(first, 60, type="progress_update")
    attempt_answer(attempt=first, question_id=questions[2].pk, answer="B")
    at_seconds(first, 90, type="answer_submitted")
    attempt_answer(attempt=first, question_id=questions[3].pk, answer="  ")  # cleared: a move, not an answer
    at_seconds(first, 120, type="answer_submitted")
    # Made offline at +100 s, logged later: the lane puts it where the student made it.
    attempt_progress(attempt=second, passage_index=1, question_index=2)
    event = at_seconds(second, 300, type="progress_update")
    event.data = {**event.data, "made_at": (session.started_at + timedelta(seconds=100)).isoformat()}
    event.save(update_fields=["data"])
    session_pause(session=session, by=teacher)
    session_resume(session=session, by=teacher)
    session.refresh_from_db()

    lanes = session_lanes(session)

    start = ms(session.started_at)
    assert lanes["startedAt"] is not None and lanes["limitSeconds"] == 60 * 60 and lanes["secondsPerMinute"] == 60
    assert lanes["passages"] == [[0, 1], [2, 3]]
    assert lanes["attempts"][students[0].pk]["moves"] == [[start + 60_000, 1, 0], [start + 90_000, 1, 1],
                                                           [start + 120_000, 2, 0]]  # fmt: skip
    assert lanes["attempts"][students[1].pk]["moves"] == [[start + 100_000, 2, 0]]
    assert lanes["attempts"][students[0].pk]["started"] == ms(first.started_at)
    assert len(lanes["pauses"]) == 1 and lanes["pauses"][0][0] <= lanes["pauses"][0][1]  # one pause, ended
    assert lanes["keys"][questions[3].pk] == {"answers": ["red wool", "wool"], "word_limit": 2}
    assert lanes["keys"][questions[1].pk] == {"answers": ["true"], "word_limit": None}
    assert lanes["bandTable"][0] == [39, 9.0] and lanes["bandTable"][-1] == [0, 0.0]


def test_a_pause_still_going_on_is_open(running_session, teacher):
    from sessions_app.services import session_pause

    session = session_pause(session=running_session, by=teacher)
    assert session_lanes(session)["pauses"] == [[ms(session.paused_at), None]]


def test_lanes_are_read_in_a_bounded_number_of_queries_for_forty_students(
    teacher, paper, make_user, django_assert_max_num_queries, connect_student
):
    from django.utils import timezone

    from classes.services import class_create
    from sessions_app.services import class_enrol, session_create, session_open_waiting_room, session_start

    klass = class_create(name="Forty", created_by=teacher)
    students = [make_user("STUDENT", username=f"s{i}") for i in range(40)]
    for student in students:
        class_enrol(school_class=klass, student=student)
    session = session_create(school_class=klass, test=paper, title="Forty", scheduled_at=timezone.now(),
                             created_by=teacher)  # fmt: skip
    session_open_waiting_room(session=session)
    for student in students:
        connect_student(session, student)
    session = session_start(session=session)
    question = paper.questions.get(number=1)
    for attempt in session.attempts.all():
        attempt_progress(attempt=attempt, passage_index=0, question_index=0)
        attempt_answer(attempt=attempt, question_id=question.pk, answer="TRUE")
    session = type(session).objects.select_related("test").get(pk=session.pk)
    with django_assert_max_num_queries(4):
        lanes = session_lanes(session)
    assert len(lanes["attempts"]) == 40
    assert all(len(attempt["moves"]) == 2 for attempt in lanes["attempts"].values())


def test_the_keys_reach_the_staff_live_page_only(running_session, teacher, students, paper):
    live = reverse("teacher-live", args=[running_session.pk])
    html = client_for(teacher).get(live).content.decode()
    config = json.loads(html.split('id="live-config" type="application/json">')[1].split("</script>")[0])
    assert config["lanes"]["keys"][str(paper.questions.get(number=3).pk)]["answers"] == ["red wool", "wool"]
    assert 'id="lanes"' in html and "projections from the answers so far, for staff only" in html
    refused = client_for(students[0]).get(live)
    assert refused.status_code in (302, 403) and b"red wool" not in refused.content
    test_page = client_for(students[0]).get(reverse("student-test", args=[running_session.pk]))
    assert b'"keys"' not in test_page.content and b"bandTable" not in test_page.content


def test_an_attempt_with_work_keeps_flags_and_highlights_in_the_log(attempt_with_work, paper):
    """What the replay is built from is in the log (the attempt_with_work fixture's answer, highlight, flag)."""
    attempt_flag(attempt=attempt_with_work, question_id=paper.questions.get(number=2).pk, flagged=True)
    passage = paper.passages.first()
    attempt_highlight(attempt=attempt_with_work, passage_id=passage.pk, text=passage.text[8:12], position_start=8,
                      position_end=12)  # fmt: skip
    types = list(attempt_with_work.events.values_list("type", flat=True))
    assert types.count("text_highlighted") == 2 and "question_flagged" in types


# ---------------------------------------------------------------- an attempt's replay


def test_the_replay_axis_puts_gaps_and_marks_where_they_happened():
    from datetime import UTC, datetime

    from monitoring.history import replay_axis

    start = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    end = start + timedelta(minutes=10)

    def step(seconds, step_type, group="student", **fields):
        return {"at": ms(start) + seconds * 1000, "type": step_type, "group": group, "words": step_type, **fields}

    axis = replay_axis(
        [
            step(30, "answer_submitted"),
            step(60, "disconnected", "presence"),
            step(120, "connected", "presence"),
            step(180, "tab_violation", "violation", violation_type="TAB_SWITCH"),
            step(240, "tab_violation", "violation", violation_type="TAB_SWITCH", returned=True),
            step(300, "time_extended", "teacher"),
            step(540, "tab_violation", "violation", violation_type="PASTE"),
            step(570, "disconnected", "presence"),
        ],
        start,
        end,
    )
    # 600 s over 1000 units: 60 s is 100.
    assert axis["gaps"] == [
        {"kind": "offline", "x": 100.0, "width": 100.0, "title": "Offline"},
        {"kind": "away", "x": 300.0, "width": 100.0, "title": "Away from the test page"},
        {"kind": "offline", "x": 950.0, "width": 50.0, "title": "Offline"},  # still offline at the end
    ]
    assert [(mark["group"], mark["x"]) for mark in axis["marks"]] == [("violation", 300.0), ("teacher", 500.0),
                                                                      ("violation", 900.0)]  # fmt: skip
    assert [tick["label"] for tick in axis["ticks"]] == ["0 min", "2 min", "4 min", "6 min", "8 min", "10 min"]
    assert axis["seconds"] == 600


def test_the_timeline_page_carries_the_replay_s_steps_in_order_and_in_words(
    running_session, students, paper, teacher, django_assert_max_num_queries
):
    from monitoring.history import attempt_replay

    attempt = running_session.attempts.get(student=students[0])
    questions = {q.number: q for q in paper.questions.all()}
    attempt_answer(attempt=attempt, question_id=questions[1].pk, answer="FALSE")
    at_seconds(attempt, 60, type="answer_submitted")
    attempt_flag(attempt=attempt, question_id=questions[2].pk, flagged=True)
    at_seconds(attempt, 90, type="question_flagged")
    attempt_answer(attempt=attempt, question_id=questions[1].pk, answer="TRUE")
    at_seconds(attempt, 120, type="answer_submitted")
    attempt_progress(attempt=attempt, passage_index=1, question_index=2)
    event = at_seconds(attempt, 400, type="progress_update")
    event.data = {**event.data, "made_at": (running_session.started_at + timedelta(seconds=30)).isoformat()}
    event.save(update_fields=["data"])

    events = list(attempt.events.order_by("created_at", "id"))
    with django_assert_max_num_queries(2):
        replay = attempt_replay(attempt, events)
    assert [row[1].type for row in replay["timed"]] == ["progress_update", "answer_submitted", "question_flagged",
                                                         "answer_submitted"]  # fmt: skip
    assert [q["number"] for q in replay["questions"]] == [1, 2, 3, 4]

    html = client_for(teacher).get(reverse("teacher-timeline", args=[attempt.pk])).content.decode()
    data = json.loads(html.split('id="replay-data" type="application/json">')[1].split("</script>")[0])
    start = ms(running_session.started_at)
    assert [(step["at"] - start, step["type"], step["offset"]) for step in data["steps"]] == [
        (30_000, "progress_update", "+00:30"),
        (60_000, "answer_submitted", "+01:00"),
        (90_000, "question_flagged", "+01:30"),
        (120_000, "answer_submitted", "+02:00"),
    ]
    assert data["steps"][1] == {**data["steps"][1], "question_id": questions[1].pk, "answer": "FALSE",
                                "group": "student", "words": "Answered Q1: “FALSE”"}  # fmt: skip
    passage = paper.passages.first()
    attempt_highlight(attempt=attempt, passage_id=passage.pk, text=passage.text[:7], position_start=0, position_end=7)
    html = client_for(teacher).get(reverse("teacher-timeline", args=[attempt.pk])).content.decode()
    data = json.loads(html.split('id="replay-data" type="application/json">')[1].split("</script>")[0])
    highlighted = next(step for step in data["steps"] if step["type"] == "text_highlighted")
    assert highlighted["text"] == passage.text[:7] and highlighted["words"].startswith("Highlighted “")
    assert 'type="range" id="replay-time"' in html and 'for="replay-time"' in html and "<svg" in html
