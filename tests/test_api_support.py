"""Helpers for the REST API tests (no tests here): clients that carry a real JWT, and request shortcuts."""

from rest_framework.test import APIClient

from accounts.serializers import RoleRefreshToken

API = "/api/v1"


def bearer_client(user=None) -> APIClient:
    """A client sending `Authorization: Bearer <access JWT>` for `user` (anonymous when None)."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RoleRefreshToken.for_user(user).access_token}")
    return client


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The contract's error body: `{code, detail}` (plus `errors` for validation)."""
    assert response.status_code == status, (response.status_code, getattr(response, "data", response.content))
    body = response.json()
    assert isinstance(body["code"], str) and isinstance(body["detail"], str) and body["detail"], body
    if code is not None:
        assert body["code"] == code, body
    return body
