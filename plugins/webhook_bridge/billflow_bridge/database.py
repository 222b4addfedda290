"""The bridge's database: SQLite by default (one file, one machine), PostgreSQL by URL when
several bridge processes or machines share it. Alembic's migrations make its tables."""

from __future__ import annotations

from importlib import resources
from typing import Any

from sqlalchemy import Engine, create_engine, event, text

__all__ = ["VERSION_TABLE", "connect", "is_ready", "migrate", "pending_migrations"]

VERSION_TABLE = "billflow_alembic_version"


def connect(url: str) -> Engine:
    """An engine for `url`. SQLite is opened in WAL mode with a busy timeout, so the web
    process and a worker share the file without "database is locked"."""
    if url.startswith("postgres://"):  # what some hosts hand out; SQLAlchemy wants this
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("billflow_bridge") / "migrations")
    )
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the database's tables to this version's (`billflow bridge migrate`)."""
    from alembic import command

    command.upgrade(_alembic_config(engine), "head")


def pending_migrations(engine: Engine) -> list[str]:
    """The migrations the database still lacks (empty when it is current)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(engine))
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        current = set(context.get_current_heads())
    heads = set(script.get_heads())
    if heads <= current:
        return []
    found = [rev.revision for rev in script.walk_revisions() if rev.revision not in current]
    return found[::-1]  # in the order they apply


def is_ready(engine: Engine) -> bool:
    """Whether the database answers (`/readyz`)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
