"""Socket.IO entry point: authenticates sockets and routes client events to services.

Handlers never touch the database; they implement the generated `ClientEvents`
(generated/socket_server.py), whose binder reads each payload as its generated model,
and call services. Every client event is answered through its acknowledgement: a
success DTO, or `AckError` for a refusal raised as `DomainError`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, NoReturn

import socketio
from pydantic import ValidationError

from generated import models as dto
from generated.socket_server import (
    ClientEvents,
    client_event_handlers,
    conversation_room,
    members_room,
    session_room,
    user_room,
)
from service.auth.tokens import bearer_token
from service.background import BackgroundTasks
from service.domain.errors import DomainError, InputError, InvalidRequest, NotFound, Unauthorized
from service.domain.events import TypingState
from service.dto import ack_error
from service.metrics import Metrics
from service.ratelimit import RateLimited
from service.realtime.binding import SocketCall
from service.realtime.handshakes import client_address
from service.realtime.packets import Refusal
from service.realtime.resume import StreamStarts
from service.services.container import Services
from service.validation import input_errors

log = logging.getLogger(__name__)

_NAMESPACE_CONNECTS = "chat.namespace_connects"


class ChatNamespace(socketio.AsyncNamespace, ClientEvents):  # type: ignore[misc]
    def __init__(
        self,
        namespace: str,
        services: Services,
        metrics: Metrics | None = None,
        streams: StreamStarts | None = None,
    ) -> None:
        super().__init__(namespace)
        self.services = services
        self.metrics = metrics or Metrics()
        self.streams = streams
        self._presence_work = BackgroundTasks()
        self._arrivals: dict[str, asyncio.Task[None]] = {}
        # The spec's client events, bound to the handlers below, and no other.
        self._client_events = client_event_handlers(self)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await self._count_reconnect(environ)
        token = _handshake_token(environ, auth)
        resume = self._resume_request(sid, auth)
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
            if resume is not None and self.streams is not None:
                self.streams.hold(sid)
            await self.save_session(sid, {"user_id": user_id, "token_id": claims.token_id})
            await self.enter_room(sid, user_room(user_id))
            await self.enter_room(sid, session_room(claims.token_id))
            for conversation_id in conversations:
                await self.enter_room(sid, members_room(conversation_id))
            if resume is not None and self.streams is not None:
                await self.streams.start(
                    sid,
                    self.namespace,
                    user_id,
                    resume,
                    conversations,
                    lambda conversation_id: self.enter_room(
                        sid, conversation_room(conversation_id)
                    ),
                )
        except BaseException:
            if self.streams is not None:
                self.streams.closed(sid)
            await self.services.presence.disconnected(user_id, sid)  # gives the claim back
            raise
        self.services.sessions.opened(claims)
        self._arrivals[sid] = self._presence_work.start(self._arrived(user_id, sid, conversations))

    def _resume_request(self, sid: str, auth: Any) -> dto.ResumeRequest | None:
        """`auth.resume` (ResumeRequest), checked before anything else is done."""
        if not isinstance(auth, dict) or "resume" not in auth:
            return None
        try:
            request = dto.ResumeRequest.model_validate(auth["resume"])
        except ValidationError as exc:
            problems = "; ".join(
                f"{error.location}: {error.message}" for error in input_errors("auth.resume", exc)
            )
            return self._refuse_resume(sid, f"Not a ResumeRequest ({problems[:512]}).")
        if any(getattr(request, name) is None for name in request.model_fields_set):
            return self._refuse_resume(sid, "auth.resume's fields are strings, never null.")
        if (request.session is None) != (request.position is None):
            return self._refuse_resume(sid, "auth.resume takes session and position, or neither.")
        return request

    def _refuse_resume(self, sid: str, message: str) -> NoReturn:
        log.info("refused socket %s: %s", sid, message)
        self.metrics.refused("handshake", "validation_error")
        raise socketio.exceptions.ConnectionRefusedError(
            message, dto.ConnectErrorData(code=dto.ErrorCode.validation_error).model_dump()
        )

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
        if self.streams is not None:
            self.streams.closed(sid)
        arrival = self._arrivals.pop(sid, None)
        self._presence_work.start(self._departed(int(session["user_id"]), sid, arrival))

    async def _arrived(self, user_id: int, sid: str, conversations: set[int]) -> None:
        try:
            await self.services.presence.connected(user_id, sid)
            # Membership changes made while the socket connected found it in no presence
            # record; from here on they do. Catch up with any made before.
            now = set(await self.services.conversations.ids_for(user_id))
            for conversation_id in now - conversations:
                await self.enter_room(sid, members_room(conversation_id))
            for conversation_id in conversations - now:
                await self.leave_room(sid, members_room(conversation_id))
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
            raise InvalidRequest(event.message, (InputError(event.location, event.message),))
        handler = self._client_events.get(event) if isinstance(event, str) else None
        if handler is None:
            raise DomainError(f"Unknown event {str(event)[:64]!r}.")
        return await handler(SocketCall(sid, user_id), args)

    async def join_conversation(
        self, socket: SocketCall, payload: dto.ConversationRef
    ) -> dto.RoomAck | dto.AckError:
        conversation_id = payload.conversation_id
        await self.services.conversations.ensure_participant(socket.user_id, conversation_id)
        await self.enter_room(socket.sid, conversation_room(conversation_id))
        if self.streams is not None:
            self.streams.joined(socket.sid, conversation_id)
        return dto.RoomAck(ok=True, conversation_id=conversation_id)

    async def leave_conversation(
        self, socket: SocketCall, payload: dto.ConversationRef
    ) -> dto.RoomAck | dto.AckError:
        await self.leave_room(socket.sid, conversation_room(payload.conversation_id))
        if self.streams is not None:
            self.streams.left(socket.sid, payload.conversation_id)
        return dto.RoomAck(ok=True, conversation_id=payload.conversation_id)

    async def typing(
        self, socket: SocketCall, payload: dto.TypingRequest
    ) -> dto.TypingAck | dto.AckError:
        cid = payload.conversation_id
        # Joining checked participation; removal takes sockets out of the room.
        if conversation_room(cid) not in self.rooms(socket.sid):
            raise NotFound(f"Join conversation {cid} before typing in it.")
        state = TypingState(payload.state.value)
        ttl = await self.services.typing.update(socket.user_id, cid, state)
        return dto.TypingAck(ok=True, conversation_id=cid, expires_in_seconds=ttl)

    async def mark_delivered(
        self, socket: SocketCall, payload: dto.MarkDeliveredRequest
    ) -> dto.DeliveryAck | dto.AckError:
        cid = payload.conversation_id
        watermark = await self.services.messages.mark_delivered(
            socket.user_id, cid, payload.message_id
        )
        return dto.DeliveryAck(ok=True, conversation_id=cid, last_delivered_message_id=watermark)

    async def refresh_token(
        self, socket: SocketCall, payload: dto.RefreshTokenRequest
    ) -> dto.SessionAck | dto.AckError:
        claims = await self.services.sessions.refresh(socket.user_id, payload.token)
        async with self.session(socket.sid) as session:
            previous = session["token_id"]
            session["token_id"] = claims.token_id
        if previous != claims.token_id:
            # The socket now lives and dies with the new token, not the old one.
            await self.enter_room(socket.sid, session_room(claims.token_id))
            await self.leave_room(socket.sid, session_room(previous))
            self.services.sessions.opened(claims)
            self.services.sessions.closed(previous)
        return dto.SessionAck(ok=True, expires_in_seconds=self.services.sessions.expires_in(claims))


def _handshake_token(environ: dict[str, Any], auth: Any) -> object:
    """`auth.token` (HandshakeAuth), else the handshake's `Authorization: Bearer`;
    whatever it is, the token codec judges it."""
    if isinstance(auth, dict) and "token" in auth:
        return auth["token"]
    return bearer_token(str(environ.get("HTTP_AUTHORIZATION", "")))
