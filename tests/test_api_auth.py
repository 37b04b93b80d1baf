"""Auth and users: JWT pair and refresh with the role claim, the login rate limit, /users/me, list and create."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import Role, User
from conftest import PASSWORD
from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db


def obtain(username, password=PASSWORD, client=None):
    return (client or APIClient()).post(f"{API}/auth/token", {"username": username, "password": password})


# ---------------------------------------------------------------- tokens


@pytest.mark.parametrize("slash", ["", "/"])
def test_token_pair_carries_user_id_and_role(teacher, slash):
    response = APIClient().post(f"{API}/auth/token{slash}", {"username": "teacher", "password": PASSWORD})
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    access = AccessToken(response.json()["access"])
    assert access["user_id"] == teacher.pk and access["role"] == "TEACHER"


def test_a_superuser_counts_as_admin_in_the_token(make_user):
    user = make_user(Role.STUDENT, username="root")
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    access = AccessToken(obtain("root").json()["access"])
    assert access["role"] == "ADMIN"


def test_the_access_token_lives_30_minutes_and_the_refresh_token_12_hours(teacher):
    from rest_framework_simplejwt.tokens import RefreshToken

    tokens = obtain("teacher").json()
    access, refresh = AccessToken(tokens["access"]), RefreshToken(tokens["refresh"])
    assert access["exp"] - access["iat"] == 30 * 60
    assert refresh["exp"] - refresh["iat"] == 12 * 3600


def test_wrong_password_or_unknown_user_is_401(teacher):
    assert_error(obtain("teacher", "wrong"), 401)
    assert_error(obtain("nobody", "wrong"), 401)


def test_missing_fields_are_400():
    body = assert_error(APIClient().post(f"{API}/auth/token", {}), 400, "invalid")
    assert set(body["errors"]) == {"username", "password"}


@pytest.mark.parametrize("slash", ["", "/"])
def test_refresh_rotates_and_keeps_the_role_claim(teacher, slash):
    tokens = obtain("teacher").json()
    response = APIClient().post(f"{API}/auth/token/refresh{slash}", {"refresh": tokens["refresh"]})
    assert response.status_code == 200
    body = response.json()
    assert body["refresh"] != tokens["refresh"]  # rotation
    access = AccessToken(body["access"])
    assert access["role"] == "TEACHER" and access["user_id"] == teacher.pk
    again = AccessToken(APIClient().post(f"{API}/auth/token/refresh", {"refresh": body["refresh"]}).json()["access"])
    assert again["role"] == "TEACHER"


def test_a_refreshed_access_token_follows_a_changed_role(make_user):
    make_user(Role.STUDENT, username="promoted")
    refresh = obtain("promoted").json()["refresh"]
    User.objects.filter(username="promoted").update(role=Role.TEACHER)
    access = AccessToken(APIClient().post(f"{API}/auth/token/refresh", {"refresh": refresh}).json()["access"])
    assert access["role"] == "TEACHER"


def test_refresh_with_a_bad_token_or_a_deleted_user_is_401(make_user):
    assert_error(APIClient().post(f"{API}/auth/token/refresh", {"refresh": "not-a-jwt"}), 401)
    user = make_user(Role.STUDENT, username="leaver")
    tokens = obtain("leaver").json()
    assert_error(APIClient().post(f"{API}/auth/token/refresh", {"refresh": tokens["access"]}), 401)  # wrong type
    user.delete()
    assert_error(APIClient().post(f"{API}/auth/token/refresh", {"refresh": tokens["refresh"]}), 401)


def test_the_access_token_authenticates_and_a_bad_one_is_401(teacher):
    access = obtain("teacher").json()["access"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get(f"{API}/users/me").json()["username"] == "teacher"
    client.credentials(HTTP_AUTHORIZATION="Bearer nonsense")
    body = assert_error(client.get(f"{API}/users/me"), 401)
    assert "{" not in body["detail"]  # a sentence, not a repr of simplejwt's nested detail
    anonymous = APIClient().get(f"{API}/users/me")
    assert_error(anonymous, 401, "not_authenticated")
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_logged_in_django_session_works_too(teacher):
    client = APIClient()
    client.force_login(teacher)
    assert client.get(f"{API}/users/me").json()["role"] == "TEACHER"


def test_an_inactive_user_gets_no_token(make_user):
    user = make_user(Role.STUDENT, username="gone")
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert_error(obtain("gone"), 401)


# ---------------------------------------------------------------- rate limit


THROTTLE_KEYS = ["throttle_login_127.0.0.1", "throttle_login_10.0.0.9"]


def test_the_token_endpoint_is_rate_limited_per_client(teacher, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "3/min"}}
    cache.delete_many(THROTTLE_KEYS)  # the counters live in the default cache (Redis when REDIS_URL is set)
    try:
        assert [obtain("teacher", "wrong").status_code for _ in range(3)] == [401, 401, 401]
        limited = obtain("teacher")  # even the right password, once over the limit
        body = assert_error(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) > 0 and body["detail"]
        assert cache.get("throttle_login_127.0.0.1")  # counted in the shared cache
        spoofing = APIClient(HTTP_X_FORWARDED_FOR="203.0.113.7")  # a made-up forwarding header changes nothing
        assert_error(obtain("teacher", client=spoofing), 429)
        other_client = APIClient(REMOTE_ADDR="10.0.0.9")
        assert obtain("teacher", client=other_client).status_code == 200
        # only the token endpoint is limited
        client = APIClient()
        client.force_login(teacher)
        assert all(client.get(f"{API}/users/me").status_code == 200 for _ in range(5))
    finally:
        cache.delete_many(THROTTLE_KEYS)


def test_the_default_login_rate_is_no_tighter_than_30_a_minute():
    from ielts_site import settings as real_settings

    with override_settings(REST_FRAMEWORK=real_settings.REST_FRAMEWORK):
        from accounts.views import LoginRateThrottle

        count, seconds = LoginRateThrottle().parse_rate(LoginRateThrottle().get_rate())
    assert count / seconds >= 30 / 60


# ---------------------------------------------------------------- users


@pytest.mark.parametrize("slash", ["", "/"])
def test_me(teacher, slash):
    response = api(teacher).get(f"{API}/users/me{slash}")
    assert response.status_code == 200
    assert response.json() == {
        "id": teacher.pk, "username": "teacher", "first_name": "Tess", "last_name": "Teacher", "role": "TEACHER",
    }  # fmt: skip


def test_me_needs_authentication():
    assert_error(APIClient().get(f"{API}/users/me"), 401)


def test_admin_lists_every_user_and_filters_by_role(admin_user, teacher, students):
    everyone = api(admin_user).get(f"{API}/users").json()
    assert {u["username"] for u in everyone} == {"admin", "teacher", "student1", "student2", "student3"}
    teachers = api(admin_user).get(f"{API}/users?role=TEACHER").json()
    assert [u["username"] for u in teachers] == ["teacher"]
    admins = api(admin_user).get(f"{API}/users/?role=ADMIN").json()
    assert [u["role"] for u in admins] == ["ADMIN"]


def test_teachers_list_students_only(admin_user, teacher, students):
    listed = api(teacher).get(f"{API}/users").json()
    assert {u["username"] for u in listed} == {"student1", "student2", "student3"}
    assert api(teacher).get(f"{API}/users?role=ADMIN").json() == []
    assert len(api(teacher).get(f"{API}/users?role=STUDENT").json()) == 3


def test_an_unknown_role_filter_is_400(admin_user):
    assert_error(api(admin_user).get(f"{API}/users?role=KING"), 400, "invalid")


def test_students_may_not_list_or_create_users(students):
    assert_error(api(students[0]).get(f"{API}/users"), 403)
    assert_error(api(students[0]).post(f"{API}/users", {"username": "x", "password": PASSWORD, "role": "STUDENT"}), 403)


def test_anonymous_may_not_list_users():
    assert_error(APIClient().get(f"{API}/users"), 401)


def test_a_teacher_creates_a_student(teacher):
    response = api(teacher).post(
        f"{API}/users", {"username": "newbie", "password": "a-long-pass-41", "role": "STUDENT", "first_name": "New"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "username": "newbie", "first_name": "New", "last_name": "", "role": "STUDENT"}
    assert obtain("newbie", "a-long-pass-41").status_code == 200
    assert "password" not in body


def test_a_teacher_may_not_create_a_teacher_or_admin(teacher):
    for role in ("TEACHER", "ADMIN"):
        assert_error(
            api(teacher).post(f"{API}/users", {"username": f"x{role}", "password": "a-long-pass-41", "role": role}), 403
        )
    assert not User.objects.filter(username__startswith="x").exists()


def test_an_admin_creates_any_role(admin_user):
    for role in ("STUDENT", "TEACHER", "ADMIN"):
        response = api(admin_user).post(
            f"{API}/users/", {"username": f"new{role.lower()}", "password": "a-long-pass-41", "role": role}
        )
        assert response.status_code == 201 and response.json()["role"] == role
    assert User.objects.get(username="newteacher").is_staff


def test_user_creation_validates(admin_user, students):
    client = api(admin_user)
    assert_error(
        client.post(f"{API}/users", {"username": "student1", "password": "a-long-pass-41", "role": "STUDENT"}),
        409,
        "username_taken",
    )
    body = assert_error(client.post(f"{API}/users", {"username": "bad name!", "password": "1", "role": "KING"}), 400)
    assert {"username", "role"} <= set(body["errors"])
    body = assert_error(client.post(f"{API}/users", {"username": "weak", "password": "123", "role": "STUDENT"}), 400)
    assert "password" in body["errors"]
    assert_error(client.post(f"{API}/users", {"username": "nopass", "role": "STUDENT"}), 400)
