"""The login lockout shared by the API token, the web login and the admin login: 10 failures for one username from
one address lock that pair for 15 minutes, even with the right password; other addresses and usernames are not
affected; the client address is the socket's peer unless a trusted proxy forwards it."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import PASSWORD
from ielts_site.security import client_address
from tests.test_api_support import API, assert_error

pytestmark = pytest.mark.django_db

ATTACKER = "198.51.100.7"
NEIGHBOUR = "198.51.100.8"


def token(username, password=PASSWORD, address=ATTACKER, **headers):
    client = APIClient(REMOTE_ADDR=address, **headers)
    return client.post(f"{API}/auth/token", {"username": username, "password": password})


def web_login(username, password=PASSWORD, address=ATTACKER, path="/accounts/login/"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(path, {"username": username, "password": password})
    return client, response


# ---------------------------------------------------------------- the API token


def test_ten_failures_lock_the_username_at_that_address_even_with_the_right_password(teacher):
    statuses = [token("teacher", "wrong").status_code for _ in range(10)]
    assert statuses == [401] * 9 + [429]  # the tenth failure already says so
    locked = token("teacher")
    body = assert_error(locked, 429, "throttled")
    assert 14 * 60 < body["retry_after"] <= 15 * 60
    assert int(locked.headers["Retry-After"]) == body["retry_after"]
    assert "Try again in 15 minutes" in body["detail"]


def test_the_lockout_leaves_other_addresses_and_other_usernames_alone(teacher, students):
    for _ in range(10):
        token("teacher", "wrong")
    assert token("teacher").status_code == 429
    assert token("teacher", address=NEIGHBOUR).status_code == 200  # the teacher from another address
    assert token("student1").status_code == 200  # a pupil behind the same NAT


def test_nine_failures_do_not_lock_and_a_success_starts_the_count_again(teacher):
    for _ in range(9):
        assert token("teacher", "wrong").status_code == 401
    assert token("teacher").status_code == 200
    for _ in range(9):
        assert token("teacher", "wrong").status_code == 401
    assert token("teacher").status_code == 200


def test_the_lockout_ends_after_15_minutes(teacher):
    for _ in range(10):
        token("teacher", "wrong")
    assert token("teacher").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert token("teacher").status_code == 200


def test_a_forged_forwarding_header_changes_nothing(teacher):
    for i in range(10):
        token("teacher", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    assert token("teacher", HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(teacher, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = "10.1.2.3"
    for _ in range(10):
        token("teacher", "wrong", address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert token("teacher", address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert token("teacher", address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


def test_client_address_trusts_only_the_listed_proxies(settings):
    factory = RequestFactory()

    def address(peer, forwarded=None):
        headers = {"REMOTE_ADDR": peer}
        if forwarded is not None:
            headers["HTTP_X_FORWARDED_FOR"] = forwarded
        return client_address(factory.get("/", **headers))

    settings.TRUSTED_PROXIES = []
    assert address("192.0.2.1", "203.0.113.5") == "192.0.2.1"
    settings.TRUSTED_PROXIES = ["10.0.0.1", "172.16.0.0/12"]
    assert address("10.0.0.1", "203.0.113.5") == "203.0.113.5"
    assert address("10.0.0.1", "6.6.6.6, 203.0.113.5, 172.16.0.9") == "203.0.113.5"  # a client's own hop is ignored
    assert address("192.0.2.1", "203.0.113.5") == "192.0.2.1"  # not a trusted proxy
    assert address("10.0.0.1", "not-an-address") == "10.0.0.1"
    assert address("10.0.0.1") == "10.0.0.1"


# ---------------------------------------------------------------- the pages


def test_the_web_login_locks_out_and_says_when_to_try_again(teacher):
    for _ in range(9):
        _, response = web_login("teacher", "wrong")
        assert response.status_code == 200 and b"Please enter a correct username" in response.content
    _, response = web_login("teacher", "wrong")
    assert response.status_code == 429
    client, response = web_login("teacher")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page and "Try again in 15 minutes (after " in page and "UTC)" in page
    assert "_auth_user_id" not in client.session
    other, response = web_login("teacher", address=NEIGHBOUR)
    assert response.status_code == 302 and other.session["_auth_user_id"] == str(teacher.pk)


def test_the_admin_login_locks_out_and_says_when_to_try_again(teacher):
    for _ in range(10):
        web_login("teacher", "wrong", path="/admin/login/")
    client, response = web_login("teacher", path="/admin/login/")
    page = response.content.decode()
    assert "Too many failed logins" in page and "Try again in 15 minutes" in page
    assert "_auth_user_id" not in client.session
    other, response = web_login("teacher", address=NEIGHBOUR, path="/admin/login/")
    assert response.status_code == 302 and other.session["_auth_user_id"] == str(teacher.pk)


def test_the_three_logins_share_one_count(teacher):
    for _ in range(4):
        web_login("teacher", "wrong")
    for _ in range(3):
        web_login("teacher", "wrong", path="/admin/login/")
    for _ in range(3):
        token("teacher", "wrong")
    assert_error(token("teacher"), 429, "throttled")
    _, response = web_login("teacher")
    assert response.status_code == 429
