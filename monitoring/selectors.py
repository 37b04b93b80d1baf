"""Reads for the teacher's pages: the dashboard's rows, the class page's lists and student search, a
session's results, a paper's outline for the live monitor and what an attempt's timeline shows.

Plain data or QuerySets; the views only arrange them for their templates.
"""

from django.db.models import Count, Prefetch, Q, Sum

from accounts.models import Role, User
from accounts.selectors import users_with_role
from attempts.models import Attempt, AttemptEvent, AttemptStatus, Verdict, ViolationType
from classes.models import Class
from classes.selectors import classes_visible_to
from exams.models import Test
from sessions_app.models import Session, SessionStatus, TeacherMessage
from sessions_app.selectors import session_stats, sessions_visible_to

# ---------------------------------------------------------------- dashboard and class page


def split_sessions(sessions) -> dict:
    """A class's sessions as the pages show them: live now, upcoming (soonest first), past (latest first)."""
    live = [s for s in sessions if s.status in SessionStatus.OPEN]
    upcoming = sorted((s for s in sessions if s.status == SessionStatus.SCHEDULED), key=lambda s: s.scheduled_at)
    past = sorted(
        (s for s in sessions if s.status in SessionStatus.FINISHED),
        key=lambda s: s.completed_at or s.scheduled_at,
        reverse=True,
    )
    return {"live": live, "upcoming": upcoming, "past": past}


def dashboard_rows(user, *, past_shown: int) -> list[dict]:
    """One row per class the user may see (active first, by name): its sessions split, the latest
    `past_shown` past ones and how many more there are."""
    classes = (
        classes_visible_to(user)
        .annotate(student_count=Count("enrolments", distinct=True))
        .prefetch_related(
            Prefetch("sessions", queryset=Session.objects.select_related("test")),
            "teachers",
        )
        .order_by("status", "name", "id")
    )
    rows = []
    for school_class in classes:
        groups = split_sessions(list(school_class.sessions.all()))
        rows.append(
            {
                "school_class": school_class,
                "live": groups["live"],
                "upcoming": groups["upcoming"],
                "past": groups["past"][:past_shown],
                "past_more": max(0, len(groups["past"]) - past_shown),
            }
        )
    return rows


def class_teachers(school_class: Class):
    return school_class.teachers.order_by("last_name", "first_name", "username")


def class_enrolments(school_class: Class):
    return school_class.enrolments.select_related("student").order_by(
        "student__last_name", "student__first_name", "student__username"
    )


def class_sessions(school_class: Class) -> list[Session]:
    """The class's sessions with their papers, latest first."""
    return list(school_class.sessions.select_related("test").order_by("-scheduled_at", "-id"))


def students_outside_class_matching(school_class: Class, query: str, *, limit: int):
    """Active students not yet in the class whose username or name contains every word of the query."""
    students = users_with_role(Role.STUDENT).filter(is_active=True).exclude(enrolments__school_class=school_class)
    for word in query.split():
        students = students.filter(
            Q(username__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
        )
    return students.order_by("last_name", "first_name", "username")[:limit]


def users_by_username(usernames: list[str]) -> dict[str, User]:
    """The users named, keyed by lower-cased username: an exact match first, then case-insensitively for the
    rest (as logging in matches users who type their username differently)."""
    found = {user.username.lower(): user for user in User.objects.filter(username__in=usernames)}
    missing = [name for name in usernames if name.lower() not in found]
    if missing:
        query = Q()
        for name in missing:
            query |= Q(username__iexact=name)
        found.update({user.username.lower(): user for user in User.objects.filter(query)})
    return found


# ---------------------------------------------------------------- live monitor


def paper_outline(test: Test) -> dict:
    """How many passages and questions the paper has, and each question's number by its id."""
    return {
        "passage_count": test.passages.count(),
        "question_count": test.questions.count(),
        "question_numbers": dict(test.questions.values_list("pk", "number")),
    }


# The reason the live monitor's "give back N s" sends with its extra-time call: how the monitor tells the offline
# time already given back from other extra time (in the attempts' logs, and in `time_extended` events).
GIVE_BACK_REASON = "Offline time given back"


def offline_time_given_back(session: Session) -> dict[int, int]:
    """Student id → the offline seconds already given back to them in this session (from their attempts' logs)."""
    given: dict[int, int] = {}
    events = AttemptEvent.objects.filter(
        attempt__session=session, type="time_extended", data__reason=GIVE_BACK_REASON
    ).values_list("attempt__student_id", "data")
    for student_id, data in events:
        if not data.get("whole_class"):
            given[student_id] = given.get(student_id, 0) + int(data.get("seconds") or 0)
    return given


# ---------------------------------------------------------------- results


def session_results(session: Session) -> dict:
    """The session's statistics (the same selector as the API) with each student's username and status label,
    students by name and questions by number."""
    stats = session_stats(session)
    usernames = dict(
        User.objects.filter(pk__in=[s["student_id"] for s in stats["students"]]).values_list("pk", "username")
    )
    students = sorted(stats["students"], key=lambda s: (str(s["student_name"]).lower(), str(s["student_id"])))
    for student in students:
        student["username"] = usernames.get(student["student_id"], "")
        student["status_label"] = AttemptStatus(student["status"]).label if student["status"] else None
    return {
        "stats": stats,
        "students": students,
        "questions": sorted(stats["questions"], key=lambda q: q["number"]),
        "question_count": len(stats["questions"]),
    }


def violations_by_type(session: Session) -> dict[str, dict]:
    """How many violations of each type the session's attempts recorded, how many of those a teacher confirmed
    and the time away they add up to, by the type's label: {label: {"total": n, "confirmed": m, "away_seconds": s}}
    (`away_seconds` null for a type with no return)."""
    labels = dict(ViolationType.choices)
    rows = (
        Attempt.objects.filter(session=session)
        .values("violations__type")
        .annotate(
            n=Count("violations"),
            confirmed=Count("violations", filter=Q(violations__verdict=Verdict.CONFIRMED)),
            away_seconds=Sum("violations__away_seconds"),
        )
        .filter(n__gt=0)
        .order_by("violations__type")
    )
    return {
        labels.get(row["violations__type"], row["violations__type"]): {
            "total": row["n"],
            "confirmed": row["confirmed"],
            "away_seconds": row["away_seconds"],
        }
        for row in rows
    }


# ---------------------------------------------------------------- an attempt's timeline


def attempts_for_timeline_visible_to(user):
    """Attempts in the sessions the user may see, with what the timeline's heading shows."""
    return Attempt.objects.select_related("student", "session", "session__school_class", "test").filter(
        session__in=sessions_visible_to(user)
    )


def attempt_timeline(attempt: Attempt) -> dict:
    """What the timeline describes an attempt with: its events in order, the paper's questions in order,
    question numbers and passage names by id, the teachers' names and messages by id (to put events in words),
    one row per question with the answer given, whether it is right (once marked) and whether it is flagged,
    and the violations with their reviews."""
    questions = list(attempt.test.questions.order_by("number"))
    passages = {p.pk: p.title or f"passage {p.order + 1}" for p in attempt.test.passages.all()}
    events = list(attempt.events.order_by("created_at", "id"))
    user_ids = {e.data.get("by") for e in events if isinstance(e.data, dict) and e.data.get("by")}
    message_ids = {e.data.get("message_id") for e in events if isinstance(e.data, dict) and e.data.get("message_id")}
    answers = {answer.question_id: answer.answer for answer in attempt.answers.all()}
    flagged = set(attempt.flagged_questions.values_list("pk", flat=True))
    marked = attempt.score is not None
    answer_rows = [
        {
            "number": q.number,
            "answer": answers.get(q.pk, ""),
            "correct": q.is_correct(answers.get(q.pk)) if marked else None,
            "flagged": q.pk in flagged,
        }
        for q in questions
    ]
    return {
        "events": events,
        "question_numbers": {q.pk: q.number for q in questions},
        "passage_names": passages,
        "people": {user.pk: user.display_name for user in User.objects.filter(pk__in=user_ids)},
        "messages": dict(
            TeacherMessage.objects.filter(session_id=attempt.session_id, pk__in=message_ids).values_list("pk", "text")
        ),
        "answer_rows": answer_rows,
        "violations": list(attempt.violations.order_by("timestamp", "id")),
    }
