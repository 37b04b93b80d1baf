"""REST routes of the live layer: WebSocket tickets (with or without the trailing slash)."""

from django.urls import re_path

from realtime.views import WebSocketTicketView

urlpatterns = [
    re_path(
        r"^sessions/(?P<session_id>[0-9]{1,18})/ws-ticket/?$", WebSocketTicketView.as_view(), name="session-ws-ticket"
    ),
]
