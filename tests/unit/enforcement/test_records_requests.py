"""Sensitive requests on record, on SQLite and PostgreSQL: intake (who asked stays out of the chain), escalation,
sign-offs by role and person, the decision once the sign-offs suffice, conflicts, and the drafted reply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from overt.enforcement.models import AuditEvent, Case, PersonalData, Request
from overt.enforcement.records import cases, people, requests
from overt.enforcement.requests_policy import RequestFacts
from overt.enforcement.store import Store

from .test_records_cases import events, open_case, payload, seeded, verified

__all__ = ["seeded"]

LETTER = Path(__file__).parent / "fixtures" / "part2" / "letter.txt"
LETTER_SHA256 = "cd3c9d0c29eb90fd388bec75fde0793974d35be0354099d64e20ac8331888f6c"
CONTACT = {"name": "A. Official", "email": "a.official@example.gov", "phone": "+33 1 23 45 67 89"}
GOVERNMENT = RequestFacts(
    requester_kind="government",
    entity_name="Ministry of Information of Freedonia",
    country="FR",
    channel="informal",
    asks=("create_account",),
    description="Please open an account for our ministry that would not be seen as a government account.",
)
#: A request that conflicts with nothing: a verified badge for a ministry's own, openly run account.
PLAIN = GOVERNMENT.model_copy(
    update={"asks": ("verify_account",), "description": "Please verify the ministry's official account."}
)


def intake(store: Store, facts: RequestFacts = GOVERNMENT, **extra: object) -> int:
    with store.transaction() as session:
        return requests.intake(session, facts, actor="ana", **extra).id  # type: ignore[arg-type]


def sign(store: Store, case_id: int, person: str, recommendation: str = "declined") -> str:
    with store.transaction() as session:
        return requests.sign_off(
            session, case_id, actor=person, recommendation=recommendation, reason=f"{person} reviewed it"
        ).role


def decide(store: Store, case_id: int, outcome: str, actor: str = "omar", **extra: object) -> Request:
    with store.transaction() as session:
        return requests.decide(
            session,
            case_id,
            outcome,
            actor=actor,
            reason="An undisclosed government account breaks our policy.",
            **extra,  # type: ignore[arg-type]
        )


def test_intake_keeps_who_asked_out_of_the_chain(seeded: Store) -> None:
    case_id = intake(seeded, contact=CONTACT, attachments=[LETTER])
    with seeded.reading() as session:
        case = session.get(Case, case_id)
        row = session.get(Request, case_id)
        assert case is not None and row is not None
        assert (case.type, case.state, case.queue, case.priority, case.detection_source) == (
            "sensitive_request", "escalated", "sensitive_requests", "urgent", "government",
        )  # fmt: skip
        assert cases.restricted_roles(case) == {"legal", "policy_lead"}
        assert json.loads(row.attachments) == [{"name": "letter.txt", "sha256": LETTER_SHA256, "bytes": 366}]
        assert row.contact_ref is not None
        personal = session.get(PersonalData, row.contact_ref)
        assert personal is not None and personal.data is not None
        assert json.loads(personal.data) == CONTACT
        received = events(session, "request.receive")[-1]
        every = session.execute(select(AuditEvent)).scalars().all()
    for event in every:
        chained = event.payload + event.reason + event.subject_id
        for value in CONTACT.values():
            assert value not in chained
    assert received.personal_ref == row.contact_ref
    facts = payload(received)
    assert {k: facts[k] for k in ("case", "requester_kind", "entity", "country", "channel", "asks", "legal_basis")} == {
        "case": case_id, "requester_kind": "government", "entity": "Ministry of Information of Freedonia",
        "country": "FR", "channel": "informal", "asks": ["create_account"], "legal_basis": None,
    }  # fmt: skip
    assert [c["policy"] for c in facts["conflicts"]] == ["concealed_state_affiliation#hidden_operator"]
    assert facts["attachments"] == [{"sha256": LETTER_SHA256, "bytes": 366}]
    assert (facts["recommendation"], facts["escalate"]) == ("decline", True)
    with seeded.reading() as session:
        moved = payload(events(session, "case.transition")[-1])
    assert (moved["from"], moved["to"]) == ("open", "escalated")
    verified(seeded)


def test_sign_offs_need_the_role_and_one_per_person(seeded: Store) -> None:
    case_id = intake(seeded)
    for person in ("ana", "ben", "root"):  # analyst, reviewer, admin: the protected case refuses them
        with pytest.raises(people.PeopleError, match=f"{person} cannot sign off protected case {case_id}"):
            sign(seeded, case_id, person)
    assert sign(seeded, case_id, "lena") == "legal"
    with pytest.raises(requests.RequestError, match=r"lena has signed off request \d+ already"):
        sign(seeded, case_id, "lena", "granted")
    with pytest.raises(requests.RequestError, match="unknown recommendation 'yes'"):
        sign(seeded, case_id, "omar", "yes")
    with pytest.raises(requests.RequestError, match="gives its reasons"), seeded.transaction() as session:
        requests.sign_off(session, case_id, actor="omar", recommendation="declined", reason=" ")
    assert sign(seeded, case_id, "omar") == "policy_lead"
    with seeded.reading() as session:
        signed = [(s.person, s.role, s.recommendation) for s in requests.sign_offs(session, case_id)]
        logged = [payload(e) for e in events(session, "request.sign_off")]
    assert signed == [("lena", "legal", "declined"), ("omar", "policy_lead", "declined")]
    assert [(e["role"], e["recommendation"]) for e in logged] == [("legal", "declined"), ("policy_lead", "declined")]


def test_a_legal_order_role_without_protection_still_needs_a_signing_role(seeded: Store) -> None:
    # The case's protection could be widened by a holder; the sign-off itself still asks for legal or policy_lead.
    case_id = intake(seeded)
    with seeded.transaction() as session:
        cases.protect(session, case_id, ["legal", "policy_lead", "reviewer"], actor="lena", reason="reviewers help")
    with pytest.raises(requests.RequestError, match="ben cannot sign off requests: it needs the role legal or"):
        sign(seeded, case_id, "ben")


def test_decide_waits_for_the_sign_offs(seeded: Store) -> None:
    case_id = intake(seeded)
    missing = (
        "cannot be decided yet: needs 2 sign-offs by different people, has 0; needs sign-offs in the roles legal, "
    )
    with pytest.raises(requests.RequestError, match=missing + "policy_lead"):
        decide(seeded, case_id, "declined")
    sign(seeded, case_id, "lena")
    with pytest.raises(requests.RequestError, match="has 1; needs sign-offs in the roles legal, policy_lead, each by "
                                                    "a different person \\(has: legal\\)"):  # fmt: skip
        decide(seeded, case_id, "declined")
    sign(seeded, case_id, "lars")  # two people now, but both legal
    with pytest.raises(requests.RequestError, match="needs sign-offs in the roles legal, policy_lead") as refused:
        decide(seeded, case_id, "declined")
    assert "needs 2 sign-offs" not in str(refused.value)
    with pytest.raises(people.PeopleError, match="ana cannot decide protected case"):
        decide(seeded, case_id, "declined", actor="ana")
    with seeded.reading() as session:
        row = session.get(Request, case_id)
        assert row is not None and row.outcome is None
        assert events(session, "request.decide") == []
    sign(seeded, case_id, "omar")
    row = decide(seeded, case_id, "declined")
    assert row.outcome == "declined"


def test_declined_with_a_draft_reply(seeded: Store) -> None:
    case_id = intake(seeded)
    sign(seeded, case_id, "lena")
    sign(seeded, case_id, "omar")
    decide(seeded, case_id, "declined")
    with seeded.reading() as session:
        row = session.get(Request, case_id)
        case = session.get(Case, case_id)
        decided = payload(events(session, "request.decide")[-1])
    assert row is not None and case is not None and case.state == "decided"
    assert row.reply is not None and "DRAFT" in row.reply
    assert (
        "Ministry of Information of Freedonia" in row.reply
        and "concealed_state_affiliation#hidden_operator" in row.reply
    )
    assert "An undisclosed government account breaks our policy." in row.reply
    assert {k: decided[k] for k in ("case", "requester_kind", "country", "channel", "asks", "legal_basis", "outcome",
                                    "sign_offs")} == {
        "case": case_id, "requester_kind": "government", "country": "FR", "channel": "informal",
        "asks": ["create_account"], "legal_basis": None, "outcome": "declined", "sign_offs": 2,
    }  # fmt: skip
    assert [c["policy"] for c in decided["conflicts"]] == ["concealed_state_affiliation#hidden_operator"]
    with pytest.raises(requests.RequestError, match="was decided already \\(declined\\)"):
        decide(seeded, case_id, "granted")
    with pytest.raises(requests.RequestError, match="was decided already"):
        sign(seeded, case_id, "lars")
    verified(seeded)


def test_a_conflicting_ask_is_never_granted_and_the_rest_only_unanimously(seeded: Store) -> None:
    split = intake(seeded)
    sign(seeded, split, "lena", "granted")
    sign(seeded, split, "omar", "declined")
    with pytest.raises(requests.RequestError, match="asks that conflict with policy cannot be granted \\(create_acc"):
        decide(seeded, split, "granted")
    with pytest.raises(requests.RequestError, match="conflicts with policy \\(concealed_state_affiliation"
                                                    "#hidden_operator\\); it can be partially granted "
                                                    "only if every sign-off recommends it"):  # fmt: skip
        decide(seeded, split, "partially_granted", granted=["verify_account"])
    assert decide(seeded, split, "declined").outcome == "declined"

    # Both recommend a partial grant: the asks that do not conflict are granted, the conflicting one is not.
    both = GOVERNMENT.model_copy(update={"asks": ("create_account", "verify_account")})
    partial = intake(seeded, both)
    sign(seeded, partial, "lena", "partially_granted")
    sign(seeded, partial, "omar", "partially_granted")
    with pytest.raises(requests.RequestError, match=f"request {partial}: say what we will do for the asks granted"):
        decide(seeded, partial, "partially_granted", granted=["verify_account"])
    row = decide(seeded, partial, "partially_granted", granted=["verify_account"], will_do=["We verify the account."])
    assert row.outcome == "partially_granted" and row.reply is not None
    assert "We verify the account." in row.reply and "DRAFT" in row.reply

    # Everyone recommends granting the conflicting ask itself: still refused (a policy change would be needed),
    # and nothing is stored.
    unanimous = intake(seeded)
    sign(seeded, unanimous, "lena", "granted")
    sign(seeded, unanimous, "omar", "granted")
    with pytest.raises(requests.RequestError, match=f"request {unanimous}: asks that conflict with policy cannot be"):
        decide(seeded, unanimous, "granted", will_do=["We will open an account."])
    with seeded.reading() as session:
        pending = session.get(Request, unanimous)
        assert pending is not None and pending.outcome is None

    # Without a conflict, the sign-offs still have to suffice, but they need not agree with the outcome.
    plain = intake(seeded, PLAIN)
    sign(seeded, plain, "lena", "declined")
    sign(seeded, plain, "omar", "granted")
    row = decide(seeded, plain, "granted", will_do=["We will verify the account."])
    assert row.reply is not None and "DRAFT" in row.reply


def test_unknown_outcome_and_withdrawal(seeded: Store) -> None:
    case_id = intake(seeded)
    with pytest.raises(requests.RequestError, match="unknown outcome 'ignored'"):
        decide(seeded, case_id, "ignored")
    with pytest.raises(requests.RequestError, match="gives its reasons"), seeded.transaction() as session:
        requests.decide(session, case_id, "declined", actor="omar", reason="")
    # A requester can withdraw before the sign-offs; there is nothing to reply to.
    row = decide(seeded, case_id, "withdrawn")
    assert (row.outcome, row.reply) == ("withdrawn", None)
    other = open_case(seeded)
    with pytest.raises(requests.RequestError, match=f"case {other} is not a request"), seeded.transaction() as session:
        requests.load(session, other, "omar", "read")
