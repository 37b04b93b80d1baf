"""REST face of the test bank: staff create and read papers with keys; a student reads a paper only while taking it."""

from django.conf import settings
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import IsPlatformAdmin, IsStaffMember
from accounts.serializers import MAX_ID
from attempts.selectors import practice_attempt_open_to_student
from exams.audio import AUDIO_MAX_BYTES, AUDIO_TYPES
from exams.models import Passage, Test
from exams.serializers import StudentTestSerializer, TestCreateSerializer, TestPatchSerializer, TestSerializer
from exams.services import (
    IMAGE_SIGNATURES,
    passage_set_audio,
    question_set_image,
    require_paper_editor,
    test_create,
    test_delete,
    test_set_band_table,
)
from ielts_site.errors import InvalidInput, NotFound, TooLarge, UnsupportedType
from ielts_site.uploads import read_file_body
from sessions_app.selectors import session_open_to_student


def _with_content(tests):
    return tests.prefetch_related(Prefetch("passages", queryset=Passage.objects.prefetch_related("questions")))


def _paper_id(value) -> int:
    if not str(value).isdigit() or int(value) > MAX_ID:
        raise NotFound("Test not found.")
    return int(value)


@extend_schema(tags=["tests"])
class TestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Papers by their public id (the first version's); each request reads the latest version unless it names
    another (`?version=N`, staff) or is a student's, who reads the version their session uses."""

    __test__ = False  # not a pytest test class

    serializer_class = TestSerializer
    permission_classes = [IsStaffMember]

    def get_permissions(self):
        if self.action == "retrieve":
            return [IsAuthenticated()]
        if self.action == "destroy":
            return [IsPlatformAdmin()]
        return super().get_permissions()

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated:  # schema generation
            return Test.objects.none()
        return _with_content(Test.objects.latest_versions())

    def get_serializer_class(self):
        if self.request.user.is_authenticated and not self.request.user.is_staff_member:
            return StudentTestSerializer
        return TestSerializer

    def _staff_version(self) -> Test:
        versions = _with_content(Test.objects.of_paper(_paper_id(self.kwargs["pk"])))
        wanted = self.request.query_params.get("version")
        if wanted is None:
            versions = versions.filter(is_latest=True)
        elif wanted.isdigit() and int(wanted) <= MAX_ID:
            versions = versions.filter(version=int(wanted))
        else:
            raise InvalidInput("A version number is required.", field="version")
        test = versions.first()
        if test is None:
            raise NotFound("Test not found.")
        return test

    @extend_schema(
        description="Staff: the latest version (or `?version=N`), with answer keys and every version. A student: "
        "the version and passages of the session in progress they take it in (or of their practice attempt in "
        "progress), without keys (404 otherwise).",
        parameters=[OpenApiParameter("version", int, required=False)],
    )
    def retrieve(self, request, *args, **kwargs):
        if request.user.is_staff_member:
            return Response(TestSerializer(self._staff_version()).data)
        paper_id = _paper_id(kwargs["pk"])
        session = session_open_to_student(request.user, paper_id=paper_id)
        if session is not None:
            test, passages = session.test, session.paper_passages()
        else:  # alone, on a practice: the whole of the attempt's version
            attempt = practice_attempt_open_to_student(request.user, paper_id=paper_id)
            if attempt is None:
                raise NotFound("Test not found.")
            test, passages = attempt.test, attempt.test.passages.order_by("order")
        return Response(StudentTestSerializer(test, context={"passages": passages.prefetch_related("questions")}).data)

    @extend_schema(request=TestCreateSerializer, responses={201: TestSerializer})
    def create(self, request):
        """Create a paper with its passages and questions in one request."""
        data = TestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        test = test_create(**data.validated_data, created_by=request.user)
        return Response(TestSerializer(_with_content(Test.objects.all()).get(pk=test.pk)).data, status=201)

    @extend_schema(request=TestPatchSerializer, responses={200: TestSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Staff: set the paper's own band table (`null`: the module's default); its author or an admin only. When
        a started session uses the latest version, the change makes a new one."""
        test = self._staff_version()
        data = TestPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        test = test_set_band_table(test=test, band_table=data.validated_data["band_table"], by=request.user)
        return Response(TestSerializer(_with_content(Test.objects.all()).get(pk=test.pk)).data)

    @extend_schema(
        operation_id="tests_passage_audio_upload",
        description="Staff who may edit the paper: a Listening part's recording, sent as the body (Content-Type "
        "audio/mpeg, audio/ogg or audio/wav, at most 100 MiB; an optional Content-Disposition file name). Its length "
        "is read from the file; the paper's time limit must cover all its audio plus 2 minutes (400 `errors.audio`). "
        "415 for another type, 413 when too large, 400 when not readable audio of its type; a refused upload changes "
        "nothing. When a started session uses the latest version, the upload makes a new one.",
        request={content_type: {"type": "string", "format": "binary"} for content_type in AUDIO_TYPES},
        parameters=[OpenApiParameter("passage_id", int, OpenApiParameter.PATH)],
        responses={200: TestSerializer},
    )
    @action(detail=True, methods=["put"], url_path=r"passages/(?P<passage_id>[^/.]+)/audio")
    def passage_audio(self, request, pk=None, passage_id=None):
        test = self._staff_version()
        if not str(passage_id).isdigit() or int(passage_id) > MAX_ID:
            raise NotFound("Passage not found.")
        body = read_file_body(request, types=AUDIO_TYPES, limit=AUDIO_MAX_BYTES)
        with body.file:
            test = passage_set_audio(
                test=test, passage_id=int(passage_id), file=body.file, content_type=body.content_type,
                filename=body.filename, by=request.user,
            )  # fmt: skip
        return Response(TestSerializer(_with_content(Test.objects.all()).get(pk=test.pk)).data)

    @extend_schema(
        request={content_type: OpenApiTypes.BINARY for content_type in IMAGE_SIGNATURES},
        responses={200: TestSerializer},
        description="Staff who may edit the paper: an ESSAY's chart or diagram, the body being the file (`image/png` "
        "or `image/jpeg`, at most 5 MiB: 415 for another type, 413 beyond, 400 for a body that is not the image it "
        "says). A refused upload changes nothing; a paper a started session uses gets a new version.",
    )
    @action(detail=True, methods=["put"], url_path=r"questions/(?P<question_id>[0-9]{1,18})/image")
    def image(self, request, pk=None, question_id=None):
        test = self._staff_version()
        require_paper_editor(test, request.user)
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type not in IMAGE_SIGNATURES:
            raise UnsupportedType("Send the image as image/png or image/jpeg.")
        limit = settings.QUESTION_IMAGE_MAX_BYTES
        declared = request.META.get("CONTENT_LENGTH")
        if declared and declared.isdigit() and int(declared) > limit:
            raise TooLarge(f"An image may be at most {limit // (1024 * 1024)} MiB.")
        # Read from the stream, never `request.body` (DATA_UPLOAD_MAX_MEMORY_SIZE is JSON's limit, not a file's).
        content = request._request.read(limit + 1)
        if len(content) > limit:
            raise TooLarge(f"An image may be at most {limit // (1024 * 1024)} MiB.")
        test = question_set_image(
            test=test, question_id=int(question_id), content=content, content_type=content_type, by=request.user
        )
        return Response(TestSerializer(_with_content(Test.objects.all()).get(pk=test.pk)).data)

    @extend_schema(description="Admins: delete the paper and all its versions; 409 while any session uses it.")
    def destroy(self, request, *args, **kwargs):
        test_delete(test=self._staff_version())
        return Response(status=204)
