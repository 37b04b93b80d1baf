"""Users in the admin: created through accounts.services so staff flags and groups follow the role.

Teachers use the admin too: they see the students they manage (accounts.selectors.students_managed_by) and
themselves, change only their names, reset a student's password through `student_password_reset` (which logs
who did it), and may create students only.
"""

import contextvars

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserCreationForm
from django.db.models import Prefetch, Q
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.selectors import students_managed_by
from accounts.services import student_password_reset, user_create, user_set_role
from ielts_site.admin_tools import ServiceErrorsAdmin, adopt, classes_taught_by, sees_everything
from ielts_site.errors import ApplicationError

_password_reset_by = contextvars.ContextVar("password_reset_by")


class UserAddForm(UserCreationForm):
    """Username, password twice, role and name; `user_create` does the saving."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "role", "first_name", "last_name", "email")


class PasswordResetForm(AdminPasswordChangeForm):
    """The admin's password form, saved by `student_password_reset` on behalf of the user of the request."""

    def save(self, commit=True):
        password = self.cleaned_data["password1"] if self.cleaned_data.get("set_usable_password", True) else None
        self.user = student_password_reset(by=_password_reset_by.get(), student=self.user, password=password)
        return self.user


@admin.register(User)
class UserAdmin(ServiceErrorsAdmin, DjangoUserAdmin):
    add_form = UserAddForm
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("Role and name"), {"fields": ("role", "first_name", "last_name", "email")}),
    )
    admin_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role and access"), {"fields": ("role", "is_active", "is_staff", "is_superuser", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    teacher_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role and access"), {"fields": ("role", "is_active")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    teacher_editable = ("first_name", "last_name")  # and the password, through the reset form
    change_password_form = PasswordResetForm
    list_display = ("username", "first_name", "last_name", "role", "is_active", "class_names", "last_login")
    list_filter = ("role", "is_active", "enrolled_classes")
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("username",)
    filter_horizontal = ("groups",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_everything(request.user):
            return queryset.prefetch_related("enrolled_classes")
        managed = students_managed_by(request.user).values("pk")
        return queryset.filter(Q(pk__in=managed) | Q(pk=request.user.pk)).prefetch_related(
            Prefetch("enrolled_classes", queryset=classes_taught_by(request.user))  # their own classes only
        )

    def get_list_filter(self, request):
        if sees_everything(request.user):
            return self.list_filter
        return ("is_active",)

    @admin.display(description="classes")
    def class_names(self, user):
        return ", ".join(c.name for c in user.enrolled_classes.all())

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        return self.admin_fieldsets if sees_everything(request.user) else self.teacher_fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = ["last_login", "date_joined", "is_staff", "is_superuser"]
        if obj is not None and not sees_everything(request.user):
            fields = [name for _, options in self.teacher_fieldsets for name in options["fields"]]
            readonly += [name for name in fields if name not in (*self.teacher_editable, "password", *readonly)]
        return readonly

    def user_change_password(self, request, id, form_url=""):
        token = _password_reset_by.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        except ApplicationError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        finally:
            _password_reset_by.reset(token)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not sees_everything(request.user):
            kwargs["choices"] = [(Role.STUDENT, Role.STUDENT.label)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            data = form.cleaned_data
            created = user_create(
                username=data["username"],
                password=data["password1"],
                role=data.get("role") or Role.STUDENT,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
                created_by=request.user,
            )
            adopt(obj, created)
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and "role" in form.changed_data:  # after the groups field is saved: the role decides the group
            user_set_role(user=form.instance, role=form.instance.role, changed_by=request.user)
