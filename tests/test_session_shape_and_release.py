"""A session's own shape (the passages it covers, its length) and the release of its results, as the contract's
"Session shape, paper versions and results release" says: over REST, in marking and the student's view."""

from datetime import timedelta

import pytest

from attempts.services import attempt_answer, attempt_progress, attempt_submit
from ielts_site.errors import InvalidInput
from sessions_app.services import session_complete, session_open_waiting_room, session_start
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db


def create(teacher, school_class, paper, **extra):
    body = {"class_id": school_class.pk, "test_id": paper.pk, "title": "Part 2 practice",
            "scheduled_at": "2026-12-10T09:00:00Z", **extra}  # fmt: skip
    return api(teacher).post(f"{API}/sessions", body, format="json")


def started(session, students, connect_student):
    session_open_waiting_room(session=session)
    for student in students[:2]:
        connect_student(session, student)
    return session_start(session=session)


# ---------------------------------------------------------------- shape


def test_a_session_of_one_passage_with_its_own_length(teacher, school_class, paper, students, connect_student):
    second = paper.passages.get(order=1)
    response = create(teacher, school_class, paper, passage_ids=[second.pk], time_limit_minutes=20)
    assert response.status_code == 201
    body = response.json()
    assert body["passage_ids"] == [second.pk] and body["time_limit_minutes"] == 20

    from sessions_app.models import Session

    session = started(Session.objects.get(pk=body["id"]), students, connect_student)
    assert session.ends_at - session.started_at == timedelta(seconds=20 * _seconds_per_minute())
    attempt = session.attempts.get(student=students[0])
    first_passage_question = paper.questions.get(number=1)
    with pytest.raises(InvalidInput) as refused:
        attempt_answer(attempt=attempt, question_id=first_passage_question.pk, answer="TRUE")
    assert refused.value.code == "unknown_question"
    with pytest.raises(InvalidInput):
        attempt_progress(attempt=attempt, passage_index=1, question_index=2)  # one passage: index 0 only
    with pytest.raises(InvalidInput):
        attempt_progress(attempt=attempt, passage_index=0, question_index=0)  # question 1 is not in it
    attempt_progress(attempt=attempt, passage_index=0, question_index=2)  # question 3: the paper's numbering

    attempt_answer(attempt=attempt, question_id=paper.questions.get(number=3).pk, answer="red wool")
    attempt_submit(attempt=attempt)
    attempt.refresh_from_db()
    # 1 of the session's 2 questions scales to 20 of 40: band 5.5 on the Academic Reading table (19 and up)
    assert attempt.score == 1 and float(attempt.band) == 5.5

    paper_view = api(students[0]).get(f"{API}/tests/{paper.pk}")
    assert [p["id"] for p in paper_view.json()["passages"]] == [second.pk]
    stats = api(teacher).get(f"{API}/sessions/{session.pk}/stats").json()
    assert [q["number"] for q in stats["questions"]] == [3, 4]


def _seconds_per_minute():
    from django.conf import settings

    return settings.IELTS_SECONDS_PER_MINUTE


@pytest.mark.parametrize(
    "passage_ids",
    [[], ["x"], [999999]],
)
def test_passages_not_of_the_paper_are_refused_naming_the_field(teacher, school_class, paper, passage_ids):
    assert_error(create(teacher, school_class, paper, passage_ids=passage_ids), 400)
    assert not school_class.sessions.exists()


def test_passages_out_of_order_or_twice_are_refused(teacher, school_class, paper):
    first, second = paper.passages.order_by("order")
    for passage_ids in ([second.pk, first.pk], [first.pk, first.pk]):
        body = assert_error(create(teacher, school_class, paper, passage_ids=passage_ids), 400)
        assert "passage_ids" in body["errors"]
    assert_error(create(teacher, school_class, paper, time_limit_minutes=301), 400)
    assert not school_class.sessions.exists()


def test_the_shape_changes_while_scheduled_and_not_after(teacher, session, paper, students, connect_student):
    first = paper.passages.get(order=0)
    client = api(teacher)
    response = client.patch(f"{API}/sessions/{session.pk}", {"passage_ids": [first.pk], "time_limit_minutes": 15},
                            format="json")  # fmt: skip
    assert response.status_code == 200
    assert response.json()["passage_ids"] == [first.pk] and response.json()["time_limit_minutes"] == 15
    started(session, students, connect_student)
    assert_error(client.patch(f"{API}/sessions/{session.pk}", {"time_limit_minutes": 30}, format="json"), 409)
    assert client.get(f"{API}/sessions/{session.pk}").json()["time_limit_minutes"] == 15


# ---------------------------------------------------------------- results release


def test_manual_release_holds_score_and_band_until_the_teacher_releases(
    teacher, school_class, paper, students, connect_student
):
    from sessions_app.models import Session

    body = create(teacher, school_class, paper, results_release="MANUAL", review=True).json()
    session = started(Session.objects.get(pk=body["id"]), students, connect_student)
    attempt = session.attempts.get(student=students[0])
    attempt_answer(attempt=attempt, question_id=paper.questions.get(number=1).pk, answer="TRUE")
    student = api(students[0])
    submitted = student.post(f"{API}/attempts/{attempt.pk}/submit").json()
    assert submitted["status"] == "SUBMITTED" and submitted["score"] is None and submitted["band"] is None
    assert "accepted_answers" not in str(submitted) and "correct" not in submitted["answers"][0]
    teacher_view = api(teacher).get(f"{API}/attempts/{attempt.pk}").json()
    assert teacher_view["score"] == 1, "staff always see the mark"

    assert_error(api(teacher).post(f"{API}/sessions/{session.pk}/release-results"), 409)  # not completed yet
    session_complete(session=session)
    assert student.get(f"{API}/attempts/{attempt.pk}").json()["score"] is None
    assert_error(api(students[0]).post(f"{API}/sessions/{session.pk}/release-results"), 403)

    released = api(teacher).post(f"{API}/sessions/{session.pk}/release-results")
    assert released.status_code == 200 and released.json()["results_released_at"]
    seen = student.get(f"{API}/attempts/{attempt.pk}").json()
    assert seen["score"] == 1 and seen["band"] is not None
    assert seen["answers"] == [{**seen["answers"][0], "correct": True, "accepted_answers": ["TRUE"]}]
    assert_error(api(teacher).post(f"{API}/sessions/{session.pk}/release-results"), 409)  # once
    assert_error(api(teacher).patch(f"{API}/sessions/{session.pk}", {"review": False}, format="json"), 409)


def test_on_complete_release_shows_results_at_completion_and_refuses_a_manual_release(
    teacher, school_class, paper, students, connect_student
):
    from sessions_app.models import Session

    body = create(teacher, school_class, paper, results_release="ON_COMPLETE").json()
    session = started(Session.objects.get(pk=body["id"]), students, connect_student)
    attempt = session.attempts.get(student=students[0])
    student = api(students[0])
    assert student.post(f"{API}/attempts/{attempt.pk}/submit").json()["score"] is None
    session_complete(session=session)
    session.refresh_from_db()
    assert session.results_released_at == session.completed_at
    assert student.get(f"{API}/attempts/{attempt.pk}").json()["score"] == 0
    assert_error(api(teacher).post(f"{API}/sessions/{session.pk}/release-results"), 409)


def test_immediate_release_shows_the_score_at_submit(session, paper, students, connect_student):
    started(session, students, connect_student)
    attempt = session.attempts.get(student=students[0])
    assert api(students[0]).post(f"{API}/attempts/{attempt.pk}/submit").json()["score"] == 0


def test_reopening_an_attempt_whose_keys_were_shown_is_refused(teacher, school_class, paper, students, connect_student):
    from sessions_app.models import Session

    body = create(teacher, school_class, paper, review=True).json()  # IMMEDIATE: shown at the submit
    session = started(Session.objects.get(pk=body["id"]), students, connect_student)
    attempt = session.attempts.get(student=students[0])
    attempt_submit(attempt=attempt)
    refused = api(teacher).post(f"{API}/attempts/{attempt.pk}/reopen", {"seconds": 60}, format="json")
    assert_error(refused, 409, "keys_shown")
    attempt.refresh_from_db()
    assert attempt.status == "SUBMITTED"
