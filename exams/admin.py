"""The test bank in the admin: a paper with its passages and numbered questions. Teachers author papers too."""

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.utils.text import Truncator

from exams.models import Passage, Question, Test


def _strings(value, *, field: str, required: bool) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise forms.ValidationError(f'Enter {field} as a JSON list of strings, e.g. ["B"].')
    if required and not [item for item in value if item.strip()]:
        raise forms.ValidationError("At least one accepted answer is needed.")
    return value


class QuestionForm(forms.ModelForm):
    """Answer keys and options are JSON lists of strings; a question belongs to a passage of its own paper."""

    class Meta:
        model = Question
        fields = ("number", "passage", "type", "prompt", "options", "answers", "word_limit")

    def clean_answers(self):
        return _strings(self.cleaned_data.get("answers"), field="answers", required=True)

    def clean_options(self):
        return _strings(self.cleaned_data.get("options") or [], field="options", required=False)

    def clean(self):
        cleaned = super().clean()
        passage = cleaned.get("passage")
        test = cleaned.get("test") or (self.instance.test if self.instance.test_id else None)
        if passage is not None and test is not None and test.pk and passage.test_id != test.pk:
            self.add_error("passage", "Choose a passage of this test.")
        return cleaned


_COMPACT = {
    models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})},
    models.JSONField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 28})},
}


class PassageInline(admin.StackedInline):
    model = Passage
    extra = 0
    fields = ("order", "title", "text")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 8, "cols": 100})}}


class QuestionInline(admin.TabularInline):
    model = Question
    form = QuestionForm
    extra = 0
    fields = ("number", "passage", "type", "prompt", "options", "answers", "word_limit")
    formfield_overrides = _COMPACT

    def get_formset(self, request, obj=None, **kwargs):
        request._admin_test = obj  # the passage choices below are this paper's passages
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "passage":
            test = getattr(request, "_admin_test", None)
            kwargs["queryset"] = Passage.objects.filter(test=test) if test else Passage.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Test)
class TestAdmin(admin.ModelAdmin):
    list_display = ("title", "module", "time_limit_minutes", "passage_count", "question_total", "session_count",
                    "created_by", "updated_at")  # fmt: skip
    list_filter = ("module",)
    search_fields = ("title",)
    readonly_fields = ("created_by", "created_at", "updated_at")
    fields = ("title", "module", "time_limit_minutes", "band_table", "created_by", "created_at", "updated_at")
    inlines = [PassageInline, QuestionInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
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

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Passage)
class PassageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "test", "order", "word_count", "question_numbers")
    list_filter = ("test",)
    search_fields = ("title", "text", "test__title")
    list_select_related = ("test",)
    fields = ("test", "order", "title", "text")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("questions")

    @admin.display(description="words")
    def word_count(self, passage):
        return len(passage.text.split())

    @admin.display(description="questions")
    def question_numbers(self, passage):
        numbers = sorted(q.number for q in passage.questions.all())
        return f"{numbers[0]}–{numbers[-1]}" if numbers else "—"


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionForm
    list_display = ("number", "test", "passage", "type", "short_prompt", "keys", "word_limit")
    list_display_links = ("number", "short_prompt")
    list_filter = ("type", "test")
    search_fields = ("prompt", "test__title")
    list_select_related = ("test", "passage")
    fields = ("test", "number", "passage", "type", "prompt", "options", "answers", "word_limit")
    ordering = ("test", "number")

    def get_form(self, request, obj=None, **kwargs):
        request._admin_test = obj.test if obj else None
        return super().get_form(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        test = getattr(request, "_admin_test", None)
        if db_field.name == "passage" and test is not None:
            kwargs["queryset"] = Passage.objects.filter(test=test)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="prompt")
    def short_prompt(self, question):
        return Truncator(question.prompt).chars(70)

    @admin.display(description="accepted answers")
    def keys(self, question):
        return " | ".join(question.answers)
