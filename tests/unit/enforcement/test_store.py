"""The store: URLs, migrations that match the models, and the upgrade recorded in the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from overt.enforcement import audit
from overt.enforcement.models import Base
from overt.enforcement.store import Store, StoreError, database_url, open_store


def test_database_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OVERT_DATABASE_URL", raising=False)
    assert database_url() == "sqlite:///overt.db"
    monkeypatch.setenv("OVERT_DATABASE_URL", "sqlite:///elsewhere.db")
    assert database_url() == "sqlite:///elsewhere.db"
    assert database_url("sqlite:///given.db") == "sqlite:///given.db"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store(f"sqlite:///{tmp_path / 'nowhere' / 'overt.db'}")
    with pytest.raises(StoreError, match="not a database URL"):
        Store("not a url")


def test_migrations_create_exactly_the_models(store: Store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    assert store.revision() == store.head()


def test_the_upgrade_is_recorded_once(database_url: str) -> None:
    first = open_store(database_url, seed=False, actor="ops")
    first.close()
    again = open_store(database_url, seed=False, actor="ops")
    try:
        with again.reading() as session:
            events = audit.history(session)
        assert [(e.action, e.actor, e.after_ref) for e in events] == [("schema.upgrade", "ops", again.head())]
    finally:
        again.close()
