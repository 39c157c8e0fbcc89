"""The Socket.IO event outlet: domain events to generated DTOs, through the generated
emitters, in the generated rooms."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import assert_never

import socketio
from pydantic import BaseModel

from generated import models as generated
from generated.socket_server import (
    ConversationRoom,
    ServerEvents,
    UserRoom,
    conversation_room,
    members_room,
    session_room,
    user_room,
)
from service import dto
from service.domain.events import (
    ConversationActivity,
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
    DomainEvent,
    MessageCreated,
    MessageMentioned,
    MessagesDelivered,
    MessagesRead,
    MessageUpdated,
    PinsUpdated,
    PresenceChanged,
    ReactionChanged,
    RemovalReason,
    SessionEnded,
    TypingChanged,
    UnreadCountUpdated,
)
from service.metrics import Metrics
from service.outlet.port import EventOutlet
from service.presence.store import PresenceStore

log = logging.getLogger(__name__)

NAMESPACE = "/"
# The client manager disconnects the recipients of this event once it is sent
# (service/realtime/fanout.py), on every process.
SESSION_ENDED = "session_ended"


class SocketIOEmitter:
    """The outlet of the generated `ServerEvents`, and room membership across
    processes. A failed emit is logged, never raised: the change is already committed,
    and clients catch up through the HTTP cursors."""

    def __init__(
        self, sio: socketio.AsyncServer, presence: PresenceStore, metrics: Metrics
    ) -> None:
        self.sio = sio
        self.presence = presence
        self.metrics = metrics

    async def emit(
        self, event: str, payload: BaseModel, rooms: Sequence[str], skip_user: int | None
    ) -> None:
        """Emit to a room, or once to each socket in any of several rooms; never to
        the sockets of `skip_user`, in whichever process they are."""
        try:
            skip: list[str] | None = None
            if skip_user is not None:
                skip = await self.presence.sids(skip_user)
            to = rooms[0] if len(rooms) == 1 else list(rooms)
            await self.sio.emit(
                event, payload.model_dump(mode="json"), to=to, skip_sid=skip, namespace=NAMESPACE
            )
            self.metrics.events.labels(event).inc()
        except Exception:
            log.exception("emitting %s to %s failed", event, rooms)

    async def leave(self, user_id: int, *leaving: str) -> None:
        """Take every socket of a user, in any process, out of rooms."""
        try:
            # With the Redis manager, leave_room reaches the process holding the socket.
            for sid in await self.presence.sids(user_id):
                for room in leaving:
                    await self.sio.leave_room(sid, room, namespace=NAMESPACE)
        except Exception:
            log.exception("removing user %s from %s failed", user_id, leaving)

    async def join(self, user_ids: Iterable[int], room: str) -> None:
        """Put every socket of these users, in any process, in a room."""
        try:
            for user_id in user_ids:
                for sid in await self.presence.sids(user_id):
                    await self.sio.enter_room(sid, room, namespace=NAMESPACE)
        except Exception:
            log.exception("adding users to %s failed", room)

    async def close(self, room: str) -> None:
        try:
            await self.sio.close_room(room, namespace=NAMESPACE)
        except Exception:
            log.exception("closing %s failed", room)


class SocketIOOutlet(EventOutlet):
    """Each domain event to its generated emitter: its payload built once, to the rooms
    the spec names for it."""

    def __init__(self, emitter: SocketIOEmitter) -> None:
        self._emitter = emitter
        self._events = ServerEvents(emitter)

    async def publish(self, event: DomainEvent) -> None:
        match event:
            case ConversationCreated():
                await self._conversation_created(event)
            case ConversationUpdated():
                change = dto.conversation_change(event)
                await self._events.conversation_updated(change, members_room(event.conversation_id))
            case ConversationActivity():
                activity = dto.conversation_activity(event)
                await self._events.conversation_activity(
                    activity, members_room(event.conversation_id)
                )
            case ConversationDeleted():
                await self._conversation_deleted(event)
            case MessageCreated():
                room = conversation_room(event.message.conversation_id)
                await self._events.message_created(dto.message(event.message), room)
            case ReactionChanged():
                reaction = generated.ReactionUpdatedEvent(
                    conversation_id=event.conversation_id,
                    message_id=event.message_id,
                    user_id=event.user_id,
                    emoji=event.emoji,
                    added=event.added,
                    count=event.count,
                    user_ids=list(event.user_ids),
                )
                room = conversation_room(event.conversation_id)
                await self._events.reaction_updated(reaction, room)
            case MessageMentioned():
                mentioned = generated.MessageMentionedEvent(message=dto.message(event.message))
                # One payload for every mentioned user, wherever their sockets are.
                users = [user_room(user_id) for user_id in event.user_ids]
                await self._events.message_mentioned(mentioned, users)
            case MessageUpdated():
                updated = generated.MessageUpdatedEvent(message=dto.message(event.message))
                everyone = members_room(event.message.conversation_id)
                await self._events.message_updated(updated, everyone)
            case PinsUpdated():
                pins = dto.pin_list(event.conversation_id, event.pins)
                await self._events.pins_updated(pins, members_room(event.conversation_id))
            case MessagesRead():
                # One emit to both rooms: a reader's socket in both gets it once.
                targets: list[ConversationRoom | UserRoom] = [
                    conversation_room(event.conversation_id),
                    user_room(event.reader.id),
                ]
                await self._events.message_read(dto.message_read(event), targets)
            case UnreadCountUpdated():
                await self._events.unread_count_updated(
                    dto.unread_count(event), user_room(event.user_id)
                )
            case MessagesDelivered():
                delivered = generated.MessageDeliveredEvent(
                    conversation_id=event.conversation_id,
                    recipient_id=event.recipient_id,
                    last_delivered_message_id=event.last_delivered_message_id,
                )
                await self._events.message_delivered(
                    delivered, conversation_room(event.conversation_id)
                )
            case PresenceChanged():
                presence = generated.PresenceChangedEvent(
                    online=list(event.online), offline=list(event.offline)
                )
                # One emit to every room: a socket in several of them gets it once.
                members = [members_room(cid) for cid in event.conversation_ids]
                await self._events.presence_changed(presence, members)
            case TypingChanged():
                typing = generated.TypingEvent(
                    conversation_id=event.conversation_id,
                    user_id=event.user_id,
                    state=generated.TypingState(event.state.value),
                )
                room = conversation_room(event.conversation_id)
                await self._events.typing(typing, room, skip_user=event.user_id)
            case SessionEnded():
                ended = generated.SessionEndedEvent(
                    reason=generated.SessionEndReason(event.reason.value)
                )
                await self._events.session_ended(ended, session_room(event.token_id))
            case _:
                assert_never(event)

    async def _conversation_created(self, event: ConversationCreated) -> None:
        conversation = event.conversation
        # Into the members room first, so that no later activity passes them by.
        await self._emitter.join(event.user_ids, members_room(conversation.id))
        # Newcomers start with everything read: one payload serves them all.
        payload = dto.conversation(conversation, last_read_seq=conversation.last_seq)
        targets = [user_room(user_id) for user_id in event.user_ids]
        await self._events.conversation_created(payload, targets)

    async def _conversation_deleted(self, event: ConversationDeleted) -> None:
        joined = conversation_room(event.conversation_id)
        members = members_room(event.conversation_id)
        # Leave the rooms first, so a removed user gets nothing more from them.
        if event.reason is RemovalReason.DELETED:
            await self._emitter.close(joined)
            await self._emitter.close(members)
        else:
            for user_id in event.user_ids:
                await self._emitter.leave(user_id, joined, members)
        payload = generated.ConversationDeletedEvent(
            conversation_id=event.conversation_id, reason=generated.Reason(event.reason.value)
        )
        for user_id in event.user_ids:
            await self._events.conversation_deleted(payload, user_room(user_id))
