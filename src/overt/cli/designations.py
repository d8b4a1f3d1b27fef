"""``overt designations``: state-affiliation designations, from proposal through two approvals to appeal."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from overt.cli.store import actor_name, actor_option, database_option, opened
from overt.enforcement.documents import DocumentError

REASON = click.option("--reason", required=True, help="Why (recorded in the audit log and the review history).")


@click.group("designations")
def designations_group() -> None:
    """State-affiliated media, state-controlled media and government accounts: evidence, two approvers, appeals.

    Approving a designation labels nothing by itself: labels are actions, proposed and recorded as such.
    """


@designations_group.command("seed")
@database_option
@actor_option
def seed_command(database: str | None, actor: str | None) -> None:
    """Store proposals from the shipped state-media list (awaiting review; never approved automatically)."""
    from overt.enforcement.records.designations import seed

    with opened(database, actor) as store, store.transaction() as session:
        added, existing = seed(session, actor=actor_name(actor))
    click.echo(f"{added} proposals stored ({existing} designations were already stored); each needs two approvers")


@designations_group.command("propose")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@REASON
@database_option
@actor_option
def propose_command(file: Path, reason: str, database: str | None, actor: str | None) -> None:
    """Propose the designations in a YAML file (every problem in the file reported at once)."""
    from overt.enforcement.designations import load_designations
    from overt.enforcement.records.designations import create

    try:
        found = load_designations(file)
    except DocumentError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    with opened(database, actor) as store, store.transaction() as session:
        states = [create(session, item, actor=actor_name(actor), reason=reason) for item in found]
    for state in states:
        click.echo(f"proposed {state.id} ({state.designation.kind}, {state.designation.country or 'no country'})")


def _step(
    name: str, designation_id: str, database: str | None, actor: str | None, reason: str, **extra: object
) -> None:
    from overt.enforcement.designations import DesignationError
    from overt.enforcement.records.designations import step

    with opened(database, actor) as store:
        try:
            with store.transaction() as session:
                state = step(session, designation_id, name, actor=actor_name(actor), reason=reason, **extra)
        except DesignationError as error:
            raise click.ClickException(str(error)) from error
    approvals = ", ".join(a.approver for a in state.approvals)
    click.echo(f"{state.id}: {state.status} (version {state.latest.number}; approvals: {approvals or 'none'})")


@designations_group.command("approve")
@click.argument("designation_id")
@REASON
@database_option
@actor_option
def approve_command(designation_id: str, reason: str, database: str | None, actor: str | None) -> None:
    """Approve the latest version (two distinct people, neither the proposer nor its author)."""
    _step("approve", designation_id, database, actor, reason)


@designations_group.command("reject")
@click.argument("designation_id")
@REASON
@database_option
@actor_option
def reject_command(designation_id: str, reason: str, database: str | None, actor: str | None) -> None:
    """Reject a proposal (a reviewer's decision, with the reason given to the entity)."""
    _step("reject", designation_id, database, actor, reason)


@designations_group.command("withdraw")
@click.argument("designation_id")
@REASON
@database_option
@actor_option
def withdraw_command(designation_id: str, reason: str, database: str | None, actor: str | None) -> None:
    """Withdraw a designation."""
    _step("withdraw", designation_id, database, actor, reason)


@designations_group.command("revise")
@click.argument("designation_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@REASON
@database_option
@actor_option
def revise_command(designation_id: str, file: Path, reason: str, database: str | None, actor: str | None) -> None:
    """Replace the record with the one in FILE as a new version (approvals start again)."""
    from overt.enforcement.designations import load_designations

    try:
        found = [item for item in load_designations(file) if item.id == designation_id]
    except DocumentError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    if not found:
        raise click.ClickException(f"{file} holds no designation '{designation_id}'")
    _step("revise", designation_id, database, actor, reason, designation=found[0])


@designations_group.command("appeal")
@click.argument("designation_id")
@click.option("--grounds", required=True, help="The appellant's grounds.")
@database_option
@actor_option
def appeal_command(designation_id: str, grounds: str, database: str | None, actor: str | None) -> None:
    """Record an appeal against the version in force (by or for the designated entity)."""
    _step("appeal", designation_id, database, actor, grounds)


@designations_group.command("decide-appeal")
@click.argument("designation_id")
@click.option("--outcome", required=True, type=click.Choice(["upheld", "overturned"]))
@REASON
@database_option
@actor_option
def decide_command(designation_id: str, outcome: str, reason: str, database: str | None, actor: str | None) -> None:
    """Decide the open appeal (not by an approver of the version in force, nor the proposer)."""
    _step("decide_appeal", designation_id, database, actor, reason, outcome=outcome)


@designations_group.command("list")
@click.option("--status", type=click.Choice(["proposed", "approved", "rejected", "withdrawn"]))
@click.option("--kind", type=click.Choice(["state_affiliated_media", "state_controlled_media", "government_account"]))
@click.option("--country", help="ISO country code.")
@click.option("--limit", type=int, default=100, show_default=True)
@database_option
def list_command(status: str | None, kind: str | None, country: str | None, limit: int, database: str | None) -> None:
    """Stored designations by country and entity."""
    from overt.enforcement.records.designations import listing

    with opened(database) as store, store.reading() as session:
        rows = [r for r in listing(session, status=status, kind=kind) if not country or r.country == country.upper()]
    table = Table("id", "kind", "entity", "country", "status", "version")
    for row in rows[:limit]:
        table.add_row(row.id, row.kind, row.entity, row.country, row.status, str(row.current_version))
    Console(width=160).print(table)
    if len(rows) > limit:
        click.echo(f"... {len(rows) - limit} more (--limit)")


@designations_group.command("show")
@click.argument("designation_id")
@click.option("--json", "as_json", is_flag=True, help="The record and its review state as JSON.")
@database_option
def show_command(designation_id: str, as_json: bool, database: str | None) -> None:
    """One designation: the record, what it still lacks for approval, approvals, versions and appeals."""
    from overt.enforcement.designations import approval_gaps
    from overt.enforcement.records.designations import load

    with opened(database) as store, store.reading() as session:
        state = load(session, designation_id)
    if as_json:
        click.echo(json.dumps(state.to_json(), indent=2, ensure_ascii=False))
        return
    record = state.designation
    click.echo(f"{record.id}: {record.entity} ({record.kind}, {record.country or 'no country'}) — {state.status}")
    click.echo(f"label: {record.label}")
    click.echo(f"domains: {', '.join(record.domains) or '-'}")
    click.echo(f"accounts: {', '.join(a.describe() for a in record.accounts) or '-'}")
    for criterion, evidence in record.evidence.items():
        summary = f" — {evidence.summary}" if evidence.summary else ""
        click.echo(f"  {criterion}: {evidence.finding}{summary}")
    gaps = approval_gaps(record)
    click.echo("approvable: yes" if not gaps else "approvable: no — " + "; ".join(str(g) for g in gaps))
    click.echo(f"approvals of v{state.latest.number}: {', '.join(a.approver for a in state.approvals) or 'none'}")
    for version in state.versions:
        click.echo(
            f"  v{version.number} by {version.author}: {version.reason}"
            + "".join(f"\n      {c}" for c in version.changes)
        )
    for item in state.appeals:
        click.echo(
            f"  appeal {item.number} by {item.appellant}: {item.outcome}" + (f" ({item.reason})" if item.reason else "")
        )
    click.echo(f"appeal route: {record.appeal}")
