"""The live monitor's feed rebuilt from the log (monitoring.selectors.session_feed) says what the live messages
said, in the same order; its route pages back; a student's `made_at` is kept within reason."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from attempts.services import (
    attempt_answer,
    attempt_flag,
    attempt_highlight,
    attempt_note_highlight,
    attempt_record_violation,
)
from ielts_site.clock import iso, now
from monitoring.selectors import session_feed
from realtime.calls import apply_student_events
from sessions_app.services import (
    attempt_extend,
    attempt_finish,
    attempt_reopen,
    participant_disconnect,
    session_complete,
    session_extend,
    session_message,
    session_open_waiting_room,
    session_pause,
    session_resume,
    session_start,
    violation_review,
)

pytestmark = pytest.mark.django_db

# What each line is worded from, beside its type and student (static/teacher/feed-lines.js reads no other field).
WORDED_FIELDS = {
    "session_completed": ("reason",),
    "session_paused": ("reason",),
    "session_resumed": ("paused_seconds",),
    "answer_submitted": ("question_id",),
    "tab_violation": ("violation_type",),
    "text_highlighted": ("text",),
    "highlight_noted": ("note",),
    "question_flagged": ("question_id", "flagged"),
    "attempt_submitted": ("score", "band", "reason"),
    "time_extended": ("seconds", "reason"),
    "teacher_message": ("text",),
    "violation_reviewed": ("verdict",),
}
FEED_TYPES = {
    "waiting_room_opened", "session_started", "session_completed", "session_cancelled", "session_paused",
    "session_resumed", "participant_joined", "participant_disconnected", "answer_submitted", "tab_violation",
    "text_highlighted", "highlight_removed", "highlight_noted", "question_flagged", "attempt_submitted",
    "time_extended", "attempt_reopened", "teacher_message", "violation_reviewed",
}  # fmt: skip


def worded(message: dict) -> tuple:
    """What the page's one formatter words a line from: its type, its student and the fields it reads."""
    fields = {name: message.get(name) for name in WORDED_FIELDS.get(message["type"], ())}
    if message["type"] == "answer_submitted":
        fields["cleared"] = not str(message.get("answer") or "").strip()
    return message["type"], message.get("student_id"), fields


@pytest.fixture
def heard(monkeypatch, session):
    """Every message the session's teachers hear, in the order the live monitor places them (feed.js: by the
    moment each happened, the student's `made_at` for an event sent from the outbox)."""
    from realtime import events

    teachers_hear = {events.session_group(session.pk), events.teachers_group(session.pk)}
    sent = []
    monkeypatch.setattr(events, "_send", lambda group, event: group in teachers_hear and sent.append(event))

    def collect():
        messages = [event["message"] for event in sent if event.get("message", {}).get("type") in FEED_TYPES]
        return sorted(messages, key=lambda m: m.get("made_at") or m["timestamp"])

    return collect


def test_the_feed_rebuilt_from_the_log_says_what_was_heard_live(
    session, students, paper, teacher, connect_student, heard, django_capture_on_commit_callbacks
):
    first, second = students[0], students[1]
    q1, q2 = paper.questions.get(number=1), paper.questions.get(number=2)
    passage = paper.passages.first()
    with django_capture_on_commit_callbacks(execute=True):
        session_open_waiting_room(session=session)
        connect_student(session, first)
        connect_student(session, second)
        session_start(session=session)
        a1, a2 = session.attempts.get(student=first), session.attempts.get(student=second)
        attempt_answer(attempt=a1, question_id=q1.pk, answer="TRUE", event_id="a1")
        attempt_answer(attempt=a1, question_id=q1.pk, answer="", event_id="a2")
        attempt_flag(attempt=a1, question_id=q2.pk, flagged=True, event_id="f1")
        attempt_highlight(attempt=a1, passage_id=passage.pk, text=passage.text[:5], position_start=0,
                          position_end=5, event_id="h1")  # fmt: skip
        highlight_id = a1.highlights.get().pk
        attempt_note_highlight(attempt=a1, highlight_id=highlight_id, note="first words", event_id="n1")
        attempt_note_highlight(attempt=a1, highlight_id=highlight_id, note=None, event_id="n2")
        attempt_record_violation(attempt=a2, event_id="v1")
        made_offline = iso(now())  # the student answers as their connection drops; it reaches the server later
        participant_disconnect(channel_name=f"test.{session.pk}.{second.pk}")
        offline = {"question_id": q2.pk, "answer": "NO", "made_at": made_offline}
        apply_student_events([(a2.pk, "answer_submitted", offline, "o1")])
        session_pause(session=session, by=teacher, reason="Fire alarm")
        session_resume(session=session, by=teacher)
        session_extend(session=session, seconds=120, by=teacher, reason="Noise")
        attempt_extend(attempt=a2, seconds=60, by=teacher)
        session_message(session=session, text="Eyes on your paper", by=teacher)
        session_message(session=session, text="Quiet, please", student_id=second.pk, by=teacher)
        attempt_finish(attempt=a1, by=teacher)
        attempt_reopen(attempt=a1, seconds=300, by=teacher)
        violation_review(attempt=a2, violation_id=a2.violations.get().pk, verdict="CONFIRMED", by=teacher)
        session_complete(session=session, by=teacher)
    session.refresh_from_db()
    live = [worded(message) for message in heard()]
    rebuilt = [worded(line) for line in session_feed(session, limit=1000)["lines"]]
    assert rebuilt == live
    assert [line[0] for line in live].count("session_paused") == 1  # one line for the class, not one per attempt
    assert ("time_extended", None, {"seconds": 120, "reason": "Noise"}) in live
    assert ("highlight_noted", first.pk, {"note": "first words"}) in live


def test_made_at_is_kept_within_reason(running_session, students, paper):
    attempt = running_session.attempts.get(student=students[0])
    question = paper.questions.get(number=1).pk
    long_ago, ahead, earlier = (iso(attempt.started_at - timedelta(minutes=1)), iso(now() + timedelta(minutes=5)),
                                iso(attempt.started_at + timedelta(milliseconds=1)))  # fmt: skip
    outcomes = apply_student_events(
        [
            (attempt.pk, "answer_submitted", {"question_id": question, "answer": "A", "made_at": earlier}, "m1"),
            (attempt.pk, "answer_submitted", {"question_id": question, "answer": "B", "made_at": long_ago}, "m2"),
            (attempt.pk, "answer_submitted", {"question_id": question, "answer": "C", "made_at": ahead}, "m3"),
            (attempt.pk, "answer_submitted", {"question_id": question, "answer": "D", "made_at": "soon"}, "m4"),
            (attempt.pk, "answer_submitted", {"question_id": question, "answer": "E"}, "m5"),
        ]
    )
    assert all(outcome.applied for outcome in outcomes)  # a doubtful time never costs the event
    made = dict(attempt.events.filter(type="answer_submitted").values_list("event_id", "data__made_at"))
    assert made == {"m1": earlier, "m2": None, "m3": None, "m4": None, "m5": None}


def test_the_feed_route_pages_back_for_the_session_s_teachers_only(running_session, students, paper, teacher,
                                                                   make_user):  # fmt: skip
    attempt = running_session.attempts.get(student=students[0])
    for n in range(60):
        attempt_flag(attempt=attempt, question_id=paper.questions.get(number=1).pk, flagged=n % 2 == 0)
    url = reverse("teacher-live-feed", args=[running_session.pk])
    client = Client()
    client.force_login(teacher)
    last = client.get(url).json()
    assert len(last["lines"]) == 50 and last["earlier"] == last["lines"][0]["cursor"]
    assert last["lines"][-1]["type"] == "question_flagged" and last["lines"][-1]["student_name"] == "Stu Dent1"
    before = client.get(url, {"before": last["earlier"]}).json()
    # 60 flags, 2 arrivals in the waiting room, the opening and the start: 64 lines in all.
    assert len(before["lines"]) == 14 and before["earlier"] is None
    assert [line["type"] for line in before["lines"][:4]] == [
        "waiting_room_opened", "participant_joined", "participant_joined", "session_started",
    ]  # fmt: skip
    assert before["lines"][-1]["cursor"] < last["lines"][0]["cursor"] or before["lines"][-1] != last["lines"][0]
    assert client.get(url, {"before": "yesterday"}).status_code == 400
    outsider = make_user("TEACHER", username="other")
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(students[0])
    assert client.get(url).status_code == 403
