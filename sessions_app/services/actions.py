"""The teacher's transitions of a session, listed once: each names its REST route, the status it reaches and the
service that takes it there. TRANSITIONS (sessions_app.models) says from where."""

from collections.abc import Callable
from dataclasses import dataclass

from sessions_app.models import TRANSITIONS, Session, SessionStatus
from sessions_app.services.controls import session_pause, session_resume
from sessions_app.services.lifecycle import (
    session_cancel,
    session_complete,
    session_open_waiting_room,
    session_start,
)


@dataclass(frozen=True)
class SessionAction:
    """A transition the teacher asks for: the REST action's path, the status it reaches, the service that takes
    it there, the button's label and what the teacher is told once it is done."""

    slug: str
    to: str
    service: Callable[..., Session]
    label: str
    done: str
    done_briefly: str  # the admin's "<done_briefly>: <n>." after a bulk action

    @property
    def allowed_from(self) -> list[str]:
        return [status for status, edges in TRANSITIONS.items() if edges.get(self.to) == self.slug]


# The one list of the teacher's transitions: the viewset's actions, the admin's and the live monitor's buttons.
# Each service is called as `service(session=..., by=<the teacher>)`.
SESSION_ACTIONS = (
    SessionAction("start-waiting", SessionStatus.WAITING_FOR_STUDENTS, session_open_waiting_room,
                  "Open the waiting room", "The waiting room is open.", "Waiting room opened"),
    SessionAction("start", SessionStatus.IN_PROGRESS, session_start, "Start the test", "The test has started.",
                  "Started"),
    SessionAction("complete", SessionStatus.COMPLETED, session_complete, "Complete now", "The session is completed.",
                  "Completed"),
    SessionAction("cancel", SessionStatus.CANCELLED, session_cancel, "Cancel the session",
                  "The session is cancelled.", "Cancelled"),
    SessionAction("pause", SessionStatus.PAUSED, session_pause, "Pause", "The test is paused.", "Paused"),
    SessionAction("resume", SessionStatus.IN_PROGRESS, session_resume, "Resume", "The test goes on.", "Resumed"),
)  # fmt: skip
SESSION_ACTIONS_BY_SLUG = {action.slug: action for action in SESSION_ACTIONS}
