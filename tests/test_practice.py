"""Practice attempts (contract: "Practice attempts (no session)"): a teacher publishes a paper to a class; each student
takes it alone, on the attempt's own clock; keys reach a student only after they hand in, and only if the teacher
chose so; the teacher sees every student's attempts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from attempts.models import AttemptEvent, AttemptStatus, Practice
from attempts.practice import practice_attempt_start, practice_publish
from exams.services import test_set_band_table
from realtime.clock import tick
from realtime.events import attempt_group
from tests.test_api_support import API, assert_error, bearer_client

pytestmark = pytest.mark.django_db

PRACTICE_FIELDS = {
    "id",
    "class_id",
    "test_id",
    "opens_at",
    "closes_at",
    "time_limit_minutes",
    "show_answers_after_submit",
}


def _publish(teacher, school_class, **body):
    return bearer_client(teacher).post(f"{API}/classes/{school_class.pk}/practice", body, format="json")


def _start(student, practice):
    return bearer_client(student).post(f"{API}/practice/{practice.pk}/attempts")


@pytest.fixture
def practice(teacher, school_class, paper):
    return practice_publish(school_class=school_class, test=paper, by=teacher)


def _answer_all(student, attempt_id, paper, *, wrong=()):
    client = bearer_client(student)
    for question in paper.questions.order_by("number"):
        answer = "nonsense" if question.number in wrong else question.answers[0]
        response = client.post(
            f"{API}/attempts/{attempt_id}/answers", {"question_id": question.pk, "answer": answer}, format="json"
        )
        assert response.status_code == 200, response.json()


# ---------------------------------------------------------------- publishing


def test_a_teacher_publishes_a_paper_to_their_class_with_the_paper_s_time_by_default(teacher, school_class, paper):
    response = _publish(teacher, school_class, test_id=paper.pk)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == PRACTICE_FIELDS
    assert body["class_id"] == school_class.pk and body["test_id"] == paper.pk
    assert (body["opens_at"], body["closes_at"], body["time_limit_minutes"]) == (None, None, 60)
    assert body["show_answers_after_submit"] is False


def test_publishing_takes_a_window_a_time_limit_and_the_answers_choice(teacher, school_class, paper):
    opens = timezone.now() + timedelta(days=1)
    response = _publish(
        teacher, school_class, test_id=paper.pk, opens_at=opens.isoformat(),
        closes_at=(opens + timedelta(days=7)).isoformat(), time_limit_minutes=20, show_answers_after_submit=True,
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert parse_datetime(body["opens_at"]) == opens.replace(microsecond=opens.microsecond)
    assert body["time_limit_minutes"] == 20 and body["show_answers_after_submit"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"test_id": 999999}, "test_id"),
        ({}, "test_id"),
        ({"time_limit_minutes": 0}, "time_limit_minutes"),
        ({"time_limit_minutes": 301}, "time_limit_minutes"),
        ({"opens_at": "2027-01-02T10:00:00Z", "closes_at": "2027-01-02T09:00:00Z"}, "closes_at"),
        ({"opens_at": "2027-01-02T10:00:00Z", "closes_at": "2027-01-02T10:00:00Z"}, "closes_at"),
    ],
)
def test_a_bad_publication_is_refused_naming_the_field_and_publishes_nothing(teacher, school_class, paper, body, field):
    body = {"test_id": paper.pk, **body} if field != "test_id" else body
    errors = assert_error(_publish(teacher, school_class, **body), 400)["errors"]
    assert field in errors
    assert not Practice.objects.exists()


def test_only_the_class_s_teachers_and_admins_publish(school_class, paper, students, make_user, admin_user):
    assert_error(_publish(students[0], school_class, test_id=paper.pk), 403)
    assert_error(_publish(make_user("TEACHER"), school_class, test_id=paper.pk), 404)
    assert _publish(admin_user, school_class, test_id=paper.pk).status_code == 201


# ---------------------------------------------------------------- who sees which practice


def test_staff_list_their_classes_practices_and_students_the_open_ones_of_their_classes(
    teacher, school_class, paper, students, make_user
):
    moment = timezone.now()
    open_now = practice_publish(school_class=school_class, test=paper)
    later = practice_publish(school_class=school_class, test=paper, opens_at=moment + timedelta(hours=1))
    closed = practice_publish(school_class=school_class, test=paper, closes_at=moment - timedelta(minutes=1))
    window = practice_publish(
        school_class=school_class,
        test=paper,
        opens_at=moment - timedelta(hours=1),
        closes_at=moment + timedelta(hours=1),
    )
    listed = lambda user: {item["id"] for item in _items(bearer_client(user).get(f"{API}/practice").json())}  # noqa: E731
    assert listed(teacher) == {open_now.pk, later.pk, closed.pk, window.pk}
    assert listed(students[0]) == {open_now.pk, window.pk}
    assert listed(make_user("STUDENT")) == set()
    assert listed(make_user("TEACHER")) == set()


def _items(body):
    return body["results"] if isinstance(body, dict) else body


# ---------------------------------------------------------------- starting an attempt


def test_a_student_starts_an_attempt_alone_on_its_own_clock(practice, students):
    before = timezone.now()
    response = _start(students[0], practice)
    assert response.status_code == 201, response.json()
    attempt = response.json()
    assert attempt["session_id"] is None and attempt["practice_id"] == practice.pk
    assert attempt["status"] == "IN_PROGRESS" and attempt["test_id"] == practice.test_id
    ends_at = parse_datetime(attempt["ends_at"])
    assert before + timedelta(minutes=60) <= ends_at <= timezone.now() + timedelta(minutes=60)
    assert attempt["score"] is None and attempt["band"] is None


def test_one_open_attempt_at_a_time_and_a_new_one_after_handing_in(practice, students):
    first = _start(students[0], practice).json()
    assert_error(_start(students[0], practice), 409, "attempt_in_progress")
    assert bearer_client(students[0]).post(f"{API}/attempts/{first['id']}/submit").status_code == 200
    second = _start(students[0], practice)
    assert second.status_code == 201 and second.json()["id"] != first["id"]
    assert _start(students[1], practice).status_code == 201  # one each: another student's is theirs


def test_a_practice_not_open_yet_or_closed_cannot_be_started(teacher, school_class, paper, students):
    moment = timezone.now()
    later = practice_publish(school_class=school_class, test=paper, opens_at=moment + timedelta(hours=1))
    closed = practice_publish(school_class=school_class, test=paper, closes_at=moment - timedelta(seconds=1))
    assert_error(_start(students[0], later), 409, "practice_not_open")
    assert_error(_start(students[0], closed), 409, "practice_not_open")
    assert not later.attempts.exists() and not closed.attempts.exists()


def test_staff_cannot_start_one_and_a_student_of_another_class_cannot_find_it(practice, teacher, make_user):
    assert_error(_start(teacher, practice), 403)
    assert_error(_start(make_user("STUDENT"), practice), 404)
    assert not practice.attempts.exists()


# ---------------------------------------------------------------- marks and keys


def test_the_score_is_shown_on_submit_and_no_key_before_or_without_the_teacher_s_choice(practice, students, paper):
    attempt = _start(students[0], practice).json()
    _answer_all(students[0], attempt["id"], paper, wrong={2})
    before = bearer_client(students[0]).get(f"{API}/attempts/{attempt['id']}").json()
    assert before["score"] is None
    assert all(set(item) == {"question_id", "answer", "answered_at"} for item in before["answers"])
    submitted = bearer_client(students[0]).post(f"{API}/attempts/{attempt['id']}/submit").json()
    assert submitted["status"] == "SUBMITTED" and submitted["score"] == 3 and submitted["band"] is not None
    assert all("correct" not in item and "accepted_answers" not in item for item in submitted["answers"])


def test_with_show_answers_a_submitted_attempt_carries_each_mark_and_the_accepted_answers(
    teacher, school_class, paper, students
):
    practice = practice_publish(school_class=school_class, test=paper, show_answers_after_submit=True)
    attempt = _start(students[0], practice).json()
    _answer_all(students[0], attempt["id"], paper, wrong={2})
    during = bearer_client(students[0]).get(f"{API}/attempts/{attempt['id']}").json()
    assert all("accepted_answers" not in item for item in during["answers"])
    body = bearer_client(students[0]).post(f"{API}/attempts/{attempt['id']}/submit").json()
    marks = {item["question_id"]: (item["correct"], item["accepted_answers"]) for item in body["answers"]}
    q2 = paper.questions.get(number=2)
    assert marks[q2.pk] == (False, ["B"])
    assert marks[paper.questions.get(number=3).pk] == (True, ["red wool", "wool"])


def test_every_attempt_body_names_its_practice_or_none(attempt_with_work, students):
    body = bearer_client(students[0]).get(f"{API}/attempts/{attempt_with_work.pk}").json()
    assert body["practice_id"] is None and body["session_id"] == attempt_with_work.session_id


# ---------------------------------------------------------------- results for the teacher


def test_the_teacher_sees_every_student_with_their_attempts_oldest_first(practice, teacher, students, paper):
    first = _start(students[0], practice).json()
    _answer_all(students[0], first["id"], paper)
    bearer_client(students[0]).post(f"{API}/attempts/{first['id']}/submit")
    second = _start(students[0], practice).json()
    response = bearer_client(teacher).get(f"{API}/practice/{practice.pk}/results")
    assert response.status_code == 200
    body = response.json()
    assert body["practice_id"] == practice.pk
    rows = {row["student_id"]: row for row in body["students"]}
    assert set(rows) == {student.pk for student in students}
    mine = rows[students[0].pk]
    assert mine["student_name"] == "Stu Dent1"
    assert [a["id"] for a in mine["attempts"]] == [first["id"], second["id"]]
    assert (mine["attempts"][0]["status"], mine["attempts"][0]["score"]) == ("SUBMITTED", 4)
    assert set(mine["attempts"][0]) == {"id", "status", "score", "band", "started_at", "submitted_at"}
    assert mine["attempts"][1]["status"] == "IN_PROGRESS" and mine["attempts"][1]["score"] is None
    assert rows[students[1].pk]["attempts"] == []


def test_results_are_for_the_class_s_staff_only(practice, students, make_user):
    assert_error(bearer_client(students[0]).get(f"{API}/practice/{practice.pk}/results"), 403)
    assert_error(bearer_client(make_user("TEACHER")).get(f"{API}/practice/{practice.pk}/results"), 404)


def test_the_class_s_teacher_reads_a_practice_attempt_and_another_teacher_cannot(
    practice, teacher, students, make_user
):
    attempt = practice_attempt_start(practice=practice, student=students[0])
    assert bearer_client(teacher).get(f"{API}/attempts/{attempt.pk}").status_code == 200
    assert_error(bearer_client(make_user("TEACHER")).get(f"{API}/attempts/{attempt.pk}"), 404)


def test_a_session_s_live_controls_refuse_a_practice_attempt_and_change_nothing(practice, teacher, students):
    attempt = practice_attempt_start(practice=practice, student=students[0])
    client = bearer_client(teacher)
    assert_error(
        client.post(f"{API}/attempts/{attempt.pk}/extra-time", {"seconds": 60}, format="json"), 409, "practice"
    )
    assert_error(client.post(f"{API}/attempts/{attempt.pk}/finish"), 409, "practice")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.IN_PROGRESS and attempt.extra_seconds == 0


# ---------------------------------------------------------------- the clock and paper versions


def test_the_clock_submits_a_practice_attempt_at_its_deadline_and_tells_its_socket(
    practice, students, django_capture_on_commit_callbacks
):
    attempt = practice_attempt_start(practice=practice, student=students[0])
    on_time = practice_attempt_start(practice=practice, student=students[1])
    practice.attempts.filter(pk=attempt.pk).update(ends_at=timezone.now() - timedelta(seconds=6))
    resyncs = listen_group(attempt_group(attempt.pk))
    with django_capture_on_commit_callbacks(execute=True):
        tick()
    attempt.refresh_from_db()
    on_time.refresh_from_db()
    assert attempt.status == AttemptStatus.SUBMITTED and attempt.score == 0
    assert on_time.status == AttemptStatus.IN_PROGRESS
    assert AttemptEvent.objects.get(attempt=attempt, type="attempt_submitted").data["reason"] == "TIME_UP"
    assert resyncs.events() == [{"type": "state.resync"}]
    tick()  # once only
    assert AttemptEvent.objects.filter(attempt=attempt, type="attempt_submitted").count() == 1


def test_an_edited_paper_moves_the_practice_on_and_leaves_taken_attempts_on_their_version(
    practice, teacher, students, paper
):
    taken = practice_attempt_start(practice=practice, student=students[0])
    test_set_band_table(test=paper, band_table=[[0, 1.0]])  # in use: a new version
    practice.refresh_from_db()
    assert practice.test_id != paper.pk and practice.test.paper_id == paper.pk
    taken.refresh_from_db()
    assert taken.test_id == paper.pk
    assert practice_attempt_start(practice=practice, student=students[1]).test_id == practice.test_id


class listen_group:
    """A real channel subscribed to one group, for the raw channel-layer events sent to it."""

    def __init__(self, group):
        import uuid

        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer

        self.sync, self.layer, self.channel = async_to_sync, get_channel_layer(), f"listener.{uuid.uuid4().hex}"
        self.sync(self.layer.group_add)(group, self.channel)

    def events(self, timeout=0.3):
        import asyncio

        async def drain():
            received = []
            while True:
                try:
                    received.append(await asyncio.wait_for(self.layer.receive(self.channel), timeout))
                except TimeoutError:
                    return received

        return self.sync(drain)()


# ---------------------------------------------------------------- the teacher's and the student's pages


def _logged_in(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_class_page_publishes_a_practice_and_shows_each_student_s_latest_result(
    teacher, school_class, paper, students
):
    page = _logged_in(teacher)
    url = reverse("teacher-class", args=[school_class.pk])
    response = page.post(
        url,
        {"action": "publish_practice", "test": paper.pk, "opens_at": "", "closes_at": "2030-01-02T10:00",
         "tz_offset": "-60", "time_limit_minutes": "20", "show_answers_after_submit": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    practice = Practice.objects.get()
    assert (practice.time_limit_minutes, practice.show_answers_after_submit) == (20, True)
    assert practice.closes_at.isoformat() == "2030-01-02T09:00:00+00:00"  # typed in UTC+1
    attempt = practice_attempt_start(practice=practice, student=students[0])
    _answer_all(students[0], attempt.pk, paper)
    bearer_client(students[0]).post(f"{API}/attempts/{attempt.pk}/submit")
    practice_attempt_start(practice=practice, student=students[0])
    html = page.get(url).content.decode()
    row = html[html.index(f'<tr data-student-id="{students[0].pk}">') :].split("</tr>")[0]
    assert "4 · band" in row and "in progress" in row and "2 attempts" in row
    other = html[html.index(f'<tr data-student-id="{students[1].pk}">') :].split("</tr>")[0]
    assert "—" in other


def test_a_bad_practice_form_is_shown_again_with_its_error_and_publishes_nothing(teacher, school_class, paper):
    response = _logged_in(teacher).post(
        reverse("teacher-class", args=[school_class.pk]),
        {"action": "publish_practice", "test": paper.pk, "opens_at": "2030-01-02T10:00",
         "closes_at": "2030-01-01T10:00"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "It must close after it opens." in response.content.decode()
    assert not Practice.objects.exists()


def test_the_practice_page_lists_every_student_and_is_for_the_class_s_staff(practice, teacher, students, make_user):
    practice_attempt_start(practice=practice, student=students[0])
    url = reverse("teacher-practice", args=[practice.pk])
    html = _logged_in(teacher).get(url).content.decode()
    assert "1 of 3 students have taken it." in html
    assert html.count("Not taken yet") == 2 and "In progress" in html
    assert _logged_in(make_user("TEACHER")).get(url).status_code == 404
    assert _logged_in(students[0]).get(url).status_code == 403


def test_my_sessions_offers_the_open_practice_and_starting_it_opens_the_attempt(practice, students):
    page = _logged_in(students[0])
    html = page.get(reverse("student-sessions")).content.decode()
    assert 'class="session-card practice-card"' in html and ">Start<" in html
    response = page.post(reverse("student-practice-start", args=[practice.pk]))
    attempt = practice.attempts.get(student=students[0])
    assert response.status_code == 302 and response.url == reverse("student-practice-attempt", args=[attempt.pk])
    assert page.post(reverse("student-practice-start", args=[practice.pk])).url == response.url  # the same one
    test_page = page.get(response.url)
    assert test_page.status_code == 200
    config = test_page.context["config"]
    assert config["ws_path"] == f"/api/v1/attempts/{attempt.pk}/ws" and config["session_id"] is None
    assert "accepted_answers" not in test_page.content.decode()
    assert _logged_in(students[1]).get(response.url).status_code == 404  # someone else's attempt


def test_a_student_removed_from_the_class_has_their_open_practice_attempt_abandoned(practice, school_class, students):
    from sessions_app.services import class_unenrol

    attempt = practice_attempt_start(practice=practice, student=students[0])
    class_unenrol(school_class=school_class, student_id=students[0].pk)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.ABANDONED
    assert_error(_start(students[0], practice), 404)


def test_the_admin_lists_practice_attempts_to_their_class_s_teachers_only(practice, teacher, students, make_user):
    outsider = make_user("TEACHER")
    attempt = practice_attempt_start(practice=practice, student=students[0])
    url = reverse("admin:attempts_attempt_changelist")
    assert f"/admin/attempts/attempt/{attempt.pk}/change/" in _logged_in(teacher).get(url).content.decode()
    assert f"/admin/attempts/attempt/{attempt.pk}/change/" not in _logged_in(outsider).get(url).content.decode()
    practices = reverse("admin:attempts_practice_changelist")
    assert _logged_in(teacher).get(practices).context["cl"].result_count == 1
    assert _logged_in(outsider).get(practices).context["cl"].result_count == 0


def test_an_admin_publishes_a_practice_in_the_admin_through_the_service(admin_user, school_class, paper):
    response = _logged_in(admin_user).post(
        reverse("admin:attempts_practice_add"),
        {"school_class": school_class.pk, "test": paper.pk, "opens_at_0": "", "opens_at_1": "", "closes_at_0": "",
         "closes_at_1": "", "time_limit_minutes": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    practice = Practice.objects.get()
    assert (practice.time_limit_minutes, practice.created_by) == (60, admin_user)


def test_a_practice_attempt_s_timeline_and_replay_open_from_the_practice_page(practice, teacher, students, make_user):
    attempt = practice_attempt_start(practice=practice, student=students[0])
    question = practice.test.questions.get(number=1)
    bearer_client(students[0]).post(
        f"{API}/attempts/{attempt.pk}/answers", {"question_id": question.pk, "answer": "TRUE"}, format="json"
    )
    page = _logged_in(teacher)
    listing = page.get(reverse("teacher-practice", args=[practice.pk])).content.decode()
    timeline_url = reverse("teacher-timeline", args=[attempt.pk])
    assert timeline_url in listing
    timeline = page.get(timeline_url)
    assert timeline.status_code == 200
    html = timeline.content.decode()
    assert "All attempts on this practice" in html and 'id="replay-time"' in html
    assert _logged_in(make_user("TEACHER")).get(timeline_url).status_code == 404
