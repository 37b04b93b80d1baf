"""REST resources under /api/v1/: every route answers with and without the trailing slash."""

from csp.decorators import csp_update
from django.urls import include, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.routers import DefaultRouter

from accounts.views import TokenLogoutView, TokenObtainView, TokenRefreshRoleView, UserViewSet
from attempts.views import AttemptViewSet, PracticeViewSet
from classes.views import ClassViewSet
from exams.views import TestViewSet
from sessions_app.views import PassageAudioFileView, QuestionImageFileView, SessionViewSet

router = DefaultRouter(use_regex_path=True)
router.trailing_slash = "/?"  # DRF 3.15+ takes only a boolean in __init__; the attribute still goes in the regex
router.include_format_suffixes = False
router.register("users", UserViewSet, basename="user")
router.register("tests", TestViewSet, basename="test")
router.register("classes", ClassViewSet, basename="class")
router.register("sessions", SessionViewSet, basename="session")
router.register("attempts", AttemptViewSet, basename="attempt")
router.register("practice", PracticeViewSet, basename="practice")


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([])
def api_not_found(request, *args, **kwargs):
    """Anything else under /api/v1/: a JSON 404, like every other error of the API."""
    raise NotFound("No such API route.")


urlpatterns = [
    re_path(r"^auth/token/?$", TokenObtainView.as_view(), name="token-obtain"),
    re_path(r"^auth/token/refresh/?$", TokenRefreshRoleView.as_view(), name="token-refresh"),
    re_path(r"^auth/logout/?$", TokenLogoutView.as_view(), name="token-logout"),
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's set-up script is served as a file (`?script`), so the page passes the CSP; only its three lines
    # of inline style need an exception.
    re_path(
        r"^docs/?$",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
    re_path(r"^files/passages/(?P<passage_id>[^/]+)/audio/?$", PassageAudioFileView.as_view(), name="passage-audio"),
    re_path(
        r"^files/questions/(?P<question_id>[^/]+)/image/?$", QuestionImageFileView.as_view(), name="question-image"
    ),
    re_path(r"^", include(router.urls)),
    re_path(r"^.*$", api_not_found, name="api-not-found"),
]


def schema_paths_without_trailing_slash(endpoints):
    """drf-spectacular preprocessing hook: document `/api/v1/sessions/{id}/start`, not `.../start/`."""
    return [(path.rstrip("/") or "/", path_regex, method, callback) for path, path_regex, method, callback in endpoints]
