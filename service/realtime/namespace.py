"""Socket.IO entry point: authenticates sockets and routes client events to services.

Handlers never touch the database; they validate payloads against the generated
models and call services. Every client event is answered through its
acknowledgement: a success DTO, or `AckError`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from pydantic import ValidationError

from generated import models as dto
from service.domain.errors import DomainError, InvalidInput, Unauthorized
from service.dto import ack_error
from service.notifiers import rooms
from service.services.container import Services
from service.validation import input_errors, integral_floats_as_ints

log = logging.getLogger(__name__)

Handler = Callable[[str, int, tuple[Any, ...]], Awaitable[dict[str, Any]]]


def _payload(args: tuple[Any, ...]) -> dto.ConversationRef:
    if len(args) != 1 or not isinstance(args[0], dict):
        raise InvalidInput("The event takes one JSON object as its only argument.")
    try:
        return dto.ConversationRef.model_validate(integral_floats_as_ints(args[0]), strict=True)
    except ValidationError as exc:
        raise InvalidInput(
            "The payload does not match ConversationRef.", input_errors("payload", exc)
        ) from exc


class ChatNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    def __init__(self, namespace: str, services: Services) -> None:
        super().__init__(namespace)
        self.services = services
        self._client_events: dict[str, Handler] = {
            "join_conversation": self._join_conversation,
            "leave_conversation": self._leave_conversation,
        }

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            user_id = self.services.users.authenticate(token)
        except Unauthorized as exc:
            log.info("refused socket %s: %s", sid, exc.message)
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, dto.ConnectErrorData(code=dto.ErrorCode.unauthorized).model_dump()
            ) from exc
        await self.save_session(sid, {"user_id": user_id})
        await self.enter_room(sid, rooms.user(user_id))

    async def trigger_event(self, event: Any, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        handler = self._client_events.get(event) if isinstance(event, str) else None
        if handler is None:
            log.info("unknown event %r from %s", event, args[0] if args else None)
            return ack_error(DomainError(f"Unknown event {str(event)[:64]!r}.")).model_dump(
                mode="json", exclude_none=True
            )
        sid = args[0]
        try:
            session = await self.get_session(sid)
            return await handler(sid, int(session["user_id"]), args[1:])
        except DomainError as exc:
            log.info("refused %s from %s: %s %s", event, sid, exc.code, exc.message)
            return ack_error(exc).model_dump(mode="json", exclude_none=True)
        except Exception:
            log.exception("%s from %s failed", event, sid)
            failure = dto.AckError(
                ok=False,
                error=dto.AckErrorDetail(
                    code=dto.ErrorCode.internal_error, message="An unexpected error occurred."
                ),
            )
            return failure.model_dump(mode="json", exclude_none=True)

    async def _join_conversation(
        self, sid: str, user_id: int, args: tuple[Any, ...]
    ) -> dict[str, Any]:
        ref = _payload(args)
        await self.services.conversations.ensure_participant(user_id, ref.conversation_id)
        await self.enter_room(sid, rooms.conversation(ref.conversation_id))
        return dto.RoomAck(ok=True, conversation_id=ref.conversation_id).model_dump(mode="json")

    async def _leave_conversation(
        self, sid: str, user_id: int, args: tuple[Any, ...]
    ) -> dict[str, Any]:
        ref = _payload(args)
        await self.leave_room(sid, rooms.conversation(ref.conversation_id))
        return dto.RoomAck(ok=True, conversation_id=ref.conversation_id).model_dump(mode="json")
