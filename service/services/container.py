"""The services an entry point (HTTP or Socket.IO) may call."""

from __future__ import annotations

from dataclasses import dataclass

from service.ratelimit import RateLimiter
from service.services.conversations import ConversationService
from service.services.messages import MessageService
from service.services.pins import PinService
from service.services.presence import PresenceService
from service.services.reactions import ReactionService
from service.services.sessions import SessionService
from service.services.typing import TypingService
from service.services.users import UserService
from service.settings import Settings


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    users: UserService
    conversations: ConversationService
    messages: MessageService
    pins: PinService
    reactions: ReactionService
    presence: PresenceService
    typing: TypingService
    sessions: SessionService
    limits: RateLimiter
