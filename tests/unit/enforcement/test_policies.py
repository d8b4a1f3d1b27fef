"""Policy documents: the default set, loading with every problem located (golden), resolution by market and day.

Rewrite the goldens after a deliberate change of wording, then review them (the text is what users read)::

    OVERT_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/unit/enforcement/test_policies.py
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from overt.enforcement import documents
from overt.enforcement.actions import ACTION_TYPES
from overt.enforcement.documents import DocumentError
from overt.enforcement.policies import (
    DEFAULTS_DIR,
    Event,
    Policy,
    check_document,
    load_defaults,
    load_policies,
    parse_policy,
)

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "policies"
GOLDEN = HERE / "golden"
DEFAULT_IDS = {
    "concealed_state_affiliation",
    "coordinated_inauthentic_behaviour",
    "state_affiliated_media",
    "government_and_political_accounts",
    "political_advertising",
    "sensitive_requests",
}


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OVERT_UPDATE_GOLDEN"):
        path.write_text(text + "\n", encoding="utf-8")
    assert path.is_file(), f"no golden {name}: run OVERT_UPDATE_GOLDEN=1 pytest {__file__}"
    assert text + "\n" == path.read_text(encoding="utf-8")


def fixture_error(name: str) -> str:
    # Parsed under a repository-relative name, so the golden text does not depend on the checkout's location.
    text = (FIXTURES / name).read_text(encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        parse_policy(text, f"tests/unit/enforcement/fixtures/policies/{name}")
    return str(caught.value)


@pytest.fixture(scope="module")
def defaults() -> dict[str, Policy]:
    return {policy.id: policy for policy in load_defaults()}


# -- the default set ------------------------------------------------------------------------------------------------


def test_every_default_policy_validates(defaults: dict[str, Policy]) -> None:
    assert set(defaults) == DEFAULT_IDS
    assert sorted(p.name for p in DEFAULTS_DIR.glob("*.yaml")) == sorted(f"{i}.yaml" for i in DEFAULT_IDS)
    for policy in defaults.values():
        assert policy.version >= 1 and policy.clauses and policy.summary.strip()
        # Each file checks clean on its own too (no cross-file dependency).
        assert check_document(documents.load(DEFAULTS_DIR / f"{policy.id}.yaml"))[1] == []


def test_defaults_have_the_clauses_rules_cite(defaults: dict[str, Policy]) -> None:
    assert "concealed_state_affiliation#coordinated_concealment" in defaults["concealed_state_affiliation"].cites()
    assert {"no_ads", "no_monetisation", "no_fundraising"} <= defaults["government_and_political_accounts"].clause_ids()
    assert "no_amplification_abroad" in defaults["state_affiliated_media"].clause_ids()  # added by a variant
    [eu] = defaults["political_advertising"].variants
    assert eu.markets == ("EU",) and eu.window is not None and eu.window.months == 3
    assert "Regulation (EU) 2024/900" in eu.rationale
    [abroad] = defaults["state_affiliated_media"].variants
    assert abroad.outside_home_market and abroad.markets == ("GLOBAL",)


def test_defaults_are_our_own_words(defaults: dict[str, Policy]) -> None:
    # A cheap guard against pasted text: no other platform's name or policy phrasing in the shipped documents.
    text = " ".join(p.canonical_json() for p in defaults.values()).lower()
    for name in ("facebook", "meta platforms", "youtube", "tiktok", "twitter", "google", "instagram"):
        assert name not in text


# -- canonical form ---------------------------------------------------------------------------------------------------


def test_canonical_json_round_trips_and_hash_ignores_layout(defaults: dict[str, Policy]) -> None:
    policy = defaults["political_advertising"]
    again = Policy.model_validate(json.loads(policy.canonical_json()))
    assert again == policy and again.content_hash() == policy.content_hash()
    assert len(policy.content_hash()) == 64
    text = (DEFAULTS_DIR / "political_advertising.yaml").read_text(encoding="utf-8")
    relaid = "# a comment\n" + text.replace("severity: high\nallowed_actions:", "allowed_actions:", 1).replace(
        "title: Political advertising\n", "title: Political advertising\nseverity: high\n", 1
    )
    assert relaid != text
    assert parse_policy(relaid).content_hash() == policy.content_hash()
    changed = parse_policy(text.replace("version: 1", "version: 2"))
    assert changed.content_hash() != policy.content_hash()
    assert list(json.loads(policy.canonical_json())) == sorted(json.loads(policy.canonical_json()))


# -- errors -----------------------------------------------------------------------------------------------------------


def test_a_file_with_many_errors_reports_every_one_at_its_line() -> None:
    text = fixture_error("many_errors.yaml")
    assert text.startswith("28 problems found:")
    check_golden("policies_many_errors.txt", text)


def test_duplicate_policy_ids_across_files(tmp_path: Path) -> None:
    source = (DEFAULTS_DIR / "sensitive_requests.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(source, encoding="utf-8")
    (tmp_path / "b.yml").write_text(source, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a policy", encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        load_policies(tmp_path)
    [problem] = caught.value.problems
    assert problem.position is not None and problem.position.file.endswith("b.yml")
    assert problem.message == f"policy id 'sensitive_requests' is already used by {tmp_path / 'a.yaml'}:2:5"


def test_problems_of_several_files_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a\nid: b\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("- just a list\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        load_policies(tmp_path, tmp_path / "missing.yaml")
    messages = [problem.message for problem in caught.value.problems]
    assert messages[0] == "duplicate key 'id' (first at line 1)"
    assert messages[1] == "a policy document must be a mapping of fields, not list"
    assert messages[2].startswith("not valid YAML")
    assert messages[3].startswith(f"{tmp_path / 'missing.yaml'}: cannot read")


def test_a_policy_built_in_python_is_checked_too(defaults: dict[str, Policy]) -> None:
    data = defaults["political_advertising"].to_json()
    data["clauses"].append(dict(data["clauses"][0]))
    data["effective_to"] = "2020-01-01"
    with pytest.raises(ValidationError) as caught:
        Policy.model_validate(data)
    message = str(caught.value)
    assert "2020-01-01 is before effective_from 2025-07-01" in message
    assert "duplicate clause id 'verified_sponsor'" in message


# -- resolution -------------------------------------------------------------------------------------------------------

ELECTION = Event(kind="election", market="DE", on=date(2026, 3, 8), name="Landtag")


def test_eu_variant_holds_only_in_the_three_months_before_an_election(defaults: dict[str, Policy]) -> None:
    policy = defaults["political_advertising"]
    inside = policy.effective("DE", on=date(2026, 1, 10), events=[ELECTION])
    assert inside.variants == ("eu_third_country_sponsors",)
    assert inside.clause("third_country_sponsor_blackout") is not None
    assert inside.why == (
        "variant 'eu_third_country_sponsors' applied: DE is within EU; 2026-01-10 is within 3 months before "
        "election or referendum: election 'Landtag' in DE on 2026-03-08",
    )
    assert inside.allows("block_ads", clause="third_country_sponsor_blackout") is None
    # The window's edges: 8 December is the first day, polling day the last.
    for day, holds in [
        (date(2025, 12, 7), False),
        (date(2025, 12, 8), True),
        (date(2026, 3, 8), True),
        (date(2026, 3, 9), False),
    ]:
        assert bool(policy.effective("DE", on=day, events=[ELECTION]).variants) is holds, day


def test_eu_variant_without_an_election(defaults: dict[str, Policy]) -> None:
    policy = defaults["political_advertising"]
    quiet = policy.effective("DE", on=date(2026, 1, 10))
    assert quiet.variants == () and quiet.clause("third_country_sponsor_blackout") is None
    assert quiet.why == (
        "variant 'eu_third_country_sponsors' not applied: no election or referendum in DE is on the calendar",
    )
    assert quiet.allows("block_ads", clause="third_country_sponsor_blackout") == (
        "clause political_advertising#third_country_sponsor_blackout does not apply in DE on 2026-01-10"
    )
    # An election elsewhere does not open the window here; an EU-wide one does, in every member state.
    assert policy.effective("FR", on=date(2026, 1, 10), events=[ELECTION]).variants == ()
    eu_wide = Event(kind="election", market="EU", on=date(2029, 6, 7), name="European Parliament")
    assert policy.effective("FR", on=date(2029, 5, 1), events=[eu_wide]).variants == ("eu_third_country_sponsors",)
    outside = policy.effective("US", on=date(2026, 1, 10), events=[ELECTION])
    assert outside.why == ("variant 'eu_third_country_sponsors' not applied: US is not within EU",)
    referendum = Event(kind="referendum", market="IE", on=date(2026, 5, 1))
    assert policy.effective("IE", on=date(2026, 4, 1), events=[referendum]).variants == ("eu_third_country_sponsors",)


def test_state_media_limits_hold_only_outside_the_home_market(defaults: dict[str, Policy]) -> None:
    policy = defaults["state_affiliated_media"]
    on = date(2026, 2, 1)
    assert policy.allows("label", "RU", on, home_market="RU") is None
    assert policy.allows("demote", "DE", on, home_market="RU") is None
    assert policy.allows("block_ads", "DE", on, clause="no_ads_abroad", home_market="RU") is None
    assert policy.allows("demote", "RU", on, home_market="RU") == (
        "policy state_affiliated_media does not allow demote in RU on 2026-02-01 (variant 'outside_home_market' "
        "would allow it, but RU is the home market (RU)); allowed: label"
    )
    assert policy.allows("block_ads", "DE", on, clause="no_amplification_abroad", home_market="RU") == (
        "state_affiliated_media#no_amplification_abroad does not allow block_ads in DE on 2026-02-01 "
        "(the clause narrows the policy's actions); allowed: demote, exclude_from_recommendations"
    )
    without_home = policy.effective("DE", on=on)
    assert without_home.allowed_actions == ("label",)
    assert "no home market was given" in without_home.why[0]


def test_allows_outside_the_policy_dates_and_for_unknown_actions(defaults: dict[str, Policy]) -> None:
    policy = defaults["government_and_political_accounts"]
    assert policy.allows("block_ads", "FR", date(2025, 6, 30)) == (
        "policy government_and_political_accounts v1 is not in effect in FR on 2025-06-30"
    )
    assert policy.effective("FR", on=date(2025, 6, 30)).allowed_actions == ()
    assert policy.allows("suspend", "FR", date(2026, 1, 1)) == (
        "policy government_and_political_accounts does not allow suspend in FR on 2026-01-01; "
        "allowed: label, remove_content, block_ads, block_monetisation"
    )
    assert policy.allows("boost", "FR", date(2026, 1, 1)) == (
        f"unknown action 'boost' (expected one of: {', '.join(ACTION_TYPES)})"
    )
    with pytest.raises(ValueError, match="unknown market"):
        policy.effective("Atlantis", on=date(2026, 1, 1))


VARIANTS = """\
id: test_policy
version: 3
title: Test
effective_from: 2026-01-01
summary: A test policy.
severity: low
allowed_actions: [label, demote, suspend]
dsa: {category: STATEMENT_CATEGORY_OTHER_VIOLATION_TC}
clauses:
  - {id: "1", text: One.}
  - {id: "2", text: Two.}
  - {id: "3", text: Three.}
variants:
  - id: nordic
    markets: [NO, SE, FI, DK, IS]
    rationale: Testing.
    effective_from: 2026-03-01
    effective_to: 2026-03-31
    changes:
      remove_clauses: ["1"]
      replace_clauses: [{id: "2", text: "Two, Nordic."}]
      add_clauses: [{id: "4", text: Four.}]
      remove_actions: [suspend]
      add_actions: [terminate]
  - id: norway
    markets: [NO]
    rationale: Testing the order.
    changes:
      remove_actions: [demote]
"""


def test_variants_remove_replace_and_add_in_order() -> None:
    policy = parse_policy(VARIANTS)
    march = policy.effective("NO", on=date(2026, 3, 15))
    assert [(c.id, c.text) for c in march.clauses] == [("2", "Two, Nordic."), ("3", "Three."), ("4", "Four.")]
    assert march.allowed_actions == ("label", "terminate")
    assert march.variants == ("nordic", "norway")
    assert march.allows("suspend") == (
        "policy test_policy does not allow suspend in NO on 2026-03-15 (variant 'nordic' removes it); "
        "allowed: label, terminate"
    )
    april = policy.effective("NO", on=date(2026, 4, 1))
    assert april.variants == ("norway",) and april.allowed_actions == ("label", "suspend")
    assert april.why[0] == "variant 'nordic' not applied: it ended on 2026-03-31"
    assert policy.effective("SE", on=date(2026, 2, 1)).why[0] == "variant 'nordic' not applied: it starts on 2026-03-01"
    # A region query gets a variant only if the variant covers the whole region.
    assert policy.effective("EU", on=date(2026, 3, 15)).variants == ()
    assert policy.effective("SE", on=date(2026, 3, 15)).to_json()["variants"] == ["nordic"]
