"""Scores: the built-in model, explanations that add up, cluster scores, model files, training folds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overt.coordination.scan import scan
from overt.scoring import score_scan
from overt.scoring.train import Examples, TrainingError, fit, metrics, splits
from overt.scoring.weights import ACCOUNT_FEATURES, BUILT_IN, ModelError, Weights, sigmoid
from overt.signals.base import SIGNALS, Signal
from tests.unit.coordination.test_scan import dataset, organic_and_ring


class Fixed(Signal):
    """A stand-in signal that scores named accounts."""

    name = "state_media"

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def accounts(self, eng: object) -> pa.Table:
        return pa.Table.from_pylist(
            [
                {"signal": self.name, "account_id": a, "score": s, "value": s, "evidence": f"{a}: {s:.0%} RT links"}
                for a, s in self.scores.items()
            ],
            schema=SIGNALS,
        )


@pytest.fixture(scope="module")
def ring_scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("ring")
    return scan(dataset(tmp, organic_and_ring()), tmp / "scan", detectors=["co_repost"], window=60).path


def read(path: Path) -> list[dict]:
    return duckdb.sql(f"SELECT * FROM '{path}'").to_arrow_table().to_pylist()


def test_explanation_adds_up_to_the_score(ring_scan: Path) -> None:
    section = score_scan(ring_scan, signals=[Fixed({"ring1": 0.9, "org3": 1.0})])
    rows = {r["account_id"]: r for r in read(ring_scan / "scores.parquet")}
    assert len(rows) == 43  # every account with a post, clustered or not
    ring1 = rows["ring1"]
    # Two partners in one trace: two ties.
    assert ring1["ties"] == 2 and ring1["coordination"] == pytest.approx(1 - math.exp(-2))
    logit = BUILT_IN.intercept + sum(c["contribution"] for c in ring1["contributions"])
    assert ring1["score"] == pytest.approx(sigmoid(logit))
    assert [c["feature"] for c in ring1["contributions"]] == ["coordination", "state_media"]
    assert ring1["contributions"][1]["contribution"] == pytest.approx(2.0 * 0.9)
    assert (
        "ring1: 90% RT links" in ring1["explanation"]
        and "2 significant ties with 2 accounts (co_repost)" in (ring1["explanation"])
    )
    assert ring1["flagged"] and ring1["cluster"] is not None
    # Two significant ties suffice on their own (0.86 x 5.0 - 4.0 > 0); a state-media share alone does not.
    assert rows["ring2"]["flagged"] and rows["ring2"]["score"] == pytest.approx(
        sigmoid(-4.0 + 5.0 * (1 - math.exp(-2)))
    )
    assert not rows["org3"]["flagged"] and rows["org3"]["score"] == pytest.approx(sigmoid(-4.0 + 2.0))
    assert rows["org7"]["explanation"] == f"score {sigmoid(BUILT_IN.intercept):.2f}: no coordination and no signal"
    assert section["flagged_accounts"] == 3
    summary = json.loads((ring_scan / "summary.json").read_text())
    assert summary["scores"]["model"] == "built-in" and summary["scores"]["signals"] == ["state_media"]


def test_cluster_score_starts_from_the_members(ring_scan: Path) -> None:
    score_scan(ring_scan, signals=[])
    (cluster,) = read(ring_scan / "cluster_scores.parquet")
    members = [r["score"] for r in read(ring_scan / "scores.parquet") if r["cluster"] == cluster["cluster"]]
    assert cluster["size"] == 3 and cluster["median_member_score"] == pytest.approx(float(np.median(members)))
    assert cluster["score"] == pytest.approx(cluster["median_member_score"])  # no cluster signal
    assert cluster["n_flagged"] == 3 and cluster["flagged"] and "3 accounts, 3 flagged" in cluster["explanation"]


def test_a_trained_model_file_round_trips_and_bad_files_are_named(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    BUILT_IN.save(path)
    assert Weights.load(path) == BUILT_IN
    raw = json.loads(path.read_text())
    raw["features"]["charisma"] = 1.0
    path.write_text(json.dumps(raw))
    with pytest.raises(ModelError, match=r"m.json: features.charisma: unknown feature"):
        Weights.load(path)
    raw["features"] = {"coordination": "high"}
    path.write_text(json.dumps(raw))
    with pytest.raises(ModelError, match=r"features.coordination: weight must be a finite number"):
        Weights.load(path)
    path.write_text("{}")
    with pytest.raises(ModelError, match="'format' must be"):
        Weights.load(path)


def _examples(n: int, seed: int = 0, campaigns: int = 3) -> Examples:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(np.int64)
    x = rng.random((n, len(ACCOUNT_FEATURES))) * 0.3
    x[:, 0] += 0.6 * y  # coordination separates the classes
    return Examples(
        account_ids=[f"a{i}" for i in range(n)],
        x=x,
        y=y,
        campaigns=[f"c{i % campaigns}" if y[i] else None for i in range(n)],
        first_post=rng.random(n) * 1e6,
    )


@settings(max_examples=25, deadline=None)
@given(n=st.integers(12, 60), seed=st.integers(0, 10), how=st.sampled_from(["account", "campaign", "time"]))
def test_folds_never_put_a_group_on_both_sides(n: int, seed: int, how: str) -> None:
    ex = _examples(n, seed)
    # Grouping by campaign keeps campaigns apart; every grouping keeps accounts apart.
    by_campaign = how == "campaign"
    groups = [c if c is not None and by_campaign else a for c, a in zip(ex.campaigns, ex.account_ids, strict=True)]
    tested: list[int] = []
    for train, test in splits(ex, how, 4, seed):
        assert not {groups[i] for i in train} & {groups[i] for i in test}
        if how == "time":  # forward: everything trained on started before everything tested
            assert ex.first_post[train].max() <= ex.first_post[test].min()
        tested += test.tolist()
    if how != "time":
        assert sorted(tested) == list(range(n))


def test_fit_learns_the_separating_feature_and_records_honest_metrics() -> None:
    weights = fit(_examples(300), group_by="campaign", folds=3, prior=0.01)
    assert max(weights.features, key=lambda f: weights.features[f]) == "coordination"
    oof = weights.provenance["out_of_fold"]
    assert oof["roc_auc"] > 0.95 and 0 <= oof["brier"] < 0.1
    assert weights.provenance["labels"]["operation"] + weights.provenance["labels"]["other"] == 300
    # The prior moves the intercept down from the training prevalence (~40%) to 1%.
    unshifted = fit(_examples(300), group_by="campaign", folds=3)
    assert weights.intercept < unshifted.intercept - 3


def test_one_class_cannot_train() -> None:
    ex = _examples(30)
    one = Examples(ex.account_ids, ex.x, np.ones(30, dtype=np.int64), ex.campaigns, ex.first_post)
    with pytest.raises(TrainingError, match="one class only"):
        fit(one)


def test_recall_at_one_percent_fpr() -> None:
    y = np.array([0] * 200 + [1] * 4)
    p = np.concatenate([np.linspace(0, 0.5, 200), [0.9, 0.8, 0.499, 0.1]])
    # 1% of 200 negatives = 2 may pass: the cut is the third-highest negative (~0.4925).
    assert metrics(y, p)["recall_at_1pct_fpr"] == pytest.approx(0.75)


def test_folders_with_quotes_in_their_names(tmp_path: Path) -> None:
    # Paths reach SQL as literals where DuckDB cannot take parameters (views, COPY): they must be quoted.
    folder = tmp_path / "o'brien's data"
    folder.mkdir()
    result = scan(dataset(folder, organic_and_ring()), folder / "scan", detectors=["co_repost"], window=60)
    section = score_scan(result.path, signals=[])
    assert section["flagged_accounts"] == 3
    from overt.report.render import write_report

    assert write_report(result.path, folder / "report.html").stat().st_size > 0
