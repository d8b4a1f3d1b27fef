"""Sensitive requests on record: intake, the policy check, escalation, two sign-offs, the decision and the reply.

Every request — a government's, a party's or anyone's asking for something sensitive — becomes a protected case
(only people with the ``legal`` or ``policy_lead`` role may act on it) with the request's facts, the attachments'
hashes and the policy check (:func:`overt.enforcement.requests_policy.assess`): the asks that conflict with a
policy, with the clause, and the default recommendation, which is to decline when anything conflicts. Requests
that must be escalated (every government request, among others) go straight to ``escalated`` and cannot be decided
before the sign-offs the assessment names: two, by different people, one from legal and one from policy. An ask
that conflicts with policy is never granted (that would take a new policy version, adopted in the open); the rest
of a conflicting request can be granted in part only if every sign-off recommended it. The decision records
the outcome and the reasons and drafts the reply to the requester for a person to review and send.

Who asked (a person's name, e-mail, phone) is personal data: it is kept apart from the chained audit payload and
can be erased; the requesting entity, its country, the channel, the asks and the legal basis are chained, because
the transparency report counts them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from overt.enforcement import audit
from overt.enforcement.models import Case, Request, SignOff
from overt.enforcement.notices import RequestReplyFacts, render_request_reply
from overt.enforcement.records import cases, people
from overt.enforcement.records.policies import policy_set
from overt.enforcement.requests_policy import Assessment, RequestFacts, assess
from overt.enforcement.requests_policy import SignOff as Signer
from overt.errors import OvertError

OUTCOMES = ("declined", "granted", "partially_granted", "withdrawn")
SIGNING_ROLES = ("legal", "policy_lead")


class RequestError(OvertError):
    """A request step that the sign-offs, the policy check or the request's state do not allow."""


def _attachment(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {"name": path.name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _facts_payload(row: Request) -> dict[str, Any]:
    return {
        "requester_kind": row.requester_kind,
        "entity": row.entity,
        "country": row.country,
        "channel": row.channel,
        "asks": json.loads(row.asks),
        "legal_basis": row.legal_basis,
    }


def intake(
    session: Session,
    request: RequestFacts,
    *,
    actor: str,
    contact: Mapping[str, str] | None = None,
    attachments: Sequence[Path] = (),
) -> Case:
    """Record a request, check it against the stored policies, and route it (escalated when the rules say so)."""
    assessment = assess(request, policy_set(session))
    kind = request.requester_kind
    case = cases.open_case(
        session,
        type="sensitive_request",
        title=f"{kind.capitalize()} request from {request.entity_name} ({request.country}): {', '.join(request.asks)}",
        actor=actor,
        reason="request received",
        queue="sensitive_requests",
        priority="urgent" if assessment.conflicts else "high",
        detection_source="government" if kind == "government" else "own_review",
        subject_kind="request",
        restricted_to=SIGNING_ROLES,
    )
    files = [_attachment(Path(p)) for p in attachments]
    row = Request(
        case_id=case.id,
        requester_kind=kind,
        entity=request.entity_name,
        country=request.country,
        channel=request.channel,
        asks=json.dumps(list(request.asks)),
        legal_basis=request.legal_basis,
        description=request.description,
        attachments=json.dumps(files),
        assessment=json.dumps(assessment.to_json()),
    )
    session.add(row)
    event = audit.record(
        session,
        actor=actor,
        action="request.receive",
        subject_kind="case",
        subject_id=str(case.id),
        reason=f"{kind} request received via {request.channel}",
        payload={"case": case.id}
        | _facts_payload(row)
        | {
            "conflicts": assessment.conflicts_payload(),
            "recommendation": assessment.recommendation,
            "escalate": assessment.escalate,
            "attachments": [{"sha256": f["sha256"], "bytes": f["bytes"]} for f in files],
        },
        personal=dict(contact) if contact else None,
    )
    row.contact_ref = event.personal_ref
    if assessment.escalate:
        reasons = "; ".join(assessment.escalation_reasons) or "escalation required"
        cases.set_state(session, case, "escalated", actor=actor, reason=f"escalated to legal and policy: {reasons}")
    return case


def load(session: Session, case_id: int, actor: str, what: str) -> tuple[Case, Request]:
    case = cases.get(session, case_id, actor, what)
    row = session.get(Request, case_id)
    if row is None:
        raise RequestError(f"case {case_id} is not a request")
    return case, row


def assessment_of(row: Request) -> Assessment:
    return Assessment.model_validate_json(row.assessment)


def sign_off(session: Session, case_id: int, *, actor: str, recommendation: str, reason: str) -> SignOff:
    """One person's sign-off, in their role (legal or policy lead), with the outcome they recommend."""
    case, row = load(session, case_id, actor, "sign off")
    if row.outcome is not None:
        raise RequestError(f"request {case_id} was decided already ({row.outcome})")
    if recommendation not in OUTCOMES:
        raise RequestError(f"unknown recommendation '{recommendation}' ({', '.join(OUTCOMES)})")
    if not reason.strip():
        raise RequestError("a sign-off gives its reasons")
    held = [role for role in SIGNING_ROLES if role in people.roles_of(session, actor)]
    if not held:
        raise RequestError(f"{actor} cannot sign off requests: it needs the role legal or policy_lead")
    signed = session.execute(select(SignOff).where(SignOff.case_id == case_id, SignOff.person == actor)).first()
    if signed is not None:
        raise RequestError(f"{actor} has signed off request {case_id} already; a second sign-off is someone else's")
    roles_taken = {s.role for s in session.execute(select(SignOff).where(SignOff.case_id == case_id)).scalars()}
    role = next((r for r in held if r not in roles_taken), held[0])
    entry = SignOff(
        case_id=case_id, person=actor, role=role, recommendation=recommendation, reason=reason, at=audit.now()
    )
    session.add(entry)
    audit.record(
        session,
        actor=actor,
        action="request.sign_off",
        subject_kind="case",
        subject_id=str(case.id),
        reason=reason,
        payload={"case": case.id, "role": role, "recommendation": recommendation},
    )
    return entry


def sign_offs(session: Session, case_id: int) -> list[SignOff]:
    return list(session.execute(select(SignOff).where(SignOff.case_id == case_id).order_by(SignOff.id)).scalars())


def decide(
    session: Session,
    case_id: int,
    outcome: str,
    *,
    actor: str,
    reason: str,
    granted: Sequence[str] = (),
    will_do: Sequence[str] = (),
    language: str = "en",
    formal_channel: str | None = None,
) -> Request:
    """Decide a request once its sign-offs suffice; record the outcome, the reasons and the draft reply.

    ``granted`` lists the asks granted (all of them for ``granted`` when empty) and ``will_do`` what will be done,
    in words for the reply; the reply is drafted in ``language`` (English where no template exists) and stored
    with the request, marked DRAFT, for legal and policy to review before anyone sends it.
    """
    case, row = load(session, case_id, actor, "decide")
    if row.outcome is not None:
        raise RequestError(f"request {case_id} was decided already ({row.outcome})")
    if outcome not in OUTCOMES:
        raise RequestError(f"unknown outcome '{outcome}' ({', '.join(OUTCOMES)})")
    if not reason.strip():
        raise RequestError("a decision on a request gives its reasons")
    assessment = assessment_of(row)
    signed = sign_offs(session, case_id)
    if outcome != "withdrawn":
        missing = assessment.sign_offs.problems([Signer(person=s.person, role=s.role) for s in signed])
        if missing:
            raise RequestError(f"request {case_id} cannot be decided yet: {'; '.join(missing)}")
        forbidden = [ask for ask in assessment.declined_asks() if outcome == "granted" or ask in granted]
        if forbidden:
            raise RequestError(
                f"request {case_id}: asks that conflict with policy cannot be granted ({', '.join(forbidden)}); "
                "decline them, or grant the others in part: granting them would take a new version of the policy, "
                "adopted in the open"
            )
        if assessment.conflicts and outcome != "declined":
            against = [s.person for s in signed if s.recommendation != outcome]
            if against:
                raise RequestError(
                    f"request {case_id} conflicts with policy ({', '.join(c.policy for c in assessment.conflicts)}); "
                    f"it can be {outcome.replace('_', ' ')} only if every sign-off recommends it "
                    f"({', '.join(against)} did not)"
                )
    row.outcome = outcome
    if outcome != "withdrawn":
        row.reply = _draft_reply(case, row, assessment, outcome, reason, granted, will_do, language, formal_channel)
    cases.set_state(session, case, "decided", actor=actor, reason=f"request {outcome}")
    audit.record(
        session,
        actor=actor,
        action="request.decide",
        subject_kind="case",
        subject_id=str(case.id),
        reason=reason,
        payload={"case": case.id}
        | _facts_payload(row)
        | {
            "outcome": outcome,
            "conflicts": assessment.conflicts_payload(),
            "sign_offs": len({s.person for s in signed}),
            "recommended": assessment.recommendation,
        },
    )
    return row


def _draft_reply(
    case: Case,
    row: Request,
    assessment: Assessment,
    outcome: str,
    reason: str,
    granted: Sequence[str],
    will_do: Sequence[str],
    language: str,
    formal_channel: str | None,
) -> str:
    asks = tuple(json.loads(row.asks))
    try:
        facts = RequestReplyFacts(
            case_id=str(case.id),
            entity_name=row.entity,
            received_on=datetime.fromisoformat(case.opened_at).date(),
            channel=cast(Any, row.channel),
            asks=cast(Any, asks),
            legal_basis=row.legal_basis,
            outcome=cast(Any, outcome),
            granted_asks=cast(Any, tuple(granted) if granted else (asks if outcome == "granted" else ())),
            will_do=tuple(will_do),
            conflicts=assessment.conflicts,
            reasons=reason,
            formal_channel=formal_channel,
        )
    except ValidationError as error:  # e.g. a grant that does not say what will be done: a user error, not a crash
        raise RequestError(f"request {case.id}: " + "; ".join(e["msg"] for e in error.errors())) from error
    reply = render_request_reply(facts, language)
    return f"{reply.subject}\n\n{reply.body}"


def listing(session: Session) -> list[tuple[Case, Request]]:
    query = select(Case, Request).join(Request, Request.case_id == Case.id).order_by(Case.id)
    return [(case, row) for case, row in session.execute(query).all()]
