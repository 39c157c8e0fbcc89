"""The SQLAlchemy read model (SQLite and PostgreSQL): every query that filters, orders,
pages or counts across rows. It reads in the unit of work's transaction, so a list
and the unread counts beside it come from one snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.model import (
    REACTION_USERS_SHOWN,
    ActivityCursor,
    Conversation,
    Message,
    Reaction,
    TokenStanding,
    User,
)
from service.storage.orm import (
    ConversationRow,
    MentionRow,
    MessageRow,
    ParticipantRow,
    ReactionRow,
    UserRow,
)
from service.storage.ports import ReadModel
from service.storage.rows import hydrate, message_of, messages_select, user_of


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Every authenticated request asks this: written once, not built from the ORM each time
# (its construction was most of the check's cost under `make bench`).
_TOKEN_STANDING = text(
    "SELECT users.id, EXISTS (SELECT 1 FROM revoked_tokens WHERE token_id = :token_id)"
    " FROM users WHERE users.id = :user_id"
)


class SqlAlchemyReadModel(ReadModel):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def search_users(self, prefix: str | None, after: int, limit: int) -> list[User]:
        query = select(UserRow).where(UserRow.id > after).order_by(UserRow.id).limit(limit)
        if prefix:
            pattern = escape_like(prefix.lower()) + "%"
            query = query.where(
                or_(
                    func.lower(UserRow.username).like(pattern, escape="\\"),
                    func.lower(UserRow.display_name).like(pattern, escape="\\"),
                )
            )
        return [user_of(row) for row in await self.session.scalars(query)]

    async def conversation_ids(self, user_id: int) -> list[int]:
        found = await self.session.scalars(
            select(ParticipantRow.conversation_id).where(ParticipantRow.user_id == user_id)
        )
        return list(found)

    async def conversations(
        self,
        user_id: int,
        limit: int,
        before: ActivityCursor | None,
        updated_since: datetime | None,
    ) -> list[Conversation]:
        query = (
            select(ConversationRow)
            .join(ParticipantRow, ParticipantRow.conversation_id == ConversationRow.id)
            .where(ParticipantRow.user_id == user_id)
            .order_by(ConversationRow.updated_at.desc(), ConversationRow.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(
                or_(
                    ConversationRow.updated_at < before.updated_at,
                    and_(
                        ConversationRow.updated_at == before.updated_at,
                        ConversationRow.id < before.conversation_id,
                    ),
                )
            )
        if updated_since is not None:
            query = query.where(ConversationRow.updated_at >= updated_since)
        rows = list(await self.session.scalars(query))
        return await hydrate(self.session, rows)

    async def messages(
        self,
        conversation_id: int,
        after: int | None,
        before: int | None,
        limit: int,
        newest_first: bool,
    ) -> list[Message]:
        query = (
            messages_select()
            .where(MessageRow.conversation_id == conversation_id)
            .order_by(MessageRow.id.desc() if newest_first else MessageRow.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(MessageRow.id > after)
        if before is not None:
            query = query.where(MessageRow.id < before)
        found = await self.session.execute(query)
        return [message_of(*row) for row in found.all()]

    async def newly_read_ids(
        self, conversation_id: int, reader_id: int, after: int | None, upto: int, limit: int
    ) -> list[int]:
        found = await self.session.scalars(
            select(MessageRow.id)
            .where(
                MessageRow.conversation_id == conversation_id,
                MessageRow.id > (after or 0),
                MessageRow.id <= upto,
                MessageRow.sender_id != reader_id,
            )
            .order_by(MessageRow.id.desc())
            .limit(limit)
        )
        return sorted(found)

    async def read_seqs(
        self, user_id: int, conversation_ids: Iterable[int] | None = None
    ) -> dict[int, int]:
        query = select(ParticipantRow.conversation_id, ParticipantRow.last_read_seq).where(
            ParticipantRow.user_id == user_id
        )
        if conversation_ids is not None:
            query = query.where(ParticipantRow.conversation_id.in_(list(conversation_ids)))
        found = await self.session.execute(query)
        return {cid: seq for cid, seq in found.all()}

    async def unread_by_conversation(self, user_id: int) -> dict[int, int]:
        found = await self.session.execute(
            select(
                ParticipantRow.conversation_id,
                ConversationRow.last_seq - ParticipantRow.last_read_seq,
            )
            .join(ConversationRow, ConversationRow.id == ParticipantRow.conversation_id)
            .where(ParticipantRow.user_id == user_id)
        )
        return {cid: unread for cid, unread in found.all()}

    async def reactions(
        self, message_ids: Iterable[int], viewer_id: int
    ) -> dict[int, tuple[Reaction, ...]]:
        # Three statements whatever the page or the group: the counts, the first users
        # of each reaction (a window, so a reaction by thousands reads ten), and the
        # viewer's own.
        ids = list(message_ids)
        if not ids:
            return {}
        on_page = ReactionRow.message_id.in_(ids)
        place = func.min(ReactionRow.place)  # one place per emoji of a message
        counts = await self.session.execute(
            select(ReactionRow.message_id, ReactionRow.emoji, func.count())
            .where(on_page)
            .group_by(ReactionRow.message_id, ReactionRow.emoji)
            .order_by(ReactionRow.message_id, place, ReactionRow.emoji)
        )
        rank = (
            func.row_number()
            .over(
                partition_by=(ReactionRow.message_id, ReactionRow.emoji),
                order_by=(ReactionRow.reacted_at, ReactionRow.user_id),
            )
            .label("rank")
        )
        ranked = select(ReactionRow.message_id, ReactionRow.emoji, ReactionRow.user_id, rank)
        ranked_rows = ranked.where(on_page).subquery()
        first = await self.session.execute(
            select(ranked_rows.c.message_id, ranked_rows.c.emoji, ranked_rows.c.user_id)
            .where(ranked_rows.c.rank <= REACTION_USERS_SHOWN)
            .order_by(ranked_rows.c.rank)
        )
        users: dict[tuple[int, str], list[int]] = {}
        for message_id, emoji, user_id in first.all():
            users.setdefault((message_id, emoji), []).append(user_id)
        mine = await self.session.execute(
            select(ReactionRow.message_id, ReactionRow.emoji).where(
                on_page, ReactionRow.user_id == viewer_id
            )
        )
        reacted = {(message_id, emoji) for message_id, emoji in mine.all()}
        found: dict[int, list[Reaction]] = {}
        for message_id, emoji, count in counts.all():
            key = (message_id, emoji)
            reaction = Reaction(emoji, count, tuple(users.get(key, ())), key in reacted)
            found.setdefault(message_id, []).append(reaction)
        return {message_id: tuple(listed) for message_id, listed in found.items()}

    async def unread_mentions(
        self, user_id: int, conversation_ids: Iterable[int] | None = None
    ) -> dict[int, int]:
        # Each conversation's count is one range of the mentions key (user,
        # conversation, seq): only mentions above the watermark are read.
        query = (
            select(MentionRow.conversation_id, func.count())
            .join(
                ParticipantRow,
                and_(
                    ParticipantRow.conversation_id == MentionRow.conversation_id,
                    ParticipantRow.user_id == MentionRow.user_id,
                ),
            )
            .where(MentionRow.user_id == user_id, MentionRow.seq > ParticipantRow.last_read_seq)
            .group_by(MentionRow.conversation_id)
        )
        if conversation_ids is not None:
            query = query.where(MentionRow.conversation_id.in_(list(conversation_ids)))
        found = await self.session.execute(query)
        return {cid: count for cid, count in found.all()}

    async def memberships(self, user_ids: Iterable[int]) -> dict[int, list[int]]:
        ids = list(user_ids)
        found: dict[int, list[int]] = {}
        if not ids:
            return found
        rows = await self.session.execute(
            select(ParticipantRow.conversation_id, ParticipantRow.user_id).where(
                ParticipantRow.user_id.in_(ids)
            )
        )
        for conversation_id, user_id in rows.all():
            found.setdefault(conversation_id, []).append(user_id)
        return found

    async def contacts(self, user_id: int) -> list[int]:
        mine = select(ParticipantRow.conversation_id).where(ParticipantRow.user_id == user_id)
        found = await self.session.scalars(
            select(ParticipantRow.user_id)
            .where(ParticipantRow.conversation_id.in_(mine), ParticipantRow.user_id != user_id)
            .distinct()
            .order_by(ParticipantRow.user_id)
        )
        return list(found)

    async def token_standing(self, user_id: int, token_id: str) -> TokenStanding:
        found = await self.session.execute(
            _TOKEN_STANDING, {"user_id": user_id, "token_id": token_id}
        )
        row = found.first()
        if row is None:
            return TokenStanding.NO_USER
        return TokenStanding.REVOKED if row[1] else TokenStanding.VALID
