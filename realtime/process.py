"""This server process as the database knows it: registered once, lazily, under settings.SERVER_NAME.

Presence is derived from LiveConnection rows that name their server process. A process beats
its heart; one whose heart stops is swept by the others, and a restarted process with the same
stable name clears its predecessor's rows as it registers. Call these from the database thread
(`database_sync_to_async`).
"""

import logging
import threading

from django.conf import settings

from sessions_app.models import ServerProcess
from sessions_app.services import (
    participant_connect,
    server_process_forget,
    server_process_heartbeat,
    server_process_register,
    server_processes_sweep,
)

logger = logging.getLogger("ielts.server")

_lock = threading.RLock()
_state = {"server_id": None}
# The students connected to this process: channel name → (session id, student), to restore them if we were swept.
_live: dict[str, tuple[int, object]] = {}


def server_id() -> str:
    """This process's id, registering it on first use (and re-creating its row if it went missing)."""
    with _lock:
        if _state["server_id"] is None:
            _state["server_id"] = server_process_register(name=settings.SERVER_NAME)
            fields = {"server_id": _state["server_id"], "server_name": settings.SERVER_NAME}
            logger.info("server process registered", extra=fields)
        elif not ServerProcess.objects.filter(pk=_state["server_id"]).exists():
            beat()
        return _state["server_id"]


def track(channel_name: str, *, session_id: int, student) -> None:
    with _lock:
        _live[channel_name] = (session_id, student)


def untrack(channel_name: str) -> None:
    with _lock:
        _live.pop(channel_name, None)


def beat() -> None:
    """Heartbeat; if another process swept us during a stall, come back and re-join our live students."""
    with _lock:
        if _state["server_id"] is None:
            server_id()
            return
        current = _state["server_id"]
        was_swept = not ServerProcess.objects.filter(pk=current).exists()
        server_process_heartbeat(server_id=current, name=settings.SERVER_NAME)
        if not was_swept:
            return
        logger.warning("server process was swept while alive; restoring presence", extra={"server_id": current})
        for channel_name, (session_id, student) in list(_live.items()):
            try:
                participant_connect(session=session_id, student=student, channel_name=channel_name, server_id=current)
            except Exception:  # the session may have ended meanwhile: nothing to restore
                logger.info("presence not restored", extra={"session_id": session_id, "channel": channel_name})


def sweep() -> int:
    went_offline = server_processes_sweep()
    if went_offline:
        logger.info("dead server processes swept", extra={"students_offline": went_offline})
    return went_offline


def leave() -> int:
    """A clean shutdown: drop this process and the presence it holds now, rather than when the sweep notices."""
    with _lock:
        current, _state["server_id"] = _state["server_id"], None
        _live.clear()
    if current is None:
        return 0
    went_offline = server_process_forget(server_id=current)
    logger.info("server process left", extra={"server_id": current, "students_offline": went_offline})
    return went_offline


def forget_registration() -> None:
    """Forget the cached id (tests whose database was flushed; never needed in a server)."""
    with _lock:
        _state["server_id"] = None
        _live.clear()
