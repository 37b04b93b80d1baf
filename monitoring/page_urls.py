"""Routes (filled in by the issue that builds them)."""

urlpatterns = []
