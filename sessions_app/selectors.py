"""Reads on sessions: who sees which session, live counts, and the statistics of a session."""

from django.db.models import Count, Q

from attempts.models import Attempt, AttemptStatus, Violation
from sessions_app.models import ConnectionStatus, Participant, Session


def sessions_visible_to(user):
    """Admins see every session, teachers their classes', students those they take part in."""
    sessions = Session.objects.select_related("school_class", "test", "created_by")
    if user.is_platform_admin:
        return sessions
    if user.is_teacher:
        return sessions.filter(school_class__teachers=user).distinct()
    return sessions.filter(participants__student=user).distinct()


def session_is_teacher(session: Session, user) -> bool:
    """Admins and the class's teachers run and watch a session."""
    return user.is_platform_admin or session.school_class.teachers.filter(pk=user.pk).exists()


def session_live_counts(session_id) -> dict:
    """The four counts teachers watch live, in three queries."""
    participants = Participant.objects.filter(session_id=session_id).aggregate(
        participants=Count("pk"), connected=Count("pk", filter=Q(connection_status=ConnectionStatus.CONNECTED))
    )
    submitted = Attempt.objects.filter(session_id=session_id, status=AttemptStatus.SUBMITTED).count()
    violations = Violation.objects.filter(attempt__session_id=session_id).count()
    return {
        "connected": participants["connected"],
        "submitted": submitted,
        "participants": participants["participants"],
        "violations_total": violations,
    }
