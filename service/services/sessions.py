"""Socket sessions: they last as long as their token, and end on logout or expiry."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from service.auth.tokens import TokenClaims
from service.background import BackgroundTasks
from service.domain.clock import Clock
from service.domain.errors import Unauthorized
from service.domain.events import SessionEnded, SessionEndReason
from service.outlet.port import EventOutlet
from service.services.users import UserService
from service.storage.ports import UnitOfWork


@dataclass
class _Expiry:
    sockets: int
    timer: asyncio.TimerHandle


@dataclass
class SessionService:
    """Expiry timers for the tokens of this process's sockets, refresh, and logout.

    One timer per token however many of its sockets this process holds; each process
    ends its own sockets, and a logout reaches the others through the event outlet.
    """

    uow_factory: Callable[[], UnitOfWork]
    users: UserService
    events: EventOutlet
    clock: Clock
    _expiries: dict[str, _Expiry] = field(default_factory=dict)
    _ending: BackgroundTasks = field(default_factory=BackgroundTasks)

    def opened(self, claims: TokenClaims) -> None:
        """A socket connected (or refreshed) with this token."""
        expiry = self._expiries.get(claims.token_id)
        if expiry is not None:
            expiry.sockets += 1
            return
        delay = max(0.0, (claims.expires_at - self.clock()).total_seconds())
        timer = asyncio.get_running_loop().call_later(delay, self._expire, claims.token_id)
        self._expiries[claims.token_id] = _Expiry(1, timer)

    def closed(self, token_id: str) -> None:
        """A socket of this token disconnected (or refreshed to another token)."""
        expiry = self._expiries.get(token_id)
        if expiry is None:
            return
        expiry.sockets -= 1
        if expiry.sockets <= 0:
            expiry.timer.cancel()
            del self._expiries[token_id]

    async def refresh(self, user_id: int, token: str) -> TokenClaims:
        """The claims of `token` if it is valid and `user_id`'s; `Unauthorized` otherwise."""
        claims = await self.users.authenticate(token)
        if claims.user_id != user_id:
            raise Unauthorized("The token belongs to another user.")
        return claims

    def expires_in(self, claims: TokenClaims) -> int:
        return max(0, int((claims.expires_at - self.clock()).total_seconds()))

    async def logout(self, claims: TokenClaims) -> None:
        """Revoke the token everywhere and end its sockets' sessions."""
        async with self.uow_factory() as uow:
            await uow.revoked_tokens.add(claims.token_id, claims.expires_at)
            # Revocations of expired tokens guard nothing: the token is refused anyway.
            await uow.revoked_tokens.purge(self.clock())
            await uow.commit()
        await self.events.publish(SessionEnded(claims.token_id, SessionEndReason.LOGGED_OUT))

    def _expire(self, token_id: str) -> None:
        self._expiries.pop(token_id, None)
        event = SessionEnded(token_id, SessionEndReason.EXPIRED)
        self._ending.start(self.events.publish(event))
