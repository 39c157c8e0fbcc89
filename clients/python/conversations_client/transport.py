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
    """A python-socketio client authenticated with a bearer token."""

    def __init__(self, url: str, token: str, *, ack_timeout: float = 10) -> None:
        self.url = url
        self.ack_timeout = ack_timeout
        self._token = token
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

    async def connect(self) -> None:
        """Connect, or raise `ConnectionRefused` with the server's `connect_error`."""
        refusals: list[Any] = []
        # The client owns its aiohttp session (Engine.IO's `http_session` option), so a
        # refused connection leaves nothing open behind it.
        self._http = aiohttp.ClientSession()
        self._sio = socketio.AsyncClient(reconnection=False, http_session=self._http)
        self._sio.on("connect_error", refusals.append)
        for event, handler in self._handlers.items():
            self._sio.on(event, handler)
        try:
            await self._sio.connect(
                self.url, auth={"token": self._token}, transports=["websocket"], wait_timeout=10
            )
        except socketio.exceptions.ConnectionError as exc:
            await self._close_session()
            refusal = _refusal(refusals)
            reason = refusal.message if refusal else str(exc)
            raise ConnectionRefused(self.url, refusal, reason) from exc

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
        async def deliver(data: Any) -> None:
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
