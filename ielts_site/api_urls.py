"""The REST API under /api/v1/: the WebSocket ticket route first, then the resources."""

from django.urls import include, path

urlpatterns = [
    path("", include("realtime.urls")),
    path("", include("ielts_site.rest_urls")),
]
