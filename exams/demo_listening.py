"""The demo's Listening paper: four short parts whose scripts are also their transcripts, and their recordings made
on this machine by espeak-ng (no download); without espeak-ng the paper has no audio until one is uploaded."""

import shutil
import subprocess
import tempfile
from pathlib import Path

ESPEAK = "espeak-ng"
WORDS_PER_MINUTE = 150


def _completion(number, prompt, answer, words=2):
    return {"number": number, "type": "SENTENCE_COMPLETION", "prompt": prompt, "options": [], "answers": [answer],
            "word_limit": words}  # fmt: skip


def _choice(number, prompt, options, answer):
    return {"number": number, "type": "MULTIPLE_CHOICE", "prompt": prompt, "options": options, "answers": [answer],
            "word_limit": None}  # fmt: skip


DEMO_LISTENING = {
    "title": "Listening: Riverside Sports Centre (demo)",
    "module": "LISTENING",
    "time_limit_minutes": 10,
    "passages": [
        {
            "title": "Joining the sports centre",
            "text": (
                "Good morning, Riverside Sports Centre. Yes, I would like to join, please. Of course. The adult "
                "membership costs thirty pounds a month, and it includes the swimming pool. Can I pay by card? Yes, "
                "and please bring a photo when you come on Monday."
            ),
            "questions": [
                _completion(1, "Adult membership costs ______ pounds a month.", "thirty", 1),
                _completion(2, "The membership includes the swimming ______.", "pool", 1),
                _completion(3, "Bring a ______ on Monday.", "photo", 1),
            ],
        },
        {
            "title": "A guided walk",
            "text": (
                "Welcome to the guided walk along the river. We start at the old bridge and finish at the market "
                "square. The walk takes about two hours, so wear comfortable shoes. Lunch is at the riverside cafe."
            ),
            "questions": [
                _choice(
                    4, "Where does the walk start?", ["A  the market square", "B  the old bridge", "C  the cafe"], "B"
                ),  # fmt: skip
                _completion(5, "The walk takes about two ______.", "hours", 1),
            ],
        },
        {
            "title": "A student project",
            "text": (
                "So, for our project on city transport we asked two hundred people how they travel to work. Most of "
                "them take the bus, but cycling has grown since the new lanes opened. Our tutor wants the report by "
                "Friday."
            ),
            "questions": [
                _completion(6, "The students asked two hundred ______.", "people", 1),
                _choice(7, "How do most people travel to work?", ["A  by bus", "B  by bicycle", "C  by car"], "A"),
                _completion(8, "The report is due by ______.", "Friday", 1),
            ],
        },
        {
            "title": "A lecture on honey bees",
            "text": (
                "Today's lecture is about honey bees. A single hive can hold fifty thousand bees. They find flowers "
                "by smell and by colour, and they tell each other where the food is with a dance."
            ),
            "questions": [
                _completion(9, "Bees find flowers by smell and by ______.", "colour", 1),
                _completion(10, "Bees show where food is with a ______.", "dance", 1),
            ],
        },
    ],
}


def espeak_available() -> bool:
    return shutil.which(ESPEAK) is not None


def spoken_wav(text: str) -> bytes:
    """`text` spoken by espeak-ng as a WAV file (raises OSError or CalledProcessError when it cannot)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "part.wav"
        subprocess.run(
            [ESPEAK, "-v", "en-gb", "-s", str(WORDS_PER_MINUTE), "-w", str(path), text],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        return path.read_bytes()
