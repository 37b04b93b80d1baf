"""WebSocket routes: the session socket at /api/v1/sessions/{id}/ws and /ws/sessions/{id}, and the student's
home socket at /ws/me."""

from django.urls import re_path

from realtime.consumers import SessionConsumer
from realtime.home import HomeConsumer

websocket_urlpatterns = [
    re_path(r"^api/v1/sessions/(?P<session_id>[0-9]{1,18})/ws/?$", SessionConsumer.as_asgi()),
    re_path(r"^ws/sessions/(?P<session_id>[0-9]{1,18})/?$", SessionConsumer.as_asgi()),
    re_path(r"^ws/me/?$", HomeConsumer.as_asgi()),
]
