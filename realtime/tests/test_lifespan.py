"""The ASGI wrapper speaks the lifespan protocol for servers that have it (daphne does not)."""

from asgiref.testing import ApplicationCommunicator

from realtime.clock import clock, start_clock_lazily


async def _inner(scope, receive, send):  # never reached by lifespan scopes
    raise AssertionError("lifespan must not reach the routed application")


async def test_lifespan_startup_and_shutdown(settings):
    settings.SESSION_CLOCK_AUTOSTART = False
    app = ApplicationCommunicator(start_clock_lazily(_inner), {"type": "lifespan"})
    await app.send_input({"type": "lifespan.startup"})
    assert await app.receive_output(1) == {"type": "lifespan.startup.complete"}
    assert not clock.running
    await app.send_input({"type": "lifespan.shutdown"})
    assert await app.receive_output(1) == {"type": "lifespan.shutdown.complete"}
    await app.wait(1)
