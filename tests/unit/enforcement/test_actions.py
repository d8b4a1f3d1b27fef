"""The action vocabulary: specs, their validation, and every action's DSA statement-of-reasons fields."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from overt.enforcement import dsa
from overt.enforcement.actions import (
    ACTION_TYPES,
    ACTIONS,
    ActionSpec,
    Duration,
    combine_dsa_fields,
    dsa_fields,
    parse_duration,
)

DAY = date(2026, 1, 31)


def test_vocabulary_is_the_shared_one() -> None:
    assert ACTION_TYPES == (
        "label",
        "demote",
        "exclude_from_recommendations",
        "restrict_interaction",
        "remove_content",
        "suspend",
        "terminate",
        "block_ads",
        "block_monetisation",
    )
    for kind in ACTIONS.values():
        assert kind.description and kind.reversal
        assert kind.dsa_field in dsa.DECISION_FIELDS
        assert kind.subjects <= {"account", "post", "cluster"}
        values = {kind.dsa_value_temporary, kind.dsa_value_indefinite}
        assert values <= dsa.DECISION_VISIBILITIES | dsa.DECISION_MONETARIES | dsa.DECISION_PROVISIONS | (
            dsa.DECISION_ACCOUNTS
        )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"type": "label", "label_text": "State-controlled media (Russia)"},
            {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_LABELLED"], "end_date_visibility_restriction": None},
        ),
        (
            {"type": "demote", "duration": "P30D"},
            {
                "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DEMOTED"],
                "end_date_visibility_restriction": "2026-03-02",
            },
        ),
        (
            {"type": "exclude_from_recommendations"},
            {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_DEMOTED"], "end_date_visibility_restriction": None},
        ),
        (
            {"type": "restrict_interaction", "duration": "P2W"},
            {
                "decision_visibility": ["DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED"],
                "end_date_visibility_restriction": "2026-02-14",
            },
        ),
        (
            {"type": "remove_content"},
            {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"], "end_date_visibility_restriction": None},
        ),
        (
            {"type": "suspend", "duration": "P1M"},  # 31 January + 1 month: the last day of February
            {"decision_account": "DECISION_ACCOUNT_SUSPENDED", "end_date_account_restriction": "2026-02-28"},
        ),
        (
            {"type": "suspend"},
            {"decision_account": "DECISION_ACCOUNT_SUSPENDED", "end_date_account_restriction": None},
        ),
        (
            {"type": "terminate"},
            {"decision_account": "DECISION_ACCOUNT_TERMINATED", "end_date_account_restriction": None},
        ),
        (
            {"type": "block_ads", "duration": "P3M"},
            {
                "decision_provision": "DECISION_PROVISION_PARTIAL_SUSPENSION",
                "end_date_service_restriction": "2026-04-30",
            },
        ),
        (
            {"type": "block_ads"},
            {"decision_provision": "DECISION_PROVISION_PARTIAL_TERMINATION", "end_date_service_restriction": None},
        ),
        (
            {"type": "block_monetisation", "duration": "P1Y"},
            {"decision_monetary": "DECISION_MONETARY_SUSPENSION", "end_date_monetary_restriction": "2027-01-31"},
        ),
        (
            {"type": "block_monetisation"},
            {"decision_monetary": "DECISION_MONETARY_TERMINATION", "end_date_monetary_restriction": None},
        ),
    ],
)
def test_every_action_maps_to_its_dsa_fields(spec: dict[str, object], expected: dict[str, object]) -> None:
    fields = dsa_fields(ActionSpec.model_validate(spec), applied_at=DAY)
    assert fields == {**expected, "territorial_scope": sorted(dsa.EEA_COUNTRIES)}


def test_every_action_type_is_covered_by_the_mapping_test() -> None:
    # Guards the parametrised test above: a new action type needs its own case there.
    covered = {"label", "demote", "exclude_from_recommendations", "restrict_interaction", "remove_content"}
    covered |= {"suspend", "terminate", "block_ads", "block_monetisation"}
    assert covered == set(ACTION_TYPES)


def test_territorial_scope_follows_markets_and_home_market() -> None:
    abroad = ActionSpec(type="demote", outside_home_market=True)
    fields = dsa_fields(abroad, home_market="FR", applied_at=DAY)
    assert "FR" not in fields["territorial_scope"] and len(fields["territorial_scope"]) == 29
    # A home market outside the EEA leaves the whole EEA in scope.
    assert len(dsa_fields(abroad, home_market="RU", applied_at=DAY)["territorial_scope"]) == 30
    with pytest.raises(ValueError, match="no home market was given"):
        dsa_fields(abroad, applied_at=DAY)
    local = ActionSpec(type="remove_content", markets=("DE", "AT", "CH"))
    assert dsa_fields(local, applied_at=DAY)["territorial_scope"] == ["AT", "DE"]
    assert dsa_fields(ActionSpec(type="remove_content", markets=("US",)), applied_at=DAY)["territorial_scope"] == []
    assert abroad.countries(home_market="FR") == ActionSpec(type="demote").countries() - {"FR"}


def test_spec_validation_reports_each_problem() -> None:
    with pytest.raises(ValidationError) as caught:
        ActionSpec.model_validate({"type": "lable", "markets": ["de", "EU"], "duration": "3 months", "colour": 1})
    errors = {(tuple(e["loc"]), e["msg"]) for e in caught.value.errors(include_url=False)}
    assert (("type",), "unknown action 'lable' (did you mean 'label'?)") in errors
    assert (("markets", 0), "market codes are upper case: 'DE', not 'de'") in errors
    assert any(loc == ("duration",) and msg.startswith("'3 months' is not a duration") for loc, msg in errors)
    assert any(loc == ("colour",) for loc, _ in errors)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "label"}, "a label needs label_text"),
        ({"type": "label", "label_text": "   "}, "a label needs label_text"),
        ({"type": "demote", "label_text": "x"}, "label_text is only for labels, not for demote"),
        ({"type": "terminate", "duration": "P30D"}, "terminate cannot be temporary"),
        ({"type": "remove_content", "duration": "P1D"}, "remove_content cannot be temporary"),
        ({"type": "suspend", "duration": "P0D"}, "'P0D' is not a duration"),
        ({"type": "demote", "markets": []}, "an action needs at least one market"),
    ],
)
def test_inconsistent_specs_are_rejected(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ActionSpec.model_validate(spec)


def test_durations() -> None:
    assert parse_duration("P10D") == Duration(days=10)
    assert parse_duration("P2W") == Duration(days=14)
    assert parse_duration("P18M") == Duration(months=18)
    assert parse_duration("P2Y") == Duration(months=24)
    assert Duration(months=1).end(date(2024, 1, 31)) == date(2024, 2, 29)
    assert Duration(months=-3).end(date(2026, 3, 8)) == date(2025, 12, 8)
    for bad in ("30D", "P1DT2H", "P1.5M", "p3m", ""):
        with pytest.raises(ValueError, match="is not a duration"):
            parse_duration(bad)


def test_combined_fields_of_one_decision() -> None:
    parts = [
        dsa_fields(ActionSpec(type="label", label_text="x", markets=("DE",)), applied_at=DAY),
        dsa_fields(ActionSpec(type="demote", duration="P30D", markets=("FR",)), applied_at=DAY),
        dsa_fields(ActionSpec(type="block_monetisation", duration="P1M", markets=("FR",)), applied_at=DAY),
        dsa_fields(ActionSpec(type="block_monetisation", markets=("FR",)), applied_at=DAY),
        dsa_fields(ActionSpec(type="suspend", duration="P1M", markets=("FR",)), applied_at=DAY),
        dsa_fields(ActionSpec(type="suspend", duration="P3M", markets=("US",)), applied_at=DAY),
    ]
    assert combine_dsa_fields(parts) == {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DEMOTED", "DECISION_VISIBILITY_CONTENT_LABELLED"],
        "end_date_visibility_restriction": None,  # the label is indefinite
        "decision_monetary": "DECISION_MONETARY_TERMINATION",
        "end_date_monetary_restriction": None,
        "decision_account": "DECISION_ACCOUNT_SUSPENDED",
        "end_date_account_restriction": "2026-04-30",
        "territorial_scope": ["DE", "FR"],
    }


def test_specs_are_plain_json() -> None:
    spec = ActionSpec(type="label", label_text="Government account (France)", markets=("EU",))
    assert spec.to_json() == {
        "type": "label",
        "markets": ["EU"],
        "outside_home_market": False,
        "duration": None,
        "label_text": "Government account (France)",
    }
    assert ActionSpec.model_validate(spec.to_json()) == spec
