"""OpenAPI: the schema at /api/v1/schema, Swagger UI at /api/v1/docs from local assets, the browsable API for staff."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from tests.test_api_support import API

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slash", ["", "/"])
def test_the_schema_is_served(slash):
    response = Client().get(f"{API}/schema{slash}", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    expected = [
        "/auth/token", "/auth/token/refresh", "/users/me", "/tests/{id}", "/classes/{id}/students/{student_id}",
        "/sessions/{id}/start-waiting", "/sessions/{id}/stats", "/sessions/{id}/analysis", "/sessions/my-sessions",
        "/attempts/{id}/answers",
    ]  # fmt: skip
    for path in expected:
        assert f"/api/v1{path}" in paths, path
    assert "jwtAuth" in schema["components"]["securitySchemes"]
    attempt = schema["components"]["schemas"]["Attempt"]["properties"]
    assert attempt["band"]["type"] == "number" and attempt["id"]["type"] == "integer"


def test_schema_generation_has_no_warnings_for_the_rest_api():
    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    problems = [
        message
        for message in [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
        if "realtime/" not in message  # the live layer's ws-ticket view documents itself
    ]
    GENERATOR_STATS.reset()
    assert problems == []


@pytest.mark.parametrize("slash", ["", "/"])
def test_swagger_ui_uses_local_assets_only(slash):
    response = Client().get(f"{API}/docs{slash}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html.lower()
    external = [url for url in re.findall(r"""(?:src|href)=["']([^"']+)""", html) if re.match(r"(https?:)?//", url)]
    assert external == []
    assets = re.findall(r"""(?:src|href)=["']/static/([^"']+)""", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    for asset in assets:
        assert finders.find(asset.split("?")[0]), f"{asset} is not a local static file"


def test_the_browsable_api_works_for_a_logged_in_teacher(teacher, session):
    client = Client()
    client.force_login(teacher)
    response = client.get(f"{API}/sessions/{session.pk}", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and b"Monday mock" in response.content
    assert client.get(f"{API}/", HTTP_ACCEPT="text/html").status_code == 200


def test_unknown_api_routes_are_json_404s(teacher):
    client = Client()
    client.force_login(teacher)
    unknown = [
        ("get", "/nope"), ("post", "/sessions/abc/start"), ("get", "/sessions/abc"),
        ("delete", "/classes/1/students/x"), ("get", "/sessions/99999999999999999999999"),
    ]  # fmt: skip
    for method, path in unknown:
        response = getattr(client, method)(f"{API}{path}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
