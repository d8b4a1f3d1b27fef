"""Appeals on record: filed within the window, decided by someone not involved, overturning undoes every effect.

An appeal concerns one account's share of a decision (for a network takedown, one member). It can be filed until
the appeal deadline of that account's notice (six months after the notice at least; the notice names the date), or
six months after the decision when there was no notice. Its reviewer must not have decided the original case,
proposed or applied its actions, or been assigned to it. Overturning reverses every action of the decision on that
account (labels come down, visibility and the account come back), each reversal an audit event that names the
appeal, so the transparency report counts it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from overt.enforcement import audit
from overt.enforcement.models import Action, Appeal, Case, Decision, Notice
from overt.enforcement.notices import appeal_deadline
from overt.enforcement.records import actions as action_records
from overt.enforcement.records import cases
from overt.enforcement.records.decisions import involved
from overt.errors import OvertError

OUTCOMES = ("upheld", "overturned")


class AppealError(OvertError):
    """An appeal that the window, the decision or the reviewer does not allow."""


def deadline(session: Session, decision: Decision, account_id: str) -> date:
    """The last day to appeal: the notice's deadline, or six months after the decision without a notice."""
    notice = session.execute(
        select(Notice).where(Notice.decision_id == decision.id, Notice.account_id == account_id)
    ).scalar_one_or_none()
    if notice is not None:
        return date.fromisoformat(notice.appeal_until)
    return appeal_deadline(datetime.fromisoformat(decision.decided_at).date())


def file(
    session: Session, decision_id: int, account_id: str, grounds: str, *, actor: str, on: date | None = None
) -> Case:
    """File an appeal for one account against a decision; the original case shows it as appealed."""
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise AppealError(f"no decision {decision_id}")
    if not grounds.strip():
        raise AppealError("an appeal states its grounds")
    subjects = set(session.execute(select(Action.subject_id).where(Action.decision_id == decision_id)).scalars())
    if account_id not in subjects:
        raise AppealError(f"decision {decision_id} took no action on {account_id}: there is nothing to appeal")
    day = on or datetime.now(UTC).date()
    last = deadline(session, decision, account_id)
    if day > last:
        raise AppealError(f"the appeal window for decision {decision_id} closed on {last.isoformat()}")
    open_appeal = session.execute(
        select(Appeal).where(
            Appeal.decision_id == decision_id, Appeal.account_id == account_id, Appeal.outcome.is_(None)
        )
    ).scalar_one_or_none()
    if open_appeal is not None:
        raise AppealError(
            f"an appeal of decision {decision_id} for this account is already open (case {open_appeal.case_id})"
        )
    original = cases.get(session, decision.case_id)
    case = cases.open_case(
        session,
        type="appeal",
        title=f"Appeal against decision {decision_id} (case {original.id})",
        actor=actor,
        reason="appeal filed",
        queue="appeals",
        priority="high",
        restricted_to=sorted(cases.restricted_roles(original)),
        parent_id=original.id,
        subject_kind="decision",
        subject_id=str(decision_id),
    )
    filed_at = audit.now()
    session.add(
        Appeal(case_id=case.id, decision_id=decision_id, account_id=account_id, grounds=grounds, filed_at=filed_at)
    )
    if original.state == "decided":
        cases.set_state(session, original, "appealed", actor=actor, reason=f"appeal {case.id} filed")
    notice_at = session.execute(
        select(Notice.created_at).where(Notice.decision_id == decision_id, Notice.account_id == account_id)
    ).scalar_one_or_none()
    audit.record(
        session,
        actor=actor,
        action="appeal.file",
        subject_kind="appeal",
        subject_id=str(case.id),
        reason="appeal filed",
        payload={
            "appeal": case.id,
            "decision": decision_id,
            "case": original.id,
            "filed_at": filed_at,
            "notice_at": notice_at,
            "deadline": last.isoformat(),
        },
        personal={"account_id": account_id, "grounds": grounds},
    )
    return case


def decide(session: Session, appeal_id: int, outcome: str, *, actor: str, reason: str) -> Appeal:
    """Decide an appeal; ``overturned`` reverses every action of the decision on the appellant's account."""
    if outcome not in OUTCOMES:
        raise AppealError(f"unknown outcome '{outcome}' (outcomes: {', '.join(OUTCOMES)})")
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise AppealError(f"no appeal {appeal_id}")
    if appeal.outcome is not None:
        raise AppealError(f"appeal {appeal_id} was decided already ({appeal.outcome})")
    if not reason.strip():
        raise AppealError("an appeal decision gives its reasons")
    appeal_case = cases.get(session, appeal.case_id, actor, "decide")
    decision = session.get(Decision, appeal.decision_id)
    assert decision is not None
    if actor in involved(session, decision):
        raise AppealError(
            f"{actor} was involved in decision {decision.id}; an appeal is decided by someone who was not"
        )
    reversed_ids: list[int] = []
    if outcome == "overturned":
        effective = session.execute(
            select(Action).where(
                Action.decision_id == decision.id,
                Action.subject_id == appeal.account_id,
                Action.status == "in_effect",
            )
        ).scalars()
        for action in list(effective):
            action_records.reverse(
                session, action.id, actor=actor, reason=f"appeal {appeal_id} overturned: {reason}", appeal_id=appeal_id
            )
            reversed_ids.append(action.id)
    appeal.outcome, appeal.decided_by, appeal.decided_at, appeal.reason = outcome, actor, audit.now(), reason
    cases.set_state(session, appeal_case, "decided", actor=actor, reason=f"appeal {outcome}")
    original = session.get(Case, decision.case_id)
    still_open = session.execute(
        select(Appeal.case_id).where(Appeal.decision_id == decision.id, Appeal.outcome.is_(None))
    ).first()
    if original is not None and original.state == "appealed" and still_open is None:
        cases.set_state(session, original, "decided", actor=actor, reason=f"appeal {appeal_id} decided: {outcome}")
    audit.record(
        session,
        actor=actor,
        action="appeal.decide",
        subject_kind="appeal",
        subject_id=str(appeal_id),
        reason=reason,
        payload={
            "appeal": appeal_id,
            "decision": decision.id,
            "outcome": outcome,
            "filed_at": appeal.filed_at,
            "decided_at": appeal.decided_at,
            "reversed_actions": reversed_ids,
        },
    )
    return appeal


def listing(session: Session, *, open_only: bool = False) -> list[Appeal]:
    query = select(Appeal).order_by(Appeal.filed_at)
    if open_only:
        query = query.where(Appeal.outcome.is_(None))
    return list(session.execute(query).scalars())
