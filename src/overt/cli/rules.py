"""``overt rules``: check, backtest, store and promote rules through draft → shadow → live → retired."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from overt.cli.store import actor_name, actor_option, database_option, opened
from overt.enforcement.documents import Document, DocumentError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from overt.enforcement.rules.document import Rule

RULE_FILES = click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)


def _checked(session: Session, files: tuple[Path, ...]) -> list[tuple[Rule, Document]]:
    """Every rule of every file with its document; all problems of all files at once."""
    from overt.enforcement import documents
    from overt.enforcement.records.rules import check_file

    found: list[tuple[Rule, Document]] = []
    problems = []
    for file in files:
        try:
            document = documents.load(file)
            found += [(rule, document) for rule in check_file(session, document)]
        except DocumentError as error:
            problems += error.problems
    if problems:
        click.echo(str(DocumentError(problems)), err=True)
        sys.exit(1)
    return found


@click.group("rules")
def rules_group() -> None:
    """Checked conditions over scan results that propose actions under a policy clause."""


@rules_group.command("validate")
@RULE_FILES
@database_option
def validate_command(files: tuple[Path, ...], database: str | None) -> None:
    """Check rule files against the field schema and the stored policies; every problem with a caret."""
    with opened(database) as store, store.reading() as session:
        found = _checked(session, files)
    for rule, _ in found:
        click.echo(
            f"ok  {rule.id}: {rule.subject} rule enforcing {rule.spec.enforces}, proposes {rule.spec.action.type}"
        )
    click.echo(f"{len(found)} rule(s) valid")


@rules_group.command("backtest")
@click.argument("rules", nargs=-1, required=True)
@click.argument("scan", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--dataset",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The dataset the scan read (default: from its summary.json).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@click.option("--matches", "max_matches", type=int, default=20, show_default=True, help="Matches to list.")
@database_option
def backtest_command(
    rules: tuple[str, ...], scan: Path, dataset: Path | None, as_json: bool, max_matches: int, database: str | None
) -> None:
    """What RULES (files, or ids of stored rules) would do on SCAN: matches with their evidence, and the
    would-be actions per market after the policies' market variants."""
    from datetime import UTC, datetime

    from overt.enforcement.records.policies import policy_set
    from overt.enforcement.records.rules import allowed_by, rule_of, stored_rules
    from overt.enforcement.rules.backtest import backtest

    with opened(database) as store, store.reading() as session:
        files = tuple(Path(r) for r in rules if Path(r).is_file())
        ids = [r for r in rules if not Path(r).is_file()]
        chosen = [rule for rule, _ in _checked(session, files)] if files else []
        stored = {head.id: row for head, row in stored_rules(session)}
        for rule_id in ids:
            if rule_id not in stored:
                raise click.BadParameter(f"{rule_id!r} is neither a rule file nor a stored rule", param_hint="RULES")
            chosen.append(rule_of(stored[rule_id], session))
        allowed = allowed_by(policy_set(session), datetime.now(UTC).date())
    result = backtest(chosen, scan, dataset, allowed=allowed)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(result.render_lines(max_matches=max_matches)))


@rules_group.command("add")
@RULE_FILES
@click.option("--reason", required=True, help="Why (recorded in the audit log).")
@database_option
@actor_option
def add_command(files: tuple[Path, ...], reason: str, database: str | None, actor: str | None) -> None:
    """Store rules from files, each as a new draft (or a new draft version of a changed rule)."""
    from overt.enforcement.records.rules import add

    with opened(database, actor) as store, store.transaction() as session:
        found = _checked(session, files)
        outcomes = [add(session, rule, document, actor=actor_name(actor), reason=reason) for rule, document in found]
    for item in outcomes:
        click.echo(f"{item.outcome:12} {item.id} v{item.version} (draft)")


@rules_group.command("promote")
@click.argument("rule_id")
@click.option(
    "--to", "to", required=True, type=click.Choice(["draft", "shadow", "live", "retired"]), help="The new state."
)
@click.option("--reason", required=True, help="Why (recorded in the audit log).")
@database_option
@actor_option
def promote_command(rule_id: str, to: str, reason: str, database: str | None, actor: str | None) -> None:
    """Move a rule in its lifecycle. --to live files a request that a second person approves (`rules approve`)."""
    from overt.enforcement.records.rules import promote

    with opened(database, actor) as store, store.transaction() as session:
        state = promote(session, rule_id, to, actor=actor_name(actor), reason=reason)
    if to == "live" and state != "live":
        click.echo(f"{rule_id}: request to go live recorded; it stays {state} until someone else approves it")
    else:
        click.echo(f"{rule_id}: {state}")


@rules_group.command("approve")
@click.argument("rule_id")
@click.option("--reason", required=True, help="Why (recorded in the audit log).")
@database_option
@actor_option
def approve_command(rule_id: str, reason: str, database: str | None, actor: str | None) -> None:
    """Approve a rule's pending request to go live (not by its requester or author)."""
    from overt.enforcement.records.rules import approve

    with opened(database, actor) as store, store.transaction() as session:
        approve(session, rule_id, actor=actor_name(actor), reason=reason)
    click.echo(f"{rule_id}: live")


@rules_group.command("run")
@click.argument("scan", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--dataset", type=click.Path(exists=True, file_okay=False, path_type=Path), help="The dataset the scan read."
)
@database_option
@actor_option
def run_command(scan: Path, dataset: Path | None, database: str | None, actor: str | None) -> None:
    """Run every shadow and live rule on SCAN: shadow runs are recorded only; live runs propose actions."""
    from overt.enforcement.records.rules import run

    with opened(database, actor) as store, store.transaction() as session:
        outcomes = run(session, scan, actor=actor_name(actor), dataset_dir=dataset)
        lines = [f"{row.rule_id} v{row.rule_version} ({row.mode}): {row.matched} match(es)" for row, _ in outcomes]
    click.echo("\n".join(lines) if lines else "no shadow or live rules")


@rules_group.command("list")
@database_option
def list_command(database: str | None) -> None:
    """Stored rules: state, version, what they enforce and propose, and pending requests."""
    from overt.enforcement.records.rules import stored_rules

    table = Table("rule", "state", "version", "subject", "enforces", "action", "author", "pending")
    with opened(database) as store, store.reading() as session:
        for head, _row in stored_rules(session):
            pending = f"live, requested by {head.requested_by}" if head.requested_state else ""
            table.add_row(
                head.id,
                head.state,
                str(head.current_version),
                head.subject,
                head.enforces,
                head.action_type,
                head.author,
                pending,
            )
    Console(width=180).print(table)
