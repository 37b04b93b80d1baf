"""Teaching classes ("Beacon 31"): their teachers and enrolled students."""

from django.conf import settings
from django.db import models


class ClassStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    ARCHIVED = "ARCHIVED", "Archived"


class Class(models.Model):
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=ClassStatus.choices, default=ClassStatus.ACTIVE, db_index=True)
    teachers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="taught_classes")
    students = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Enrolment", related_name="enrolled_classes")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "class"
        verbose_name_plural = "classes"
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == ClassStatus.ACTIVE

    def is_taught_by(self, user) -> bool:
        return self.teachers.filter(pk=user.pk).exists()


class Enrolment(models.Model):
    school_class = models.ForeignKey(Class, on_delete=models.CASCADE, related_name="enrolments")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    enrolled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["school_class", "student__username"]
        constraints = [
            models.UniqueConstraint(fields=["school_class", "student"], name="student_enrolled_once_per_class")
        ]

    def __str__(self):
        return f"{self.student} in {self.school_class}"
