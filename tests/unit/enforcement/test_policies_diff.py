"""Diffs between policy versions: a one-line summary and a unified diff of the canonical YAML (golden)."""

from __future__ import annotations

import os
from pathlib import Path

from overt.enforcement.policies import DEFAULTS_DIR, diff, parse_policy, summary, to_yaml

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OVERT_UPDATE_GOLDEN"):
        path.write_text(text + "\n", encoding="utf-8")
    assert path.is_file(), f"no golden {name}: run OVERT_UPDATE_GOLDEN=1 pytest {__file__}"
    assert text + "\n" == path.read_text(encoding="utf-8")


OLD = (DEFAULTS_DIR / "political_advertising.yaml").read_text(encoding="utf-8")
NEW = (
    OLD.replace("version: 1", "version: 2")
    .replace(
        "allowed_actions: [label, remove_content, block_ads, suspend]",
        "allowed_actions: [label, remove_content, block_ads]",
    )
    .replace(
        "      Only a sponsor whose identity and country we have verified may run political ads.\n",
        "      Only a sponsor whose identity, country and source of funds we have verified may run\n"
        "      political ads.\n",
    )
    .replace(
        "  - id: no_concealed_sponsor\n",
        "  - id: ad_library\n"
        "    text: |\n"
        "      Every political ad stays in our public ad library for seven years.\n"
        "    severity: low\n"
        "    allowed_actions: [label]\n"
        "  - id: no_concealed_sponsor\n",
    )
    .replace("    markets: [EU]\n", "    markets: [EEA]\n")
)


def test_diff_of_two_versions() -> None:
    old, new = parse_policy(OLD), parse_policy(NEW)
    assert summary(old, new) == (
        "political_advertising v1 -> v2: clauses: 1 added (ad_library), 1 changed (verified_sponsor); "
        "variant: 1 changed (eu_third_country_sponsors); allowed actions: -suspend"
    )
    check_golden("policies_diff.txt", diff(old, new))


def test_summary_names_other_fields_and_no_changes() -> None:
    old = parse_policy(OLD)
    assert summary(old, old) == "political_advertising v1 -> v1: no changes"
    retitled = parse_policy(OLD.replace("title: Political advertising", "title: Paid political messages"))
    assert summary(old, retitled) == "political_advertising v1 -> v1: also changed: title"
    removed = parse_policy(OLD.replace("variants:", "unused:").split("unused:")[0])
    assert summary(old, removed).endswith("variant: 1 removed (eu_third_country_sponsors)")


def test_yaml_form_reads_back_to_the_same_policy() -> None:
    policy = parse_policy(OLD)
    assert parse_policy(to_yaml(policy)) == policy
    assert to_yaml(policy).startswith("id: political_advertising\nversion: 1\n")
