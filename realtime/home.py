"""The student's home socket (`/ws/me`): their "My sessions" page hears when one of their sessions changes
(`realtime.events.notify_participants_on_commit`) and reloads its lists. It sends nothing but heartbeats.
"""

import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model

from ielts_site.ops import metrics
from realtime import protocol
from realtime.consumers import ACCESS_REVOKED_CLOSE_CODE
from realtime.db import database_call
from realtime.events import home_group, user_group

logger = logging.getLogger("ielts.ws")

# As the session socket after the channel layer lost Redis (realtime/channel_layer.py): the page reconnects and
# reloads, so nothing it missed stays missed.
RESUBSCRIBED_CLOSE_CODE = 4012


def _still_a_student(user_id) -> bool:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return user is not None and user.is_student


class HomeConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: tuple[str, ...] = ()
    accepted = False

    async def connect(self):
        self.user = self.scope.get("user")
        auth = self.scope.get("ws_auth") or {}
        # A ticket opens the one session socket it was issued for.
        if self.user is None or not self.user.is_authenticated or auth.get("method") == "ticket":
            return await self._refuse("no_valid_credentials")
        if not self.user.is_student:
            return await self._refuse("not_a_student")
        # `user_group` carries "check your access again" (realtime/access.py); `home_group` the sessions' news.
        self.groups_joined = (user_group(self.user.pk), home_group(self.user.pk))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.accepted = True
        metrics.ws_connection_accepted()

    async def _refuse(self, reason: str):
        """Close before accepting: the client sees HTTP 403 and nothing else."""
        logger.info("ws home refused", extra={"reason": reason})
        await self.close()

    async def disconnect(self, code):
        if self.accepted:
            metrics.ws_connection_closed()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            content = protocol.decode(text_data, max_bytes=settings.WS_MAX_MESSAGE_BYTES)
            protocol.parse(content, known_types={"heartbeat"})
        except protocol.MessageRejected as exc:
            return await self._error(exc.code, exc.detail, exc.event_id)
        await self.send_json(protocol.pong_message(None))  # a heartbeat: the one type it takes

    async def session_event(self, event):
        await self.send_json(event["message"])

    async def access_changed(self, event):
        if await database_call(_still_a_student)(self.user.pk):
            return
        logger.info("ws home access revoked", extra={"user_id": self.user.pk})
        await self._error("forbidden", "You no longer have access to this page.")
        await self.close(code=ACCESS_REVOKED_CLOSE_CODE)

    async def session_resubscribed(self, event):
        await self.close(code=RESUBSCRIBED_CLOSE_CODE)

    async def _error(self, code: str, message: str, event_id: str | None = None):
        metrics.WS_ERRORS.labels(code=code).inc()
        await self.send_json(protocol.error_message(None, code=code, message=message, event_id=event_id))
