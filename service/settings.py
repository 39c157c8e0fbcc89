"""Settings from `CHAT_*` environment variables (pydantic-settings), read when the app is
created, never at import time. A bad value is one line naming its variable."""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import Annotated, Literal

from limits import parse
from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_PREFIX = "CHAT_"
# An installed wheel carries the specs as service/contract/ (setup.py); a checkout
# serves the repository's own.
_PACKAGED_SPECS = Path(__file__).resolve().parent / "contract"
_SPECS = _PACKAGED_SPECS if _PACKAGED_SPECS.is_dir() else _PACKAGED_SPECS.parents[1] / "specs"


def _rate(text: str) -> str:
    parse(text)  # ValueError: "couldn't parse rate limit string ..."
    return text


RateText = Annotated[str, AfterValidator(_rate)]
Port = Annotated[int, Field(ge=0, le=65_535)]
Seconds = Annotated[int, Field(ge=1, le=31_536_000)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=_PREFIX, env_ignore_empty=True, frozen=True, extra="ignore"
    )

    database_url: str = Field(default="sqlite+aiosqlite:///./chat.db", pattern=r"^[a-z0-9+]+://")
    # HS256 signing key shared by every process; random (and announced) when unset.
    jwt_secret: str = Field(
        default_factory=lambda: secrets.token_urlsafe(48), min_length=32, repr=False
    )
    token_ttl_seconds: Seconds = 86_400
    host: str = "127.0.0.1"
    port: Port = 8000
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # The proxies (addresses or networks) whose X-Forwarded-For / X-Forwarded-Proto are
    # believed; the client address every per-address limit keys on is then the one they
    # report. None by default: a header anyone can send names nobody.
    forwarded_allow_ips: Annotated[tuple[str, ...], NoDecode] = ()
    max_body_bytes: Annotated[int, Field(ge=1024, le=16 * 1024 * 1024)] = 65_536
    specs_dir: str = str(_SPECS)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # With Redis, several processes share rooms (python-socketio's Redis manager) and
    # presence; without it, one process holds both in memory.
    redis_url: str | None = Field(default=None, pattern=r"^rediss?://")
    typing_ttl_seconds: Seconds = 6
    # Presence changes are gathered this long and told together (reconnect storms).
    presence_interval_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0
    # Abuse bounds (limits' notation: "20/minute", "30 per 10 seconds"). Counted in
    # process memory, or in Redis with CHAT_REDIS_URL so every process counts alike.
    rate_auth: RateText = "20/minute"  # logins and registrations per client address
    # Password attempts on one account from addresses it never logged in from, however
    # many addresses they come from; its owner's known addresses are never held back.
    rate_login_per_account: RateText = "10/hour"
    rate_send: RateText = "30 per 10 seconds"  # messages sent per user
    rate_edit: RateText = "30 per 10 seconds"  # edits, deletions, pins, reactions per user
    # Pins per conversation; the spec's PinList holds at most 50.
    max_pins: Annotated[int, Field(ge=1, le=50)] = 50
    rate_socket_events: RateText = "100 per 10 seconds"  # client events per user
    rate_handshakes: RateText = "60/minute"  # new Socket.IO connections per client address
    max_sockets_per_user: Annotated[int, Field(ge=1, le=1000)] = 16
    # Open Socket.IO connections per client address; offices behind one NAT need room.
    max_connections_per_address: Annotated[int, Field(ge=1, le=1_000_000)] = 256
    # Engine.IO heartbeat: a socket that answers no ping within the timeout is closed.
    ping_interval_seconds: Annotated[float, Field(gt=0, le=300)] = 25.0
    ping_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 20.0
    # Packets waiting for one socket before it is watched; a watched socket whose queue
    # does not shrink for slow_socket_seconds is closed (its client sees the close).
    max_queued_packets: Annotated[int, Field(ge=16, le=1_000_000)] = 1000
    slow_socket_seconds: Annotated[float, Field(gt=0, le=300)] = 10.0
    # Packets queued for all of a process's sockets before senders wait for the writers;
    # a send still waiting after backlog_wait_seconds is refused (503 unavailable).
    max_backlog_packets: Annotated[int, Field(ge=1000, le=100_000_000)] = 200_000
    backlog_wait_seconds: Annotated[float, Field(gt=0, le=300)] = 10.0
    # How long a process keeps the events it sent, and a closed socket's session, so
    # that a client reconnecting within it resumes instead of refetching (asyncapi.yaml,
    # "Resuming"); at most resume_log_size events are kept, and a resume that missed
    # more than resume_max_events is told to refetch instead.
    resume_seconds: Annotated[int, Field(ge=1, le=86_400)] = 120
    resume_log_size: Annotated[int, Field(ge=100, le=10_000_000)] = 100_000
    resume_max_events: Annotated[int, Field(ge=1, le=100_000)] = 2000
    # uvicorn's WebSocket implementation; each writes with backpressure, which the
    # slow-socket watch relies on. The default is the fastest under `make bench`.
    ws_implementation: Literal["websockets-sansio", "websockets", "wsproto"] = "websockets-sansio"
    # A client must send a request's headers within this many seconds (slowloris).
    header_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 10.0
    # ... and the body within this many seconds after the headers (slow POST).
    body_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    # python-socketio's Socket.IO Admin UI instrumentation, on namespace /admin: off
    # unless both are set. Its own credentials, never a user's token.
    admin_ui_username: str | None = Field(default=None, min_length=1)
    admin_ui_password: SecretStr | None = Field(default=None, min_length=12, repr=False)
    # The Admin UI only watches: python-socketio's production mode keeps no socket list
    # for its emit/join/disconnect actions, so offering them would be a lie.
    admin_ui_read_only: Literal[True] = True
    # Admin UI sign-in attempts, all addresses together (the UI cannot see addresses).
    rate_admin_ui: RateText = "10/minute"
    # A bearer token Prometheus must present to read /metrics; /metrics is open without.
    metrics_token: SecretStr | None = Field(default=None, min_length=16, repr=False)

    @field_validator("cors_origins", "forwarded_allow_ips", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            ipaddress.ip_network(item, strict=False)  # ValueError names the bad one
        return value

    @model_validator(mode="after")
    def _admin_ui_credentials_in_pairs(self) -> Settings:
        if (self.admin_ui_username is None) != (self.admin_ui_password is None):
            raise ValueError(
                "set both CHAT_ADMIN_UI_USERNAME and CHAT_ADMIN_UI_PASSWORD, or neither"
            )
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def jwt_secret_is_random(self) -> bool:
        return "jwt_secret" not in self.model_fields_set


def describe(error: ValidationError) -> str:
    """One line naming each bad variable: `CHAT_PORT: Input should be ... (got 'x')`."""
    parts = []
    for item in error.errors(include_url=False):
        name = _PREFIX + str(item["loc"][0]).upper() if item["loc"] else "settings"
        got = item.get("input")
        shown = "" if name == "CHAT_JWT_SECRET" else f" (got {str(got)[:64]!r})"
        parts.append(f"{name}: {item['msg']}{shown}")
    return "; ".join(parts)
