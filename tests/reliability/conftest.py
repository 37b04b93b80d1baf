"""The JWT-in-logs audit reads every server log the run wrote, so it runs after the other tests (browser tests,
which keep an event loop running, stay last)."""

import pytest

AUDIT = "test_no_token_in_logs.py"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: (item.get_closest_marker("browser") is not None, AUDIT in item.nodeid))
