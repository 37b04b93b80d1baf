"""The student's home page without a browser: the banner back to a running test, the dates of finished sessions,
what keeps it fresh (never cached, the home socket's address); and the styled 403 and 404 pages, each with a way
back, while the API keeps answering JSON."""

import pytest

from attempts.services import attempt_submit
from sessions_app.services import session_cancel, session_complete, session_create

pytestmark = pytest.mark.django_db


def _home(client, student):
    client.force_login(student)
    response = client.get("/my-sessions/")
    assert response.status_code == 200
    return response.content.decode()


def _finished_part(content: str) -> str:
    return content[content.index('id="finished-title"') : content.index("</main>")]


def test_a_running_test_is_named_first_with_the_way_back_to_it(client, running_session, students):
    content = _home(client, students[0])
    banner = content[content.index('id="running-banner"') : content.index('id="open-title"')]
    assert "Your test is running" in banner and running_session.title in banner
    assert f'href="/sessions/{running_session.pk}/test/"' in banner and "Return to the test" in banner


def test_no_banner_once_the_attempt_is_handed_in_nor_for_a_student_without_one(client, running_session, students):
    attempt_submit(attempt=running_session.attempts.get(student=students[0]))
    assert "Your test is" not in _home(client, students[0])
    assert "Your test is" not in _home(client, students[2])  # absent at the start: no attempt yet


def test_a_paused_test_says_so(client, running_session, students, teacher):
    from sessions_app.services import session_pause

    session_pause(session=running_session, by=teacher)
    assert "Your test is paused" in _home(client, students[0])


def test_the_page_is_never_served_from_the_browser_s_cache_and_names_its_socket(client, students, session):
    client.force_login(students[0])
    response = client.get("/my-sessions/")
    assert "no-store" in response["Cache-Control"]
    content = response.content.decode()
    assert 'data-socket-path="/ws/me"' in content and "student/home.js" in content


def test_finished_sessions_show_when_they_were_handed_in_completed_or_planned(
    client, running_session, students, school_class, paper, teacher
):
    handed_in = running_session.attempts.get(student=students[0])
    attempt_submit(attempt=handed_in)
    session_complete(session=running_session, by=teacher)
    running_session.refresh_from_db()
    handed_in.refresh_from_db()
    cancelled = session_create(
        school_class=school_class, test=paper, title="Called off", scheduled_at=running_session.scheduled_at,
        created_by=teacher,
    )  # fmt: skip
    session_cancel(session=cancelled, by=teacher)

    submitted = _finished_part(_home(client, students[0]))
    assert f'Submitted <time datetime="{handed_in.submitted_at.isoformat()}">' in submitted
    absent = _finished_part(_home(client, students[2]))  # no attempt: the session's completion
    assert f'Completed <time datetime="{running_session.completed_at.isoformat()}">' in absent
    assert f'Planned for <time datetime="{cancelled.scheduled_at.isoformat()}">' in absent


@pytest.fixture
def live_errors(settings):
    settings.DEBUG = False


@pytest.mark.parametrize(
    ("role", "way_back", "label"),
    [
        (None, "/accounts/login/", "Log in"),
        ("STUDENT", "/my-sessions/", "Back to My sessions"),
        ("TEACHER", "/teacher/", "Back to the dashboard"),
    ],
)
def test_an_unknown_page_is_the_styled_404_with_a_way_back(live_errors, client, make_user, role, way_back, label):
    if role:
        client.force_login(make_user(role))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    content = response.content.decode()
    assert 'class="skip-link"' in content and "Page not found" in content  # extends base.html
    assert f'href="{way_back}">{label}</a>' in content


def test_a_student_on_a_teacher_s_page_gets_the_styled_403_with_a_way_back(live_errors, client, students):
    client.force_login(students[0])
    response = client.get("/teacher/")
    assert response.status_code == 403
    content = response.content.decode()
    assert "You cannot open this page" in content and "for teachers and admins" in content
    assert 'href="/my-sessions/">Back to My sessions</a>' in content


@pytest.mark.parametrize("path", ["/api/v1/no-such-route", "/api/v1/sessions/987654321", "/api/v1/sessions/987654321/"])
def test_the_api_still_answers_404_in_json(live_errors, client, teacher, path):
    client.force_login(teacher)
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
