"""REST resources (filled in by the REST API issue)."""

urlpatterns = []
