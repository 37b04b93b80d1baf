"""Helpers for the Writing tests (no tests here): a two-task Writing paper, a PNG, a session of it."""

import struct
import zlib

TASK1_PROMPT = "The chart below shows the number of visitors to three museums. Summarise the information."
TASK2_PROMPT = "Some people think museums should be free. To what extent do you agree or disagree?"


def writing_paper_data(*, tasks=(1, 2), module="ACADEMIC_WRITING", minutes=60) -> dict:
    """An Academic Writing paper: one passage per task (its text is the task's heading), one ESSAY each."""
    passages = []
    for number, task in enumerate(tasks, start=1):
        passages.append(
            {
                "title": f"Writing Task {task}",
                "text": f"Writing Task {task}",
                "questions": [
                    {
                        "number": number,
                        "type": "ESSAY",
                        "prompt": TASK1_PROMPT if task == 1 else TASK2_PROMPT,
                        "task": task,
                        "min_words": 150 if task == 1 else 250,
                    }
                ],
            }
        )
    return {"title": "Academic Writing 1", "module": module, "time_limit_minutes": minutes, "passages": passages}


def tiny_png(width=4, height=3) -> bytes:
    """A real PNG of grey pixels, written by hand (no imaging library)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def start_writing_session(*, paper, school_class, teacher, students, connect_student, **fields):
    """A session of `paper` in progress, with these students connected."""
    from django.utils import timezone

    from sessions_app.services import session_create, session_open_waiting_room, session_start

    session = session_create(
        school_class=school_class, test=paper, title="Writing mock", scheduled_at=timezone.now(), created_by=teacher,
        **fields,
    )  # fmt: skip
    session_open_waiting_room(session=session)
    for student in students:
        connect_student(session, student)
    return session_start(session=session)


def marked_practice_attempt(*, school_class, teacher, student):
    """A Writing paper published to the class for practice, the student's attempt handed in and Task 1 marked:
    the WritingMark row (no session, no connection)."""
    from attempts.practice import practice_attempt_start, practice_publish
    from attempts.services import attempt_submit
    from attempts.writing import attempt_mark_writing
    from exams.services import test_create

    paper = test_create(**writing_paper_data(), created_by=teacher)
    practice = practice_publish(school_class=school_class, test=paper, by=teacher)
    attempt = practice_attempt_start(practice=practice.pk, student=student)
    attempt_submit(attempt=attempt)
    attempt_mark_writing(attempt=attempt, question_id=paper.questions.get(task=1).pk,
                         criteria={"TA": 6, "CC": 6, "LR": 6, "GRA": 6}, by=teacher)  # fmt: skip
    return attempt.writing_marks.get()
