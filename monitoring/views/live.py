"""The live monitor's page: the shell the monitor's script fills from the REST API and the session's socket; and its
event feed as JSON, rebuilt from the log (on load, after a reconnect, and a page further back at a time).

Its configuration (ids, API and socket paths, the paper's outline, the teacher's actions, the status labels and
where the controls apply, when a paused session was paused, the offline time already given back, and what the
pace lanes start from, with the keys of the projected band: this page is staff-only) goes to the script as JSON
in the page, never a token in a URL.
"""

from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from ielts_site.clock import iso
from monitoring.access import staff_required, visible_session
from monitoring.history import session_lanes
from monitoring.selectors import (
    GIVE_BACK_REASON,
    listening_timeline,
    offline_time_given_back,
    paper_outline,
    session_feed,
    session_roster,
)
from sessions_app.models import SessionStatus
from sessions_app.services import SESSION_ACTIONS


@require_GET
@staff_required
def live(request, session_id):
    """One session's live monitor, for its class's teachers and admins."""
    session = visible_session(request.user, session_id)
    outline = paper_outline(session)
    config = {
        "sessionId": session.pk,
        "apiBase": f"/api/v1/sessions/{session.pk}",
        "wsPath": f"/api/v1/sessions/{session.pk}/ws",
        "attemptApiBase": "/api/v1/attempts/",
        "timelineUrl": reverse("teacher-timeline", args=[0]).replace("/0/", "/{id}/"),
        "resultsUrl": reverse("teacher-results", args=[session.pk]),
        "feedUrl": reverse("teacher-live-feed", args=[session.pk]),
        "passageCount": outline["passage_count"],
        "questionCount": outline["question_count"],
        "questionNumbers": outline["question_numbers"],
        "essays": outline["essays"],
        "actions": {
            action.slug: {"allowed": action.allowed_from, "label": action.label, "done": action.done}
            for action in SESSION_ACTIONS
        },
        "statusLabels": dict(SessionStatus.choices),
        "controlStatuses": {"running": sorted(SessionStatus.RUNNING), "open": sorted(SessionStatus.OPEN)},
        "pausedAt": iso(session.paused_at) if session.is_paused else None,
        "offlineGivenBack": offline_time_given_back(session),
        "giveBackReason": GIVE_BACK_REASON,
        "roster": session_roster(session),
        "lanes": session_lanes(session),
        "listening": listening_timeline(session),
    }
    return render(
        request,
        "teacher/live.html",
        {"session": session, "config": config, "school_class": session.school_class},
    )


@require_GET
@staff_required
def live_feed(request, session_id):
    """The feed's last lines (`?before=<cursor>`: the lines before that one), for whoever may see the live page."""
    session = visible_session(request.user, session_id)
    try:
        return JsonResponse(session_feed(session, before=request.GET.get("before")))
    except ValueError:
        return HttpResponseBadRequest("`before` must be a line's cursor.")
