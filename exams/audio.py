"""A Listening part's recording: the types accepted, its length read from the file (mutagen), and the rule that a
Listening paper's time covers its audio plus the review time."""

import math

import mutagen
from mutagen.mp3 import MP3
from mutagen.ogg import OggFileType
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

# The contract's upload limit for one recording.
AUDIO_MAX_BYTES = 100 * 1024 * 1024
# After the last part, the candidates check their answers (the computer-delivered test's 2 minutes).
REVIEW_MINUTES = 2

# Content-Type → the mutagen readers that may open it, and the file name's extension when none is given.
AUDIO_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "audio/mpeg": ((MP3,), ".mp3"),
    "audio/ogg": ((OggVorbis, OggOpus, OggFLAC, OggSpeex), ".ogg"),
    "audio/wav": ((WAVE,), ".wav"),
}


class UnreadableAudio(ValueError):
    """The bytes are not audio of the type they were sent as."""


def audio_length_seconds(fileobj, content_type: str) -> float:
    """The recording's length in seconds, read by mutagen as the type `content_type` says; UnreadableAudio when it
    is not such a file or has no length."""
    readers, _ = AUDIO_TYPES[content_type]
    fileobj.seek(0)
    try:
        audio = mutagen.File(fileobj, options=list(readers))
    except mutagen.MutagenError as exc:
        raise UnreadableAudio(str(exc)) from exc
    finally:
        fileobj.seek(0)
    length = getattr(getattr(audio, "info", None), "length", None)
    if audio is None or not isinstance(audio, readers) or not length or not math.isfinite(length) or length <= 0:
        raise UnreadableAudio(f"This is not a readable {content_type} file.")
    if isinstance(audio, OggFileType) and content_type != "audio/ogg":
        raise UnreadableAudio(f"This is not a readable {content_type} file.")
    return float(length)


def minutes_needed(audio_seconds: float) -> float:
    """The least time limit (in minutes) of a Listening sitting whose parts last `audio_seconds` in all."""
    return audio_seconds / 60 + REVIEW_MINUTES


def time_limit_covers_audio(time_limit_minutes: int, audio_seconds: float) -> bool:
    return audio_seconds <= 0 or time_limit_minutes >= minutes_needed(audio_seconds)


def time_limit_problem(time_limit_minutes: int, audio_seconds: float) -> str | None:
    """Why `time_limit_minutes` is too short for the audio, or None."""
    if time_limit_covers_audio(time_limit_minutes, audio_seconds):
        return None
    least = math.ceil(minutes_needed(audio_seconds))
    return (
        f"The time limit ({time_limit_minutes} min) must cover the audio ({audio_seconds / 60:.1f} min) plus "
        f"{REVIEW_MINUTES} minutes to review: at least {least} minutes."
    )
