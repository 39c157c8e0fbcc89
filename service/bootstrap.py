"""Composition root: the one place that wires adapters into services."""

from __future__ import annotations

from collections.abc import Callable

from service.auth.passwords import PasswordHasher
from service.auth.tokens import TokenCodec
from service.notifiers.base import ConversationNotifier, MessageNotifier, PresenceNotifier
from service.presence.store import PresenceStore
from service.services.clock import Clock, utc_now
from service.services.container import Services
from service.services.conversations import ConversationService
from service.services.messages import MessageService
from service.services.presence import PresenceService
from service.services.typing import TypingService
from service.services.users import UserService
from service.settings import Settings
from service.storage.ports import UnitOfWork


def bootstrap(
    *,
    settings: Settings,
    uow_factory: Callable[[], UnitOfWork],
    conversation_notifier: ConversationNotifier,
    message_notifier: MessageNotifier,
    presence_notifier: PresenceNotifier,
    presence_store: PresenceStore,
    hasher: PasswordHasher | None = None,
    clock: Clock = utc_now,
) -> Services:
    tokens = TokenCodec(settings.jwt_secret, settings.token_ttl_seconds, clock)
    return Services(
        settings=settings,
        users=UserService(uow_factory, hasher or PasswordHasher(), tokens, clock),
        conversations=ConversationService(uow_factory, conversation_notifier, clock),
        messages=MessageService(uow_factory, message_notifier, conversation_notifier, clock),
        presence=PresenceService(presence_store, uow_factory, presence_notifier),
        typing=TypingService(presence_notifier, settings.typing_ttl_seconds),
    )
