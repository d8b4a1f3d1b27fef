"""Rules on record: versions, the lifecycle draft → shadow → live → retired, second-person approval, and runs.

- A new rule, or a changed one, is stored as a new version in ``draft``: a changed condition is a new rule as far
  as anyone who approved the old one is concerned, so it goes through shadow and approval again.
- ``draft → shadow`` and stepping back (``live → shadow``, ``shadow → draft``) need one person: they reduce what
  the rule does. ``shadow → live`` is requested by one person and approved by another, who is neither the
  requester nor the author of the version; until then the rule stays in shadow. ``retired`` is final.
- :func:`run` evaluates every shadow and live rule on a scan: a shadow run records what the rule would do and does
  nothing; a live run also proposes its actions (:mod:`overt.enforcement.records.actions`), except for subjects in
  markets where the policy does not allow the action; a reviewer then applies or declines them. Every step is an
  audit event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from overt.enforcement import audit
from overt.enforcement.canonical import canonical_json, content_hash
from overt.enforcement.documents import Document
from overt.enforcement.models import Action, RuleMatch, RuleRun, RuleVersion
from overt.enforcement.models import Rule as RuleRow
from overt.enforcement.policies import Policy
from overt.enforcement.records import actions as action_records
from overt.enforcement.records.policies import policy_set
from overt.enforcement.rules.backtest import BacktestResult, backtest
from overt.enforcement.rules.document import Rule, rules_from_document
from overt.errors import OvertError

STATES = ("draft", "shadow", "live", "retired")
#: Transitions one person may make (they never widen what a rule does), by (from, to).
_DIRECT = {("draft", "shadow"), ("shadow", "draft"), ("live", "shadow")} | {(s, "retired") for s in STATES[:3]}


class RuleStoreError(OvertError):
    """A rule change the lifecycle does not allow."""


def known_clauses(policies: dict[str, Policy]) -> set[str]:
    """Every ``policy#clause`` a rule may cite, from the stored policy set."""
    return {f"{policy.id}#{clause}" for policy in policies.values() for clause in policy.clause_ids()}


def check_file(session: Session, document: Document) -> list[Rule]:
    """Check a rule document against the stored policies (all problems at once, as :class:`DocumentError`)."""
    return rules_from_document(document, known_clauses=known_clauses(policy_set(session)))


def allowed_by(policies: dict[str, Policy], on: date) -> Callable[[str, str, str], str | None]:
    """The policy check a backtest applies per market: None when allowed, else the policy's reason."""

    def allowed(enforces: str, action_type: str, market: str) -> str | None:
        policy_id, _, clause = enforces.partition("#")
        policy = policies.get(policy_id)
        if policy is None:
            return f"policy '{policy_id}' is not stored"
        return policy.allows(action_type, market, on, clause=clause)

    return allowed


def _ref(row: RuleVersion) -> str:
    return f"rule_versions:{row.rule_id}@{row.version}:{row.content_hash}"


@dataclass(frozen=True)
class Added:
    id: str
    version: int
    outcome: str  # created | new_version | unchanged


def add(session: Session, rule: Rule, document: Document, *, actor: str, reason: str) -> Added:
    """Store a checked rule: a new rule or a new version, in draft; the same content again changes nothing."""
    spec = rule.to_json()
    digest = content_hash(spec)
    head = session.get(RuleRow, rule.id)
    if head is not None:
        current = session.get(RuleVersion, (rule.id, head.current_version))
        if current is not None and current.content_hash == digest:
            return Added(rule.id, head.current_version, "unchanged")
        if head.state == "retired":
            raise RuleStoreError(f"rule '{rule.id}' is retired; give a new rule a new id")
    number = 1 if head is None else head.current_version + 1
    row = RuleVersion(
        rule_id=rule.id,
        version=number,
        document=canonical_json(spec),
        source=document.text,
        source_path=str(document.path),
        content_hash=digest,
        stored_at=audit.now(),
        stored_by=actor,
    )
    previous_state = head.state if head is not None else None
    before = None
    if head is None:
        head = RuleRow(id=rule.id, author=actor, current_version=number, state="draft")
        session.add(head)
    else:
        previous = session.get(RuleVersion, (rule.id, head.current_version))
        before = _ref(previous) if previous is not None else None
        head.current_version, head.author = number, actor
    head.state, head.subject, head.enforces, head.action_type = (
        "draft",
        rule.subject,
        rule.spec.enforces,
        rule.spec.action.type,
    )
    head.requested_state = head.requested_by = head.requested_at = None
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="rule.create" if number == 1 else "rule.version",
        subject_kind="rule",
        subject_id=rule.id,
        reason=reason,
        before=before,
        after=_ref(row),
        payload={"version": number, "state": "draft", "was": previous_state, "enforces": rule.spec.enforces},
    )
    return Added(rule.id, number, "created" if number == 1 else "new_version")


def _head(session: Session, rule_id: str) -> RuleRow:
    head = session.get(RuleRow, rule_id)
    if head is None:
        known = ", ".join(session.execute(select(RuleRow.id).order_by(RuleRow.id)).scalars())
        raise RuleStoreError(f"no rule '{rule_id}' (stored: {known or 'none'})")
    return head


def _transition(session: Session, head: RuleRow, to: str, *, actor: str, reason: str, action: str) -> None:
    was = head.state
    head.state = to
    head.requested_state = head.requested_by = head.requested_at = None
    audit.record(
        session,
        actor=actor,
        action=action,
        subject_kind="rule",
        subject_id=head.id,
        reason=reason,
        before=f"rules:{head.id}@{head.current_version}:{was}",
        after=f"rules:{head.id}@{head.current_version}:{to}",
        payload={"version": head.current_version, "from": was, "to": to},
    )


def promote(session: Session, rule_id: str, to: str, *, actor: str, reason: str) -> str:
    """Move a rule in its lifecycle; going live only files a request that a second person must approve.

    Returns the rule's state afterwards.
    """
    if to not in STATES:
        raise RuleStoreError(f"unknown state '{to}' (one of: {', '.join(STATES)})")
    head = _head(session, rule_id)
    if head.state == to:
        raise RuleStoreError(f"rule '{rule_id}' is already {to}")
    if head.state == "retired":
        raise RuleStoreError(f"rule '{rule_id}' is retired; retired rules do not come back (add a new rule)")
    if (head.state, to) in _DIRECT:
        _transition(session, head, to, actor=actor, reason=reason, action=f"rule.{to}")
        return to
    if (head.state, to) != ("shadow", "live"):
        raise RuleStoreError(
            f"rule '{rule_id}' is {head.state}: it cannot go to {to} directly (draft → shadow → live; "
            "a rule runs in shadow before it acts)"
        )
    head.requested_state, head.requested_by, head.requested_at = "live", actor, audit.now()
    audit.record(
        session,
        actor=actor,
        action="rule.request_live",
        subject_kind="rule",
        subject_id=rule_id,
        reason=reason,
        payload={"version": head.current_version},
    )
    return head.state


def approve(session: Session, rule_id: str, *, actor: str, reason: str) -> str:
    """Approve a pending request to go live: by someone other than the requester and the version's author."""
    head = _head(session, rule_id)
    if head.requested_state != "live":
        raise RuleStoreError(f"rule '{rule_id}' has no pending request to go live (request it with promote --to live)")
    refusals = []
    if actor == head.requested_by:
        refusals.append(f"{actor} requested it")
    if actor == head.author:
        refusals.append(f"{actor} wrote this version")
    if refusals:
        raise RuleStoreError(
            f"rule '{rule_id}' needs a second person to go live: {' and '.join(refusals)}; someone else must approve it"
        )
    requester = head.requested_by
    _transition(session, head, "live", actor=actor, reason=f"{reason} (requested by {requester})", action="rule.live")
    return "live"


def stored_rules(session: Session, states: Sequence[str] = STATES) -> list[tuple[RuleRow, RuleVersion]]:
    query = (
        select(RuleRow, RuleVersion)
        .join(RuleVersion, (RuleVersion.rule_id == RuleRow.id) & (RuleVersion.version == RuleRow.current_version))
        .where(RuleRow.state.in_(list(states)))
        .order_by(RuleRow.id)
    )
    return [(head, row) for head, row in session.execute(query)]


def rule_of(row: RuleVersion, session: Session) -> Rule:
    """A stored version, checked again (against the policies stored now) and compiled."""
    from overt.enforcement import documents

    document = documents.parse(row.source, f"{row.source_path} (rule {row.rule_id} v{row.version})")
    rules = [rule for rule in check_file(session, document) if rule.id == row.rule_id]
    if not rules:
        raise RuleStoreError(f"stored rule '{row.rule_id}' v{row.version} is no longer in its source text")
    return rules[0]


def scan_fingerprint(scan_dir: Path) -> str:
    """Identifies the scan a run used: the hash of its summary.json (parameters, inputs and counts)."""
    summary = scan_dir / "summary.json"
    return hashlib.sha256(summary.read_bytes()).hexdigest() if summary.exists() else "0" * 64


def run(
    session: Session, scan_dir: Path, *, actor: str, dataset_dir: Path | None = None, on: date | None = None
) -> list[tuple[RuleRun, BacktestResult]]:
    """Evaluate every shadow and live rule on a scan; record the runs; propose the live rules' actions."""
    policies = policy_set(session)
    day = on or datetime.now(UTC).date()
    fingerprint = scan_fingerprint(scan_dir)
    outcomes = []
    for head, version in stored_rules(session, ("shadow", "live")):
        rule = rule_of(version, session)
        result = backtest([rule], scan_dir, dataset_dir, allowed=allowed_by(policies, day))
        summary = {"evaluated": result.evaluated, "markets": [m.to_json() for m in result.markets]}
        run_row = RuleRun(
            rule_id=head.id,
            rule_version=head.current_version,
            mode=head.state,
            scan=str(scan_dir),
            scan_hash=fingerprint,
            matched=len(result.matches),
            summary=canonical_json(summary),
            run_at=audit.now(),
            run_by=actor,
        )
        session.add(run_row)
        session.flush()
        for match in result.matches:
            session.add(
                RuleMatch(
                    run_id=run_row.id,
                    subject_kind=match.subject,
                    subject_id=str(match.subject_id),
                    evidence=canonical_json(match.to_json()["evidence"]),
                    markets=json.dumps(list(match.markets)),
                )
            )
        # The policy's market variants may forbid the action wherever the subject is: propose nothing for those.
        actionable = [match for match in result.matches if not set(match.markets) <= set(match.blocked)]
        blocked = len(result.matches) - len(actionable)
        audit.record(
            session,
            actor=actor,
            action=f"rule.run.{head.state}",
            subject_kind="rule",
            subject_id=head.id,
            reason=f"{head.state} run on scan {fingerprint[:12]}: {len(result.matches)} match(es)"
            + (" (recorded only: shadow rules do nothing)" if head.state == "shadow" else "")
            + (
                f", {blocked} not acted on: the policy does not allow the action there"
                if blocked and head.state == "live"
                else ""
            ),
            after=f"rule_runs:{run_row.id}",
            payload={
                "version": head.current_version,
                "scan": fingerprint,
                "matched": len(result.matches),
                "blocked": blocked,
            }
            | summary,
        )
        if head.state == "live":
            policy_id, _, clause = rule.spec.enforces.partition("#")
            source = action_records.Source(
                policy_id=policy_id,
                policy_version=policies[policy_id].version,
                clause=clause,
                rule_id=head.id,
                rule_version=head.current_version,
            )
            # A second run on the same scan must not propose the same action twice.
            pending = set(
                session.execute(
                    select(Action.subject_id).where(
                        Action.rule_id == head.id,
                        Action.rule_version == head.current_version,
                        Action.status.in_(["proposed", "in_effect"]),
                    )
                ).scalars()
            )
            for match in actionable:
                subject_id = (
                    f"{fingerprint[:12]}:{match.subject_id}" if match.subject == "cluster" else str(match.subject_id)
                )
                if subject_id in pending:
                    continue
                action_records.propose(
                    session,
                    spec=rule.spec.action,
                    subject_kind=match.subject,
                    subject_id=subject_id,
                    source=source,
                    actor=actor,
                    reason=f"rule {head.id} v{head.current_version} matched on scan {fingerprint[:12]}",
                )
        outcomes.append((run_row, result))
    return outcomes
