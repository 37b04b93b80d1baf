"""Reads of the attempts' event logs for what the teacher sees over time: the live monitor's pace lanes (each
student's position since the start, the class's pauses, the paper's passages and, staff only, the keys the
page marks answers with for the projected band) and an attempt's replay (every event that changes what the
student's paper showed, with its moment). A bounded number of queries, however many students and events.
"""

from django.conf import settings
from django.utils.dateparse import parse_datetime

from attempts.models import DEPARTURE_TYPES, AttemptEvent, ViolationType
from exams.marking import normalise, usable_band_table
from ielts_site.clock import iso, now
from sessions_app.models import Session

# The log's events that move a student on the lanes (an answer moves them to its question too), and the class's
# pauses, during which the guide stands still.
LANE_EVENTS = ("progress_update", "answer_submitted")
PAUSE_EVENTS = ("session_paused", "session_resumed")


def epoch_ms(moment) -> int:
    """A moment as milliseconds since the epoch, as the pages' scripts count time."""
    return int(moment.timestamp() * 1000)


def event_moment(data, created_at):
    """When the student made an event: the moment their page says (an event replayed from its outbox, checked
    when it was applied), else when the server logged it."""
    made_at = parse_datetime(data["made_at"]) if isinstance(data, dict) and data.get("made_at") else None
    return made_at or created_at


def _pauses(session: Session, logged: list[tuple]) -> list[list[int | None]]:
    """The class's pauses as [from ms, to ms] (to None while it lasts): each pause and resume is logged once per
    open attempt at one moment."""
    pauses: list[list[int | None]] = []
    for event_type, created_at in sorted(set(logged), key=lambda row: row[1]):
        if event_type == "session_paused" and (not pauses or pauses[-1][1] is not None):
            pauses.append([epoch_ms(created_at), None])
        elif event_type == "session_resumed" and pauses and pauses[-1][1] is None:
            pauses[-1][1] = epoch_ms(created_at)
    if session.is_paused and session.paused_at and (not pauses or pauses[-1][1] is not None):
        pauses.append([epoch_ms(session.paused_at), None])
    return pauses


def marking_keys(questions) -> dict[int, dict]:
    """Question id → its accepted answers (normalised as marking normalises) and word limit, for the questions
    have keys. Staff only: the live monitor's projected band."""
    return {
        question.pk: {"answers": [normalise(a) for a in question.answers if isinstance(a, str)],
                      "word_limit": question.word_limit}
        for question in questions
        if isinstance(question.answers, list) and question.answers
    }  # fmt: skip


def session_lanes(session: Session) -> dict:
    """What the live monitor's pace lanes start from, in four queries: the passages' question indices (number − 1,
    in the session's order), the session's time limit in seconds on the server's clock, the pauses so far, and
    per student (by id) their attempt's start and its moves so far as [ms, question index, 1 when it was an
    answer], in order; with the keys and the band table for the projection."""
    questions = list(session.paper_questions().only("pk", "number", "passage_id", "type", "answers", "word_limit"))
    passage_ids = list(session.paper_passages().values_list("pk", flat=True))
    index_of = {question.pk: question.number - 1 for question in questions}
    passages = [[question.number - 1 for question in questions if question.passage_id == pk] for pk in passage_ids]
    attempts = {
        attempt_id: {"student_id": student_id, "started": epoch_ms(started_at) if started_at else None, "moves": []}
        for attempt_id, student_id, started_at in session.attempts.values_list("pk", "student_id", "started_at")
    }
    pause_rows = []
    events = (
        AttemptEvent.objects.filter(attempt__session=session, type__in=LANE_EVENTS + PAUSE_EVENTS)
        .order_by("created_at", "pk")
        .values_list("attempt_id", "type", "data", "created_at")
    )
    for attempt_id, event_type, data, created_at in events:
        data = data if isinstance(data, dict) else {}
        if event_type in PAUSE_EVENTS:
            pause_rows.append((event_type, created_at))
            continue
        at = epoch_ms(event_moment(data, created_at))
        moves = attempts[attempt_id]["moves"]
        if event_type == "progress_update" and isinstance(data.get("question_index"), int):
            moves.append([at, data["question_index"], 0])
        elif event_type == "answer_submitted" and data.get("question_id") in index_of:
            moves.append([at, index_of[data["question_id"]], 1 if str(data.get("answer") or "").strip() else 0])
    for attempt in attempts.values():
        attempt["moves"].sort(key=lambda move: move[0])
    test = session.test
    return {
        "startedAt": iso(session.started_at) if session.started_at else None,
        "limitSeconds": session.duration_minutes * settings.IELTS_SECONDS_PER_MINUTE,
        "secondsPerMinute": settings.IELTS_SECONDS_PER_MINUTE,
        "passages": passages,
        "pauses": _pauses(session, pause_rows),
        "attempts": {attempt.pop("student_id"): attempt for attempt in attempts.values()},
        "keys": marking_keys(questions),
        "bandTable": [list(row) for row in usable_band_table(test.band_table, module=test.module)],
    }


# ---------------------------------------------------------------- an attempt's replay

# What changes the student's paper, or says where they were and who acted on the attempt: the replay's steps.
REPLAY_FIELDS = {
    "answer_submitted": ("question_id", "answer"),
    "text_highlighted": ("highlight_id", "passage_id", "text", "position_start", "position_end"),
    "highlight_removed": ("highlight_id",),
    "highlight_noted": ("highlight_id", "note"),
    "question_flagged": ("question_id", "flagged"),
    "progress_update": ("passage_index", "question_index"),
    "tab_violation": ("violation_type", "returned", "away_seconds"),
}
TEACHER_ACTIONS = {
    "session_paused", "session_resumed", "time_extended", "attempt_finished", "attempt_reopened", "teacher_message",
    "violation_reviewed",
}  # fmt: skip


def replay_span(attempt, events: list) -> tuple:
    """The replay's axis: from the session's start (the attempt's, for one that started alone or on a practice) to the
    session's end (a practice attempt's own), or now while it runs, and never before the last event."""
    session = attempt.session
    if session is None:
        start, end = attempt.started_at, (now() if attempt.is_open else attempt.submitted_at) or now()
    else:
        start = session.started_at or attempt.started_at
        running = session.is_running or attempt.is_open
        end = session.completed_at or (now() if running else attempt.submitted_at) or now()
    if events:
        end = max(end, max(moment for moment, _ in events))
    return start, end


def attempt_replay_steps(attempt, events) -> list[tuple]:
    """(moment, event) for each logged event of the attempt, by when the student made it."""
    timed = [(event_moment(event.data, event.created_at), event) for event in events]
    return sorted(timed, key=lambda row: (row[0], row[1].pk))


def replay_step(event) -> dict:
    """An event as the replay's script reads it: its type, its group on the axis and the fields it needs."""
    data = event.data if isinstance(event.data, dict) else {}
    if event.type in TEACHER_ACTIONS:
        group = "teacher"
    elif event.type in ("connected", "disconnected"):
        group = "presence"
    elif event.type == "tab_violation":
        group = "violation"
    elif event.type in ("attempt_submitted", "submit_attempt", "attempt_abandoned"):
        group = "end"
    else:
        group = "student"
    fields = {name: data.get(name) for name in REPLAY_FIELDS.get(event.type, ())}
    return {"type": event.type, "group": group, **fields}


def attempt_replay(attempt, events: list) -> dict:
    """What the replay needs beside the log's events (read already, for the timeline): the axis' span, the
    events by when the student made them, and the session's (or practice's) questions and passages, in two
    queries."""
    occasion = attempt.occasion
    timed = attempt_replay_steps(attempt, events)
    start, end = replay_span(attempt, timed)
    return {
        "start": start,
        "end": end,
        "timed": timed,
        "questions": [
            {"id": pk, "number": number, "passage_id": passage_id}
            for pk, number, passage_id in occasion.paper_questions().values_list("pk", "number", "passage_id")
        ],
        "passages": [
            {"id": pk, "title": title or f"Passage {order + 1}"}
            for pk, title, order in occasion.paper_passages().values_list("pk", "title", "order")
        ],
    }


AXIS_WIDTH = 1000


def replay_axis(steps: list[dict], start, end) -> dict:
    """The replay's axis as the page draws it (x from 0 to AXIS_WIDTH over the span): the gaps in presence (from
    a disconnection to the next connection, or the end) and away from the test page (a departure to its
    return), and a mark per violation, teacher's action and end of the attempt; with a tick every few minutes."""
    span_ms = max(1, epoch_ms(end) - epoch_ms(start))

    def x(at_ms: int) -> float:
        return round(AXIS_WIDTH * min(max(at_ms - epoch_ms(start), 0), span_ms) / span_ms, 1)

    gaps, marks, offline_from, away_from = [], [], None, None
    for step in steps:
        at = step["at"]
        departure = (step.get("violation_type") or ViolationType.TAB_SWITCH) in DEPARTURE_TYPES
        if step["type"] == "disconnected" and offline_from is None:
            offline_from = at
        elif step["type"] == "connected" and offline_from is not None:
            gaps.append({"kind": "offline", "x": x(offline_from), "width": max(1, x(at) - x(offline_from)),
                         "title": "Offline"})  # fmt: skip
            offline_from = None
        if step["type"] == "tab_violation":
            if step.get("returned") and away_from is not None:
                gaps.append({"kind": "away", "x": x(away_from), "width": max(1, x(at) - x(away_from)),
                             "title": "Away from the test page"})  # fmt: skip
                away_from = None
            elif not step.get("returned") and departure:
                away_from = at
        if step["group"] in ("violation", "teacher", "end") and not step.get("returned"):
            marks.append({"group": step["group"], "x": x(at), "title": step["words"]})
    for kind, since, title in (("offline", offline_from, "Offline"), ("away", away_from, "Away from the test page")):
        if since is not None:
            gaps.append({"kind": kind, "x": x(since), "width": max(1, AXIS_WIDTH - x(since)), "title": title})
    minutes = span_ms / 60_000
    every = next((step for step in (1, 2, 5, 10, 15, 20, 30, 60) if minutes / step <= 8), 120)
    ticks = [
        {"x": x(epoch_ms(start) + minute * 60_000), "label": f"{minute} min"}
        for minute in range(0, int(minutes) + 1, every)
    ]
    return {"width": AXIS_WIDTH, "gaps": gaps, "marks": marks, "ticks": ticks, "seconds": -(-span_ms // 1000)}
