"""The test bank in the admin: a paper with its passages and numbered questions. Teachers author papers too, and
see and change only their own (exams.selectors); the rules of what may be written are exams.validation's, the same
as the API's (the model's `clean()` runs them for every form here). "Import a paper" takes a JSON file of
docs/paper-format.md, checked by the API's create serializer (exams.paper_file)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.messages.storage import default_storage
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.text import Truncator

from exams.forms import PaperFileForm, PassageForm
from exams.models import Passage, Question, Test
from exams.paper_file import PaperFileRefused, paper_import
from exams.presentation import passage_audio_url
from exams.selectors import (
    paper_in_use,
    paper_is_owned_by,
    papers_owned_by,
    passages_owned_by,
    questions_owned_by,
)
from exams.services import EditableVersion, passage_set_audio, test_delete, version_for_edit
from exams.validation import numbering_problem


class QuestionForm(forms.ModelForm):
    """Answer keys and options are JSON lists of strings (checked by `Question.clean`); a question belongs to a
    passage of its own paper, and the paper's questions stay numbered 1..N."""

    check_numbering = True  # the inline checks the whole paper at once instead (QuestionInlineFormSet)

    class Meta:
        model = Question
        fields = ("number", "passage", "type", "prompt", "options", "answers", "word_limit", "evidence_start",
                  "evidence_end", "task", "min_words", "image")  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        passage = cleaned.get("passage")
        test = cleaned.get("test") or (self.instance.test if self.instance.test_id else None)
        if passage is not None and test is not None and test.pk and passage.test_id != test.pk:
            self.add_error("passage", "Choose a passage of this test.")
        number = cleaned.get("number")
        if self.check_numbering and test is not None and test.pk and number is not None:
            others = Question.objects.filter(test=test).exclude(pk=self.instance.pk).values_list("number", flat=True)
            problem = numbering_problem([*others, number])
            if problem:
                self.add_error("number", f"{problem} The next free number is {len(others) + 1}.")
        return cleaned


class InlineQuestionForm(QuestionForm):
    check_numbering = False


class QuestionInlineFormSet(BaseInlineFormSet):
    """The paper's questions, all at once: numbered 1..N, each number once (the API's rule)."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        numbers = [
            form.cleaned_data["number"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("number")
        ]
        problem = numbering_problem(numbers)
        if problem:
            raise forms.ValidationError(problem)


class OwnedPaperInline:
    """An inline of a paper: changed only by its owner (mix in before the inline class)."""

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or paper_is_owned_by(obj, request.user))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or paper_is_owned_by(obj, request.user))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or paper_is_owned_by(obj, request.user))


class OwnedPaperRowAdmin(admin.ModelAdmin):
    """A passage or question: listed and changed only on the papers one owns, in their latest versions; a change
    to a row of a version a started session uses is made to its copy in the paper's next version."""

    def _moved(self, edit: EditableVersion, row):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            edit = version_for_edit(obj.test)
            if edit.test.pk != obj.test_id:
                self._moved(edit, obj)
            super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        with transaction.atomic():
            edit = version_for_edit(obj.test)
            if edit.test.pk != obj.test_id:
                self._moved(edit, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for row in queryset:
            self.delete_model(request, row)

    def _owned(self, request, obj) -> bool:
        return obj is None or paper_is_owned_by(obj.test, request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._owned(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._owned(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._owned(request, obj)


_COMPACT = {
    models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})},
    models.JSONField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 28})},
}


class PassageInline(OwnedPaperInline, admin.StackedInline):
    model = Passage
    extra = 0
    fields = ("order", "title", "text")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 8, "cols": 100})}}


class QuestionInline(OwnedPaperInline, admin.TabularInline):
    model = Question
    form = InlineQuestionForm
    formset = QuestionInlineFormSet
    extra = 0
    # The chart is uploaded on the question's own page (or over the API), not in the paper's row of questions.
    fields = ("number", "passage", "type", "prompt", "options", "answers", "word_limit", "evidence_start",
              "evidence_end", "task", "min_words")  # fmt: skip
    formfield_overrides = _COMPACT

    def get_formset(self, request, obj=None, **kwargs):
        request._admin_test = obj  # the passage choices below are this paper's passages
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "passage":
            test = getattr(request, "_admin_test", None)
            kwargs["queryset"] = Passage.objects.filter(test=test) if test else Passage.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _posted_for(edit: EditableVersion, posted: QueryDict, *, edited: Test) -> QueryDict:
    """The change form's data with each row of the version edited named by its copy in the new version."""
    moved = posted.copy()
    for key, values in posted.lists():
        if key.startswith("passages-") and key.endswith("-id"):
            moved.setlist(key, [str(edit.passage_id(_as_id(v))) for v in values])
        elif key.startswith("questions-") and key.endswith("-id"):
            moved.setlist(key, [str(edit.question_id(_as_id(v))) for v in values])
        elif key.startswith("questions-") and key.endswith("-passage"):
            moved.setlist(key, [str(edit.passage_id(_as_id(v))) for v in values])
        elif key.endswith("-test") and values == [str(edited.pk)]:
            moved.setlist(key, [str(edit.test.pk)])
    return moved


def _as_id(value: str):
    return int(value) if value.isdigit() else value


@admin.register(Test)
class TestAdmin(admin.ModelAdmin):
    list_display = ("title", "module", "time_limit_minutes", "passage_count", "question_total", "session_count",
                    "created_by", "updated_at")  # fmt: skip
    list_filter = ("module",)
    search_fields = ("title",)
    readonly_fields = ("created_by", "created_at", "updated_at")
    formfield_overrides = {models.JSONField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 60})}}
    fields = ("title", "module", "time_limit_minutes", "band_table", "created_by", "created_at", "updated_at")
    inlines = [PassageInline, QuestionInline]

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="exams_test_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a paper's JSON file; the new paper's change form on success, every problem on the form otherwise."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PaperFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                test = paper_import(paper=form.cleaned_data["paper"], owner=request.user)
            except PaperFileRefused as refusal:
                form.add_error("file", refusal.lines())
            else:
                messages.success(request, f"The paper “{test.title}” was imported.")
                return redirect("admin:exams_test_change", test.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import a paper",
            "form": form,
        }
        return TemplateResponse(
            request, "admin/exams/test/import_paper.html", context, status=400 if form.errors else 200
        )

    def get_queryset(self, request):
        return (
            papers_owned_by(request.user)
            .latest_versions()
            .select_related("created_by")
            .annotate(
                n_passages=Count("passages", distinct=True),
                n_questions=Count("questions", distinct=True),
                n_sessions=Count("sessions", distinct=True),
            )
        )

    @admin.display(description="passages", ordering="n_passages")
    def passage_count(self, test):
        return test.n_passages

    @admin.display(description="questions", ordering="n_questions")
    def question_total(self, test):
        return test.n_questions

    @admin.display(description="sessions", ordering="n_sessions")
    def session_count(self, test):
        return test.n_sessions

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or paper_is_owned_by(obj, request.user))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or paper_is_owned_by(obj, request.user))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or paper_is_owned_by(obj, request.user))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_deleted_objects(self, objs, request):
        """A paper goes with all its versions (exams.services.test_delete): the sessions of any of them protect it."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for test in objs:
            for version in Test.objects.of_paper(test.paper_id).exclude(pk=test.pk):
                protected += [str(session) for session in version.sessions.all()]
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        test_delete(test=obj)

    def delete_queryset(self, request, queryset):
        for test in queryset:
            test_delete(test=test)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A change to a version a started session uses goes to the paper's next version instead (the form is
        checked against the version shown first, so its errors name the rows the teacher sees)."""
        test = self.get_object(request, unquote(object_id)) if object_id else None
        if request.method != "POST" or test is None or not paper_in_use(test):
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic():
            checked = super().changeform_view(request, object_id, form_url, extra_context)
            transaction.set_rollback(True)
        if not isinstance(checked, HttpResponseRedirect):
            return checked
        request._messages = default_storage(request)  # the check's "changed successfully" is not the last word
        with transaction.atomic():
            edit = version_for_edit(test)
            request.POST = _posted_for(edit, request.POST, edited=test)
            return super().changeform_view(request, str(edit.test.pk), form_url, extra_context)


@admin.register(Passage)
class PassageAdmin(OwnedPaperRowAdmin):
    list_display = ("__str__", "test", "order", "word_count", "question_numbers")
    list_filter = (("test", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("title", "text", "test__title")
    list_select_related = ("test",)
    form = PassageForm
    fields = ("test", "order", "title", "text", "recording", "current_recording", "audio_seconds")
    readonly_fields = ("current_recording", "audio_seconds")

    def get_queryset(self, request):
        return passages_owned_by(request.user).filter(test__is_latest=True).prefetch_related("questions")

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            upload = form.cleaned_data.get("recording")
            if upload:  # the form checked it; the service stores it (in the version the row was saved to)
                passage_set_audio(
                    test=obj.test, passage_id=obj.pk, file=upload, content_type=form.recording_type,
                    filename=upload.name, by=request.user,
                )  # fmt: skip

    @admin.display(description="current recording")
    def current_recording(self, passage):
        url = passage_audio_url(passage) if passage.pk else None
        return format_html('<a href="{}">{}</a>', url, passage.audio.name) if url else "—"

    def _moved(self, edit, passage):
        passage.pk = edit.passage_id(passage.pk) if passage.pk else None
        passage.test = edit.test

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "test":
            kwargs["queryset"] = papers_owned_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="words")
    def word_count(self, passage):
        return len(passage.text.split())

    @admin.display(description="questions")
    def question_numbers(self, passage):
        numbers = sorted(q.number for q in passage.questions.all())
        return f"{numbers[0]}–{numbers[-1]}" if numbers else "—"


@admin.register(Question)
class QuestionAdmin(OwnedPaperRowAdmin):
    form = QuestionForm
    list_display = ("number", "test", "passage", "type", "short_prompt", "keys", "word_limit")
    list_display_links = ("number", "short_prompt")
    list_filter = ("type", ("test", admin.RelatedOnlyFieldListFilter))
    search_fields = ("prompt", "test__title")
    list_select_related = ("test", "passage")
    fields = ("test", "number", "passage", "type", "prompt", "options", "answers", "word_limit", "evidence_start",
              "evidence_end", "task", "min_words", "image")  # fmt: skip
    ordering = ("test", "number")

    def get_form(self, request, obj=None, **kwargs):
        request._admin_test = obj.test if obj else None
        return super().get_form(request, obj, **kwargs)

    def get_queryset(self, request):
        return questions_owned_by(request.user).filter(test__is_latest=True)

    def _moved(self, edit, question):
        question.pk = edit.question_id(question.pk) if question.pk else None
        question.test = edit.test
        question.passage_id = edit.passage_id(question.passage_id)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        test = getattr(request, "_admin_test", None)
        if db_field.name == "passage":
            kwargs["queryset"] = (
                Passage.objects.filter(test=test) if test is not None else passages_owned_by(request.user)
            )
        elif db_field.name == "test":
            kwargs["queryset"] = papers_owned_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="prompt")
    def short_prompt(self, question):
        return Truncator(question.prompt).chars(70)

    @admin.display(description="accepted answers")
    def keys(self, question):
        return " | ".join(question.answers)
