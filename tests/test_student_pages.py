"""The student's pages without a browser: login and landing by role, "My sessions", who may open the
test page, and what it carries (the paper only once the test runs, never a key)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import PASSWORD, paper_data
from exams.presentation import option_choice, word_limit_text

pytestmark = pytest.mark.django_db


def page_config(response) -> dict:
    content = response.content.decode()
    start = content.index(">", content.index('id="student-test-config"')) + 1
    return json.loads(content[start : content.index("</script>", start)])


def test_the_login_page_is_the_styled_site_page(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="skip-link"' in content and "student/pages.css" in content  # extends base.html
    assert 'autocomplete="username"' in content and 'autocomplete="current-password"' in content


def test_a_wrong_password_is_said_plainly(client, students):
    response = client.post("/accounts/login/", {"username": students[0].username, "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_home_asks_for_a_login_first(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/accounts/login/?next=/"


@pytest.mark.parametrize(
    ("role", "landing"), [("STUDENT", "/my-sessions/"), ("TEACHER", "/teacher/"), ("ADMIN", "/teacher/")]
)
def test_login_lands_each_role_on_its_page(client, make_user, role, landing):
    user = make_user(role)
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    response = client.get("/")
    assert response.status_code == 302 and response.url == landing


def test_logout_is_a_post(client, students):
    client.force_login(students[0])
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert client.get("/my-sessions/").status_code == 302


def test_my_sessions_lists_upcoming_open_and_finished_from_the_database(
    client, make_user, students, school_class, paper, teacher, session, connect_student
):
    from classes.services import class_create
    from sessions_app.services import (
        class_enrol,
        session_complete,
        session_create,
        session_open_waiting_room,
        session_start,
    )

    def new_session(title, klass=school_class):
        return session_create(
            school_class=klass, test=paper, title=title, scheduled_at=timezone.now() + timedelta(hours=2),
            created_by=teacher,
        )  # fmt: skip

    waiting = new_session("Waiting room open")
    session_open_waiting_room(session=waiting)
    finished = new_session("Last week's mock")
    session_open_waiting_room(session=finished)
    connect_student(finished, students[0])
    session_start(session=finished)
    session_complete(session=finished)
    other_class = class_create(name="Another class", created_by=teacher)
    class_enrol(school_class=other_class, student=make_user("STUDENT"))
    new_session("Not mine", klass=other_class)

    client.force_login(students[0])
    response = client.get("/my-sessions/")
    assert response.status_code == 200
    content = response.content.decode()
    open_now, upcoming, done = (
        content[content.index(a) : content.index(b)]
        for a, b in [("Open now", "Upcoming"), ("Upcoming", "Finished"), ("Finished", "</main>")]
    )
    assert "Waiting room open" in open_now and "Enter the waiting room" in open_now
    assert f'href="/sessions/{waiting.pk}/test/"' in open_now
    assert session.title in upcoming
    attempt = finished.attempts.get(student=students[0])
    assert "Last week" in done and f"Score {attempt.score} · Band {attempt.band}" in done
    assert "Not mine" not in content


def test_staff_are_sent_to_their_own_pages(client, teacher, session):
    client.force_login(teacher)
    assert client.get("/my-sessions/").url == "/teacher/"
    response = client.get(f"/sessions/{session.pk}/test/")
    assert response.status_code == 302 and response.url == f"/teacher/sessions/{session.pk}/live/"


def test_the_test_page_is_only_for_the_session_s_students(client, make_user, session):
    response = client.get(f"/sessions/{session.pk}/test/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    client.force_login(make_user("STUDENT"))
    assert client.get(f"/sessions/{session.pk}/test/").status_code == 404
    assert client.get("/sessions/999999/test/").status_code == 404


def test_the_waiting_room_does_not_carry_the_paper(client, students, session, paper):
    from sessions_app.services import session_open_waiting_room

    session_open_waiting_room(session=session)
    client.force_login(students[0])
    response = client.get(f"/sessions/{session.pk}/test/")
    assert response.status_code == 200
    config = page_config(response)
    assert config["status"] == "WAITING_FOR_STUDENTS" and config["paper_loaded"] is False
    assert config["passages"] == [] and config["questions"] == [] and config["attempt"] is None
    content = response.content.decode()
    assert "red wool trade" not in content and 'id="test-screen"' not in content
    assert config["ws_path"] == f"/api/v1/sessions/{session.pk}/ws" and "token" not in config["ws_path"]


def test_the_running_test_carries_the_paper_and_never_a_key(client, teacher, students, school_class, connect_student):
    from exams.services import test_create
    from sessions_app.services import session_create, session_open_waiting_room, session_start

    data = paper_data(passages=3, per_passage=2)
    for passage in data["passages"]:
        for question in passage["questions"]:
            question["answers"] = [f"KEY{question['number']}ZEBRA"]
    paper = test_create(**data, created_by=teacher)
    running = session_create(
        school_class=school_class, test=paper, title="Keys stay home", scheduled_at=timezone.now(), created_by=teacher
    )
    session_open_waiting_room(session=running)
    connect_student(running, students[0])
    session_start(session=running)

    client.force_login(students[0])
    response = client.get(f"/sessions/{running.pk}/test/")
    content = response.content.decode()
    assert "ZEBRA" not in content
    config = page_config(response)
    assert config["paper_loaded"] is True
    assert [p["text"] for p in config["passages"]] == [p.text for p in paper.passages.order_by("order")]
    assert [set(q) for q in config["questions"]] == [
        {"id", "number", "type", "passage_id", "passage_index", "word_limit"}
    ] * 6
    assert config["attempt"]["status"] == "IN_PROGRESS" and config["ends_at"] == config["attempt"]["ends_at"]
    assert content.count('class="question"') == 6 and content.count('role="tab"') == 3
    assert "NO MORE THAN TWO WORDS" in content and 'value="NOT GIVEN"' in content
    # A student of the class who was not connected at the start gets no paper until they join.
    client.force_login(students[2])
    assert page_config(client.get(f"/sessions/{running.pk}/test/"))["paper_loaded"] is False


def test_a_finished_attempt_shows_its_result(client, students, running_session):
    from sessions_app.services import session_complete

    session_complete(session=running_session)
    attempt = running_session.attempts.get(student=students[0])
    client.force_login(students[0])
    content = client.get(f"/sessions/{running_session.pk}/test/").content.decode()
    assert 'id="screen-finished" class="screen screen-message" aria-labelledby' in content  # not hidden
    assert f'id="finished-score">{attempt.score}<' in content and f'id="finished-band">{attempt.band}<' in content
    assert 'id="test-screen"' not in content


@pytest.mark.parametrize(
    ("limit", "text"), [(None, ""), (1, "ONE WORD ONLY"), (2, "NO MORE THAN TWO WORDS"), (12, "NO MORE THAN 12 WORDS")]
)
def test_word_limits_read_as_on_the_paper(limit, text):
    assert word_limit_text(limit) == text


def test_options_answer_with_their_letter():
    assert option_choice("B  timber, wool and salt") == {"value": "B", "letter": "B", "label": "timber, wool and salt"}
    assert option_choice("iv. The end of an era")["value"] == "iv"
    assert option_choice("Lonely")["value"] == "Lonely"
