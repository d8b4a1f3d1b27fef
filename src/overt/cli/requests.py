"""``overt requests``: sensitive and government requests, from intake through sign-offs to a decision and reply."""

from __future__ import annotations

import json
from pathlib import Path

import click

from overt.cli.store import actor_name, actor_option, database_option, opened
from overt.enforcement.requests_policy import ASKS, CHANNELS, REQUESTER_KINDS

REASON = click.option("--reason", required=True, help="Why (recorded in the audit log).")
OUTCOMES = ("declined", "granted", "partially_granted", "withdrawn")


@click.group("requests")
def requests_group() -> None:
    """Requests from governments, parties and others: recorded, checked against policy, signed off, counted."""


@requests_group.command("intake")
@click.option("--kind", "requester_kind", required=True, type=click.Choice(REQUESTER_KINDS))
@click.option("--entity", required=True, help="The requesting body as it names itself.")
@click.option("--country", required=True, help="The requester's country (ISO code).")
@click.option("--channel", required=True, type=click.Choice(CHANNELS), help="How.")
@click.option(
    "--ask", "asks", multiple=True, required=True, type=click.Choice(ASKS), help="What is asked (repeatable)."
)
@click.option("--legal-basis", help="The law or order invoked, if any.")
@click.option("--description", default="", help="The request in the requester's words, or a faithful summary.")
@click.option("--public-disclosure", is_flag=True, help="The requester accepts that what is done is disclosed.")
@click.option("--contact-name", help="Who asked (personal data: kept apart from the audit chain, erasable).")
@click.option("--contact-email", help="How to reach them (personal data, as above).")
@click.option(
    "--attach",
    "attachments",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A document received with the request (its SHA-256 is recorded; repeatable).",
)
@database_option
@actor_option
def intake_command(
    requester_kind: str,
    entity: str,
    country: str,
    channel: str,
    asks: tuple[str, ...],
    legal_basis: str | None,
    description: str,
    public_disclosure: bool,
    contact_name: str | None,
    contact_email: str | None,
    attachments: tuple[Path, ...],
    database: str | None,
    actor: str | None,
) -> None:
    """Record a request, check it against the policies and route it (government requests: escalated)."""
    from pydantic import ValidationError

    from overt.enforcement.models import Request
    from overt.enforcement.records import requests
    from overt.enforcement.requests_policy import RequestFacts

    try:
        facts = RequestFacts.model_validate(
            {
                "requester_kind": requester_kind,
                "entity_name": entity,
                "country": country,
                "channel": channel,
                "asks": asks,
                "legal_basis": legal_basis,
                "description": description,
                "public_disclosure": public_disclosure,
            }
        )
    except ValidationError as error:
        raise click.BadParameter("; ".join(e["msg"] for e in error.errors())) from error
    contact = {k: v for k, v in {"name": contact_name, "email": contact_email}.items() if v}
    with opened(database, actor) as store, store.transaction() as session:
        case = requests.intake(
            session, facts, actor=actor_name(actor), contact=contact or None, attachments=attachments
        )
        number, state = case.id, case.state
        # Whoever takes a request in sees what the check found; acting on the case needs legal or policy.
        recorded = session.get(Request, case.id)
        assert recorded is not None
        assessment = requests.assessment_of(recorded)
    click.echo(f"request recorded as case {number} ({state})")
    for conflict in assessment.conflicts:
        click.echo(f"  CONFLICT {conflict.ask} with {conflict.policy}: {conflict.why}")
    for finding in assessment.irregularities:
        click.echo(f"  IRREGULAR {finding.kind}: {finding.why}")
    click.echo(f"  recommendation: {assessment.recommendation}")
    if assessment.escalate:
        rule = assessment.sign_offs
        click.echo(
            f"  escalated to {', '.join(assessment.escalate_to)}: needs {rule.count} sign-offs by different people"
            + (f" ({', '.join(rule.roles)})" if rule.roles else "")
        )


@requests_group.command("sign-off")
@click.argument("case_id", type=int)
@click.option("--recommend", required=True, type=click.Choice(OUTCOMES), help="The outcome you recommend.")
@REASON
@database_option
@actor_option
def sign_off_command(case_id: int, recommend: str, reason: str, database: str | None, actor: str | None) -> None:
    """Sign off a request in your role (legal or policy_lead), with the outcome you recommend."""
    from overt.enforcement.records import requests

    with opened(database, actor) as store, store.transaction() as session:
        entry = requests.sign_off(session, case_id, actor=actor_name(actor), recommendation=recommend, reason=reason)
        role = entry.role
    click.echo(f"request {case_id}: signed off by {actor_name(actor)} ({role}), recommending {recommend}")


@requests_group.command("decide")
@click.argument("case_id", type=int)
@click.option("--outcome", required=True, type=click.Choice(OUTCOMES))
@click.option("--grant", "granted", multiple=True, type=click.Choice(ASKS), help="An ask granted (partial grants).")
@click.option("--will-do", "will_do", multiple=True, help="What will be done, one line each (grants).")
@click.option("--language", default="en", show_default=True, help="Language of the draft reply.")
@click.option("--formal-channel", help="Where requests should be sent (named in replies to informal requests).")
@click.option("--reply-out", type=click.Path(dir_okay=False, path_type=Path), help="Write the draft reply here.")
@REASON
@database_option
@actor_option
def decide_command(
    case_id: int,
    outcome: str,
    granted: tuple[str, ...],
    will_do: tuple[str, ...],
    language: str,
    formal_channel: str | None,
    reply_out: Path | None,
    reason: str,
    database: str | None,
    actor: str | None,
) -> None:
    """Decide a request once its sign-offs suffice; the reply to the requester is drafted for review."""
    from overt.enforcement.records import requests

    with opened(database, actor) as store, store.transaction() as session:
        row = requests.decide(
            session,
            case_id,
            outcome,
            actor=actor_name(actor),
            reason=reason,
            granted=granted,
            will_do=will_do,
            language=language,
            formal_channel=formal_channel,
        )
        reply = row.reply
    click.echo(f"request {case_id}: {outcome}")
    if reply and reply_out is not None:
        reply_out.parent.mkdir(parents=True, exist_ok=True)
        reply_out.write_text(reply, encoding="utf-8")
        click.echo(f"draft reply written to {reply_out}")
    elif reply:
        click.echo(reply)


@requests_group.command("show")
@click.argument("case_id", type=int)
@database_option
@actor_option
def show_command(case_id: int, database: str | None, actor: str | None) -> None:
    """A request: what was asked, the policy check, the sign-offs, the outcome and the draft reply."""
    from overt.enforcement.records import requests

    with opened(database, actor) as store, store.reading() as session:
        case, row = requests.load(session, case_id, actor_name(actor), "read")
        assessment = requests.assessment_of(row)
        signed = requests.sign_offs(session, case_id)
        click.echo(f"case {case.id} [{case.state}] {case.title}")
        click.echo(f"channel {row.channel}; legal basis: {row.legal_basis or 'none stated'}")
        click.echo(f"asks: {', '.join(json.loads(row.asks))}")
        for conflict in assessment.conflicts:
            click.echo(f"  CONFLICT {conflict.ask} with {conflict.policy}: {conflict.why}")
        click.echo(f"recommendation: {assessment.recommendation}; escalate: {assessment.escalate}")
        for entry in signed:
            click.echo(f"  sign-off {entry.person} ({entry.role}): {entry.recommendation} — {entry.reason}")
        click.echo(f"outcome: {row.outcome or 'pending'}")
        if row.reply:
            click.echo(row.reply)


@requests_group.command("list")
@database_option
def list_command(database: str | None) -> None:
    """Every request with its state and outcome."""
    from overt.enforcement.records import requests

    with opened(database) as store, store.reading() as session:
        for case, row in requests.listing(session):
            who = f"{row.requester_kind} {row.entity} ({row.country})"
            click.echo(f"case {case.id} [{case.state}] {who}: {row.outcome or 'pending'}")
