"""WebSocket handshake checks: the Origin, then authentication by `?token=<access JWT>`, `?ticket=<single-use
ticket>`, or the session cookie.

Sets `scope["user"]` (AnonymousUser when a credential is missing or bad) and `scope["ws_auth"]`:
the method used, and for a ticket the session (or practice attempt) it was issued for. A credential that is present
but bad never falls back to the cookie. Nothing here logs a credential.
"""

from urllib.parse import parse_qs, urlsplit

from channels.auth import get_user
from channels.middleware import BaseMiddleware
from channels.security.websocket import WebsocketDenier
from channels.sessions import SessionMiddlewareStack
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http.request import is_same_domain, split_domain_port, validate_host
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.tokens import AccessToken

from realtime.db import database_call
from realtime.tickets import aticket_redeem

DEFAULT_PORTS = {"http": 80, "https": 443}


def _parse_origin(value: str) -> tuple[str, str, int] | None:
    """`scheme://host[:port]` → (scheme, host, port) with the scheme's default port filled in; None if malformed."""
    try:
        parts = urlsplit(value.strip())
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        return None
    if scheme not in DEFAULT_PORTS or not host or parts.path not in ("", "/") or parts.query or parts.username:
        return None
    host = f"[{host}]" if ":" in host else host
    return scheme, host, port or DEFAULT_PORTS[scheme]


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _request_scheme_and_port(scope) -> tuple[str, int]:
    """The handshake's own scheme (https when TLS, or a trusted proxy's header, says so) and port (the Host header's,
    else the server's socket, else the scheme's default)."""
    secure = scope.get("scheme") in ("wss", "https")
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, expected = proxy_header
        wire_name = name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")
        secure = secure or _header(scope, wire_name) == expected
    scheme = "https" if secure else "http"
    host = _header(scope, b"host")
    if host:
        _, port = split_domain_port(host)
        if port.isdigit():
            return scheme, int(port)
        return scheme, DEFAULT_PORTS[scheme]
    server = scope.get("server")
    if server and server[1]:
        return scheme, int(server[1])
    return scheme, DEFAULT_PORTS[scheme]


def _matches_listed(origin: tuple[str, str, int], listed: str) -> bool:
    scheme, host, port = origin
    wildcard = "://*." in listed
    pattern = _parse_origin(listed.replace("://*.", "://wildcard.", 1) if wildcard else listed)
    if pattern is None or pattern[0] != scheme or pattern[2] != port:
        return False
    if wildcard:
        return is_same_domain(host, "." + pattern[1].removeprefix("wildcard."))
    return pattern[1] == host


def origin_allowed(scope) -> bool:
    """The contract's Origin rule: scheme, host and port equal the server's own (a host of ALLOWED_HOSTS, with this
    handshake's scheme and port) or an origin of DJANGO_CSRF_TRUSTED_ORIGINS / DJANGO_CORS_ALLOWED_ORIGINS."""
    raw = _header(scope, b"origin")
    origin = _parse_origin(raw) if raw else None
    if origin is None:
        return False
    scheme, host, port = origin
    allowed_hosts = settings.ALLOWED_HOSTS or ([".localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    if (scheme, port) == _request_scheme_and_port(scope) and validate_host(host, allowed_hosts):
        return True
    listed = [*settings.CSRF_TRUSTED_ORIGINS, *settings.CORS_ALLOWED_ORIGINS]
    return any(_matches_listed(origin, entry) for entry in listed)


class OriginValidator:
    """Refuses (403 at the handshake) a WebSocket whose Origin fails `origin_allowed`. Channels' own validator
    compares the host only, so a page on another port of the same host would pass."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


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
        user, auth = None, {"method": None, "session_id": None, "attempt_id": None}
        if token is not None:
            auth["method"] = "token"
            user = await database_call(_user_for_access_token)(token)
        elif ticket is not None:
            auth["method"] = "ticket"
            redeemed = await aticket_redeem(ticket)
            if redeemed is not None:
                auth["session_id"], auth["attempt_id"] = redeemed.session_id, redeemed.attempt_id
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
