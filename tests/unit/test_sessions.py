from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from service.auth.tokens import TokenClaims
from service.domain.errors import Unauthorized
from service.domain.events import SessionEnded, SessionEndReason
from tests.unit.conftest import World


async def _login(world: World, username: str) -> tuple[str, TokenClaims]:
    users = world.services.users
    await users.register(username, "correct horse", username.title())
    token = (await users.login(username, "correct horse", "192.0.2.1")).token.token
    return token, await users.authenticate(token)


async def _turns(count: int = 3) -> None:
    for _ in range(count):  # let callbacks scheduled with no delay, and their tasks, run
        await asyncio.sleep(0)


async def test_logout_revokes_the_token_and_ends_its_sessions(world: World) -> None:
    token, claims = await _login(world, "alice")
    other_device, _ = await _login(world, "alice2")

    await world.services.sessions.logout(claims)

    assert world.session_events == [SessionEnded(claims.token_id, SessionEndReason.LOGGED_OUT)]
    with pytest.raises(Unauthorized, match="revoked"):
        await world.services.users.authenticate(token)
    assert (await world.services.users.authenticate(other_device)).user_id != claims.user_id


async def test_revocations_of_expired_tokens_are_purged_on_logout(world: World) -> None:
    _, old = await _login(world, "alice")
    _, new = await _login(world, "bob")
    await world.services.sessions.logout(old)
    world.clock.now = old.expires_at + timedelta(seconds=1)

    await world.services.sessions.logout(new)

    assert world.ids("revoked_tokens") == [new.token_id]


async def test_a_token_s_sessions_end_when_it_expires(world: World) -> None:
    _, claims = await _login(world, "alice")
    expired = TokenClaims(claims.user_id, claims.token_id, world.clock.now - timedelta(seconds=1))

    world.services.sessions.opened(expired)
    await _turns()

    assert world.session_events == [SessionEnded(claims.token_id, SessionEndReason.EXPIRED)]


async def test_the_expiry_is_cancelled_when_the_token_s_last_socket_leaves(
    world: World,
) -> None:
    _, claims = await _login(world, "alice")
    expired = TokenClaims(claims.user_id, claims.token_id, world.clock.now - timedelta(seconds=1))
    sessions = world.services.sessions

    sessions.opened(expired)
    sessions.opened(expired)  # a second tab with the same token
    sessions.closed(expired.token_id)
    sessions.closed(expired.token_id)
    await _turns()

    assert world.session_events == []


async def test_refresh_takes_only_a_valid_token_of_the_same_user(world: World) -> None:
    token, claims = await _login(world, "alice")
    other, _ = await _login(world, "bob")
    sessions = world.services.sessions

    refreshed = await sessions.refresh(claims.user_id, token)
    with pytest.raises(Unauthorized, match="another user"):
        await sessions.refresh(claims.user_id, other)
    with pytest.raises(Unauthorized):
        await sessions.refresh(claims.user_id, "not-a-token")
    await sessions.logout(claims)
    with pytest.raises(Unauthorized, match="revoked"):
        await sessions.refresh(claims.user_id, token)

    assert refreshed == claims
    world.clock.now = claims.expires_at - timedelta(seconds=100)
    assert sessions.expires_in(claims) == 99  # the ticking clock moves a second per reading
