"""A practice attempt's WebSocket (`/api/v1/attempts/{id}/ws`): the session socket's protocol for one attempt with
no session. Its student sends the same events and gets the same acks, errors and state syncs (`status` is the
attempt's); staff of its class may watch and hear what a session's teachers hear of it. There is no presence and
no waiting room: the attempt runs from its start to its own `ends_at`, where the clock submits it."""

import logging

from ielts_site.errors import ApplicationError
from ielts_site.ops import metrics
from realtime import calls
from realtime.calls import Role
from realtime.consumers import ACCESS_REVOKED_CLOSE_CODE, SessionConsumer
from realtime.db import database_call
from realtime.events import attempt_group, attempt_watchers_group, user_group

logger = logging.getLogger("ielts.ws")


class PracticeAttemptConsumer(SessionConsumer):
    session_id = None  # every server message on this socket carries `session_id: null`

    async def connect(self):
        self.attempt_id = int(self.scope["url_route"]["kwargs"]["attempt_id"])
        self.user = self.scope.get("user")
        self.member_of: list[str] = []
        auth = self.scope.get("ws_auth") or {}
        if self.user is None or not self.user.is_authenticated:
            return await self._refuse(f"no_valid_credentials:{auth.get('method')}")
        if auth.get("method") == "ticket" and auth.get("attempt_id") != self.attempt_id:
            return await self._refuse("ticket_for_another_socket")
        try:
            self.role = await database_call(calls.practice_connection_role)(attempt_id=self.attempt_id, user=self.user)
        except ApplicationError as exc:
            return await self._refuse(exc.code)
        own = attempt_group(self.attempt_id) if self.role == Role.STUDENT else attempt_watchers_group(self.attempt_id)
        for group in (own, user_group(self.user.pk)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.member_of.append(group)
        sync = None
        if self.role == Role.STUDENT:
            sync = (await database_call(calls.state_sync_messages)([self.attempt_id])).get(self.attempt_id)
        await self._accept_and_greet(sync)

    async def disconnect(self, code):
        if self.accepted:
            metrics.ws_connection_closed()
        await self._leave_groups()
        if self.accepted:
            logger.info("ws disconnected", extra={**self._log_fields(), "code": code})

    def _log_fields(self) -> dict:
        return {**super()._log_fields(), "attempt_id": getattr(self, "attempt_id", None)}

    def _touch(self) -> None:
        """A practice has no participants whose activity is shown: nothing to record."""

    async def _find_attempt(self):
        """The attempt is the socket's own."""

    async def access_changed(self, event):
        """The user's access may have changed (unenrolled, deactivated, no longer a teacher): stay only if it holds."""
        allowed = await database_call(calls.practice_connection_allowed)(
            attempt_id=self.attempt_id, user_id=self.user.pk, role=self.role
        )
        if allowed or self.revoked:
            return
        self.revoked = True
        logger.info("ws access revoked", extra=self._log_fields())
        await self._error("forbidden", "You no longer have access to this attempt.")
        await self.close(code=ACCESS_REVOKED_CLOSE_CODE)
