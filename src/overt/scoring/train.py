"""``overt train scores``: fit the score model's weights to labelled accounts, with grouped, honest folds.

The model keeps the built-in form (a logistic combination of :data:`ACCOUNT_FEATURES`), so a trained model is
explained exactly as the built-in one is. Folds never put one group on both sides:

* ``account``: accounts are split at random (one row per account already; the weakest protection);
* ``campaign``: leave one campaign out (the labels' ``campaign``); accounts without one (the controls, usually)
  are dealt out at random to the folds, so each fold tests an unseen campaign against unseen controls;
* ``time``: forward in time: the folds are consecutive slices of the accounts' first post, each tested on a
  model trained only on accounts that started earlier.

The out-of-fold predictions give the metrics recorded in the model file (ROC-AUC, PR-AUC, Brier score, recall
at 1% false-positive rate). The final weights are fitted on every labelled account. Probabilities are calibrated
at the training data's prevalence; ``prior`` moves the intercept to another prevalence (an operation is far
rarer on a platform than in a takedown archive): ``intercept += logit(prior) - logit(training prevalence)``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from overt.errors import OvertError
from overt.scoring.scores import feature_value
from overt.scoring.weights import ACCOUNT_FEATURES, BUILT_IN, Weights

GROUPINGS = ("account", "campaign", "time")


class TrainingError(OvertError):
    """Labels that cannot train a model (one class only, too few accounts, unknown grouping)."""


@dataclass(frozen=True)
class Examples:
    """Labelled accounts: their features, labels (1 = operation), groups and first post time (epoch s)."""

    account_ids: list[str]
    x: np.ndarray[Any, np.dtype[np.float64]]
    y: np.ndarray[Any, np.dtype[np.int64]]
    campaigns: list[str | None]
    first_post: np.ndarray[Any, np.dtype[np.float64]]
    features: tuple[str, ...] = ACCOUNT_FEATURES


def splits(examples: Examples, group_by: str, folds: int, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays; no group is on both sides of a split."""
    n = len(examples.account_ids)
    if group_by == "account":
        order = np.random.default_rng(seed).permutation(n)
        for k in range(folds):
            test = np.sort(order[k::folds])
            yield np.setdiff1d(np.arange(n), test), test
    elif group_by == "campaign":
        campaigns = sorted({c for c in examples.campaigns if c is not None})
        if len(campaigns) < 2:
            raise TrainingError(f"grouping by campaign needs at least two campaigns in the labels, found {campaigns}")
        # Accounts without a campaign (the controls, usually) are dealt out to the campaigns' folds, so that every
        # fold tests one unseen campaign against unseen controls.
        dealt = np.random.default_rng(seed).permutation(n) % len(campaigns)
        fold = np.array(
            [campaigns.index(c) if c is not None else int(dealt[i]) for i, c in enumerate(examples.campaigns)]
        )
        for k in range(len(campaigns)):
            yield np.flatnonzero(fold != k), np.flatnonzero(fold == k)
    elif group_by == "time":
        order = np.argsort(examples.first_post, kind="stable")
        chunks = np.array_split(order, folds + 1)
        for k in range(1, folds + 1):
            yield np.sort(np.concatenate(chunks[:k])), np.sort(chunks[k])
    else:
        raise TrainingError(f"unknown grouping {group_by!r}; one of {', '.join(GROUPINGS)}")


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """ROC-AUC, PR-AUC (average precision), F1 at 0.5, Brier score, and recall at 1% false-positive rate (the
    largest recall whose false-positive rate is at most 1%)."""
    from sklearn.metrics import average_precision_score, brier_score_loss, f1_score, roc_auc_score, roc_curve

    if len(set(y.tolist())) < 2:
        return {}
    fpr, tpr, _ = roc_curve(y, p)
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "f1": float(f1_score(y, p >= 0.5)),
        "brier": float(brier_score_loss(y, p)),
        "recall_at_1pct_fpr": float(tpr[fpr <= 0.01].max()),
    }


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=1000).fit(x, y)


def fit(
    examples: Examples,
    *,
    group_by: str = "account",
    folds: int = 5,
    seed: int = 42,
    c: float = 1.0,
    prior: float | None = None,
    name: str = "trained",
    provenance: dict[str, Any] | None = None,
) -> Weights:
    """Weights fitted on *examples*, with out-of-fold metrics in the provenance."""
    y = examples.y
    if len(set(y.tolist())) < 2:
        raise TrainingError("the labels hold one class only: training needs operation and non-operation accounts")
    if len(y) < 2 * folds:
        raise TrainingError(f"{len(y)} labelled accounts are too few for {folds} folds")
    oof = np.full(len(y), np.nan)
    fold_metrics = []
    for train, test in splits(examples, group_by, folds, seed):
        if len(set(y[train].tolist())) < 2:
            continue  # a forward fold whose past holds one class cannot train
        model = _fit(examples.x[train], y[train], c)
        oof[test] = model.predict_proba(examples.x[test])[:, 1]
        fold_metrics.append({"test_accounts": len(test), **metrics(y[test], oof[test])})
    tested = ~np.isnan(oof)
    final = _fit(examples.x, y, c)
    intercept = float(final.intercept_[0])
    prevalence = float(y.mean())
    if prior is not None:
        intercept += math.log(prior / (1 - prior)) - math.log(prevalence / (1 - prevalence))
    return Weights(
        name=name,
        intercept=intercept,
        features={f: float(w) for f, w in zip(examples.features, final.coef_[0], strict=True)},
        cluster_features=dict(BUILT_IN.cluster_features),
        provenance={
            "how": f"logistic regression (C={c}) on {len(y)} labelled accounts",
            "labels": {"operation": int(y.sum()), "other": int(len(y) - y.sum())},
            "training_prevalence": prevalence,
            "prior": prior,
            "group_by": group_by,
            "folds": fold_metrics,
            "out_of_fold": metrics(y[tested], oof[tested]) if tested.any() else {},
            "accounts_sha256": hashlib.sha256("\n".join(sorted(examples.account_ids)).encode()).hexdigest(),
            **(provenance or {}),
        },
    )


def examples_from(rows: Sequence[dict[str, Any]], negative: Sequence[str]) -> Examples:
    """Examples from feature rows joined with labels (keys: account_id, label, campaign, first_post and each
    feature); a label in *negative* is 0, any other label 1."""
    if not rows:
        raise TrainingError("no labelled account has a post in the scanned dataset")
    negatives = set(negative)
    return Examples(
        account_ids=[r["account_id"] for r in rows],
        x=np.array([[float(r[f] or 0.0) for f in ACCOUNT_FEATURES] for r in rows], dtype=np.float64),
        y=np.array([0 if r["label"] in negatives else 1 for r in rows], dtype=np.int64),
        campaigns=[r["campaign"] for r in rows],
        first_post=np.array([float(r["first_post"]) for r in rows], dtype=np.float64),
    )


def feature_rows(
    scan_dir: str | os.PathLike[str],
    negative: Sequence[str] | None = None,
    dataset: str | os.PathLike[str] | None = None,
) -> list[dict[str, Any]]:
    """Every active account's features in a scored scan; with *negative*, only labelled accounts, with their label
    (``operation`` or the first negative label), campaign and first post time (epoch seconds)."""
    from overt.scoring import open_scan
    from overt.scoring.scores import features_sql

    folder = Path(scan_dir)
    eng = open_scan(folder, dataset)
    try:
        eng.con.execute(
            "CREATE TEMP TABLE account_signals AS SELECT * FROM read_parquet($p)",
            {"p": str(folder / "signals.parquet")},
        )
        values = ", ".join(feature_value(x) + " AS " + x for x in ACCOUNT_FEATURES)
        if negative is None:
            cursor = eng.con.execute(f"SELECT account_id, {values} FROM ({features_sql('account_signals')})")
        else:
            if not eng.scalar("SELECT count(*) FROM duckdb_views() WHERE view_name = 'labels'"):
                raise TrainingError(
                    f"{folder}: the scan's dataset has no labels (ingest labelled data, e.g. --mapping with label)"
                )
            # An account with several labels is an operation account when any of them is not negative; only
            # operation labels carry a campaign (controls are dealt out to the folds, see splits).
            cursor = eng.con.execute(
                f"""
                WITH f AS ({features_sql("account_signals")}),
                l AS (
                    SELECT account_id, bool_or(NOT list_contains($negative, label)) AS positive,
                           min(campaign) FILTER (WHERE NOT list_contains($negative, label)) AS campaign
                    FROM labels GROUP BY account_id
                ),
                first AS (SELECT account_id, min(epoch(created_at)) AS first_post FROM posts GROUP BY account_id)
                SELECT f.account_id, CASE WHEN l.positive THEN 'operation' ELSE $negative[1] END AS label,
                       l.campaign, first.first_post, {values}
                FROM f JOIN l USING (account_id) JOIN first USING (account_id)
                ORDER BY f.account_id
                """,
                {"negative": list(negative)},
            )
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        eng.close()


def train_scan(
    scan_dir: str | os.PathLike[str],
    *,
    negative: Sequence[str] = ("control",),
    group_by: str = "account",
    folds: int = 5,
    seed: int = 42,
    c: float = 1.0,
    prior: float | None = None,
    dataset: str | os.PathLike[str] | None = None,
) -> Weights:
    """Weights fitted to the labels of the scan's dataset (signals are computed first when the scan has none)."""
    from overt.scoring import score_scan

    folder = Path(scan_dir)
    if not (folder / "signals.parquet").is_file():
        score_scan(folder, dataset=dataset)
    rows = feature_rows(folder, negative, dataset)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return fit(
        examples_from(rows, negative),
        group_by=group_by,
        folds=folds,
        seed=seed,
        c=c,
        prior=prior,
        name=f"trained on {Path(summary['dataset']).name}",
        provenance={"scan": str(folder), "dataset_inputs": summary.get("inputs", [])},
    )
