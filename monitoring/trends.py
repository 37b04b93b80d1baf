"""A class's trends across its sessions and practices: each student's score and band over time, the class's facility
per question type, the violations. Read in a fixed number of queries however many sessions, students and answers
there are; plain data the pages draw and the CSV writes."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count

from attempts.models import Answer, Attempt, AttemptStatus, Verdict, Violation
from classes.models import Class
from exams.choices import QuestionType
from exams.models import Question
from sessions_app.models import SessionStatus


@dataclass
class Result:
    """One student's work in one sitting (a session, or one practice attempt)."""

    score: int | None
    band: float | None
    questions: int
    violations: int = 0
    by_type: dict = field(default_factory=dict)  # question type → (correct, questions)


@dataclass
class Sitting:
    """A completed session of the class, or a practice attempt handed in, on the time line."""

    kind: str  # "session" | "practice"
    id: int
    title: str
    at: datetime
    results: dict = field(default_factory=dict)  # student id → Result

    @property
    def mean_band(self) -> float | None:
        bands = [result.band for result in self.results.values() if result.band is not None]
        return sum(bands) / len(bands) if bands else None

    @property
    def mean_score_share(self) -> float | None:
        shares = [result.score / result.questions for result in self.results.values() if result.questions]
        return sum(shares) / len(shares) if shares else None

    @property
    def violations(self) -> int:
        return sum(result.violations for result in self.results.values())

    def facility(self, question_type: str) -> float | None:
        """Correct answers to the questions of this type over (its questions × the attempts), the stats' facility."""
        correct = total = 0
        for result in self.results.values():
            got, out_of = result.by_type.get(question_type, (0, 0))
            correct, total = correct + got, total + out_of
        return correct / total if total else None


@dataclass
class ClassTrends:
    sessions: list  # Sitting of each completed session, oldest first
    practice: list  # Sitting of each handed-in practice attempt (one student each), oldest first
    students: list  # the class's students, by surname
    types: list  # the question types the sittings asked, in the contract's order

    def of_student(self, student_id: int) -> list:
        """The student's sittings, oldest first: the sessions they took and their practice attempts."""
        taken = [s for s in self.sessions if student_id in s.results] + [
            s for s in self.practice if student_id in s.results
        ]
        return sorted(taken, key=lambda sitting: sitting.at)


def class_trends(school_class: Class) -> ClassTrends:
    """Seven queries: the sessions, their attempts, the questions, the answers, the violations, the practice
    attempts and the students."""
    sessions = list(
        school_class.sessions.filter(status=SessionStatus.COMPLETED, started_at__isnull=False).order_by("started_at")
    )
    session_attempts = list(
        Attempt.objects.filter(session__in=sessions, status=AttemptStatus.SUBMITTED).values(
            "pk", "session_id", "student_id", "score", "band", "test_id"
        )
    )
    practice_attempts = list(
        Attempt.objects.filter(practice__school_class=school_class, status=AttemptStatus.SUBMITTED)
        .order_by("submitted_at", "pk")
        .values("pk", "practice_id", "practice__test__title", "student_id", "score", "band", "test_id", "submitted_at")
    )
    attempts = [*session_attempts, *practice_attempts]
    questions_of_test = defaultdict(list)
    for question in Question.objects.filter(test_id__in={a["test_id"] for a in attempts}).select_related("passage"):
        questions_of_test[question.test_id].append(question)
    attempt_ids = [attempt["pk"] for attempt in attempts]
    given = defaultdict(dict)
    answers = Answer.objects.filter(attempt_id__in=attempt_ids).values_list("attempt_id", "question_id", "answer")
    for attempt_id, question_id, answer in answers:
        given[attempt_id][question_id] = answer
    violations = Counter(
        dict(
            Violation.objects.filter(attempt_id__in=attempt_ids)
            .exclude(verdict=Verdict.DISMISSED)
            .order_by()
            .values("attempt_id")
            .annotate(n=Count("id"))
            .values_list("attempt_id", "n")
        )
    )

    def result(attempt, covered) -> Result:
        by_type = defaultdict(lambda: [0, 0])
        for question in covered:
            counts = by_type[question.type]
            counts[1] += 1
            counts[0] += question.is_correct(given[attempt["pk"]].get(question.pk))
        band = float(attempt["band"]) if attempt["band"] is not None else None
        return Result(
            score=attempt["score"], band=band, questions=len(covered), violations=violations[attempt["pk"]],
            by_type={kind: tuple(counts) for kind, counts in by_type.items()},
        )  # fmt: skip

    by_session = {session.pk: session for session in sessions}
    session_sittings = {s.pk: Sitting("session", s.pk, s.title, s.started_at) for s in sessions}
    for attempt in session_attempts:
        session = by_session[attempt["session_id"]]
        orders = set(session.passage_orders or [])
        covered = [q for q in questions_of_test[attempt["test_id"]] if not orders or q.passage.order in orders]
        session_sittings[session.pk].results[attempt["student_id"]] = result(attempt, covered)
    practice = []
    for attempt in practice_attempts:
        sitting = Sitting("practice", attempt["pk"], f"Practice: {attempt['practice__test__title']}",
                          attempt["submitted_at"])  # fmt: skip
        sitting.results[attempt["student_id"]] = result(attempt, questions_of_test[attempt["test_id"]])
        practice.append(sitting)
    sittings = [*session_sittings.values(), *practice]
    asked = {kind for sitting in sittings for result in sitting.results.values() for kind in result.by_type}
    students = [
        enrolment.student
        for enrolment in school_class.enrolments.select_related("student").order_by(
            "student__last_name", "student__first_name", "student__username"
        )
    ]
    return ClassTrends(
        sessions=list(session_sittings.values()),
        practice=practice,
        students=students,
        types=[kind for kind in QuestionType.values if kind in asked],
    )
