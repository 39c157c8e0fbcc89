"""The composition root, the one place that wires adapters into services and both
transports around them: Socket.IO in front, Starlette behind it for HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

import socketio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from generated.http_server import http_routes
from generated.socket_server import EPHEMERAL_EVENTS
from service.auth.addresses import AddressKeys
from service.auth.passwords import PasswordHasher
from service.auth.tokens import TokenCodec
from service.domain.clock import Clock, utc_now
from service.domain.errors import DomainError
from service.http import binding, problems
from service.http.observed import RequestMetrics, metrics_routes
from service.http.operations import Operations
from service.http.origins import OriginGate
from service.http.pages import page_routes
from service.http.unexpected import UnexpectedErrorMiddleware
from service.metrics import Metrics
from service.outlet.port import Backpressure, EventOutlet, Unhurried
from service.outlet.socketio import NAMESPACE, SESSION_ENDED, SocketIOEmitter, SocketIOOutlet
from service.presence.redis_store import RedisPresenceStore
from service.presence.store import InProcessPresenceStore, PresenceStore
from service.ratelimit import RateLimited, RateLimiter
from service.realtime.eventlog import EventLog
from service.realtime.fanout import InlineFanoutManager
from service.realtime.handshakes import HandshakeLimit
from service.realtime.namespace import ChatNamespace
from service.realtime.outbound import Backlog, count_queues
from service.realtime.packets import ContractPacket
from service.realtime.polling import end_polls_on_close
from service.realtime.redis_bus import SequencedRedisManager
from service.realtime.resume import StreamStarts
from service.realtime.sessions import ResumeSessions
from service.services.container import Services
from service.services.conversations import ConversationService
from service.services.messages import MessageService
from service.services.pins import PinService
from service.services.presence import PresenceService
from service.services.reactions import ReactionService
from service.services.sessions import SessionService
from service.services.typing import TypingService
from service.services.users import LOGIN_ATTEMPTS_PER_ACCOUNT, UserService
from service.settings import Settings
from service.storage.database import Database
from service.storage.migrate import migrate
from service.storage.ports import UnitOfWork
from service.storage.unit_of_work import SqlAlchemyUnitOfWork

log = logging.getLogger(__name__)


def _engineio_holds(sio: socketio.AsyncServer, sid: str) -> bool:
    # A closed session stays in `sockets` until Engine.IO's sweep: it no longer counts.
    socket = sio.eio.sockets.get(sid)
    return socket is not None and not socket.closed


def _open_sockets(sio: socketio.AsyncServer) -> int:
    return sum(1 for socket in list(sio.eio.sockets.values()) if not socket.closed)


def instrument_admin_ui(sio: socketio.AsyncServer, settings: Settings, limits: RateLimiter) -> None:
    """python-socketio's Socket.IO Admin UI instrumentation on namespace /admin, with its
    own credentials, read-only. The UI's page (https://admin.socket.io, or a
    self-hosted copy) connects from its own origin, which CHAT_CORS_ORIGINS must allow."""
    assert settings.admin_ui_username is not None
    assert settings.admin_ui_password is not None
    username = settings.admin_ui_username.encode()
    password = settings.admin_ui_password.get_secret_value().encode()

    async def signed_in(given: Any) -> bool:
        # Every attempt counts, before the comparison: guesses cannot race the count.
        try:
            await limits.hit("admin_ui", "sign-in")
        except RateLimited:
            log.warning("refused an Admin UI sign-in: too many attempts")
            return False
        if not isinstance(given, dict):
            return False
        name, secret = given.get("username"), given.get("password")
        if not isinstance(name, str) or not isinstance(secret, str):
            return False
        # Both compared, in constant time, whichever is wrong.
        right_name = hmac.compare_digest(name.encode(), username)
        right_secret = hmac.compare_digest(secret.encode(), password)
        return right_name and right_secret

    sio.instrument(auth=signed_in, mode="production", read_only=True)


@dataclass(frozen=True)
class _Realtime:
    sio: socketio.AsyncServer
    presence: PresenceStore
    backlog: Backlog
    streams: StreamStarts
    manager: InlineFanoutManager


def _realtime(settings: Settings, metrics: Metrics) -> _Realtime:
    """The Socket.IO server, its client manager (in-process, or Redis across processes)
    with its delivery bounds, and where presence is kept."""
    cors: Any = list(settings.cors_origins) or None  # None: same origin only
    presence: PresenceStore
    if settings.redis_url:
        manager = SequencedRedisManager(settings.redis_url)
        presence = RedisPresenceStore(settings.redis_url)
    else:
        manager, presence = InlineFanoutManager(), InProcessPresenceStore()
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=cors,
        max_http_buffer_size=settings.max_body_bytes,
        serializer=ContractPacket,
        ping_interval=settings.ping_interval_seconds,
        ping_timeout=settings.ping_timeout_seconds,
    )
    backlog = Backlog(settings.max_backlog_packets, settings.backlog_wait_seconds, metrics)
    count_queues(sio.eio, backlog)
    end_polls_on_close(sio.eio)
    metrics.count_sockets(partial(_open_sockets, sio))
    metrics.count_queued(lambda: backlog.queued)
    manager.disconnecting_events = frozenset({SESSION_ENDED})
    manager.max_queued = settings.max_queued_packets
    manager.slow_seconds = settings.slow_socket_seconds
    manager.metrics = metrics
    log = EventLog(settings.resume_seconds, settings.resume_log_size, settings.resume_max_events)
    manager.log = log
    manager.log_namespace = NAMESPACE
    manager.ephemeral_events = frozenset(EPHEMERAL_EVENTS)
    streams = StreamStarts(log, ResumeSessions(settings.resume_seconds), manager)
    return _Realtime(sio, presence, backlog, streams, manager)


def _http_app(settings: Settings, metrics: Metrics, lifespan: Any) -> Starlette:
    """The generated HTTP binder on the operations, the pages, metrics, and the
    problem answers of every refusal."""
    middleware = []
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "PATCH", "DELETE"],
                allow_headers=["Authorization", "Content-Type"],
            )
        )
    # Inside CORS, so that CORS headers reach its answers too; outside the handler of
    # unexpected errors, so that their 500s are timed like any answer.
    middleware.append(Middleware(RequestMetrics, metrics=metrics))
    middleware.append(Middleware(UnexpectedErrorMiddleware))
    return Starlette(
        routes=[*http_routes(Operations()), *page_routes(), *metrics_routes()],
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={
            DomainError: problems.on_domain_error,
            problems.HttpProblem: problems.on_http_problem,
            HTTPException: problems.on_http_exception,
        },
    )


def create_app(settings: Settings) -> ASGIApp:
    database = Database(settings.database_url)
    metrics = Metrics()
    realtime = _realtime(settings, metrics)
    sio, presence = realtime.sio, realtime.presence
    services = build_services(
        settings=settings,
        uow_factory=partial(SqlAlchemyUnitOfWork, database),
        events=SocketIOOutlet(SocketIOEmitter(sio, presence, metrics)),
        presence_store=presence,
        backpressure=realtime.backlog,
    )
    sio.register_namespace(ChatNamespace(NAMESPACE, services, metrics, realtime.streams))
    if settings.admin_ui_username and settings.admin_ui_password:
        instrument_admin_ui(sio, settings, services.limits)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await migrate(database.engine)
        maintenance = asyncio.create_task(services.presence.run())
        try:
            yield {
                "services": services,
                "metrics": metrics,
                binding.AUTHENTICATOR: services.users,
                binding.MAX_BODY_BYTES: settings.max_body_bytes,
            }
        finally:
            maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await maintenance
            await realtime.manager.stop()
            await presence.close()
            await services.limits.close()
            await database.dispose()

    socket_io = HandshakeLimit(
        socketio.ASGIApp(sio, other_asgi_app=_http_app(settings, metrics, lifespan)),
        services.limits,
        settings.max_connections_per_address,
        partial(_engineio_holds, sio),
        metrics,
    )
    gated = OriginGate(socket_io, settings.cors_origins)
    if not settings.forwarded_allow_ips:
        return gated
    # Outermost, so that the address every limit keys on is the one the proxy reports.
    # uvicorn types ASGI more narrowly than Starlette; both speak the same protocol.
    proxied: Any = ProxyHeadersMiddleware(
        cast(Any, gated), trusted_hosts=list(settings.forwarded_allow_ips)
    )
    return cast(ASGIApp, proxied)


def build_services(
    *,
    settings: Settings,
    uow_factory: Callable[[], UnitOfWork],
    events: EventOutlet,
    presence_store: PresenceStore,
    hasher: PasswordHasher | None = None,
    clock: Clock = utc_now,
    limits: RateLimiter | None = None,
    backpressure: Backpressure | None = None,
) -> Services:
    """The services on their ports: storage, the event outlet, presence, limits."""
    tokens = TokenCodec(settings.jwt_secret, settings.token_ttl_seconds, clock)
    limits = limits or rate_limiter(settings)
    users = UserService(
        uow_factory,
        hasher or PasswordHasher(),
        tokens,
        clock,
        limits,
        AddressKeys(settings.jwt_secret),
    )
    return Services(
        settings=settings,
        users=users,
        conversations=ConversationService(uow_factory, events, clock),
        messages=MessageService(uow_factory, events, clock, backpressure or Unhurried()),
        pins=PinService(uow_factory, events, clock, settings.max_pins),
        reactions=ReactionService(uow_factory, events, clock),
        presence=PresenceService(
            presence_store, uow_factory, events, settings.presence_interval_seconds
        ),
        typing=TypingService(events, settings.typing_ttl_seconds),
        sessions=SessionService(uow_factory, users, events, clock),
        limits=limits,
    )


def rate_limiter(settings: Settings) -> RateLimiter:
    """The rate limits of the settings, counted in Redis when several processes share it."""
    return RateLimiter(
        {
            "auth": settings.rate_auth,
            "send": settings.rate_send,
            "edit": settings.rate_edit,
            "socket_events": settings.rate_socket_events,
            "handshakes": settings.rate_handshakes,
            LOGIN_ATTEMPTS_PER_ACCOUNT: settings.rate_login_per_account,
            "admin_ui": settings.rate_admin_ui,
        },
        settings.redis_url,
    )
