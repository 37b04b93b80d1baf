"""REST face of attempts: read one; its student answers and submits through the same services as the WebSocket.
Practices: the list, one, a student's start of an attempt, and the results per student."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import IsStaffMember, IsStudent
from accounts.serializers import MAX_ID
from attempts import services
from attempts.models import Attempt, Practice
from attempts.practice import practice_attempt_start
from attempts.selectors import (
    as_student_sees,
    attempt_is_teacher,
    attempt_loaded,
    attempts_visible_to,
    practice_results,
    practices_visible_to,
)
from attempts.serializers import (
    AnswerInputSerializer,
    AttemptSerializer,
    PracticeResultsSerializer,
    PracticeSerializer,
    WritingMarkInputSerializer,
)
from attempts.writing import attempt_mark_writing
from ielts_site.errors import NotFound
from sessions_app import services as session_services
from sessions_app.serializers import ExtraTimeInputSerializer, ReopenInputSerializer, ReviewInputSerializer


class IsAttemptStudent(IsAuthenticated):
    """Only the attempt's own student writes to it; staff who can see it may only look."""

    message = "Only the student taking this attempt may do this."

    def has_object_permission(self, request, view, attempt):
        return attempt.student_id == request.user.pk


class IsAttemptTeacher(IsStaffMember):
    """Admins and the session's teachers use the live controls on an attempt; a student never does."""

    message = "Only the session's teachers and admins may do this."

    def has_object_permission(self, request, view, attempt):
        return attempt_is_teacher(attempt, request.user)


CONTROLS = ("extra_time", "finish", "reopen", "review_violation", "mark_writing")


@extend_schema(tags=["attempts"])
class AttemptViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AttemptSerializer

    def get_permissions(self):
        if self.action in ("answers", "submit"):
            return [IsAttemptStudent()]
        if self.action in CONTROLS:
            return [IsAttemptTeacher()]
        return [IsAuthenticated()]

    def get_queryset(self):
        if not self.request.user.is_authenticated:  # schema generation
            return Attempt.objects.none()
        return attempts_visible_to(self.request.user)

    def _detail(self, attempt):
        return attempt_response(self.request, attempt)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(request=AnswerInputSerializer, responses={200: AttemptSerializer})
    @action(detail=True, methods=["post"])
    def answers(self, request, pk=None):
        """Upsert one answer (an empty answer clears it); 409 after submit or once time is up.

        Teachers watching the session get the same `answer_submitted` message as for a WebSocket answer.
        """
        attempt = self.get_object()
        data = AnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.attempt_answer(attempt=attempt, **data.validated_data)
        return self._detail(attempt)

    @extend_schema(request=None, responses={200: AttemptSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Hand in: the attempt is marked at once; 409 if already submitted."""
        attempt = self.get_object()
        services.attempt_submit(attempt=attempt)
        return self._detail(attempt)

    # ------------------------------------------------------------ the teacher's controls

    def _body(self, serializer_class) -> dict:
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    @extend_schema(request=ExtraTimeInputSerializer, responses={200: AttemptSerializer})
    @action(detail=True, methods=["post"], url_path="extra-time")
    def extra_time(self, request, pk=None):
        """More time for this student (an access arrangement, lost minutes given back), or less to correct a
        mistake: their own deadline moves, never before now."""
        attempt = self.get_object()
        body = self._body(ExtraTimeInputSerializer)
        return self._detail(session_services.attempt_extend(attempt=attempt, by=request.user, **body))

    @extend_schema(request=None, responses={200: AttemptSerializer})
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        """Submit and mark this attempt now, as the student's own submit would."""
        return self._detail(session_services.attempt_finish(attempt=self.get_object(), by=request.user))

    @extend_schema(request=ReopenInputSerializer, responses={200: AttemptSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Let the student back in for `seconds` from now; the mark is cleared until they hand in again."""
        attempt = self.get_object()
        body = self._body(ReopenInputSerializer)
        return self._detail(session_services.attempt_reopen(attempt=attempt, by=request.user, **body))

    @extend_schema(request=ReviewInputSerializer, responses={200: AttemptSerializer})
    @action(detail=True, methods=["post"], url_path=r"violations/(?P<violation_id>[0-9]{1,18})/review")
    def review_violation(self, request, pk=None, violation_id=None):
        """Confirm or dismiss one of this attempt's violations, with a note; a later review replaces it."""
        attempt = self.get_object()
        body = self._body(ReviewInputSerializer)
        return self._detail(
            session_services.violation_review(attempt=attempt, violation_id=int(violation_id), by=request.user, **body)
        )

    @extend_schema(request=WritingMarkInputSerializer, responses={200: AttemptSerializer})
    @action(detail=True, methods=["post"], url_path=r"writing/(?P<question_id>[0-9]{1,18})")
    def mark_writing(self, request, pk=None, question_id=None):
        """Mark one essay of a submitted attempt: the four criteria (whole bands 0–9) and a comment; marking it
        again replaces its marks. 409 unless submitted; 404 for a question that is not an essay of its paper."""
        attempt = self.get_object()
        body = self._body(WritingMarkInputSerializer)
        return self._detail(
            attempt_mark_writing(attempt=attempt, question_id=int(question_id), by=request.user, **body)
        )


def attempt_response(request, attempt: Attempt, status_code=status.HTTP_200_OK) -> Response:
    """The attempt's body, as its student may see it when the caller is a student."""
    attempt = attempt_loaded(attempt.pk)
    body = AttemptSerializer(attempt).data
    return Response(as_student_sees(body, attempt.occasion) if request.user.is_student else body, status=status_code)


@extend_schema(tags=["practice"])
class PracticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Papers published to classes for practice: staff see their classes' practices, a student the open ones of
    their classes. Staff publish with `POST /api/v1/classes/{id}/practice`."""

    serializer_class = PracticeSerializer

    def get_permissions(self):
        if self.action == "attempts":
            return [IsStudent()]
        if self.action == "results":
            return [IsStaffMember()]
        return [IsAuthenticated()]

    def get_queryset(self):
        if not self.request.user.is_authenticated:  # schema generation
            return Practice.objects.none()
        return practices_visible_to(self.request.user).order_by("-created_at", "-id")

    @extend_schema(request=None, responses={201: AttemptSerializer})
    @action(detail=True, methods=["post"])
    def attempts(self, request, pk=None):
        """Start an attempt alone, on its own clock (`ends_at` = now + the practice's time limit); 409 while one is in
        progress or the practice is not open."""
        if not pk.isdigit() or int(pk) > MAX_ID:
            raise NotFound("Practice not found.")
        attempt = practice_attempt_start(practice=int(pk), student=request.user)
        return attempt_response(request, attempt, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: PracticeResultsSerializer})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """Every student of the class with their attempts on this practice, oldest first."""
        return Response(practice_results(self.get_object()))
