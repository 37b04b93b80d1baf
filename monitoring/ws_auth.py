"""WebSocket handshake authentication (placeholder until the real-time issue)."""

from channels.auth import AuthMiddlewareStack


def WebSocketAuthMiddleware(inner):
    return AuthMiddlewareStack(inner)
