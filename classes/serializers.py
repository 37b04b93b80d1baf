"""Shapes of a class: its teachers and students as lists of ids."""

from rest_framework import serializers

from accounts.serializers import IdField
from classes.models import Class, ClassStatus
from exams.validation import is_band


class BandField(serializers.FloatField):
    """A band as a JSON number, a multiple of 0.5 from 0 to 9: a string, a boolean or any other number is refused."""

    default_error_messages = {"not_a_band": "A band is a number, a multiple of 0.5 from 0 to 9 (e.g. 6.5)."}

    def to_internal_value(self, data):
        if not is_band(data):
            self.fail("not_a_band")
        return float(data)


class ClassSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ClassStatus.choices, read_only=True)
    teacher_ids = serializers.SerializerMethodField()
    student_ids = serializers.SerializerMethodField()
    target_band = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Class
        fields = ["id", "name", "description", "status", "teacher_ids", "student_ids", "target_band", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields

    def get_teacher_ids(self, school_class) -> list[int]:
        return sorted(teacher.pk for teacher in school_class.teachers.all())

    def get_student_ids(self, school_class) -> list[int]:
        return sorted(enrolment.student_id for enrolment in school_class.enrolments.all())


class ClassWriteSerializer(serializers.Serializer):
    """Create (`name` required) and update (PATCH: any subset) a class."""

    name = serializers.CharField(max_length=120)
    description = serializers.CharField(allow_blank=True, required=False, max_length=20000)
    teacher_ids = serializers.ListField(child=IdField(), required=False, max_length=100)
    target_band = BandField(required=False, allow_null=True, help_text="null, or a multiple of 0.5 from 0 to 9.")


class EnrolmentSerializer(serializers.Serializer):
    student_id = IdField()
