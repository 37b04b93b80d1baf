"""What the browser tests share: logging in as a user would, and a class of one student on a small paper."""

from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD


def login(page, url, username, landing="/my-sessions/", *, password=PASSWORD):
    """Log in through the login form and land where the user's role lands (a student: My sessions)."""
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{url}{landing}")


def class_of_one(make_user, paper: dict, **session_fields) -> dict:
    """Tess teaches Beacon 31, whose one student is Amira; a session of `paper` is scheduled for now, its waiting
    room not open yet."""
    from classes.services import class_create
    from exams.services import test_create
    from sessions_app.services import class_enrol, session_create

    teacher = make_user("TEACHER", username="tess", first_name="Tess", last_name="Teacher")
    student = make_user("STUDENT", username="amira", first_name="Amira", last_name="Haddad")
    klass = class_create(name="Beacon 31", created_by=teacher)
    class_enrol(school_class=klass, student=student)
    test = test_create(**paper, created_by=teacher)
    session = session_create(
        school_class=klass, test=test, title="Monday mock", scheduled_at=timezone.now(), created_by=teacher,
        **session_fields,
    )  # fmt: skip
    return {"teacher": teacher, "student": student, "class": klass, "paper": test, "session": session}
