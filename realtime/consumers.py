"""The session WebSocket: authorize in the handshake, dispatch client messages through a table to the
same services REST calls, relay what the services publish. Thin: every rule lives in a service.
"""

import asyncio
import contextlib
import logging
import time

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from ielts_site.clock import iso, now
from ielts_site.errors import ApplicationError
from ielts_site.ops import metrics
from realtime import batching, calls, protocol
from realtime.calls import Role
from realtime.db import database_call
from realtime.events import server_message, session_group, student_group, teachers_group, user_group

logger = logging.getLogger("ielts.ws")

# Presence clean-ups still running for consumers that are gone (a reference keeps each task alive).
_LEAVING: set = set()

# last_activity is a "seen recently", not an audit trail: one write per connection per this many seconds.
TOUCH_EVERY_SECONDS = 10.0
# The close code of a connection whose user lost access to the session (the contract's "Security rules").
ACCESS_REVOKED_CLOSE_CODE = 4403


class SessionConsumer(AsyncJsonWebsocketConsumer):
    session_id: int
    role: str | None = None
    joined = False  # the student's presence is recorded (participant_connect succeeded)
    accepted = False
    attempt_id: int | None = None
    syncing: asyncio.Task | None = None  # the state sync the start asked for, on its way
    revoked = False  # the user lost access to the session: nothing more is taken from this connection

    # ------------------------------------------------------------ handshake

    async def connect(self):
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        self.user = self.scope.get("user")
        self.member_of: list[str] = []
        auth = self.scope.get("ws_auth") or {}
        if self.user is None or not self.user.is_authenticated:
            return await self._refuse(f"no_valid_credentials:{auth.get('method')}")
        if auth.get("method") == "ticket" and auth.get("session_id") != self.session_id:
            return await self._refuse("ticket_for_another_session")
        try:
            self.role = await database_call(calls.connection_role)(session_id=self.session_id, user=self.user)
        except ApplicationError as exc:
            return await self._refuse(exc.code)

        # Join the groups first, so no life-cycle event can fall between the join and the subscription.
        groups = [session_group(self.session_id), user_group(self.user.pk)]
        if self.role == Role.TEACHER:
            groups.append(teachers_group(self.session_id))
        else:
            groups.append(student_group(self.session_id, self.user.pk))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.member_of.append(group)
        sync = None
        if self.role == Role.STUDENT:
            try:
                self.attempt_id, sync = await database_call(calls.student_join_with_sync)(
                    session_id=self.session_id, student=self.user, channel_name=self.channel_name
                )
            except ApplicationError as exc:
                await self._leave_groups()
                return await self._refuse(exc.code)
            self.joined = True

        await self._accept_and_greet(sync)

    async def _accept_and_greet(self, sync: dict | None):
        """Accept, then `connected`, then the student's state sync if they have an attempt."""
        self.bucket = protocol.TokenBucket(burst=settings.WS_RATE_BURST, rate=settings.WS_RATE_PER_SECOND)
        self.last_touch = time.monotonic()
        await self.accept()
        self.accepted = True
        metrics.ws_connection_accepted()
        logger.info("ws connected", extra=self._log_fields())
        await self.send_json(
            server_message(
                "connected", self.session_id, user_id=self.user.pk, role=self.user.effective_role, server_now=iso(now())
            )
        )
        if sync is not None:
            await self.send_json(sync)

    async def _refuse(self, reason: str):
        """Close before accepting: the client sees HTTP 403 and nothing else."""
        logger.info("ws refused", extra={**self._log_fields(), "reason": reason})
        await self.close()

    async def disconnect(self, code):
        if self.accepted:
            metrics.ws_connection_closed()  # first: the clean-up below may be cancelled
        if self.syncing is not None:
            self.syncing.cancel()
        if self.joined:
            self.joined = False
            # Shielded: when daphne gives up on a slow disconnect (10 s) and cancels us, the presence is still
            # cleared; a wave of disconnections otherwise leaves students shown connected until a sweep.
            leave = asyncio.ensure_future(
                database_call(calls.student_leave, background=True)(channel_name=self.channel_name)
            )
            _LEAVING.add(leave)
            leave.add_done_callback(_LEAVING.discard)
            try:
                await asyncio.shield(leave)
            except asyncio.CancelledError:
                raise
            except Exception:  # the process is going down or the database is away: the sweep will clear us
                logger.exception("ws presence not cleared", extra=self._log_fields())
        await self._leave_groups()
        if self.accepted:
            logger.info("ws disconnected", extra={**self._log_fields(), "code": code})

    async def _leave_groups(self):
        for group in getattr(self, "member_of", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.member_of = []

    def _log_fields(self) -> dict:
        user = getattr(self, "user", None)
        return {
            "session_id": getattr(self, "session_id", None),
            "user_id": user.pk if user is not None and user.is_authenticated else None,
            "role": self.role,
        }

    async def dispatch(self, message):
        # Channels' dispatch first closes stale database connections, a trip to its one shared database thread,
        # for every frame and every published message. This consumer's database work runs on the pool, whose
        # calls check their own connections (realtime/db.py): the trip would only queue behind the others.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # ------------------------------------------------------------ client → server

    HANDLERS = {
        "heartbeat": "on_heartbeat",
        "state_sync_request": "on_state_sync_request",
        **{event_type: "on_student_event" for event_type in calls.STUDENT_EVENTS},
    }

    async def receive(self, text_data=None, bytes_data=None):
        """Size, rate and shape first (before anything is decoded or applied), then the handler of the type."""
        allowed = self.bucket.take()
        try:
            content = protocol.decode(text_data, max_bytes=settings.WS_MAX_MESSAGE_BYTES)
        except protocol.MessageRejected as exc:
            return await self._error(exc.code if allowed else "rate_limited", exc.detail)
        if not allowed:
            return await self._error("rate_limited", "Too many messages: slow down.", protocol.event_id_of(content))
        try:
            message = protocol.parse(content, known_types=self.HANDLERS)
        except protocol.MessageRejected as exc:
            return await self._error(exc.code, exc.detail, exc.event_id)
        await getattr(self, self.HANDLERS[message.type])(message)

    async def on_heartbeat(self, message):
        self._touch()  # recorded with the process's other touches within TOUCH_GATHER_SECONDS; the pong goes now
        await self.send_json(protocol.pong_message(self.session_id))

    async def on_state_sync_request(self, message):
        if self.role != Role.STUDENT:
            return await self._error("forbidden", "Only students have an attempt to sync.", message.event_id)
        await self._synced()
        try:
            synced = await self._send_state_sync()
        except ApplicationError as exc:
            return await self._error(exc.code, exc.detail, message.event_id)
        if not synced:
            return await self._error("no_attempt", "You have no attempt yet: wait for the start.", message.event_id)

    async def on_student_event(self, message):
        arrived = time.perf_counter()
        if self.role != Role.STUDENT:
            return await self._error("forbidden", "Only students send test events.", message.event_id)
        if self.revoked:
            return await self._error("forbidden", "You no longer have access to this session.", message.event_id)
        await self._synced()  # the start's state sync reaches the student before the ack of anything after it
        try:
            await self._find_attempt()
            outcome = await batching.apply_student_event(  # with the process's other events, in one transaction
                attempt_id=self.attempt_id, event_type=message.type, data=message.data, event_id=message.event_id
            )
        except ApplicationError as exc:
            return await self._error(exc.code, exc.detail, message.event_id)
        except Exception:
            logger.exception("ws event failed", extra={**self._log_fields(), "event": message.type})
            return await self._error("server_error", "The server could not apply this event.", message.event_id)
        await self.send_json(protocol.ack_message(self.session_id, event_id=message.event_id, **outcome.ack))
        if outcome.applied:
            metrics.WS_EVENTS_APPLIED.labels(type=message.type).inc()
            metrics.WS_EVENT_APPLY_SECONDS.observe(time.perf_counter() - arrived)
        self._touch()

    async def _find_attempt(self):
        if self.attempt_id is None:
            self.attempt_id = await database_call(calls.student_attempt_id)(
                session_id=self.session_id, student=self.user
            )

    def _touch(self) -> None:
        """Record the student's activity (at most every TOUCH_EVERY_SECONDS) with the process's other touches."""
        if self.role != Role.STUDENT or time.monotonic() - self.last_touch < TOUCH_EVERY_SECONDS:
            return
        self.last_touch = time.monotonic()
        batching.touch(session_id=self.session_id, student_id=self.user.pk)

    async def _error(self, code: str, message: str, event_id: str | None = None):
        metrics.WS_ERRORS.labels(code=code).inc()
        await self.send_json(protocol.error_message(self.session_id, code=code, message=message, event_id=event_id))

    async def _send_state_sync(self) -> bool:
        """Send the student's `state_sync_response` (finding the attempt first, in the same trip, which the other
        connections' syncs share); False if there is none."""
        self.attempt_id, sync = await batching.state_sync(
            session_id=self.session_id, student=self.user, attempt_id=self.attempt_id
        )
        if sync is None:
            return False
        await self.send_json(sync)
        return True

    async def _synced(self) -> None:
        """Wait for the state sync the start asked for, if it is still on its way (its failure was logged)."""
        if self.syncing is not None:
            syncing, self.syncing = self.syncing, None
            with contextlib.suppress(Exception):
                await syncing

    # ------------------------------------------------------------ server → client (what services publish)

    async def access_changed(self, event):
        """Something changed who may see the session: stay only if this user still may (realtime/access.py)."""
        allowed = await database_call(calls.connection_allowed)(
            session_id=self.session_id, user_id=self.user.pk, role=self.role
        )
        if allowed or self.revoked:
            return
        self.revoked = True
        logger.info("ws access revoked", extra=self._log_fields())
        await self._error("forbidden", "You no longer have access to this session.")
        await self.close(code=ACCESS_REVOKED_CLOSE_CODE)

    async def session_resubscribed(self, event):
        """The channel layer lost Redis for a while and may have dropped messages: the client reconnects and resyncs."""
        await self.close(code=4012)  # daphne (autobahn) sends only 1000 or 3000-4999; 1012 raised instead

    async def session_event(self, event):
        message = event["message"]
        await self._synced()  # what follows the start reaches the student after its state sync, as it happened
        await self.send_json(message)
        if self.role == Role.STUDENT and message.get("type") == "session_started":
            # Every student connected at the start gets the whole attempt right away, from its own consumer, in
            # one database trip with the class's others; meanwhile this consumer reads on (events wait for it).
            self.syncing = asyncio.ensure_future(self._start_sync())

    async def state_resync(self, event):
        """A teacher's control changed this student's attempt or clock (realtime.events.resync_on_commit): the
        student gets a fresh state sync, after the event that said so."""
        if self.role != Role.STUDENT or self.revoked:
            return
        await self._synced()
        try:
            await self._send_state_sync()
        except Exception:
            logger.exception("state resync failed", extra=self._log_fields())

    async def _start_sync(self) -> None:
        try:
            await self._send_state_sync()
        except Exception:
            logger.exception("state sync at the start failed", extra=self._log_fields())
