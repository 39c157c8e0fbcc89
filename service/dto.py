"""Domain objects to generated DTOs. HTTP operations and the event outlet share these."""

from __future__ import annotations

from generated import models as dto
from service.domain import model
from service.domain.errors import DomainError, InputError, InvalidInput, placed
from service.domain.events import (
    ConversationActivity,
    ConversationUpdated,
    MessagesRead,
    UnreadCountUpdated,
)
from service.ratelimit import RateLimited


def user(value: model.User) -> dto.User:
    return dto.User(
        id=value.id,
        username=value.username,
        display_name=value.display_name,
        created_at=value.created_at,
    )


def user_summary(value: model.UserRef) -> dto.UserSummary:
    return dto.UserSummary(id=value.id, username=value.username, display_name=value.display_name)


def message(
    value: model.Message, reactions: tuple[model.Reaction, ...] | None = None
) -> dto.Message:
    """A message; with `reactions` as one reader sees them (HTTP history only: events
    are the same for everyone)."""
    return dto.Message(
        id=value.id,
        conversation_id=value.conversation_id,
        seq=value.seq,
        sender=user_summary(value.sender),
        body=value.body,
        client_message_id=value.client_message_id,
        created_at=value.created_at,
        edited_at=value.edited_at,
        deleted_at=value.deleted_at,
        reply_to=None if value.reply_to is None else _quote(value.reply_to),
        mentions=list(value.mentions),
        reactions=None if reactions is None else [_reaction(r) for r in reactions],
    )


def _reaction(value: model.Reaction) -> dto.Reaction:
    return dto.Reaction(
        emoji=value.emoji, count=value.count, user_ids=list(value.user_ids), reacted=value.reacted
    )


def message_history(
    conversation_id: int, message_id: int, versions: tuple[model.MessageVersion, ...]
) -> dto.MessageHistory:
    return dto.MessageHistory(
        conversation_id=conversation_id,
        message_id=message_id,
        versions=[dto.MessageVersion(body=v.body, since=v.since) for v in versions],
    )


def message_reactions(value: model.MessageReactions) -> dto.MessageReactions:
    return dto.MessageReactions(
        conversation_id=value.conversation_id,
        message_id=value.message_id,
        reactions=[_reaction(r) for r in value.reactions],
    )


def _quote(value: model.Quote) -> dto.QuotedMessage:
    return dto.QuotedMessage(
        id=value.id, sender=user_summary(value.sender), preview=value.preview, deleted=value.deleted
    )


def _message_summary(value: model.Message) -> dto.MessageSummary:
    return dto.MessageSummary(
        id=value.id,
        seq=value.seq,
        sender=user_summary(value.sender),
        body=value.body,
        created_at=value.created_at,
        edited_at=value.edited_at,
        deleted_at=value.deleted_at,
    )


def conversation(
    value: model.Conversation, last_read_seq: int, unread_mentions: int = 0
) -> dto.Conversation:
    last = value.last_message
    return dto.Conversation(
        id=value.id,
        kind=dto.ConversationKind(value.kind.value),
        title=value.title,
        participants=[user_summary(p) for p in value.participants],
        created_by=value.created_by,
        owner_id=value.owner_id,
        created_at=value.created_at,
        updated_at=value.updated_at,
        last_message=None if last is None else _message_summary(last),
        last_seq=value.last_seq,
        last_read_seq=last_read_seq,
        unread_count=value.last_seq - last_read_seq,
        unread_mentions=unread_mentions,
    )


def conversation_view(value: model.ConversationView) -> dto.Conversation:
    return conversation(value.conversation, value.last_read_seq, value.unread_mentions)


def conversation_activity(event: ConversationActivity) -> dto.ConversationActivityEvent:
    return dto.ConversationActivityEvent(
        conversation_id=event.conversation_id,
        seq=event.seq,
        updated_at=event.updated_at,
        last_message=_message_summary(event.last_message),
    )


def conversation_change(event: ConversationUpdated) -> dto.ConversationUpdatedEvent:
    return dto.ConversationUpdatedEvent(
        conversation_id=event.conversation_id,
        title=event.title,
        owner_id=event.owner_id,
        updated_at=event.updated_at,
        participants_added=[user_summary(p) for p in event.added],
        participants_removed=list(event.removed),
    )


def message_read(event: MessagesRead) -> dto.MessageReadEvent:
    return dto.MessageReadEvent(
        conversation_id=event.conversation_id,
        reader=user_summary(event.reader),
        message_ids=list(event.message_ids),
        last_read_message_id=event.last_read_message_id,
    )


def unread_count(event: UnreadCountUpdated) -> dto.UnreadCountUpdatedEvent:
    return dto.UnreadCountUpdatedEvent(
        conversation_id=event.conversation_id,
        unread_count=event.unread_count,
        total_unread=event.total_unread,
        unread_mentions=event.unread_mentions,
        total_unread_mentions=event.total_unread_mentions,
    )


def field_errors(errors: tuple[InputError, ...]) -> list[dto.FieldError] | None:
    if not errors:
        return None
    return [dto.FieldError(location=e.location[:256], message=e.message[:1024]) for e in errors]


def ack_error(error: DomainError) -> dto.AckError:
    """A refused client event's acknowledgement; a service's fields are in its payload."""
    errors = (
        placed(error, lambda field: f"payload.{field}") if isinstance(error, InvalidInput) else ()
    )
    return dto.AckError(
        ok=False,
        error=dto.AckErrorDetail(
            code=dto.ErrorCode(error.code),
            message=error.message[:2048],
            errors=field_errors(errors),
            retry_after_seconds=error.retry_after if isinstance(error, RateLimited) else None,
        ),
    )


def pin_list(conversation_id: int, pins: tuple[model.Pin, ...]) -> dto.PinList:
    return dto.PinList(
        conversation_id=conversation_id,
        pins=[
            dto.Pin(
                message=message(pin.message),
                pinned_by=user_summary(pin.pinned_by),
                pinned_at=pin.pinned_at,
            )
            for pin in pins
        ],
    )
