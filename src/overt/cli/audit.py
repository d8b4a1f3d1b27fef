"""``overt audit``: verify the hash-chained audit log, checkpoint and export it, read it, erase personal data."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from overt.cli.store import actor_name, actor_option, database_option, opened


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log of every enforcement change."""


@audit_group.command("verify")
@database_option
@click.option(
    "--checkpoints",
    "checkpoint_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Published checkpoints (JSON from `overt audit checkpoint --export`) the chain must still match.",
)
def verify_command(database: str | None, checkpoint_file: Path | None) -> None:
    """Walk the whole chain; exit 1 and name the first bad event if anything was edited, deleted, inserted,
    reordered or cut off."""
    from overt.enforcement import audit

    published: list[dict[str, Any]] = []
    if checkpoint_file is not None:
        try:
            published = json.loads(checkpoint_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise click.ClickException(f"{checkpoint_file}: not a checkpoint export: {error}") from error
        published = _checkpoints(checkpoint_file, published)
    # Verifying must not change the database it checks: no migration, no default policies, no new file.
    from sqlalchemy.engine import make_url

    from overt.enforcement.store import database_url

    url = make_url(database_url(database))
    is_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if is_file and not Path(str(url.database)).exists():
        raise click.ClickException(f"no database at {url.database}: nothing to verify")
    with opened(database, seed=False, upgrade=False) as store:
        if store.revision() is None:
            raise click.ClickException(f"{store!r} has no enforcement schema yet: nothing to verify")
        with store.reading() as session:
            result = audit.verify(session, published)
    click.echo(result.summary())
    if not result.ok:
        sys.exit(1)


def _checkpoints(path: Path, data: Any) -> list[dict[str, Any]]:
    """The published checkpoints in ``data``, checked: a list of {"seq": int, "hash": 64 hex digits}."""
    expected = (
        'a JSON list of {"seq": <event number>, "hash": <64 hex digits>} (as `overt audit checkpoint --export` writes)'
    )
    if not isinstance(data, list):
        raise click.ClickException(f"{path}: not a checkpoint export: expected {expected}")
    for index, point in enumerate(data):
        seq, digest = (point.get("seq"), point.get("hash")) if isinstance(point, dict) else (None, None)
        if not (isinstance(seq, int) and not isinstance(seq, bool) and isinstance(digest, str) and len(digest) == 64):
            raise click.ClickException(
                f"{path}: not a checkpoint export: entry {index + 1} is {json.dumps(point)[:80]}; expected {expected}"
            )
    return data


@audit_group.command("checkpoint")
@database_option
@actor_option
@click.option(
    "--export",
    "export",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every checkpoint so far to this JSON file, for publication.",
)
def checkpoint_command(database: str | None, actor: str | None, export: Path | None) -> None:
    """Record the chain's current head as a checkpoint; publish the export so others can hold the log to it."""
    from overt.enforcement import audit

    with opened(database, actor) as store:
        with store.transaction() as session:
            point = audit.checkpoint(session, actor=actor_name(actor))
        click.echo(f"checkpoint at event {point.seq}: {point.hash}")
        if export is not None:
            with store.reading() as session:
                points = audit.export_checkpoints(session)
            export.write_text(json.dumps(points, indent=2) + "\n", encoding="utf-8")
            click.echo(f"{len(points)} checkpoint(s) written to {export}")


@audit_group.command("log")
@database_option
@click.option("--subject", metavar="KIND[:ID]", help="Only events about this subject, e.g. policy:political_ads.")
@click.option("--limit", type=int, default=50, show_default=True, help="Newest events to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def log_command(database: str | None, subject: str | None, limit: int, as_json: bool) -> None:
    """The newest events: who did what, to what, and why."""
    from overt.enforcement import audit

    kind, _, ident = (subject or "").partition(":")
    with opened(database, seed=False, upgrade=False) as store, store.reading() as session:
        events = audit.history(session, subject_kind=kind or None, subject_id=ident or None, limit=limit)
    if as_json:
        for row in events:
            fields = {name: getattr(row, name) for name in (*audit.CHAINED, "hash")}
            fields["payload"] = json.loads(row.payload)
            click.echo(json.dumps(fields, ensure_ascii=False))
        return
    table = Table("seq", "at (UTC)", "actor", "action", "subject", "reason", show_lines=False)
    for row in events:
        table.add_row(
            str(row.seq), row.at[:19], row.actor, row.action, f"{row.subject_kind}:{row.subject_id}", row.reason
        )
    Console(width=160).print(table)


@audit_group.command("erase")
@database_option
@actor_option
@click.argument("ref")
@click.option("--reason", required=True, help="Why (e.g. the erasure request's reference).")
def erase_command(database: str | None, actor: str | None, ref: str, reason: str) -> None:
    """Erase the personal data behind reference REF; the chain keeps verifying."""
    from overt.enforcement import audit

    with opened(database, actor) as store, store.transaction() as session:
        event = audit.erase(session, ref, actor=actor_name(actor), reason=reason)
    click.echo(f"personal data {ref} erased (event {event.seq})")


@click.group("db")
def db_group() -> None:
    """The enforcement database's schema."""


@db_group.command("upgrade")
@database_option
@actor_option
def upgrade_command(database: str | None, actor: str | None) -> None:
    """Migrate the schema to this version of overt (recorded in the audit log)."""
    from overt.enforcement.store import Store

    with opened(database, actor, seed=False) as store:
        assert isinstance(store, Store)
        click.echo(f"schema at {store.revision()} (newest {store.head()})")
