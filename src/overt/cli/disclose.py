"""``overt dsa export`` and ``overt transparency report``: what was done, disclosed to the EU and to the public."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

import click

from overt.cli.store import database_option, opened

PERIOD = [
    click.option("--from", "start", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="First day (UTC)."),
    click.option("--to", "end", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day (UTC)."),
]


def _period(start: datetime, end: datetime) -> tuple[date, date]:
    if end < start:
        raise click.BadParameter("--to is before --from")
    return start.date(), end.date()


@click.group("dsa")
def dsa_group() -> None:
    """Statements of reasons for the EU DSA Transparency Database."""


@dsa_group.command("export")
@PERIOD[0]
@PERIOD[1]
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the files.")
@click.option("--overwrite", is_flag=True, help="Replace an export already in --out.")
@database_option
def export_command(start: datetime, end: datetime, out: Path, overwrite: bool, database: str | None) -> None:
    """Validate and write the period's statements: batches of at most 100 (JSON, as the API takes them), one CSV,
    and a manifest with every file's hash. Nothing is written if any statement fails the local validator."""
    from sqlalchemy import select

    from overt.enforcement.models import Statement
    from overt.enforcement.statements import ExportRefused, export, validate_files

    first, last = _period(start, end)
    with opened(database) as store, store.reading() as session:
        rows = session.execute(select(Statement).order_by(Statement.created_at, Statement.puid)).scalars()
        payloads = [json.loads(row.payload) for row in rows]
    chosen = [p for p in payloads if first.isoformat() <= p.get("application_date", "") <= last.isoformat()]
    try:
        result = export(chosen, out, period=(first, last), overwrite=overwrite)
    except ExportRefused as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    problems = validate_files(out)
    if problems:
        click.echo("\n".join(str(problem) for problem in problems), err=True)
        sys.exit(1)
    click.echo(f"{result.statements} statement(s) of reasons for {first} to {last} written to {out}, validated again")
    for name in (*result.batches, result.csv, result.manifest):
        click.echo(f"  {name}")


@dsa_group.command("validate")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def validate_command(folder: Path) -> None:
    """Re-read an export folder and check every file, hash and statement with the local validator."""
    from overt.enforcement.statements import validate_files

    problems = validate_files(folder)
    if problems:
        click.echo("\n".join(str(problem) for problem in problems), err=True)
        sys.exit(1)
    click.echo(f"{folder}: every batch, the CSV and the manifest validate")


@click.group("transparency")
def transparency_group() -> None:
    """Transparency reports, computed from the audit log alone."""


@transparency_group.command("report")
@PERIOD[0]
@PERIOD[1]
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the report.")
@database_option
def report_command(start: datetime, end: datetime, out: Path, database: str | None) -> None:
    """Actions, appeals, requests and takedowns of a period, with a completeness check: JSON, CSV, Markdown, HTML.

    The chain is verified first: a report from a log that does not verify would count what may have been changed.
    """
    from sqlalchemy import select

    from overt.enforcement import audit
    from overt.enforcement.models import AuditEvent
    from overt.enforcement.transparency import check_completeness, compute, write_all

    first, last = _period(start, end)
    with opened(database, seed=False, upgrade=False) as store, store.reading() as session:
        verified = audit.verify(session)
        if not verified.ok:
            raise click.ClickException(f"not reporting from a broken log: {verified.summary()}")
        events = [
            {name: getattr(row, name) for name in (*audit.CHAINED, "hash")} | {"payload": json.loads(row.payload)}
            for row in session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
        ]
    report = compute(events, first, last)
    problems = check_completeness(report, events)
    written = write_all(report, out)
    click.echo(f"transparency report for {first} to {last}: {len(written)} files in {out}")
    if problems:
        click.echo("COMPLETENESS CHECK FAILED:\n  " + "\n  ".join(problems), err=True)
        sys.exit(1)
    click.echo("completeness check passed: every action in the log appears in exactly one count")
