"""One log line per HTTP request: method, path (never the query string), status, time, user; and the count of
responses by status for the metrics."""

import logging
import time

from ielts_site.ops.metrics import HTTP_REQUESTS

logger = logging.getLogger("ielts.http")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response


class ResponseCountMiddleware:
    """Counts every HTTP response by status (`ielts_http_requests_total`): first in MIDDLEWARE, so the static files,
    redirects and preflights answered before the views count too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        HTTP_REQUESTS.labels(status=str(response.status_code)).inc()
        return response
