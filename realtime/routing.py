"""WebSocket routes: the session socket at /api/v1/sessions/{id}/ws and /ws/sessions/{id}, a practice attempt's at
/api/v1/attempts/{id}/ws, and the student's home socket at /ws/me."""

from django.urls import re_path

from realtime.consumers import SessionConsumer
from realtime.home import HomeConsumer
from realtime.practice import PracticeAttemptConsumer

websocket_urlpatterns = [
    re_path(r"^api/v1/sessions/(?P<session_id>[0-9]{1,18})/ws/?$", SessionConsumer.as_asgi()),
    re_path(r"^ws/sessions/(?P<session_id>[0-9]{1,18})/?$", SessionConsumer.as_asgi()),
    re_path(r"^api/v1/attempts/(?P<attempt_id>[0-9]{1,18})/ws/?$", PracticeAttemptConsumer.as_asgi()),
    re_path(r"^ws/me/?$", HomeConsumer.as_asgi()),
]
