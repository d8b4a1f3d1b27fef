"""Cases on record: opening, queues, assignment, priorities, comments, protected cases and state transitions.

A case is one piece of work from opening to closing: a network found by a scan (with its evidence frozen at
opening), an account, content, a user report, a sensitive request, a designation review or an appeal. States::

    open ─► in_review ─► escalated ─► decided ─► closed
      │         ▲  │         │            │ ▲
      │         └──┼─────────┘            ▼ │
      └────────────┴──► closed         appealed (an appeal is open; back to decided when it is decided)

A protected case (every sensitive request; any case on demand) names the roles whose holders may act on it; others
may not assign, comment, move or decide it. Every step is an audit event; comment texts stay in the case (they may
name people), the chained event carries the comment's id and hash.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from overt.enforcement import audit
from overt.enforcement.canonical import canonical_json, content_hash
from overt.enforcement.models import Case, CaseComment
from overt.enforcement.records import people
from overt.errors import OvertError

TYPES = ("network", "account", "content", "user_report", "sensitive_request", "designation_review", "appeal")
STATES = ("open", "in_review", "escalated", "decided", "closed", "appealed")
PRIORITIES = ("low", "normal", "high", "urgent")
SOURCES = ("automated", "user_report", "trusted_flagger", "government", "own_review")
#: Allowed moves by hand. "decided" is reached only by a decision and "appealed" only by filing an appeal.
MOVES = {
    "open": ("in_review", "escalated", "closed"),
    "in_review": ("escalated", "closed"),
    "escalated": ("in_review", "closed"),
    "decided": ("closed",),
    "appealed": (),
    "closed": (),
}


class CaseError(OvertError):
    """A case step the case's type, state or protection does not allow."""


def _ref(case: Case) -> str:
    state = {
        "id": case.id,
        "type": case.type,
        "state": case.state,
        "assignee": case.assignee,
        "priority": case.priority,
    }
    return f"cases:{case.id}@{content_hash(state)}"


def restricted_roles(case: Case) -> frozenset[str]:
    return frozenset(json.loads(case.restricted_to))


def get(session: Session, case_id: int, actor: str | None = None, what: str = "act on") -> Case:
    """A case; with ``actor``, only if the actor may act on it (protected cases)."""
    case = session.get(Case, case_id)
    if case is None:
        raise CaseError(f"no case {case_id}")
    if actor is not None:
        people.require(session, actor, restricted_roles(case), f"{what} protected case {case_id}")
    return case


def _event(session: Session, case: Case, step: str, actor: str, reason: str, before: str | None, **extra: Any) -> None:
    case.updated_at = audit.now()
    audit.record(
        session,
        actor=actor,
        action=f"case.{step}",
        subject_kind="case",
        subject_id=str(case.id),
        reason=reason,
        before=before,
        after=_ref(case),
        payload={"case": case.id, "type": case.type, "state": case.state, "queue": case.queue} | extra,
    )


def open_case(
    session: Session,
    *,
    type: str,
    title: str,
    actor: str,
    reason: str,
    queue: str | None = None,
    priority: str = "normal",
    detection_source: str = "own_review",
    subject_kind: str | None = None,
    subject_id: str | None = None,
    snapshot: dict[str, Any] | None = None,
    restricted_to: Sequence[str] = (),
    parent_id: int | None = None,
) -> Case:
    """Open a case (state ``open``); ``snapshot`` freezes the evidence as it was, with its hash in the log."""
    if type not in TYPES:
        raise CaseError(f"unknown case type '{type}' (types: {', '.join(TYPES)})")
    if priority not in PRIORITIES:
        raise CaseError(f"unknown priority '{priority}' (priorities: {', '.join(PRIORITIES)})")
    if detection_source not in SOURCES:
        raise CaseError(f"unknown detection source '{detection_source}' (sources: {', '.join(SOURCES)})")
    unknown = [role for role in restricted_to if role not in people.ROLES]
    if unknown:
        raise CaseError(f"unknown role(s) {', '.join(unknown)} (roles: {', '.join(people.ROLES)})")
    stamp = audit.now()
    frozen = canonical_json(snapshot) if snapshot is not None else None
    case = Case(
        type=type,
        state="open",
        title=title,
        queue=queue or type,
        priority=priority,
        restricted_to=json.dumps(sorted(set(restricted_to))),
        parent_id=parent_id,
        subject_kind=subject_kind,
        subject_id=subject_id,
        snapshot=frozen,
        snapshot_hash=content_hash(snapshot) if snapshot is not None else None,
        detection_source=detection_source,
        opened_by=actor,
        opened_at=stamp,
        updated_at=stamp,
    )
    session.add(case)
    session.flush()
    _event(
        session,
        case,
        "open",
        actor,
        reason,
        None,
        priority=priority,
        detection_source=detection_source,
        snapshot=case.snapshot_hash,
        restricted_to=sorted(set(restricted_to)),
        parent=parent_id,
    )
    return case


def assign(session: Session, case_id: int, assignee: str | None, *, actor: str, reason: str) -> Case:
    case = get(session, case_id, actor, "assign")
    if assignee is not None:
        people.require(session, assignee, restricted_roles(case), f"be assigned protected case {case_id}")
    before = _ref(case)
    case.assignee = assignee
    _event(session, case, "assign", actor, reason, before, assignee_set=assignee is not None)
    return case


def prioritise(session: Session, case_id: int, priority: str, *, actor: str, reason: str) -> Case:
    if priority not in PRIORITIES:
        raise CaseError(f"unknown priority '{priority}' (priorities: {', '.join(PRIORITIES)})")
    case = get(session, case_id, actor, "reprioritise")
    before = _ref(case)
    case.priority = priority
    _event(session, case, "prioritise", actor, reason, before, priority=priority)
    return case


def move(session: Session, case_id: int, to: str, *, actor: str, reason: str) -> Case:
    """Move a case along its workflow by hand (see :data:`MOVES`)."""
    case = get(session, case_id, actor, "move")
    if to not in MOVES.get(case.state, ()):
        allowed = ", ".join(MOVES.get(case.state, ())) or "nothing (it changes by decision or appeal)"
        raise CaseError(f"case {case_id} is {case.state}: it can move to {allowed}, not to {to}")
    before = _ref(case)
    was = case.state
    case.state = to
    _event(session, case, "transition", actor, reason, before, **{"from": was, "to": to})
    return case


def set_state(session: Session, case: Case, to: str, *, actor: str, reason: str) -> None:
    """A state change that a decision or an appeal makes (not a move by hand)."""
    before = _ref(case)
    was = case.state
    case.state = to
    _event(session, case, "transition", actor, reason, before, **{"from": was, "to": to})


def protect(session: Session, case_id: int, roles: Sequence[str], *, actor: str, reason: str) -> Case:
    """Restrict a case to holders of ``roles`` (only an admin or a current holder may change this)."""
    case = get(session, case_id)
    allowed = restricted_roles(case) | {"admin"} if restricted_roles(case) else frozenset()
    people.require(session, actor, allowed, f"change who may act on case {case_id}")
    unknown = [role for role in roles if role not in people.ROLES]
    if unknown:
        raise CaseError(f"unknown role(s) {', '.join(unknown)} (roles: {', '.join(people.ROLES)})")
    before = _ref(case)
    case.restricted_to = json.dumps(sorted(set(roles)))
    _event(session, case, "protect", actor, reason, before, restricted_to=sorted(set(roles)))
    return case


def comment(session: Session, case_id: int, text: str, *, actor: str) -> CaseComment:
    """Add a comment; its text stays in the case, the log holds its hash."""
    case = get(session, case_id, actor, "comment on")
    if not text.strip():
        raise CaseError("an empty comment")
    row = CaseComment(case_id=case.id, author=actor, at=audit.now(), text=text)
    session.add(row)
    session.flush()
    _event(session, case, "comment", actor, "comment added", _ref(case), comment=row.id, text_hash=content_hash(text))
    return row


def queue(
    session: Session,
    *,
    name: str | None = None,
    states: Sequence[str] = ("open", "in_review", "escalated", "appealed"),
    assignee: str | None = None,
    types: Sequence[str] | None = None,
) -> list[Case]:
    """Cases waiting for work, most urgent first, oldest first within a priority."""
    order = {p: i for i, p in enumerate(reversed(PRIORITIES))}
    query = select(Case).where(Case.state.in_(list(states)))
    if name is not None:
        query = query.where(Case.queue == name)
    if assignee is not None:
        query = query.where(Case.assignee == assignee)
    if types:
        query = query.where(Case.type.in_(list(types)))
    cases = list(session.execute(query).scalars())
    return sorted(cases, key=lambda case: (order.get(case.priority, 9), case.opened_at, case.id))


def comments(session: Session, case_id: int) -> list[CaseComment]:
    query = select(CaseComment).where(CaseComment.case_id == case_id).order_by(CaseComment.id)
    return list(session.execute(query).scalars())
