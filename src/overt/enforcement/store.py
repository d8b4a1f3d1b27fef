"""Where enforcement data lives: a SQLite file by default (``overt.db``), PostgreSQL in production.

The database is named by ``--database``, else ``OVERT_DATABASE_URL``, else ``sqlite:///overt.db`` in the current
folder. Any SQLAlchemy URL works; PostgreSQL URLs use psycopg 3 (``postgresql+psycopg://user@host/db``; a plain
``postgresql://`` URL is read the same way).

:func:`open_store` brings the schema up to date with the Alembic migrations (recording the upgrade in the audit
log) and, on a new database, stores the shipped default policies, so that ``overt policy list`` works on a fresh
machine. Every write goes through :meth:`Store.transaction`: one transaction, committed only if the audit guard
(:func:`overt.enforcement.audit.install_guard`) finds an event for every audited change.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from overt.enforcement import audit
from overt.errors import OvertError

DEFAULT_URL = "sqlite:///overt.db"
MIGRATIONS = Path(__file__).parent / "migrations"


class StoreError(OvertError):
    """The enforcement database cannot be opened or migrated."""


class AuditedSession(Session):
    """A session whose commits are checked by the audit guard."""


audit.install_guard(AuditedSession)


def database_url(url: str | None = None) -> str:
    """The database to use: ``url``, else ``OVERT_DATABASE_URL``, else ``sqlite:///overt.db``."""
    chosen = url or os.environ.get("OVERT_DATABASE_URL") or DEFAULT_URL
    if chosen.startswith("postgresql://"):
        chosen = "postgresql+psycopg://" + chosen.removeprefix("postgresql://")
    return chosen


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise StoreError(
            f"not a database URL: {url!r} (e.g. sqlite:///overt.db or postgresql://user@host/db)"
        ) from error
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).expanduser().parent
        if not folder.is_dir():
            raise StoreError(f"{url}: folder {folder} does not exist")
    engine = create_engine(parsed)

    # pysqlite opens transactions lazily and as readers; BEGIN IMMEDIATE takes the write lock at the start, so two
    # writers cannot both read the same audit head and append after it. (The documented SQLAlchemy recipe.)
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config(connection: Any = None) -> Config:
    """The Alembic configuration of the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


class Store:
    """An open enforcement database: an engine and a factory of audited sessions."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        self.engine = _engine(self.url)
        self.sessions = sessionmaker(self.engine, class_=AuditedSession, expire_on_commit=False)

    def __repr__(self) -> str:
        return f"Store({make_url(self.url).render_as_string(hide_password=True)!r})"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only."""
        with self.sessions() as session:
            yield session

    def revision(self) -> str | None:
        """The schema revision the database is at (None when it has no schema yet)."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head(self) -> str | None:
        """The newest schema revision this version of overt knows."""
        return ScriptDirectory.from_config(alembic_config()).get_current_head()

    def upgrade(self, *, actor: str = "overt") -> tuple[str | None, str | None]:
        """Migrate the schema to the newest revision; record the upgrade in the audit log. Returns (from, to)."""
        before = self.revision()
        target = self.head()
        if before == target:
            return before, target
        try:
            with self.engine.begin() as connection:
                command.upgrade(alembic_config(connection), "head")
        except OperationalError as error:
            raise StoreError(f"cannot migrate {self!r}: {error.orig}") from error
        with self.transaction() as session:
            audit.record(
                session,
                actor=actor,
                action="schema.upgrade",
                subject_kind="database",
                subject_id="schema",
                reason=f"schema migrated from {before or 'empty'} to {target}",
                before=before,
                after=target,
            )
        return before, target

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None, *, upgrade: bool = True, seed: bool = True, actor: str = "overt") -> Store:
    """Open (and by default migrate and seed) the enforcement database."""
    store = Store(url)
    try:
        if upgrade:
            store.upgrade(actor=actor)
        if seed:
            from overt.enforcement.records.policies import seed_defaults

            seed_defaults(store, actor=actor)
    except OperationalError as error:
        store.close()
        raise StoreError(f"cannot open {store!r}: {error.orig}") from error
    return store
