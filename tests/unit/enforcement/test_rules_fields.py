"""The rule field schema: roots per subject, nullability, derived fields and the generated reference."""

from __future__ import annotations

import pytest

from overt.enforcement.rules import fields
from overt.enforcement.rules.fields import location_gap_hours, reference_markdown, schema
from overt.enforcement.rules.language import FUNCTIONS


def test_roots_per_subject() -> None:
    roots = {subject: {path.split(".")[0] for path in schema(subject)} for subject in fields.SUBJECTS}
    assert roots == {
        "cluster": {"cluster"},
        "account": {"account", "signals", "cluster"},
        "post": {"post", "account", "signals", "cluster"},
    }


def test_an_accounts_cluster_may_be_null_but_a_cluster_rules_cluster_is_not() -> None:
    assert str(schema("cluster")["cluster.score"].type) == "float"
    assert str(schema("account")["cluster.score"].type) == "float?"
    assert str(schema("account")["account.score"].type) == "float"
    assert str(schema("post")["account.score"].type) == "float?"
    assert str(schema("cluster")["cluster.signals.working_hours.mismatch_share"].type) == "float?"


def test_every_signal_has_score_and_value() -> None:
    for subject, prefix, table in (
        ("account", "signals", fields.ACCOUNT_SIGNALS),
        ("cluster", "cluster.signals", fields.CLUSTER_SIGNALS),
    ):
        for signal in table:
            assert f"{prefix}.{signal}.score" in schema(subject)
            assert f"{prefix}.{signal}.value" in schema(subject)


@pytest.mark.parametrize(
    ("offset", "offsets", "expected"),
    [
        (3.0, [-5.0, -4.0], 7.0),  # Moscow office clock, US East Coast location
        (-11.0, [12.0], 1.0),  # around the date line
        (5.5, [8.0, 9.0], 2.5),  # nearest of several
        (None, [1.0], None),
        (1.0, [], None),
        (1.0, None, None),
    ],
)
def test_location_gap_wraps_around_the_clock(
    offset: float | None, offsets: list[float] | None, expected: float | None
) -> None:
    assert location_gap_hours(offset, offsets) == expected


def test_derived_cluster_fields() -> None:
    by_name = {f.path: f for f in fields.CLUSTER_SIGNALS["working_hours"]}
    share, gap, located = by_name["mismatch_share"], by_name["location_gap_hours"], by_name["n_located"]
    assert share.derive is not None and gap.derive is not None and located.derive is not None
    assert share.derive({"n_mismatch": 1, "n_assessed": 4}, {}) == 0.25
    assert share.derive({"n_mismatch": 0, "n_assessed": 0}, {}) is None
    members = {"member_location_offsets": [[-5.0, -4.0], [], [3.0], [-8.0, -7.0]]}
    assert gap.derive({"offset": 3.0}, members) == 7.0  # median of 7, 0, 10
    assert located.derive({"offset": 3.0}, members) == 3
    assert gap.derive({"offset": 3.0}, {"member_location_offsets": [[], []]}) is None


def test_reference_lists_every_field_and_function() -> None:
    text = reference_markdown()
    for subject in fields.SUBJECTS:
        assert f"## Subject `{subject}`" in text
        for path, field in schema(subject).items():
            assert f"| `{path}` | `{field.type}` |" in text
    for function in FUNCTIONS.values():
        assert function.signature.replace("|", "\\|") in text
