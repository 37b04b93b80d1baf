"""One family of domain errors, mapped once to HTTP (here) and once to WebSocket `error`."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A rule of the domain refused the request. Subclasses set the HTTP status and code."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"
    default_detail = "The request is not valid."

    def __init__(self, detail: str | None = None, *, code: str | None = None, field: str | None = None):
        self.detail = detail or self.default_detail
        if code:
            self.code = code
        self.field = field  # the input field at fault, named in the body's `errors` as a serializer would
        super().__init__(self.detail)


class InvalidInput(ApplicationError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_detail = "Not found."


class Forbidden(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"
    default_detail = "You are not allowed to do this."


class Conflict(ApplicationError):
    """The object's state forbids the action."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_detail = "The object's state forbids this action."


class TooLarge(ApplicationError):
    """A body over its route's limit (a file upload's)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "too_large"
    default_detail = "The request body is too large."


class UnsupportedType(ApplicationError):
    """A body of a Content-Type the route does not take."""

    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_media_type"
    default_detail = "This Content-Type is not accepted here."


class LoginLockedOut(ApplicationError):
    """Too many failed logins for one username from one address (accounts/lockout.py)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "throttled"
    default_detail = "Too many failed logins."

    def __init__(self, detail: str | None = None, *, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after


_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.Throttled: "rate_limited",
    exceptions.ParseError: "parse_error",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAcceptable: "not_acceptable",
}


def flatten_errors(detail) -> dict:
    """Field → messages; nested errors get dotted paths (`passages.0.questions.1.number`)."""
    errors: dict[str, list[str]] = {}

    def walk(value, path: str) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                nested_general = path and key == "non_field_errors"  # e.g. an empty nested list: the list's own error
                walk(sub, path if nested_general else f"{path}.{key}" if path else str(key))
        elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
            for index, sub in enumerate(value):
                walk(sub, f"{path}.{index}" if path else str(index))
        else:
            messages = value if isinstance(value, list) else [value]
            errors.setdefault(path or "non_field_errors", []).extend(str(m) for m in messages)

    walk(detail, "")
    return errors


def _sentence(detail) -> str:
    """simplejwt nests its detail (`{"detail": ..., "code": ..., "messages": [...]}`): keep the sentence."""
    if isinstance(detail, dict):
        detail = detail.get("detail") or next(iter(detail.values()), "")
    if isinstance(detail, list):
        detail = detail[0] if detail else ""
    return str(detail)


def api_exception_handler(exc, context):
    """Every 4xx body is `{code, detail}`, plus `errors` for validation errors."""
    if isinstance(exc, LoginLockedOut):
        body = {"code": exc.code, "detail": exc.detail, "retry_after": exc.retry_after}
        return Response(body, status=exc.status_code, headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "detail": exc.detail}
        if exc.field:
            body["detail"] = f"{exc.field}: {exc.detail}"
            body["errors"] = {exc.field: [exc.detail]}
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        first_field, first_messages = next(iter(errors.items()), ("", ["Invalid input."]))
        detail = first_messages[0] if first_field == "non_field_errors" else f"{first_field}: {first_messages[0]}"
        response.data = {"code": "invalid", "detail": detail, "errors": errors}
    else:
        code = getattr(exc, "contract_code", None) or next(
            (c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None
        )
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = {"code": code or getattr(detail, "code", "error"), "detail": _sentence(detail)}
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception, template_name="400.html"):
    """handler400: a body over the limit is 413 `too_large`; under /api/ every 400 is the contract's JSON."""
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"code": "too_large", "detail": "The request body is too large."}, status=413)
    if _is_api(request):
        return JsonResponse({"code": "bad_request", "detail": "The request is not valid."}, status=400)
    return defaults.bad_request(request, exception, template_name)


def server_error(request, template_name="500.html"):
    """handler500: JSON under /api/ (no traceback leaves the server), Django's page elsewhere."""
    if _is_api(request):
        return JsonResponse({"code": "server_error", "detail": "The server failed to answer this request."}, status=500)
    return defaults.server_error(request, template_name)
