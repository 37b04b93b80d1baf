"""Top-level routes: admin, health check, metrics, the REST API under /api/v1/, and the server-rendered pages."""

from django.contrib import admin
from django.urls import include, path

from accounts.forms import LockoutAwareAdminAuthenticationForm
from ielts_site.ops.health import healthz
from ielts_site.ops.metrics import metrics

# The admin's login shares the login lockout and says when to try again (accounts/lockout.py).
admin.site.login_form = LockoutAwareAdminAuthenticationForm
handler400 = "ielts_site.errors.bad_request"
handler500 = "ielts_site.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("api/v1/", include("ielts_site.api_urls")),
    path("", include("accounts.page_urls")),
    path("", include("attempts.page_urls")),
    path("", include("monitoring.urls")),
]
