"""The audio timeline of a Listening paper, hand-computed: the parts play once, one after the other, from the
session's start, moved later by the time the session spends paused; `session_started` and every state sync carry
`audio_started_at`, so that the live position is server_now − audio_started_at (a late joiner's, a reconnect's)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from attempts.practice import practice_attempt_start, practice_publish
from realtime.calls import state_sync_messages
from sessions_app.services import (
    session_create,
    session_open_waiting_room,
    session_pause,
    session_resume,
    session_start,
)
from tests.listening_support import listening_paper

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
PARTS = (60.0, 90.0, 120.0, 150.0)  # the parts start at 0, 60, 150 and 270 s; the audio ends at 420 s


@pytest.fixture
def clock(monkeypatch):
    """The server's time, moved by hand (`clock.at(seconds after T0)`)."""

    class Clock:
        moment = T0

        def at(self, seconds):
            self.moment = T0 + timedelta(seconds=seconds)

    frozen = Clock()
    monkeypatch.setattr(timezone, "now", lambda: frozen.moment)
    return frozen


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def listening_session(clock, teacher, school_class, students, connect_student):
    test = listening_paper(teacher, part_seconds=PARTS, minutes=10)
    session = session_create(school_class=school_class, test=test, title="L", scheduled_at=T0, created_by=teacher)
    session_open_waiting_room(session=session)
    connect_student(session, students[0])
    return session


def position(message) -> float:
    """Where the recording is now, as the page works it out."""
    return (parse_datetime(message["server_now"]) - parse_datetime(message["audio_started_at"])).total_seconds()


def playing(seconds: float) -> tuple[int | None, float]:
    """(the part playing, seconds into it), by hand from PARTS; (None, seconds into the review) after the last."""
    for index, length in enumerate(PARTS):
        if seconds < length:
            return index, seconds
        seconds -= length
    return None, seconds


def sync_of(session, student):
    attempt = session.attempts.get(student=student)
    return state_sync_messages([attempt.pk])[attempt.pk]


def test_session_started_carries_the_audio_start(listening_session, clock, listen, django_capture_on_commit_callbacks):
    everyone = listen(listening_session.pk, "everyone")
    with django_capture_on_commit_callbacks(execute=True):
        session_start(session=listening_session)
    started = everyone.messages()[0]
    assert started["type"] == "session_started"
    assert started["audio_started_at"] == started["started_at"] == "2026-03-02T09:00:00Z"


def test_a_late_joiner_hears_the_live_position(listening_session, clock, students, connect_student):
    session_start(session=listening_session)
    clock.at(100)  # 100 s after the start: 40 s into part 2
    connect_student(listening_session, students[1])
    sync = sync_of(listening_session, students[1])
    assert sync["audio_started_at"] == "2026-03-02T09:00:00Z"
    assert position(sync) == 100.0
    assert playing(position(sync)) == (1, 40.0)


def test_a_reconnect_after_a_pause_and_resume_goes_on_where_the_pause_stopped(
    listening_session, clock, students, teacher
):
    session_start(session=listening_session)
    clock.at(130)  # 70 s into part 2
    session_pause(session=listening_session, by=teacher)
    clock.at(175)  # 45 s paused: the position stands still
    sync = sync_of(listening_session, students[0])
    assert sync["audio_started_at"] == "2026-03-02T09:00:45Z" and position(sync) == 130.0
    session_resume(session=listening_session, by=teacher)
    clock.at(200)  # 25 s after the resume: 155 s of audio, 5 s into part 3
    sync = sync_of(listening_session, students[0])
    assert sync["audio_started_at"] == "2026-03-02T09:00:45Z"
    assert position(sync) == 155.0 and playing(155.0) == (2, 5.0)
    # A second pause of 60 s adds to the first.
    session_pause(session=listening_session, by=teacher)
    clock.at(260)
    session_resume(session=listening_session, by=teacher)
    clock.at(600)  # 600 − 45 − 60 = 495 s of audio: 75 s into the review
    sync = sync_of(listening_session, students[0])
    assert sync["audio_started_at"] == "2026-03-02T09:01:45Z"
    assert position(sync) == 495.0 and playing(495.0) == (None, 75.0)


def test_the_session_clock_moves_with_the_pauses_as_the_audio_does(listening_session, clock, teacher):
    session = session_start(session=listening_session)
    clock.at(30)
    session_pause(session=session, by=teacher)
    clock.at(50)
    session = session_resume(session=session, by=teacher)
    assert session.paused_seconds == 20.0
    assert session.ends_at - session.audio_started_at() == timedelta(minutes=10)  # audio and time left move together


def test_a_practice_attempts_timeline_starts_at_the_attempt(clock, teacher, school_class, students):
    test = listening_paper(teacher, part_seconds=PARTS, minutes=10)
    practice = practice_publish(school_class=school_class, test=test, by=teacher)
    clock.at(1000)
    attempt = practice_attempt_start(practice=practice, student=students[0])
    clock.at(1065)
    sync = state_sync_messages([attempt.pk])[attempt.pk]
    assert sync["audio_started_at"] == "2026-03-02T09:16:40Z"
    assert position(sync) == 65.0 and playing(65.0) == (1, 5.0)


def test_other_papers_carry_no_audio_start(running_session, students):
    sync = sync_of(running_session, students[0])
    assert "audio_started_at" not in sync
