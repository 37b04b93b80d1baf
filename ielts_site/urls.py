"""Top-level routes: admin, health check, the REST API under /api/v1/, and the server-rendered pages."""

from django.contrib import admin
from django.urls import include, path

from monitoring.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("ielts_site.api_urls")),
    path("", include("accounts.page_urls")),
    path("", include("attempts.page_urls")),
    path("", include("monitoring.page_urls")),
]
