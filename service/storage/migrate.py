"""Bring a database to the newest schema with the Alembic migrations, at startup."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from service.storage.database import create_engine

log = logging.getLogger(__name__)

_SCRIPTS = Path(__file__).resolve().parent / "migrations"
# Any constant will do: it only has to be the same in every process.
_ADVISORY_LOCK = 7_240_105_311
# Databases made before migrations existed were built with create_all from the same
# tables as revision 0001.
_UNVERSIONED_REVISION = "0001"


async def migrate(engine: AsyncEngine) -> None:
    """Apply every pending migration; safe when several processes start at once."""
    if engine.dialect.name != "sqlite":
        async with engine.connect() as connection:
            await connection.run_sync(_upgrade)
            await connection.commit()
        return
    # SQLite's way to alter a table (https://sqlite.org/lang_altertable.html): with
    # foreign keys off, rebuild, then check that every reference still holds.
    unenforced = create_engine(engine.url.render_as_string(hide_password=False), foreign_keys=False)
    try:
        async with unenforced.connect() as connection:
            await connection.run_sync(_upgrade)
            broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
            if broken:
                raise RuntimeError(f"migrating left broken references: {broken[:5]}")
            await connection.commit()
    finally:
        await unenforced.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for our migrations, run on `connection` when given."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Held until commit: a second process waits, then finds nothing left to do.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
    config = alembic_config(connection)
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" not in tables and "users" in tables:
        log.warning("adopting an unversioned database as revision %s", _UNVERSIONED_REVISION)
        command.stamp(config, _UNVERSIONED_REVISION)
    command.upgrade(config, "head")
