"""Origin and headers: a WebSocket Origin must match the scheme, host and port of the server or of a listed origin;
every page carries a Content-Security-Policy that it passes with no inline script, and a Permissions-Policy."""

import re

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from realtime.handshake import origin_allowed
from realtime.tests.conftest import access_token, fresh_server_registration  # noqa: F401

# ---------------------------------------------------------------- the WebSocket Origin


def scope(origin, *, host=None, server=None, scheme="ws", extra=()):
    headers = [(b"origin", origin.encode())] if origin is not None else []
    if host is not None:
        headers.append((b"host", host.encode()))
    headers.extend(extra)
    result = {"type": "websocket", "scheme": scheme, "headers": headers}
    if server is not None:
        result["server"] = server
    return result


@pytest.mark.parametrize(
    "origin, allowed",
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),  # another of ALLOWED_HOSTS, same scheme and port
        ("http://127.0.0.1:9999", False),  # the probe's foreign port
        ("https://127.0.0.1:8000", False),  # another scheme
        ("http://127.0.0.1", False),  # port 80
        ("http://evil.example:8000", False),
        ("http://127.0.0.1.nip.io:8000", False),
        ("null", False),
        ("", False),
        ("http://127.0.0.1:8000/path", False),
        ("http://user@127.0.0.1:8000", False),
        ("http://127.0.0.1:notaport", False),
        (None, False),
    ],
)
def test_the_origin_must_match_the_servers_scheme_host_and_port(origin, allowed):
    assert origin_allowed(scope(origin, host="127.0.0.1:8000")) is allowed
    assert origin_allowed(scope(origin, server=("127.0.0.1", 8000))) is allowed  # no Host header: the socket's port


def test_without_host_or_server_the_schemes_default_port_is_the_servers():
    assert origin_allowed(scope("http://localhost"))
    assert not origin_allowed(scope("http://localhost:9999"))


def test_tls_and_a_trusted_proxys_https_header_make_the_scheme_https(settings):
    assert origin_allowed(scope("https://localhost", host="localhost", scheme="wss"))
    assert not origin_allowed(scope("http://localhost", host="localhost", scheme="wss"))
    proxied = scope("https://localhost", host="localhost", extra=[(b"x-forwarded-proto", b"https")])
    assert not origin_allowed(proxied)  # without SECURE_PROXY_SSL_HEADER the header is not believed
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert origin_allowed(proxied)


def test_listed_origins_must_match_exactly(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://school.example", "https://*.trusted.example"]
    settings.CORS_ALLOWED_ORIGINS = ["http://app.example:3000"]
    here = {"host": "127.0.0.1:8000"}
    assert origin_allowed(scope("https://school.example", **here))
    assert origin_allowed(scope("https://school.example:443", **here))
    assert not origin_allowed(scope("https://school.example:8443", **here))
    assert not origin_allowed(scope("http://school.example", **here))
    assert origin_allowed(scope("https://a.trusted.example", **here))
    assert not origin_allowed(scope("https://trusted.example.evil", **here))
    assert origin_allowed(scope("http://app.example:3000", **here))
    assert not origin_allowed(scope("http://app.example:3001", **here))
    assert not origin_allowed(scope("http://app.example", **here))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin, host, connected",
    [
        (b"http://127.0.0.1:9999", b"127.0.0.1:8000", False),
        (b"http://127.0.0.1:8000", b"127.0.0.1:8000", True),
        (b"http://localhost:8000", b"127.0.0.1:8000", True),
    ],
)
async def test_a_handshake_from_a_foreign_port_is_refused(session, teacher, origin, host, connected):
    from ielts_site.asgi import application

    url = f"/api/v1/sessions/{session.pk}/ws?token={access_token(teacher)}"
    communicator = WebsocketCommunicator(application, url, headers=[(b"origin", origin), (b"host", host)])
    communicator.scope["server"] = ("127.0.0.1", 8000)
    accepted, _ = await communicator.connect(timeout=5)
    assert accepted is connected
    await communicator.disconnect()


# ---------------------------------------------------------------- CSP and Permissions-Policy

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_passes_the_csp(response, *, styles_inline_ok=False):
    assert response.status_code == 200, response.status_code
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "microphone=()" in response.headers["Permissions-Policy"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.findall(html)
    assert not INLINE_HANDLER.findall(html)
    if not styles_inline_ok:
        assert directives["style-src"] == ["'self'"]
        assert not re.findall(r"<style[\s>]", html) and not STYLE_ATTRIBUTE.findall(html)


@pytest.fixture
def completed(running_session):
    from sessions_app.services import session_complete

    return session_complete(session=running_session)


@pytest.mark.django_db
def test_the_login_page_passes_the_csp():
    assert_passes_the_csp(Client().get("/accounts/login/"))


@pytest.mark.django_db
def test_the_teacher_pages_pass_the_csp(teacher, school_class, completed):
    client = Client()
    client.force_login(teacher)
    attempt = completed.attempts.first()
    for url in (
        reverse("teacher-dashboard"),
        reverse("teacher-class", args=[school_class.pk]),
        reverse("teacher-live", args=[completed.pk]),
        reverse("teacher-results", args=[completed.pk]),
        reverse("teacher-timeline", args=[attempt.pk]),
    ):
        assert_passes_the_csp(client.get(url))


@pytest.mark.django_db
def test_the_student_pages_pass_the_csp(running_session, students):
    client = Client()
    client.force_login(students[0])
    assert_passes_the_csp(client.get(reverse("student-sessions")))
    assert_passes_the_csp(client.get(reverse("student-test", args=[running_session.pk])))


@pytest.mark.django_db
def test_the_admin_passes_the_csp(admin_user, teacher, school_class, session, paper):
    client = Client()
    client.force_login(admin_user)
    for url in (
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{teacher.pk}/change/",
        f"/admin/accounts/user/{teacher.pk}/password/",
        "/admin/accounts/user/add/",
        "/admin/classes/class/",
        f"/admin/classes/class/{school_class.pk}/change/",
        "/admin/sessions_app/session/",
        f"/admin/sessions_app/session/{session.pk}/change/",
        "/admin/exams/test/",
        f"/admin/exams/test/{paper.pk}/change/",
    ):
        assert_passes_the_csp(client.get(url))
    assert_passes_the_csp(Client().get("/admin/login/"))


@pytest.mark.django_db
def test_the_api_docs_load_their_script_from_a_file(teacher):
    client = Client()
    client.force_login(teacher)
    page = client.get("/api/v1/docs")
    assert_passes_the_csp(page, styles_inline_ok=True)
    assert "?script" in page.content.decode()
    assert client.get("/api/v1/docs?script").headers["Content-Type"].startswith("application/javascript")


@pytest.mark.django_db
def test_api_answers_carry_the_headers_too(teacher):
    response = Client().get("/api/v1/users/me")
    assert "Content-Security-Policy" in response.headers and "Permissions-Policy" in response.headers
