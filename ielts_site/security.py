"""Request-level security rules: the client's address (behind trusted proxies only), whether an address is in
listed networks, the body size limit and the Permissions-Policy header."""

import ipaddress
import re
from functools import lru_cache

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import JsonResponse

# File uploads (multipart) are checked by their own views; this only stops a body larger than the largest of them.
MULTIPART_MAX_BYTES = 101 * 1024 * 1024
# Files sent whole as the body of a PUT: the route's own limit (a setting's name), which its view also checks.
RAW_UPLOAD_ROUTES = ((re.compile(r"^/api/v1/tests/[0-9]+/questions/[0-9]+/image$"), "QUESTION_IMAGE_MAX_BYTES"),)


def _raw_upload_limit(request) -> int | None:
    if request.method != "PUT":
        return None
    for pattern, setting in RAW_UPLOAD_ROUTES:
        if pattern.match(request.path):
            return getattr(settings, setting)
    return None


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def address_in(address: str | None, networks: list[str]) -> bool:
    """Whether the address is inside one of these networks (`10.0.0.0/8`; a bare address is a network of one)."""
    return bool(address) and _trusted(address, _networks(tuple(networks)))


def client_address(request) -> str | None:
    """The socket's peer, unless that peer is a trusted proxy (DJANGO_TRUSTED_PROXIES): then the right-most address of
    X-Forwarded-For that is not itself a trusted proxy. A client's own X-Forwarded-For is never believed."""
    peer = request.META.get("REMOTE_ADDR")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not peer or not _trusted(peer, networks):
        return peer
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(forwarded):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a garbled header: count the proxy itself
    return peer


def _body_size(request) -> int | None:
    """The declared Content-Length, else (a chunked body under ASGI, already spooled) the stream's size."""
    declared = request.META.get("CONTENT_LENGTH")
    if declared:
        try:
            return int(declared)
        except ValueError:
            return None
    if isinstance(request, ASGIRequest):  # the body is already spooled to a file: measure it
        stream = request._stream
        position = stream.tell()
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(position)
        return size
    return 0  # WSGI: without a Content-Length, Django reads no body


def too_large_response(limit: int) -> JsonResponse:
    return JsonResponse(
        {"code": "too_large", "detail": f"The request body is larger than {limit // 1024} KiB."}, status=413
    )


class RequestBodyLimitMiddleware:
    """A body over REQUEST_BODY_MAX_BYTES (multipart uploads: over MULTIPART_MAX_BYTES) gets 413 `too_large` before
    anything reads it; a Content-Length that is not a number gets 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        size = _body_size(request)
        if size is None:
            return JsonResponse(
                {"code": "parse_error", "detail": "The Content-Length header is not valid."}, status=400
            )
        multipart = request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/")
        limit = _raw_upload_limit(request) or (MULTIPART_MAX_BYTES if multipart else settings.REQUEST_BODY_MAX_BYTES)
        if size > limit:
            return too_large_response(limit)
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Browser features no page here uses are switched off (settings.PERMISSIONS_POLICY)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
