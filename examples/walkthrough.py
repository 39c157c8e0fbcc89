"""The README walkthrough on the generated Python client: two users, a group, a
message, typing, a read receipt, then a reply that mentions, an edit the reply's quote
follows, a reaction, a pin and a deletion, each step printed as a JSON line.

`python examples/walkthrough.py [BASE_URL]`; by default where `python -m service`
listens (CHAT_HOST, CHAT_PORT).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
from typing import Any, Generic, TypeVar

from conversations_client import (
    AckRefused,
    ConnectionRefused,
    HttpClient,
    ProblemError,
    SocketClient,
    models,
)
from pydantic import BaseModel

from service.settings import Settings

T = TypeVar("T", bound=BaseModel)
# A bound against waiting forever when the server is wrong, not a measurement.
PATIENCE_SECONDS = 10


def step(name: str, detail: Any) -> None:
    print(json.dumps({"step": name, "detail": detail}), flush=True)


class Inbox(Generic[T]):
    """The next payload of one event, handed over by a typed handler."""

    def __init__(self) -> None:
        self.arrived: asyncio.Queue[T] = asyncio.Queue()

    def put(self, payload: T) -> None:
        self.arrived.put_nowait(payload)

    async def next(self) -> T:
        return await asyncio.wait_for(self.arrived.get(), PATIENCE_SECONDS)


async def account(http: HttpClient, name: str, run: str) -> tuple[int, str]:
    username, password = f"{name}-{run}", f"{name}-walkthrough-password"
    user = await http.register(username, password, name.title())
    token = await http.login(username, password)
    step("registered", {"id": user.id, "username": username})
    return user.id, token.access_token


async def main(base_url: str) -> None:
    # A fresh pair of names per run, so the walkthrough can run again on the same database.
    run = secrets.token_hex(3)
    async with HttpClient(base_url) as anonymous:
        alice_id, alice_token = await account(anonymous, "alice", run)
        bob_id, bob_token = await account(anonymous, "bob", run)
    alice = HttpClient(base_url, alice_token)
    bob = HttpClient(base_url, bob_token)
    alice_socket = SocketClient(base_url, alice_token)
    bob_socket = SocketClient(base_url, bob_token)
    messages: Inbox[models.Message] = Inbox()
    typing: Inbox[models.TypingEvent] = Inbox()
    receipts: Inbox[models.MessageReadEvent] = Inbox()
    bob_socket.on_message_created(messages.put)
    bob_socket.on_typing(typing.put)
    alice_socket.on_message_read(receipts.put)
    mentions: Inbox[models.MessageMentionedEvent] = Inbox()
    updates: Inbox[models.MessageUpdatedEvent] = Inbox()
    reactions: Inbox[models.ReactionUpdatedEvent] = Inbox()
    pins: Inbox[models.PinList] = Inbox()
    alice_socket.on_message_mentioned(mentions.put)
    bob_socket.on_message_updated(updates.put)
    alice_socket.on_reaction_updated(reactions.put)
    bob_socket.on_pins_updated(pins.put)
    async with alice, bob, alice_socket, bob_socket:
        group = await alice.create_conversation(
            models.ConversationKind.group, [bob_id], title="Launch planning"
        )
        step("group", {"id": group.id, "title": group.title})
        # Both rooms are joined before anything is posted: nothing can race past them.
        for socket in (alice_socket, bob_socket):
            step("joined", (await socket.join_conversation(group.id)).model_dump(mode="json"))

        sent = await alice.send_message(group.id, "See you at ten.")
        message = await messages.next()
        step("message_created", {"id": message.id, "seq": message.seq, "body": message.body})
        assert message.id == sent.id

        ack = await alice_socket.typing(group.id, models.TypingState.start)
        shown = await typing.next()
        step(
            "typing",
            {
                "user_id": shown.user_id,
                "state": shown.state,
                "expires_in_seconds": ack.expires_in_seconds,
            },
        )
        assert shown.user_id == alice_id

        await bob.mark_read(group.id, message.id)
        receipt = await receipts.next()
        step(
            "message_read",
            {
                "reader": receipt.reader.username,
                "last_read_message_id": receipt.last_read_message_id,
            },
        )
        heard = Heard(mentions, updates, reactions, pins)
        await lifecycle(alice, bob, heard, group.id, message.id, alice_id)
    step("done", None)


class Heard:
    """What the other side hears of the message's lifecycle."""

    def __init__(
        self,
        mentions: Inbox[models.MessageMentionedEvent],
        updates: Inbox[models.MessageUpdatedEvent],
        reactions: Inbox[models.ReactionUpdatedEvent],
        pins: Inbox[models.PinList],
    ) -> None:
        self.mentions, self.updates, self.reactions, self.pins = mentions, updates, reactions, pins


async def lifecycle(
    alice: HttpClient, bob: HttpClient, heard: Heard, group_id: int, first: int, alice_id: int
) -> None:
    """Bob answers and mentions Alice; she edits, he reacts, she pins, then deletes."""
    await bob.send_message(group_id, "Ten works.", reply_to=first, mentions=[alice_id])
    mentioned = (await heard.mentions.next()).message
    quote = mentioned.reply_to.id if mentioned.reply_to else None
    step("message_mentioned", {"reply_to": quote, "mentions": mentioned.mentions})

    await alice.edit_message(group_id, first, "See you at half past ten.")
    edited = (await heard.updates.next()).message
    step("message_updated", {"id": edited.id, "body": edited.body})

    await bob.add_reaction(group_id, first, "👍")
    reaction = await heard.reactions.next()
    step("reaction_updated", {"emoji": reaction.emoji, "count": reaction.count})

    await alice.pin_message(group_id, first)
    pinned = await heard.pins.next()
    step("pins_updated", {"pinned": [pin.message.id for pin in pinned.pins]})

    page = await bob.list_messages(group_id)
    quoted, answer = page.items[0], page.items[-1]
    preview = answer.reply_to.preview if answer.reply_to else None
    step("quote_followed", {"preview": preview, "reactions": _reactions(quoted.reactions)})

    await alice.delete_message(group_id, first)
    deleted = (await heard.updates.next()).message
    step("message_deleted", {"id": deleted.id, "deleted": deleted.deleted_at is not None})


def _reactions(reactions: list[models.Reaction] | None) -> list[dict[str, Any]]:
    return [{"emoji": r.emoji, "count": r.count, "reacted": r.reacted} for r in reactions or []]


if __name__ == "__main__":
    settings = Settings()
    url = sys.argv[1] if len(sys.argv) > 1 else f"http://{settings.host}:{settings.port}"
    try:
        asyncio.run(main(url))
    except (ProblemError, AckRefused, ConnectionRefused, TimeoutError) as failure:
        sys.exit(f"walkthrough failed: {failure!r}")
