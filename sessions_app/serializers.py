"""Shapes of a session, its participants and its statistics. `status` only changes through the actions."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import IdField
from attempts.models import AttemptStatus, Verdict
from classes.selectors import classes_visible_to
from exams.models import TIME_LIMIT_MINUTES, QuestionType
from exams.serializers import PaperField
from ielts_site.clock import now
from sessions_app.analysis import TFNG_KEYS
from sessions_app.models import ConnectionStatus, Participant, ResultsRelease, Session, SessionStatus, TeacherMessage


def server_now() -> str:
    return serializers.DateTimeField().to_representation(now())


class ParticipantSerializer(serializers.ModelSerializer):
    student_id = serializers.IntegerField(read_only=True)
    student_name = serializers.CharField(source="student.display_name", read_only=True)
    attempt_id = serializers.SerializerMethodField()
    connection_status = serializers.ChoiceField(choices=ConnectionStatus.choices, read_only=True)
    connections = serializers.IntegerField(source="n_connections", read_only=True)
    offline_seconds = serializers.SerializerMethodField()

    class Meta:
        model = Participant
        fields = ["student_id", "student_name", "attempt_id", "joined_at", "connection_status", "last_activity",
                  "connections", "offline_seconds"]  # fmt: skip
        read_only_fields = fields

    def _attempt(self, participant):
        return self.context["attempts"].get(participant.student_id)

    def get_attempt_id(self, participant) -> int | None:
        attempt = self._attempt(participant)
        return attempt.pk if attempt else None

    def get_offline_seconds(self, participant) -> int:
        attempt = self._attempt(participant)
        return attempt.offline_seconds_at(now()) if attempt else 0


class SessionSerializer(serializers.ModelSerializer):
    """The session body of the contract. Expects participants (with students) and attempts prefetched."""

    class_id = serializers.IntegerField(source="school_class_id", read_only=True)
    test_id = serializers.IntegerField(source="test.paper_id", read_only=True)
    test_version = serializers.IntegerField(source="test.version", read_only=True)
    passage_ids = serializers.SerializerMethodField()
    time_limit_minutes = serializers.IntegerField(source="duration_minutes", read_only=True)
    results_release = serializers.ChoiceField(choices=ResultsRelease.choices, read_only=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=SessionStatus.choices, read_only=True)
    server_now = serializers.SerializerMethodField()
    participants = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id", "class_id", "test_id", "test_version", "title", "status", "scheduled_at", "started_at", "ends_at",
            "completed_at", "passage_ids", "time_limit_minutes", "results_release", "review", "results_released_at",
            "created_by", "created_at", "updated_at", "server_now", "participants",
        ]  # fmt: skip
        read_only_fields = fields

    def get_passage_ids(self, session) -> list[int]:
        """The passages of its version of the paper it covers, in order (the test's passages are prefetched)."""
        orders = session.passage_orders
        return [p.pk for p in session.test.passages.all() if not orders or p.order in orders]

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_server_now(self, session) -> str:
        return server_now()

    @extend_schema_field(ParticipantSerializer(many=True))
    def get_participants(self, session) -> list:
        attempts = {attempt.student_id: attempt for attempt in session.attempts.all()}
        return ParticipantSerializer(session.participants.all(), many=True, context={"attempts": attempts}).data


class VisibleClassField(serializers.PrimaryKeyRelatedField):
    """A class the requesting user manages; any other id is refused as unknown."""

    def __init__(self, **kwargs):
        super().__init__(pk_field=IdField(), **kwargs)

    def get_queryset(self):
        return classes_visible_to(self.context["request"].user)


def _passage_ids_field(**kwargs):
    return serializers.ListField(
        child=IdField(), allow_empty=False, max_length=50,
        help_text="The paper's passages the session covers, in the paper's order (default: all).", **kwargs,
    )  # fmt: skip


def _time_limit_field(**kwargs):
    return serializers.IntegerField(
        min_value=TIME_LIMIT_MINUTES[0], max_value=TIME_LIMIT_MINUTES[-1],
        help_text="The session's length (default: the paper's).", **kwargs,
    )  # fmt: skip


class SessionCreateSerializer(serializers.Serializer):
    class_id = VisibleClassField()
    test_id = PaperField()
    title = serializers.CharField(max_length=200)
    scheduled_at = serializers.DateTimeField()
    passage_ids = _passage_ids_field(required=False, default=None, allow_null=True)
    time_limit_minutes = _time_limit_field(required=False, default=None, allow_null=True)
    results_release = serializers.ChoiceField(choices=ResultsRelease.choices, default=ResultsRelease.IMMEDIATE)
    review = serializers.BooleanField(default=False)


class SessionUpdateSerializer(serializers.Serializer):
    """PATCH: any subset of these; the paper and its shape while the session is scheduled, the results' release
    until they are released."""

    test_id = PaperField(required=False)
    title = serializers.CharField(max_length=200, required=False)
    scheduled_at = serializers.DateTimeField(required=False)
    passage_ids = _passage_ids_field(required=False, allow_null=True)
    time_limit_minutes = _time_limit_field(required=False, allow_null=True)
    results_release = serializers.ChoiceField(choices=ResultsRelease.choices, required=False)
    review = serializers.BooleanField(required=False)


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
    extra_seconds = serializers.IntegerField()
    offline_seconds = serializers.IntegerField()
    violations_confirmed = serializers.IntegerField()


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


class WrongAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField()
    count = serializers.IntegerField(min_value=1)


class EvidenceSpanSerializer(serializers.Serializer):
    passage_id = serializers.IntegerField()
    position_start = serializers.IntegerField(min_value=0)
    position_end = serializers.IntegerField(min_value=1)


def _share(**kwargs) -> serializers.FloatField:
    return serializers.FloatField(min_value=0, max_value=1, allow_null=True, **kwargs)


class QuestionAnalysisSerializer(serializers.Serializer):
    question_id = serializers.IntegerField()
    number = serializers.IntegerField()
    type = serializers.ChoiceField(choices=QuestionType.choices)
    key = serializers.CharField(
        allow_null=True,
        help_text='TRUE_FALSE_NOT_GIVEN only: its first accepted answer, normalised and upper-cased ("TRUE", "FALSE" '
        'or "NOT GIVEN"); null for other types.',
    )
    answered = serializers.IntegerField()
    correct = serializers.IntegerField()
    facility = _share()
    blank_rate = _share()
    discrimination = serializers.FloatField(min_value=-1, max_value=1, allow_null=True,
                                            help_text="Point-biserial r against the rest score.")  # fmt: skip
    wrong_answers = WrongAnswerSerializer(many=True, help_text="At most 5, most frequent first.")
    median_seconds_to_first_answer = serializers.FloatField(allow_null=True)
    flagged_by = serializers.IntegerField()
    evidence = EvidenceSpanSerializer(allow_null=True)
    evidence_highlighted = serializers.IntegerField(allow_null=True)
    evidence_share = _share()
    facility_highlighted = _share()
    facility_not_highlighted = _share()


class TypeAnalysisSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=QuestionType.choices)
    key = serializers.ChoiceField(choices=[(k, k) for k in TFNG_KEYS], allow_null=True)
    questions = serializers.IntegerField(min_value=1)
    facility = _share()


class StudentAnalysisSerializer(serializers.Serializer):
    student_id = serializers.IntegerField()
    student_name = serializers.CharField()
    attempt_id = serializers.IntegerField()
    score = serializers.IntegerField(allow_null=True)
    band = serializers.FloatField(allow_null=True)
    marks = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=1, allow_null=True),
        help_text="One per item of `questions`: 1 correct, 0 wrong, null blank.",
    )


class BandCountSerializer(serializers.Serializer):
    band = serializers.FloatField(min_value=0, max_value=9)
    count = serializers.IntegerField(min_value=1)


class SessionAnalysisSerializer(serializers.Serializer):
    session_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=SessionStatus.choices)
    attempts = serializers.IntegerField(help_text="The counted attempts: IN_PROGRESS or SUBMITTED.")
    target_band = serializers.FloatField(allow_null=True)
    questions = QuestionAnalysisSerializer(many=True)
    types = TypeAnalysisSerializer(many=True)
    students = StudentAnalysisSerializer(many=True)
    band_distribution = BandCountSerializer(many=True)


# ---------------------------------------------------------------- the teacher's controls (ranges: the services)


class WholeSecondsField(serializers.IntegerField):
    """A JSON integer, as the contract asks: a string, a fraction or a boolean is refused."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class ExtraTimeInputSerializer(serializers.Serializer):
    seconds = WholeSecondsField(help_text="From -3600 to 18000, not 0; a negative value corrects a mistake.")
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, allow_null=True)


class PauseInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, allow_null=True)


class ReopenInputSerializer(serializers.Serializer):
    seconds = WholeSecondsField(help_text="From 1 to 18000: the attempt ends that long from now.")


class MessageInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=500, trim_whitespace=False)
    student_id = IdField(required=False, allow_null=True)


class MessageSerializer(serializers.ModelSerializer):
    student_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = TeacherMessage
        fields = ["id", "text", "student_id", "sent_at"]
        read_only_fields = fields


class ReviewInputSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, allow_null=True)
