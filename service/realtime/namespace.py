"""Socket.IO entry point: authenticates sockets and routes client events to services.

Handlers never touch the database; they validate payloads against the generated
models and call services. Every client event is answered through its
acknowledgement: a success DTO, or `AckError`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import socketio
from pydantic import BaseModel, ValidationError

from generated import models as dto
from service.domain.errors import DomainError, InputError, InvalidInput, NotFound, Unauthorized
from service.domain.events import TypingState
from service.dto import ack_error
from service.notifiers import rooms
from service.realtime.packets import Refusal
from service.services.container import Services
from service.validation import input_errors, integral_floats_as_ints

log = logging.getLogger(__name__)

Handler = Callable[[str, int, tuple[Any, ...]], Awaitable[dict[str, Any]]]


Payload = TypeVar("Payload", bound=BaseModel)


def _payload(args: tuple[Any, ...], model: type[Payload]) -> Payload:
    if len(args) != 1 or not isinstance(args[0], dict):
        raise InvalidInput("The event takes one JSON object as its only argument.")
    try:
        # Through JSON, so strict mode reads enums and the like as a JSON client sent them.
        raw = json.dumps(integral_floats_as_ints(args[0]), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("The payload is not a JSON object (it holds bytes or NaN).") from exc
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise InvalidInput(
            f"The payload does not match {model.__name__}.", input_errors("payload", exc)
        ) from exc


class ChatNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    def __init__(self, namespace: str, services: Services) -> None:
        super().__init__(namespace)
        self.services = services
        self._client_events: dict[str, Handler] = {
            "join_conversation": self._join_conversation,
            "leave_conversation": self._leave_conversation,
            "typing": self._typing,
            "mark_delivered": self._mark_delivered,
        }

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            user_id = (await self.services.users.authenticate(token)).user_id
        except Unauthorized as exc:
            log.info("refused socket %s: %s", sid, exc.message)
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, dto.ConnectErrorData(code=dto.ErrorCode.unauthorized).model_dump()
            ) from exc
        await self.save_session(sid, {"user_id": user_id})
        await self.enter_room(sid, rooms.user(user_id))
        try:
            await self.services.presence.connected(user_id, sid)
        except Exception:
            # Presence is a nicety; the socket works without it.
            log.exception("recording the presence of socket %s failed", sid)

    async def on_disconnect(self, sid: str, *_reason: Any) -> None:
        try:
            session = await self.get_session(sid)
            await self.services.presence.disconnected(int(session["user_id"]), sid)
        except Exception:
            log.exception("recording the departure of socket %s failed", sid)

    async def trigger_event(self, event: Any, *args: Any) -> Any:
        # Only the server itself names these: ContractPacket turns a client's event of
        # that name into a Refusal.
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        if isinstance(event, Refusal):
            log.info("refused a frame from %s: %s", args[0] if args else None, event.message)
            error = InvalidInput(event.message, (InputError(event.location, event.message),))
            return ack_error(error).model_dump(mode="json", exclude_none=True)
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
        ref = _payload(args, dto.ConversationRef)
        await self.services.conversations.ensure_participant(user_id, ref.conversation_id)
        await self.enter_room(sid, rooms.conversation(ref.conversation_id))
        return dto.RoomAck(ok=True, conversation_id=ref.conversation_id).model_dump(mode="json")

    async def _leave_conversation(
        self, sid: str, user_id: int, args: tuple[Any, ...]
    ) -> dict[str, Any]:
        ref = _payload(args, dto.ConversationRef)
        await self.leave_room(sid, rooms.conversation(ref.conversation_id))
        return dto.RoomAck(ok=True, conversation_id=ref.conversation_id).model_dump(mode="json")

    async def _typing(self, sid: str, user_id: int, args: tuple[Any, ...]) -> dict[str, Any]:
        request = _payload(args, dto.TypingRequest)
        cid = request.conversation_id
        # Joining checked participation; removal takes sockets out of the room.
        if rooms.conversation(cid) not in self.rooms(sid):
            raise NotFound(f"Join conversation {cid} before typing in it.")
        state = TypingState(request.state.value)
        ttl = await self.services.typing.update(user_id, cid, state)
        return dto.TypingAck(ok=True, conversation_id=cid, expires_in_seconds=ttl).model_dump(
            mode="json"
        )

    async def _mark_delivered(
        self, sid: str, user_id: int, args: tuple[Any, ...]
    ) -> dict[str, Any]:
        request = _payload(args, dto.MarkDeliveredRequest)
        cid = request.conversation_id
        watermark = await self.services.messages.mark_delivered(user_id, cid, request.message_id)
        ack = dto.DeliveryAck(ok=True, conversation_id=cid, last_delivered_message_id=watermark)
        return ack.model_dump(mode="json")
