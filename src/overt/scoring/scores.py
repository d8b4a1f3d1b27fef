"""Account and cluster scores: coordination evidence and signals combined, with the reason for every point.

An account's score is ``sigmoid(intercept + Σ weight × feature)`` over the features of
:data:`overt.scoring.weights.ACCOUNT_FEATURES`. ``coordination`` comes from the scan's fused network: it is
``1 - exp(-ties)``, where *ties* counts the account's significant (partner, trace) pairs, so one tie gives 0.63,
three give 0.95. Every other feature is the score of the signal of the same name (0 when the signal could not
assess the account). The explanation lists each feature's contribution in log-odds with the evidence sentence
behind it, largest first, so that a reviewer can check every number against the data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from overt.model.schema import Column, Table
from overt.scoring.weights import ACCOUNT_FEATURES, Weights

if TYPE_CHECKING:
    from overt.engine import DuckDBEngine

_STR = pa.string()
_FLOAT = pa.float64()
_INT = pa.int64()
_CONTRIBUTION = pa.struct(
    [
        pa.field("contribution", _FLOAT),
        pa.field("feature", _STR),
        pa.field("value", _FLOAT),
        pa.field("weight", _FLOAT),
        pa.field("evidence", _STR),
    ]
)

SCORE_TABLE = Table(
    "scores",
    "One row per active account: how likely it belongs to a covert operation under the score model, and why.",
    (
        Column("account_id", _STR, "The account.", True),
        Column("handle", _STR, "Its handle, when the dataset has one."),
        Column("cluster", _INT, "Its cluster, when it is in one."),
        Column("score", _FLOAT, "Probability under the score model (see `model`).", True),
        Column("flagged", pa.bool_(), "Whether `score` reaches the model's threshold.", True),
        Column("coordination", _FLOAT, "The coordination feature: `1 - exp(-ties)`.", True),
        Column("ties", _INT, "Significant (partner, trace) pairs of the account in the fused network.", True),
        Column(
            "contributions",
            pa.list_(_CONTRIBUTION),
            "Each feature with a value above 0: its contribution in log-odds (`weight × value`), the feature, its "
            "value, its weight and the evidence behind it; largest first.",
        ),
        Column("explanation", _STR, "The contributions as one readable line.", True),
        Column("model", _STR, "Name of the score model.", True),
    ),
)

CLUSTER_SCORE_TABLE = Table(
    "cluster_scores",
    "One row per cluster: the members' scores and the cluster-level signals combined.",
    (
        Column("cluster", _INT, "Cluster number.", True),
        Column("size", _INT, "Members.", True),
        Column("score", _FLOAT, "Probability under the score model.", True),
        Column("flagged", pa.bool_(), "Whether `score` reaches the model's threshold.", True),
        Column("n_flagged", _INT, "Members flagged on their own score.", True),
        Column("median_member_score", _FLOAT, "Median of the members' scores.", True),
        Column("contributions", pa.list_(_CONTRIBUTION), "Cluster-level contributions, largest first."),
        Column("explanation", _STR, "The cluster's score in one readable paragraph.", True),
        Column("model", _STR, "Name of the score model.", True),
    ),
)

SCORES = SCORE_TABLE.schema
CLUSTER_SCORES = CLUSTER_SCORE_TABLE.schema


def coordination_sql() -> str:
    """Per account of the fused ``network``: partners, ties, traces, shared items and their span."""
    return """
        WITH ends AS (
            SELECT account_a AS account_id, account_b AS partner, traces, n_traces, n_shared_items, first_at, last_at
            FROM network
            UNION ALL
            SELECT account_b, account_a, traces, n_traces, n_shared_items, first_at, last_at FROM network
        )
        SELECT account_id, count(*) AS partners, sum(n_traces) AS ties,
               list_sort(list_distinct(flatten(list(traces)))) AS traces,
               sum(n_shared_items) AS shared_items, min(first_at) AS first_at, max(last_at) AS last_at
        FROM ends GROUP BY account_id
    """


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _contribution(feature: str, value: str, weight: float, evidence: str) -> str:
    return (
        f"struct_pack(contribution := {float(weight)!r} * {value}, feature := {_quote(feature)}, "
        f"value := {value}, weight := {float(weight)!r}, evidence := {evidence})"
    )


def _shown(contributions: str) -> str:
    # Terms under 0.05 log-odds change no score's second decimal: the list keeps them, the sentence does not.
    return f"list_filter({contributions}, lambda c: abs(c.contribution) >= 0.05)"


def _explain(contributions: str) -> str:
    shown = _shown(contributions)
    return (
        f"array_to_string(list_transform({shown}, "
        "lambda c: c.feature || ' ' || printf('%+.1f', c.contribution) || ': ' || c.evidence), '; ')"
    )


def features_sql(signals: str) -> str:
    """Every active account's features: ``coordination`` (with the numbers behind it) and, for each signal of
    :data:`ACCOUNT_FEATURES`, ``<signal>_score`` and ``<signal>_evidence`` from the long table *signals*."""
    names = [f for f in ACCOUNT_FEATURES if f != "coordination"]
    pivot = ",\n".join(
        f"max(score) FILTER (WHERE signal = {_quote(f)}) AS {f}_score, "
        f"max(evidence) FILTER (WHERE signal = {_quote(f)}) AS {f}_evidence"
        for f in names
    )
    return f"""
        WITH active AS (SELECT DISTINCT account_id FROM posts),
        c AS ({coordination_sql()}),
        s AS (SELECT account_id, {pivot} FROM {signals} GROUP BY account_id),
        handles AS (SELECT account_id, any_value(handle) AS handle FROM accounts GROUP BY account_id)
        SELECT a.account_id, h.handle, k.cluster, coalesce(c.ties, 0) AS ties,
               1 - exp(-coalesce(c.ties, 0)) AS coordination, c.* EXCLUDE (account_id, ties),
               s.* EXCLUDE (account_id)
        FROM active a
        LEFT JOIN c USING (account_id)
        LEFT JOIN s USING (account_id)
        LEFT JOIN clusters k USING (account_id)
        LEFT JOIN handles h USING (account_id)
    """


def feature_value(feature: str) -> str:
    """SQL for *feature*'s value in a :func:`features_sql` row (0 when the signal could not assess it)."""
    return "coordination" if feature == "coordination" else f"coalesce({feature}_score, 0.0)"


def score_accounts(eng: DuckDBEngine, features: str, weights: Weights) -> pa.Table:
    """:data:`SCORES` for every row of the table *features* (:func:`features_sql`)."""
    coordination_evidence = (
        "printf('%d significant ties with %d accounts (%s), %d shared items, %s to %s', ties, partners, "
        "array_to_string(traces, ', '), shared_items, strftime(first_at, '%Y-%m-%d %H:%M'), "
        "strftime(last_at, '%Y-%m-%d %H:%M'))"
    )
    parts = [
        _contribution(
            f,
            feature_value(f),
            weights.features.get(f, 0.0),
            coordination_evidence if f == "coordination" else f"{f}_evidence",
        )
        for f in ACCOUNT_FEATURES
    ]
    logit = " + ".join(
        [repr(float(weights.intercept))]
        + [f"{weights.features.get(f, 0.0)!r} * {feature_value(f)}" for f in ACCOUNT_FEATURES]
    )
    contributions = f"list_reverse_sort(list_filter([{', '.join(parts)}], lambda c: c.value > 0 AND c.weight <> 0))"
    return eng.arrow(
        f"""
        WITH scored AS (
            SELECT account_id, handle, cluster, coordination, ties,
                   1 / (1 + exp(-({logit}))) AS score, {contributions} AS contributions
            FROM {features}
        )
        SELECT account_id, handle, cluster, score, score >= {float(weights.threshold)!r} AS flagged, coordination,
               ties, contributions,
               printf('score %.2f: ', score) || CASE WHEN len({_shown("contributions")}) = 0
                   THEN 'no coordination and no signal'
                   ELSE {_explain("contributions")} END AS explanation,
               {_quote(weights.name)} AS model
        FROM scored
        ORDER BY score DESC, account_id
        """
    ).cast(SCORES)


def score_clusters(eng: DuckDBEngine, scores: str, cluster_signals: str, weights: Weights) -> pa.Table:
    """:data:`CLUSTER_SCORES` from account *scores* and *cluster_signals* (tables in *eng*)."""
    features = list(weights.cluster_features)
    pivot = ", ".join(
        f"max(score) FILTER (WHERE signal = {_quote(f)}) AS {f}_score, "
        f"max(evidence) FILTER (WHERE signal = {_quote(f)}) AS {f}_evidence"
        for f in features
    )
    parts = [
        _contribution(f, f"coalesce(s.{f}_score, 0.0)", weights.cluster_features[f], f"s.{f}_evidence")
        for f in features
    ]
    extra = " + ".join(f"{weights.cluster_features[f]!r} * coalesce(s.{f}_score, 0.0)" for f in features) or "0"
    contributions = f"list_reverse_sort(list_filter([{', '.join(parts)}], lambda c: c.value > 0))" if parts else "[]"
    signal_cte = f"s AS (SELECT cluster, {pivot} FROM {cluster_signals} GROUP BY cluster)," if features else ""
    join = "LEFT JOIN s USING (cluster)" if features else ""
    return eng.arrow(
        f"""
        WITH m AS (
            SELECT cluster, count(*) AS size, count(*) FILTER (WHERE flagged) AS n_flagged,
                   median(score) AS median_member_score,
                   median(ln(greatest(score, 1e-12) / greatest(1 - score, 1e-12))) AS member_logit
            FROM {scores} WHERE cluster IS NOT NULL GROUP BY cluster
        ),
        {signal_cte}
        scored AS (
            SELECT m.*, 1 / (1 + exp(-(member_logit + {extra}))) AS score, {contributions} AS contributions
            FROM m {join}
        )
        SELECT cluster, size, score, score >= {float(weights.threshold)!r} AS flagged, n_flagged,
               median_member_score, contributions,
               printf('score %.2f: %d accounts, %d flagged on their own; median member score %.2f', score, size,
                      n_flagged, median_member_score)
               || CASE WHEN len({_shown("contributions")}) = 0 THEN ''
                       ELSE '; ' || {_explain("contributions")} END AS explanation,
               {_quote(weights.name)} AS model
        FROM scored ORDER BY score DESC, cluster
        """
    ).cast(CLUSTER_SCORES)
