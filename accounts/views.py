"""REST faces of accounts: JWT pair, refresh and logout (logins share the lockout of accounts/lockout.py), and users."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.lockout import lockout_message, login_failures_forget, login_retry_after
from accounts.models import Role
from accounts.permissions import IsStaffMember
from accounts.selectors import users_visible_to
from accounts.serializers import (
    LogoutSerializer,
    RoleRefreshToken,
    RoleTokenObtainPairSerializer,
    RoleTokenRefreshSerializer,
    TokenPairSerializer,
    UserCreateSerializer,
    UserSerializer,
)
from accounts.services import user_create
from ielts_site.errors import LoginLockedOut
from ielts_site.security import client_address


class LoginRateThrottle(SimpleRateThrottle):
    """A flood brake: token requests per client address in the default cache (Redis when REDIS_URL is set). The
    lockout of guessing is per username and address (accounts/lockout.py), so a school behind one NAT is not locked
    out by one pupil's typos."""

    scope = "login"

    def get_rate(self):
        # Read at request time (not import time) so the rate follows the settings, overrides included.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def get_ident(self, request):
        # The socket's peer, or the client a trusted proxy names (DJANGO_TRUSTED_PROXIES): never a client's own
        # X-Forwarded-For, which would let anyone dodge the limit.
        return client_address(request)


@extend_schema(tags=["auth"], responses={200: TokenPairSerializer})
class TokenObtainView(TokenObtainPairView):
    """`{username, password}` → `{access, refresh}`; the access token carries `user_id` and `role`.

    After 10 failures for one username from one address within 15 minutes, that pair gets 429 `throttled` with
    `retry_after` (seconds) for 15 minutes, even with the right password."""

    serializer_class = RoleTokenObtainPairSerializer
    throttle_classes = [LoginRateThrottle]

    def post(self, request, *args, **kwargs):
        username = request.data.get("username") if isinstance(request.data, dict) else None
        username = username.strip() if isinstance(username, str) else None
        try:
            response = super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            retry_after = login_retry_after(request, username)
            if retry_after is not None:
                raise LoginLockedOut(lockout_message(retry_after), retry_after=retry_after) from None
            raise
        login_failures_forget(request, username)
        return response


@extend_schema(tags=["auth"])
class TokenRefreshRoleView(TokenRefreshView):
    """`{refresh}` → `{access, refresh}`: the refresh token rotates (the one sent is revoked) and keeps its absolute
    expiry; a revoked or expired one is 401."""

    serializer_class = RoleTokenRefreshSerializer


@extend_schema(tags=["auth"], request=LogoutSerializer, responses={204: OpenApiResponse(description="Revoked.")})
class TokenLogoutView(generics.GenericAPIView):
    """`{refresh}` → 204: that refresh token is revoked (a bad, expired or already revoked one is 401)."""

    authentication_classes = []  # the refresh token is the credential: a stale access token must not stop a logout
    permission_classes = [AllowAny]
    serializer_class = LogoutSerializer

    def get_authenticate_header(self, request):
        return JWTAuthentication().authenticate_header(request)  # so that a bad refresh token is 401, not 403

    def post(self, request):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            RoleRefreshToken(data.validated_data["refresh"]).blacklist()
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["users"])
class UserViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = UserSerializer
    permission_classes = [IsStaffMember]

    def get_permissions(self):
        if self.action == "me":
            return [IsAuthenticated()]
        return super().get_permissions()

    def get_queryset(self):
        role = self.request.query_params.get("role") or None
        if role is not None and role not in Role.values:
            raise serializers.ValidationError({"role": [f"Must be one of {', '.join(Role.values)}."]})
        return users_visible_to(self.request.user, role=role)

    @extend_schema(parameters=[OpenApiParameter("role", enum=Role.values, required=False)])
    def list(self, request, *args, **kwargs):
        """Admins list every user, teachers students only."""
        return super().list(request, *args, **kwargs)

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def create(self, request):
        """Admins create any role, teachers students only."""
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_create(**data.validated_data, created_by=request.user)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: UserSerializer})
    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(UserSerializer(request.user).data)
