"""Users in the admin: created through accounts.services so staff flags and groups follow the role.

Teachers use the admin too: they see students (and themselves) and may create students only.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.services import user_create, user_set_role
from ielts_site.admin_tools import ServiceErrorsAdmin, adopt, classes_taught_by, sees_everything


class UserAddForm(UserCreationForm):
    """Username, password twice, role and name; `user_create` does the saving."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "role", "first_name", "last_name", "email")


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
    list_display = ("username", "first_name", "last_name", "role", "is_active", "class_names", "last_login")
    list_filter = ("role", "is_active", "enrolled_classes")
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("username",)
    filter_horizontal = ("groups",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_everything(request.user):
            return queryset.prefetch_related("enrolled_classes")
        return queryset.filter(Q(role=Role.STUDENT, is_superuser=False) | Q(pk=request.user.pk)).prefetch_related(
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
            readonly.append("role")
        return readonly

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
