"""A small finished session whose item analysis is worked out by hand (sessions_app/tests/test_analysis.py), also
the results page's and the browser's example.

Four questions on one passage (Q1 carries the evidence span [10, 20)); four counted students and one who left the
class (ABANDONED, counted nowhere). Their answers, with the second each was first given after the start:

| student | Q1 TFNG (TRUE)       | Q2 TFNG (NOT GIVEN)       | Q3 completion (red wool) | Q4 choice (B)  | score |
|---------|----------------------|---------------------------|--------------------------|----------------|-------|
| Ann     | TRUE ✓ 30 s          | NOT GIVEN ✓ 50 s          | red wool ✓               | B ✓ 200 s      | 4     |
| Ben     | TRUE ✓ 60 s          | FALSE ✗ 70 s              | " Red  Wool " ✓          | A ✗ 300 s      | 2     |
| Dee     | TRUE ✓ 45 s          | TRUE at 100 s, cleared    | Blue  WOOL ✗             | C ✗ 400 s      | 1     |
| Cal     | TRUE 90 s → FALSE ✗  | false ✗ 80 s              | blue wool ✗              | "" (blank)     | 0     |

Highlights on the passage: Ann [5, 12), [6, 8) and [15, 18); Ben [20, 25); Cal [0, 10) (and [12, 14), removed);
Dee [19, 30). Flags on Q3: Ann (then removed) and Ben; Eve, who left, flagged Q1.
"""

from datetime import timedelta

from django.utils import timezone

from attempts.models import AttemptEvent
from attempts.services import attempt_answer, attempt_flag, attempt_highlight, attempt_remove_highlight
from classes.services import class_create
from exams.services import test_create
from sessions_app.models import Session
from sessions_app.services import (
    class_enrol,
    class_unenrol,
    participant_connect,
    server_process_register,
    session_complete,
    session_create,
    session_open_waiting_room,
    session_start,
)

PASSAGE_TEXT = "abcdefghij" * 5
EVIDENCE = (10, 20)
NAMES = ["Ann", "Ben", "Cal", "Dee", "Eve"]

# student → [(question number, answer, seconds after the start)], in the order given
ANSWERS = {
    "Ann": [(1, "TRUE", 30), (2, "NOT GIVEN", 50), (3, "red wool", 150), (4, "B", 200)],
    "Ben": [(1, "TRUE", 60), (2, "FALSE", 70), (3, " Red  Wool ", 160), (4, "A", 300)],
    "Cal": [(4, "", 10), (1, "TRUE", 90), (2, "false", 80), (1, "FALSE", 120), (3, "blue wool", 170)],
    "Dee": [(1, "TRUE", 45), (2, "TRUE", 100), (2, "", 110), (3, "Blue  WOOL", 180), (4, "C", 400)],
    "Eve": [(1, "TRUE", 20)],
}
HIGHLIGHTS = {"Ann": [(5, 12), (6, 8), (15, 18)], "Ben": [(20, 25)], "Cal": [(0, 10)], "Dee": [(19, 30)]}


def analysis_paper(teacher, *, module="ACADEMIC_READING"):
    def question(number, qtype, answers, **fields):
        return {"number": number, "type": qtype, "prompt": f"Question {number}", "options": [], "answers": answers,
                "word_limit": None, **fields}  # fmt: skip

    return test_create(
        title="Analysis paper", module=module, time_limit_minutes=60, created_by=teacher,
        passages=[{"title": "Letters", "text": PASSAGE_TEXT, "questions": [
            question(1, "TRUE_FALSE_NOT_GIVEN", ["TRUE"],
                     evidence={"position_start": EVIDENCE[0], "position_end": EVIDENCE[1]}),
            question(2, "TRUE_FALSE_NOT_GIVEN", ["not  given"]),
            question(3, "SENTENCE_COMPLETION", ["red wool"], word_limit=2),
            question(4, "MULTIPLE_CHOICE", ["B"], options=["A  one", "B  two", "C  three"]),
        ]}],
    )  # fmt: skip


def analysed_session(teacher, make_user, *, complete=True, target_band=6.5) -> Session:
    """The session of the module docstring, completed (or still in progress)."""
    paper = analysis_paper(teacher)
    klass = class_create(name="Analysis class", created_by=teacher, target_band=target_band)
    students = {name: make_user("STUDENT", username=name.lower(), first_name=name) for name in NAMES}
    for student in students.values():
        class_enrol(school_class=klass, student=student)
    session = session_create(school_class=klass, test=paper, title="Item analysis mock",
                             scheduled_at=timezone.now(), created_by=teacher)  # fmt: skip
    session_open_waiting_room(session=session)
    server = server_process_register(name="analysis")
    for student in students.values():
        participant_connect(session=session, student=student, channel_name=f"analysis.{student.pk}", server_id=server)
    session = session_start(session=session)
    questions = {q.number: q for q in paper.questions.all()}
    passage = paper.passages.get()
    for name, answers in ANSWERS.items():
        attempt = session.attempts.get(student=students[name])
        started = attempt.started_at
        for index, (number, answer, seconds) in enumerate(answers):
            event_id = f"{name}-a{index}"
            attempt_answer(attempt=attempt, question_id=questions[number].pk, answer=answer, event_id=event_id)
            AttemptEvent.objects.filter(attempt=attempt, event_id=event_id).update(
                created_at=started + timedelta(seconds=seconds)
            )
        for index, (start, end) in enumerate(HIGHLIGHTS.get(name, [])):
            attempt_highlight(attempt=attempt, passage_id=passage.pk, text=PASSAGE_TEXT[start:end],
                              position_start=start, position_end=end, event_id=f"{name}-h{index}")  # fmt: skip
    cal = session.attempts.get(student=students["Cal"])
    removed = attempt_highlight(attempt=cal, passage_id=passage.pk, text=PASSAGE_TEXT[12:14], position_start=12,
                                position_end=14, event_id="Cal-h-removed")  # fmt: skip
    attempt_remove_highlight(attempt=cal, highlight_id=removed.ack["highlight_id"], event_id="Cal-h-remove")
    for name, number, flagged, event_id in [("Ann", 3, True, "f1"), ("Ann", 3, False, "f2"), ("Ben", 3, True, "f3"),
                                            ("Eve", 1, True, "f4")]:  # fmt: skip
        attempt_flag(attempt=session.attempts.get(student=students[name]), question_id=questions[number].pk,
                     flagged=flagged, event_id=event_id)  # fmt: skip
    class_unenrol(school_class=klass, student_id=students["Eve"].pk)
    if complete:
        session = session_complete(session=session)
    return session
