"""Enforcement actions on record: proposed, put into effect, reversed — each step an audit event.

There is no other way to create or change an action than these functions, and each writes its audit event in the
same transaction (the store's guard refuses anything else), so no label, demotion or suspension exists that the log
does not show. An action cites the policy clause it enforces (and the policy version in force), the rule or
designation it came from, and carries the DSA statement-of-reasons fields its type produces.

The subject's identifier (an account or post id) is kept on the action, where it is needed to act, and out of the
chained audit payload, where it could not be erased: the event references it as personal data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from overt.enforcement import audit
from overt.enforcement.actions import ACTIONS, ActionSpec, dsa_fields
from overt.enforcement.canonical import canonical_json, content_hash
from overt.enforcement.models import Action, Decision
from overt.errors import OvertError

STATUSES = ("proposed", "in_effect", "reversed", "declined")
#: Which status each step may start from.
_FROM = {"apply": ("proposed",), "decline": ("proposed",), "reverse": ("in_effect",)}
_DONE = {"apply": "applied", "decline": "declined", "reverse": "reversed"}


class ActionError(OvertError):
    """An action step that the action's state does not allow."""


@dataclass(frozen=True)
class Source:
    """Where an action comes from: the policy clause it enforces, and the rule or designation that proposed it."""

    policy_id: str
    policy_version: int
    clause: str
    rule_id: str | None = None
    rule_version: int | None = None
    designation_id: str | None = None

    @property
    def enforces(self) -> str:
        return f"{self.policy_id}#{self.clause}"


def _ref(row: Action) -> str:
    state = {
        "id": row.id,
        "type": row.action_type,
        "subject": [row.subject_kind, row.subject_id],
        "status": row.status,
        "spec": json.loads(row.spec),
        "policy": [row.policy_id, row.policy_version, row.clause],
        "applied_at": row.applied_at,
        "ends_at": row.ends_at,
        "reversed_at": row.reversed_at,
    }
    return f"actions:{row.id}@{content_hash(state)}"


def _payload(row: Action, session: Session | None = None) -> dict[str, object]:
    """The chained facts of an action: what, where, under which clause, and how it was detected and decided.

    The transparency report counts actions from these alone. An action taken by a decision carries the decision's
    facts; one proposed by a live rule was detected automatically and is decided by the reviewer who applies it.
    """
    spec = json.loads(row.spec)
    decision = session.get(Decision, row.decision_id) if session is not None and row.decision_id else None
    if decision is not None:
        how = {
            "detection_source": decision.detection_source,
            "automated_detection": decision.automated_detection,
            "automated_decision": decision.automated_decision,
            "state_actor": decision.state_actor,
        }
    else:
        automated = row.rule_id is not None
        how = {
            "detection_source": "automated" if automated else "own_review",
            "automated_detection": automated,
            "automated_decision": False,
            "state_actor": None,
        }
    return {
        "action": row.id,
        "type": row.action_type,
        "subject_kind": row.subject_kind,
        "status": row.status,
        "enforces": f"{row.policy_id}#{row.clause}",
        "policy_version": row.policy_version,
        "rule": [row.rule_id, row.rule_version] if row.rule_id else None,
        "designation": row.designation_id,
        "decision": row.decision_id,
        "case": row.case_id,
        "markets": spec.get("markets", ["GLOBAL"]),
        "spec": spec,
    } | how


def propose(
    session: Session,
    *,
    spec: ActionSpec,
    subject_kind: str,
    subject_id: str,
    source: Source,
    actor: str,
    reason: str,
    home_market: str | None = None,
    decision_id: int | None = None,
    case_id: int | None = None,
) -> Action:
    """Record a proposed action; it changes nothing for the user until :func:`apply`."""
    if subject_kind not in spec.kind.subjects:
        raise ActionError(
            f"{spec.type} cannot be applied to a {subject_kind} (only to: {', '.join(sorted(spec.kind.subjects))})"
        )
    row = Action(
        action_type=spec.type,
        subject_kind=subject_kind,
        subject_id=subject_id,
        policy_id=source.policy_id,
        policy_version=source.policy_version,
        clause=source.clause,
        rule_id=source.rule_id,
        rule_version=source.rule_version,
        designation_id=source.designation_id,
        decision_id=decision_id,
        case_id=case_id,
        spec=canonical_json(spec.to_json() | {"home_market": home_market}),
        dsa="{}",
        status="proposed",
        reason=reason,
        proposed_by=actor,
        proposed_at=audit.now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="action.propose",
        subject_kind="action",
        subject_id=str(row.id),
        reason=reason,
        after=_ref(row),
        payload=_payload(row, session),
        personal={"subject_id": subject_id},
    )
    return row


def _step(session: Session, action_id: int, step: str, actor: str) -> Action:
    row = session.get(Action, action_id)
    if row is None:
        raise ActionError(f"no action {action_id}")
    if row.status not in _FROM[step]:
        raise ActionError(
            f"action {action_id} is {row.status.replace('_', ' ')}; only an action that is "
            f"{' or '.join(state.replace('_', ' ') for state in _FROM[step])} can be {_DONE[step]}"
        )
    if not actor.strip():
        raise ActionError("every step needs an actor")
    return row


def _recorded(
    session: Session, row: Action, step: str, before: str, actor: str, reason: str, extra: dict[str, Any] | None = None
) -> Action:
    """Write the audit event of one step of ``row`` (its state before and after, and the step's own facts)."""
    audit.record(
        session,
        actor=actor,
        action=f"action.{step}",
        subject_kind="action",
        subject_id=str(row.id),
        reason=reason,
        before=before,
        after=_ref(row),
        payload=_payload(row, session) | (extra or {}),
    )
    return row


def apply(session: Session, action_id: int, *, actor: str, reason: str, on: date | None = None) -> Action:
    """Put a proposed action into effect; its DSA fields are fixed with the application date."""
    row = _step(session, action_id, "apply", actor)
    before = _ref(row)
    spec = ActionSpec.model_validate({k: v for k, v in json.loads(row.spec).items() if k != "home_market"})
    home = json.loads(row.spec).get("home_market")
    day = on or datetime.now(UTC).date()
    try:
        fields = dsa_fields(spec, home_market=home, applied_at=day)
    except ValueError as error:  # an outside-home-market action proposed without the subject's home market
        raise ActionError(f"action {action_id} cannot be applied: {error}") from error
    end = spec.end_date(day)
    row.status = "in_effect"
    row.applied_at = audit.now()
    row.ends_at = end.isoformat() if end else None
    row.dsa = canonical_json(fields)
    return _recorded(session, row, "apply", before, actor, reason, {"dsa": fields})


def decline(session: Session, action_id: int, *, actor: str, reason: str) -> Action:
    """Decide not to take a proposed action (e.g. a reviewer disagrees with the rule's proposal)."""
    row = _step(session, action_id, "decline", actor)
    before = _ref(row)
    row.status = "declined"
    return _recorded(session, row, "decline", before, actor, reason)


def reverse(session: Session, action_id: int, *, actor: str, reason: str, appeal_id: int | None = None) -> Action:
    """Undo an action in effect (an upheld appeal, an error found): every effect ends, and the log says why."""
    row = _step(session, action_id, "reverse", actor)
    before = _ref(row)
    row.status = "reversed"
    row.reversed_at = audit.now()
    row.reversed_by = actor
    spec = json.loads(row.spec)
    undo = {"undo": ACTIONS[spec["type"]].reversal, "appeal": appeal_id}
    return _recorded(session, row, "reverse", before, actor, reason, undo)


def listing(
    session: Session, *, status: Sequence[str] | None = None, subject_id: str | None = None, limit: int | None = None
) -> list[Action]:
    """Actions, newest first, optionally by status or subject."""
    query = select(Action).order_by(Action.id.desc())
    if status:
        query = query.where(Action.status.in_(list(status)))
    if subject_id is not None:
        query = query.where(Action.subject_id == subject_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())
