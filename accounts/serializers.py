"""Shapes of users and JWTs on the wire. The access token carries `user_id` and `role`."""

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import exceptions, serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Role, User

# Ids are JSON integers; bounded so that a huge number is a 400, never a database overflow.
MAX_ID = 2**63 - 1


class IdField(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class RoleRefreshToken(RefreshToken):
    """A refresh token whose access tokens always carry the user's current role.

    simplejwt copies a refresh token's claims into each access token it mints; the role is read
    again from the database so a refreshed access token follows a changed role. `orig_iat` is the
    login's time: rotation keeps it and the expiry (an absolute lifetime), and no access token
    outlives the refresh token it came from.
    """

    @classmethod
    def for_user(cls, user):
        token = super().for_user(user)
        token[jwt_settings.USER_ID_CLAIM] = user.pk  # an integer, as the id is everywhere else
        token["role"] = user.effective_role
        token["orig_iat"] = token["iat"]
        return token

    @property
    def access_token(self):
        access = super().access_token
        user_id = str(self.payload.get(jwt_settings.USER_ID_CLAIM, ""))
        user = User.objects.filter(pk=int(user_id)).first() if user_id.isdigit() else None
        if user is not None:
            access["role"] = user.effective_role
        if access["exp"] > self["exp"]:
            access["exp"] = self["exp"]
        return access

    def rotate(self) -> "RoleRefreshToken":
        """Revoke this token and return its successor: a new id and issue time, the same login time and expiry.
        Of two requests rotating one token at once, only the first gets a successor."""
        with transaction.atomic():
            _, revoked_now = self.blacklist()
        if not revoked_now:
            raise TokenError("Token is blacklisted")
        successor = RoleRefreshToken(str(self), verify=False)
        successor.set_jti()
        successor.set_iat()
        successor.payload.setdefault("orig_iat", self.payload.get("iat"))
        successor.outstand()
        return successor


class RoleTokenObtainPairSerializer(TokenObtainPairSerializer):
    token_class = RoleRefreshToken


class RoleTokenRefreshSerializer(TokenRefreshSerializer):
    """`{refresh}` → `{access, refresh}`: the token sent is revoked, its successor keeps its absolute expiry."""

    token_class = RoleRefreshToken
    refresh = serializers.CharField()
    access = serializers.CharField(read_only=True)

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])  # signature, expiry, type and the blacklist
        user_id = str(refresh.payload.get(jwt_settings.USER_ID_CLAIM, ""))
        user = User.objects.filter(pk=int(user_id)).first() if user_id.isdigit() else None
        if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise exceptions.AuthenticationFailed("No active account found for the given token.", "no_active_account")
        successor = refresh.rotate()
        return {"access": str(successor.access_token), "refresh": str(successor)}


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    """What `POST /auth/token` answers (for the schema)."""

    access = serializers.CharField()
    refresh = serializers.CharField()


class UserSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, source="effective_role", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "role"]
        read_only_fields = fields


class UserCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    password = serializers.CharField(
        max_length=128, write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    role = serializers.ChoiceField(choices=Role.choices)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        candidate = User(username=attrs["username"], first_name=attrs["first_name"], last_name=attrs["last_name"])
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs
