"""REST routes of the live layer: WebSocket tickets (with or without the trailing slash)."""

from django.urls import re_path

from realtime.views import AttemptWebSocketTicketView, WebSocketTicketView

urlpatterns = [
    re_path(
        r"^sessions/(?P<session_id>[0-9]{1,18})/ws-ticket/?$", WebSocketTicketView.as_view(), name="session-ws-ticket"
    ),
    re_path(
        r"^attempts/(?P<attempt_id>[0-9]{1,18})/ws-ticket/?$",
        AttemptWebSocketTicketView.as_view(),
        name="attempt-ws-ticket",
    ),
]
