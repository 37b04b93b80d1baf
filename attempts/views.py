"""REST face of attempts: read one; its student answers and submits through the same services as the WebSocket."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from attempts import services
from attempts.models import Attempt
from attempts.selectors import attempt_loaded, attempts_visible_to
from attempts.serializers import AnswerInputSerializer, AttemptSerializer


class IsAttemptStudent(IsAuthenticated):
    """Only the attempt's own student writes to it; staff who can see it may only look."""

    message = "Only the student taking this attempt may do this."

    def has_object_permission(self, request, view, attempt):
        return attempt.student_id == request.user.pk


@extend_schema(tags=["attempts"])
class AttemptViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AttemptSerializer

    def get_permissions(self):
        if self.action in ("answers", "submit"):
            return [IsAttemptStudent()]
        return [IsAuthenticated()]

    def get_queryset(self):
        if not self.request.user.is_authenticated:  # schema generation
            return Attempt.objects.none()
        return attempts_visible_to(self.request.user)

    def _detail(self, attempt):
        return Response(AttemptSerializer(attempt_loaded(attempt.pk)).data)

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
