"""Socket.IO adapters of the notifier ports: domain events to generated DTOs in rooms."""

from __future__ import annotations

import logging
from typing import Any

import socketio
from pydantic import BaseModel

from generated import models as generated
from service import dto
from service.domain.events import (
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
    MessageCreated,
    MessagesRead,
    RemovalReason,
    UnreadCountUpdated,
)
from service.notifiers import rooms
from service.notifiers.base import ConversationNotifier, MessageNotifier

log = logging.getLogger(__name__)

NAMESPACE = "/"


class SocketIOEmitter:
    """Emits DTOs. A failed emit is logged, never raised: the change is already
    committed, and clients catch up through the HTTP cursors."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def emit(self, event: str, payload: BaseModel, room: str | list[str]) -> None:
        """Emit to a room, or once to each socket in any of several rooms."""
        try:
            await self.sio.emit(
                event, payload.model_dump(mode="json"), to=room, namespace=NAMESPACE
            )
        except Exception:
            log.exception("emitting %s to %s failed", event, room)

    async def leave(self, user_id: int, room: str) -> None:
        """Take every local socket of a user out of a room."""
        try:
            sids: list[Any] = [
                sid for sid, _ in self.sio.manager.get_participants(NAMESPACE, rooms.user(user_id))
            ]
            for sid in sids:
                await self.sio.leave_room(sid, room, namespace=NAMESPACE)
        except Exception:
            log.exception("removing user %s from %s failed", user_id, room)

    async def close(self, room: str) -> None:
        try:
            await self.sio.close_room(room, namespace=NAMESPACE)
        except Exception:
            log.exception("closing %s failed", room)


class SocketIOConversationNotifier(ConversationNotifier):
    def __init__(self, emitter: SocketIOEmitter) -> None:
        self._emitter = emitter

    async def conversation_created(self, event: ConversationCreated) -> None:
        for recipient in event.recipients:
            payload = dto.conversation(event.conversation, recipient.unread_count)
            await self._emitter.emit("conversation_created", payload, rooms.user(recipient.user_id))

    async def conversation_updated(self, event: ConversationUpdated) -> None:
        for recipient in event.recipients:
            payload = dto.conversation(event.conversation, recipient.unread_count)
            await self._emitter.emit("conversation_updated", payload, rooms.user(recipient.user_id))

    async def conversation_deleted(self, event: ConversationDeleted) -> None:
        room = rooms.conversation(event.conversation_id)
        # Leave the room first, so a removed user gets nothing more from it.
        if event.reason is RemovalReason.DELETED:
            await self._emitter.close(room)
        else:
            for user_id in event.user_ids:
                await self._emitter.leave(user_id, room)
        payload = generated.ConversationDeletedEvent(
            conversation_id=event.conversation_id, reason=generated.Reason(event.reason.value)
        )
        for user_id in event.user_ids:
            await self._emitter.emit("conversation_deleted", payload, rooms.user(user_id))


class SocketIOMessageNotifier(MessageNotifier):
    def __init__(self, emitter: SocketIOEmitter) -> None:
        self._emitter = emitter

    async def message_created(self, event: MessageCreated) -> None:
        payload = dto.message(event.message)
        await self._emitter.emit(
            "message_created", payload, rooms.conversation(event.message.conversation_id)
        )

    async def messages_read(self, event: MessagesRead) -> None:
        # One emit to both rooms: a reader's socket in both gets it once.
        targets = [rooms.conversation(event.conversation_id), rooms.user(event.reader.id)]
        await self._emitter.emit("message_read", dto.message_read(event), targets)

    async def unread_count_updated(self, event: UnreadCountUpdated) -> None:
        await self._emitter.emit(
            "unread_count_updated", dto.unread_count(event), rooms.user(event.user_id)
        )
