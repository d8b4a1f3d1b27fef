"""``overt people``, ``overt cases`` and ``overt appeals``: who acts, the case workflow, takedowns and appeals."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from rich.console import Console
from rich.table import Table

from overt.cli.store import actor_name, actor_option, database_option, opened
from overt.enforcement.actions import ACTION_TYPES, ActionSpec
from overt.enforcement.records.decisions import Facts

REASON = click.option("--reason", required=True, help="Why (recorded in the audit log).")
SOURCES = ("automated", "user_report", "trusted_flagger", "government", "own_review")


# --- people ------------------------------------------------------------------------------------------------------


@click.group("people")
def people_group() -> None:
    """The people who act and their roles (analyst, reviewer, policy_lead, legal, admin)."""


@people_group.command("set")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="A role (repeatable); replaces the person's roles.")
@REASON
@database_option
@actor_option
def people_set(name: str, roles: tuple[str, ...], reason: str, database: str | None, actor: str | None) -> None:
    """Add a person or replace their roles."""
    from overt.enforcement.records import people

    with opened(database, actor) as store, store.transaction() as session:
        people.set_roles(session, name, list(roles), actor=actor_name(actor), reason=reason)
    click.echo(f"{name}: {', '.join(sorted(roles))}")


@people_group.command("list")
@database_option
def people_list(database: str | None) -> None:
    """Everyone with their roles."""
    from overt.enforcement.records import people

    with opened(database) as store, store.reading() as session:
        for person in people.listing(session):
            click.echo(f"{person.name}: {', '.join(json.loads(person.roles))}")


# --- cases -------------------------------------------------------------------------------------------------------


@click.group("cases")
def cases_group() -> None:
    """Cases from opening to closing: networks from scans, accounts, content, reports, requests, appeals."""


@cases_group.command("open")
@click.option(
    "--type", "kind", required=True, type=click.Choice(["account", "content", "user_report", "designation_review"])
)
@click.option("--title", required=True, help="A short title.")
@click.option("--subject", metavar="KIND:ID", help="What the case is about, e.g. account:12345 or post:987.")
@click.option(
    "--source", type=click.Choice(SOURCES), default="own_review", show_default=True, help="How it was detected."
)
@click.option("--priority", type=click.Choice(["low", "normal", "high", "urgent"]), default="normal", show_default=True)
@click.option("--protect", "roles", multiple=True, help="Only people with this role may act on it (repeatable).")
@REASON
@database_option
@actor_option
def cases_open(
    kind: str,
    title: str,
    subject: str | None,
    source: str,
    priority: str,
    roles: tuple[str, ...],
    reason: str,
    database: str | None,
    actor: str | None,
) -> None:
    """Open a case by hand (network cases come from scans: `overt cases network`; requests: `overt requests`)."""
    from overt.enforcement.records import cases

    subject_kind, _, subject_id = (subject or "").partition(":")
    with opened(database, actor) as store, store.transaction() as session:
        case = cases.open_case(
            session,
            type=kind,
            title=title,
            actor=actor_name(actor),
            reason=reason,
            priority=priority,
            detection_source=source,
            subject_kind=subject_kind or None,
            subject_id=subject_id or None,
            restricted_to=roles,
        )
        number = case.id
    click.echo(f"case {number} opened")


@cases_group.command("network")
@click.argument("scan", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--cluster", type=int, required=True, help="The scan's cluster id.")
@click.option(
    "--dataset", type=click.Path(exists=True, file_okay=False, path_type=Path), help="The dataset the scan read."
)
@REASON
@database_option
@actor_option
def cases_network(
    scan: Path, cluster: int, dataset: Path | None, reason: str, database: str | None, actor: str | None
) -> None:
    """Open a network case from a scan cluster, freezing its evidence (members, scores, ties, DISARM tags)."""
    from overt.enforcement.records import takedowns

    with opened(database, actor) as store, store.transaction() as session:
        case = takedowns.open_network_case(
            session, scan, cluster, actor=actor_name(actor), reason=reason, dataset_dir=dataset
        )
        number, title = case.id, case.title
    click.echo(f"case {number} opened: {title}")


@cases_group.command("list")
@click.option("--queue", help="Only this queue.")
@click.option("--assignee", help="Only cases assigned to this person.")
@click.option("--all", "everything", is_flag=True, help="Include decided and closed cases.")
@database_option
def cases_list(queue: str | None, assignee: str | None, everything: bool, database: str | None) -> None:
    """Cases waiting for work, most urgent first."""
    from overt.enforcement.records import cases

    states = cases.STATES if everything else ("open", "in_review", "escalated", "appealed")
    table = Table("case", "type", "state", "priority", "queue", "assignee", "protected", "title")
    with opened(database) as store, store.reading() as session:
        for case in cases.queue(session, name=queue, assignee=assignee, states=states):
            restricted = ",".join(json.loads(case.restricted_to))
            cells = (case.id, case.type, case.state, case.priority, case.queue, case.assignee or "", restricted)
            table.add_row(*(str(cell) for cell in cells), case.title)
    Console(width=180).print(table)


@cases_group.command("show")
@click.argument("case_id", type=int)
@database_option
@actor_option
def cases_show(case_id: int, database: str | None, actor: str | None) -> None:
    """A case: its facts, members, comments, decisions, actions, notices and history."""
    from sqlalchemy import select

    from overt.enforcement import audit
    from overt.enforcement.models import Action, CaseAccount, Decision, Notice
    from overt.enforcement.records import cases

    with opened(database, actor) as store, store.reading() as session:
        case = cases.get(session, case_id, actor_name(actor), "read")
        click.echo(f"case {case.id} [{case.type}, {case.state}, {case.priority}] {case.title}")
        opened_at = f"opened {case.opened_at[:19]} by {case.opened_by}"
        click.echo(f"queue {case.queue}; assignee {case.assignee or '-'}; {opened_at}")
        if case.snapshot_hash:
            click.echo(f"evidence frozen at opening: {case.snapshot_hash}")
        members = session.execute(select(CaseAccount).where(CaseAccount.case_id == case.id)).scalars().all()
        if members:
            counts: dict[str, int] = {}
            for member in members:
                counts[member.status] = counts.get(member.status, 0) + 1
            click.echo("accounts: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
            for member in members:
                if member.status != "member":
                    click.echo(f"  {member.account_id}: {member.status} — {member.note}")
        for note in cases.comments(session, case.id):
            click.echo(f"comment {note.at[:19]} {note.author}: {note.text}")
        for decision in session.execute(select(Decision).where(Decision.case_id == case.id)).scalars():
            taken = session.execute(select(Action).where(Action.decision_id == decision.id)).scalars().all()
            sent = session.execute(select(Notice).where(Notice.decision_id == decision.id)).scalars().all()
            in_effect = sum(a.status == "in_effect" for a in taken)
            undone = sum(a.status == "reversed" for a in taken)
            click.echo(
                f"decision {decision.id}: {decision.outcome} under {decision.policy_id} v{decision.policy_version} "
                f"#{decision.clause} by {', '.join(json.loads(decision.decided_by))}; {len(taken)} action(s) "
                f"({in_effect} in effect, {undone} reversed); {len(sent)} notice(s)"
            )
        for event in reversed(audit.history(session, subject_kind="case", subject_id=str(case.id))):
            click.echo(f"  {event.seq} {event.at[:19]} {event.actor} {event.action}: {event.reason}")


@cases_group.command("assign")
@click.argument("case_id", type=int)
@click.argument("assignee", required=False)
@REASON
@database_option
@actor_option
def cases_assign(case_id: int, assignee: str | None, reason: str, database: str | None, actor: str | None) -> None:
    """Assign a case to ASSIGNEE (or unassign it without one)."""
    from overt.enforcement.records import cases

    with opened(database, actor) as store, store.transaction() as session:
        cases.assign(session, case_id, assignee, actor=actor_name(actor), reason=reason)
    click.echo(f"case {case_id}: assigned to {assignee or 'nobody'}")


@cases_group.command("move")
@click.argument("case_id", type=int)
@click.option(
    "--to", "to", required=True, type=click.Choice(["in_review", "escalated", "closed"]), help="The new state."
)
@REASON
@database_option
@actor_option
def cases_move(case_id: int, to: str, reason: str, database: str | None, actor: str | None) -> None:
    """Move a case by hand (decided comes from a decision, appealed from an appeal)."""
    from overt.enforcement.records import cases

    with opened(database, actor) as store, store.transaction() as session:
        cases.move(session, case_id, to, actor=actor_name(actor), reason=reason)
    click.echo(f"case {case_id}: {to}")


@cases_group.command("comment")
@click.argument("case_id", type=int)
@click.argument("text")
@database_option
@actor_option
def cases_comment(case_id: int, text: str, database: str | None, actor: str | None) -> None:
    """Add a comment (kept in the case; the audit log holds its hash)."""
    from overt.enforcement.records import cases

    with opened(database, actor) as store, store.transaction() as session:
        cases.comment(session, case_id, text, actor=actor_name(actor))
    click.echo(f"case {case_id}: comment added")


@cases_group.command("protect")
@click.argument("case_id", type=int)
@click.option("--role", "roles", multiple=True, required=True, help="A role that may act on the case (repeatable).")
@REASON
@database_option
@actor_option
def cases_protect(case_id: int, roles: tuple[str, ...], reason: str, database: str | None, actor: str | None) -> None:
    """Restrict a case to holders of the given roles."""
    from overt.enforcement.records import cases

    with opened(database, actor) as store, store.transaction() as session:
        cases.protect(session, case_id, roles, actor=actor_name(actor), reason=reason)
    click.echo(f"case {case_id}: only {', '.join(roles)} may act on it")


@cases_group.command("except")
@click.argument("case_id", type=int)
@click.argument("account_id")
@REASON
@database_option
@actor_option
def cases_except(case_id: int, account_id: str, reason: str, database: str | None, actor: str | None) -> None:
    """Leave one account of a network case out of the takedown, with the reason."""
    from overt.enforcement.records import takedowns

    with opened(database, actor) as store, store.transaction() as session:
        takedowns.except_account(session, case_id, account_id, actor=actor_name(actor), reason=reason)
    click.echo(f"case {case_id}: {account_id} excepted")


@cases_group.command("relink")
@click.argument("case_id", type=int)
@click.argument("scan", type=click.Path(exists=True, file_okay=False, path_type=Path))
@database_option
@actor_option
def cases_relink(case_id: int, scan: Path, database: str | None, actor: str | None) -> None:
    """Flag to a taken-down network's case the accounts a later SCAN ties to it (re-establishment)."""
    from overt.enforcement.records import takedowns

    with opened(database, actor) as store, store.transaction() as session:
        found = takedowns.relink(session, case_id, scan, actor=actor_name(actor))
    listed = ": " + ", ".join(found) if found else ""
    click.echo(f"case {case_id}: {len(found)} account(s) linked to the network{listed}")


def _specs(
    types: tuple[str, ...], markets: tuple[str, ...], duration: str | None, label_text: str | None, outside: bool
) -> list[ActionSpec]:
    from pydantic import ValidationError

    if not types:
        raise click.BadParameter("give at least one --action (or --no-action)", param_hint="--action")
    try:
        return [
            ActionSpec(
                type=kind,
                markets=markets or ("GLOBAL",),
                duration=duration,
                label_text=label_text if kind == "label" else None,
                outside_home_market=outside,
            )
            for kind in types
        ]
    except ValidationError as error:
        raise click.BadParameter("; ".join(e["msg"] for e in error.errors()), param_hint="--action") from error


@dataclass(frozen=True)
class DecisionInput:
    """What every deciding command is told: the clause, the actions, the facts and who decided."""

    enforces: str
    types: tuple[str, ...]
    markets: tuple[str, ...]
    duration: str | None
    label_text: str | None
    outside_home_market: bool
    facts: str
    source: str | None
    automated_detection: bool | None
    automated_decision: bool
    state_actor: bool
    deciders: tuple[str, ...]
    language: str | None
    reason: str

    def specs(self) -> list[ActionSpec]:
        return _specs(self.types, self.markets, self.duration, self.label_text, self.outside_home_market)

    def facts_for(self, case_source: str) -> Facts:
        source = self.source or case_source
        detected = self.automated_detection if self.automated_detection is not None else source == "automated"
        return Facts(
            text=self.facts,
            detection_source=source,
            automated_detection=detected,
            automated_decision=self.automated_decision,
            state_actor=self.state_actor,
        )


F = TypeVar("F", bound=Callable[..., Any])

DECISION_OPTIONS = [
    click.option("--enforces", required=True, metavar="POLICY#CLAUSE", help="The policy clause applied."),
    click.option("--action", "types", multiple=True, type=click.Choice(ACTION_TYPES), help="An action (repeatable)."),
    click.option("--market", "markets", multiple=True, help="Where the actions apply (default GLOBAL; repeatable)."),
    click.option("--duration", help="ISO 8601 duration of the actions, e.g. P90D (default: indefinite)."),
    click.option("--label-text", help="The public text of a label."),
    click.option("--outside-home-market", is_flag=True, help="Apply only outside the subject's home market."),
    click.option("--facts", required=True, help="The facts relied on, in words for the user (no personal data)."),
    click.option("--source", type=click.Choice(SOURCES), help="How it was detected (default: the case's)."),
    click.option("--automated-detection/--human-detection", default=None, help="Whether automated means detected it."),
    click.option("--automated-decision", is_flag=True, help="The decision itself was taken by automated means."),
    click.option("--state-actor", is_flag=True, help="A state actor was found to be involved."),
    click.option("--decider", "deciders", multiple=True, help="Another person who took the decision (repeatable)."),
    click.option("--language", help="Notice language for the subject (default: the account's, else English)."),
    REASON,
]


def decision_options(function: F) -> F:
    """The options of a deciding command; the command receives them as one :class:`DecisionInput` (``decision``)."""

    def collect(**values: Any) -> Any:
        fields = {name: values.pop(name) for name in DecisionInput.__dataclass_fields__}
        return function(decision=DecisionInput(**fields), **values)

    wrapped: Any = functools.update_wrapper(collect, function)
    for option in reversed(DECISION_OPTIONS):
        wrapped = option(wrapped)
    return cast(F, wrapped)


@cases_group.command("decide")
@click.argument("case_id", type=int)
@click.option("--subject", metavar="account:ID", help="The account or post acted on (default: the case's subject).")
@click.option("--handle", help="The account's handle, as the notice addresses it.")
@click.option("--home-market", help="The account's home country (needed for --outside-home-market actions).")
@click.option("--no-action", is_flag=True, help="Decide that no action is taken.")
@decision_options
@database_option
@actor_option
def cases_decide(
    case_id: int,
    subject: str | None,
    handle: str | None,
    home_market: str | None,
    no_action: bool,
    decision: DecisionInput,
    database: str | None,
    actor: str | None,
) -> None:
    """Decide a case under a policy clause: actions, notice, DSA statement, all recorded."""
    from overt.enforcement.records import cases, decisions
    from overt.enforcement.records.notify import Settings, makers

    with opened(database, actor) as store, store.transaction() as session:
        case = cases.get(session, case_id)
        kind, _, ident = (subject or f"{case.subject_kind or ''}:{case.subject_id or ''}").partition(":")
        if not no_action and (kind not in ("account", "post") or not ident):
            raise click.BadParameter(
                f"case {case_id} names no account or post to act on: give --subject account:ID or post:ID",
                param_hint="--subject",
            )
        specs = [] if no_action else decision.specs()
        orders = [
            decisions.Order(
                spec=spec,
                subject_kind=kind,
                subject_id=ident,
                handle=handle,
                language=decision.language,
                home_market=home_market.upper() if home_market else None,
            )
            for spec in specs
        ]
        notices, statements = makers(Settings.from_environment())
        made = decisions.decide(
            session,
            case_id,
            enforces=decision.enforces,
            outcome="no_action" if no_action else "action",
            facts=decision.facts_for(case.detection_source),
            orders=orders,
            deciders=list(decision.deciders),
            actor=actor_name(actor),
            reason=decision.reason,
            notices=notices,
            statements=statements,
        )
        number = made.id
    click.echo(f"case {case_id}: decision {number}")


@cases_group.command("takedown")
@click.argument("case_id", type=int)
@click.option("--origin", required=True, help='The assessed origin, e.g. "Russia (Internet Research Agency)".')
@click.option("--target", "targets", multiple=True, help="A targeted country (repeatable).")
@decision_options
@database_option
@actor_option
def cases_takedown(
    case_id: int,
    origin: str,
    targets: tuple[str, ...],
    decision: DecisionInput,
    database: str | None,
    actor: str | None,
) -> None:
    """Act on a whole network case at once: every member not excepted, one decision, notices and statements."""
    from overt.enforcement.records import decisions
    from overt.enforcement.records.notify import Settings, makers

    with opened(database, actor) as store, store.transaction() as session:
        notices, statements = makers(Settings.from_environment(), origin=origin)
        made = decisions.take_down(
            session,
            case_id,
            enforces=decision.enforces,
            specs=decision.specs(),
            facts=decision.facts_for("automated"),
            origin=origin,
            targets=list(targets),
            deciders=list(decision.deciders),
            actor=actor_name(actor),
            reason=decision.reason,
            notices=notices,
            statements=statements,
        )
        number = made.id
    click.echo(f"case {case_id}: takedown decision {number}")


@cases_group.command("notices")
@click.argument("decision_id", type=int)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Write each notice to a file here.")
@database_option
def cases_notices(decision_id: int, out: Path | None, database: str | None) -> None:
    """The notices a decision produced (to send, or to file)."""
    from sqlalchemy import select

    from overt.enforcement.models import Notice

    with opened(database) as store, store.reading() as session:
        query = select(Notice).where(Notice.decision_id == decision_id).order_by(Notice.id)
        rows = session.execute(query).scalars().all()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    for row in rows:
        text = f"{row.subject}\n\n{row.body}"
        if out is None:
            head = f"--- notice {row.id} ({row.language}) to {row.account_id}, appeal until {row.appeal_until}"
            click.echo(f"{head}\n{text}")
        else:
            (out / f"notice-{row.id}-{row.language}.txt").write_text(text, encoding="utf-8")
    if out is not None:
        click.echo(f"{len(rows)} notice(s) written to {out}")


# --- appeals -----------------------------------------------------------------------------------------------------


@click.group("appeals")
def appeals_group() -> None:
    """Appeals: within six months of the notice, decided by someone not involved; overturning undoes everything."""


@appeals_group.command("file")
@click.argument("decision_id", type=int)
@click.argument("account_id")
@click.option("--grounds", required=True, help="The appellant's grounds.")
@database_option
@actor_option
def appeals_file(decision_id: int, account_id: str, grounds: str, database: str | None, actor: str | None) -> None:
    """File an appeal for ACCOUNT_ID against a decision."""
    from overt.enforcement.records import appeals

    with opened(database, actor) as store, store.transaction() as session:
        case = appeals.file(session, decision_id, account_id, grounds, actor=actor_name(actor))
        number = case.id
    click.echo(f"appeal {number} filed against decision {decision_id}")


@appeals_group.command("decide")
@click.argument("appeal_id", type=int)
@click.option("--outcome", required=True, type=click.Choice(["upheld", "overturned"]))
@REASON
@database_option
@actor_option
def appeals_decide(appeal_id: int, outcome: str, reason: str, database: str | None, actor: str | None) -> None:
    """Decide an appeal (not by anyone involved in the decision); overturned reverses every effect."""
    from overt.enforcement.records import appeals

    with opened(database, actor) as store, store.transaction() as session:
        appeals.decide(session, appeal_id, outcome, actor=actor_name(actor), reason=reason)
    click.echo(f"appeal {appeal_id}: {outcome}")


@appeals_group.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only appeals not yet decided.")
@database_option
def appeals_list(open_only: bool, database: str | None) -> None:
    """Appeals, oldest first."""
    from overt.enforcement.records import appeals

    with opened(database) as store, store.reading() as session:
        for row in appeals.listing(session, open_only=open_only):
            decided = f", decided {row.decided_at[:10]} by {row.decided_by}" if row.decided_at else ""
            click.echo(
                f"appeal {row.case_id} against decision {row.decision_id}: {row.outcome or 'open'} "
                f"(filed {row.filed_at[:10]}{decided})"
            )
