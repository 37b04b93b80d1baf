"""REST face of the live layer: `POST /api/v1/sessions/{id}/ws-ticket` and `POST /api/v1/attempts/{id}/ws-ticket`
(a practice attempt's socket) → `{ticket}`."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from attempts.selectors import attempts_visible_to
from ielts_site.errors import NotFound
from realtime.tickets import ticket_issue
from sessions_app.selectors import sessions_visible_to

TICKET_RESPONSE = inline_serializer("WebSocketTicket", {"ticket": serializers.CharField()})


class WebSocketTicketView(APIView):
    """A single-use ticket (30 s) for the session's WebSocket, for clients that keep JWTs out of URLs."""

    @extend_schema(
        operation_id="sessions_ws_ticket",
        parameters=[OpenApiParameter("session_id", int, OpenApiParameter.PATH)],
        request=None,
        responses={
            201: TICKET_RESPONSE,
            404: OpenApiResponse(description="No such session, or not one you can see."),
        },
        description="Connect with `?ticket=<ticket>` to the session's WebSocket within 30 s; it works once.",
    )
    def post(self, request, session_id: str):
        session_id = int(session_id)
        if not sessions_visible_to(request.user).filter(pk=session_id).exists():
            raise NotFound("Session not found.")
        ticket = ticket_issue(user_id=request.user.pk, session_id=session_id)
        return Response({"ticket": ticket}, status=status.HTTP_201_CREATED)


class AttemptWebSocketTicketView(APIView):
    """A single-use ticket (30 s) for a practice attempt's WebSocket: its student's, or staff watching it."""

    @extend_schema(
        operation_id="attempts_ws_ticket",
        parameters=[OpenApiParameter("attempt_id", int, OpenApiParameter.PATH)],
        request=None,
        responses={
            201: TICKET_RESPONSE,
            404: OpenApiResponse(description="No such practice attempt, or not one you can see."),
        },
        description="Connect with `?ticket=<ticket>` to `/api/v1/attempts/{id}/ws` within 30 s; it works once.",
    )
    def post(self, request, attempt_id: str):
        attempt_id = int(attempt_id)
        if not attempts_visible_to(request.user).filter(pk=attempt_id, practice__isnull=False).exists():
            raise NotFound("Practice attempt not found.")
        return Response({"ticket": ticket_issue(user_id=request.user.pk, attempt_id=attempt_id)}, status=201)
