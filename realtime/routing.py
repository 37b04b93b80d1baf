"""WebSocket routes: the session socket at /api/v1/sessions/{id}/ws and /ws/sessions/{id}."""

from django.urls import re_path

from realtime.consumers import SessionConsumer

websocket_urlpatterns = [
    re_path(r"^api/v1/sessions/(?P<session_id>[0-9]{1,18})/ws/?$", SessionConsumer.as_asgi()),
    re_path(r"^ws/sessions/(?P<session_id>[0-9]{1,18})/?$", SessionConsumer.as_asgi()),
]
