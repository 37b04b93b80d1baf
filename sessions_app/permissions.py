"""Who may act on a session they can see (seeing it at all is sessions_visible_to's job: else 404)."""

from rest_framework.permissions import IsAuthenticated

from sessions_app.selectors import session_is_teacher


class IsSessionTeacher(IsAuthenticated):
    """Admins and the class's teachers run a session; its students may only look."""

    message = "Only the class's teachers and admins may do this."

    def has_object_permission(self, request, view, session):
        return session_is_teacher(session, request.user)


class IsAdminForObject(IsAuthenticated):
    message = "Only admins may do this."

    def has_object_permission(self, request, view, obj):
        return request.user.is_platform_admin
