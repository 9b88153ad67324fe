"""WebSocket consumers: a consultation's public stream and the moderators' stream.

Both only send. What a client may send is a ping (answered by a pong); anything else,
malformed or oversize, closes that one connection. Each connection keeps its own
bounded backlog of frames: a client that stops reading is disconnected when its
backlog is full (it catches up over HTTP when it comes back) instead of holding
memory or slowing the broadcast to everyone else. docs/live-protocol.md describes the
messages.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from datetime import datetime

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from accounts import permissions as account_permissions
from participation import events, permissions

logger = logging.getLogger(__name__)

# Close codes (4000–4999 are the application's own; docs/live-protocol.md).
CLOSE_UNSUPPORTED = 1003  # binary frame
CLOSE_TOO_BIG = 1009
CLOSE_BAD_MESSAGE = 4400
CLOSE_TOO_SLOW = 4408
CLOSE_TRY_AGAIN = 1013  # frames may have been lost (channel layer out): reconnect later
CLOSE_TIMEOUT = 10  # seconds to wait for a stalled client's close frame to leave

# A consultation closing within this delay is announced by a timer of the connection.
CLOSING_TIMER_LIMIT = 7 * 24 * 3600


class Relay:
    """One channel-layer subscription per process and group, handing each broadcast to
    every connection of that group in this process.

    Channels' usual way (each connection in the group with its own layer channel) costs
    a layer delivery and a dispatch per connection and per message; with 1,000 readers
    that, not the sending, was what kept a process from keeping up
    (benchmarks/fanout.py). Here a message is received (and deserialised) once per
    process, and each connection only queues the already-serialised text.
    """

    relays: dict = {}  # (event loop id, group) → Relay

    def __init__(self, group: str):
        self.group = group
        self.members: set = set()
        self.ready = asyncio.Event()
        self.task = None
        self.channel = None
        self.layer = None

    @classmethod
    async def join(cls, group: str, member) -> "Relay":
        key = (id(asyncio.get_running_loop()), group)
        relay = cls.relays.get(key)
        if relay is None:
            relay = cls.relays[key] = cls(group)
            relay.task = asyncio.create_task(relay._run())
        relay.members.add(member)
        await relay.ready.wait()
        if relay.task.done() and cls.relays.get(key) is relay:
            del cls.relays[key]  # it could not subscribe (layer down): the next one retries
        return relay

    @classmethod
    def members_of(cls, group: str) -> set:
        relay = cls.relays.get((id(asyncio.get_running_loop()), group))
        return set(relay.members) if relay else set()

    async def leave(self, member) -> None:
        self.members.discard(member)
        if self.members:
            return
        key = (id(asyncio.get_running_loop()), self.group)
        if self.relays.get(key) is self:
            del self.relays[key]
        if self.task is not None:
            self.task.cancel()
        if self.layer is not None and self.channel is not None:
            try:
                await self.layer.group_discard(self.group, self.channel)
            except Exception:
                logger.warning("live relay of %s could not leave its group", self.group)

    async def _run(self) -> None:
        from channels.layers import get_channel_layer

        self.layer = get_channel_layer()
        try:
            self.channel = await self.layer.new_channel()
            await self.layer.group_add(self.group, self.channel)
        finally:
            self.ready.set()
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The layer reconnects by itself; readers catch up what this missed.
                logger.warning("live relay of %s: receive failed", self.group, exc_info=True)
                await asyncio.sleep(1)
                continue
            if message.get("type") != "event.broadcast":
                continue
            for member in list(self.members):
                member.deliver(message)


class LayerWatch:
    """Whether this process still hears the channel layer.

    channels-redis subscribes again by itself when Redis comes back, silently: what was
    published meanwhile never reaches the process, and its readers would not know they
    missed it. So while the process has readers it sends itself a heartbeat through the
    layer every TRIBUNE_LIVE_HEARTBEAT_SECONDS (one message per process, whatever the
    number of readers). A heartbeat that cannot be sent, or is not back two periods
    later, means frames may have been lost: every reader of the process is let go
    (close code 1013) and handshakes are refused until heartbeats come back. Pages poll
    the catch-up endpoint meanwhile, reconnect with backoff, and catch up from their
    cursor when they do (docs/live-protocol.md).
    """

    watches: dict = {}  # event loop id → LayerWatch

    def __init__(self, interval: float):
        self.interval = interval
        self.healthy = True
        self.back = 0  # number of the latest heartbeat that came back
        self.task = None
        self.since = time.monotonic()

    @classmethod
    def ensure(cls) -> "LayerWatch | None":
        interval = settings.TRIBUNE_LIVE_HEARTBEAT_SECONDS
        if not interval:
            return None
        key = id(asyncio.get_running_loop())
        watch = cls.watches.get(key)
        if watch is None or watch.task.done():
            watch = cls.watches[key] = cls(interval)
            watch.task = asyncio.create_task(watch._run(key))
        return watch

    async def _run(self, key) -> None:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        channel, receiver, number = None, None, 0
        try:
            while True:
                number += 1
                try:
                    if channel is None:
                        channel = await asyncio.wait_for(layer.new_channel("watch."), self.interval)
                        receiver = asyncio.create_task(self._receive(layer, channel))
                        self.back = number - 1
                    beat = {"type": "watch.beat", "n": number}
                    await asyncio.wait_for(layer.send(channel, beat), timeout=self.interval)
                    sent = True
                except Exception:
                    sent = False
                await asyncio.sleep(self.interval)
                self._report(sent and self.back >= number - 1)
                if self.healthy and not any(k[0] == key for k in Relay.relays):
                    return  # no reader left: nothing to watch until the next one
        finally:
            if self.watches.get(key) is self:
                del self.watches[key]
            if receiver is not None:
                receiver.cancel()

    async def _receive(self, layer, channel) -> None:
        while True:
            message = await layer.receive(channel)
            self.back = max(self.back, message.get("n", 0))

    def _report(self, heard: bool) -> None:
        if heard == self.healthy:
            return
        self.healthy = heard
        if heard:
            logger.warning(
                "live: channel layer heard again after %.1f s", time.monotonic() - self.since
            )
            return
        self.since = time.monotonic()
        loop_id = id(asyncio.get_running_loop())
        readers = [
            member
            for (key, _group), relay in list(Relay.relays.items())
            if key == loop_id
            for member in list(relay.members)
        ]
        logger.warning(
            "live: channel layer not heard, %s reader(s) let go to poll and catch up",
            len(readers),
        )
        for member in readers:
            member.let_go(CLOSE_TRY_AGAIN)


class _Stream(AsyncWebsocketConsumer):
    """Sends the group's broadcasts; supports and poll results are coalesced (the
    latest figure every TRIBUNE_LIVE_COALESCE_MS), every other frame goes at once, in
    the order of the journal."""

    group_name = ""
    # No layer channel per connection: the process's Relay receives for all of them.
    channel_layer_alias = None

    async def group_for_connection(self) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def connect(self):
        self.backlog = deque()
        self.latest = {}
        self.wake = asyncio.Event()
        self.timers = []
        self.flush_timer = None
        self.tasks = set()
        self.sender = None
        self.gone = False
        group = await self.group_for_connection()
        if group is None:
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        self.group_name = group
        watch = LayerWatch.ensure()
        if watch is not None and not watch.healthy:
            # Frames would be lost: refused, the page polls and retries with backoff.
            await self.close()
            return
        self.relay = await Relay.join(group, self)
        if self.relay.task.done():
            # The layer is down: refused, the page polls the catch-up endpoint meanwhile.
            await self.relay.leave(self)
            self.relay = None
            await self.close()
            return
        await self.accept()
        self.sender = asyncio.create_task(self._send_loop())

    async def disconnect(self, code):
        self.gone = True
        for timer in [*getattr(self, "timers", []), getattr(self, "flush_timer", None)]:
            if timer is not None:
                timer.cancel()
        if getattr(self, "sender", None) is not None:
            self.sender.cancel()
        if getattr(self, "relay", None) is not None:
            await self.relay.leave(self)

    async def receive(self, text_data=None, bytes_data=None):
        if bytes_data is not None:
            await self._refuse(CLOSE_UNSUPPORTED, "binary frame")
            return
        if len(text_data or "") > settings.TRIBUNE_LIVE_MAX_CLIENT_MESSAGE:
            await self._refuse(CLOSE_TOO_BIG, "oversize message")
            return
        try:
            message = json.loads(text_data or "")
        except ValueError:
            message = None
        if not isinstance(message, dict) or message.get("type") != "ping":
            await self._refuse(CLOSE_BAD_MESSAGE, "malformed message")
            return
        self._queue('{"type":"pong"}')

    async def _refuse(self, code: int, why: str) -> None:
        logger.info("live connection to %s closed: %s", self.group_name, why)
        self.gone = True
        await self.close(code=code)

    # --- Outgoing frames ---------------------------------------------------------------

    def deliver(self, message) -> None:
        """A broadcast of the group, from the process's Relay."""
        if self.gone:
            return
        event = message["event"]
        text = message.get("text") or json.dumps(event, separators=(",", ":"))
        key = events.coalescing_key(event)
        if key:
            # Re-inserted at the end: frames leave in the order they were journalled.
            self.latest.pop(key, None)
            self.latest[key] = text
            if self.flush_timer is None:
                delay = settings.TRIBUNE_LIVE_COALESCE_MS / 1000
                self.flush_timer = asyncio.get_running_loop().call_later(delay, self._timed_flush)
            return
        self._flush()
        self._queue(text)

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)  # a reference, so the task is not collected mid-way
        task.add_done_callback(self.tasks.discard)

    def _timed_flush(self) -> None:
        self.flush_timer = None
        self._flush()

    def _flush(self) -> None:
        if self.latest:
            frames = list(self.latest.values())
            self.latest.clear()
            for text in frames:
                self._queue(text)

    def _queue(self, text: str) -> None:
        if self.gone:
            return
        if len(self.backlog) >= settings.TRIBUNE_LIVE_MAX_BACKLOG:
            # This client does not read: let it go, it will catch up when it returns.
            self.gone = True
            self.backlog.clear()
            logger.info("live connection to %s closed: backlog full", self.group_name)
            if self.sender is not None:
                self.sender.cancel()  # it may be stuck writing to this client
            self._spawn(self._let_go(CLOSE_TOO_SLOW))
            return
        self.backlog.append(text)
        self.wake.set()

    def let_go(self, code: int) -> None:
        """Close this connection from outside (the process's LayerWatch)."""
        if self.gone:
            return
        self.gone = True
        self._spawn(self._let_go(code))

    async def _let_go(self, code: int) -> None:
        # The close frame waits behind what the client has not read; if that never
        # drains, the server's keepalive ping drops the connection.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.close(code=code), timeout=CLOSE_TIMEOUT)

    async def _send_loop(self):
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.backlog and not self.gone:
                if len(self.backlog) == 1:
                    text = self.backlog.popleft()
                else:
                    # Frames that piled up while the process was busy leave as one
                    # "batch" frame: the per-frame cost (framing, the ASGI send) is what
                    # limits a process to a few thousand frames a second, and an idle
                    # process still sends each event the moment it arrives.
                    texts = list(self.backlog)
                    self.backlog.clear()
                    text = '{"type":"batch","events":[' + ",".join(texts) + "]}"
                await self.write(text)

    async def write(self, text: str) -> None:
        """One frame to this reader: straight to the server, past the consumer's generic
        send (this is the one call made per reader and per frame)."""
        await self.base_send({"type": "websocket.send", "text": text})


class ConsultationConsumer(_Stream):
    """/ws/consultations/<id>/: what the public page of a live consultation shows."""

    async def group_for_connection(self) -> str | None:
        consultation_id = self.scope["url_route"]["kwargs"]["consultation_id"]
        period = await _consultation_period(consultation_id)
        if period is None:
            logger.info("live connection refused: no such consultation")
            return None
        self.consultation_id = consultation_id
        self._set_timers(*period)
        return events.consultation_group(consultation_id)

    def _set_timers(self, opens_at, closes_at) -> None:
        """Announce the opening and the closing to this reader when they come."""
        for timer in self.timers:
            timer.cancel()
        self.timers = []
        now = timezone.now()
        for moment in (opens_at, closes_at):
            if moment is not None and now < moment:
                delay = (moment - now).total_seconds()
                if delay < CLOSING_TIMER_LIMIT:
                    loop = asyncio.get_running_loop()
                    self.timers.append(loop.call_later(delay + 0.5, self._status_changed))

    def deliver(self, message) -> None:
        event = message["event"]
        if event.get("type") == "consultation.status" and "closes_at" in event:
            # An editor published new dates: the timers set at connection are stale.
            self._set_timers(_parse_moment(event["opens_at"]), _parse_moment(event["closes_at"]))
        super().deliver(message)

    def _status_changed(self) -> None:
        self._spawn(self._send_status())

    async def _send_status(self) -> None:
        status = await _consultation_status(self.consultation_id)
        if status is not None:
            self._flush()
            self._queue(json.dumps({"consultation": self.consultation_id, **status}))


class ModerationConsumer(_Stream):
    """/ws/moderation/: pending comments, reports and alerts, for moderators only; a
    moderator limited to some consultations hears only about those."""

    async def group_for_connection(self) -> str | None:
        user = self.scope.get("user")
        if not await _may_watch_moderation(user, self.scope.get("session")):
            logger.info("moderation stream refused to a non-moderator")
            return None
        self.consultations = await _moderation_scope(user)
        return events.MODERATORS_GROUP

    def deliver(self, message) -> None:
        # One group for every moderator: the scope is applied here, per connection.
        consultation = message["event"].get("consultation")
        if self.consultations is None or consultation in self.consultations:
            super().deliver(message)


class PersonalConsumer(_Stream):
    """/ws/moi/: the signed-in person's unread notification count, for them alone.
    Anonymous visitors are refused at the handshake; the URL names nobody, so nobody
    can ask for another person's stream."""

    async def group_for_connection(self) -> str | None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            logger.info("personal stream refused to an anonymous visitor")
            return None
        self.person = str(user.pk)
        return events.PEOPLE_GROUP

    def deliver(self, message) -> None:
        count = message.get("counts", {}).get(self.person)
        if count is None or self.gone:
            return
        self._queue(json.dumps({"type": "notifications.count", "unread": count}))


def _parse_moment(value):
    return datetime.fromisoformat(value) if value else None


@database_sync_to_async
def _consultation_period(consultation_id):
    from participation.models import ConsultationPage

    return (
        ConsultationPage.objects.live()
        .public()
        .filter(pk=consultation_id)
        .values_list("opens_at", "closes_at")
        .first()
    )


@database_sync_to_async
def _consultation_status(consultation_id) -> dict | None:
    from participation.models import ConsultationPage

    consultation = ConsultationPage.objects.live().public().filter(pk=consultation_id).first()
    if consultation is None:
        return None
    payload = events.consultation_status(consultation)[0]
    return {"type": payload.type, **payload.data}


@database_sync_to_async
def _moderation_scope(user) -> set[int] | None:
    return permissions.moderation_scope(user)


@database_sync_to_async
def _may_watch_moderation(user, session) -> bool:
    # Moderators' powers count only in a session that passed the second factor, as in the
    # admin: the stream names pending comments and their reports.
    user = account_permissions.judge_session(user, session)
    return user is not None and permissions.can(user, permissions.WATCH_MODERATION, None)
