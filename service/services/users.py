"""Accounts, login and the user directory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from service.auth.addresses import AddressKeys
from service.auth.passwords import PasswordHasher
from service.auth.tokens import IssuedToken, TokenClaims, TokenCodec
from service.domain.clock import Clock
from service.domain.errors import NotFound, Unauthorized
from service.domain.model import TokenStanding, User, UserPage
from service.ratelimit import RateLimiter
from service.services import rules
from service.storage.ports import UnitOfWork

# The rate policy that bounds password guesses per account from unknown addresses.
LOGIN_ATTEMPTS_PER_ACCOUNT = "login_account"
# Addresses remembered per user: a phone, a laptop, home and office, with room to spare.
KNOWN_ADDRESSES = 16


@dataclass(frozen=True, slots=True)
class Login:
    token: IssuedToken
    user: User


class UserService:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        hasher: PasswordHasher,
        tokens: TokenCodec,
        clock: Clock,
        limits: RateLimiter,
        address_keys: AddressKeys,
    ) -> None:
        self._uow_factory = uow_factory
        self._hasher = hasher
        self._tokens = tokens
        self._clock = clock
        self._limits = limits
        self._address_keys = address_keys

    async def register(self, username: str, password: str, display_name: str) -> User:
        """Create an account; `Conflict` when the username is taken."""
        display_name = rules.display_name("display_name", display_name)
        password_hash = await self._hasher.hash(password)
        async with self._uow_factory() as uow:
            user = await uow.users.add(username, display_name, password_hash, self._clock())
            await uow.commit()
        return user

    async def login(self, username: str, password: str, address: str) -> Login:
        """A bearer token for valid credentials; `Unauthorized` otherwise.

        Attempts on one account from addresses it never logged in from are bounded
        (`RateLimited`), however many addresses they come from; its owner, at an
        address they logged in from before, is never held back by them.
        """
        if "\x00" in username:  # no account has one, and PostgreSQL rejects it in a query
            raise Unauthorized("Wrong username or password.")
        address_key = self._address_keys(address)
        async with self._uow_factory() as uow:
            credentials = await uow.users.credentials(username)
            known = credentials is not None and await uow.users.knows_address(
                credentials.user.id, address_key
            )
        if not known:
            # Counted before the password is checked: parallel guesses cannot all slip
            # in before the first failure is counted.
            await self._limits.hit(LOGIN_ATTEMPTS_PER_ACCOUNT, username)
        encoded = None if credentials is None else credentials.password_hash
        if not await self._hasher.verify(password, encoded) or credentials is None:
            raise Unauthorized("Wrong username or password.")
        user = credentials.user
        async with self._uow_factory() as uow:
            await uow.users.remember_address(user.id, address_key, self._clock(), KNOWN_ADDRESSES)
            await uow.commit()
        return Login(self._tokens.issue(user.id), user)

    async def authenticate(self, token: object) -> TokenClaims:
        """The claims of a bearer token whose user exists; `Unauthorized` otherwise."""
        claims = self._tokens.verify(token)
        async with self._uow_factory() as uow:
            await require_standing(uow, claims)
        return claims

    async def open_socket(self, token: object) -> tuple[TokenClaims, list[int]]:
        """What a socket's handshake needs, read in one transaction: the token's claims
        (`Unauthorized` as `authenticate`) and the ids of its user's conversations."""
        claims = self._tokens.verify(token)
        async with self._uow_factory() as uow:
            await require_standing(uow, claims)
            conversation_ids = await uow.queries.conversation_ids(claims.user_id)
        return claims, conversation_ids

    async def get(self, user_id: int) -> User:
        """One user; `NotFound` when there is none."""
        async with self._uow_factory() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound(f"User {user_id} does not exist.")
        return user

    async def me(self, user_id: int) -> User:
        """The authenticated user; `Unauthorized` when the token outlived the account."""
        async with self._uow_factory() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise Unauthorized("The token's user no longer exists.")
        return user

    async def directory(self, prefix: str | None, after: int, limit: int) -> UserPage:
        """Users by id, filtered by a username or display-name prefix."""
        async with self._uow_factory() as uow:
            users = await uow.queries.search_users(prefix, after, limit + 1)
        page = tuple(users[:limit])
        next_after = page[-1].id if len(users) > limit else None
        return UserPage(page, next_after)

    async def ping(self) -> None:
        """Raise when the database does not answer."""
        async with self._uow_factory() as uow:
            await uow.ping()


async def require_standing(uow: UnitOfWork, claims: TokenClaims) -> None:
    """`Unauthorized` unless the token's user exists and the token was not revoked.

    Asked of the database on every request, not cached: a logout must hold at once on
    every process, and limits keyed on the user must count only its valid tokens.
    """
    standing = await uow.queries.token_standing(claims.user_id, claims.token_id)
    if standing is TokenStanding.NO_USER:
        raise Unauthorized("The token's user no longer exists.")
    if standing is TokenStanding.REVOKED:
        raise Unauthorized("The token was revoked by logging out.")
