"""Shared pieces of the Django admin: ownership scoping for teachers, service errors shown as messages.

The admin is a face like the REST views: it translates a form or an action into a service call.
"""

import operator
from functools import reduce

from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpResponseRedirect

from ielts_site.errors import ApplicationError


def sees_everything(user) -> bool:
    """Admins (superusers included) see every row; teachers only what they own."""
    return user.is_platform_admin


def classes_taught_by(user):
    from classes.models import Class

    return Class.objects.filter(teachers=user)


def adopt(target, source) -> None:
    """Make the admin's unsaved instance the row a service created.

    Django's add view keeps using the object it built from the form (inline formsets are bound to it),
    so the service's result is copied into that object rather than replacing it.
    """
    target.__dict__.update({key: value for key, value in source.__dict__.items() if key != "_state"})
    target._state.adding = False
    target._state.db = source._state.db


class TeacherScopedAdmin(admin.ModelAdmin):
    """Teachers see only rows of the classes they teach; `class_lookup` leads from the model to its class (a tuple:
    any of these ways, e.g. an attempt's session's class or its practice's)."""

    class_lookup: str | tuple[str, ...] = "school_class"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_everything(request.user):
            return queryset
        lookups = (self.class_lookup,) if isinstance(self.class_lookup, str) else self.class_lookup
        taught = classes_taught_by(request.user)
        return queryset.filter(reduce(operator.or_, (Q(**{f"{lookup}__in": taught}) for lookup in lookups)))


class ServiceErrorsAdmin(admin.ModelAdmin):
    """A domain error raised by a service during save or delete rolls the request back and shows as a message."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the services (presence, the attempt log): nobody adds, changes or deletes them here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline:
    """An inline that only shows rows (mix in before TabularInline)."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def run_for_each(modeladmin, request, objects, service, *, done: str, argument: str) -> None:
    """Call `service(**{argument: obj})` per object; report successes once and each domain error by name."""
    succeeded = 0
    for obj in objects:
        try:
            service(**{argument: obj})
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.detail}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{done}: {succeeded}.", messages.SUCCESS)
