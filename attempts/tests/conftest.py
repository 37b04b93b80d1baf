import pytest


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """Run a service and execute its on-commit broadcasts, as a real transaction would."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run
