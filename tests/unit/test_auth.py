from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from service.auth.passwords import hash_password_sync, verify_password_sync
from service.auth.tokens import TokenCodec
from service.domain.errors import Conflict, InvalidInput, Unauthorized
from tests.fakes import TickingClock
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
    clock = TickingClock()
    codec = TokenCodec(SECRET, 60, clock)
    token = codec.issue(7).token

    assert codec.verify(token).user_id == 7
    forged = TokenCodec("another-secret-" + "z" * 32, 60, clock).issue(7).token
    unsigned = jwt.encode({"sub": "7"}, SECRET, algorithm="HS256")
    for bad in [forged, unsigned, "", None, 42, "a.b.c", "x" * 5000]:
        with pytest.raises(Unauthorized):
            codec.verify(bad)


def test_token_expires_by_the_service_clock_not_the_wall_clock() -> None:
    # Issued in 1999: the wall clock would call it long expired, the service's does not.
    clock = TickingClock(datetime(1999, 1, 1, tzinfo=UTC))
    codec = TokenCodec(SECRET, 60, clock)
    token = codec.issue(7).token

    assert codec.verify(token).expires_at == datetime(1999, 1, 1, 0, 1, 1, tzinfo=UTC)
    clock.now += timedelta(seconds=57)
    assert codec.verify(token).user_id == 7
    clock.now += timedelta(seconds=1)
    with pytest.raises(Unauthorized, match="expired"):
        codec.verify(token)


def _signed(claims: dict[str, object]) -> str:
    base: dict[str, object] = {
        "sub": "7",
        "iss": "conversations",
        "iat": int(datetime(2030, 1, 1, tzinfo=UTC).timestamp()),
        "exp": int(datetime(2030, 1, 2, tzinfo=UTC).timestamp()),
        "jti": "a" * 24,
    }
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": " 7 "},
        {"sub": "+7"},
        {"sub": "0_7"},
        {"sub": "7_0"},
        {"sub": "\u0667"},  # ARABIC-INDIC DIGIT SEVEN
        {"sub": "07"},
        {"sub": "0"},
        {"sub": "-7"},
        {"sub": str(2**63)},
        {"sub": str(2**53)},
        {"sub": 7},
        {"jti": "short"},
        {"jti": 5},
        {"exp": 10**20},
        {"exp": "1900000000"},
        {"iat": int(datetime(2030, 1, 1, 1, tzinfo=UTC).timestamp())},  # issued in the future
        {"iss": "someone-else"},
    ],
)
def test_token_claims_are_parsed_strictly(claims: dict[str, object]) -> None:
    codec = TokenCodec(SECRET, 60, TickingClock(datetime(2030, 1, 1, tzinfo=UTC)))
    assert codec.verify(_signed({})).user_id == 7  # the base token itself is fine

    with pytest.raises(Unauthorized):
        codec.verify(_signed(claims))


async def test_register_login_and_duplicate_username(world: World) -> None:
    users = world.services.users
    alice = await users.register("alice", "correct horse", "Alice")

    login = await users.login("alice", "correct horse", "192.0.2.1")

    assert login.user == alice
    assert (await users.authenticate(login.token.token)).user_id == alice.id
    with pytest.raises(Conflict):
        await users.register("alice", "other password", "Other")
    with pytest.raises(Unauthorized):
        await users.login("alice", "wrong horse", "192.0.2.1")
    with pytest.raises(Unauthorized):
        await users.login("nobody", "correct horse", "192.0.2.1")


async def test_a_token_whose_user_does_not_exist_is_refused(world: World) -> None:
    alice = await world.services.users.register("alice", "correct horse", "Alice")
    token = (await world.services.users.login("alice", "correct horse", "192.0.2.1")).token.token
    world.sql("DELETE FROM users WHERE id = ?", alice.id)

    with pytest.raises(Unauthorized, match="no longer exists"):
        await world.services.users.authenticate(token)


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
    assert world.ids("users") == []
