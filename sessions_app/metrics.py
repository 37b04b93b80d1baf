"""The database's figures of `GET /metrics` (ielts_site/ops/metrics.py), read at each scrape: sessions by status,
and the sessions the clock is late to complete."""

import logging
from datetime import timedelta

from django.db import DatabaseError
from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from sessions_app.models import Session, SessionStatus
from sessions_app.services import sessions_overdue_count

logger = logging.getLogger(__name__)

# The clock looks every second or so: a session still running this long after it was due means it is not working.
OVERDUE_AFTER = timedelta(seconds=30)


class SessionsCollector:
    def describe(self):
        return self._families(by_status={}, overdue=0)

    def collect(self):
        try:
            by_status = dict(Session.objects.order_by().values_list("status").annotate(Count("pk")))
            overdue = sessions_overdue_count(late_by=OVERDUE_AFTER)
        except DatabaseError:
            # The scrape still brings this process's own figures (the pool's waiting callers above all).
            logger.warning("metrics: the database did not answer")
            return []
        return self._families(by_status=by_status, overdue=overdue)

    @staticmethod
    def _families(*, by_status: dict[str, int], overdue: int):
        sessions = GaugeMetricFamily("ielts_sessions", "Sessions by status.", labels=["status"])
        for status in SessionStatus.values:
            sessions.add_metric([status], by_status.get(status, 0))
        return [
            sessions,
            GaugeMetricFamily(
                "ielts_sessions_overdue",
                f"Sessions still in progress more than {OVERDUE_AFTER.seconds} s after they were due to complete.",
                overdue,
            ),
        ]
