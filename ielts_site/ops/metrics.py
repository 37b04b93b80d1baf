"""`GET /metrics`: this process's Prometheus metrics (the contract's "Operations: CORS and metrics"), their
definitions, and the database pool's figures read at scrape time. The sessions' figures are the database's,
collected by `sessions_app.metrics`.

A registry of our own: exactly the contract's families, none of the library's process and platform collectors.
"""

import hmac

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

from ielts_site.security import address_in

# The `_created` series would be families the contract does not name.
disable_created_metrics()

REGISTRY = CollectorRegistry()

WS_CONNECTIONS_OPEN = Gauge(
    "ielts_ws_connections_open", "WebSocket connections accepted by this process and not yet closed.", registry=REGISTRY
)
WS_CONNECTS = Counter("ielts_ws_connects", "WebSocket connections accepted.", registry=REGISTRY)
WS_DISCONNECTS = Counter("ielts_ws_disconnects", "Accepted WebSocket connections that closed.", registry=REGISTRY)
WS_EVENTS_APPLIED = Counter(
    "ielts_ws_events_applied",
    "Student events applied (a deduplicated resend is not counted), by client message type.",
    ["type"],
    registry=REGISTRY,
)
WS_EVENT_APPLY_SECONDS = Histogram(
    "ielts_ws_event_apply_seconds",
    "Seconds from a student event's arrival to its ack, per applied event.",
    registry=REGISTRY,
)
WS_ERRORS = Counter("ielts_ws_errors", "WebSocket `error` messages sent, by code.", ["code"], registry=REGISTRY)
PUBLISHES = Counter(
    "ielts_publishes", "Server messages published to a session's groups, one per message.", registry=REGISTRY
)
HTTP_REQUESTS = Counter("ielts_http_requests", "HTTP responses sent, by status code.", ["status"], registry=REGISTRY)


def ws_connection_accepted() -> None:
    WS_CONNECTS.inc()
    WS_CONNECTIONS_OPEN.inc()


def ws_connection_closed() -> None:
    WS_DISCONNECTS.inc()
    WS_CONNECTIONS_OPEN.dec()


class DatabasePoolCollector:
    """The connections of this process's pool (psycopg_pool) in use and the callers waiting for one; 0 without a
    pool (SQLite, or PostgreSQL without pooling)."""

    def describe(self):
        return self._families(in_use=0, waiting=0)

    def collect(self):
        pool = getattr(connection, "pool", None)
        if pool is None:
            return self._families(in_use=0, waiting=0)
        stats = pool.get_stats()
        return self._families(in_use=stats["pool_size"] - stats["pool_available"], waiting=stats["requests_waiting"])

    @staticmethod
    def _families(*, in_use: int, waiting: int):
        return [
            GaugeMetricFamily(
                "ielts_db_pool_connections_in_use", "Database connections of this process's pool in use.", in_use
            ),
            GaugeMetricFamily("ielts_db_pool_connections_waiting", "Callers waiting for a pool connection.", waiting),
        ]


REGISTRY.register(DatabasePoolCollector())


def _scraper_allowed(request) -> bool:
    """A peer inside DJANGO_METRICS_ALLOWED_NETWORKS (the socket's address, never a forwarded header), or the
    bearer of DJANGO_METRICS_TOKEN."""
    if address_in(request.META.get("REMOTE_ADDR"), settings.METRICS_ALLOWED_NETWORKS):
        return True
    if not settings.METRICS_TOKEN:
        return False
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), settings.METRICS_TOKEN.encode())


@require_GET
def metrics(request):
    if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS):
        raise Http404
    if not _scraper_allowed(request):
        return JsonResponse(
            {"code": "not_authenticated", "detail": "A metrics token or an allowed address is needed."},
            status=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
