"""The OpenAPI fuzz of tests/test_openapi_fuzz.py (same schema, world and in-process WSGI app) for the roles it
does not cover: the class's student on every operation, and a student and a teacher of no class of this world.
No 5xx for anyone, and whenever an outsider's request names an object of this world, nothing comes back 2xx."""

import pytest
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from accounts.serializers import RoleRefreshToken
from tests.reliability.figures import tally
from tests.test_openapi_fuzz import _with_real_ids, django_wsgi, schema, world  # noqa: F401

pytestmark = pytest.mark.slow

ROLES = ["student", "outsider_student", "outsider_teacher"]
# Objects of the world that an outsider must never reach (the test bank is shared by every teacher).
PRIVATE = {"classes", "sessions", "attempts"}


@pytest.fixture
def tokens(world, make_user):  # noqa: F811
    outsiders = {role: make_user(role.split("_")[1].upper(), username=f"fuzz_{role}") for role in ROLES[1:]}
    tokens = {role: str(RoleRefreshToken.for_user(user).access_token) for role, user in outsiders.items()}
    return {"student": world["student_token"], **tokens}


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
def test_every_role_gets_no_server_error_and_outsiders_no_private_object(case, role, world, tokens, django_wsgi):  # noqa: F811
    resource = case.operation.path.removeprefix("/api/v1/").split("/")[0]
    if case.path_parameters:
        _with_real_ids(case.path_parameters, {**world["ids"], "id": world["ids_by_resource"].get(resource, [0])})
    if isinstance(case.body, dict):
        _with_real_ids(case.body, world["ids"])
    response = case.call(headers={"Authorization": f"Bearer {tokens[role]}"})
    case.validate_response(response, checks=[not_a_server_error])
    names_private_object = (
        role != "student"
        and resource in PRIVATE
        and (case.path_parameters or {}).get("id") in world["ids_by_resource"].get(resource, [])
    )
    leaked = names_private_object and response.status_code < 300
    if names_private_object:
        tally("access_openapi_outsiders", title="Schemathesis requests by a student and a teacher of no class of "
              "this world, naming its classes, sessions and attempts", unit="requests", tried=1,
              let_through=int(leaked))  # fmt: skip
    assert not leaked, (role, case.method, case.formatted_path, response.status_code, response.text[:300])
