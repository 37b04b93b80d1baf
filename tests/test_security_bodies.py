"""Errors that stay JSON and small: a body that is not JSON, nests deeper than 64 levels, exceeds 1 MiB or has an
unsupported media type gets the contract's `{code, detail}` with 400/413/415 and no traceback; a page input that
names an object is validated (400 or 404, never 500)."""

import json
import logging

import httpx
import pytest
from django.core.asgi import get_asgi_application
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.test_api_support import API, assert_error
from tests.test_api_support import bearer_client as api

pytestmark = pytest.mark.django_db
MIB = 1024 * 1024


def post_raw(path, body: bytes | str, content_type="application/json", client=None):
    return (client or APIClient()).generic("POST", path, body, content_type=content_type)


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("levels", [65, 999, 10_000, 100_000])
def test_json_nested_too_deep_is_400_too_deep_with_no_traceback(levels, caplog):
    with caplog.at_level(logging.ERROR):
        response = post_raw(f"{API}/auth/token", nested(levels))
    body = assert_error(response, 400, "too_deep")
    assert "64" in body["detail"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_objects_count_as_levels_too_and_64_is_fine(teacher):
    deep_object = '{"a":' * 65 + "1" + "}" * 65
    assert_error(post_raw(f"{API}/auth/token", deep_object), 400, "too_deep")
    ok = json.dumps({"username": "teacher", "password": "x", "extra": json.loads(nested(62))})  # 64 levels in all
    assert post_raw(f"{API}/auth/token", ok).status_code == 401  # parsed; the password is wrong


@pytest.mark.parametrize("body", ["{not json", '{"username": "a", "password": NaN}', "\xff\xfe", ""])
def test_a_body_that_is_not_json_is_400_parse_error(body):
    raw = body.encode("latin-1")
    response = post_raw(f"{API}/auth/token", raw)
    if body == "":
        assert_error(response, 400, "invalid")  # an empty body is no data: the fields are missing
    else:
        assert_error(response, 400, "parse_error")


def test_a_body_over_one_mib_is_413_too_large(teacher):
    body = json.dumps({"username": "teacher", "password": "x" * (MIB + 1)})
    response = post_raw(f"{API}/auth/token", body)
    assert_error(response, 413, "too_large")
    assert len(response.content) < 200


def test_a_20_mib_body_is_413_json_on_the_api_and_on_pages(teacher):
    body = b"x" * (20 * MIB)
    assert_error(post_raw(f"{API}/auth/token", body), 413, "too_large")
    assert_error(post_raw(f"{API}/sessions", body, client=api(teacher)), 413, "too_large")
    page = Client().generic("POST", "/accounts/login/", body, content_type="application/x-www-form-urlencoded")
    assert_error(page, 413, "too_large")


def test_a_body_just_under_the_limit_is_read():
    body = json.dumps({"username": "u", "password": "p" * (MIB - 100)})
    assert post_raw(f"{API}/auth/token", body).status_code == 401  # parsed: the password is wrong


def test_a_content_length_that_is_no_number_is_400():
    response = APIClient().post(f"{API}/auth/token", {}, format="json", CONTENT_LENGTH="lots")
    assert_error(response, 400, "parse_error")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"],
)
def test_an_unsupported_media_type_is_415(content_type, teacher):
    response = post_raw(f"{API}/auth/token", "username=teacher&password=x", content_type=content_type)
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.django_db(transaction=True)
async def test_a_chunked_body_over_the_limit_is_413_under_asgi():
    """No Content-Length (chunked): Django spools the body; the middleware measures it."""

    async def chunks():
        for _ in range(3):
            yield b"x" * (MIB // 2)

    transport = httpx.ASGITransport(app=get_asgi_application())
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        response = await client.post(
            f"{API}/auth/token", content=chunks(), headers={"content-type": "application/json"}
        )
        assert "content-length" not in response.request.headers
        assert response.status_code == 413 and response.json()["code"] == "too_large"
        small = await client.post(f"{API}/auth/token", content=b"[[[[", headers={"content-type": "application/json"})
        assert small.status_code == 400 and small.json()["code"] == "parse_error"


# ---------------------------------------------------------------- page inputs that name an object


@pytest.mark.parametrize("student_id", ["abc", "", "1.5", "-3", "0", "99999999999999999999", "١٢", "1 OR 1=1"])
@pytest.mark.parametrize("action", ["enrol", "remove"])
def test_a_bad_student_id_on_the_class_page_is_400_with_a_message(teacher, school_class, action, student_id):
    client = Client()
    client.force_login(teacher)
    url = reverse("teacher-class", args=[school_class.pk])
    response = client.post(url, {"action": action, "student_id": student_id})
    assert response.status_code == 400
    assert "Choose a student from the list." in response.content.decode()


def test_an_unknown_student_id_on_the_class_page_is_404(teacher, school_class):
    client = Client()
    client.force_login(teacher)
    url = reverse("teacher-class", args=[school_class.pk])
    assert client.post(url, {"action": "enrol", "student_id": "987654321"}).status_code == 404


def test_a_search_term_with_a_newline_is_carried_safely_in_the_redirect(teacher, school_class, make_user):
    newcomer = make_user("STUDENT", username="newcomer")
    client = Client()
    client.force_login(teacher)
    url = reverse("teacher-class", args=[school_class.pk])
    response = client.post(url, {"action": "enrol", "student_id": newcomer.pk, "q": "new\r\nSet-Cookie: x=1&y"})
    assert response.status_code == 302
    assert "\n" not in response["Location"] and "q=new%0D%0ASet-Cookie%3A+x%3D1%26y" in response["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/teacher/classes/99999999999999999999/",
        "/teacher/sessions/99999999999999999999/live/",
        "/teacher/sessions/99999999999999999999/results/",
        "/teacher/sessions/99999999999999999999/results.csv",
        "/teacher/attempts/99999999999999999999/timeline/",
        "/sessions/99999999999999999999/test/",
    ],
)
def test_an_id_too_large_for_the_database_in_a_page_url_is_404(teacher, students, path):
    client = Client()
    client.force_login(students[0] if path.startswith("/sessions/") else teacher)
    assert client.get(path).status_code == 404
