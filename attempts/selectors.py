"""Reads on attempts: who sees which attempt, loaded whole for its body."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch, Q

from attempts.models import Answer, Attempt, AttemptStatus, Highlight, Practice, Violation, WritingMark
from classes.models import ClassStatus
from exams.choices import WRITING_MODULES, QuestionType
from exams.marking import essay_words
from exams.models import Question, Test
from ielts_site.clock import iso, now


def _whole(attempts):
    return attempts.select_related("session", "practice", "test").prefetch_related(
        Prefetch("answers", queryset=Answer.objects.order_by("question__number")),
        "highlights",
        "violations",
        "flagged_questions",
    )


def attempts_visible_to(user):
    """A student sees their own attempts; admins every attempt; teachers those of their classes' sessions and
    practices."""
    attempts = _whole(Attempt.objects.all())
    if user.is_platform_admin:
        return attempts
    if user.is_teacher:
        taught = Q(session__school_class__teachers=user) | Q(practice__school_class__teachers=user)
        return attempts.filter(taught).distinct()
    return attempts.filter(student=user)


def attempt_is_teacher(attempt: Attempt, user) -> bool:
    """Admins and the teachers of the attempt's class (its session's, or its practice's) watch and mark it."""
    return user.is_platform_admin or attempt.occasion.school_class.is_taught_by(user)


def practices_visible_to(user):
    """Staff see their classes' practices (admins every one); a student the open ones of the classes they are in."""
    practices = Practice.objects.select_related("school_class", "test")
    if user.is_platform_admin:
        return practices
    if user.is_teacher:
        return practices.filter(school_class__teachers=user).distinct()
    moment = now()
    return practices.filter(
        Q(opens_at__isnull=True) | Q(opens_at__lte=moment),
        Q(closes_at__isnull=True) | Q(closes_at__gt=moment),
        school_class__enrolments__student=user,
        school_class__status=ClassStatus.ACTIVE,
    ).distinct()


def practice_attempt_open_to_student(user, *, paper_id) -> Attempt | None:
    """The student's practice attempt in progress on a version of the paper: it gives them the right to read that
    version, all of it (never its keys)."""
    return (
        Attempt.objects.filter(
            student=user,
            practice__isnull=False,
            status=AttemptStatus.IN_PROGRESS,
            test__in=Test.objects.of_paper(paper_id),
        )  # fmt: skip
        .select_related("test")
        .order_by("-started_at")
        .first()
    )


def practice_results(practice: Practice) -> dict:
    """Every student of the practice's class with their attempts on it, oldest first ([] when none): three queries."""
    enrolled = practice.school_class.enrolments.select_related("student").order_by(
        "student__last_name", "student__first_name", "student__username"
    )
    attempts = defaultdict(list)
    for row in practice.attempts.order_by("started_at", "id").values(
        "id", "student_id", "status", "score", "band", "started_at", "submitted_at"
    ):
        student_id = row.pop("student_id")
        attempts[student_id].append({name: _json(value) for name, value in row.items()})
    return {
        "practice_id": practice.pk,
        "students": [
            {
                "student_id": enrolment.student_id,
                "student_name": enrolment.student.display_name,
                "attempts": attempts[enrolment.student_id],
            }
            for enrolment in enrolled
        ],
    }


def attempt_loaded(attempt_id) -> Attempt:
    """One attempt with everything its body shows (for the body after a write)."""
    return _whole(Attempt.objects.all()).get(pk=attempt_id)


# The contract's attempt body, field by field: `attempt_body` (WebSocket, pages) and AttemptSerializer (REST) both
# give exactly these, in this order.
ANSWER_FIELDS = ("question_id", "answer", "answered_at")
HIGHLIGHT_FIELDS = ("id", "passage_id", "text", "position_start", "position_end", "timestamp", "note")
VIOLATION_FIELDS = ("id", "type", "timestamp", "verdict", "note", "away_seconds")
ATTEMPT_FIELDS = (
    "id", "session_id", "test_id", "student_id", "status", "started_at", "submitted_at", "ends_at", "server_now",
    "current_passage_index", "current_question_index", "answers", "highlights", "flagged_question_ids",
    "violations", "score", "band", "extra_seconds", "offline_seconds", "practice_id", "writing",
)  # fmt: skip
WRITING_FIELDS = ("question_id", "words", "criteria", "band", "comment")
_ATTEMPT_COLUMNS = tuple(
    name for name in ATTEMPT_FIELDS
    if name not in {"server_now", "answers", "highlights", "flagged_question_ids", "violations", "offline_seconds",
                    "writing"}
)  # fmt: skip


def _json(value):
    """A column's value as the contract's JSON has it: times in ISO 8601, the band a number."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _by_attempt(rows, fields) -> dict[int, list[dict]]:
    """(attempt_id, *fields) rows → attempt id → [{field: value}], in the rows' order."""
    grouped = defaultdict(list)
    for attempt_id, *values in rows:
        grouped[attempt_id].append({name: _json(value) for name, value in zip(fields, values, strict=True)})
    return grouped


def attempt_body(attempt: Attempt | int) -> dict:
    """The contract's attempt body as plain JSON data (WebSocket `state_sync_response`, pages): exactly what
    `AttemptSerializer` gives REST, read as plain rows."""
    attempt_id = attempt.pk if isinstance(attempt, Attempt) else attempt
    return attempt_bodies([attempt_id])[attempt_id]


def attempt_bodies(attempt_ids) -> dict[int, dict]:
    """`attempt_body` of many attempts in five queries however many there are, two more with Writing attempts (a
    class's state syncs at the start, a reconnect storm): attempt id → body; ids of no attempt are left out."""
    attempt_ids = set(attempt_ids)
    rows = list(
        Attempt.objects.filter(pk__in=attempt_ids).values(
            *_ATTEMPT_COLUMNS, "offline_seconds", "offline_since", "test__module", "session__passage_orders"
        )
    )
    answers = _by_attempt(
        Answer.objects.filter(attempt_id__in=attempt_ids)
        .order_by("attempt_id", "question__number")
        .values_list("attempt_id", *ANSWER_FIELDS),
        ANSWER_FIELDS,
    )
    highlights = _by_attempt(
        Highlight.objects.filter(attempt_id__in=attempt_ids)
        .order_by("attempt_id", "timestamp", "id")
        .values_list("attempt_id", *HIGHLIGHT_FIELDS),
        HIGHLIGHT_FIELDS,
    )
    violations = _by_attempt(
        Violation.objects.filter(attempt_id__in=attempt_ids)
        .order_by("attempt_id", "timestamp", "id")
        .values_list("attempt_id", *VIOLATION_FIELDS),
        VIOLATION_FIELDS,
    )
    flagged = defaultdict(list)
    for attempt_id, question_id in (
        Attempt.flagged_questions.through.objects.filter(attempt_id__in=attempt_ids)
        .order_by("attempt_id", "question__test", "question__number")
        .values_list("attempt_id", "question_id")
    ):
        flagged[attempt_id].append(question_id)
    writing = _writing_items(rows, answers)
    moment = now()
    bodies = {}
    for row in rows:
        attempt_id = row["id"]
        row.pop("test__module"), row.pop("session__passage_orders")
        offline = Attempt(offline_seconds=row.pop("offline_seconds"), offline_since=row.pop("offline_since"))
        body = {name: _json(value) for name, value in row.items()}
        body |= {
            "server_now": iso(moment),
            "offline_seconds": offline.offline_seconds_at(moment),
            "answers": answers[attempt_id],
            "highlights": highlights[attempt_id],
            "flagged_question_ids": flagged[attempt_id],
            "violations": violations[attempt_id],
            "writing": writing.get(attempt_id, []),
        }
        bodies[attempt_id] = {name: body[name] for name in ATTEMPT_FIELDS}
    return bodies


def _writing_items(rows: list[dict], answers: dict[int, list[dict]]) -> dict[int, list[dict]]:
    """Each Writing attempt's `writing` items: one per essay its session (or practice) covers, in number order, with
    the words of its answer and its marks (null until marked). Two queries, only when a Writing attempt is among
    them."""
    writing_rows = [row for row in rows if row["test__module"] in WRITING_MODULES]
    if not writing_rows:
        return {}
    essays = defaultdict(list)  # test id → its essays (id, the order of its passage), by number
    for test_id, question_id, passage_order in (
        Question.objects.filter(test_id__in={row["test_id"] for row in writing_rows}, type=QuestionType.ESSAY)
        .order_by("test_id", "number")
        .values_list("test_id", "pk", "passage__order")
    ):
        essays[test_id].append((question_id, passage_order))
    marks = {
        (mark.attempt_id, mark.question_id): mark
        for mark in WritingMark.objects.filter(attempt_id__in=[row["id"] for row in writing_rows])
    }
    items = {}
    for row in writing_rows:
        covered = set(row["session__passage_orders"] or [])
        texts = {answer["question_id"]: answer["answer"] for answer in answers[row["id"]]}
        items[row["id"]] = [
            writing_item(question_id, texts.get(question_id), marks.get((row["id"], question_id)))
            for question_id, passage_order in essays[row["test_id"]]
            if not covered or passage_order in covered
        ]
    return items


def attempt_writing(attempt: Attempt) -> list[dict]:
    """The `writing` items of one loaded attempt (its answers prefetched), as `attempt_bodies` gives them."""
    row = {"id": attempt.pk, "test_id": attempt.test_id, "test__module": attempt.test.module,
           "session__passage_orders": attempt.session.passage_orders if attempt.session_id else None}  # fmt: skip
    answers = {attempt.pk: [{"question_id": a.question_id, "answer": a.answer} for a in attempt.answers.all()]}
    return _writing_items([row], answers).get(attempt.pk, [])


def writing_item(question_id: int, text: str | None, mark: WritingMark | None) -> dict:
    return {
        "question_id": question_id,
        "words": essay_words(text),
        "criteria": mark.criteria if mark else None,
        "band": float(mark.band) if mark else None,
        "comment": mark.comment if mark else None,
    }


def _writing_hidden(items: list[dict]) -> list[dict]:
    return [{**item, "criteria": None, "band": None, "comment": None} for item in items]


def as_student_sees(body: dict, occasion) -> dict:
    """An attempt body as its student may see it: no score or band before the results of its session (or practice,
    `Attempt.occasion`) are released for it, nor a Writing attempt's marks before every task is marked; once they
    are, with the `review` it allows, each answer with its mark and the accepted answers."""
    released = occasion.result_is_released_for(body["status"])
    # A Writing attempt's marks are shown whole or not at all: once every task is marked and the results released.
    if body["writing"] and not (released and all(item["band"] is not None for item in body["writing"])):
        body = {**body, "band": None, "writing": _writing_hidden(body["writing"])}
    if not released:
        return {**body, "score": None, "band": None}
    if not occasion.review:
        return body
    questions = {question.pk: question for question in occasion.paper_questions()}
    answers = []
    for item in body["answers"]:
        question = questions.get(item["question_id"])
        if question is not None:
            item = {**item, "correct": question.is_correct(item["answer"]), "accepted_answers": list(question.answers)}
        answers.append(item)
    return {**body, "answers": answers}
