"""Structured log lines: `key=value` pairs that grep and log shippers both read."""

import logging
import re

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# Belt and braces: whatever a caller passes, a JWT never reaches a log line.
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")


def _quote(value) -> str:
    text = _JWT.sub("[token]", str(value))
    return f'"{text}"' if (" " in text or "=" in text or not text) else text


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields.update({k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")})
        line = " ".join(f"{key}={_quote(value)}" for key, value in fields.items())
        if record.exc_info:
            line += "\n" + _JWT.sub("[token]", self.formatException(record.exc_info))
        return line
