"""Writes on sessions, one module per room; callers import them from here.

- `lifecycle`: create, edit, the life-cycle transitions and completion (of attempts and sessions) by the clock.
- `controls`: the teacher's live controls (pause, resume, extra time, finish, reopen, messages, reviews).
- `actions`: `SESSION_ACTIONS`, the teacher's transitions listed once for the REST API, the admin and the monitor.
- `classes`: the class rules that involve sessions (archive, enrol, unenrol).
- `student_import`: students from a file into a class, all or nothing.
- `presence`: who is connected (joins, leaves, touches) and the live counts.
- `processes`: server processes, their heartbeats, and forgetting a dead one.
"""

from sessions_app.services.actions import SESSION_ACTIONS, SESSION_ACTIONS_BY_SLUG, SessionAction
from sessions_app.services.classes import class_archive, class_enrol, class_unenrol
from sessions_app.services.controls import (
    attempt_extend,
    attempt_finish,
    attempt_reopen,
    session_extend,
    session_message,
    session_pause,
    session_resume,
    violation_review,
)
from sessions_app.services.lifecycle import (
    CompletionReason,
    InvalidTransition,
    attempt_close_if_due,
    attempts_due_ids,
    session_cancel,
    session_complete,
    session_complete_if_due,
    session_create,
    session_delete,
    session_open_waiting_room,
    session_release_results,
    session_start,
    session_update,
    sessions_due_ids,
    sessions_overdue_count,
)
from sessions_app.services.presence import (
    MAX_SOCKETS_PER_STUDENT,
    live_stats_changed,
    participant_connect,
    participant_disconnect,
    participants_touch,
)
from sessions_app.services.processes import (
    server_process_forget,
    server_process_heartbeat,
    server_process_register,
    server_processes_sweep,
)
from sessions_app.services.student_import import ImportResult, students_import

__all__ = [
    "attempt_close_if_due",
    "attempt_extend",
    "attempt_finish",
    "attempt_reopen",
    "attempts_due_ids",
    "session_extend",
    "session_message",
    "session_pause",
    "session_resume",
    "violation_review",
    "MAX_SOCKETS_PER_STUDENT",
    "SESSION_ACTIONS",
    "SESSION_ACTIONS_BY_SLUG",
    "CompletionReason",
    "InvalidTransition",
    "SessionAction",
    "class_archive",
    "class_enrol",
    "class_unenrol",
    "ImportResult",
    "students_import",
    "live_stats_changed",
    "participant_connect",
    "participant_disconnect",
    "participants_touch",
    "server_process_forget",
    "server_process_heartbeat",
    "server_process_register",
    "server_processes_sweep",
    "session_cancel",
    "session_complete",
    "session_complete_if_due",
    "session_create",
    "session_delete",
    "session_open_waiting_room",
    "session_release_results",
    "session_start",
    "session_update",
    "sessions_due_ids",
    "sessions_overdue_count",
]
