"""Notifier ports: how services announce committed changes, whatever the transport."""

from __future__ import annotations

from abc import ABC, abstractmethod

from service.domain.events import (
    ConversationActivity,
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
    MessageCreated,
    MessagesDelivered,
    MessagesRead,
    PresenceChanged,
    SessionEnded,
    TypingChanged,
    UnreadCountUpdated,
)


class ConversationNotifier(ABC):
    """Tells participants about conversations appearing, changing and disappearing."""

    @abstractmethod
    async def conversation_created(self, event: ConversationCreated) -> None:
        """`event.user_ids` now participate in `event.conversation` and must hear of it."""

    @abstractmethod
    async def conversation_updated(self, event: ConversationUpdated) -> None:
        """Title, owner or participants changed: tell every participant, once."""

    @abstractmethod
    async def conversation_activity(self, event: ConversationActivity) -> None:
        """A message was stored: tell every participant, once."""

    @abstractmethod
    async def conversation_deleted(self, event: ConversationDeleted) -> None:
        """The conversation is gone for `event.user_ids`; they must stop receiving its events."""


class MessageNotifier(ABC):
    """Tells participants about messages and read state."""

    @abstractmethod
    async def message_created(self, event: MessageCreated) -> None:
        """A message was stored."""

    @abstractmethod
    async def messages_read(self, event: MessagesRead) -> None:
        """A participant's read watermark moved forward."""

    @abstractmethod
    async def unread_count_updated(self, event: UnreadCountUpdated) -> None:
        """A user's unread count in a conversation, and their total, changed."""

    @abstractmethod
    async def messages_delivered(self, event: MessagesDelivered) -> None:
        """A participant's delivery watermark moved forward."""


class PresenceNotifier(ABC):
    """Tells users who is online and who is typing."""

    @abstractmethod
    async def presence_changed(self, event: PresenceChanged) -> None:
        """A user came online or went offline; `event.audience` is told."""

    @abstractmethod
    async def typing_changed(self, event: TypingChanged) -> None:
        """A participant started or stopped typing; everyone else in the room is told."""


class SessionNotifier(ABC):
    """Ends the sessions of sockets, on whichever process holds them."""

    @abstractmethod
    async def session_ended(self, event: SessionEnded) -> None:
        """Tell every socket of `event.token_id` why, then disconnect it."""


class Backpressure(ABC):
    """Whether the event outlet can take more: senders ask before they change anything,
    so that a server behind on its deliveries slows or refuses them instead of
    dropping events for the sockets it keeps open."""

    @abstractmethod
    async def admit(self) -> None:
        """Return once the outlet can take another change's events; raise `Overloaded`
        (nothing changed, retry later) when it stays behind for too long."""


class Unhurried(Backpressure):
    """An outlet that is never behind: services wired without a socket layer."""

    async def admit(self) -> None:
        return None
