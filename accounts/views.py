"""REST faces of accounts: JWT pair and refresh (the token endpoint is rate limited), and users."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.models import Role
from accounts.permissions import IsStaffMember
from accounts.selectors import users_visible_to
from accounts.serializers import (
    RoleTokenObtainPairSerializer,
    RoleTokenRefreshSerializer,
    TokenPairSerializer,
    UserCreateSerializer,
    UserSerializer,
)
from accounts.services import user_create


class LoginRateThrottle(SimpleRateThrottle):
    """Counts token requests per client address in the default cache (Redis when REDIS_URL is set)."""

    scope = "login"

    def get_rate(self):
        # Read at request time (not import time) so the rate follows the settings, overrides included.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def get_ident(self, request):
        # Without NUM_PROXIES set, DRF would trust a client's own X-Forwarded-For: anyone could dodge the limit.
        if api_settings.NUM_PROXIES is None:
            return request.META.get("REMOTE_ADDR")
        return super().get_ident(request)


@extend_schema(tags=["auth"], responses={200: TokenPairSerializer})
class TokenObtainView(TokenObtainPairView):
    """`{username, password}` → `{access, refresh}`; the access token carries `user_id` and `role`."""

    serializer_class = RoleTokenObtainPairSerializer
    throttle_classes = [LoginRateThrottle]


@extend_schema(tags=["auth"])
class TokenRefreshRoleView(TokenRefreshView):
    """`{refresh}` → `{access, refresh}` (the refresh token rotates)."""

    serializer_class = RoleTokenRefreshSerializer


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
