"""The attempt body of the contract, exactly its fields. It never names or carries an answer key."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import IdField
from attempts.models import Answer, Attempt, AttemptStatus, Highlight, Practice, Verdict, Violation, ViolationType
from attempts.practice import MAX_PRACTICE_MINUTES
from attempts.selectors import ANSWER_FIELDS, ATTEMPT_FIELDS, HIGHLIGHT_FIELDS, VIOLATION_FIELDS, attempt_writing
from attempts.services import MAX_ESSAY_CHARS
from attempts.writing import MAX_WRITING_COMMENT_CHARS
from exams.marking import WRITING_CRITERIA
from exams.serializers import PaperField
from ielts_site.clock import now


class AnswerSerializer(serializers.ModelSerializer):
    question_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Answer
        fields = list(ANSWER_FIELDS)
        read_only_fields = fields


class HighlightSerializer(serializers.ModelSerializer):
    passage_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Highlight
        fields = list(HIGHLIGHT_FIELDS)
        read_only_fields = fields


class ViolationSerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(choices=ViolationType.choices, read_only=True)
    verdict = serializers.ChoiceField(choices=Verdict.choices, read_only=True, allow_null=True)

    class Meta:
        model = Violation
        fields = list(VIOLATION_FIELDS)
        read_only_fields = fields


class WritingCriteriaSerializer(serializers.Serializer):
    """The four Writing criteria, each a whole band 0–9 (TA: Task Achievement for Task 1, Task Response for Task 2)."""

    TA = serializers.IntegerField(min_value=0, max_value=9)
    CC = serializers.IntegerField(min_value=0, max_value=9)
    LR = serializers.IntegerField(min_value=0, max_value=9)
    GRA = serializers.IntegerField(min_value=0, max_value=9)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            for name in WRITING_CRITERIA:
                if isinstance(data.get(name), (bool, float, str)):
                    raise serializers.ValidationError({name: ["A whole band from 0 to 9."]})
            if extra := sorted(set(data) - set(WRITING_CRITERIA)):
                raise serializers.ValidationError({extra[0]: ["Only TA, CC, LR and GRA are criteria."]})
        return super().to_internal_value(data)


class WritingItemSerializer(serializers.Serializer):
    question_id = serializers.IntegerField()
    words = serializers.IntegerField(help_text="Words of the answer, counted as the page counts them.")
    criteria = WritingCriteriaSerializer(allow_null=True)
    band = serializers.FloatField(allow_null=True, help_text="The task's band: null until marked.")
    comment = serializers.CharField(allow_null=True)


class WritingMarkInputSerializer(serializers.Serializer):
    criteria = WritingCriteriaSerializer()
    comment = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=MAX_WRITING_COMMENT_CHARS, default=""
    )


class AttemptSerializer(serializers.ModelSerializer):
    """Expects the session selected and answers, highlights, violations and flags prefetched."""

    session_id = serializers.IntegerField(read_only=True, allow_null=True)
    practice_id = serializers.IntegerField(read_only=True, allow_null=True)
    test_id = serializers.IntegerField(read_only=True)
    student_id = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=AttemptStatus.choices, read_only=True)
    server_now = serializers.SerializerMethodField()
    answers = AnswerSerializer(many=True, read_only=True)
    highlights = HighlightSerializer(many=True, read_only=True)
    flagged_question_ids = serializers.SerializerMethodField()
    violations = ViolationSerializer(many=True, read_only=True)
    band = serializers.FloatField(read_only=True, allow_null=True)
    offline_seconds = serializers.SerializerMethodField()
    writing = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = list(ATTEMPT_FIELDS)
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_server_now(self, attempt) -> str:
        return serializers.DateTimeField().to_representation(now())

    def get_offline_seconds(self, attempt) -> int:
        return attempt.offline_seconds_at(now())

    @extend_schema_field(WritingItemSerializer(many=True))
    def get_writing(self, attempt) -> list:
        return attempt_writing(attempt)

    def get_flagged_question_ids(self, attempt) -> list[int]:
        return [question.pk for question in attempt.flagged_questions.all()]


class AnswerInputSerializer(serializers.Serializer):
    question_id = IdField()
    answer = serializers.CharField(
        allow_blank=True, allow_null=True, trim_whitespace=False, max_length=MAX_ESSAY_CHARS,
        help_text="Stored as typed; an empty answer clears the question. At most 2,000 characters (an essay's: "
        "20,000).",
    )  # fmt: skip


class PracticeSerializer(serializers.ModelSerializer):
    """A practice as the contract has it: the paper by its id (the same for all its versions)."""

    class_id = serializers.IntegerField(source="school_class_id", read_only=True)
    test_id = PaperField(source="test", read_only=True)

    class Meta:
        model = Practice
        fields = [
            "id", "class_id", "test_id", "opens_at", "closes_at", "time_limit_minutes", "show_answers_after_submit",
        ]  # fmt: skip
        read_only_fields = fields


class PracticeCreateSerializer(serializers.Serializer):
    test_id = PaperField(help_text="The paper; its latest version is published.")
    opens_at = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="Empty: from now.")
    closes_at = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="Empty: never.")
    time_limit_minutes = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=MAX_PRACTICE_MINUTES,
        help_text="Empty: the paper's.",
    )  # fmt: skip
    show_answers_after_submit = serializers.BooleanField(required=False, default=False)

    def validate(self, data):
        if data["opens_at"] and data["closes_at"] and data["closes_at"] <= data["opens_at"]:
            raise serializers.ValidationError({"closes_at": "closes_at must be after opens_at."})
        return data


class PracticeAttemptSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AttemptStatus.choices)
    score = serializers.IntegerField(allow_null=True)
    band = serializers.FloatField(allow_null=True)
    started_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)


class PracticeStudentResultsSerializer(serializers.Serializer):
    student_id = serializers.IntegerField()
    student_name = serializers.CharField()
    attempts = PracticeAttemptSummarySerializer(many=True)


class PracticeResultsSerializer(serializers.Serializer):
    """For the schema: `practice_results` gives the body as plain JSON data."""

    practice_id = serializers.IntegerField()
    students = PracticeStudentResultsSerializer(many=True)
