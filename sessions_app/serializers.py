"""Shapes of a session, its participants and its statistics. `status` only changes through the actions."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import IdField
from attempts.models import AttemptStatus
from classes.selectors import classes_visible_to
from exams.models import Test
from ielts_site.clock import now
from sessions_app.models import ConnectionStatus, Participant, Session, SessionStatus


def server_now() -> str:
    return serializers.DateTimeField().to_representation(now())


class ParticipantSerializer(serializers.ModelSerializer):
    student_id = serializers.IntegerField(read_only=True)
    student_name = serializers.CharField(source="student.display_name", read_only=True)
    attempt_id = serializers.SerializerMethodField()
    connection_status = serializers.ChoiceField(choices=ConnectionStatus.choices, read_only=True)

    class Meta:
        model = Participant
        fields = ["student_id", "student_name", "attempt_id", "joined_at", "connection_status", "last_activity"]
        read_only_fields = fields

    def get_attempt_id(self, participant) -> int | None:
        return self.context["attempt_ids"].get(participant.student_id)


class SessionSerializer(serializers.ModelSerializer):
    """The session body of the contract. Expects participants (with students) and attempts prefetched."""

    class_id = serializers.IntegerField(source="school_class_id", read_only=True)
    test_id = serializers.IntegerField(read_only=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=SessionStatus.choices, read_only=True)
    server_now = serializers.SerializerMethodField()
    participants = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id", "class_id", "test_id", "title", "status", "scheduled_at", "started_at", "ends_at", "completed_at",
            "created_by", "created_at", "updated_at", "server_now", "participants",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_server_now(self, session) -> str:
        return server_now()

    @extend_schema_field(ParticipantSerializer(many=True))
    def get_participants(self, session) -> list:
        attempt_ids = {attempt.student_id: attempt.pk for attempt in session.attempts.all()}
        return ParticipantSerializer(session.participants.all(), many=True, context={"attempt_ids": attempt_ids}).data


class VisibleClassField(serializers.PrimaryKeyRelatedField):
    """A class the requesting user manages; any other id is refused as unknown."""

    def __init__(self, **kwargs):
        super().__init__(pk_field=IdField(), **kwargs)

    def get_queryset(self):
        return classes_visible_to(self.context["request"].user)


class SessionCreateSerializer(serializers.Serializer):
    class_id = VisibleClassField()
    test_id = serializers.PrimaryKeyRelatedField(queryset=Test.objects.all(), pk_field=IdField())
    title = serializers.CharField(max_length=200)
    scheduled_at = serializers.DateTimeField()


class SessionUpdateSerializer(serializers.Serializer):
    """PATCH while the session is scheduled: any subset of these."""

    test_id = serializers.PrimaryKeyRelatedField(queryset=Test.objects.all(), pk_field=IdField(), required=False)
    title = serializers.CharField(max_length=200, required=False)
    scheduled_at = serializers.DateTimeField(required=False)


# ---------------------------------------------------------------- statistics (rendered from sessions_app.selectors)


class StudentStatsSerializer(serializers.Serializer):
    student_id = serializers.IntegerField()
    student_name = serializers.CharField()
    attempt_id = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=AttemptStatus.choices, allow_null=True)
    answered = serializers.IntegerField()
    correct = serializers.IntegerField()
    score = serializers.IntegerField(allow_null=True)
    band = serializers.FloatField(allow_null=True)
    violations = serializers.IntegerField()
    highlights = serializers.IntegerField()
    current_passage_index = serializers.IntegerField(allow_null=True)
    current_question_index = serializers.IntegerField(allow_null=True)


class QuestionStatsSerializer(serializers.Serializer):
    question_id = serializers.IntegerField()
    number = serializers.IntegerField()
    answered = serializers.IntegerField()
    correct = serializers.IntegerField()
    facility = serializers.FloatField(min_value=0, max_value=1)


class SessionStatsSerializer(serializers.Serializer):
    session_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=SessionStatus.choices)
    participants = serializers.IntegerField()
    connected = serializers.IntegerField()
    submitted = serializers.IntegerField()
    average_score = serializers.FloatField(allow_null=True)
    average_band = serializers.FloatField(allow_null=True)
    violations_total = serializers.IntegerField()
    students = StudentStatsSerializer(many=True)
    questions = QuestionStatsSerializer(many=True)
