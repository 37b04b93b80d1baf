"""Fixtures for the browser tests."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def allow_orm_beside_playwright():
    """pytest-playwright's sync API runs an event loop for the session: the ORM (and the test database's
    set-up, when the browser tests run alone) must be told it is fine. Session-scoped and autouse so it
    comes before both; browser tests run last, so nothing after them loses Django's check."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
