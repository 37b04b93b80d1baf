"""ASGI entry point: HTTP through Django, WebSockets through Channels, behind an Origin check (scheme, host and
port: realtime/handshake.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ielts_site.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from ielts_site.ops.access_log import access_log_without_query_strings  # noqa: E402
from realtime.clock import start_clock_lazily  # noqa: E402
from realtime.handshake import OriginValidator, WebSocketAuthMiddleware  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

access_log_without_query_strings()  # no credential from a URL lands in daphne's access log
application = start_clock_lazily(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": OriginValidator(WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns))),
        }
    )
)
