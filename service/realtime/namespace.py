"""Socket.IO entry point: authenticates sockets and routes client events to services.

Handlers never touch the database; they validate payloads against the generated
models and call services. Every client event is answered through its
acknowledgement: a success DTO, or `AckError`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import socketio
from pydantic import BaseModel, ValidationError

from generated import models as dto
from service.auth.tokens import bearer_token
from service.background import BackgroundTasks
from service.domain.errors import DomainError, InputError, InvalidInput, NotFound, Unauthorized
from service.domain.events import TypingState
from service.dto import ack_error
from service.metrics import Metrics
from service.notifiers import rooms
from service.ratelimit import RateLimited
from service.realtime.handshakes import client_address
from service.realtime.packets import Refusal
from service.services.container import Services
from service.validation import input_errors, integral_floats_as_ints

log = logging.getLogger(__name__)

_NAMESPACE_CONNECTS = "chat.namespace_connects"

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
    def __init__(self, namespace: str, services: Services, metrics: Metrics | None = None) -> None:
        super().__init__(namespace)
        self.services = services
        self.metrics = metrics or Metrics()
        self._presence_work = BackgroundTasks()
        self._arrivals: dict[str, asyncio.Task[None]] = {}
        self._client_events: dict[str, Handler] = {
            "join_conversation": self._join_conversation,
            "leave_conversation": self._leave_conversation,
            "typing": self._typing,
            "mark_delivered": self._mark_delivered,
            "refresh_token": self._refresh_token,
        }

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await self._count_reconnect(environ)
        token = _handshake_token(environ, auth)
        try:
            claims, conversation_ids = await self.services.users.open_socket(token)
        except Unauthorized as exc:
            log.info("refused socket %s: %s", sid, exc.message)
            self.metrics.refused("handshake", exc.code)
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, dto.ConnectErrorData(code=dto.ErrorCode.unauthorized).model_dump()
            ) from exc
        user_id = claims.user_id
        cap = self.services.settings.max_sockets_per_user
        # Claimed, not merely counted: parallel handshakes of one user, on any process,
        # cannot all see room for one more.
        if not await self.services.presence.claim(user_id, sid, cap):
            log.info("refused socket %s: user %s holds %s sockets", sid, user_id, cap)
            self.metrics.refused("handshake", "rate_limited")
            raise socketio.exceptions.ConnectionRefusedError(
                f"At most {cap} connections per user.",
                dto.ConnectErrorData(code=dto.ErrorCode.rate_limited).model_dump(),
            )
        try:
            # Every await before the rooms: an event emitted to a room this socket is
            # in while the handler awaits would reach the client before its connect
            # acknowledgement.
            conversations = set(conversation_ids)
            await self.save_session(sid, {"user_id": user_id, "token_id": claims.token_id})
            for room in [rooms.user(user_id), rooms.session(claims.token_id)]:
                await self.enter_room(sid, room)
            for conversation_id in conversations:
                await self.enter_room(sid, rooms.members(conversation_id))
        except BaseException:
            await self.services.presence.disconnected(user_id, sid)  # gives the claim back
            raise
        self.services.sessions.opened(claims)
        self._arrivals[sid] = self._presence_work.start(self._arrived(user_id, sid, conversations))

    async def _count_reconnect(self, environ: dict[str, Any]) -> None:
        """Count a namespace connect after the first on one Engine.IO session as a new
        handshake of its address: connecting and disconnecting the namespace over one
        session must not escape the handshake limit (each one reads the database)."""
        # Engine.IO keeps one environ per session: the count lives as long as it does.
        connects = environ.get(_NAMESPACE_CONNECTS, 0) + 1
        environ[_NAMESPACE_CONNECTS] = connects
        if connects == 1:
            return  # the session's own handshake was counted by HandshakeLimit
        # Engine.IO's REMOTE_ADDR is a constant under ASGI: the address is the scope's,
        # read as HandshakeLimit reads it.
        address = client_address(environ.get("asgi.scope", {}))
        try:
            await self.services.limits.hit("handshakes", address)
        except RateLimited as exc:
            self.metrics.refused("handshake", exc.code)
            raise socketio.exceptions.ConnectionRefusedError(
                exc.message, dto.ConnectErrorData(code=dto.ErrorCode.rate_limited).model_dump()
            ) from exc

    async def on_disconnect(self, sid: str, *_reason: Any) -> None:
        # Engine.IO may close a socket from inside a broadcast (a send finds its ping
        # timed out): the departure's own emits then run later, in a task, instead of
        # nesting one broadcast in another for every dead socket it meets.
        try:
            session = await self.get_session(sid)
        except Exception:
            log.exception("reading the session of departing socket %s failed", sid)
            return
        self.services.sessions.closed(session["token_id"])
        arrival = self._arrivals.pop(sid, None)
        self._presence_work.start(self._departed(int(session["user_id"]), sid, arrival))

    async def _arrived(self, user_id: int, sid: str, conversations: set[int]) -> None:
        try:
            await self.services.presence.connected(user_id, sid)
            # Membership changes made while the socket connected found it in no presence
            # record; from here on they do. Catch up with any made before.
            now = set(await self.services.conversations.ids_for(user_id))
            for conversation_id in now - conversations:
                await self.enter_room(sid, rooms.members(conversation_id))
            for conversation_id in conversations - now:
                await self.leave_room(sid, rooms.members(conversation_id))
        except Exception:
            # The socket works without either; its rooms catch up when it reconnects.
            log.exception("recording the presence or rooms of socket %s failed", sid)
        finally:
            self._arrivals.pop(sid, None)

    async def _departed(self, user_id: int, sid: str, arrival: asyncio.Task[None] | None) -> None:
        if arrival is not None:
            await arrival  # never forget a socket before it was recorded (it logs its errors)
        try:
            await self.services.presence.disconnected(user_id, sid)
        except Exception:
            log.exception("recording the departure of socket %s failed", sid)

    async def trigger_event(self, event: Any, *args: Any) -> Any:
        # Only the server itself names these: ContractPacket turns a client's event of
        # that name into a Refusal.
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid = args[0]
        name = event.message if isinstance(event, Refusal) else str(event)[:64]
        try:
            session = await self.get_session(sid)
            user_id = int(session["user_id"])
            # Every frame counts, refused ones too: junk costs as much as events.
            await self.services.limits.hit("socket_events", user_id)
            return await self._handle(event, sid, user_id, args[1:])
        except DomainError as exc:
            log.info("refused %s from %s: %s %s", name, sid, exc.code, exc.message)
            self.metrics.refused_by("socket", exc)
            return ack_error(exc).model_dump(mode="json", exclude_none=True)
        except Exception:
            log.exception("%s from %s failed", name, sid)
            self.metrics.refused("socket", "internal_error")
            failure = dto.AckError(
                ok=False,
                error=dto.AckErrorDetail(
                    code=dto.ErrorCode.internal_error, message="An unexpected error occurred."
                ),
            )
            return failure.model_dump(mode="json", exclude_none=True)

    async def _handle(
        self, event: Any, sid: str, user_id: int, args: tuple[Any, ...]
    ) -> dict[str, Any]:
        if isinstance(event, Refusal):
            raise InvalidInput(event.message, (InputError(event.location, event.message),))
        handler = self._client_events.get(event) if isinstance(event, str) else None
        if handler is None:
            raise DomainError(f"Unknown event {str(event)[:64]!r}.")
        return await handler(sid, user_id, args)

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

    async def _refresh_token(self, sid: str, user_id: int, args: tuple[Any, ...]) -> dict[str, Any]:
        request = _payload(args, dto.RefreshTokenRequest)
        claims = await self.services.sessions.refresh(user_id, request.token)
        async with self.session(sid) as session:
            previous = session["token_id"]
            session["token_id"] = claims.token_id
        if previous != claims.token_id:
            # The socket now lives and dies with the new token, not the old one.
            await self.enter_room(sid, rooms.session(claims.token_id))
            await self.leave_room(sid, rooms.session(previous))
            self.services.sessions.opened(claims)
            self.services.sessions.closed(previous)
        ack = dto.SessionAck(ok=True, expires_in_seconds=self.services.sessions.expires_in(claims))
        return ack.model_dump(mode="json")


def _handshake_token(environ: dict[str, Any], auth: Any) -> object:
    """`auth.token` (HandshakeAuth), else the handshake's `Authorization: Bearer`;
    whatever it is, the token codec judges it."""
    if isinstance(auth, dict) and "token" in auth:
        return auth["token"]
    return bearer_token(str(environ.get("HTTP_AUTHORIZATION", "")))
