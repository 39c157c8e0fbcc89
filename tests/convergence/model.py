"""What a client holds, as the HTTP API answers it, and the rule by which it applies
each server event of asyncapi.yaml to it: the Python mirror of the TypeScript client's
`applyEvent` (clients/typescript/src/state.ts). Both follow the specs' descriptions;
the convergence tests hold both to a fresh fetch."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

QUOTE_PREVIEW_LENGTH = 100  # QuotedMessage.preview: the first 100 code points

Json = dict[str, Any]


@dataclass
class ClientState:
    """One user's view: their conversations (as `GET /conversations` lists them), and the
    messages and pins of the conversations whose room their socket joined."""

    me: int
    conversations: dict[int, Json] = field(default_factory=dict)
    messages: dict[int, list[Json]] = field(default_factory=dict)
    pins: dict[int, list[Json]] = field(default_factory=dict)

    def comparable(self) -> Json:
        return {
            "conversations": self.conversations,
            "messages": self.messages,
            "pins": self.pins,
        }

    def as_json(self) -> Json:
        """As the TypeScript client's `ClientState` (tests/convergence/replay.mjs)."""
        return {"me": self.me, **copy.deepcopy(self.comparable())}


async def fetch(
    http: httpx.AsyncClient, headers: dict[str, str], me: int, rooms: set[int]
) -> ClientState:
    """A fresh state over HTTP: every conversation, and the messages and pins of `rooms`."""
    state = ClientState(me)
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 100}
        if cursor is not None:
            params["cursor"] = cursor
        page = (await http.get("/conversations", headers=headers, params=params)).json()
        for conversation in page["items"]:
            state.conversations[conversation["id"]] = conversation
        cursor = page["next_cursor"]
        if cursor is None:
            break
    for cid in sorted(rooms & state.conversations.keys()):
        state.messages[cid] = await _all_messages(http, headers, cid)
        pins = (await http.get(f"/conversations/{cid}/pins", headers=headers)).json()
        state.pins[cid] = pins["pins"]
    return state


async def _all_messages(http: httpx.AsyncClient, headers: dict[str, str], cid: int) -> list[Json]:
    """The whole history, oldest first, page by page from the start."""
    messages: list[Json] = []
    while True:
        after = messages[-1]["id"] if messages else 0
        params = {"limit": 200, "after": after}
        page = (
            await http.get(f"/conversations/{cid}/messages", headers=headers, params=params)
        ).json()
        messages += page["items"]
        if not page["has_more"]:
            return messages


# --- the rules, one per server event of asyncapi.yaml -----------------------------------


def _conversation_created(state: ClientState, event: Json) -> None:
    state.conversations[event["id"]] = event


def _conversation_updated(state: ClientState, event: Json) -> None:
    held = state.conversations.get(event["conversation_id"])
    if held is None:
        return
    removed = set(event["participants_removed"])
    participants = [p for p in held["participants"] if p["id"] not in removed]
    known = {p["id"] for p in participants}
    participants += [p for p in event["participants_added"] if p["id"] not in known]
    held.update(
        title=event["title"],
        owner_id=event["owner_id"],
        updated_at=event["updated_at"],
        participants=sorted(participants, key=lambda p: p["id"]),
    )


def _conversation_activity(state: ClientState, event: Json) -> None:
    held = state.conversations.get(event["conversation_id"])
    if held is None:
        return
    held.update(last_seq=event["seq"], updated_at=event["updated_at"])
    held["last_message"] = event["last_message"]
    if event["last_message"]["sender"]["id"] == state.me:
        # Sending marks the conversation read for its sender, up to their message.
        held.update(last_read_seq=event["seq"], unread_mentions=0)
    held["unread_count"] = held["last_seq"] - held["last_read_seq"]


def _conversation_deleted(state: ClientState, event: Json) -> None:
    cid = event["conversation_id"]
    state.conversations.pop(cid, None)
    state.messages.pop(cid, None)
    state.pins.pop(cid, None)


def _message_created(state: ClientState, event: Json) -> None:
    held = state.messages.get(event["conversation_id"])
    if held is None or any(m["id"] == event["id"] for m in held):
        return
    # Events carry no reactions (they are the same for everyone): a new message has none.
    held.append({**event, "reactions": []})


def quoted(message: Json) -> Json:
    deleted = message.get("deleted_at") is not None
    preview = "" if deleted else message["body"][:QUOTE_PREVIEW_LENGTH]
    return {
        "id": message["id"],
        "sender": message["sender"],
        "preview": preview,
        "deleted": deleted,
    }


def _message_updated(state: ClientState, event: Json) -> None:
    message = event["message"]
    cid = message["conversation_id"]
    for index, held in enumerate(state.messages.get(cid, [])):
        if held["id"] == message["id"]:
            # The event's message is the same for everyone: keep the reactions held.
            state.messages[cid][index] = {**message, "reactions": held["reactions"]}
        elif (held.get("reply_to") or {}).get("id") == message["id"]:
            held["reply_to"] = quoted(message)
    for pin in state.pins.get(cid, []):
        if pin["message"]["id"] == message["id"]:
            pin["message"] = message
    conversation = state.conversations.get(cid)
    last = conversation and conversation.get("last_message")
    if last and last["id"] == message["id"]:
        last.update(
            body=message["body"],
            edited_at=message.get("edited_at"),
            deleted_at=message.get("deleted_at"),
        )


def _pins_updated(state: ClientState, event: Json) -> None:
    if event["conversation_id"] in state.pins:
        state.pins[event["conversation_id"]] = event["pins"]


def _unread_count_updated(state: ClientState, event: Json) -> None:
    held = state.conversations.get(event["conversation_id"])
    if held is None:
        return
    held.update(
        unread_count=event["unread_count"],
        last_read_seq=held["last_seq"] - event["unread_count"],
        unread_mentions=event["unread_mentions"],
    )


def _message_mentioned(state: ClientState, event: Json) -> None:
    message = event["message"]
    held = state.conversations.get(message["conversation_id"])
    if held is not None and message["seq"] > held["last_read_seq"]:
        held["unread_mentions"] += 1


def _reaction_updated(state: ClientState, event: Json) -> None:
    for message in state.messages.get(event["conversation_id"], []):
        if message["id"] != event["message_id"]:
            continue
        reactions = message["reactions"]
        before = next((r for r in reactions if r["emoji"] == event["emoji"]), None)
        if event["count"] == 0:
            message["reactions"] = [r for r in reactions if r["emoji"] != event["emoji"]]
            return
        reacted = (
            event["added"] if event["user_id"] == state.me else bool(before and before["reacted"])
        )
        now = {
            "emoji": event["emoji"],
            "count": event["count"],
            "user_ids": event["user_ids"],
            "reacted": reacted,
        }
        if before is None:
            reactions.append(now)
        else:
            reactions[reactions.index(before)] = now


def _no_state(_state: ClientState, _event: Json) -> None:
    """An event that changes nothing `GET` answers: who typed, who is online, delivery
    and read receipts of others (a reader's own badge comes by `unread_count_updated`),
    and the end of a session (the client logs in again and fetches)."""


Rule = Callable[[ClientState, Json], None]
RULES: dict[str, Rule] = {
    "conversation_created": _conversation_created,
    "conversation_updated": _conversation_updated,
    "conversation_activity": _conversation_activity,
    "conversation_deleted": _conversation_deleted,
    "message_created": _message_created,
    "message_updated": _message_updated,
    "pins_updated": _pins_updated,
    "unread_count_updated": _unread_count_updated,
    "message_mentioned": _message_mentioned,
    "reaction_updated": _reaction_updated,
    "message_read": _no_state,
    "message_delivered": _no_state,
    "typing": _no_state,
    "presence_changed": _no_state,
    "session_ended": _no_state,
}


def apply_event(state: ClientState, name: str, payload: Json) -> None:
    RULES[name](state, copy.deepcopy(payload))
