"""The class rules that involve sessions: archiving waits for running sessions, enrolling joins the class's
coming sessions, unenrolling leaves the unfinished ones."""

from django.db import transaction
from django.db.models import Q

from accounts.models import User
from attempts.models import Attempt, AttemptStatus
from attempts.services import attempt_abandon
from classes.models import Class, Enrolment
from classes.services import class_mark_archived, enrolment_create, enrolment_delete
from ielts_site.errors import Conflict
from sessions_app.models import Participant, SessionStatus
from sessions_app.services.presence import lock_participants, publish_live_stats, publish_presence


@transaction.atomic
def class_archive(*, school_class: Class) -> Class:
    """Archive a class, refused while one of its sessions has its waiting room or test open."""
    school_class = Class.objects.select_for_update().get(pk=school_class.pk)
    if school_class.sessions.filter(status__in=SessionStatus.OPEN).exists():
        raise Conflict("The class has a session waiting or in progress.", code="session_running")
    return class_mark_archived(school_class=school_class)


@transaction.atomic
def class_enrol(*, school_class: Class, student: User) -> Enrolment:
    """Enrol a student; they also join the class's sessions that have not started yet."""
    enrolment = enrolment_create(school_class=school_class, student=student)
    Participant.objects.bulk_create(
        [
            Participant(session=session, student=student)
            for session in school_class.sessions.filter(status__in=SessionStatus.NOT_STARTED)
        ],
        ignore_conflicts=True,
    )
    return enrolment


@transaction.atomic
def class_unenrol(*, school_class: Class, student_id) -> None:
    """Remove a student; they leave the class's unfinished sessions, and any open attempt (of those, or of the class's
    practices) is abandoned."""
    enrolment_delete(school_class=school_class, student_id=student_id)
    unfinished = school_class.sessions.exclude(status__in=SessionStatus.FINISHED)
    open_attempts = Attempt.objects.filter(
        Q(session__in=unfinished) | Q(practice__school_class=school_class),
        student_id=student_id,
        status=AttemptStatus.IN_PROGRESS,
    )
    for attempt in open_attempts:
        attempt_abandon(attempt=attempt)
    for participant in lock_participants(Participant.objects.filter(session__in=unfinished, student_id=student_id)):
        was_connected = participant.is_connected
        session_id = participant.session_id
        participant.delete()
        if was_connected:
            publish_presence(session_id, "participant_disconnected", participant.student)
        else:
            publish_live_stats(session_id)
