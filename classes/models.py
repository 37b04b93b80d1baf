"""Teaching classes ("Beacon 31"): their teachers and enrolled students."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from exams.validation import is_band


class ClassStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    ARCHIVED = "ARCHIVED", "Archived"


class Class(models.Model):
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=ClassStatus.choices, default=ClassStatus.ACTIVE, db_index=True)
    teachers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="taught_classes")
    students = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Enrolment", related_name="enrolled_classes")
    # The band the class is working towards (the results page draws the band distribution against it).
    target_band = models.DecimalField(
        max_digits=3, decimal_places=1, null=True, blank=True, help_text="Optional: a band from 0 to 9, e.g. 6.5."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "class"
        verbose_name_plural = "classes"
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_band__isnull=True) | models.Q(target_band__gte=0, target_band__lte=9),
                name="class_target_band_0_to_9",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.target_band is not None and not is_band(float(self.target_band)):
            raise ValidationError({"target_band": "A band is a multiple of 0.5 from 0 to 9."})

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
