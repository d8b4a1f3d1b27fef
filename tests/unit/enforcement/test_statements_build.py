"""Building statements of reasons from decisions: fields, grounds, sources, PUIDs, and decisions without one."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from overt.enforcement.actions import ActionSpec, combine_dsa_fields, dsa_fields
from overt.enforcement.policies.load import load_defaults
from overt.enforcement.statements.build import DecisionFacts, derive_puid, policy_fields, statement_from
from overt.enforcement.statements.schema import PUID_PATTERN
from overt.enforcement.statements.validate import validate

APPLIED = date(2025, 7, 2)


def policy_kwargs(policy_id: str = "concealed_state_affiliation", clause: str = "hidden_operator") -> dict[str, Any]:
    (policy,) = [p for p in load_defaults() if p.id == policy_id]
    return policy_fields(policy, clause)


def facts(**changes: Any) -> DecisionFacts:
    values: dict[str, Any] = {
        "platform": "example-video",
        "decision_id": "D0001",
        "subject_id": "acct-991",
        **policy_kwargs(),
        "explanation": "The account presents itself as a private citizen while a state body operates it.",
        "reference_url": "https://example.org/policies/concealed_state_affiliation",
        "content_types": ("CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO"),
        "content_language": "de",
        "content_date": date(2025, 6, 2),
        "application_date": APPLIED,
        "facts": "One of 38 accounts that posted the same 214 texts within 90 seconds of each other.",
        "detection_source": "automated",
        "automated_detection": True,
        "automated_decision": False,
        "account_type": "private",
    }
    values.update(changes)
    return DecisionFacts(**values)


def fields_of(*specs: ActionSpec, home_market: str | None = None) -> dict[str, Any]:
    return combine_dsa_fields(dsa_fields(s, home_market=home_market, applied_at=APPLIED) for s in specs)


LABEL = ActionSpec(type="label", label_text="Operated by a state body", markets=("EU",))
SUSPEND = ActionSpec(type="suspend", duration="P30D", markets=("DE", "AT", "US"))


def test_a_terms_decision_in_full() -> None:
    built = statement_from(facts(), fields_of(LABEL, SUSPEND))
    assert built.skipped is None
    statement = built.statement
    assert statement is not None
    clause_text = " ".join(policy_kwargs()["clause_text"].split())
    assert statement == {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_LABELLED"],
        "decision_account": "DECISION_ACCOUNT_SUSPENDED",
        "end_date_account_restriction": "2025-08-01",
        "account_type": "ACCOUNT_TYPE_PRIVATE",
        "decision_facts": "One of 38 accounts that posted the same 214 texts within 90 seconds of each other.",
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": "Policy Concealed state affiliation (concealed_state_affiliation), version 1, "
        "clause hidden_operator",
        "incompatible_content_explanation": f'The clause says: "{clause_text}" The account presents itself as a '
        "private citizen while a state body operates it.",
        "decision_ground_reference_url": "https://example.org/policies/concealed_state_affiliation",
        "content_type": ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO"],
        "category": "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        "category_specification": ["KEYWORD_MISINFORMATION_DISINFORMATION"],
        "territorial_scope": statement["territorial_scope"],
        "content_language": "DE",
        "content_date": "2025-06-02",
        "application_date": "2025-07-02",
        "source_type": "SOURCE_VOLUNTARY",
        "automated_detection": "Yes",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "puid": derive_puid("example-video", "D0001", "acct-991"),
    }
    # The EU's 27 countries from the label (the US of the suspension is not in the EEA).
    assert len(statement["territorial_scope"]) == 27 and "NO" not in statement["territorial_scope"]
    assert validate(statement) == []


def test_the_clause_overrides_the_policy_classification() -> None:
    kwargs = policy_kwargs(clause="false_persona")
    assert (kwargs["category"], kwargs["keywords"]) == (
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        ("KEYWORD_INAUTHENTIC_ACCOUNTS",),
    )
    with pytest.raises(ValueError, match="has no clause 'nope'"):
        policy_kwargs(clause="nope")


def test_temporary_ad_block_and_monetisation() -> None:
    specs = (
        ActionSpec(type="block_ads", duration="P3M", markets=("FR",)),
        ActionSpec(type="block_monetisation", markets=("FR",)),
    )
    statement = statement_from(facts(), fields_of(*specs)).statement
    assert statement is not None
    assert statement["decision_provision"] == "DECISION_PROVISION_PARTIAL_SUSPENSION"
    assert statement["end_date_service_restriction"] == "2025-10-02"
    assert statement["decision_monetary"] == "DECISION_MONETARY_TERMINATION"
    assert "end_date_monetary_restriction" not in statement  # indefinite: left out, not null
    assert statement["territorial_scope"] == ["FR"]
    assert validate(statement) == []


def test_illegal_ground() -> None:
    decision = facts(
        ground="illegal",
        legal_ground="Section 5 of the Act on Foreign Agents",
        legal_explanation="The content is an undeclared broadcast of a sanctioned outlet.",
    )
    statement = statement_from(decision, fields_of(LABEL)).statement
    assert statement is not None
    assert statement["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert statement["illegal_content_legal_ground"] == "Section 5 of the Act on Foreign Agents"
    assert "incompatible_content_ground" not in statement
    assert validate(statement) == []


def test_illegal_ground_without_legal_ground_is_caught_by_the_validator() -> None:
    statement = statement_from(facts(ground="illegal"), fields_of(LABEL)).statement
    assert statement is not None
    assert [p.field for p in validate(statement)] == ["illegal_content_legal_ground", "illegal_content_explanation"]


def test_terms_ground_that_is_also_illegal() -> None:
    statement = statement_from(facts(also_illegal=True), fields_of(LABEL)).statement
    assert statement is not None and statement["incompatible_content_illegal"] == "Yes"


@pytest.mark.parametrize(
    ("source", "source_type"),
    [
        ("user_report", "SOURCE_ARTICLE_16"),
        ("trusted_flagger", "SOURCE_TRUSTED_FLAGGER"),
        ("government", "SOURCE_TYPE_OTHER_NOTIFICATION"),
        ("automated", "SOURCE_VOLUNTARY"),
        ("own_review", "SOURCE_VOLUNTARY"),
    ],
)
def test_source_type(source: str, source_type: str) -> None:
    statement = statement_from(facts(detection_source=source), fields_of(LABEL)).statement
    assert statement is not None and statement["source_type"] == source_type
    assert "source_identity" not in statement


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (True, "AUTOMATED_DECISION_FULLY"),
        (False, "AUTOMATED_DECISION_NOT_AUTOMATED"),
        ("AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_PARTIALLY"),
    ],
)
def test_automated_decision(value: bool | str, code: str) -> None:
    statement = statement_from(facts(automated_decision=value), fields_of(LABEL)).statement
    assert statement is not None and statement["automated_decision"] == code


def test_unknown_automation_code_is_refused() -> None:
    with pytest.raises(ValidationError, match="'PARTIALLY' is not one of"):
        facts(automated_decision="PARTIALLY")


def test_no_statement_outside_the_eea() -> None:
    built = statement_from(facts(), fields_of(ActionSpec(type="demote", markets=("US", "GB"))))
    assert built.statement is None
    assert built.skipped == "decision D0001 applies only outside the EEA, so it needs no statement of reasons"


def test_no_statement_outside_the_home_market_when_home_is_the_whole_scope() -> None:
    spec = ActionSpec(type="demote", markets=("RU",), outside_home_market=True)
    built = statement_from(facts(), fields_of(spec, home_market="RU"))
    assert built.statement is None and built.skipped is not None


def test_no_statement_without_restriction() -> None:
    built = statement_from(facts(), {"territorial_scope": ["DE"]})
    assert built.statement is None
    assert built.skipped == "decision D0001 restricts nothing, so it needs no statement of reasons"


def test_action_fields_must_be_dsa_fields() -> None:
    with pytest.raises(ValueError, match="not DSA fields of an action: markets"):
        statement_from(facts(), {**fields_of(LABEL), "markets": ["EU"]})


def test_puid_is_stable_distinct_and_in_format() -> None:
    one = derive_puid("example-video", "D0001", "acct-991")
    assert one == derive_puid("example-video", "D0001", "acct-991")
    assert one != derive_puid("example-video", "D0001", "acct-992")
    assert one != derive_puid("other-platform", "D0001", "acct-991")
    assert one.startswith("overt-D0001-") and len(one) == len("overt-D0001-") + 16
    assert "acct" not in one
    keyed = derive_puid("example-video", "D0001", "acct-991", key=b"secret")
    assert keyed != one and keyed.startswith("overt-D0001-")
    odd = derive_puid("p", "case 7/decision #2", "s")
    assert odd.startswith("overt-case_7_decision_2-")
    assert PUID_PATTERN.fullmatch(odd) and PUID_PATTERN.fullmatch(derive_puid("p", "D" * 900, "s"))
    assert len(derive_puid("p", "D" * 900, "s")) <= 500


def test_keyword_other_and_content_type_other_pass_through() -> None:
    decision = facts(
        keywords=("KEYWORD_OTHER",),
        keyword_other="State-run persona network",
        content_types=("CONTENT_TYPE_OTHER",),
        content_type_other="Livestream",
    )
    statement = statement_from(decision, fields_of(LABEL)).statement
    assert statement is not None
    assert statement["category_specification_other"] == "State-run persona network"
    assert statement["content_type_other"] == "Livestream"
    assert validate(statement) == []
