"""REST face of sessions: create, read, edit while scheduled, one action per transition, statistics."""

from django.db.models import Count, Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaffMember, IsStudent
from accounts.serializers import MAX_ID
from attempts.models import Attempt
from exams.models import Passage, Question
from ielts_site.errors import Forbidden, NotFound
from ielts_site.files import stored_file_response
from sessions_app import services
from sessions_app.analysis import session_analysis
from sessions_app.models import Participant, Session, SessionStatus
from sessions_app.permissions import IsAdminForObject, IsSessionTeacher
from sessions_app.selectors import (
    FileAccess,
    paper_file_access,
    session_messages_for,
    session_stats,
    sessions_visible_to,
)
from sessions_app.serializers import (
    ExtraTimeInputSerializer,
    MessageInputSerializer,
    MessageSerializer,
    PauseInputSerializer,
    SessionAnalysisSerializer,
    SessionCreateSerializer,
    SessionSerializer,
    SessionStatsSerializer,
    SessionUpdateSerializer,
)

LIST_FILTERS = [
    OpenApiParameter("class_id", int, required=False),
    OpenApiParameter("status", enum=SessionStatus.values, required=False),
]


# What a participant item shows of the student's attempt.
PARTICIPANT_ATTEMPT_FIELDS = ("id", "session_id", "student_id", "offline_seconds", "offline_since")


def _with_participants(sessions):
    return sessions.select_related("test").prefetch_related(
        Prefetch("test__passages", queryset=Passage.objects.only("id", "order", "test_id").order_by("order")),
        Prefetch(
            "participants",
            queryset=Participant.objects.select_related("student").annotate(n_connections=Count("connections")),
        ),
        Prefetch(
            "attempts",
            queryset=Attempt.objects.only(*PARTICIPANT_ATTEMPT_FIELDS).order_by(),
        ),
    )


def _filtered(sessions, params):
    errors = {}
    class_id = params.get("class_id")
    if class_id:
        if not class_id.isdigit() or int(class_id) > MAX_ID:
            errors["class_id"] = ["A valid integer is required."]
        else:
            sessions = sessions.filter(school_class_id=int(class_id))
    session_status = params.get("status")
    if session_status:
        if session_status not in SessionStatus.values:
            errors["status"] = [f"Must be one of {', '.join(SessionStatus.values)}."]
        else:
            sessions = sessions.filter(status=session_status)
    if errors:
        raise serializers.ValidationError(errors)
    return sessions


@extend_schema(tags=["sessions"])
class SessionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SessionSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_permissions(self):
        if self.action in ("list", "create"):
            return [IsStaffMember()]
        if self.action == "my_sessions":
            return [IsStudent()]
        if self.action == "destroy":
            return [IsAdminForObject()]
        if self.action == "retrieve" or (self.action == "messages" and self.request.method == "GET"):
            return [IsAuthenticated()]
        return [IsSessionTeacher()]

    def get_queryset(self):
        if not self.request.user.is_authenticated:  # schema generation
            return Session.objects.none()
        sessions = sessions_visible_to(self.request.user)
        if self.action in ("list", "my_sessions"):
            sessions = _filtered(sessions, self.request.query_params)
        if self.action in ("list", "my_sessions", "retrieve"):
            sessions = _with_participants(sessions)
        return sessions

    def _detail(self, session, status_code=status.HTTP_200_OK):
        fresh = _with_participants(Session.objects.select_related("school_class", "test")).get(pk=session.pk)
        return Response(SessionSerializer(fresh).data, status=status_code)

    @extend_schema(parameters=LIST_FILTERS)
    def list(self, request, *args, **kwargs):
        """Admins: every session; teachers: their classes' sessions."""
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=LIST_FILTERS, responses={200: SessionSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="my-sessions")
    def my_sessions(self, request):
        """The sessions the requesting student takes part in."""
        return Response(SessionSerializer(self.get_queryset(), many=True).data)

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionSerializer})
    def create(self, request):
        """Participants are the class's students."""
        data = SessionCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        session = services.session_create(
            school_class=values.pop("class_id"), test=values.pop("test_id"), **values, created_by=request.user
        )
        return self._detail(session, status.HTTP_201_CREATED)

    @extend_schema(request=SessionUpdateSerializer, responses={200: SessionSerializer})
    def partial_update(self, request, pk=None):
        """Change the title, time, paper, passages or length while the session is scheduled (409 after), and how
        its results are released until they are (409 after)."""
        session = self.get_object()
        data = SessionUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "test_id" in values:
            values["test"] = values.pop("test_id")
        return self._detail(services.session_update(session=session, **values))

    @extend_schema(request=None, responses={200: SessionSerializer})
    @action(detail=True, methods=["post"], url_path="release-results")
    def release_results(self, request, pk=None):
        """Show the students of a completed session their results (a `MANUAL` release; 409 otherwise, or twice)."""
        return self._detail(services.session_release_results(session=self.get_object(), by=request.user))

    @extend_schema(description="Admins only; 409 while the session is in progress.")
    def destroy(self, request, pk=None):
        services.session_delete(session=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _take(self, slug: str):
        """One of the teacher's transitions (services.SESSION_ACTIONS) on this session."""
        action = services.SESSION_ACTIONS_BY_SLUG[slug]
        return self._detail(action.service(session=self.get_object(), by=self.request.user))

    @extend_schema(request=None, responses={200: SessionSerializer})
    @action(detail=True, methods=["post"], url_path="start-waiting")
    def start_waiting(self, request, pk=None):
        """Open the waiting room."""
        return self._take("start-waiting")

    @extend_schema(request=None, responses={200: SessionSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start one clock for everyone; 409 if no student is connected."""
        return self._take("start")

    @extend_schema(request=None, responses={200: SessionSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """End the test now: every open attempt is submitted and marked."""
        return self._take("complete")

    @extend_schema(request=None, responses={200: SessionSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel before the start."""
        return self._take("cancel")

    @extend_schema(request=PauseInputSerializer, responses={200: SessionSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Stop the room (`IN_PROGRESS → PAUSED`): the clock stops for everyone and students' events wait."""
        session = self.get_object()
        data = PauseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._detail(services.session_pause(session=session, by=request.user, **data.validated_data))

    @extend_schema(request=None, responses={200: SessionSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """`PAUSED → IN_PROGRESS`: every deadline moves later by the time spent paused."""
        return self._take("resume")

    @extend_schema(request=ExtraTimeInputSerializer, responses={200: SessionSerializer})
    @action(detail=True, methods=["post"], url_path="extra-time")
    def extra_time(self, request, pk=None):
        """More (or, to correct a mistake, less) time for the whole class."""
        session = self.get_object()
        data = ExtraTimeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._detail(services.session_extend(session=session, by=request.user, **data.validated_data))

    @extend_schema(methods=["get"], responses={200: MessageSerializer(many=True)})
    @extend_schema(methods=["post"], request=MessageInputSerializer, responses={201: MessageSerializer})
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, pk=None):
        """The teacher's messages: to the class, or to one participant (`student_id`). Teachers list them all, a
        participant those to the class and to them."""
        session = self.get_object()
        if request.method == "GET":
            return Response(MessageSerializer(session_messages_for(session, request.user), many=True).data)
        data = MessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.session_message(session=session, by=request.user, **data.validated_data)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: SessionStatsSerializer})
    @action(detail=True, methods=["get"])
    def stats(self, request, pk=None):
        return Response(SessionStatsSerializer(session_stats(self.get_object())).data)

    @extend_schema(responses={200: SessionAnalysisSerializer})
    @action(detail=True, methods=["get"])
    def analysis(self, request, pk=None):
        """Item analysis over the attempts so far (in progress or submitted): per question, per question type and
        per student, and the band distribution; the session's teachers and admins only."""
        return Response(SessionAnalysisSerializer(session_analysis(self.get_object())).data)


# ---------------------------------------------------------------- a paper's files, to those who may have them now


def _stored_file(request, field_file, *, test_id: int):
    """The file to someone who may have it now (sessions_app.selectors.paper_file_access), with range requests."""
    access = paper_file_access(request.user, test_id=test_id)
    if access == FileAccess.PAUSED:
        raise Forbidden("The session is paused: the recording goes on when it resumes.", code="session_paused")
    if access != FileAccess.ALLOWED or not field_file:
        raise NotFound("File not found.")
    return stored_file_response(request, field_file)


def _object_id(value) -> int:
    if not str(value).isdigit() or int(value) > MAX_ID:
        raise NotFound("File not found.")
    return int(value)


FILE_DESCRIPTION = (
    "Staff always; a participant while their session on the paper is IN_PROGRESS (403 while it is paused), a student "
    "while their practice attempt on it is IN_PROGRESS; 404 otherwise. `Range: bytes=a-b` → 206 with Content-Range."
)


class PassageAudioFileView(APIView):
    """A Listening part's recording."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["files"], description=FILE_DESCRIPTION, responses={(200, "audio/*"): OpenApiTypes.BINARY,
                   (206, "audio/*"): OpenApiTypes.BINARY},
                   parameters=[OpenApiParameter("passage_id", int, OpenApiParameter.PATH)])  # fmt: skip
    def get(self, request, passage_id):
        passage = Passage.objects.filter(pk=_object_id(passage_id)).first()
        if passage is None:
            raise NotFound("File not found.")
        return _stored_file(request, passage.audio, test_id=passage.test_id)


class QuestionImageFileView(APIView):
    """A Writing task's picture (the `image` field of a question, where the paper has one)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["files"], description=FILE_DESCRIPTION, responses={(200, "image/*"): OpenApiTypes.BINARY,
                   (206, "image/*"): OpenApiTypes.BINARY},
                   parameters=[OpenApiParameter("question_id", int, OpenApiParameter.PATH)])  # fmt: skip
    def get(self, request, question_id):
        question = Question.objects.filter(pk=_object_id(question_id)).first()
        image = getattr(question, "image", None)
        if question is None or image is None:
            raise NotFound("File not found.")
        return _stored_file(request, image, test_id=question.test_id)
