"""Sessions in the admin: created, edited and moved through their life cycle by sessions_app.services only.

Presence rows (participants, server processes, live connections) are written by the real-time layer and only
shown here.
"""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from attempts.models import Attempt
from classes.models import Class, ClassStatus
from exams.models import Test
from exams.selectors import papers_owned_by
from ielts_site.admin_tools import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceErrorsAdmin,
    TeacherScopedAdmin,
    adopt,
    classes_taught_by,
    run_for_each,
    sees_everything,
)
from ielts_site.clock import now
from ielts_site.errors import ApplicationError
from sessions_app.models import ConnectionStatus, LiveConnection, Participant, ServerProcess, Session
from sessions_app.services import (
    SESSION_ACTIONS,
    SESSION_ACTIONS_BY_SLUG,
    server_process_forget,
    session_create,
    session_delete,
    session_release_results,
    session_update,
)


def live_url(session_id: int) -> str:
    return reverse("teacher-live", args=[session_id])


def results_url(session_id: int) -> str:
    return reverse("teacher-results", args=[session_id])


class ParticipantInline(ReadOnlyInline, admin.TabularInline):
    model = Participant
    fields = ("student", "student_name", "connection_status", "joined_at", "last_activity", "attempt_status",
              "score", "band")  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        attempts = Attempt.objects.filter(session=OuterRef("session"), student=OuterRef("student"))
        return (
            super()
            .get_queryset(request)
            .select_related("student")
            .annotate(
                attempt_status_value=Subquery(attempts.values("status")[:1]),
                attempt_score=Subquery(attempts.values("score")[:1]),
                attempt_band=Subquery(attempts.values("band")[:1]),
            )
        )

    @admin.display(description="name")
    def student_name(self, participant):
        return participant.student.get_full_name()

    @admin.display(description="attempt")
    def attempt_status(self, participant):
        return participant.attempt_status_value or "—"

    @admin.display(description="score")
    def score(self, participant):
        return "—" if participant.attempt_score is None else participant.attempt_score

    @admin.display(description="band")
    def band(self, participant):
        return "—" if participant.attempt_band is None else participant.attempt_band


@admin.register(Session)
class SessionAdmin(ServiceErrorsAdmin, TeacherScopedAdmin):
    list_display = ("title", "school_class", "test", "status", "scheduled_at", "started_at", "ends_at",
                    "participant_count", "connected_count", "pages")  # fmt: skip
    list_filter = (
        "status",
        ("school_class", admin.RelatedOnlyFieldListFilter),
        ("test", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("title", "school_class__name", "test__title")
    date_hierarchy = "scheduled_at"
    list_select_related = ("school_class", "test")
    actions = ["open_waiting_room", "start", "pause", "resume", "complete", "cancel", "release_results"]
    fields = ("title", "school_class", "test", "scheduled_at", "time_limit_minutes", "results_release", "review",
              "status", "pages", "started_at", "ends_at", "paused_at", "pause_reason", "completed_at",
              "results_released_at", "created_by", "created_at", "updated_at")  # fmt: skip
    always_readonly = ("status", "pages", "started_at", "ends_at", "paused_at", "pause_reason", "completed_at",
                       "results_released_at", "created_by", "created_at", "updated_at")  # fmt: skip
    # What a scheduled session's form changes (session_update's arguments), and how its results come out (until
    # they have).
    shape_fields = ("title", "scheduled_at", "test", "time_limit_minutes")
    release_fields = ("results_release", "review")
    inlines = [ParticipantInline]
    change_form_template = "admin/sessions_app/session/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_participants=Count("participants", distinct=True),
                n_connected=Count(
                    "participants",
                    filter=Q(participants__connection_status=ConnectionStatus.CONNECTED),
                    distinct=True,
                ),
            )
        )

    @admin.display(description="students", ordering="n_participants")
    def participant_count(self, session):
        return session.n_participants

    @admin.display(description="connected", ordering="n_connected")
    def connected_count(self, session):
        return session.n_connected

    @admin.display(description="teacher pages")
    def pages(self, session):
        if session.pk is None:
            return "—"
        return format_html(
            '<a href="{}">Live monitor</a> · <a href="{}">Results</a>', live_url(session.pk), results_url(session.pk)
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.always_readonly
        released = self.release_fields if obj.results_are_released else ()
        if obj.is_editable:
            return ("school_class", *released, *self.always_readonly)  # the participants came from this class
        return ("school_class", *self.shape_fields, *released, *self.always_readonly)

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        request._admin_session_test_id = obj.test_id if obj is not None else None
        return super().get_form(request, obj, change, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "school_class":
            classes = Class.objects if sees_everything(request.user) else classes_taught_by(request.user)
            kwargs["queryset"] = classes.filter(status=ClassStatus.ACTIVE)
        elif db_field.name == "test":  # one's own papers, and the one this session already uses
            current = getattr(request, "_admin_session_test_id", None)
            kwargs["queryset"] = Test.objects.filter(
                Q(pk__in=papers_owned_by(request.user).latest_versions()) | Q(pk=current)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            editable = (*self.shape_fields, *self.release_fields)
            changed = {name: data[name] for name in editable if name in form.changed_data}
            if changed:  # read-only fields are never in changed_data
                session_update(session=obj, **changed)
        else:
            created = session_create(
                school_class=data["school_class"], test=data["test"], title=data["title"],
                scheduled_at=data["scheduled_at"], created_by=request.user,
                time_limit_minutes=data.get("time_limit_minutes"), results_release=data["results_release"],
                review=data["review"],
            )  # fmt: skip
            adopt(obj, created)

    def delete_model(self, request, obj):
        session_delete(session=obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, through session_delete
        return actions

    def get_deleted_objects(self, objs, request):
        """Deleting a session takes its participants and attempts (and their log) with it: session_delete
        decides, so the read-only admins of those rows do not block it."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if sees_everything(request.user):
            derived = {m._meta.verbose_name for m in (Participant, LiveConnection)}
            derived |= {m._meta.verbose_name for m in Attempt._meta.apps.get_app_config("attempts").get_models()}
            perms_needed = perms_needed - derived
        return deleted, counts, perms_needed, protected

    # ------------------------------------------------------------ transitions

    def _transition(self, request, queryset, slug: str) -> None:
        action = SESSION_ACTIONS_BY_SLUG[slug]
        service = partial(action.service, by=request.user)
        run_for_each(self, request, queryset, service, done=action.done_briefly, argument="session")

    @admin.action(description="Open the waiting room", permissions=["change"])
    def open_waiting_room(self, request, queryset):
        self._transition(request, queryset, "start-waiting")

    @admin.action(description="Start the test (every connected student)", permissions=["change"])
    def start(self, request, queryset):
        self._transition(request, queryset, "start")

    @admin.action(description="Complete now (submit every open attempt)", permissions=["change"])
    def complete(self, request, queryset):
        self._transition(request, queryset, "complete")

    @admin.action(description="Cancel", permissions=["change"])
    def cancel(self, request, queryset):
        self._transition(request, queryset, "cancel")

    @admin.action(description="Pause", permissions=["change"])
    def pause(self, request, queryset):
        self._transition(request, queryset, "pause")

    @admin.action(description="Resume", permissions=["change"])
    def resume(self, request, queryset):
        self._transition(request, queryset, "resume")

    @admin.action(description="Release the results", permissions=["change"])
    def release_results(self, request, queryset):
        run_for_each(
            self, request, queryset, partial(session_release_results, by=request.user), done="Results released",
            argument="session",
        )  # fmt: skip

    def get_urls(self):
        return [
            path(
                "<path:object_id>/transition/<slug:transition>/",
                self.admin_site.admin_view(require_POST(self.transition_view)),
                name="sessions_app_session_transition",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, object_id, transition):
        session = self.get_object(request, object_id)
        action = SESSION_ACTIONS_BY_SLUG.get(transition)
        if session is None or action is None:
            raise Http404("No such session or transition.")
        if not self.has_change_permission(request, session):
            raise PermissionDenied
        try:
            action.service(session=session, by=request.user)
        except ApplicationError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
        else:
            self.message_user(request, f"{action.done_briefly}: {session}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:sessions_app_session_change", args=[session.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        session = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if session is not None:
            can_change = self.has_change_permission(request, session)
            extra_context["session_transitions"] = [
                {
                    "label": action.label,
                    "url": reverse("admin:sessions_app_session_transition", args=[session.pk, action.slug]),
                }
                for action in SESSION_ACTIONS
                if can_change and session.can_transition_to(action.to, by=action.slug)
            ]
            extra_context["session_live_url"] = live_url(session.pk)
            extra_context["session_results_url"] = results_url(session.pk)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin, TeacherScopedAdmin):
    class_lookup = "session__school_class"
    list_display = ("student", "student_name", "session", "connection_status", "joined_at", "last_activity")
    list_filter = ("connection_status", "session__status", ("session", admin.RelatedOnlyFieldListFilter))
    search_fields = ("student__username", "student__first_name", "student__last_name", "session__title")
    list_select_related = ("student", "session")

    @admin.display(description="name", ordering="student__last_name")
    def student_name(self, participant):
        return participant.student.get_full_name()


class LiveConnectionInline(ReadOnlyInline, admin.TabularInline):
    model = LiveConnection
    fields = ("channel_name", "participant", "connected_at")
    readonly_fields = fields


@admin.register(ServerProcess)
class ServerProcessAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "started_at", "last_seen", "alive", "connection_count")
    search_fields = ("id", "name")
    actions = ["forget"]
    inlines = [LiveConnectionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_connections=Count("connections"))

    @admin.display(description="connections", ordering="n_connections")
    def connection_count(self, server):
        return server.n_connections

    @admin.display(description="alive", boolean=True)
    def alive(self, server):
        return server.last_seen >= now() - timedelta(seconds=settings.SERVER_DEAD_AFTER_SECONDS)

    def has_forget_permission(self, request):
        return sees_everything(request.user)

    @admin.action(description="Forget (its students go offline)", permissions=["forget"])
    def forget(self, request, queryset):
        gone = sum(server_process_forget(server_id=server.pk) for server in queryset)
        self.message_user(request, f"Forgot the selected processes; {gone} student(s) went offline.")


@admin.register(LiveConnection)
class LiveConnectionAdmin(ReadOnlyAdmin, TeacherScopedAdmin):
    class_lookup = "participant__session__school_class"
    list_display = ("channel_name", "participant", "session", "server", "connected_at")
    list_filter = ("server",)
    search_fields = ("channel_name", "participant__student__username")
    list_select_related = ("participant__student", "participant__session", "server")

    @admin.display(description="session")
    def session(self, connection):
        return connection.participant.session
