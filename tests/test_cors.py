"""CORS (the contract's "Operations: CORS and metrics"): an origin of DJANGO_CORS_ALLOWED_ORIGINS may call the API
under /api/v1/ (preflights included) and open the sockets; any other origin gets no Access-Control-Allow-* header
and a refused handshake."""

import pytest
from django.test import Client

from realtime.tests.conftest import db_call, fresh_server_registration, ws  # noqa: F401

APP = "http://app.example:3000"
FOREIGN = "http://evil.example:3000"


@pytest.fixture
def cors(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]


def allow_headers(response) -> dict[str, str]:
    return {
        name.lower(): value
        for name, value in response.headers.items()
        if name.lower().startswith("access-control-allow-")
    }


def preflight(origin, path="/api/v1/sessions"):
    return Client().options(
        path,
        headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"},
    )  # fmt: skip


def listed(header: str) -> set[str]:
    return {item.strip().lower() for item in header.split(",")}


@pytest.mark.django_db
def test_an_allowed_origin_may_read_the_api(cors, teacher):
    client = Client()
    client.force_login(teacher)
    response = client.get("/api/v1/users/me", headers={"Origin": APP})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert "origin" in listed(response.headers["Vary"])


@pytest.mark.django_db
def test_an_allowed_origin_s_preflight_names_the_method_and_the_headers(cors):
    response = preflight(APP)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert "post" in listed(response.headers["Access-Control-Allow-Methods"])
    assert {"authorization", "content-type"} <= listed(response.headers["Access-Control-Allow-Headers"])
    assert "origin" in listed(response.headers["Vary"])


@pytest.mark.django_db
def test_another_origin_gets_no_cors_header(cors, teacher):
    client = Client()
    client.force_login(teacher)
    assert allow_headers(client.get("/api/v1/users/me", headers={"Origin": FOREIGN})) == {}
    assert allow_headers(preflight(FOREIGN)) == {}
    assert allow_headers(preflight("http://app.example:3001")) == {}


@pytest.mark.django_db
def test_without_the_setting_no_origin_gets_a_cors_header(teacher):
    client = Client()
    client.force_login(teacher)
    assert allow_headers(client.get("/api/v1/users/me", headers={"Origin": APP})) == {}
    assert allow_headers(preflight(APP)) == {}


@pytest.mark.django_db
def test_only_the_api_answers_cross_origin(cors):
    assert allow_headers(Client().get("/healthz", headers={"Origin": APP})) == {}
    assert allow_headers(preflight(APP, path="/accounts/login/")) == {}


@pytest.fixture
def waiting_session(session):
    from sessions_app.services import session_open_waiting_room

    return session_open_waiting_room(session=session)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("origin, accepted", [(APP, True), (FOREIGN, False)])
async def test_the_session_socket_accepts_an_allowed_origin_only(cors, ws, waiting_session, teacher, origin, accepted):  # noqa: F811
    socket = await ws(waiting_session.pk, user=teacher, origin=(b"origin", origin.encode()))
    assert socket.connected is accepted  # refused: closed before the accept, which daphne answers with 403


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("origin, accepted", [(APP, True), (FOREIGN, False)])
async def test_the_home_socket_accepts_an_allowed_origin_only(cors, ws, students, db_call, origin, accepted):  # noqa: F811
    client = Client()
    await db_call(client.force_login, students[0])
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    socket = await ws(None, cookie=cookie, path="/ws/me", origin=(b"origin", origin.encode()))
    assert socket.connected is accepted
