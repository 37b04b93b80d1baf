"""The teacher's home page: every class they teach (an admin: every class), with its sessions live now,
upcoming and the latest past ones."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from monitoring.access import admin_links, staff_required
from monitoring.selectors import dashboard_rows

PAST_SESSIONS_SHOWN = 5


@require_GET
@staff_required
def dashboard(request):
    """The classes and their sessions, and how many sessions are live right now."""
    rows = dashboard_rows(request.user, past_shown=PAST_SESSIONS_SHOWN)
    return render(
        request,
        "teacher/dashboard.html",
        {
            "rows": rows,
            "live_count": sum(len(row["live"]) for row in rows),
            "admin_links": admin_links(request.user),
        },
    )
