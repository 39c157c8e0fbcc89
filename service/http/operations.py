"""The HTTP operations: the generated interface (generated/http_server.py) implemented on
the services. The binder has authenticated the caller and read every input within the
spec's bounds; each method turns domain values into the generated DTOs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from generated import models as dto
from generated.http_server import HttpOperations
from service import dto as to_dto
from service.domain.model import ConversationKind
from service.http.binding import Call, Caller, Document, Reply
from service.http.cursors import decode_cursor, encode_cursor
from service.http.observed import metrics_of
from service.http.problems import HttpProblem
from service.ratelimit import RateLimited


class Operations(HttpOperations):
    async def get_health(self, call: Call) -> Reply[Literal[200], dto.Health]:
        try:
            await call.services.users.ping()
        except Exception as exc:
            raise HttpProblem(
                "internal_error", "The database does not answer.", status=503
            ) from exc
        return Reply(200, dto.Health(status=dto.Status.ok))

    async def get_spec_document(
        self, call: Call, document: Literal["openapi.yaml", "asyncapi.yaml", "schemas.yaml"]
    ) -> Document:
        return Document((Path(call.services.settings.specs_dir) / document).read_bytes())

    async def register(
        self, call: Call, body: dto.RegisterRequest
    ) -> Reply[Literal[201], dto.User]:
        await call.services.limits.hit("auth", call.address)
        users = call.services.users
        user = await users.register(body.username, body.password, body.display_name)
        return Reply(201, to_dto.user(user))

    async def login(
        self, call: Call, body: dto.LoginRequest
    ) -> Reply[Literal[200], dto.TokenResponse]:
        await call.services.limits.hit("auth", call.address)
        result = await call.services.users.login(body.username, body.password, call.address)
        return Reply(
            200,
            dto.TokenResponse(
                access_token=result.token.token,
                token_type=dto.TokenType.bearer,
                expires_in=result.token.expires_in,
                user=to_dto.user(result.user),
            ),
        )

    async def logout(self, call: Caller) -> None:
        await call.services.sessions.logout(call.claims)

    async def get_me(self, call: Caller) -> Reply[Literal[200], dto.User]:
        return Reply(200, to_dto.user(await call.services.users.me(call.user_id)))

    async def get_unread_summary(self, call: Caller) -> Reply[Literal[200], dto.UnreadSummary]:
        summary = await call.services.messages.unread_summary(call.user_id)
        conversations = [
            dto.ConversationUnread(
                conversation_id=unread.conversation_id,
                unread_count=unread.count,
                unread_mentions=unread.mentions,
            )
            for unread in summary.per_conversation
        ]
        badges = dto.UnreadSummary(
            total_unread=summary.total_unread,
            total_unread_mentions=summary.total_mentions,
            conversations=conversations,
        )
        return Reply(200, badges)

    async def get_presence(self, call: Caller) -> Reply[Literal[200], dto.PresenceList]:
        online = await call.services.presence.online_contacts(call.user_id)
        return Reply(200, dto.PresenceList(online_user_ids=list(online)))

    async def list_users(
        self, call: Caller, *, q: str | None, limit: int, after: int | None
    ) -> Reply[Literal[200], dto.UserPage]:
        page = await call.services.users.directory(q, after or 0, limit)
        users = [to_dto.user(u) for u in page.items]
        return Reply(200, dto.UserPage(items=users, next_after=page.next_after))

    async def get_user(self, call: Caller, user_id: int) -> Reply[Literal[200], dto.User]:
        return Reply(200, to_dto.user(await call.services.users.get(user_id)))

    async def list_conversations(
        self, call: Caller, *, limit: int, cursor: str | None, updated_since: datetime | None
    ) -> Reply[Literal[200], dto.ConversationPage]:
        before = None if cursor is None else decode_cursor(cursor)
        page = await call.services.conversations.list_for(
            call.user_id, limit, before, updated_since
        )
        following = None if page.next_cursor is None else encode_cursor(page.next_cursor)
        items = [to_dto.conversation_view(v) for v in page.items]
        return Reply(200, dto.ConversationPage(items=items, next_cursor=following))

    async def create_conversation(
        self, call: Caller, body: dto.CreateConversationRequest
    ) -> Reply[Literal[200, 201], dto.Conversation]:
        result = await call.services.conversations.create(
            call.user_id, ConversationKind(body.kind.value), body.title, list(body.participant_ids)
        )
        return Reply(201 if result.created else 200, to_dto.conversation_view(result.view))

    async def get_conversation(
        self, call: Caller, conversation_id: int
    ) -> Reply[Literal[200], dto.Conversation]:
        view = await call.services.conversations.get(call.user_id, conversation_id)
        return Reply(200, to_dto.conversation_view(view))

    async def update_conversation(
        self, call: Caller, conversation_id: int, body: dto.UpdateConversationRequest
    ) -> Reply[Literal[200], dto.Conversation]:
        conversations = call.services.conversations
        view = await conversations.rename(call.user_id, conversation_id, body.title)
        return Reply(200, to_dto.conversation_view(view))

    async def delete_conversation(self, call: Caller, conversation_id: int) -> None:
        await call.services.conversations.delete(call.user_id, conversation_id)

    async def add_participants(
        self, call: Caller, conversation_id: int, body: dto.AddParticipantsRequest
    ) -> Reply[Literal[200], dto.Conversation]:
        view = await call.services.conversations.add_participants(
            call.user_id, conversation_id, list(body.user_ids)
        )
        return Reply(200, to_dto.conversation_view(view))

    async def remove_participant(self, call: Caller, conversation_id: int, user_id: int) -> None:
        await call.services.conversations.remove_participant(call.user_id, conversation_id, user_id)

    async def list_messages(
        self,
        call: Caller,
        conversation_id: int,
        *,
        after: int | None,
        before: int | None,
        limit: int,
    ) -> Reply[Literal[200], dto.MessagePage]:
        page = await call.services.messages.history(
            call.user_id, conversation_id, after, before, limit
        )
        items = [to_dto.message(m, page.reactions.get(m.id, ())) for m in page.items]
        return Reply(200, dto.MessagePage(items=items, has_more=page.has_more))

    async def send_message(
        self, call: Caller, conversation_id: int, body: dto.SendMessageRequest
    ) -> Reply[Literal[200, 201], dto.Message]:
        messages = call.services.messages
        try:
            await call.services.limits.hit("send", call.user_id)
        except RateLimited:
            # A retry of a send that was stored stores nothing: it is answered, not
            # limited, or a client that lost an answer could never learn it got through.
            if body.client_message_id is not None:
                first = await messages.sent_before(
                    call.user_id, conversation_id, body.body, body.client_message_id
                )
                if first is not None:
                    return Reply(200, to_dto.message(first))
            raise
        with metrics_of(call.request).send.time():
            sent = await messages.send(
                call.user_id,
                conversation_id,
                body.body,
                body.client_message_id,
                body.reply_to,
                body.mentions or (),
            )
        return Reply(201 if sent.created else 200, to_dto.message(sent.message))

    async def edit_message(
        self, call: Caller, conversation_id: int, message_id: int, body: dto.EditMessageRequest
    ) -> Reply[Literal[200], dto.Message]:
        await call.services.limits.hit("edit", call.user_id)
        edited = await call.services.messages.edit(
            call.user_id, conversation_id, message_id, body.body
        )
        return Reply(200, to_dto.message(edited))

    async def delete_message(self, call: Caller, conversation_id: int, message_id: int) -> None:
        await call.services.limits.hit("edit", call.user_id)
        await call.services.messages.delete(call.user_id, conversation_id, message_id)

    async def list_pins(
        self, call: Caller, conversation_id: int
    ) -> Reply[Literal[200], dto.PinList]:
        pins = await call.services.pins.pins(call.user_id, conversation_id)
        return Reply(200, to_dto.pin_list(conversation_id, pins))

    async def pin_message(
        self, call: Caller, conversation_id: int, message_id: int
    ) -> Reply[Literal[200], dto.PinList]:
        await call.services.limits.hit("edit", call.user_id)
        pins = await call.services.pins.pin(call.user_id, conversation_id, message_id)
        return Reply(200, to_dto.pin_list(conversation_id, pins))

    async def unpin_message(
        self, call: Caller, conversation_id: int, message_id: int
    ) -> Reply[Literal[200], dto.PinList]:
        await call.services.limits.hit("edit", call.user_id)
        pins = await call.services.pins.unpin(call.user_id, conversation_id, message_id)
        return Reply(200, to_dto.pin_list(conversation_id, pins))

    async def get_message_history(
        self, call: Caller, conversation_id: int, message_id: int
    ) -> Reply[Literal[200], dto.MessageHistory]:
        messages = call.services.messages
        versions = await messages.history_of(call.user_id, conversation_id, message_id)
        return Reply(200, to_dto.message_history(conversation_id, message_id, versions))

    async def add_reaction(
        self, call: Caller, conversation_id: int, message_id: int, emoji: str
    ) -> Reply[Literal[200], dto.MessageReactions]:
        await call.services.limits.hit("edit", call.user_id)
        found = await call.services.reactions.add(call.user_id, conversation_id, message_id, emoji)
        return Reply(200, to_dto.message_reactions(found))

    async def remove_reaction(
        self, call: Caller, conversation_id: int, message_id: int, emoji: str
    ) -> Reply[Literal[200], dto.MessageReactions]:
        await call.services.limits.hit("edit", call.user_id)
        reactions = call.services.reactions
        found = await reactions.remove(call.user_id, conversation_id, message_id, emoji)
        return Reply(200, to_dto.message_reactions(found))

    async def mark_read(
        self, call: Caller, conversation_id: int, body: dto.MarkReadRequest
    ) -> Reply[Literal[200], dto.ReadState]:
        state = await call.services.messages.mark_read(
            call.user_id, conversation_id, body.message_id
        )
        return Reply(
            200,
            dto.ReadState(
                conversation_id=state.conversation_id,
                last_read_message_id=state.last_read_message_id,
                last_read_seq=state.last_read_seq,
                unread_count=state.unread_count,
                unread_mentions=state.unread_mentions,
            ),
        )
