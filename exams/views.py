"""REST face of the test bank: staff create and read papers with keys; a student reads a paper only while taking it."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import IsStaffMember
from exams.models import Passage, Test
from exams.serializers import StudentTestSerializer, TestCreateSerializer, TestPatchSerializer, TestSerializer
from exams.services import test_create, test_set_band_table
from sessions_app.selectors import papers_open_to_student


def _with_content(tests):
    return tests.prefetch_related(Prefetch("passages", queryset=Passage.objects.prefetch_related("questions")))


@extend_schema(tags=["tests"])
class TestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    __test__ = False  # not a pytest test class

    serializer_class = TestSerializer
    permission_classes = [IsStaffMember]

    def get_permissions(self):
        if self.action == "retrieve":
            return [IsAuthenticated()]
        return super().get_permissions()

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated:  # schema generation
            return Test.objects.none()
        if user.is_staff_member:
            return _with_content(Test.objects.all())
        return _with_content(papers_open_to_student(user))

    def get_serializer_class(self):
        if self.request.user.is_authenticated and not self.request.user.is_staff_member:
            return StudentTestSerializer
        return TestSerializer

    @extend_schema(
        description="Staff: full content with answer keys. A student: the paper without keys, only while taking it "
        "in a session in progress (404 otherwise)."
    )
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=TestCreateSerializer, responses={201: TestSerializer})
    def create(self, request):
        """Create a paper with its passages and questions in one request."""
        data = TestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        test = test_create(**data.validated_data, created_by=request.user)
        return Response(
            TestSerializer(_with_content(Test.objects.all()).get(pk=test.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=TestPatchSerializer, responses={200: TestSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Staff: set the paper's own band table (`null`: the module's default); its author or an admin only."""
        test = self.get_object()
        data = TestPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        test_set_band_table(test=test, band_table=data.validated_data["band_table"], by=request.user)
        return Response(TestSerializer(_with_content(Test.objects.all()).get(pk=test.pk)).data)
