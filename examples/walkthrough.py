"""The README walkthrough on the generated Python client: two users, a group, a
message, typing and a read receipt, each step printed as a JSON line.

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
    step("done", None)


if __name__ == "__main__":
    settings = Settings()
    url = sys.argv[1] if len(sys.argv) > 1 else f"http://{settings.host}:{settings.port}"
    try:
        asyncio.run(main(url))
    except (ProblemError, AckRefused, ConnectionRefused, TimeoutError) as failure:
        sys.exit(f"walkthrough failed: {failure!r}")
