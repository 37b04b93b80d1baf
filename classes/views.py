"""REST face of classes: admins and a class's teachers manage it; DELETE archives; students are enrolled by id."""

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from accounts.permissions import IsStaffMember
from attempts.practice import practice_publish
from attempts.serializers import PracticeCreateSerializer, PracticeSerializer
from classes.models import Class
from classes.selectors import class_loaded, classes_visible_to
from classes.serializers import ClassSerializer, ClassWriteSerializer, EnrolmentSerializer
from classes.services import class_create, class_update
from ielts_site.errors import InvalidInput
from sessions_app.services import class_archive, class_enrol, class_unenrol


@extend_schema(tags=["classes"])
class ClassViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ClassSerializer
    permission_classes = [IsStaffMember]

    def get_queryset(self):
        if not self.request.user.is_authenticated:  # schema generation
            return Class.objects.none()
        return classes_visible_to(self.request.user)

    def _detail(self, school_class, status_code=status.HTTP_200_OK):
        # Not through the visibility filter: a teacher may have just removed themselves from the class.
        return Response(ClassSerializer(class_loaded(school_class.pk)).data, status=status_code)

    @extend_schema(request=ClassWriteSerializer, responses={201: ClassSerializer})
    def create(self, request):
        """The creating teacher is always a teacher of the new class."""
        data = ClassWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        school_class = class_create(**data.validated_data, created_by=request.user)
        return self._detail(school_class, status.HTTP_201_CREATED)

    def _update(self, request, *, partial):
        school_class = self.get_object()
        data = ClassWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        class_update(school_class=school_class, **data.validated_data)
        return self._detail(school_class)

    @extend_schema(request=ClassWriteSerializer, responses={200: ClassSerializer})
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(request=ClassWriteSerializer, responses={200: ClassSerializer})
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    @extend_schema(description="Archive the class (status `ARCHIVED`); 409 while a session waits or runs.")
    def destroy(self, request, pk=None):
        class_archive(school_class=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=EnrolmentSerializer, responses={201: ClassSerializer})
    @action(detail=True, methods=["post"])
    def students(self, request, pk=None):
        """Enrol a student; they also join the class's sessions that have not started."""
        school_class = self.get_object()
        data = EnrolmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        student = User.objects.filter(pk=data.validated_data["student_id"]).first()
        if student is None:
            raise InvalidInput("Unknown user.", code="unknown_student")
        class_enrol(school_class=school_class, student=student)
        return self._detail(school_class, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("student_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=None,
        responses={204: None},
    )
    @action(detail=True, methods=["delete"], url_path=r"students/(?P<student_id>\d{1,18})", url_name="student")
    def remove_student(self, request, pk=None, student_id=None):
        """Unenrol a student; an open attempt of theirs in an unfinished session is abandoned."""
        class_unenrol(school_class=self.get_object(), student_id=int(student_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PracticeCreateSerializer, responses={201: PracticeSerializer})
    @action(detail=True, methods=["post"])
    def practice(self, request, pk=None):
        """Publish a paper to the class for practice: each student takes it alone while it is open."""
        data = PracticeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        practice = practice_publish(school_class=self.get_object(), test=body.pop("test_id"), by=request.user, **body)
        return Response(PracticeSerializer(practice).data, status=status.HTTP_201_CREATED)
