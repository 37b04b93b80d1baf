"""Classes and enrolments in the admin. Writes go through the services, so enrolling a student also adds them
to the class's sessions that have not started, and removing one takes them out again."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q

from accounts.models import Role, User
from accounts.selectors import students_enrollable_by
from classes.models import Class, ClassStatus, Enrolment
from classes.services import class_create, class_update
from ielts_site.admin_tools import (
    ServiceErrorsAdmin,
    TeacherScopedAdmin,
    adopt,
    classes_taught_by,
    run_for_each,
    sees_everything,
)
from ielts_site.errors import ApplicationError
from sessions_app.services import class_archive, class_enrol, class_unenrol


def _students(request):
    """The students one may pick for a class: a teacher never sees the members of another teacher's class."""
    return students_enrollable_by(request.user).order_by("username")


def _staff():
    return User.objects.filter(Q(role__in=[Role.TEACHER, Role.ADMIN]) | Q(is_superuser=True)).order_by("username")


class EnrolmentInlineForm(forms.ModelForm):
    class Meta:
        model = Enrolment
        fields = ("student",)

    def clean_student(self):
        student = self.cleaned_data["student"]
        if self.instance.pk and student.pk != self.instance.student_id:
            raise forms.ValidationError("To replace a student, delete this row and add a new one.")
        return student


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    form = EnrolmentInlineForm
    extra = 0
    fields = ("student", "student_name", "enrolled_at")
    readonly_fields = ("student_name", "enrolled_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("student")

    @admin.display(description="name")
    def student_name(self, enrolment):
        return enrolment.student.get_full_name() if enrolment.student_id else ""

    def has_add_permission(self, request, obj=None):
        if obj is not None and not obj.is_active:
            return False  # an archived class takes no new students
        return super().has_add_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "student":
            kwargs["queryset"] = _students(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def save_enrolments(modeladmin, request, school_class, formset) -> None:
    """Apply the inline's rows through class_enrol / class_unenrol; each refusal becomes an error message."""
    formset.save(commit=False)  # fills new_objects / deleted_objects (the change message reads them)
    for enrolment in formset.deleted_objects:
        class_unenrol(school_class=school_class, student_id=enrolment.student_id)
    created = []
    for enrolment in formset.new_objects:
        try:
            created.append(class_enrol(school_class=school_class, student=enrolment.student))
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{enrolment.student}: {exc.detail}", messages.ERROR)
    formset.new_objects = created
    formset.changed_objects = []


@admin.register(Class)
class ClassAdmin(ServiceErrorsAdmin, TeacherScopedAdmin):
    class_lookup = "pk"
    list_display = ("name", "status", "teacher_names", "student_count", "session_count", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "description")
    fields = ("name", "description", "teachers", "target_band", "status", "created_at", "updated_at")
    readonly_fields = ("status", "created_at", "updated_at")
    filter_horizontal = ("teachers",)
    inlines = [EnrolmentInline]
    actions = ["archive"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("teachers")
            .annotate(n_students=Count("enrolments", distinct=True), n_sessions=Count("sessions", distinct=True))
        )

    @admin.display(description="teachers")
    def teacher_names(self, school_class):
        return ", ".join(t.display_name for t in school_class.teachers.all())

    @admin.display(description="students", ordering="n_students")
    def student_count(self, school_class):
        return school_class.n_students

    @admin.display(description="sessions", ordering="n_sessions")
    def session_count(self, school_class):
        return school_class.n_sessions

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if request.user.is_teacher:
            initial.setdefault("teachers", [request.user.pk])
        return initial

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "teachers":
            kwargs["queryset"] = _staff()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        teacher_ids = [teacher.pk for teacher in data["teachers"]]
        target_band = float(data["target_band"]) if data.get("target_band") is not None else None
        if change:
            class_update(
                school_class=obj, name=data["name"], description=data.get("description", ""), teacher_ids=teacher_ids,
                target_band=target_band,
            )  # fmt: skip
        else:
            created = class_create(
                name=data["name"], description=data.get("description", ""), teacher_ids=teacher_ids,
                target_band=target_band, created_by=request.user,
            )  # fmt: skip
            adopt(obj, created)

    def save_related(self, request, form, formsets, change):
        # The teachers were set by the service in save_model; only the enrolments are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if formset.model is Enrolment:
            save_enrolments(self, request, form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)

    @admin.action(description="Archive the selected classes", permissions=["change"])
    def archive(self, request, queryset):
        run_for_each(
            self, request, queryset.filter(status=ClassStatus.ACTIVE), class_archive, done="Archived",
            argument="school_class",
        )  # fmt: skip


@admin.register(Enrolment)
class EnrolmentAdmin(ServiceErrorsAdmin, TeacherScopedAdmin):
    list_display = ("student", "student_name", "school_class", "enrolled_at")
    list_filter = (("school_class", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("student__username", "student__first_name", "student__last_name", "school_class__name")
    list_select_related = ("student", "school_class")
    fields = ("school_class", "student", "enrolled_at")
    readonly_fields = ("enrolled_at",)

    @admin.display(description="name", ordering="student__last_name")
    def student_name(self, enrolment):
        return enrolment.student.get_full_name()

    def has_change_permission(self, request, obj=None):
        return False  # an enrolment is added or removed, never edited

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "student":
            kwargs["queryset"] = _students(request)
        elif db_field.name == "school_class":
            classes = Class.objects if sees_everything(request.user) else classes_taught_by(request.user)
            kwargs["queryset"] = classes.filter(status=ClassStatus.ACTIVE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        adopt(obj, class_enrol(school_class=obj.school_class, student=obj.student))

    def delete_model(self, request, obj):
        class_unenrol(school_class=obj.school_class, student_id=obj.student_id)

    def delete_queryset(self, request, queryset):
        for enrolment in queryset.select_related("school_class"):
            class_unenrol(school_class=enrolment.school_class, student_id=enrolment.student_id)
