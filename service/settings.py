"""Settings from environment variables, read when the app is created."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

_PREFIX = "CHAT_"
_REPO_SPECS = Path(__file__).resolve().parent.parent / "specs"


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///./chat.db"
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48), repr=False)
    token_ttl_seconds: int = 86_400
    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 65_536
    specs_dir: str = str(_REPO_SPECS)
    log_level: str = "INFO"
    # With Redis, several processes share rooms (python-socketio's Redis manager) and
    # presence; without it, one process holds both in memory.
    redis_url: str | None = None
    typing_ttl_seconds: int = 6

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from `CHAT_*` variables; unset ones keep their defaults."""

        def get(name: str) -> str | None:
            value = env.get(_PREFIX + name)
            return value.strip() if value is not None and value.strip() else None

        def integer(name: str, default: int) -> int:
            raw = get(name)
            if raw is None:
                return default
            try:
                return int(raw)
            except ValueError as exc:
                raise SettingsError(f"{_PREFIX}{name} must be an integer, not {raw!r}") from exc

        secret = get("JWT_SECRET")
        if secret is None:
            log.warning(
                "CHAT_JWT_SECRET is not set: using a random secret, so tokens die with "
                "this process and are not shared with other processes"
            )
            secret = secrets.token_urlsafe(48)
        elif len(secret) < 32:
            raise SettingsError("CHAT_JWT_SECRET must be at least 32 characters")
        origins = get("CORS_ORIGINS")
        return cls(
            database_url=get("DATABASE_URL") or cls.database_url,
            jwt_secret=secret,
            token_ttl_seconds=integer("TOKEN_TTL_SECONDS", cls.token_ttl_seconds),
            host=get("HOST") or cls.host,
            port=integer("PORT", cls.port),
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip())
            if origins
            else (),
            max_body_bytes=integer("MAX_BODY_BYTES", cls.max_body_bytes),
            specs_dir=get("SPECS_DIR") or cls.specs_dir,
            log_level=(get("LOG_LEVEL") or cls.log_level).upper(),
            redis_url=get("REDIS_URL"),
            typing_ttl_seconds=integer("TYPING_TTL_SECONDS", cls.typing_ttl_seconds),
        )
