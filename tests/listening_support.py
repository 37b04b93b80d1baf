"""Helpers for the Listening tests (no tests here): WAV recordings made in Python, and a Listening paper with its
parts' audio uploaded through the service."""

import io
import math
import struct
import wave

from django.core.files.base import ContentFile

RATE = 8000


def wav_bytes(seconds: float, *, tone_hz: float = 0.0, rate: int = RATE) -> bytes:
    """A mono 16-bit WAV of `seconds`: silence, or a sine tone."""
    frames = int(seconds * rate)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        if tone_hz:
            samples = (int(8000 * math.sin(2 * math.pi * tone_hz * i / rate)) for i in range(frames))
            out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
        else:
            out.writeframes(b"\0\0" * frames)
    return buffer.getvalue()


def listening_paper_data(*, parts: int = 4, per_part: int = 2, minutes: int = 30) -> dict:
    number = 0
    passages = []
    for part in range(parts):
        questions = []
        for _ in range(per_part):
            number += 1
            questions.append({"number": number, "type": "SENTENCE_COMPLETION", "prompt": f"Question {number} ____",
                              "answers": ["station"], "word_limit": 2})  # fmt: skip
        passages.append({"title": f"Part {part + 1}", "text": f"Transcript of part {part + 1}: the station.",
                         "questions": questions})  # fmt: skip
    return {"title": "Listening 1", "module": "LISTENING", "time_limit_minutes": minutes, "passages": passages}


def listening_paper(teacher, *, part_seconds=(3.0, 4.0, 5.0, 6.0), minutes: int = 30):
    """A Listening paper whose parts have recordings of `part_seconds` (uploaded through the service)."""
    from exams.services import passage_set_audio, test_create

    test = test_create(**listening_paper_data(parts=len(part_seconds), minutes=minutes), created_by=teacher)
    for passage, seconds in zip(test.passages.order_by("order"), part_seconds, strict=True):
        test = passage_set_audio(
            test=test, passage_id=passage.pk, file=ContentFile(wav_bytes(seconds)), content_type="audio/wav",
            filename=f"part{passage.order + 1}.wav",
        )  # fmt: skip
    return test
