"""How the load client sets up and drives each server: ours through its HTTP API, as
a client would (distinct users, each registered and logged in, their own token); the
reference servers through the one `POST /send` they have, with the user's id as token.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

PASSWORD = "bench-password-1"
# The contract caps one request's participant list; larger groups grow by additions.
_PER_REQUEST = 200


@dataclass(frozen=True)
class User:
    id: int
    token: str


class Target(Protocol):
    async def users(self, count: int) -> list[User]: ...

    async def group(self, members: list[User]) -> int:
        """A new conversation of these members, the first one creating it."""
        ...

    async def post(self, sender: User, conversation_id: int, body: str) -> None: ...

    refused: int


class Ours:
    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self._http = http
        self._base = base_url
        self.refused = 0  # sends answered 503 (the server pushing back), then retried

    async def users(self, count: int) -> list[User]:
        # Registration and login each hash a password (scrypt, tens of ms): the server
        # has one core, so a few at a time is as fast as it goes.
        gate = asyncio.Semaphore(4)

        async def one(n: int) -> User:
            async with gate:
                account = {"username": f"user{n}", "password": PASSWORD, "display_name": f"U{n}"}
                registered = await self._json("POST", "/auth/register", None, account, 201)
                login = {"username": account["username"], "password": PASSWORD}
                session = await self._json("POST", "/auth/login", None, login, 200)
                return User(registered["id"], session["access_token"])

        return list(await asyncio.gather(*(one(n) for n in range(count))))

    async def group(self, members: list[User]) -> int:
        owner, others = members[0], [m.id for m in members[1:]]
        body = {"kind": "group", "title": "Bench", "participant_ids": others[:_PER_REQUEST]}
        created = await self._json("POST", "/conversations", owner, body, 201)
        conversation_id: int = created["id"]
        for start in range(_PER_REQUEST, len(others), _PER_REQUEST):
            more = {"user_ids": others[start : start + _PER_REQUEST]}
            path = f"/conversations/{conversation_id}/participants"
            await self._json("POST", path, owner, more, 200)
        return conversation_id

    async def post(self, sender: User, conversation_id: int, body: str) -> None:
        """Post as a client would: a server that is behind answers 503 with Retry-After,
        and the same send (same `client_message_id`) is tried again after it."""
        path = f"/conversations/{conversation_id}/messages"
        message = {"body": body, "client_message_id": uuid.uuid4().hex}
        headers = {"Authorization": f"Bearer {sender.token}"}
        while True:
            async with self._http.post(self._base + path, json=message, headers=headers) as answer:
                if answer.status == 201:
                    return
                if answer.status != 503:
                    raise RuntimeError(f"POST {path}: {answer.status} {await answer.text()}")
                self.refused += 1
                await asyncio.sleep(float(answer.headers.get("Retry-After", "1")))

    async def _json(
        self, method: str, path: str, user: User | None, body: object, status: int
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {user.token}"} if user else {}
        async with self._http.request(
            method, self._base + path, json=body, headers=headers
        ) as response:
            if response.status != status:
                raise RuntimeError(f"{method} {path}: {response.status} {await response.text()}")
            result: dict[str, Any] = await response.json()
            return result


class Reference:
    """bare python-socketio, the seed stack and Node socket.io: no accounts, no storage
    of conversations; rooms are joined by id."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self._http = http
        self._base = base_url
        self._groups = 0
        self.refused = 0  # they never push back

    async def users(self, count: int) -> list[User]:
        return [User(n + 1, str(n + 1)) for n in range(count)]

    async def group(self, members: list[User]) -> int:
        self._groups += 1
        return self._groups

    async def post(self, sender: User, conversation_id: int, body: str) -> None:
        payload = {"conversation_id": conversation_id, "sender_id": sender.id, "body": body}
        async with self._http.post(self._base + "/send", json=payload) as response:
            if response.status != 201:
                raise RuntimeError(f"POST /send: {response.status}")
