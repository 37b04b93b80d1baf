"""Attempts in the admin: read-only rows (students write them through the WebSocket; the event log is
append-only), plus the teacher's live controls where they make sense: finish, extra time, reopen."""

from functools import partial

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.utils.text import Truncator

from attempts.models import Answer, Attempt, AttemptEvent, AttemptStatus, Highlight, Practice, Violation, WritingMark
from attempts.practice import practice_publish
from attempts.writing import attempt_mark_writing
from classes.models import Class, ClassStatus
from exams.choices import QuestionType
from exams.models import Question, Test
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
from sessions_app.services import attempt_extend, attempt_finish, attempt_reopen
from sessions_app.services.controls import EXTRA_SECONDS, REOPEN_SECONDS

ATTEMPT_CLASS = ("session__school_class", "practice__school_class")
ROW_CLASS = ("attempt__session__school_class", "attempt__practice__school_class")


class AnswerInline(ReadOnlyInline, admin.TabularInline):
    model = Answer
    fields = ("question_number", "answer", "correct", "accepted", "answered_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question")

    @admin.display(description="Q")
    def question_number(self, answer):
        return answer.question.number

    @admin.display(description="correct", boolean=True)
    def correct(self, answer):
        return answer.question.is_correct(answer.answer)

    @admin.display(description="key")
    def accepted(self, answer):
        return " | ".join(answer.question.answers)


class HighlightInline(ReadOnlyInline, admin.TabularInline):
    model = Highlight
    fields = ("passage", "text", "position_start", "position_end", "timestamp")
    readonly_fields = fields


class ViolationInline(ReadOnlyInline, admin.TabularInline):
    model = Violation
    fields = ("type", "timestamp", "verdict", "note", "reviewed_by", "reviewed_at")
    readonly_fields = fields


class ExtraTimeForm(forms.Form):
    minutes = forms.IntegerField(
        min_value=EXTRA_SECONDS[0] // 60, max_value=EXTRA_SECONDS[-1] // 60,
        help_text="More time for each selected student (negative to correct a mistake).",
    )  # fmt: skip
    reason = forms.CharField(max_length=500, required=False)

    def clean_minutes(self):
        if self.cleaned_data["minutes"] == 0:
            raise forms.ValidationError("Give or take at least one minute.")
        return self.cleaned_data["minutes"]


class ReopenForm(forms.Form):
    minutes = forms.IntegerField(
        min_value=1, max_value=REOPEN_SECONDS[-1] // 60, help_text="The reopened attempt ends this long from now."
    )


class AttemptEventInline(ReadOnlyInline, admin.TabularInline):
    model = AttemptEvent
    fields = ("created_at", "type", "event_id", "data")
    readonly_fields = fields


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin, TeacherScopedAdmin):
    class_lookup = ATTEMPT_CLASS
    list_display = ("student", "student_name", "session", "practice", "status", "score", "band", "answer_count",
                    "violation_count", "started_at", "submitted_at")  # fmt: skip
    list_filter = ("status", ("session", admin.RelatedOnlyFieldListFilter), ("test", admin.RelatedOnlyFieldListFilter))
    search_fields = ("student__username", "student__first_name", "student__last_name", "session__title")
    list_select_related = ("student", "session", "practice__test", "test")
    fields = ("student", "session", "practice", "test", "status", "score", "band", "started_at", "ends_at",
              "extra_seconds", "offline_time", "submitted_at", "current_passage_index", "current_question_index",
              "flagged")  # fmt: skip
    readonly_fields = fields
    inlines = [AnswerInline, ViolationInline, HighlightInline, AttemptEventInline]
    actions = ["finish", "extra_time", "reopen"]

    def has_control_permission(self, request):
        """The live controls: the session's teachers (the queryset is already theirs) and admins."""
        return request.user.is_staff_member

    @admin.action(description="Finish now (submit and mark)", permissions=["control"])
    def finish(self, request, queryset):
        service = partial(attempt_finish, by=request.user)
        run_for_each(self, request, queryset, service, done="Finished", argument="attempt")

    @admin.action(description="Give extra time…", permissions=["control"])
    def extra_time(self, request, queryset):
        return self._with_form(
            request, queryset, ExtraTimeForm, "extra_time", "Give extra time",
            lambda data: partial(attempt_extend, by=request.user, seconds=data["minutes"] * 60, reason=data["reason"]),
            done="Extra time given",
        )  # fmt: skip

    @admin.action(description="Reopen…", permissions=["control"])
    def reopen(self, request, queryset):
        return self._with_form(
            request, queryset, ReopenForm, "reopen", "Reopen",
            lambda data: partial(attempt_reopen, by=request.user, seconds=data["minutes"] * 60), done="Reopened",
        )  # fmt: skip

    def _with_form(self, request, queryset, form_class, action_name, title, service_for, *, done):
        """An action that asks for numbers first: the form on an intermediate page, then the service per attempt."""
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            run_for_each(self, request, queryset, service_for(form.cleaned_data), done=done, argument="attempt")
            return None
        context = {
            **self.admin_site.each_context(request), "title": title, "form": form, "attempts": list(queryset),
            "action_name": action_name, "submit_label": title, "opts": self.model._meta,
        }  # fmt: skip
        return TemplateResponse(request, "admin/attempts/attempt/control_form.html", context)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_answers=Count("answers", distinct=True), n_violations=Count("violations", distinct=True))
        )

    @admin.display(description="name", ordering="student__last_name")
    def student_name(self, attempt):
        return attempt.student.get_full_name()

    @admin.display(description="answers", ordering="n_answers")
    def answer_count(self, attempt):
        return attempt.n_answers

    @admin.display(description="violations", ordering="n_violations")
    def violation_count(self, attempt):
        return attempt.n_violations

    @admin.display(description="offline seconds")
    def offline_time(self, attempt):
        return attempt.offline_seconds_at(now())

    @admin.display(description="flagged questions")
    def flagged(self, attempt):
        return ", ".join(str(q.number) for q in attempt.flagged_questions.order_by("number")) or "—"


class AttemptRowAdmin(ReadOnlyAdmin, TeacherScopedAdmin):
    """A row of one attempt (answer, highlight, violation, event), scoped through its attempt's class."""

    class_lookup = ROW_CLASS
    list_select_related = ("attempt__student", "attempt__session")
    search_fields = ("attempt__student__username", "attempt__student__last_name", "attempt__session__title")

    @admin.display(description="student", ordering="attempt__student__username")
    def student(self, row):
        return row.attempt.student

    @admin.display(description="session", ordering="attempt__session__title")
    def session(self, row):
        return row.attempt.session


@admin.register(Answer)
class AnswerAdmin(AttemptRowAdmin):
    list_display = ("student", "session", "question", "answer", "answered_at")
    list_filter = (("attempt__session", admin.RelatedOnlyFieldListFilter),)
    list_select_related = (*AttemptRowAdmin.list_select_related, "question")


@admin.register(Highlight)
class HighlightAdmin(AttemptRowAdmin):
    list_display = ("student", "session", "passage", "excerpt", "position_start", "position_end", "timestamp")
    list_filter = (("attempt__session", admin.RelatedOnlyFieldListFilter),)
    list_select_related = (*AttemptRowAdmin.list_select_related, "passage")

    @admin.display(description="text")
    def excerpt(self, highlight):
        return Truncator(highlight.text).chars(60)


@admin.register(Violation)
class ViolationAdmin(AttemptRowAdmin):
    list_display = ("student", "session", "type", "timestamp", "verdict")
    list_filter = ("type", "verdict", ("attempt__session", admin.RelatedOnlyFieldListFilter))


@admin.register(AttemptEvent)
class AttemptEventAdmin(AttemptRowAdmin):
    list_display = ("created_at", "student", "session", "type", "event_id")
    list_filter = ("type", ("attempt__session", admin.RelatedOnlyFieldListFilter))
    search_fields = (*AttemptRowAdmin.search_fields, "event_id", "type")
    date_hierarchy = "created_at"


@admin.register(Practice)
class PracticeAdmin(ServiceErrorsAdmin, TeacherScopedAdmin):
    """Papers published to classes for practice: published through the service, the window and the choices changed
    here; the attempts are on the attempts' list."""

    list_display = ("test", "school_class", "opens_at", "closes_at", "time_limit_minutes",
                    "show_answers_after_submit", "attempt_count", "created_at")  # fmt: skip
    list_filter = (("school_class", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("test", "school_class")
    fields = ("school_class", "test", "opens_at", "closes_at", "time_limit_minutes", "show_answers_after_submit")

    def get_readonly_fields(self, request, obj=None):
        return ("school_class", "test") if obj is not None else ()

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_attempts=Count("attempts"))

    @admin.display(description="attempts", ordering="n_attempts")
    def attempt_count(self, practice):
        return practice.n_attempts

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "school_class":
            classes = Class.objects if sees_everything(request.user) else classes_taught_by(request.user)
            kwargs["queryset"] = classes.filter(status=ClassStatus.ACTIVE)
        elif db_field.name == "test":
            kwargs["queryset"] = Test.objects.latest_versions().order_by("title", "id")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "time_limit_minutes" in form.base_fields:
            form.base_fields["time_limit_minutes"].required = False
            form.base_fields["time_limit_minutes"].help_text = "Empty for the paper's own."
        return form

    def save_model(self, request, obj, form, change):
        if change:
            obj.time_limit_minutes = obj.time_limit_minutes or obj.test.time_limit_minutes
            obj.save()
            return
        data = form.cleaned_data
        created = practice_publish(
            school_class=data["school_class"], test=data["test"], opens_at=data["opens_at"],
            closes_at=data["closes_at"], time_limit_minutes=data["time_limit_minutes"],
            show_answers_after_submit=data["show_answers_after_submit"], by=request.user,
        )  # fmt: skip
        adopt(obj, created)


@admin.register(WritingMark)
class WritingMarkAdmin(ServiceErrorsAdmin, TeacherScopedAdmin):
    """A teacher's marks for one essay, written through the marking service (the REST route's and the marking
    page's): the task's band and the attempt's writing band follow from the criteria."""

    class_lookup = ROW_CLASS
    list_display = ("attempt", "question", "ta", "cc", "lr", "gra", "band", "marked_by", "marked_at")
    list_select_related = ("attempt__student", "attempt__session", "question", "marked_by")
    search_fields = ("attempt__student__username", "attempt__student__last_name", "attempt__session__title")
    fields = ("attempt", "question", "ta", "cc", "lr", "gra", "comment", "band", "marked_by", "marked_at")
    readonly_fields = ("band", "marked_by", "marked_at")

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "attempt", "question") if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "attempt":
            attempts = Attempt.objects.filter(status=AttemptStatus.SUBMITTED, test__questions__type=QuestionType.ESSAY)
            if not sees_everything(request.user):
                classes = classes_taught_by(request.user)
                attempts = attempts.filter(Q(session__school_class__in=classes) | Q(practice__school_class__in=classes))
            kwargs["queryset"] = attempts.distinct().select_related("student", "session")
        elif db_field.name == "question":
            kwargs["queryset"] = Question.objects.filter(type=QuestionType.ESSAY).select_related("test")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        criteria = {"TA": data["ta"], "CC": data["cc"], "LR": data["lr"], "GRA": data["gra"]}
        attempt_mark_writing(
            attempt=obj.attempt_id, question_id=obj.question_id, criteria=criteria, comment=data.get("comment"),
            by=request.user,
        )  # fmt: skip
        adopt(obj, WritingMark.objects.get(attempt_id=obj.attempt_id, question_id=obj.question_id))
