"""Users of the platform: one model, three roles."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class Role(models.TextChoices):
    ADMIN = "ADMIN", "Admin"
    TEACHER = "TEACHER", "Teacher"
    STUDENT = "STUDENT", "Student"


class PlatformUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT, db_index=True)

    objects = PlatformUserManager()

    class Meta:
        ordering = ["username"]

    @property
    def effective_role(self) -> str:
        """A superuser counts as ADMIN whatever its stored role."""
        return Role.ADMIN if self.is_superuser else self.role

    @property
    def is_platform_admin(self) -> bool:
        return self.effective_role == Role.ADMIN

    @property
    def is_teacher(self) -> bool:
        return self.effective_role == Role.TEACHER

    @property
    def is_student(self) -> bool:
        return self.effective_role == Role.STUDENT

    @property
    def is_staff_member(self) -> bool:
        """Admins and teachers: the people who run classes."""
        return self.effective_role in (Role.ADMIN, Role.TEACHER)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
