"""JWT bearer tokens: the only source of a caller's identity."""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from service.domain.clock import Clock
from service.domain.errors import Unauthorized
from service.validation import canonical_id

_ALGORITHM = "HS256"
_TOKEN_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_TOKEN_CHARS = 4096


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a verified token says: whose it is, which one it is, until when it holds."""

    user_id: int
    token_id: str
    expires_at: datetime


class TokenCodec:
    """Issues and verifies HS256 tokens against the service's clock.

    Time claims are checked here rather than by PyJWT, which reads the wall clock:
    with the injected clock a token's life is the same in tests on any date.
    """

    def __init__(
        self, secret: str, ttl_seconds: int, clock: Clock, issuer: str = "conversations"
    ) -> None:
        self._secret = secret
        self._ttl = ttl_seconds
        self._clock = clock
        self._issuer = issuer

    def issue(self, user_id: int) -> IssuedToken:
        now = self._clock()
        claims = {
            "sub": str(user_id),
            "iss": self._issuer,
            "iat": int(now.timestamp()),
            # Rounded up: a token never lives shorter than the expires_in it is sold with.
            "exp": math.ceil((now + timedelta(seconds=self._ttl)).timestamp()),
            "jti": secrets.token_urlsafe(18),
        }
        return IssuedToken(jwt.encode(claims, self._secret, algorithm=_ALGORITHM), self._ttl)

    def verify(self, token: object) -> TokenClaims:
        """The claims of a valid, unexpired token; raises `Unauthorized` otherwise."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise Unauthorized("Missing or invalid token.")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                issuer=self._issuer,
                options={
                    "require": ["sub", "exp", "iat", "iss", "jti"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized("Missing or invalid token.") from exc
        subject, token_id = claims["sub"], claims["jti"]
        expires, issued = claims["exp"], claims["iat"]
        user_id = canonical_id(subject) if isinstance(subject, str) else None
        if (
            user_id is None
            or not isinstance(token_id, str)
            or not _TOKEN_ID.fullmatch(token_id)
            or type(expires) is not int
            or type(issued) is not int
            or not 0 < issued < expires < 2**40  # datetime cannot hold much beyond that
        ):
            raise Unauthorized("Missing or invalid token.")
        now = self._clock().timestamp()
        if expires <= now:
            raise Unauthorized("The token has expired.")
        if issued > now + 60:  # a little leeway for clocks of several processes
            raise Unauthorized("Missing or invalid token.")
        return TokenClaims(user_id, token_id, datetime.fromtimestamp(expires, UTC))


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value, None for any other."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
