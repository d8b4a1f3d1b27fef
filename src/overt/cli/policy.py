"""``overt policy``: validate, load, list, show and compare versioned policies with market variants."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from overt.cli.store import actor_name, actor_option, database_option, opened
from overt.enforcement.documents import DocumentError

if TYPE_CHECKING:
    from overt.enforcement.policies import Event


@click.group("policy")
def policy_group() -> None:
    """Written rules: versioned, varied by market in the open, every change in the audit log."""


@policy_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def validate_command(paths: tuple[Path, ...]) -> None:
    """Check policy files or folders (default: the shipped default set); every problem with file:line:column."""
    from overt.enforcement.policies import DEFAULTS_DIR, load_policies

    try:
        policies = load_policies(*(paths or (DEFAULTS_DIR,)))
    except DocumentError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    for policy in policies:
        click.echo(
            f"ok  {policy.id} v{policy.version}: {len(policy.clauses)} clauses, {len(policy.variants)} market variants"
        )
    click.echo(f"{len(policies)} policies valid")


@policy_group.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--reason", required=True, help="Why these versions are being adopted (recorded in the audit log).")
@database_option
@actor_option
def load_command(paths: tuple[Path, ...], reason: str, database: str | None, actor: str | None) -> None:
    """Store new policy versions from files or folders: all validate, then all are stored, or none."""
    from overt.enforcement.records.policies import load_into

    with opened(database, actor) as store:
        try:
            with store.transaction() as session:
                outcomes = load_into(session, paths, actor=actor_name(actor), reason=reason)
        except DocumentError as error:
            click.echo(str(error), err=True)
            sys.exit(1)
    for item in outcomes:
        click.echo(f"{item.outcome:12} {item.id} v{item.version}")


@policy_group.command("list")
@database_option
def list_command(database: str | None) -> None:
    """The stored policies, each at its current version."""
    from overt.enforcement.records.policies import current, policy_of

    table = Table("policy", "version", "title", "in effect", "clauses", "market variants", "stored")
    with opened(database) as store, store.reading() as session:
        for head, row in current(session):
            policy = policy_of(row)
            dates = f"{policy.effective_from} to {policy.effective_to or 'open'}"
            variants = ", ".join(f"{v.id} ({'/'.join(v.markets)})" for v in policy.variants) or "-"
            table.add_row(
                head.id,
                str(head.current_version),
                policy.title,
                dates,
                str(len(policy.clauses)),
                variants,
                f"{row.stored_at[:10]} by {row.stored_by}",
            )
    Console(width=180).print(table)


@policy_group.command("show")
@click.argument("policy_id")
@click.option("--version", "number", type=int, help="A stored version (default: the current one).")
@click.option("--market", help="Show the policy as it holds in this market (country or region code).")
@click.option(
    "--on",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day to resolve market variants for (default: today).",
)
@click.option("--home-market", help="The subject's home market, for variants that apply outside it.")
@click.option(
    "--event",
    "events",
    multiple=True,
    metavar="KIND:MARKET:YYYY-MM-DD",
    help="A dated event for windowed variants, e.g. election:DE:2029-09-23 (repeatable).",
)
@database_option
def show_command(
    policy_id: str,
    number: int | None,
    market: str | None,
    day: datetime | None,
    home_market: str | None,
    events: tuple[str, ...],
    database: str | None,
) -> None:
    """A stored policy's text; with --market, the clauses and actions that hold there and which variants apply."""
    from overt.enforcement.policies import to_yaml
    from overt.enforcement.records.policies import policy_of, version

    with opened(database) as store, store.reading() as session:
        row = version(session, policy_id, number)
    policy = policy_of(row)
    click.echo(
        f"# {policy.id} version {row.version}, stored {row.stored_at} by {row.stored_by} ({row.content_hash[:16]}…)"
    )
    if market is None:
        click.echo(to_yaml(policy))
        return
    on = day.date() if day else datetime.now(UTC).date()
    try:
        resolved = policy.effective(market, on=on, events=_events(events), home_market=home_market)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error
    click.echo(f"in {resolved.market} on {resolved.on}: {'in effect' if resolved.in_effect else 'NOT in effect'}")
    for reason in resolved.why:
        click.echo(f"  - {reason}")
    click.echo(f"allowed actions: {', '.join(resolved.allowed_actions) or 'none'}")
    for clause in resolved.clauses:
        click.echo(f"  [{clause.id}] {' '.join(clause.text.split())}")


def _events(values: tuple[str, ...]) -> list[Event]:
    from overt.enforcement.policies import Event

    parsed: list[Event] = []
    for value in values:
        kind, _, rest = value.partition(":")
        where, _, day = rest.partition(":")
        try:
            parsed.append(Event(kind=kind, market=where.upper(), on=date.fromisoformat(day)))
        except ValueError as error:
            raise click.BadParameter(f"{value!r}: expected KIND:MARKET:YYYY-MM-DD", param_hint="--event") from error
    return parsed


@policy_group.command("history")
@click.argument("policy_id")
@database_option
def history_command(policy_id: str, database: str | None) -> None:
    """Every stored version of a policy: when, by whom, and the audit log's reason."""
    from overt.enforcement import audit
    from overt.enforcement.records.policies import versions

    with opened(database) as store, store.reading() as session:
        rows = versions(session, policy_id)
        events = {e.after_ref: e for e in audit.history(session, subject_kind="policy", subject_id=policy_id)}
    if not rows:
        raise click.ClickException(f"no policy '{policy_id}'")
    for row in rows:
        event = events.get(f"policy_versions:{row.policy_id}@{row.version}:{row.content_hash}")
        why = f" (event {event.seq}: {event.reason})" if event else ""
        click.echo(f"v{row.version}  {row.stored_at[:19]}  {row.stored_by}  {row.content_hash[:16]}…{why}")


@policy_group.command("diff")
@click.argument("policy_id")
@click.argument("old", required=False)
@click.argument("new", required=False)
@database_option
def diff_command(policy_id: str, old: str | None, new: str | None, database: str | None) -> None:
    """Compare two versions of a policy. OLD and NEW are version numbers or a policy file; by default the
    previous and current stored versions (or the current version and a FILE given as OLD)."""
    from overt.enforcement.policies import diff, load_policies
    from overt.enforcement.records.policies import policy_of, version

    with opened(database) as store, store.reading() as session:

        def resolve(spec: str | None, default: int | None) -> object:
            if spec is not None and not spec.isdigit():
                try:
                    found = [p for p in load_policies(spec) if p.id == policy_id]
                except DocumentError as error:
                    raise click.ClickException(str(error)) from error
                if not found:
                    raise click.ClickException(f"{spec} holds no policy '{policy_id}'")
                return found[0]
            return policy_of(version(session, policy_id, int(spec) if spec else default))

        current = version(session, policy_id).version
        if old is not None and new is None and not old.isdigit():
            before, after = resolve(None, current), resolve(old, None)
        else:
            before = resolve(old, max(current - 1, 1))
            after = resolve(new, current)
    click.echo(diff(before, after))  # type: ignore[arg-type]
