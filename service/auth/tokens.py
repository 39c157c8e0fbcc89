"""JWT bearer tokens: the only source of a caller's identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from service.domain.errors import Unauthorized

_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_in: int


class TokenCodec:
    def __init__(self, secret: str, ttl_seconds: int, issuer: str = "conversations") -> None:
        self._secret = secret
        self._ttl = ttl_seconds
        self._issuer = issuer

    def issue(self, user_id: int, now: datetime) -> IssuedToken:
        claims = {
            "sub": str(user_id),
            "iss": self._issuer,
            "iat": now,
            "exp": now + timedelta(seconds=self._ttl),
        }
        return IssuedToken(jwt.encode(claims, self._secret, algorithm=_ALGORITHM), self._ttl)

    def verify(self, token: object) -> int:
        """The user id the token was issued to; raises `Unauthorized` otherwise."""
        if not isinstance(token, str) or not token or len(token) > 4096:
            raise Unauthorized("Missing or invalid token.")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                issuer=self._issuer,
                options={"require": ["sub", "exp", "iat", "iss"]},
            )
            user_id = int(claims["sub"])
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise Unauthorized("Missing or invalid token.") from exc
        if user_id < 1:
            raise Unauthorized("Missing or invalid token.")
        return user_id
