"""WebSocket handshake authentication: `?token=<access JWT>`, `?ticket=<single-use ticket>`, or the session cookie.

Sets `scope["user"]` (AnonymousUser when a credential is missing or bad) and `scope["ws_auth"]`:
the method used, and for a ticket the session it was issued for. A credential that is present
but bad never falls back to the cookie. Nothing here logs a credential.
"""

from urllib.parse import parse_qs

from channels.auth import get_user
from channels.middleware import BaseMiddleware
from channels.sessions import SessionMiddlewareStack
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.tokens import AccessToken

from monitoring.db import database_call
from monitoring.tickets import aticket_redeem


def _user_for_access_token(raw: str):
    """The active user of a valid access token (a refresh token is refused: wrong type), else None."""
    try:
        return JWTAuthentication().get_user(AccessToken(raw))
    except (TokenError, InvalidToken, AuthenticationFailed):
        return None


def _active_user(user_id):
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


class CredentialsMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        token = params.get("token", [None])[0]
        ticket = params.get("ticket", [None])[0]
        user, auth = None, {"method": None, "session_id": None}
        if token is not None:
            auth["method"] = "token"
            user = await database_call(_user_for_access_token)(token)
        elif ticket is not None:
            auth["method"] = "ticket"
            redeemed = await aticket_redeem(ticket)
            if redeemed is not None:
                auth["session_id"] = redeemed.session_id
                user = await database_call(_active_user)(redeemed.user_id)
        elif "session" in scope:
            auth["method"] = "session"
            user = await get_user(scope)
        if user is None or not user.is_authenticated:
            user = AnonymousUser()
        return await super().__call__({**scope, "user": user, "ws_auth": auth}, receive, send)


def WebSocketAuthMiddleware(inner):
    """Cookie → Django session → credentials: the stack `ielts_site.asgi` wraps around the router."""
    return SessionMiddlewareStack(CredentialsMiddleware(inner))
