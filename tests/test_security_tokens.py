"""Refresh tokens that can be revoked: rotation refuses the old token, logout revokes one, a password change or a
deactivation (by any path) revokes them all; a refresh token's lifetime is absolute; access tokens of a
deactivated user stop working."""

import time

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from conftest import PASSWORD
from tests.test_api_support import API, assert_error

pytestmark = pytest.mark.django_db


def login(username="teacher", password=PASSWORD):
    response = APIClient().post(f"{API}/auth/token", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def refresh(token):
    return APIClient().post(f"{API}/auth/token/refresh", {"refresh": token})


def me(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(f"{API}/users/me")


def test_a_rotated_refresh_token_is_refused(teacher):
    first = login()["refresh"]
    rotated = refresh(first)
    assert rotated.status_code == 200 and set(rotated.json()) == {"access", "refresh"}
    assert_error(refresh(first), 401)  # the old one, again
    assert_error(refresh(first), 401)
    second = rotated.json()["refresh"]
    assert refresh(second).status_code == 200  # the new one works once
    assert_error(refresh(second), 401)


@pytest.mark.parametrize("slash", ["", "/"])
def test_logout_revokes_the_refresh_token(teacher, slash):
    tokens = login()
    response = APIClient().post(f"{API}/auth/logout{slash}", {"refresh": tokens["refresh"]})
    assert response.status_code == 204 and response.content == b""
    assert_error(refresh(tokens["refresh"]), 401)
    assert_error(APIClient().post(f"{API}/auth/logout", {"refresh": tokens["refresh"]}), 401)  # already revoked


def test_logout_validates_its_body(teacher):
    assert_error(APIClient().post(f"{API}/auth/logout", {}), 400, "invalid")
    assert_error(APIClient().post(f"{API}/auth/logout", {"refresh": "not-a-jwt"}), 401)
    assert_error(APIClient().post(f"{API}/auth/logout", {"refresh": login()["access"]}), 401)  # wrong type


def test_a_password_change_revokes_every_refresh_token_of_that_user(teacher, students):
    mine = [login()["refresh"] for _ in range(3)]
    pupils = login("student1")["refresh"]
    teacher.set_password("a-new-pass-8642")
    teacher.save()
    for token in mine:
        assert_error(refresh(token), 401)
    assert refresh(pupils).status_code == 200  # another user's are untouched
    assert refresh(login("teacher", "a-new-pass-8642")["refresh"]).status_code == 200


def test_a_password_change_in_the_admin_revokes_them(admin_user, students):
    token = login("student1")["refresh"]
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        f"/admin/accounts/user/{students[0].pk}/password/",
        {"password1": "a-new-pass-8642", "password2": "a-new-pass-8642", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:2000]
    assert_error(refresh(token), 401)


def test_a_password_written_around_set_password_revokes_them(teacher):
    from django.contrib.auth.hashers import make_password

    token = login()["refresh"]
    teacher.password = make_password("a-new-pass-8642")
    teacher.save(update_fields=["password"])
    assert_error(refresh(token), 401)


def test_a_deactivation_revokes_refresh_tokens_and_stops_access_tokens(teacher):
    tokens = login()
    assert me(tokens["access"]).status_code == 200
    teacher.is_active = False
    teacher.save()
    assert_error(refresh(tokens["refresh"]), 401)
    assert_error(me(tokens["access"]), 401)
    teacher.is_active = True
    teacher.save()
    assert_error(refresh(tokens["refresh"]), 401)  # revoked for good, not just while inactive


def test_saving_other_fields_revokes_nothing(teacher):
    token = login()["refresh"]
    teacher.first_name = "Renamed"
    teacher.save()
    assert refresh(token).status_code == 200


def test_the_refresh_lifetime_is_absolute_and_rotation_keeps_it(teacher):
    first = login()["refresh"]
    original = RefreshToken(first)
    assert original["exp"] - original["iat"] == 12 * 3600
    time.sleep(1.1)
    rotated = refresh(first).json()
    successor = RefreshToken(rotated["refresh"])
    assert successor["exp"] == original["exp"]  # not extended
    assert successor["iat"] > original["iat"] and successor["orig_iat"] == original["iat"]
    assert successor["jti"] != original["jti"]
    access = AccessToken(rotated["access"])
    assert access["exp"] <= original["exp"] and access["role"] == "TEACHER"


def test_the_refresh_lifetime_follows_its_setting(teacher, settings):
    from rest_framework_simplejwt.settings import api_settings

    assert api_settings.REFRESH_TOKEN_LIFETIME.total_seconds() == 12 * 3600
    from ielts_site import settings as real_settings

    assert real_settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].total_seconds() == 12 * 3600


def test_an_expired_refresh_token_is_refused_even_if_never_rotated(teacher):
    token = RefreshToken(login()["refresh"])
    token.set_exp(lifetime=-RefreshToken.lifetime)  # re-signed with an expiry in the past
    assert_error(refresh(str(token)), 401)


def test_an_access_token_minted_near_the_end_does_not_outlive_its_refresh_token(teacher):
    token = RefreshToken(login()["refresh"])
    token["exp"] = int(time.time()) + 60  # a minute left of the login's 12 hours
    successor = refresh(str(token)).json()
    assert AccessToken(successor["access"])["exp"] <= token["exp"]
    assert RefreshToken(successor["refresh"])["exp"] == token["exp"]


def test_a_deactivated_users_access_token_is_refused_on_the_socket_path_too(teacher):
    from realtime.handshake import _user_for_access_token

    access = login()["access"]
    assert _user_for_access_token(access) == teacher
    User.objects.filter(pk=teacher.pk).update(is_active=False)
    assert _user_for_access_token(access) is None


def test_logout_works_with_an_expired_access_token_in_the_header(teacher):
    tokens = login()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer expired-or-garbage")
    assert client.post(f"{API}/auth/logout", {"refresh": tokens["refresh"]}).status_code == 204
