"""The in-process presence store's claims: the per-user cap held under parallel connects."""

from __future__ import annotations

import asyncio

from service.presence.store import InProcessPresenceStore


async def test_parallel_claims_never_pass_the_cap_and_settle_into_sockets() -> None:
    store = InProcessPresenceStore()
    await store.add(7, "already-open")

    claims = await asyncio.gather(*(store.claim(7, f"tab-{i}", 4) for i in range(20)))
    granted = [f"tab-{i}" for i, ok in enumerate(claims) if ok]

    assert len(granted) == 3
    assert await store.claim(7, "one-more", 4) is False
    assert await store.add(7, granted[0]) is False  # not the first: already online
    assert await store.remove(7, granted[1]) is False  # a claim given back, not a socket
    assert await store.claim(7, "after-a-refusal", 4) is True
    assert await store.claim(8, "someone-else", 4) is True
    assert await store.sids(7) == sorted(["already-open", granted[0]])
    assert await store.online([7, 8]) == {7}  # a claim is not presence
