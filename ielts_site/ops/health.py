"""`GET /healthz`: 200 when the database (and Redis, if configured) answer, 503 otherwise."""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1


def _redis_ok() -> bool:
    if not settings.REDIS_URL:
        return True
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    finally:
        client.close()


@require_GET
def healthz(request):
    checks = {}
    for name, probe in (("database", _database_ok), ("redis", _redis_ok)):
        try:
            checks[name] = probe()
        except Exception as exc:  # any failure of a dependency is "unhealthy", never a 500
            logger.warning("health check failed", extra={"check": name, "error": type(exc).__name__})
            checks[name] = False
    if all(checks.values()):
        return JsonResponse({"status": "ok"})
    return JsonResponse({"status": "unavailable", "checks": checks}, status=503)
