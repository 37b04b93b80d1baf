"""Reads for the teacher's pages: the dashboard's rows, the class page's lists and student search, a
session's results, a paper's outline for the live monitor and what an attempt's timeline shows.

Plain data or QuerySets; the views only arrange them for their templates.
"""

from datetime import timedelta

from django.db.models import Count, Prefetch, Q, Sum
from django.utils.dateparse import parse_datetime

from accounts.models import Role, User
from accounts.selectors import users_with_role
from attempts.models import Answer, Attempt, AttemptEvent, AttemptStatus, Verdict, ViolationType, WritingMark
from attempts.selectors import practices_visible_to
from classes.models import Class
from classes.selectors import classes_visible_to
from exams.choices import QuestionType
from exams.marking import essay_words
from ielts_site.clock import iso, now
from sessions_app.models import Session, SessionStatus, TeacherMessage
from sessions_app.selectors import session_stats, sessions_visible_to
from sessions_app.services import CompletionReason

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


def class_practice_grid(school_class: Class, enrolments) -> dict:
    """The class's practices (newest first) and, per student, their work on each: how many attempts, whether one is
    in progress, and the latest handed-in attempt's score and band. Two queries however many there are."""
    practices = list(school_class.practices.select_related("test").order_by("-created_at", "-id"))
    cells = {}  # (student id, practice id) → {"attempts", "open", "latest"}
    for attempt in Attempt.objects.filter(practice__in=practices).order_by("started_at", "id"):
        key = (attempt.student_id, attempt.practice_id)
        cell = cells.setdefault(key, {"attempts": 0, "open": False, "latest": None})
        cell["attempts"] += 1
        if attempt.is_open:
            cell["open"] = True
        elif attempt.status == AttemptStatus.SUBMITTED:
            cell["latest"] = attempt
    rows = [
        {"student": enrolment.student, "cells": [cells.get((enrolment.student_id, p.pk)) for p in practices]}
        for enrolment in enrolments
    ]
    return {"practices": practices, "rows": rows}


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


def paper_outline(session: Session) -> dict:
    """How many passages and questions the session's paper covers, and each question's number by its id."""
    questions = session.paper_questions()
    return {
        "passage_count": session.paper_passages().count(),
        "question_count": questions.count(),
        "question_numbers": dict(questions.values_list("pk", "number")),
        # A Writing paper's tasks, whose words written so far the cards show.
        "essays": list(questions.filter(type=QuestionType.ESSAY).values("id", "task", "min_words")),
    }


def session_roster(session: Session) -> list[int]:
    """The session's students' ids in the class page's order: by surname, first name, username."""
    return list(
        session.participants.order_by("student__last_name", "student__first_name", "student__username").values_list(
            "student_id", flat=True
        )
    )


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


# The live monitor's feed: its lines rebuilt from the log, as the live messages they are made from (the page words
# both alike). The attempt log's events that make a line, by the message's type; the class's pause and resume are
# logged once per open attempt at one moment, and make one line.
FEED_MESSAGE_OF_EVENT = {
    "connected": "participant_joined",
    "disconnected": "participant_disconnected",
    "answer_submitted": "answer_submitted",
    "tab_violation": "tab_violation",
    "text_highlighted": "text_highlighted",
    "highlight_removed": "highlight_removed",
    "highlight_noted": "highlight_noted",
    "question_flagged": "question_flagged",
    "attempt_submitted": "attempt_submitted",
    "attempt_reopened": "attempt_reopened",
    "time_extended": "time_extended",
    "violation_reviewed": "violation_reviewed",
    "session_paused": "session_paused",
    "session_resumed": "session_resumed",
}
CLASS_WIDE_EVENTS = {"session_paused", "session_resumed"}
# Kept in the log for the timeline, not for the feed's words.
LOG_ONLY_FIELDS = {"by", "whole_class", "message_id"}
FEED_PAGE_SIZE = 50


def parse_feed_cursor(cursor: str) -> tuple:
    """The sort key a feed line's `cursor` stands for; ValueError when it is not one."""
    moment, rank, pk = cursor.split(",")
    parsed = parse_datetime(moment)
    if parsed is None or parsed.tzinfo is None:
        raise ValueError(f"Not a feed cursor: {cursor!r}")
    return parsed, int(rank), int(pk)


def _feed_line(key: tuple, message_type: str, student: tuple | None = None, **fields) -> dict:
    student_id, student_name = student or (None, None)
    moment, rank, pk = key
    return {
        "type": message_type,
        "timestamp": iso(moment),
        "student_id": student_id,
        "student_name": student_name,
        **fields,
        "cursor": f"{iso(moment)},{rank},{pk}",
        "key": key,
    }


def _logged_lines(session: Session, students: dict[int, tuple]) -> list[dict]:
    """The feed's lines from the session's attempt logs: one per event, one per class-wide moment; an event the
    student made offline at the time they made it."""
    lines, class_wide = [], set()
    events = (
        AttemptEvent.objects.filter(attempt__session=session, type__in=FEED_MESSAGE_OF_EVENT)
        .order_by("created_at", "pk")
        .values_list("pk", "attempt_id", "type", "data", "created_at")
    )
    for pk, attempt_id, event_type, data, created_at in events:
        data = data if isinstance(data, dict) else {}
        fields = {name: value for name, value in data.items() if name not in LOG_ONLY_FIELDS}
        student = students.get(attempt_id)
        whole_class = event_type in CLASS_WIDE_EVENTS or data.get("whole_class")
        if whole_class:
            if (event_type, created_at) in class_wide:
                continue
            class_wide.add((event_type, created_at))
            student = None
        if event_type == "attempt_submitted":
            fields["band"] = float(data["band"]) if data.get("band") not in (None, "None") else None
        moment = parse_datetime(data["made_at"]) if data.get("made_at") else created_at
        lines.append(_feed_line((moment, 0, pk), FEED_MESSAGE_OF_EVENT[event_type], student, **fields))
    return lines


def _completion(session: Session, lines: list[dict]) -> tuple:
    """When and why the session completed: as it closed its last open attempts (after their lines, as it is heard
    live), or else by the clock once time was up."""
    for line in lines:
        if line["type"] == "attempt_submitted" and line["key"][0] >= session.completed_at:
            return line["key"][0], line["reason"]
    time_up = session.ends_at is not None and session.completed_at >= session.ends_at
    return session.completed_at, CompletionReason.TIME_UP if time_up else CompletionReason.TEACHER


def _session_lines(session: Session, lines: list[dict], arrivals, names: dict[int, str]) -> list[dict]:
    """The feed's lines of the session's own transitions, its messages and the arrivals before the start."""
    own = []
    if session.waiting_opened_at:
        own.append(_feed_line((session.waiting_opened_at, 1, 0), "waiting_room_opened"))
    if session.started_at:
        own.append(_feed_line((session.started_at, 1, 1), "session_started"))
    if session.completed_at:
        moment, reason = _completion(session, lines)
        own.append(_feed_line((moment, 1, 2), "session_completed", reason=reason))
    if session.status == SessionStatus.CANCELLED:  # never changed again: its last change is the cancellation
        own.append(_feed_line((session.updated_at, 1, 3), "session_cancelled"))
    for pk, student_id, text, sent_at in session.messages.values_list("pk", "student_id", "text", "sent_at"):
        student = (student_id, names.get(student_id)) if student_id else None
        own.append(_feed_line((sent_at, 2, pk), "teacher_message", student, text=text))
    for pk, student_id, joined_at in arrivals:
        if session.started_at is None or joined_at < session.started_at:  # later ones are in the attempts' logs
            own.append(_feed_line((joined_at, 3, pk), "participant_joined", (student_id, names[student_id])))
    return own


def session_feed(session: Session, *, before: str | None = None, limit: int = FEED_PAGE_SIZE) -> dict:
    """The last `limit` lines of the session's feed (before the line whose `cursor` is `before`), oldest first;
    `earlier` is the cursor to page back from, or None at the beginning; `as_of` the moment the log was read, so
    the page keeps the live lines that came after it."""
    as_of = now()
    names = {
        user.pk: user.display_name
        for user in User.objects.filter(Q(participations__session=session) | Q(attempts__session=session)).distinct()
    }
    students = {
        attempt_id: (student_id, names[student_id])
        for attempt_id, student_id in Attempt.objects.filter(session=session).values_list("pk", "student_id")
    }
    logged = _logged_lines(session, students)
    arrivals = session.participants.filter(joined_at__isnull=False).values_list("pk", "student_id", "joined_at")
    lines = sorted(logged + _session_lines(session, logged, arrivals, names), key=lambda line: line["key"])
    if before is not None:
        cutoff = parse_feed_cursor(before)
        lines = [line for line in lines if line["key"] < cutoff]
    page = lines[-limit:]
    for line in page:
        del line["key"]
    return {
        "lines": page,
        "earlier": page[0]["cursor"] if len(lines) > len(page) else None,
        "as_of": iso(as_of),
    }


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
    essays = list(session.paper_questions().filter(type=QuestionType.ESSAY).values_list("pk", "task"))
    if essays:  # a Writing paper: each task's band beside the writing band
        task_of = dict(essays)
        bands: dict[int, dict[int, float]] = {}
        for attempt_id, question_id, band in WritingMark.objects.filter(attempt__session=session).values_list(
            "attempt_id", "question_id", "band"
        ):
            bands.setdefault(attempt_id, {})[task_of.get(question_id)] = float(band)
        for student in students:
            student["task_bands"] = bands.get(student["attempt_id"], {})
            student["task_bands_text"] = " · ".join(
                f"Task {task} {band:.1f}" for task, band in sorted(student["task_bands"].items())
            )
    return {
        "writing_tasks": sorted(task for _, task in essays),
        "stats": stats,
        "students": students,
        "questions": sorted(stats["questions"], key=lambda q: q["number"]),
        "question_count": len(stats["questions"]),
    }


def session_answer_sheet(session: Session) -> dict:
    """What the CSV adds per student: the session's questions by number, each attempt's answers by question id,
    and when each attempt was submitted."""
    answers: dict[int, dict[int, str]] = {}
    for attempt_id, question_id, answer in Answer.objects.filter(attempt__session=session).values_list(
        "attempt_id", "question_id", "answer"
    ):
        answers.setdefault(attempt_id, {})[question_id] = answer
    return {
        "questions": list(session.paper_questions()),
        "answers": answers,
        "submitted_at": dict(session.attempts.values_list("pk", "submitted_at")),
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
    """Attempts in the sessions and practices the user may see, with what the timeline's heading shows."""
    return Attempt.objects.select_related(
        "student", "session", "session__school_class", "practice__school_class", "practice__test", "test"
    ).filter(Q(session__in=sessions_visible_to(user)) | Q(practice__in=practices_visible_to(user)))


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


def listening_timeline(session) -> dict | None:
    """A Listening session's recording for the monitor's "Part 2 of 4 playing" (static/teacher/listening-part.js):
    when the first part started, moved by the pauses that have ended (the page adds each resume's), and the parts'
    lengths."""
    if not session.test.is_listening:
        return None
    started = session.started_at + timedelta(seconds=session.paused_seconds) if session.started_at else None
    return {
        "audioStartedAt": iso(started),
        "partSeconds": [seconds or 0 for seconds in session.paper_passages().values_list("audio_seconds", flat=True)],
    }


def session_writing_sheet(session: Session) -> dict:
    """The marking page's essays: each participant's attempt with, per task, the text, its words and the marks so
    far (the task's band and the student's writing band once every task is marked). Four queries."""
    essays = list(session.paper_questions().filter(type=QuestionType.ESSAY).order_by("number"))
    attempts = {
        attempt.student_id: attempt
        for attempt in Attempt.objects.filter(session=session).select_related("student").order_by("pk")
    }
    texts = dict(
        ((a, q), text)
        for a, q, text in Answer.objects.filter(attempt__session=session, question__in=essays).values_list(
            "attempt_id", "question_id", "answer"
        )
    )
    marks = {(m.attempt_id, m.question_id): m for m in WritingMark.objects.filter(attempt__session=session)}
    rows = []
    for participant in session.participants.select_related("student").order_by(
        "student__last_name", "student__first_name", "student__username"
    ):
        attempt = attempts.get(participant.student_id)
        tasks = []
        for essay in essays:
            text = texts.get((attempt.pk, essay.pk), "") if attempt else ""
            tasks.append({"question": essay, "text": text, "words": essay_words(text),
                          "mark": marks.get((attempt.pk, essay.pk)) if attempt else None})  # fmt: skip
        rows.append(
            {
                "student": participant.student,
                "attempt": attempt,
                "markable": attempt is not None and attempt.status == AttemptStatus.SUBMITTED,
                "tasks": tasks,
                "to_mark": sum(1 for task in tasks if task["mark"] is None),
                "band": float(attempt.band) if attempt and attempt.band is not None else None,
            }
        )
    return {"essays": essays, "students": rows, "to_mark": sum(row["to_mark"] for row in rows if row["markable"])}
