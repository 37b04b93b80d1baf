"""REST routes of the live layer: WebSocket tickets (filled in by the real-time issue)."""

urlpatterns = []
