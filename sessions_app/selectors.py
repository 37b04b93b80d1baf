"""Reads on sessions: who sees which session, live counts, and the statistics of a session."""

from django.db import connection
from django.db.models import Count, Q

from attempts.models import Answer, Attempt, AttemptStatus, Highlight, Verdict, Violation
from exams.marking import is_correct
from exams.models import Test
from ielts_site.clock import now
from sessions_app.models import ConnectionStatus, Participant, Session, SessionStatus, TeacherMessage


def sessions_visible_to(user):
    """Admins see every session, teachers their classes', students those they take part in."""
    sessions = Session.objects.select_related("school_class", "test", "created_by")
    if user.is_platform_admin:
        return sessions
    if user.is_teacher:
        return sessions.filter(school_class__teachers=user).distinct()
    return sessions.filter(participants__student=user).distinct()


def session_is_teacher(session: Session, user) -> bool:
    """Admins and the class's teachers run and watch a session."""
    return user.is_platform_admin or session.school_class.is_taught_by(user)


def session_live_counts(session_id) -> dict:
    """The four counts teachers watch live."""
    return sessions_live_counts([session_id])[session_id]


def sessions_live_counts(session_ids) -> dict[int, dict]:
    """The four live counts of each of these sessions, in one query however many there are (a batch of student
    events, a dead process's sweep): session id → counts."""
    session_ids = sorted({int(pk) for pk in session_ids})
    counts = {pk: {"connected": 0, "submitted": 0, "participants": 0, "violations_total": 0} for pk in session_ids}
    if not session_ids:
        return counts
    participant, attempt, violation = (m._meta.db_table for m in (Participant, Attempt, Violation))
    sql = f"""
        SELECT s.id,
            (SELECT count(*) FROM {participant} p WHERE p.session_id = s.id AND p.connection_status = %s),
            (SELECT count(*) FROM {attempt} a WHERE a.session_id = s.id AND a.status = %s),
            (SELECT count(*) FROM {participant} p WHERE p.session_id = s.id),
            (SELECT count(*) FROM {violation} v JOIN {attempt} a ON a.id = v.attempt_id WHERE a.session_id = s.id)
        FROM {Session._meta.db_table} s WHERE s.id IN ({", ".join(["%s"] * len(session_ids))})
    """  # one round trip instead of three per session; the table names are the models' own
    with connection.cursor() as cursor:
        cursor.execute(sql, [ConnectionStatus.CONNECTED, AttemptStatus.SUBMITTED, *session_ids])
        for pk, connected, submitted, participants, violations in cursor.fetchall():
            counts[pk] = {"connected": connected, "submitted": submitted, "participants": participants,
                          "violations_total": violations}  # fmt: skip
    return counts


def session_open_to_student(user, *, paper_id) -> Session | None:
    """The session in progress (or paused) in which the student has an attempt on a version of the paper: what
    gives them the right to read that version (never its keys), and which of its passages."""
    return (
        Session.objects.filter(
            status__in=SessionStatus.RUNNING, attempts__student=user, test__in=Test.objects.of_paper(paper_id)
        )
        .select_related("test")
        .order_by("-started_at")
        .first()
    )


def _counts_by_attempt(model, session: Session) -> dict:
    return dict(
        model.objects.filter(attempt__session=session)
        .order_by()
        .values("attempt_id")
        .annotate(n=Count("pk"))
        .values_list("attempt_id", "n")
    )


def _violation_counts(session: Session) -> dict[int, tuple[int, int]]:
    """attempt id → (violations, confirmed ones) of the session's attempts, in one query."""
    return {
        attempt_id: (total, confirmed)
        for attempt_id, total, confirmed in Violation.objects.filter(attempt__session=session)
        .order_by()
        .values("attempt_id")
        .annotate(total=Count("pk"), confirmed=Count("pk", filter=Q(verdict=Verdict.CONFIRMED)))
        .values_list("attempt_id", "total", "confirmed")
    }


def session_stats(session: Session) -> dict:
    """The statistics of a session for its teachers, in six queries however many students take part.

    Every participant is listed (`status` null without an attempt). `submitted`, the averages and
    `violations_total` count every attempt of the session, as the live counts do; `facility` is
    correct answers over participants with an attempt.
    """
    participants = list(Participant.objects.filter(session=session).select_related("student"))
    attempts = {attempt.student_id: attempt for attempt in Attempt.objects.filter(session=session)}
    questions = list(session.paper_questions())
    violations = _violation_counts(session)
    highlights = _counts_by_attempt(Highlight, session)
    given: dict[int, dict[int, str]] = {}
    for attempt_id, question_id, answer in Answer.objects.filter(attempt__session=session).values_list(
        "attempt_id", "question_id", "answer"
    ):
        given.setdefault(attempt_id, {})[question_id] = answer

    def correct_ids(attempt_answers: dict[int, str]) -> set[int]:
        return {
            q.pk
            for q in questions
            if is_correct(attempt_answers.get(q.pk), accepted=q.answers, word_limit=q.word_limit)
        }

    moment = now()
    students = []
    per_question = {q.pk: {"answered": 0, "correct": 0} for q in questions}
    with_attempt = 0
    for participant in participants:
        attempt = attempts.get(participant.student_id)
        row = {
            "student_id": participant.student_id,
            "student_name": participant.student.display_name,
            "attempt_id": None,
            "status": None,
            "answered": 0,
            "correct": 0,
            "score": None,
            "band": None,
            "violations": 0,
            "highlights": 0,
            "current_passage_index": None,
            "current_question_index": None,
            "extra_seconds": 0,
            "offline_seconds": 0,
            "violations_confirmed": 0,
        }
        if attempt is not None:
            with_attempt += 1
            attempt_answers = {qid: a for qid, a in given.get(attempt.pk, {}).items() if a.strip()}
            correct = correct_ids(attempt_answers)
            for question_id in attempt_answers:
                if question_id in per_question:
                    per_question[question_id]["answered"] += 1
            for question_id in correct:
                per_question[question_id]["correct"] += 1
            n_violations, n_confirmed = violations.get(attempt.pk, (0, 0))
            row.update(
                attempt_id=attempt.pk,
                status=attempt.status,
                answered=len(attempt_answers),
                correct=len(correct),
                score=attempt.score,
                band=float(attempt.band) if attempt.band is not None else None,
                violations=n_violations,
                highlights=highlights.get(attempt.pk, 0),
                current_passage_index=attempt.current_passage_index,
                current_question_index=attempt.current_question_index,
                extra_seconds=attempt.extra_seconds,
                offline_seconds=attempt.offline_seconds_at(moment),
                violations_confirmed=n_confirmed,
            )
        students.append(row)

    submitted = [a for a in attempts.values() if a.status == AttemptStatus.SUBMITTED]
    scored = [a for a in submitted if a.score is not None]
    banded = [float(a.band) for a in submitted if a.band is not None]
    return {
        "session_id": session.pk,
        "status": session.status,
        "participants": len(participants),
        "connected": sum(1 for p in participants if p.connection_status == ConnectionStatus.CONNECTED),
        "submitted": len(submitted),
        "average_score": round(sum(a.score for a in scored) / len(scored), 2) if scored else None,
        "average_band": round(sum(banded) / len(banded), 2) if banded else None,
        "violations_total": sum(total for total, _ in violations.values()),
        "students": students,
        "questions": [
            {
                "question_id": q.pk,
                "number": q.number,
                "answered": per_question[q.pk]["answered"],
                "correct": per_question[q.pk]["correct"],
                "facility": round(per_question[q.pk]["correct"] / with_attempt, 4) if with_attempt else 0.0,
            }
            for q in questions
        ],
    }


def session_messages_for(session: Session, user):
    """The session's teacher messages a user may read, oldest first: all of them for its teachers, those to the
    class and to them for a participant."""
    messages = TeacherMessage.objects.filter(session=session).order_by("sent_at", "id")
    if session_is_teacher(session, user):
        return messages
    return messages.filter(Q(student__isnull=True) | Q(student=user))


class FileAccess:
    """Whether a user may fetch a paper's file (a Listening part's audio, a Writing task's image) now."""

    ALLOWED = "allowed"
    PAUSED = "paused"  # a participant, while their session is paused: the recording waits for the resume
    DENIED = "denied"


def paper_file_access(user, *, test_id: int) -> str:
    """Staff always; a student while a session on that version of the paper in which they have an attempt (a
    participant taking it) is in progress, or while their practice attempt on it is open."""
    if user.is_staff_member:
        return FileAccess.ALLOWED
    participations = Attempt.objects.filter(student=user, session__isnull=False, session__test_id=test_id)
    if participations.filter(session__status=SessionStatus.IN_PROGRESS).exists():
        return FileAccess.ALLOWED
    if Attempt.objects.filter(
        student=user, practice__isnull=False, test_id=test_id, status=AttemptStatus.IN_PROGRESS
    ).exists():
        return FileAccess.ALLOWED
    if participations.filter(session__status=SessionStatus.PAUSED).exists():
        return FileAccess.PAUSED
    return FileAccess.DENIED
