"""Shapes of a paper. Staff see the answer keys; a student's view is the same without `answers`."""

from rest_framework import serializers

from exams.models import TIME_LIMIT_MINUTES, Module, Passage, Question, QuestionType, Test
from exams.presentation import STUDENT_PASSAGE_FIELDS, STUDENT_QUESTION_FIELDS
from exams.validation import validate_answers, validate_band_table, validate_finite_json, validate_options

SMALL_INT_MAX = 32767  # PositiveSmallIntegerField


# ---------------------------------------------------------------- output


class StudentQuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = list(STUDENT_QUESTION_FIELDS)
        read_only_fields = fields


class QuestionSerializer(StudentQuestionSerializer):
    class Meta(StudentQuestionSerializer.Meta):
        fields = [*StudentQuestionSerializer.Meta.fields, "answers"]
        read_only_fields = fields


class StudentPassageSerializer(serializers.ModelSerializer):
    questions = StudentQuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Passage
        fields = [*STUDENT_PASSAGE_FIELDS, "questions"]
        read_only_fields = fields


class PassageSerializer(StudentPassageSerializer):
    questions = QuestionSerializer(many=True, read_only=True)


class StudentTestSerializer(serializers.ModelSerializer):
    """A student's view of the paper: no field names or carries a key."""

    passages = StudentPassageSerializer(many=True, read_only=True)
    question_count = serializers.SerializerMethodField()

    class Meta:
        model = Test
        fields = ["id", "title", "module", "time_limit_minutes", "question_count", "passages"]
        read_only_fields = fields

    def get_question_count(self, test) -> int:
        return sum(len(passage.questions.all()) for passage in test.passages.all())


class TestSerializer(StudentTestSerializer):
    """The staff view, answer keys included."""

    __test__ = False  # not a pytest test class

    passages = PassageSerializer(many=True, read_only=True)

    class Meta(StudentTestSerializer.Meta):
        fields = [*StudentTestSerializer.Meta.fields, "band_table", "created_by", "created_at", "updated_at"]
        read_only_fields = fields


# ---------------------------------------------------------------- input: shapes only (exams.services checks the paper)


class QuestionInputSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=SMALL_INT_MAX)
    type = serializers.ChoiceField(choices=QuestionType.choices)
    prompt = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=20000)
    options = serializers.ListField(
        child=serializers.CharField(max_length=2000, trim_whitespace=False), required=False, default=list,
        max_length=50, validators=[validate_options],
    )  # fmt: skip
    answers = serializers.ListField(
        child=serializers.CharField(max_length=2000), min_length=1, max_length=50, validators=[validate_answers],
        help_text="Every accepted answer (free strings; marking ignores case and spacing).",
    )  # fmt: skip
    word_limit = serializers.IntegerField(min_value=1, max_value=SMALL_INT_MAX, allow_null=True, required=False)


class PassageInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    text = serializers.CharField(max_length=200000, trim_whitespace=False)
    questions = QuestionInputSerializer(many=True, allow_empty=False, max_length=500)


def band_table_field(**kwargs) -> serializers.JSONField:
    return serializers.JSONField(
        allow_null=True,
        validators=[validate_finite_json, validate_band_table],
        help_text="null (the module's default table) or [[min_raw_score, band], ...]: 1 to 41 rows, min_raw_score "
        "an integer 0..40 (each once), band a multiple of 0.5 from 0 to 9, never lower for a higher score.",
        **kwargs,
    )


class TestCreateSerializer(serializers.Serializer):
    __test__ = False  # not a pytest test class

    title = serializers.CharField(max_length=200)
    module = serializers.ChoiceField(choices=Module.choices)
    time_limit_minutes = serializers.IntegerField(min_value=TIME_LIMIT_MINUTES[0], max_value=TIME_LIMIT_MINUTES[-1])
    passages = PassageInputSerializer(many=True, allow_empty=False, max_length=20)
    band_table = band_table_field(required=False, default=None)


class TestPatchSerializer(serializers.Serializer):
    __test__ = False  # not a pytest test class

    band_table = band_table_field(required=True)
