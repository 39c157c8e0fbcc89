"""The mock's small stateful happy path: what a frontend needs to see its own actions.

Accounts log in only with their password; conversations and messages a client creates
appear in its lists and can be fetched; an id nobody created is `not_found`, over HTTP
and over Socket.IO. Every field the happy path does not decide is the spec's example,
and every refusal is the service's own `DomainError`, so it reads exactly alike. The
state lives in memory, one per mock process: restarting the mock forgets it.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from service.domain.errors import (
    Conflict,
    DomainError,
    InputError,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from service.services.rules import conversation_not_found
from tools.mock.contract import Contract

# (status, body) answered in place of the operation's success example.
Answer = tuple[int, Any]
Handler = Callable[["Call"], Awaitable[Answer]]


@dataclass(frozen=True)
class Call:
    """One request, as the state reads it: who calls, the path's ids and the body."""

    token: str
    path: dict[str, Any]
    body: dict[str, Any]
    query: dict[str, Any]


@dataclass
class Account:
    password: str
    user: dict[str, Any]


class MockState:
    def __init__(self, contract: Contract) -> None:
        examples = {operation.operation_id: operation.example for operation in contract.operations}
        self._user: dict[str, Any] = examples["get_me"]
        self._conversation = examples["get_conversation"]
        self._message = _complete(examples["send_message"])
        self._login = examples["login"]
        login_request = contract.openapi["paths"]["/auth/login"]["post"]["requestBody"]
        credentials = login_request["content"]["application/json"]["example"]
        # The spec's own example account logs in with the spec's example password.
        self.accounts = {credentials["username"]: Account(credentials["password"], self._user)}
        self.tokens: dict[str, dict[str, Any]] = {}
        example_id = self._conversation["id"]
        self.conversations: dict[int, dict[str, Any]] = {example_id: dict(self._conversation)}
        self.messages: dict[int, list[dict[str, Any]]] = {
            example_id: [_complete(m) for m in examples["list_messages"]["items"]]
        }
        self._ids: int = max(example_id, self._user["id"], self._message["id"]) + 1
        self.handlers: dict[str, Handler] = {
            "register": self.register,
            "login": self.login,
            "get_me": self.get_me,
            "list_conversations": self.list_conversations,
            "create_conversation": self.create_conversation,
            "get_conversation": self.get_conversation,
            "update_conversation": self.update_conversation,
            "delete_conversation": self.delete_conversation,
            "add_participants": self.add_participants,
            "remove_participant": self.remove_participant,
            "list_messages": self.list_messages,
            "send_message": self.send_message,
            "mark_read": self.mark_read,
            "edit_message": self.edit_message,
            "delete_message": self.delete_message,
        }
        self._edited_at = examples["edit_message"]["edited_at"]
        # The message the last edit or deletion left, for its `message_updated`.
        self.changed: dict[str, Any] | None = None

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def caller(self, token: str) -> dict[str, Any]:
        """The user a token was issued to; any other token is the example user's, so a
        frontend may still hard-code one."""
        return self.tokens.get(token, self._user)

    def conversation(self, conversation_id: int) -> dict[str, Any]:
        found = self.conversations.get(conversation_id)
        if found is None:
            raise conversation_not_found(conversation_id)
        return found

    def _participant(self, user_id: int) -> dict[str, Any]:
        for account in self.accounts.values():
            if account.user["id"] == user_id:
                return _reference(account.user)
        for conversation in self.conversations.values():
            for participant in conversation["participants"]:
                if participant["id"] == user_id:
                    return dict(participant)
        # The happy path invents whom it does not know, as the spec's examples name
        # users the mock never registered.
        return {"id": user_id, "username": f"user{user_id}", "display_name": f"User {user_id}"}

    async def register(self, call: Call) -> Answer:
        username = call.body["username"]
        if username in self.accounts:
            raise Conflict(f"Username {username} is taken.")
        user = {
            **self._user,
            "id": self._next_id(),
            "username": username,
            "display_name": call.body["display_name"],
        }
        self.accounts[username] = Account(call.body["password"], user)
        return 201, user

    async def login(self, call: Call) -> Answer:
        account = self.accounts.get(call.body["username"])
        if account is None or not secrets.compare_digest(
            account.password.encode(), call.body["password"].encode()
        ):
            raise Unauthorized("Wrong username or password.")
        token = f"mock.{secrets.token_urlsafe(24)}"
        self.tokens[token] = account.user
        return 200, {**self._login, "access_token": token, "user": account.user}

    async def get_me(self, call: Call) -> Answer:
        return 200, self.caller(call.token)

    async def list_conversations(self, call: Call) -> Answer:
        caller = self.caller(call.token)["id"]
        mine = [
            conversation
            for conversation in reversed(self.conversations.values())
            if any(participant["id"] == caller for participant in conversation["participants"])
        ]
        return 200, {"items": mine, "next_cursor": None}

    async def create_conversation(self, call: Call) -> Answer:
        caller = self.caller(call.token)
        others = [self._participant(user_id) for user_id in call.body["participant_ids"]]
        conversation = {
            **self._conversation,
            "id": self._next_id(),
            "kind": call.body["kind"],
            "title": call.body.get("title"),
            "participants": [_reference(caller), *others],
            "created_by": caller["id"],
            "owner_id": caller["id"],
        }
        self.conversations[conversation["id"]] = conversation
        self.messages[conversation["id"]] = []
        return 201, conversation

    async def get_conversation(self, call: Call) -> Answer:
        return 200, self.conversation(call.path["conversation_id"])

    async def update_conversation(self, call: Call) -> Answer:
        conversation = self.conversation(call.path["conversation_id"])
        conversation["title"] = call.body["title"]
        return 200, conversation

    async def delete_conversation(self, call: Call) -> Answer:
        conversation_id = self.conversation(call.path["conversation_id"])["id"]
        del self.conversations[conversation_id]
        del self.messages[conversation_id]
        return 204, None

    async def add_participants(self, call: Call) -> Answer:
        conversation = self.conversation(call.path["conversation_id"])
        present = {participant["id"] for participant in conversation["participants"]}
        conversation["participants"] += [
            self._participant(user_id)
            for user_id in call.body["user_ids"]
            if user_id not in present
        ]
        return 200, conversation

    async def remove_participant(self, call: Call) -> Answer:
        conversation = self.conversation(call.path["conversation_id"])
        conversation["participants"] = [
            participant
            for participant in conversation["participants"]
            if participant["id"] != call.path["user_id"]
        ]
        return 204, None

    async def mark_read(self, call: Call) -> Answer:
        conversation_id = self.conversation(call.path["conversation_id"])["id"]
        stored = self.messages[conversation_id]
        read = next((m for m in stored if m["id"] == call.body["message_id"]), None)
        if read is None:
            message_id = call.body["message_id"]
            raise InvalidInput(
                f"Message {message_id} is not in conversation {conversation_id}.",
                (InputError("message_id", "no such message in this conversation"),),
            )
        return 200, {
            "conversation_id": conversation_id,
            "last_read_message_id": read["id"],
            "last_read_seq": read["seq"],
            "unread_count": stored[-1]["seq"] - read["seq"],
        }

    async def list_messages(self, call: Call) -> Answer:
        conversation_id = self.conversation(call.path["conversation_id"])["id"]
        limit: int = call.query.get("limit", 50)
        after: int = call.query.get("after", 0)
        before: int = call.query.get("before", 0)
        chosen = [
            message
            for message in self.messages[conversation_id]
            if message["id"] > after and (not before or message["id"] < before)
        ]
        # As the spec says: the oldest page after `after`, else the newest page.
        page = chosen[:limit] if after else chosen[-limit:]
        return 200, {"items": page, "has_more": len(chosen) > limit}

    async def send_message(self, call: Call) -> Answer:
        conversation_id = self.conversation(call.path["conversation_id"])["id"]
        stored = self.messages[conversation_id]
        message = {
            **self._message,
            "id": self._next_id(),
            "conversation_id": conversation_id,
            "seq": (stored[-1]["seq"] if stored else 0) + 1,
            "sender": _reference(self.caller(call.token)),
            "body": call.body["body"].strip(),
            "client_message_id": call.body.get("client_message_id"),
            "reply_to": _quote(stored, call.body.get("reply_to")),
            "mentions": sorted(call.body.get("mentions") or []),
        }
        stored.append(message)
        return 201, message

    def _stored(self, call: Call) -> dict[str, Any]:
        conversation_id = self.conversation(call.path["conversation_id"])["id"]
        message_id = call.path["message_id"]
        for message in self.messages[conversation_id]:
            if message["id"] == message_id:
                return message
        raise NotFound(f"Message {message_id} is not in conversation {conversation_id}.")

    async def edit_message(self, call: Call) -> Answer:
        # Who may edit or delete is not checked: any token may be the example user's,
        # and the examples edit Bob's message. `Prefer: code=403` shows a refusal.
        message = self._stored(call)
        if message.get("deleted_at"):
            raise Conflict(f"Message {message['id']} was deleted.")
        message.update(body=call.body["body"].strip(), edited_at=self._edited_at)
        self.changed = message
        return 200, message

    async def delete_message(self, call: Call) -> Answer:
        message = self._stored(call)
        message.update(body="", deleted_at=self._edited_at)
        self.changed = message
        return 204, None

    def refusal(self, payload: Any) -> DomainError | None:
        """`not_found` for a client event naming a conversation nobody created."""
        conversation_id = payload.get("conversation_id") if isinstance(payload, dict) else None
        if isinstance(conversation_id, int) and conversation_id not in self.conversations:
            return conversation_not_found(conversation_id)
        return None


def _reference(user: dict[str, Any]) -> dict[str, Any]:
    return {key: user[key] for key in ("id", "username", "display_name")}


def _quote(stored: list[dict[str, Any]], reply_to: int | None) -> dict[str, Any] | None:
    # The happy path quotes a message it holds; it does not check what the service refuses.
    for message in stored:
        if message["id"] == reply_to:
            return {
                "id": message["id"],
                "sender": message["sender"],
                "preview": "" if message.get("deleted_at") else message["body"][:100],
                "deleted": bool(message.get("deleted_at")),
            }
    return None


def _complete(message: dict[str, Any]) -> dict[str, Any]:
    # An example may leave out the fields newer contracts added; a message the mock
    # holds has them all, as the service's do (`mentions` is never null).
    return {"edited_at": None, "deleted_at": None, "reply_to": None, "mentions": [], **message}
