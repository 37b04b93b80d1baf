"""Role checks for REST views. Which rows a user sees is a selector's job; these only gate by role.

A missing or bad credential never reaches them: IsAuthenticated answers 401 first.
"""

from rest_framework.permissions import IsAuthenticated


class IsStaffMember(IsAuthenticated):
    """Admins and teachers."""

    message = "Only teachers and admins may do this."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_staff_member


class IsStudent(IsAuthenticated):
    message = "Only students may do this."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_student


class IsPlatformAdmin(IsAuthenticated):
    message = "Only admins may do this."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_platform_admin
