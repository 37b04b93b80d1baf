"""Shapes of a class: its teachers and students as lists of ids."""

from rest_framework import serializers

from accounts.serializers import IdField
from classes.models import Class, ClassStatus


class ClassSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ClassStatus.choices, read_only=True)
    teacher_ids = serializers.SerializerMethodField()
    student_ids = serializers.SerializerMethodField()

    class Meta:
        model = Class
        fields = ["id", "name", "description", "status", "teacher_ids", "student_ids", "created_at", "updated_at"]
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


class EnrolmentSerializer(serializers.Serializer):
    student_id = IdField()
