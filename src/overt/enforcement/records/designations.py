"""Designations on record: each review step (propose, approve, reject, withdraw, revise, appeal) stored and audited.

The review rules live in :mod:`overt.enforcement.designations.workflow` (pure functions); this module loads a
designation's review state, applies one step, stores the new state (and a new version row when the record
changed) and writes the step to the audit log, all in one transaction. Approving a designation does not act on
any account: labels are actions (:mod:`overt.enforcement.records.actions`) proposed from it and recorded as such.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from overt.enforcement import audit
from overt.enforcement.canonical import canonical_json
from overt.enforcement.designations import (
    Designation,
    DesignationError,
    ReviewState,
    appeal,
    approve,
    decide_appeal,
    propose,
    reject,
    revise,
    seed_reviews,
    withdraw,
)
from overt.enforcement.models import Designation as DesignationRow
from overt.enforcement.models import DesignationVersion


def _ref(state: ReviewState) -> str:
    return f"designations:{state.id}@{state.latest.number}:{state.latest.content_hash}"


def load(session: Session, designation_id: str) -> ReviewState:
    """The stored review state of one designation."""
    row = session.get(DesignationRow, designation_id)
    if row is None:
        raise DesignationError(f"no designation '{designation_id}'")
    return ReviewState.model_validate_json(row.review)


def _store(session: Session, state: ReviewState, *, actor: str, new: bool) -> None:
    designation = state.designation
    row = session.get(DesignationRow, state.id)
    if new:
        if row is not None:
            raise DesignationError(f"designation '{state.id}' exists already; revise it instead")
        row = DesignationRow(id=state.id)
        session.add(row)
    assert row is not None
    row.kind, row.entity, row.country = designation.kind, designation.entity, designation.country or ""
    row.status, row.current_version = state.status, state.latest.number
    row.review = canonical_json(state.to_json())
    stored = session.get(DesignationVersion, (state.id, state.latest.number))
    if stored is None:
        session.add(
            DesignationVersion(
                designation_id=state.id,
                version=state.latest.number,
                document=canonical_json(designation.to_json()),
                content_hash=state.latest.content_hash,
                stored_at=audit.now(),
                stored_by=actor,
            )
        )


def _record(
    session: Session, step: str, before: ReviewState | None, after: ReviewState, actor: str, reason: str
) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"designation.{step}",
        subject_kind="designation",
        subject_id=after.id,
        reason=reason,
        before=_ref(before) if before else None,
        after=_ref(after),
        payload={
            "status": after.status,
            "version": after.latest.number,
            "kind": after.designation.kind,
            "country": after.designation.country,
            "approvals": [a.approver for a in after.approvals],
            "in_force": after.in_force,
        },
    )


def create(session: Session, designation: Designation, *, actor: str, reason: str) -> ReviewState:
    """Propose a new designation (awaiting two approvals)."""
    state = propose(designation, proposer=actor, reason=reason)
    _store(session, state, actor=actor, new=True)
    _record(session, "propose", None, state, actor, reason)
    return state


STEPS: dict[str, Callable[..., ReviewState]] = {
    "approve": lambda state, actor, reason, **_: approve(state, approver=actor),
    "reject": lambda state, actor, reason, **_: reject(state, reviewer=actor, reason=reason),
    "withdraw": lambda state, actor, reason, **_: withdraw(state, by=actor, reason=reason),
    "revise": lambda state, actor, reason, designation, **_: revise(state, designation, author=actor, reason=reason),
    "appeal": lambda state, actor, reason, **_: appeal(state, appellant=actor, grounds=reason),
    "decide_appeal": lambda state, actor, reason, outcome, **_: decide_appeal(
        state, decided_by=actor, outcome=outcome, reason=reason
    ),
}


def step(session: Session, designation_id: str, name: str, *, actor: str, reason: str, **extra: Any) -> ReviewState:
    """Apply one review step (see :data:`STEPS`) and record it; the workflow's refusals propagate unchanged."""
    if name not in STEPS:
        raise DesignationError(f"unknown step '{name}' (one of: {', '.join(STEPS)})")
    before = load(session, designation_id)
    after = STEPS[name](before, actor, reason, **extra)
    _store(session, after, actor=actor, new=False)
    _record(session, name, before, after, actor, reason)
    return after


def seed(session: Session, *, actor: str) -> tuple[int, int]:
    """Store the proposals seeded from the shipped state-media list that are not stored yet: (added, already there).

    They are proposals awaiting review by two people; nothing is approved or labelled.
    """
    existing = set(session.execute(select(DesignationRow.id)).scalars())
    added = 0
    for state in seed_reviews():
        if state.id in existing:
            continue
        _store(session, state, actor=actor, new=True)
        _record(session, "propose", None, state, actor, f"{state.latest.reason} (proposer: {state.proposer})")
        added += 1
    return added, len(existing)


def listing(session: Session, *, status: str | None = None, kind: str | None = None) -> list[DesignationRow]:
    query = select(DesignationRow).order_by(DesignationRow.country, DesignationRow.entity)
    if status is not None:
        query = query.where(DesignationRow.status == status)
    if kind is not None:
        query = query.where(DesignationRow.kind == kind)
    return list(session.execute(query).scalars())
