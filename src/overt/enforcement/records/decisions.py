"""Decisions on record: the clause applied, the facts, the actions taken, the notices sent and the DSA statements.

A decision on a case cites the policy (id and the version in force) and the clause it applies, states the facts,
says how the matter was detected, whether detection and decision were automated and whether a state actor was
involved, and takes its actions (each checked against the policy's allowed actions in its markets, then applied).
Each account acted on gets a notice from the templates, in its language where one exists, with the appeal route
and deadline; each account whose actions reach the EEA gets a statement of reasons for the DSA Transparency
Database. All of it happens in one transaction, with an audit event for every step.

:func:`take_down` is the decision on a network case: the same actions on every member that was not excepted, one
decision, and a ``takedown.execute`` event with what platforms publish about a takedown (origin, targets, accounts,
followers, detection, DISARM techniques).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from overt.enforcement import audit, markets
from overt.enforcement.actions import ActionSpec
from overt.enforcement.canonical import content_hash
from overt.enforcement.models import Action, Case, CaseAccount, Decision, Notice, Statement
from overt.enforcement.policies import Policy
from overt.enforcement.records import actions as action_records
from overt.enforcement.records import cases
from overt.enforcement.records.policies import policy_set
from overt.errors import OvertError

OUTCOMES = ("action", "no_action")
#: States a case can be decided from.
DECIDABLE = ("open", "in_review", "escalated")


class DecisionError(OvertError):
    """A decision the case, the policy or the people involved do not allow."""


@dataclass(frozen=True)
class Order:
    """One action a decision takes on one subject, and what the notice to its holder needs."""

    spec: ActionSpec
    subject_kind: str
    subject_id: str
    home_market: str | None = None
    language: str | None = None
    handle: str | None = None


@dataclass(frozen=True)
class Facts:
    """How the matter came to be decided: the facts in words, and the flags the DSA and the report need."""

    text: str
    detection_source: str
    automated_detection: bool
    automated_decision: bool = False
    state_actor: bool = False
    #: Network decisions: how many accounts acted together (the notice says so).
    network_size: int | None = None
    content_type: tuple[str, ...] = ("CONTENT_TYPE_TEXT",)
    #: When the content acted on was posted (network decisions: the cluster's last coordinated action); None: today.
    content_date: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


#: Hooks filled in by the notice and statement builders (kept apart so that this module has one job).
NoticeMaker = Callable[[Session, Decision, Policy, Sequence[Order], Facts], list[Notice]]
StatementMaker = Callable[[Session, Decision, Policy, Sequence[Order], Sequence[Action], Facts], list[Statement]]


def _check_clause(policies: dict[str, Policy], enforces: str) -> tuple[Policy, str]:
    policy_id, _, clause = enforces.partition("#")
    policy = policies.get(policy_id)
    if policy is None:
        raise DecisionError(f"no stored policy '{policy_id}' (stored: {', '.join(sorted(policies)) or 'none'})")
    if clause not in policy.clause_ids():
        raise DecisionError(
            f"policy '{policy_id}' has no clause '{clause}' (clauses: {', '.join(policy.clause_ids())})"
        )
    return policy, clause


def _check_allowed(policy: Policy, clause: str, order: Order, on: date) -> None:
    checked = list(order.spec.markets)
    home = order.home_market
    # An action not limited to audiences outside the home market reaches the home market too (GLOBAL covers it),
    # where an outside-home-market variant does not apply: check it there as well.
    reaches_home = home is not None and any(markets.covers(market, home) for market in checked)
    if home and reaches_home and not order.spec.outside_home_market and home not in checked:
        checked.append(home)
    for market in checked:
        refusal = policy.allows(order.spec.type, market, on, clause=clause, home_market=order.home_market)
        if refusal:
            raise DecisionError(f"{order.spec.type} on {order.subject_kind} in {market}: {refusal}")


def decide(
    session: Session,
    case_id: int,
    *,
    enforces: str,
    outcome: str,
    facts: Facts,
    orders: Sequence[Order],
    deciders: Sequence[str],
    actor: str,
    reason: str,
    notices: NoticeMaker | None = None,
    statements: StatementMaker | None = None,
    on: date | None = None,
) -> Decision:
    """Decide a case: record the decision, apply its actions, make its notices and statements, close the review."""
    case = cases.get(session, case_id, actor, "decide")
    if case.state not in DECIDABLE:
        raise DecisionError(f"case {case_id} is {case.state}; only an open, in-review or escalated case is decided")
    if outcome not in OUTCOMES:
        raise DecisionError(f"unknown outcome '{outcome}' (outcomes: {', '.join(OUTCOMES)})")
    if (outcome == "action") != bool(orders):
        raise DecisionError("an 'action' decision takes at least one action; a 'no_action' decision takes none")
    if not facts.text.strip():
        raise DecisionError("a decision states its facts")
    if facts.detection_source not in cases.SOURCES:
        raise DecisionError(f"unknown detection source '{facts.detection_source}' ({', '.join(cases.SOURCES)})")
    people = sorted({name for name in (*deciders, actor) if name.strip()})
    day = on or datetime.now(UTC).date()
    policies = policy_set(session)
    policy, clause = _check_clause(policies, enforces)
    for order in orders:
        _check_allowed(policy, clause, order, day)
    row = Decision(
        case_id=case.id,
        policy_id=policy.id,
        policy_version=policy.version,
        clause=clause,
        outcome=outcome,
        facts=facts.text,
        detection_source=facts.detection_source,
        automated_detection=facts.automated_detection,
        automated_decision=facts.automated_decision,
        state_actor=facts.state_actor,
        decided_by=json.dumps(people),
        decided_at=audit.now(),
    )
    session.add(row)
    session.flush()
    source = action_records.Source(policy_id=policy.id, policy_version=policy.version, clause=clause)
    taken: list[Action] = []
    for order in orders:
        action = action_records.propose(
            session,
            spec=order.spec,
            subject_kind=order.subject_kind,
            subject_id=order.subject_id,
            source=source,
            actor=actor,
            reason=f"decision {row.id} on case {case.id}",
            home_market=order.home_market,
            decision_id=row.id,
            case_id=case.id,
        )
        taken.append(action_records.apply(session, action.id, actor=actor, reason=reason, on=day))
    audit.record(
        session,
        actor=actor,
        action="decision.make",
        subject_kind="decision",
        subject_id=str(row.id),
        reason=reason,
        after=f"decisions:{row.id}@{content_hash({'facts': facts.text, 'clause': enforces, 'by': people})}",
        payload={
            "decision": row.id,
            "case": case.id,
            "case_type": case.type,
            "policy_id": policy.id,
            "policy_version": policy.version,
            "clause": clause,
            "outcome": outcome,
            "actions": [action.id for action in taken],
            "detection_source": facts.detection_source,
            "automated_detection": facts.automated_detection,
            "automated_decision": facts.automated_decision,
            "state_actor": facts.state_actor,
            "deciders": len(people),
        }
        | facts.extra,
    )
    if notices is not None and taken:
        notices(session, row, policy, orders, facts)
    if statements is not None and taken:
        statements(session, row, policy, orders, taken, facts)
    cases.set_state(session, case, "decided", actor=actor, reason=f"decision {row.id}: {outcome}")
    return row


def take_down(
    session: Session,
    case_id: int,
    *,
    enforces: str,
    specs: Sequence[ActionSpec],
    facts: Facts,
    origin: str,
    targets: Sequence[str],
    deciders: Sequence[str],
    actor: str,
    reason: str,
    notices: NoticeMaker | None = None,
    statements: StatementMaker | None = None,
    on: date | None = None,
) -> Decision:
    """Act on a whole network at once: every member not excepted gets ``specs``; one decision, one takedown event."""
    case = cases.get(session, case_id, actor, "take down")
    if case.type != "network":
        raise DecisionError(f"case {case_id} is a {case.type} case; a takedown acts on a network case")
    members = list(
        session.execute(
            select(CaseAccount)
            .where(CaseAccount.case_id == case_id, CaseAccount.status == "member")
            .order_by(CaseAccount.account_id)
        ).scalars()
    )
    if not members:
        raise DecisionError(f"case {case_id} has no member left to act on")
    snapshot = json.loads(case.snapshot or "{}")
    handles = {m["account_id"]: m.get("handle") for m in snapshot.get("members", [])}
    orders = [
        Order(
            spec=spec,
            subject_kind="account",
            subject_id=member.account_id,
            home_market=member.home_market,
            language=member.language,
            handle=handles.get(member.account_id),
        )
        for member in members
        for spec in specs
    ]
    excepted = session.execute(
        select(CaseAccount).where(CaseAccount.case_id == case_id, CaseAccount.status == "excepted")
    ).all()
    network_facts = replace(
        facts, network_size=len(members), content_date=facts.content_date or _last_activity(snapshot)
    )
    decision = decide(
        session,
        case_id,
        enforces=enforces,
        outcome="action",
        facts=network_facts,
        orders=orders,
        deciders=deciders,
        actor=actor,
        reason=reason,
        notices=notices,
        statements=statements,
        on=on,
    )
    followers = [m.followers for m in members]
    taken = session.execute(select(Action.id).where(Action.decision_id == decision.id)).scalars().all()
    audit.record(
        session,
        actor=actor,
        action="takedown.execute",
        subject_kind="case",
        subject_id=str(case_id),
        reason=reason,
        payload={
            "case": case_id,
            "decision": decision.id,
            "scan": snapshot.get("scan", {}).get("fingerprint"),
            "cluster": snapshot.get("cluster"),
            "accounts": len(members),
            "excepted": len(excepted),
            "followers": None if any(f is None for f in followers) else sum(f for f in followers if f is not None),
            "origin": origin,
            "targets": sorted(set(targets)),
            "detection_source": facts.detection_source,
            "techniques": [t["technique_id"] for t in snapshot.get("techniques", [])],
            "policy": enforces,
            "actions": list(taken),
        },
    )
    return decision


def _last_activity(snapshot: dict[str, Any]) -> date | None:
    last = (snapshot.get("stats") or {}).get("last_at")
    return date.fromisoformat(str(last)[:10]) if last else None


def involved(session: Session, decision: Decision) -> set[str]:
    """Everyone who had a hand in a decision: its deciders and whoever proposed or applied its actions."""
    people = set(json.loads(decision.decided_by))
    people |= set(session.execute(select(Action.proposed_by).where(Action.decision_id == decision.id)).scalars())
    case = session.get(Case, decision.case_id)
    if case is not None and case.assignee:
        people.add(case.assignee)
    return people
