"""The hand-written half of the client: how a call travels. The generated halves
(`http.py`, `socket.py`) give every operation and event its typed signature and call
these."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
import httpx
import socketio
from pydantic import BaseModel, ValidationError

from conversations_client import models
from conversations_client.errors import AckRefused, ConnectionRefused, ProblemError

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[M], Awaitable[None] | None]
Query = Mapping[str, str | int | datetime | None]


class Closing:
    """`async with` opens a client and closes it, whatever happens inside."""

    async def open(self) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class HttpTransport(Closing):
    """An httpx client bound to one service and, once logged in, one bearer token."""

    def __init__(
        self, base_url: str, token: str | None = None, *, http: httpx.AsyncClient | None = None
    ) -> None:
        self.token = token
        self._http = http or httpx.AsyncClient(base_url=base_url, timeout=10)

    async def open(self) -> None:
        """Nothing to do: httpx connects on the first request."""

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(
        self, method: str, path: str, body: BaseModel | None, query: Query | None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        params = {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in (query or {}).items()
            if value is not None
        }
        response = await self._http.request(
            method,
            path,
            params=params,
            headers=headers,
            json=None if body is None else body.model_dump(mode="json", exclude_none=True),
        )
        if response.is_error:
            raise ProblemError(_problem(response))
        return response

    async def _json(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        body: BaseModel | None = None,
        query: Query | None = None,
    ) -> M:
        response = await self._send(method, path, body, query)
        return model.model_validate_json(response.content)

    async def _text(self, method: str, path: str) -> str:
        return (await self._send(method, path, None, None)).text

    async def _empty(self, method: str, path: str, *, body: BaseModel | None = None) -> None:
        await self._send(method, path, body, None)


def _problem(response: httpx.Response) -> models.Problem:
    """The problem document; a proxy's HTML error page becomes a problem too, so callers
    catch one exception type."""
    try:
        return models.Problem.model_validate_json(response.content)
    except ValidationError:
        return models.Problem(
            type="about:blank",
            title=response.reason_phrase or "HTTP error",
            status=response.status_code,
            code="bad_request" if response.is_client_error else "internal_error",
            detail=response.text[:500] or None,
        )


class SocketTransport(Closing):
    """A python-socketio client authenticated with a bearer token, that resumes.

    It asks for positions (asyncapi.yaml, "Resuming") and keeps the newest one with the
    session of the last `sync`; each later `connect()` presents them, so the server
    replays what the socket missed. Read `sync` (or register `on_sync`): when
    `sync.resumed` is false, refetch what you hold. With `reconnect=True`,
    python-socketio reconnects by itself after a drop, resuming the same way.
    """

    def __init__(
        self, url: str, token: str, *, ack_timeout: float = 10, reconnect: bool = False
    ) -> None:
        self.url = url
        self.ack_timeout = ack_timeout
        self.reconnect = reconnect
        # The last `sync` of this client's connections; None before the first.
        self.sync: models.SyncState | None = None
        self._token = token
        self._position: str | None = None
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._sio: Any = None
        self._http: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        await self.connect()

    async def aclose(self) -> None:
        await self.disconnect()

    @property
    def connected(self) -> bool:
        return self._sio is not None and bool(self._sio.connected)

    def resume_request(self) -> dict[str, str]:
        """The handshake's `auth.resume`: the session and newest position, once known."""
        if self.sync is None or self._position is None:
            return {}
        return {"session": self.sync.session, "position": self._position}

    async def connect(self) -> None:
        """Connect (resuming when an earlier connection left a position), or raise
        `ConnectionRefused` with the server's `connect_error`."""
        refusals: list[Any] = []
        # The client owns its aiohttp session (Engine.IO's `http_session` option), so a
        # refused connection leaves nothing open behind it.
        self._http = aiohttp.ClientSession()
        self._sio = socketio.AsyncClient(reconnection=self.reconnect, http_session=self._http)
        self._sio.on("connect_error", refusals.append)
        # Events nobody listens to still move the position (python-socketio hands the
        # catch-all only events without a handler of their own).
        self._sio.on("*", lambda event, *args: self._note(event, args))
        if "sync" not in self._handlers:
            self._sio.on("sync", lambda *args: self._note("sync", args))
        for event, handler in self._handlers.items():
            self._sio.on(event, handler)
        try:
            # A callable: python-socketio asks again on each reconnect, for the newest.
            await self._sio.connect(
                self.url, auth=self._auth, transports=["websocket"], wait_timeout=10
            )
        except socketio.exceptions.ConnectionError as exc:
            await self._close_session()
            refusal = _refusal(refusals)
            reason = refusal.message if refusal else str(exc)
            raise ConnectionRefused(self.url, refusal, reason) from exc

    def _auth(self) -> dict[str, Any]:
        return {"token": self._token, "resume": self.resume_request()}

    def _note(self, event: str, args: tuple[Any, ...]) -> None:
        """Keep the session of `sync`, and the position an event came with."""
        if event == "sync" and args:
            self.sync = models.SyncState.model_validate(args[0])
            self._position = self.sync.position
        elif len(args) == 2 and isinstance(args[1], str):
            self._position = args[1]

    async def disconnect(self) -> None:
        if self._sio is not None:
            await self._sio.disconnect()
        await self._close_session()

    async def wait(self) -> None:
        """Until the connection ends (the server's `session_ended`, say)."""
        if self._sio is not None:
            await self._sio.wait()

    def on_disconnect(self, handler: Callable[[], Awaitable[None] | None]) -> None:
        self._register("disconnect", lambda *_reason: handler())

    async def _close_session(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _register(self, event: str, handler: Callable[..., Any]) -> None:
        self._handlers[event] = handler
        if self._sio is not None:
            self._sio.on(event, handler)

    async def _ack(self, event: str, payload: BaseModel, success: type[M]) -> M:
        if not self.connected:
            raise ConnectionError(f"{event}: the socket is not connected")
        reply = await self._sio.call(
            event, payload.model_dump(mode="json", exclude_none=True), timeout=self.ack_timeout
        )
        if isinstance(reply, dict) and reply.get("ok") is False:
            raise AckRefused(event, models.AckError.model_validate(reply).error)
        return success.model_validate(reply)

    def _on(self, event: str, model: type[M], handler: Handler[M]) -> None:
        async def deliver(data: Any, *position: Any) -> None:
            self._note(event, (data, *position))
            outcome = handler(model.model_validate(data))
            if inspect.isawaitable(outcome):
                await outcome

        self._register(event, deliver)


def _refusal(refusals: list[Any]) -> models.ConnectError | None:
    """python-socketio hands `connect_error` listeners the packet's data: the message
    and `data` object for a refusal, something else for a failed transport."""
    for refusal in refusals:
        try:
            return models.ConnectError.model_validate(refusal)
        except ValidationError:
            continue
    return None
