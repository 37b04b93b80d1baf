"""Shapes of a paper. Staff see the answer keys; a student's view is the same without `answers`."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from exams.models import TIME_LIMIT_MINUTES, Module, Passage, Question, QuestionType, Test
from exams.presentation import (
    STUDENT_PASSAGE_FIELDS,
    STUDENT_QUESTION_FIELDS,
    passage_audio_url,
    question_image_url,
    student_passage,
)
from exams.validation import (
    essay_field_problems,
    evidence_problem,
    validate_answers,
    validate_band_table,
    validate_finite_json,
    validate_options,
    writing_paper_problem,
)

SMALL_INT_MAX = 32767  # PositiveSmallIntegerField


# ---------------------------------------------------------------- a paper named by its public id


@extend_schema_field(OpenApiTypes.INT)
class PaperField(serializers.Field):
    """A paper named by its id (the same for all its versions): its latest version in, the paper's id out."""

    default_error_messages = {"does_not_exist": 'Invalid pk "{value}" - object does not exist.'}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)) or not str(data).isdigit():
            raise serializers.ValidationError("A valid integer is required.")
        if int(data) > 2**63 - 1:
            self.fail("does_not_exist", value=data)
        version = Test.objects.latest_versions().of_paper(int(data)).first()
        if version is None:
            self.fail("does_not_exist", value=data)
        return version

    def to_representation(self, test):
        return test.paper_id


# ---------------------------------------------------------------- output


class StudentQuestionSerializer(serializers.ModelSerializer):
    image = serializers.SerializerMethodField(help_text="An essay's chart: its URL (the API's credentials), or null.")

    class Meta:
        model = Question
        fields = list(STUDENT_QUESTION_FIELDS)
        read_only_fields = fields

    def get_image(self, question) -> str | None:
        return question_image_url(question)


class EvidenceSerializer(serializers.Serializer):
    passage_id = serializers.IntegerField()
    position_start = serializers.IntegerField(min_value=0)
    position_end = serializers.IntegerField(min_value=1)


class QuestionSerializer(StudentQuestionSerializer):
    """The staff view of a question: its keys and its evidence span too."""

    evidence = EvidenceSerializer(read_only=True, allow_null=True)

    class Meta(StudentQuestionSerializer.Meta):
        fields = [*StudentQuestionSerializer.Meta.fields, "answers", "evidence"]
        read_only_fields = fields


class StaffPassageFields(serializers.ModelSerializer):
    """A passage as staff read it: a Listening part's `audio` is where its recording is served (null until
    uploaded) and its `text` the transcript."""

    audio = serializers.SerializerMethodField()
    audio_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Passage
        fields = list(STUDENT_PASSAGE_FIELDS)
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_audio(self, passage) -> str | None:
        return passage_audio_url(passage)


class StudentPassageSerializer(StaffPassageFields):
    """A student's view of a passage: a Listening part's transcript is not theirs (`text` null)."""

    questions = StudentQuestionSerializer(many=True, read_only=True)
    text = serializers.SerializerMethodField()

    class Meta(StaffPassageFields.Meta):
        fields = [*STUDENT_PASSAGE_FIELDS, "questions"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_text(self, passage) -> str | None:
        module = self.context.get("module") or passage.test.module
        return student_passage({"id": passage.pk, "audio": passage.audio.name, "text": passage.text}, module)["text"]


class PassageSerializer(StaffPassageFields):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta(StaffPassageFields.Meta):
        fields = [*STUDENT_PASSAGE_FIELDS, "questions"]
        read_only_fields = fields


class StudentTestSerializer(serializers.ModelSerializer):
    """A student's view of the paper (of the version and the passages their session covers, given as
    `context["passages"]`): no field names or carries a key."""

    id = serializers.IntegerField(source="paper_id", read_only=True)
    passages = serializers.SerializerMethodField()
    question_count = serializers.SerializerMethodField()

    passage_serializer = StudentPassageSerializer

    class Meta:
        model = Test
        fields = ["id", "title", "module", "time_limit_minutes", "version", "question_count", "passages"]
        read_only_fields = fields

    def _passages(self, test):
        return self.context.get("passages", test.passages.all())

    @extend_schema_field(StudentPassageSerializer(many=True))
    def get_passages(self, test) -> list:
        context = {**self.context, "module": test.module}
        return self.passage_serializer(self._passages(test), many=True, context=context).data

    def get_question_count(self, test) -> int:
        return sum(len(passage.questions.all()) for passage in self._passages(test))


class TestSerializer(StudentTestSerializer):
    """The staff view, answer keys included."""

    __test__ = False  # not a pytest test class

    passage_serializer = PassageSerializer
    versions = serializers.SerializerMethodField()

    class Meta(StudentTestSerializer.Meta):
        fields = [*StudentTestSerializer.Meta.fields, "versions", "band_table", "created_by", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(PassageSerializer(many=True))
    def get_passages(self, test) -> list:
        return super().get_passages(test)

    @extend_schema_field(
        inline_serializer(
            "PaperVersion",
            {"version": serializers.IntegerField(), "created_at": serializers.DateTimeField(),
             "sessions": serializers.IntegerField()},
            many=True,
        )
    )  # fmt: skip
    def get_versions(self, test) -> list:
        """Every version of the paper, oldest first, with how many sessions use it."""
        versions = Test.objects.of_paper(test.paper_id).annotate(n_sessions=Count("sessions")).order_by("version")
        return [
            {"version": v.version, "created_at": serializers.DateTimeField().to_representation(v.created_at),
             "sessions": v.n_sessions}
            for v in versions
        ]  # fmt: skip


# ---------------------------------------------------------------- input: shapes only (exams.services checks the paper)


class EvidenceInputSerializer(serializers.Serializer):
    """Character offsets in the question's own passage, 0-based, end exclusive (the passage checks the range)."""

    position_start = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    position_end = serializers.IntegerField(min_value=1, max_value=2**31 - 1)

    def validate(self, data):
        if data["position_start"] >= data["position_end"]:
            raise serializers.ValidationError({"position_end": ["Must be greater than position_start."]})
        return data


class QuestionInputSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=SMALL_INT_MAX)
    type = serializers.ChoiceField(choices=QuestionType.choices)
    prompt = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=20000)
    options = serializers.ListField(
        child=serializers.CharField(max_length=2000, trim_whitespace=False), required=False, default=list,
        max_length=50, validators=[validate_options],
    )  # fmt: skip
    answers = serializers.ListField(
        child=serializers.CharField(max_length=2000), max_length=50, required=False, default=list,
        help_text="Every accepted answer (free strings; marking ignores case and spacing). An ESSAY has none.",
    )  # fmt: skip
    word_limit = serializers.IntegerField(min_value=1, max_value=SMALL_INT_MAX, allow_null=True, required=False)
    evidence = EvidenceInputSerializer(
        required=False, allow_null=True, default=None,
        help_text="Optional (staff only): where the passage holds the answer, {position_start, position_end}.",
    )  # fmt: skip
    task = serializers.IntegerField(
        min_value=1, max_value=2, allow_null=True, required=False, default=None, help_text="ESSAY only: 1 or 2."
    )
    min_words = serializers.IntegerField(
        min_value=1, max_value=SMALL_INT_MAX, allow_null=True, required=False, default=None,
        help_text="ESSAY only: the words it asks for at least (150 for Task 1, 250 for Task 2 in the real test).",
    )  # fmt: skip

    def validate(self, data):
        """What holds whatever the paper's module: a question other than an essay needs its answers and has no task
        or min_words (an essay's own fields, and which module holds what, are the paper's check)."""
        if data["type"] == QuestionType.ESSAY:
            return data
        errors = {name: [why] for name, why in essay_field_problems(data).items()}
        try:
            validate_answers(data["answers"])
        except DjangoValidationError as exc:
            errors["answers"] = exc.messages
        if errors:
            raise serializers.ValidationError(errors)
        return data


class PassageInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    text = serializers.CharField(max_length=200000, trim_whitespace=False)
    questions = QuestionInputSerializer(many=True, allow_empty=False, max_length=500)

    def validate(self, data):
        """Each question's evidence span lies in this passage's text."""
        errors = []
        for question in data["questions"]:
            span = question.get("evidence")
            problem = span and evidence_problem(
                span["position_start"], span["position_end"], text_length=len(data["text"])
            )
            errors.append({"evidence": [problem]} if problem else {})
        if any(errors):
            raise serializers.ValidationError({"questions": errors})
        return data


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

    def validate(self, data):
        """The paper's questions fit its module (Writing: essays only, one per task), and each essay has its task and
        min_words and no answers."""
        where = [(p, q) for p, passage in enumerate(data["passages"]) for q in range(len(passage["questions"]))]
        questions = [q for passage in data["passages"] for q in passage["questions"]]
        problems = {}
        if problem := writing_paper_problem(data["module"], questions):
            index, field, why = problem
            problems[where[index]] = {field: [why]}
        else:
            for index, question in enumerate(questions):
                if question["type"] == QuestionType.ESSAY and (found := essay_field_problems(question)):
                    problems[where[index]] = {name: [why] for name, why in found.items()}
        if problems:
            nested: dict = {}
            for (passage, question), found in problems.items():
                nested.setdefault(passage, {"questions": {}})["questions"][question] = found
            raise serializers.ValidationError({"passages": nested})
        return data


class TestPatchSerializer(serializers.Serializer):
    __test__ = False  # not a pytest test class

    band_table = band_table_field(required=True)
