"""Alembic environment for the enforcement database: runs on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from overt.enforcement.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through overt (overt db upgrade), which passes the database connection")

# render_as_batch: SQLite cannot ALTER most things in place; batch mode copies the table, PostgreSQL alters it.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
