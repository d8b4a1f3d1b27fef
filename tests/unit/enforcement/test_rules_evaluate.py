"""Evaluating compiled rules: the documented null semantics, functions, let names and evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from overt.enforcement.rules.evaluate import compile_rule, read
from overt.enforcement.rules.language import check, check_rule


def run(text: str, row: dict[str, Any], subject: str = "cluster") -> bool:
    checked = check(subject, text)
    assert checked.ok, checked.diagnostics
    return compile_rule(checked)(row)


def cluster(**fields: Any) -> dict[str, Any]:
    return {"cluster": fields}


@pytest.mark.parametrize(
    ("text", "row", "expected"),
    [
        # A comparison with null is false, whatever the operator.
        ("cluster.signals.state_media.score >= 0.5", cluster(signals={}), False),
        ("cluster.signals.state_media.score < 0.5", cluster(signals={}), False),
        ("cluster.signals.state_media.score != 0.5", cluster(signals={}), False),
        ("not (cluster.signals.state_media.score >= 0.5)", cluster(signals={}), True),
        ("cluster.signals.state_media.score is None", cluster(signals={"state_media": {"score": None}}), True),
        ("cluster.signals.state_media.score is not None", cluster(signals={"state_media": {"score": 0.0}}), True),
        # Arithmetic with null is null; division by zero too.
        ("cluster.n_edges + 1 is None", cluster(n_edges=None), True),
        ("cluster.size / cluster.n_flagged is None", cluster(size=3, n_flagged=0), True),
        ("cluster.size / cluster.n_flagged == 1.5", cluster(size=3, n_flagged=2), True),
        ("cluster.size - 2 * cluster.n_flagged == -1", cluster(size=3, n_flagged=2), True),
        # coalesce gives a default.
        ("coalesce(cluster.signals.state_media.share, 0) == 0", cluster(signals={}), True),
        (
            "coalesce(cluster.signals.state_media.share, 0) == 0.4",
            cluster(signals={"state_media": {"share": 0.4}}),
            True,
        ),
        # in / not in with null are false; str in str is a substring test.
        ("'co_repost' in cluster.traces", cluster(traces=["co_repost"]), True),
        ("'co_link' not in cluster.traces", cluster(traces=["co_repost"]), True),
        ("'co_link' not in cluster.signals.state_media.countries", cluster(signals={}), False),
        ("cluster.size in [3, 4]", cluster(size=4), True),
        # Chains compare each neighbour once.
        ("0.5 < cluster.score <= 0.8", cluster(score=0.8), True),
        ("0.5 < cluster.score <= 0.8", cluster(score=0.9), False),
        ("0.5 < cluster.score <= 0.8", cluster(score=None), False),
        # Functions.
        ("min(cluster.score, cluster.median_member_score) == 0.3", cluster(score=0.3, median_member_score=None), True),
        ("max(cluster.score, cluster.median_member_score) is None", cluster(), True),
        ("abs(cluster.signals.working_hours.offset) == 5", cluster(signals={"working_hours": {"offset": -5.0}}), True),
        ("contains(cluster.techniques, 'T0049')", cluster(techniques=["T0049"]), True),
        ("contains(cluster.signals.state_media.countries, 'RU')", cluster(signals={}), False),
        ("any_in(cluster.techniques, ['T0001', 'T0049'])", cluster(techniques=["T0049"]), True),
        ("any_in(cluster.techniques, ['T0001'])", cluster(techniques=["T0049"]), False),
        ("len(cluster.traces) == 2", cluster(traces=["a", "b"]), True),
        ("len(cluster.signals.handle_pattern.pattern) is None", cluster(signals={}), True),
        (
            "days_between(cluster.first_at, cluster.last_at) == 1.5",
            cluster(first_at=datetime(2016, 10, 1, tzinfo=UTC), last_at=datetime(2016, 10, 2, 12, tzinfo=UTC)),
            True,
        ),
        # A timestamp against an ISO literal; a literal without a zone is UTC.
        ("cluster.first_at >= '2016-10-01'", cluster(first_at=datetime(2016, 10, 1, tzinfo=UTC)), True),
        ("cluster.first_at < '2016-10-01T00:00:00+01:00'", cluster(first_at=datetime(2016, 10, 1, tzinfo=UTC)), False),
        # and / or short-circuit and read missing roots as null.
        ("cluster.flagged or cluster.size > 10", cluster(flagged=True), True),
        ("cluster.flagged and cluster.size > 10", cluster(flagged=True, size=3), False),
    ],
)
def test_semantics(text: str, row: dict[str, Any], expected: bool) -> None:
    assert run(text, row) is expected


def test_account_rules_read_a_missing_cluster_as_null() -> None:
    assert run("cluster.id is None and account.score > 0.5", {"account": {"score": 0.6}, "cluster": None}, "account")
    assert not run("cluster.score > 0.1", {"account": {"score": 0.6}, "cluster": None}, "account")
    assert run("lower(account.handle) == 'abc'", {"account": {"handle": "ABC"}}, "account")


def test_let_names_are_computed_once_and_reported_as_evidence() -> None:
    rule = check_rule(
        "cluster",
        {
            "state_backed": "cluster.score >= 0.6 or cluster.signals.state_media.score >= 0.5",
            "offhours": "cluster.signals.working_hours.mismatch_share >= 0.5",
            "both": "state_backed and offhours",
        },
        "both",
    )
    assert rule.ok, rule.diagnostics
    condition = compile_rule(rule)
    row = cluster(score=0.72, signals={"working_hours": {"mismatch_share": 0.5}})
    assert condition(row)
    assert condition.evidence(row) == {
        "cluster.score": 0.72,
        "cluster.signals.state_media.score": None,
        "cluster.signals.working_hours.mismatch_share": 0.5,
        "state_backed": True,
        "offhours": True,
        "both": True,
    }
    assert not condition(cluster(score=0.72, signals={"working_hours": {"mismatch_share": 0.25}}))


def test_compile_refuses_a_rule_with_problems() -> None:
    with pytest.raises(ValueError, match="check it first"):
        compile_rule(check("cluster", "cluster.scor > 1"))


def test_read_follows_paths_through_nulls() -> None:
    row = {"a": {"b": None, "c": {"d": 1}}}
    assert read(row, "a.c.d") == 1
    assert read(row, "a.b.x") is None
    assert read(row, "z.y") is None
