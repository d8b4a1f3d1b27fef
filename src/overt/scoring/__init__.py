"""``overt score``: signals, account and cluster scores with explanations, for a scan folder.

Adds to the scan folder:

* ``signals.parquet`` and ``cluster_signals.parquet``: every signal's score, measure and evidence
  (:mod:`overt.signals.base`);
* ``scores.parquet`` and ``cluster_scores.parquet``: scores under the score model, with explanations
  (:mod:`overt.scoring.scores`);
* ``disarm.parquet``: suggested DISARM techniques per cluster, with their evidence (:mod:`overt.disarm`);
* a ``scores`` section in ``summary.json``: the model, the signals, counts and timings.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from overt.disarm import DISARM_FILE, tag_clusters
from overt.engine import DuckDBEngine, literal
from overt.errors import OvertError
from overt.scoring.scores import CLUSTER_SCORES, SCORES, features_sql, score_accounts, score_clusters
from overt.scoring.weights import BUILT_IN, Weights
from overt.signals import DEFAULT_SIGNALS, Signal, make_signal
from overt.signals.base import CLUSTER_SIGNALS, SIGNALS

__all__ = ["BUILT_IN", "CLUSTER_SCORES", "SCORES", "Weights", "open_scan", "score_scan"]


def open_scan(scan_dir: Path, dataset: str | os.PathLike[str] | None = None, **engine: Any) -> DuckDBEngine:
    """An engine over a scan folder: the dataset's ``posts`` and ``accounts``, the scan's ``network`` and
    ``clusters``."""
    summary_path = scan_dir / "summary.json"
    if not summary_path.is_file():
        raise OvertError(f"{scan_dir}: not a scan folder (no summary.json); run `overt scan` first")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    data = Path(dataset) if dataset is not None else Path(summary["dataset"])
    if not (data / "posts.parquet").is_file():
        raise OvertError(
            f"{scan_dir}: its dataset {data} is not there any more; pass the dataset folder with --dataset"
        )
    eng = DuckDBEngine(**engine)
    eng.attach_dataset(data)
    if (data / "labels.parquet").is_file():
        eng.con.execute(
            f"CREATE OR REPLACE VIEW labels AS SELECT * FROM read_parquet({literal(data / 'labels.parquet')})"
        )
    for table in ("network", "clusters"):
        eng.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM read_parquet($path)",
            {"path": str(scan_dir / f"{table}.parquet")},
        )
    return eng


def score_scan(
    scan_dir: str | os.PathLike[str],
    *,
    model: Weights | str | os.PathLike[str] | None = None,
    signals: Sequence[Signal | str] = DEFAULT_SIGNALS,
    dataset: str | os.PathLike[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Compute *signals* and scores for the scan in *scan_dir*; write them there and return the summary section.

    *model* is a :class:`Weights`, a model file written by ``overt train``, or None for the built-in weights.
    """
    folder = Path(scan_dir)
    weights = model if isinstance(model, Weights) else (BUILT_IN if model is None else Weights.load(model))
    note = progress or (lambda _label: None)
    timings: dict[str, float] = {}
    eng = open_scan(folder, dataset)
    try:
        per_account, per_cluster = [], []
        for item in signals:
            signal = make_signal(item) if isinstance(item, str) else item
            started = time.perf_counter()
            per_account.append(signal.accounts(eng).cast(SIGNALS))
            clusters = signal.clusters(eng)
            if clusters is not None:
                per_cluster.append(clusters.cast(CLUSTER_SIGNALS))
            timings[signal.name] = round(time.perf_counter() - started, 3)
            note(signal.name)
        account_signals = pa.concat_tables([SIGNALS.empty_table(), *per_account])
        cluster_signals = pa.concat_tables([CLUSTER_SIGNALS.empty_table(), *per_cluster])
        pq.write_table(account_signals, folder / "signals.parquet")
        pq.write_table(cluster_signals, folder / "cluster_signals.parquet")
        started = time.perf_counter()
        eng.register("account_signals", account_signals)
        eng.register("cluster_signal_rows", cluster_signals)
        eng.create("account_features", features_sql("account_signals"))
        scores = score_accounts(eng, "account_features", weights)
        eng.register("account_scores", scores)
        cluster_scores = score_clusters(eng, "account_scores", "cluster_signal_rows", weights)
        pq.write_table(scores, folder / "scores.parquet")
        pq.write_table(cluster_scores, folder / "cluster_scores.parquet")
        timings["scores"] = round(time.perf_counter() - started, 3)
        note("scores")
        started = time.perf_counter()
        tags = tag_clusters(folder, signals=account_signals, cluster_signals=cluster_signals, eng=eng)
        pq.write_table(tags, folder / DISARM_FILE)
        timings["disarm"] = round(time.perf_counter() - started, 3)
    finally:
        eng.close()
    section = {
        "model": weights.name,
        "model_provenance": weights.provenance,
        "threshold": weights.threshold,
        "signals": [s if isinstance(s, str) else s.name for s in signals],
        "accounts": scores.num_rows,
        "flagged_accounts": int(pc.sum(scores.column("flagged").cast(pa.int64())).as_py() or 0),
        "clusters": cluster_scores.num_rows,
        "disarm_tags": tags.num_rows,
        "flagged_clusters": int(pc.sum(cluster_scores.column("flagged").cast(pa.int64())).as_py() or 0),
        "timings_seconds": timings,
    }
    summary_path = folder / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    summary["scores"] = section
    summary_path.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    return section
