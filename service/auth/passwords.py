"""Password hashing with scrypt (standard library), salted per password."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets

# Django's scrypt defaults: about 16 MiB and tens of milliseconds per hash.
_N, _R, _P, _DKLEN = 2**14, 8, 1, 64
_SCHEME = "scrypt"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=64 * 1024 * 1024
    )


def hash_password_sync(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, _N, _R, _P, _DKLEN)
    return f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password_sync(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        expected = base64.b64decode(digest)
        if scheme != _SCHEME:
            return False
        actual = _derive(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


# A hash to check against when the username is unknown, so that a login for a
# missing user costs the same time as one with a wrong password.
_DECOY = hash_password_sync(secrets.token_urlsafe(16))


class PasswordHasher:
    """Hashes off the event loop: scrypt is deliberately slow."""

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(hash_password_sync, password)

    async def verify(self, password: str, encoded: str | None) -> bool:
        ok = await asyncio.to_thread(verify_password_sync, password, encoded or _DECOY)
        return ok and encoded is not None
