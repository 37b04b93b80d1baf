"""A Listening paper's audio over REST: the upload's checks (type, size, readable, the time it needs), the staff and
student views of a part, the time limits of sessions and practices, and the protected file route with ranges."""

import pytest
from django.utils import timezone

from accounts.serializers import RoleRefreshToken
from attempts.models import AttemptStatus
from attempts.practice import practice_attempt_start, practice_publish
from exams.models import Passage, Test
from exams.services import test_create
from sessions_app.services import (
    session_create,
    session_open_waiting_room,
    session_pause,
    session_resume,
    session_start,
    session_update,
)
from tests.listening_support import listening_paper, listening_paper_data, wav_bytes
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def listening(teacher):
    return test_create(**listening_paper_data(parts=2, minutes=10), created_by=teacher)


def upload(user, test, passage, body, content_type="audio/wav", **headers):
    return api(user).put(
        f"{API}/tests/{test.paper_id}/passages/{passage.pk}/audio", data=body, content_type=content_type, **headers
    )


# ---------------------------------------------------------------- upload


def test_staff_upload_a_part_and_the_staff_view_shows_its_url_and_length(teacher, listening, media_root):
    first, second = listening.passages.order_by("order")
    response = upload(
        teacher, listening, first, wav_bytes(2.5), HTTP_CONTENT_DISPOSITION='attachment; filename="Intro.wav"'
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == listening.pk
    part = body["passages"][0]
    assert part["audio"] == f"/api/v1/files/passages/{first.pk}/audio"
    assert part["audio_seconds"] == pytest.approx(2.5)
    assert part["text"] == first.text  # staff read the transcript
    assert body["passages"][1]["audio"] is None and body["passages"][1]["audio_seconds"] is None
    first.refresh_from_db()
    assert first.audio.name.startswith("listening/intro") and first.audio.name.endswith(".wav")
    assert (media_root / first.audio.name).stat().st_size == len(wav_bytes(2.5))  # a file, not a database row


def test_another_type_is_415_and_changes_nothing(teacher, listening):
    passage = listening.passages.first()
    for content_type in ("application/json", "audio/flac", "text/plain", "image/png"):
        assert_error(upload(teacher, listening, passage, wav_bytes(1), content_type), 415, "unsupported_media_type")
    passage.refresh_from_db()
    assert not passage.audio and passage.audio_seconds is None


def test_not_readable_audio_of_its_type_is_400(teacher, listening):
    passage = listening.passages.first()
    for body, content_type in ((b"not a wav at all", "audio/wav"), (wav_bytes(1), "audio/mpeg"),
                               (wav_bytes(1), "audio/ogg"), (b"OggS" + b"\0" * 100, "audio/ogg")):  # fmt: skip
        error = assert_error(upload(teacher, listening, passage, body, content_type), 400)
        assert "audio" in error["errors"], error
    passage.refresh_from_db()
    assert not passage.audio


def test_over_100_mib_is_413_before_the_body_is_read(teacher, listening, rf):
    from exams.views import TestViewSet

    passage = listening.passages.first()
    # The declared length alone refuses it (the test client would not send 100 MiB quickly).
    request = rf.put(f"{API}/tests/{listening.pk}/passages/{passage.pk}/audio", data=b"RIFF", content_type="audio/wav")
    request.META["CONTENT_LENGTH"] = str(104_857_601)
    request.META["HTTP_AUTHORIZATION"] = f"Bearer {RoleRefreshToken.for_user(teacher).access_token}"
    response = TestViewSet.as_view({"put": "passage_audio"})(request, pk=str(listening.pk), passage_id=str(passage.pk))
    assert response.status_code == 413 and response.data["code"] == "too_large"


def test_a_body_longer_than_the_limit_is_413_while_read(teacher, listening, monkeypatch):
    monkeypatch.setattr("exams.views.AUDIO_MAX_BYTES", 1000)
    passage = listening.passages.first()
    assert_error(upload(teacher, listening, passage, wav_bytes(1)), 413, "too_large")
    passage.refresh_from_db()
    assert not passage.audio


def test_the_body_limit_lets_an_audio_route_through_and_stops_others(teacher, listening, client):
    from ielts_site.security import FILE_BODY_ROUTES

    assert FILE_BODY_ROUTES.match(f"/api/v1/tests/{listening.pk}/passages/3/audio")
    assert FILE_BODY_ROUTES.match("/api/v1/tests/1/questions/2/image/")
    assert not FILE_BODY_ROUTES.match(f"/api/v1/tests/{listening.pk}")
    passage = listening.passages.first()
    big = wav_bytes(80)  # 1.28 MB: over the JSON limit of 1 MiB
    response = upload(teacher, listening, passage, big)
    assert response.status_code == 200, response.json()


def test_time_limit_must_cover_the_audio_plus_two_minutes(teacher, listening):
    first, second = listening.passages.order_by("order")  # a 10-minute paper: at most 8 minutes of audio
    assert upload(teacher, listening, first, wav_bytes(300)).status_code == 200
    error = assert_error(upload(teacher, listening, second, wav_bytes(181)), 400)
    assert "audio" in error["errors"] and "at least 11 minutes" in error["errors"]["audio"][0]
    second.refresh_from_db()
    assert not second.audio
    assert upload(teacher, listening, second, wav_bytes(180)).status_code == 200  # 5 + 3 + 2 = 10: exactly enough
    # Replacing a part counts its new length instead of its old one.
    assert upload(teacher, listening, first, wav_bytes(290)).status_code == 200


def test_a_replaced_recording_no_version_shares_is_deleted(teacher, listening, media_root,
                                                          django_capture_on_commit_callbacks):  # fmt: skip
    first = listening.passages.get(order=0)
    assert upload(teacher, listening, first, wav_bytes(1)).status_code == 200
    first.refresh_from_db()
    old = media_root / first.audio.name
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(teacher, listening, first, wav_bytes(2)).status_code == 200
    first.refresh_from_db()
    assert not old.exists() and (media_root / first.audio.name).exists()


def test_only_a_listening_paper_takes_audio_and_only_its_staff(teacher, paper, listening, make_user, students):
    assert_error(upload(teacher, paper, paper.passages.first(), wav_bytes(1)), 400)
    other_teacher = make_user("TEACHER")
    assert_error(upload(other_teacher, listening, listening.passages.first(), wav_bytes(1)), 403, "not_your_paper")
    assert upload(students[0], listening, listening.passages.first(), wav_bytes(1)).status_code == 403
    assert upload(None, listening, listening.passages.first(), wav_bytes(1)).status_code == 401
    assert_error(upload(teacher, listening, paper.passages.first(), wav_bytes(1)), 404)


def test_an_upload_to_a_paper_in_use_makes_a_new_version_sharing_the_other_files(
    teacher, school_class, students, connect_student, django_capture_on_commit_callbacks
):
    test = listening_paper(teacher, part_seconds=(3.0, 4.0))
    session = session_create(school_class=school_class, test=test, title="L", scheduled_at=timezone.now(),
                             created_by=teacher)  # fmt: skip
    session_open_waiting_room(session=session)
    connect_student(session, students[0])
    session_start(session=session)
    first, second = test.passages.order_by("order")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(teacher, test, second, wav_bytes(5))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["version"] == 2 and body["id"] == test.pk
    new_first, new_second = Test.objects.get(original=test, version=2).passages.order_by("order")
    assert new_first.audio.name == first.audio.name and new_first.audio_seconds == pytest.approx(3.0)
    assert new_second.audio_seconds == pytest.approx(5.0) and new_second.audio.name != second.audio.name
    second.refresh_from_db()
    assert second.audio_seconds == pytest.approx(4.0)  # the version the session uses is unchanged
    assert second.audio.storage.exists(second.audio.name)  # and keeps its file


def test_the_student_view_has_no_transcript(teacher, school_class, students, connect_student):
    test = listening_paper(teacher, part_seconds=(3.0, 4.0))
    session = session_create(school_class=school_class, test=test, title="L", scheduled_at=timezone.now(),
                             created_by=teacher)  # fmt: skip
    session_open_waiting_room(session=session)
    connect_student(session, students[0])
    session_start(session=session)
    body = api(students[0]).get(f"{API}/tests/{test.paper_id}").json()
    assert [p["text"] for p in body["passages"]] == [None, None]
    assert [p["audio_seconds"] for p in body["passages"]] == [pytest.approx(3.0), pytest.approx(4.0)]
    assert body["passages"][0]["audio"] == f"/api/v1/files/passages/{test.passages.get(order=0).pk}/audio"


# ---------------------------------------------------------------- a session's and a practice's own time limit


def test_a_sessions_own_time_limit_covers_the_audio(teacher, school_class):
    test = listening_paper(teacher, part_seconds=(120.0, 120.0), minutes=10)  # 4 minutes of audio: at least 6
    make = dict(school_class=school_class, test=test, title="L", scheduled_at=timezone.now(), created_by=teacher)
    with pytest.raises(Exception) as refused:
        session_create(**make, time_limit_minutes=5)
    assert refused.value.field == "time_limit_minutes"
    session = session_create(**make, time_limit_minutes=6)
    with pytest.raises(Exception) as refused:
        session_update(session=session, time_limit_minutes=5)
    assert refused.value.field == "time_limit_minutes"
    first = test.passages.get(order=0)
    session = session_update(session=session, passage_ids=[first.pk], time_limit_minutes=4)  # one part: 2 + 2
    assert session.time_limit_minutes == 4


def test_the_session_and_practice_routes_answer_400_naming_time_limit_minutes(teacher, school_class):
    test = listening_paper(teacher, part_seconds=(120.0, 120.0), minutes=10)
    client = api(teacher)
    response = client.post(f"{API}/sessions", {"class_id": school_class.pk, "test_id": test.paper_id, "title": "L",
                                                "scheduled_at": timezone.now().isoformat(), "time_limit_minutes": 5},
                           format="json")  # fmt: skip
    assert "time_limit_minutes" in assert_error(response, 400)["errors"]
    response = client.post(f"{API}/classes/{school_class.pk}/practice",
                           {"test_id": test.paper_id, "time_limit_minutes": 5}, format="json")  # fmt: skip
    assert "time_limit_minutes" in assert_error(response, 400)["errors"]
    ok = client.post(f"{API}/classes/{school_class.pk}/practice", {"test_id": test.paper_id, "time_limit_minutes": 6},
                     format="json")  # fmt: skip
    assert ok.status_code == 201, ok.json()


# ---------------------------------------------------------------- the protected file route


@pytest.fixture
def running_listening(teacher, school_class, students, connect_student):
    test = listening_paper(teacher, part_seconds=(2.0, 3.0))
    session = session_create(school_class=school_class, test=test, title="L", scheduled_at=timezone.now(),
                             created_by=teacher)  # fmt: skip
    session_open_waiting_room(session=session)
    connect_student(session, students[0])
    return session_start(session=session)


def audio_url(passage):
    return f"{API}/files/passages/{passage.pk}/audio"


def test_a_participant_hears_the_audio_while_the_session_runs(running_listening, students):
    passage = running_listening.test.passages.get(order=0)
    response = api(students[0]).get(audio_url(passage))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content == wav_bytes(2.0)
    assert response["Content-Type"] == "audio/wav" and response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(content))


def test_ranges_are_206_with_content_range(running_listening, students):
    passage = running_listening.test.passages.get(order=1)
    whole = wav_bytes(3.0)
    size = len(whole)
    client = api(students[0])
    for header, first, last in (("bytes=0-99", 0, 99), ("bytes=1000-", 1000, size - 1), ("bytes=-500", size - 500,
                                size - 1), (f"bytes=10-{size + 50}", 10, size - 1)):  # fmt: skip
        response = client.get(audio_url(passage), HTTP_RANGE=header)
        assert response.status_code == 206, header
        assert response["Content-Range"] == f"bytes {first}-{last}/{size}"
        assert b"".join(response.streaming_content) == whole[first : last + 1]
        assert response["Content-Length"] == str(last - first + 1)
    response = client.get(audio_url(passage), HTTP_RANGE=f"bytes={size}-")
    assert response.status_code == 416 and response["Content-Range"] == f"bytes */{size}"
    assert client.get(audio_url(passage), HTTP_RANGE="items=0-1").status_code == 200  # not a byte range: whole


def test_who_may_fetch_the_audio(running_listening, students, teacher, admin_user, make_user):
    passage = running_listening.test.passages.get(order=0)
    assert_error(api(None).get(audio_url(passage)), 401)
    assert_error(api(students[2]).get(audio_url(passage)), 404)  # a participant who has not joined: no attempt
    assert_error(api(make_user("STUDENT")).get(audio_url(passage)), 404)
    for staff in (teacher, admin_user):
        assert api(staff).get(audio_url(passage)).status_code == 200
    assert_error(api(students[0]).get(f"{API}/files/passages/999999/audio"), 404)
    assert_error(api(students[0]).get(f"{API}/files/passages/abc/audio"), 404)


def test_the_session_cookie_is_a_credential_too(running_listening, students, client):
    client.force_login(students[0])
    passage = running_listening.test.passages.get(order=0)
    assert client.get(audio_url(passage)).status_code == 200


def test_no_audio_while_paused_nor_once_over(running_listening, students, teacher):
    passage = running_listening.test.passages.get(order=0)
    session_pause(session=running_listening, by=teacher)
    assert_error(api(students[0]).get(audio_url(passage)), 403, "session_paused")
    assert api(teacher).get(audio_url(passage)).status_code == 200
    session_resume(session=running_listening, by=teacher)
    assert api(students[0]).get(audio_url(passage)).status_code == 200
    from sessions_app.services import session_complete

    session_complete(session=running_listening, by=teacher)
    assert_error(api(students[0]).get(audio_url(passage)), 404)


def test_a_practice_attempts_student_hears_it_while_the_attempt_is_open(teacher, school_class, students):
    test = listening_paper(teacher, part_seconds=(2.0,))
    practice = practice_publish(school_class=school_class, test=test, by=teacher)
    passage = test.passages.get()
    assert_error(api(students[0]).get(audio_url(passage)), 404)
    attempt = practice_attempt_start(practice=practice, student=students[0])
    assert api(students[0]).get(audio_url(passage)).status_code == 200
    assert_error(api(students[1]).get(audio_url(passage)), 404)
    attempt.status = AttemptStatus.SUBMITTED
    attempt.save(update_fields=["status"])
    assert_error(api(students[0]).get(audio_url(passage)), 404)


def test_a_question_image_route_is_404_without_an_image(running_listening, teacher):
    question = running_listening.test.questions.first()
    assert_error(api(teacher).get(f"{API}/files/questions/{question.pk}/image"), 404)


def test_an_edit_of_the_paper_keeps_each_parts_recording(teacher):
    from exams.services import test_edit

    test = listening_paper(teacher, part_seconds=(3.0, 4.0), minutes=10)
    data = listening_paper_data(parts=2, minutes=10)
    data["passages"][0]["text"] = "A corrected transcript."
    edited = test_edit(test=test, by=teacher, **data)
    assert list(edited.passages.order_by("order").values_list("audio_seconds", flat=True)) == [3.0, 4.0]
    assert Passage.objects.filter(test=edited, audio="").count() == 0
    with pytest.raises(Exception) as refused:
        test_edit(test=edited, by=teacher, **{**data, "time_limit_minutes": 2})
    assert refused.value.field == "time_limit_minutes"


# ---------------------------------------------------------------- the admin


def test_the_admin_uploads_a_parts_recording_with_the_same_checks(teacher, listening, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(teacher)
    first = listening.passages.get(order=0)
    url = f"/admin/exams/passage/{first.pk}/change/"
    assert client.get(url).status_code == 200
    form = {"test": listening.pk, "order": 0, "title": first.title, "text": first.text}
    refused = client.post(url, {**form, "recording": SimpleUploadedFile("x.wav", b"not audio", "audio/wav")})
    assert refused.status_code == 200 and "Not readable audio" in refused.content.decode()
    too_long = client.post(url, {**form, "recording": SimpleUploadedFile("x.wav", wav_bytes(481), "audio/x-wav")})
    assert too_long.status_code == 200 and "at least 11 minutes" in too_long.content.decode()
    first.refresh_from_db()
    assert not first.audio
    saved = client.post(url, {**form, "recording": SimpleUploadedFile("Part one.wav", wav_bytes(2), "audio/x-wav")})
    assert saved.status_code == 302
    first.refresh_from_db()
    assert first.audio.name.startswith("listening/part-one") and first.audio_seconds == pytest.approx(2.0)
    assert f"/api/v1/files/passages/{first.pk}/audio" in client.get(url).content.decode()
