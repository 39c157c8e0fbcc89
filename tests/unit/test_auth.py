from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from service.auth.passwords import hash_password_sync, verify_password_sync
from service.auth.tokens import TokenCodec
from service.domain.errors import Conflict, InvalidInput, Unauthorized
from tests.unit.conftest import World

SECRET = "token-test-secret-" + "y" * 32


def test_password_hash_is_salted_and_verifies() -> None:
    first, second = hash_password_sync("hunter22"), hash_password_sync("hunter22")

    assert first != second
    assert "hunter22" not in first
    assert verify_password_sync("hunter22", first)
    assert not verify_password_sync("hunter23", first)
    assert not verify_password_sync("hunter22", "garbage")


def test_token_round_trip_and_refusals() -> None:
    codec = TokenCodec(SECRET, 60)
    now = datetime.now(UTC)
    token = codec.issue(7, now).token

    assert codec.verify(token) == 7
    expired = codec.issue(7, now - timedelta(seconds=120)).token
    forged = TokenCodec("another-secret-" + "z" * 32, 60).issue(7, now).token
    unsigned = jwt.encode({"sub": "7"}, SECRET, algorithm="HS256")
    for bad in [expired, forged, unsigned, "", None, 42, "a.b.c", "x" * 5000]:
        with pytest.raises(Unauthorized):
            codec.verify(bad)


async def test_register_login_and_duplicate_username(world: World) -> None:
    users = world.services.users
    alice = await users.register("alice", "correct horse", "Alice")

    login = await users.login("alice", "correct horse")

    assert login.user == alice
    assert users.authenticate(login.token.token) == alice.id
    with pytest.raises(Conflict):
        await users.register("alice", "other password", "Other")
    with pytest.raises(Unauthorized):
        await users.login("alice", "wrong horse")
    with pytest.raises(Unauthorized):
        await users.login("nobody", "correct horse")


async def test_directory_pages_and_filters(world: World) -> None:
    for name in ["alice", "alfred", "bob", "albert"]:
        world.user(name)

    page = await world.services.users.directory("al", 0, 2)
    rest = await world.services.users.directory("al", page.next_after or 0, 2)

    assert [u.username for u in page.items] == ["alice", "alfred"]
    assert [u.username for u in rest.items] == ["albert"]
    assert rest.next_after is None


@pytest.mark.parametrize("display_name", ["   ", "nul\x00"])
async def test_register_refuses_blank_or_nul_display_names(world: World, display_name: str) -> None:
    with pytest.raises(InvalidInput):
        await world.services.users.register("alice", "correct horse", display_name)
    assert world.store.users == {}
