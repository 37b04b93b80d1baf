"""The WebSocket envelope: parse and check a client frame, build replies, limit the rate.

Shape only: whether an id belongs to the paper or a position is in range is the services' call.
"""

import json
import time
from dataclasses import dataclass

from ielts_site.clock import iso, now
from ielts_site.errors import InvalidInput
from realtime.events import server_message

MAX_EVENT_ID_CHARS = 64


class MessageRejected(InvalidInput):
    """A frame the server will not read; `event_id` is echoed back when the frame had a usable one."""

    def __init__(self, detail: str, *, code: str, event_id: str | None = None):
        super().__init__(detail, code=code)
        self.event_id = event_id


@dataclass(frozen=True)
class ClientMessage:
    type: str
    data: dict
    event_id: str | None


def storable(value) -> bool:
    """Every string in it (keys too) can be stored: PostgreSQL text takes no NUL, UTF-8 no unpaired surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return False
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def event_id_of(content) -> str | None:
    """The frame's event id if it is usable, so that even a rejected frame's error names it."""
    if isinstance(content, dict):
        event_id = content.get("event_id")
        if isinstance(event_id, str) and 0 < len(event_id) <= MAX_EVENT_ID_CHARS and storable(event_id):
            return event_id
    return None


def decode(text: str | None, *, max_bytes: int):
    """JSON-decode a text frame after checking its size (before decoding, so a huge frame costs nothing)."""
    if text is None:
        raise MessageRejected("Only text frames carrying JSON are accepted.", code="invalid_message")
    # A character is at most 4 bytes in UTF-8: most frames are judged by their length alone.
    if len(text) > max_bytes or (len(text) * 4 > max_bytes and len(text.encode("utf-8")) > max_bytes):
        raise MessageRejected(f"A message may be at most {max_bytes} bytes.", code="message_too_large")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than the decoder goes
        raise MessageRejected("The message is not valid JSON.", code="invalid_json") from exc


def parse(content, *, known_types) -> ClientMessage:
    """Check the envelope `{"type": str, "data": {...}?, "event_id": str?}`."""
    event_id = event_id_of(content)
    if not isinstance(content, dict):
        raise MessageRejected("A message must be a JSON object.", code="invalid_message")
    message_type = content.get("type")
    if not isinstance(message_type, str):
        raise MessageRejected("A message needs a string `type`.", code="invalid_message", event_id=event_id)
    if message_type not in known_types:
        raise MessageRejected(f"Unknown message type {message_type[:40]!r}.", code="unknown_type", event_id=event_id)
    raw_event_id = content.get("event_id")
    if raw_event_id is not None and raw_event_id != event_id:
        raise MessageRejected(
            f"event_id must be a string of 1 to {MAX_EVENT_ID_CHARS} characters.", code="invalid_event_id"
        )
    data = content.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MessageRejected("`data` must be a JSON object.", code="invalid_data", event_id=event_id)
    if not storable(data):
        raise MessageRejected(
            "Text may not contain NUL characters or unpaired surrogates.", code="invalid_data", event_id=event_id
        )
    return ClientMessage(type=message_type, data=data, event_id=event_id)


def require_fields(data: dict, required=(), optional=()) -> dict:
    """The service's keyword arguments from `data`: required keys must be there, unknown keys are ignored."""
    missing = [name for name in required if name not in data]
    if missing:
        raise InvalidInput(f"data needs {', '.join(missing)}.", code="invalid_data")
    return {name: data[name] for name in (*required, *optional) if name in data}


def error_message(session_id, *, code: str, message: str, event_id: str | None = None) -> dict:
    return server_message("error", session_id, code=code, message=message, event_id=event_id)


def ack_message(session_id, *, event_id: str | None, **fields) -> dict:
    return server_message("ack", session_id, event_id=event_id, **fields)


def pong_message(session_id) -> dict:
    return server_message("pong", session_id, server_now=iso(now()))


class TokenBucket:
    """Per-connection rate limit: `burst` messages at once, refilled at `rate` a second."""

    def __init__(self, *, burst: float, rate: float, clock=time.monotonic):
        self.capacity = float(burst)
        self.rate = float(rate)
        self.tokens = float(burst)
        self._clock = clock
        self._updated = clock()

    def take(self) -> bool:
        moment = self._clock()
        self.tokens = min(self.capacity, self.tokens + (moment - self._updated) * self.rate)
        self._updated = moment
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
