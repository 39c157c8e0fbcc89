"""Composition root: the one place that wires adapters into services."""

from __future__ import annotations

from collections.abc import Callable

from service.auth.addresses import AddressKeys
from service.auth.passwords import PasswordHasher
from service.auth.tokens import TokenCodec
from service.domain.clock import Clock, utc_now
from service.notifiers.base import (
    Backpressure,
    ConversationNotifier,
    MessageNotifier,
    PresenceNotifier,
    SessionNotifier,
    Unhurried,
)
from service.presence.store import PresenceStore
from service.ratelimit import RateLimiter
from service.services.container import Services
from service.services.conversations import ConversationService
from service.services.messages import MessageService
from service.services.presence import PresenceService
from service.services.sessions import SessionService
from service.services.typing import TypingService
from service.services.users import LOGIN_ATTEMPTS_PER_ACCOUNT, UserService
from service.settings import Settings
from service.storage.ports import UnitOfWork


def bootstrap(
    *,
    settings: Settings,
    uow_factory: Callable[[], UnitOfWork],
    conversation_notifier: ConversationNotifier,
    message_notifier: MessageNotifier,
    presence_notifier: PresenceNotifier,
    session_notifier: SessionNotifier,
    presence_store: PresenceStore,
    hasher: PasswordHasher | None = None,
    clock: Clock = utc_now,
    limits: RateLimiter | None = None,
    backpressure: Backpressure | None = None,
) -> Services:
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
        conversations=ConversationService(uow_factory, conversation_notifier, clock),
        messages=MessageService(
            uow_factory,
            message_notifier,
            conversation_notifier,
            clock,
            backpressure or Unhurried(),
        ),
        presence=PresenceService(
            presence_store, uow_factory, presence_notifier, settings.presence_interval_seconds
        ),
        typing=TypingService(presence_notifier, settings.typing_ttl_seconds),
        sessions=SessionService(uow_factory, users, session_notifier, clock),
        limits=limits,
    )


def rate_limiter(settings: Settings) -> RateLimiter:
    """The rate limits of the settings, counted in Redis when several processes share it."""
    return RateLimiter(
        {
            "auth": settings.rate_auth,
            "send": settings.rate_send,
            "socket_events": settings.rate_socket_events,
            "handshakes": settings.rate_handshakes,
            LOGIN_ATTEMPTS_PER_ACCOUNT: settings.rate_login_per_account,
            "admin_ui": settings.rate_admin_ui,
        },
        settings.redis_url,
    )
