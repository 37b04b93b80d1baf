"""The item analysis of a session (contract: "Session analysis"): per question, per question type and per student,
over the session's counted attempts, read from the attempts, their answers, highlights and event logs in a fixed
number of queries however many students took part. Also the class's highlight heatmap of each passage, which the
results page draws beside it."""

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils.dateparse import parse_datetime

from attempts.models import Answer, Attempt, AttemptEvent, AttemptStatus, Highlight
from exams.choices import QuestionType
from exams.marking import normalise
from sessions_app.models import Session

COUNTED_STATUSES = (AttemptStatus.IN_PROGRESS, AttemptStatus.SUBMITTED)
UNSCORED_TYPES = frozenset({"ESSAY"})  # a Writing task is marked by a person, not by keys
TFNG_KEYS = ("TRUE", "FALSE", "NOT GIVEN")
MAX_WRONG_ANSWERS = 5


def _fraction(part, whole) -> float | None:
    return part / whole if whole else None


def point_biserial(marks: list[int], rest_scores: list[int]) -> float | None:
    """Pearson's r between a question's marks (1/0) and the rest scores; None below two attempts or without
    variance in either."""
    n = len(marks)
    if n < 2:
        return None
    mean_x, mean_y = sum(marks) / n, sum(rest_scores) / n
    sxx = sum((x - mean_x) ** 2 for x in marks)
    syy = sum((y - mean_y) ** 2 for y in rest_scores)
    if not sxx or not syy:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(marks, rest_scores, strict=True))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))  # rounding may step past ±1 for a perfect line


def overlaps(start: int, end: int, other_start: int, other_end: int) -> bool:
    """Whether `[start, end)` and `[other_start, other_end)` share a character."""
    return start < other_end and other_start < end


def tfng_key(question) -> str | None:
    """A TRUE/FALSE/NOT GIVEN question's key as the analysis names it ("NOT GIVEN"); None for other types."""
    if question.type != QuestionType.TRUE_FALSE_NOT_GIVEN:
        return None
    first = question.answers[0] if isinstance(question.answers, list) and question.answers else None
    return normalise(first).upper() if isinstance(first, str) else None


@dataclass
class _Log:
    """What the analysis reads of the attempts' event logs."""

    first_answer_seconds: dict = field(default_factory=lambda: defaultdict(dict))  # question → attempt → seconds
    flagged_by: dict = field(default_factory=lambda: defaultdict(set))  # question → attempts


def _event_moment(data: dict, created_at):
    """When the student made the event: the page's stamp (on the server's clock) for one replayed from its
    outbox, else when the server logged it."""
    made_at = data.get("made_at")
    try:
        moment = parse_datetime(made_at) if isinstance(made_at, str) else None
    except ValueError:  # the log is read as it is; one odd stamp costs its event's time only
        moment = None
    return moment or created_at


def _read_log(attempts: dict[int, Attempt]) -> _Log:
    log = _Log()
    events = (
        AttemptEvent.objects.filter(attempt_id__in=attempts, type__in=("answer_submitted", "question_flagged"))
        .order_by("created_at", "id")
        .values_list("attempt_id", "type", "data", "created_at")
    )
    for attempt_id, event_type, data, created_at in events.iterator(chunk_size=2000):
        if not isinstance(data, dict):
            continue
        question_id = data.get("question_id")
        if event_type == "question_flagged":
            if data.get("flagged") is True:
                log.flagged_by[question_id].add(attempt_id)
            continue
        answer = data.get("answer")
        if not isinstance(answer, str) or not answer.strip():
            continue
        seconds = (_event_moment(data, created_at) - attempts[attempt_id].started_at).total_seconds()
        first = log.first_answer_seconds[question_id]
        first[attempt_id] = min(seconds, first.get(attempt_id, seconds))
    return log


def _counted_attempts(session: Session) -> dict[int, Attempt]:
    attempts = (
        Attempt.objects.filter(session=session, status__in=COUNTED_STATUSES).select_related("student").order_by("id")
    )
    return {attempt.pk: attempt for attempt in attempts}


def _given_answers(attempts) -> dict[int, dict[int, str]]:
    """attempt → question → the stored answer, blank ones left out (an empty answer clears the question)."""
    given: dict[int, dict[int, str]] = defaultdict(dict)
    rows = Answer.objects.filter(attempt_id__in=attempts).values_list("attempt_id", "question_id", "answer")
    for attempt_id, question_id, answer in rows.iterator(chunk_size=2000):
        if answer.strip():
            given[attempt_id][question_id] = answer
    return given


def _highlights(attempts) -> list[tuple[int, int, int, int]]:
    """(attempt, passage, start, end) of every highlight present now."""
    return list(
        Highlight.objects.filter(attempt_id__in=attempts)
        .order_by()
        .values_list("attempt_id", "passage_id", "position_start", "position_end")
    )


def _type_rows(questions, counted: dict[int, int], n: int) -> list[dict]:
    """One row per type present (in the contract's order), and one per TRUE/FALSE/NOT GIVEN key present."""
    rows = []
    for qtype in QuestionType.values:
        own = [q for q in questions if q.type == qtype]
        if not own:
            continue
        groups = [(None, own)]
        if qtype == QuestionType.TRUE_FALSE_NOT_GIVEN:
            groups += [(key, [q for q in own if tfng_key(q) == key]) for key in TFNG_KEYS]
        for key, group in groups:
            if group:
                correct = sum(counted[q.pk] for q in group)
                rows.append({"type": qtype, "key": key, "questions": len(group),
                             "facility": _fraction(correct, len(group) * n)})  # fmt: skip
    return rows


def session_analysis(session: Session) -> dict:
    """The contract's analysis body of `session` (its own version of the paper and its passages), in seven
    queries however many students took part."""
    session = Session.objects.select_related("school_class", "test").get(pk=session.pk)
    questions = [q for q in session.paper_questions() if q.type not in UNSCORED_TYPES]
    attempts = _counted_attempts(session)
    given = _given_answers(attempts)
    highlights = _highlights(attempts)
    log = _read_log(attempts)
    n = len(attempts)

    marks = {
        attempt_id: {q.pk: (None if q.pk not in given[attempt_id] else int(q.is_correct(given[attempt_id][q.pk])))
                     for q in questions}
        for attempt_id in attempts
    }  # fmt: skip
    scores = {attempt_id: sum(m for m in row.values() if m) for attempt_id, row in marks.items()}
    correct_counts = {q.pk: sum(1 for a in attempts if marks[a][q.pk]) for q in questions}

    question_rows = []
    for question in questions:
        answered = [a for a in attempts if marks[a][question.pk] is not None]
        wrong = Counter(normalise(given[a][question.pk]) for a in answered if not marks[a][question.pk])
        q_marks = [marks[a][question.pk] or 0 for a in attempts]
        rest = [scores[a] - (marks[a][question.pk] or 0) for a in attempts]
        first_answers = [s for a, s in log.first_answer_seconds.get(question.pk, {}).items() if a in attempts]
        row = {
            "question_id": question.pk,
            "number": question.number,
            "type": question.type,
            "key": tfng_key(question),
            "answered": len(answered),
            "correct": correct_counts[question.pk],
            "facility": _fraction(correct_counts[question.pk], n),
            "blank_rate": _fraction(n - len(answered), n),
            "discrimination": point_biserial(q_marks, rest),
            "wrong_answers": [
                {"answer": answer, "count": count}
                for answer, count in sorted(wrong.items(), key=lambda item: (-item[1], item[0]))[:MAX_WRONG_ANSWERS]
            ],
            "median_seconds_to_first_answer": statistics.median(first_answers) if first_answers else None,
            "flagged_by": len(log.flagged_by.get(question.pk, set()) & attempts.keys()),
            "evidence": question.evidence,
            "evidence_highlighted": None,
            "evidence_share": None,
            "facility_highlighted": None,
            "facility_not_highlighted": None,
        }
        if question.evidence is not None:
            found = {
                attempt_id
                for attempt_id, passage_id, start, end in highlights
                if passage_id == question.passage_id
                and overlaps(start, end, question.evidence_start, question.evidence_end)
            }
            others = attempts.keys() - found
            row.update(
                evidence_highlighted=len(found),
                evidence_share=_fraction(len(found), n),
                facility_highlighted=_fraction(sum(1 for a in found if marks[a][question.pk]), len(found)),
                facility_not_highlighted=_fraction(sum(1 for a in others if marks[a][question.pk]), len(others)),
            )
        question_rows.append(row)

    students = [
        {
            "student_id": attempt.student_id,
            "student_name": attempt.student.display_name,
            "attempt_id": attempt.pk,
            "score": attempt.score,
            "band": float(attempt.band) if attempt.band is not None else None,
            "marks": [marks[attempt.pk][q.pk] for q in questions],
        }
        for attempt in attempts.values()
    ]
    students.sort(key=lambda s: (s["score"] is None, -(s["score"] or 0), s["student_name"], s["student_id"]))
    bands = Counter(
        float(a.band) for a in attempts.values() if a.status == AttemptStatus.SUBMITTED and a.band is not None
    )
    target_band = session.school_class.target_band
    return {
        "session_id": session.pk,
        "status": session.status,
        "attempts": n,
        "target_band": float(target_band) if target_band is not None else None,
        "questions": question_rows,
        "types": _type_rows(questions, correct_counts, n),
        "students": students,
        "band_distribution": [{"band": band, "count": bands[band]} for band in sorted(bands, reverse=True)],
    }


def passage_highlight_heat(session: Session) -> dict[int, list[tuple[int, int, int]]]:
    """passage → [(start, end, students)]: the runs of characters of each of the session's passages with how many
    counted attempts highlighted them (a student's overlapping highlights count once), in order, gaps left out."""
    attempts = Attempt.objects.filter(session=session, status__in=COUNTED_STATUSES).values("pk")
    changes: dict[int, Counter] = defaultdict(Counter)
    for passage_id, spans in _student_spans(_highlights(attempts)).items():
        for start, end in spans:
            changes[passage_id][start] += 1
            changes[passage_id][end] -= 1
    heat = {}
    for passage_id, change in changes.items():
        runs, level, previous = [], 0, None
        for position in sorted(change):
            if previous is not None and level > 0 and position > previous:
                runs.append((previous, position, level))
            level += change[position]
            previous = position
        heat[passage_id] = runs
    return heat


def _student_spans(highlights) -> dict[int, list[tuple[int, int]]]:
    """passage → each attempt's highlights merged into disjoint spans (so that one student counts once)."""
    by_attempt: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for attempt_id, passage_id, start, end in highlights:
        by_attempt[attempt_id, passage_id].append((start, end))
    merged: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (_, passage_id), spans in by_attempt.items():
        current = None
        for start, end in sorted(spans):
            if current and start <= current[1]:
                current[1] = max(current[1], end)
            else:
                if current:
                    merged[passage_id].append(tuple(current))
                current = [start, end]
        if current:
            merged[passage_id].append(tuple(current))
    return merged
