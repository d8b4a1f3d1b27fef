"""``overt scan``: run detectors over a dataset, score edges against chance, fuse them, find clusters.

Writes, in the scan folder:

* ``edges/<detector>.parquet``: the kept edges of each detector (:data:`overt.coordination.schema.EDGES`);
* ``evidence/<detector>.parquet``: every co-action behind those edges (who acted, on what, when);
* ``network.parquet`` (fused), ``clusters.parquet``, ``cluster_stats.parquet``;
* ``network.gexf`` and ``network.graphml`` for Gephi;
* ``summary.json``: parameters, engine, versions, input hashes, counts and timings per stage.

Where each stage runs (``engine="spark"``: see docs/scale-out.md): the detectors' SQL (actions, pairing,
edges, the null model's expectations, evidence) on the engine; the significance of each candidate edge (a
Poisson tail and Benjamini-Hochberg over the collected candidates), the fusion of the kept edges and Leiden
clustering on the driver.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from overt._version import __version__
from overt.coordination import cooccurrence, near_duplicate, network, significance
from overt.coordination.detectors import (
    AT,
    DEFAULT_DETECTORS,
    DETECTORS,
    CoAction,
    CoRepost,
    CoSimilarText,
    Detector,
    FastRepost,
    Windowed,
)
from overt.coordination.export import write_gexf, write_graphml
from overt.coordination.profiles import PROFILES, cnt, coornet, coortweet
from overt.coordination.schema import CLUSTERS, EDGES, EVIDENCE, NETWORK, seconds_to_timestamps
from overt.coordination.similarity import Similarity
from overt.dataset import Dataset, read_dataset
from overt.engine import DuckDBEngine, Engine, is_remote
from overt.errors import OvertError

#: What ``--window auto`` means: CooRnet's estimate_coord_interval over each detector's actions.
AUTO = "auto"


#: Relative cost of a detector kind, to start the slow ones first.
_COST = {"similarity": 3, "pairs": 2, "co_action": 1}


class ScanError(OvertError):
    """A scan could not run as asked (unknown detector, bad parameter, existing output)."""


class Progress(Protocol):
    """Progress of a scan: a task per detector (several may run at once) and one for the network.

    ``advance`` gets ``"<task>: <stage>"`` (or just the stage for the last task started).
    """

    def start(self, label: str, total: int) -> None: ...

    def advance(self, label: str) -> None: ...


class _Silent:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, label: str) -> None:
        pass


@dataclass
class Scan:
    """A finished scan: its folder and its summary."""

    path: Path
    summary: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> pa.Table:
        """``network``, ``clusters``, ``cluster_stats``, or ``edges/<detector>`` / ``evidence/<detector>``."""
        return pq.read_table(self.path / f"{name}.parquet")


def make_detectors(
    chosen: Sequence[str | Detector] | None,
    *,
    window: int | None,
    min_weight: int | None = None,
    similarity_threshold: float | None = None,
) -> list[Detector]:
    """Detectors for *chosen* (names, or configured instances) with the scan-wide settings applied.

    A configured instance keeps its own settings; the scan's window and overrides fill only what it left
    unset (``window=None``) or, for names, replace the defaults.
    """
    out: list[Detector] = []
    for item in chosen or DEFAULT_DETECTORS:
        if isinstance(item, Detector):
            # A copy: the scan fills in its window (and --window auto its estimate) without touching the caller's.
            out.append(
                replace(item, window=window) if isinstance(item, Windowed) and item.window is None else replace(item)
            )
            continue
        if item not in DETECTORS:
            raise ScanError(f"unknown detector {item!r}; known: {', '.join(DETECTORS)}")
        det = DETECTORS[item]()
        if isinstance(det, Windowed) and det.window is None:
            det.window = window
        if min_weight is not None and hasattr(det, "min_weight"):
            det.min_weight = min_weight
        if similarity_threshold is not None and isinstance(det, CoSimilarText):
            det.threshold = similarity_threshold
        out.append(det)
    return out


def scan(
    dataset: str | os.PathLike[str] | Dataset,
    out: str | os.PathLike[str],
    *,
    detectors: Sequence[str | Detector] | None = None,
    window: int | str = 60,
    auto_q: float = 0.1,
    auto_p: float = 0.5,
    profile: str | None = None,
    engine: str = "duckdb",
    spark_master: str | None = None,
    spark_conf: Mapping[str, str] | None = None,
    alpha: float = 0.01,
    min_weight: int | None = None,
    similarity_threshold: float | None = None,
    resolution: float = 1.0,
    min_cluster_size: int = 3,
    prune_quantile: float = 0.0,
    min_fused_weight: float = 0.0,
    seed: int = 42,
    memory_limit: str | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> Scan:
    """Scan *dataset* (a folder or :class:`~overt.Dataset`) for coordination; write the results to *out*.

    Parameters
    ----------
    detectors:
        Detector names or configured detector instances (default: :data:`DEFAULT_DETECTORS`).
    window:
        Seconds within which co-actions count, for detectors without their own window; ``"auto"`` estimates
        it per detector from the data with CooRnet's coordination interval (q 0.1, p 0.5: the median time,
        among the 10% of items shared fastest, from an item's first share to its later shares).
    auto_q, auto_p:
        CooRnet's ``q`` (the share of fastest-shared items considered) and ``p`` (the quantile of their delays)
        for ``window="auto"``.
    profile:
        ``cnt`` reproduces coordination-network-toolkit's networks exactly (directed edges, its weights,
        ``min_weight`` inclusive, no null model, no cap); ``coortweet`` CooRTweet's ``detect_groups`` and
        ``generate_coordinated_network``; ``coornet`` CooRnet's ``get_coord_shares`` (co_link only).
    alpha:
        False discovery rate for keeping edges (Benjamini-Hochberg over all pairs of active accounts).
    min_weight:
        Overrides every detector's minimum number of shared items.
    resolution, seed, min_cluster_size, prune_quantile:
        Leiden clustering of the fused network (:func:`overt.coordination.network.cluster`); a positive
        *prune_quantile* first drops the accounts below that quantile of eigenvector centrality (Luceri et al.).
    min_fused_weight:
        Fused edges lighter than this are dropped before clustering (:func:`overt.coordination.network.fuse`).
    engine:
        ``duckdb`` (default: embedded, out of core) or ``spark`` (``overt[spark]``; the same detector SQL on
        Apache Spark). With ``spark``, *dataset* may also be a Hadoop URI of a dataset folder (``s3a://``,
        ``abfss://``, ``gs://``, ``hdfs://``) and *out* must be local.
    spark_master, spark_conf:
        The Spark master (default ``local[*]``; ``yarn``, ``k8s://...``, ``spark://...``) and settings over
        the engine's defaults (:mod:`overt.engine.spark`). A session already running in the process is used
        as it is (and left running).
    workers:
        Detectors run side by side in this many threads (default: one per core).
    """
    if engine not in ENGINES:
        raise ScanError(f"engine {engine!r} is not available; this version runs on: {', '.join(ENGINES)}")
    if engine != "spark" and (spark_master is not None or spark_conf):
        raise ScanError("spark_master and spark_conf apply to engine='spark' only")
    if engine == "spark" and memory_limit is not None:
        raise ScanError("memory_limit is DuckDB's; give Spark memory settings in spark_conf")
    if profile is not None and profile not in PROFILES:
        raise ScanError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    if engine != "duckdb" and profile is not None:
        raise ScanError(f"profile {profile} reproduces its peer tool on DuckDB only; scan with engine='duckdb'")
    auto = window == AUTO
    if not auto and (not isinstance(window, int) or window <= 0):
        raise ScanError(f"--window must be a positive number of seconds or 'auto', not {window!r}")
    if auto and profile in ("cnt", "coortweet"):
        raise ScanError(f"profile {profile} has no data-driven window; give --window in seconds")
    remote = engine == "spark" and not isinstance(dataset, Dataset) and is_remote(dataset)
    ds: Dataset | str = dataset if isinstance(dataset, Dataset) else str(dataset) if remote else read_dataset(dataset)
    target = Path(out)
    if target.exists():
        if not overwrite:
            raise ScanError(f"{target} exists; pass overwrite=True (--overwrite) to replace it")
        shutil.rmtree(target)
    dets = make_detectors(
        detectors,
        window=None if auto else int(window),
        min_weight=min_weight,
        similarity_threshold=similarity_threshold,
    )
    if profile == "cnt":
        cnt.check(dets)
    tmp = target.with_name(target.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "edges").mkdir(parents=True)
    (tmp / "evidence").mkdir()
    progress = progress or _Silent()
    started = time.perf_counter()
    eng = _engine(engine, memory_limit, tmp / "spill", spark_master, spark_conf)
    timings: dict[str, float] = {}
    counts: dict[str, dict[str, Any]] = {}
    try:
        eng.attach_dataset(ds if isinstance(ds, str) else ds.path)
        engine_start = round(time.perf_counter() - started, 3)
        for det in dets:
            progress.start(det.name, 4)

        # Read once here: after running out, a thread must not query the connection another thread may hold.
        limit = eng.scalar("SELECT current_setting('memory_limit')") if eng.name == "duckdb" else None

        def run(det: Detector) -> tuple[pa.Table, dict[str, Any], float]:
            t0 = time.perf_counter()
            cur = eng.cursor()
            try:
                table, info = _run_one(cur, det, tmp, profile, alpha, (auto_q, auto_p) if auto else None, progress)
            except duckdb.OutOfMemoryException as exc:
                raise ScanError(
                    f"{det.name} ran out of memory (DuckDB memory limit {limit}; detectors run two at a time): "
                    "raise --memory-limit, or scan with fewer --detectors at once"
                ) from exc
            finally:
                cur.close()
            return table, info, round(time.perf_counter() - t0, 3)

        # Detectors are independent: while one waits on a step DuckDB runs on one core, another can use the
        # other core.
        with ThreadPoolExecutor(max_workers=max(1, min(len(dets), workers or os.cpu_count() or 1))) as pool:
            # Longest first, so that the slowest detector is not the last to start.
            order = sorted(range(len(dets)), key=lambda i: -_COST.get(dets[i].kind, 1))
            done = dict(zip(order, pool.map(run, [dets[i] for i in order]), strict=True))
            results = [done[i] for i in range(len(dets))]
        kept = [table for table, _, _ in results]
        for det, (_, info, seconds) in zip(dets, results, strict=True):
            counts[det.name] = info
            timings[det.name] = seconds
        t0 = time.perf_counter()
        progress.start("network and clusters", 3)
        all_edges = pa.concat_tables(kept) if kept else EDGES.empty_table()
        if profile is not None:
            all_edges = _undirected(eng, all_edges)
        fused = network.fuse(all_edges, min_weight=min_fused_weight).cast(NETWORK)
        progress.advance("fused network")
        clusters = network.cluster(
            fused,
            resolution=resolution,
            seed=seed,
            min_cluster_size=min_cluster_size,
            prune_quantile=prune_quantile,
            leaders=_leaders(eng, all_edges) if profile is None else None,
        ).cast(CLUSTERS)
        progress.advance("clusters")
        stats = network.cluster_stats(clusters, fused, _cluster_evidence(tmp, clusters))
        pq.write_table(fused, tmp / "network.parquet")
        pq.write_table(clusters, tmp / "clusters.parquet")
        pq.write_table(stats, tmp / "cluster_stats.parquet")
        handles = _handles(eng, fused)
        write_graphml(fused, clusters, tmp / "network.graphml", accounts=handles)
        write_gexf(fused, clusters, tmp / "network.gexf", accounts=handles)
        progress.advance("exports")
        timings["network"] = round(time.perf_counter() - t0, 3)
        timings["total"] = round(time.perf_counter() - started, 3)
        summary = _summary(ds, dets, profile, eng, alpha, window, counts, timings, fused, clusters, stats)
        summary["clustering"] = {
            "resolution": resolution,
            "seed": seed,
            "min_cluster_size": min_cluster_size,
            "prune_quantile": prune_quantile,
            "min_fused_weight": min_fused_weight,
        }
        summary["engine_details"] = _engine_details(eng, engine) | {"start_seconds": engine_start}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    except BaseException as exc:
        eng.close()
        shutil.rmtree(tmp, ignore_errors=True)  # a failed scan leaves nothing half-written
        if isinstance(exc, duckdb.OutOfMemoryException):  # outside a detector: the network stage, say
            raise ScanError(f"the scan ran out of memory: raise --memory-limit ({exc})") from exc
        raise
    eng.close()
    shutil.rmtree(tmp / "spill", ignore_errors=True)
    tmp.rename(target)
    return Scan(target, summary)


#: The engines a scan runs on.
ENGINES = ("duckdb", "spark")


def _engine(
    engine: str,
    memory_limit: str | None,
    spill: Path,
    spark_master: str | None,
    spark_conf: Mapping[str, str] | None,
) -> Engine:
    if engine == "duckdb":
        return DuckDBEngine(memory_limit=memory_limit, temp_directory=spill)
    try:
        from overt.engine.spark import SparkEngine
    except ImportError as exc:  # pragma: no cover - only without pyspark
        raise ScanError("engine 'spark' needs pyspark: pip install 'overt[spark]'") from exc
    return SparkEngine(master=spark_master, conf=spark_conf, local_dir=spill)


def _engine_details(eng: Engine, engine: str) -> dict[str, Any]:
    """Which stage ran where, for summary.json."""
    details: dict[str, Any] = {
        "name": engine,
        "version": eng.version(),
        "stages": {
            "detectors": engine,
            "significance": "driver (numpy/scipy over the collected candidate edges)",
            "fusion_and_clustering": "driver (DuckDB over Arrow, igraph + leidenalg)",
            "signals_and_scores": "driver (DuckDB; `overt score` / `overt scan --scores`)",
        },
    }
    if engine == "spark":
        details["master"] = getattr(eng, "master", None)
        spark = getattr(eng, "spark", None)
        if spark is not None:
            details["shuffle_partitions"] = spark.conf.get("spark.sql.shuffle.partitions")
            details["default_parallelism"] = spark.sparkContext.defaultParallelism
    return details


def _run_one(
    eng: Engine,
    det: Detector,
    folder: Path,
    profile: str | None,
    alpha: float,
    auto: tuple[float, float] | None,
    progress: Progress,
) -> tuple[pa.Table, dict[str, Any]]:
    """One detector, under the profile's semantics or overt's; *auto* is CooRnet's (q, p) for ``--window auto``."""
    dest = folder / "edges" / f"{det.name}.parquet"
    if auto is not None and isinstance(det, Windowed) and det.window is None:
        try:
            det.window = _auto_window(eng, det, *auto)
        except OvertError as exc:  # nothing shared twice: the trace has nothing to find
            progress.advance(f"{det.name}: skipped")
            return EDGES.empty_table(), {"params": det.params(), "skipped": str(exc)}
    if profile is None:
        return _run_detector(eng, det, folder, alpha, progress)
    assert isinstance(eng, DuckDBEngine)  # scan() refuses profiles on other engines
    if profile == "cnt":
        return cnt.run(eng, det, dest, progress)
    if profile == "coortweet":
        return coortweet.run(eng, det, dest, progress)
    return coornet.run(eng, det, dest, progress, auto=auto)


def _auto_window(eng: Engine, det: Detector, q: float, p: float) -> int:
    """CooRnet's coordination interval over *det*'s actions (items as CooRnet's URLs)."""
    # Near-duplicate texts have no shared item to time; reposts of one post are the closest notion.
    actions = det.actions() if isinstance(det, CoAction) else CoRepost().actions()
    eng.view(
        f"{det.name}_auto_shares",
        f"SELECT item AS url, account_id AS account, post_id AS share_id, ts AS shared_at FROM ({actions}) a "
        "WHERE item IS NOT NULL",
    )
    # The same SQL as coornet.estimate_coord_interval, run through the engine (any engine) rather than a
    # DuckDB connection; the truncation to whole seconds (at least 1) is CooRnet's.
    value = eng.scalar(coornet.estimate_coord_interval_sql(f"{det.name}_auto_shares", q=q, p=p))
    if value is None:
        raise OvertError(f"{det.name}: nothing is shared more than once; CooRnet cannot estimate an interval.")
    return max(1, math.trunc(float(value)))


def _run_detector(
    eng: Engine, det: Detector, folder: Path, alpha: float, progress: Progress
) -> tuple[pa.Table, dict[str, Any]]:
    """Pairs, edges, the null model and evidence for one detector with overt's own semantics."""
    name = det.name
    info: dict[str, Any] = {"params": det.params()}
    pairs, activity, n_accounts = f"{name}_pairs", f"{name}_activity", 0
    if isinstance(det, CoAction):
        assert det.window is not None
        eng.create(f"{name}_raw", det.actions())
        info["actions"] = eng.create(f"{name}_actions", cooccurrence.bucketed(f"{name}_raw", det.window, det.keep()))
        eng.drop(f"{name}_raw")
        n_accounts = int(eng.scalar(f"SELECT count(DISTINCT account_id) FROM {name}_actions"))
        source = f"{name}_actions"
        if det.max_accounts_per_window:
            capped = eng.create(f"{name}_viral", cooccurrence.viral(source, det.max_accounts_per_window))
            info["capped_item_windows"] = capped
            if capped:
                info["capped_examples"] = [
                    {"item": i, "bucket_start": b * det.window, "accounts": a, "actions": n}
                    for i, b, a, n in eng.rows(
                        f"SELECT item, bucket, n_accounts, n_actions FROM {name}_viral "
                        "ORDER BY n_accounts DESC, item LIMIT 20"
                    )
                ]
                source = f"({cooccurrence.without(source, f'{name}_viral')})"
        info["pairs"] = eng.create(pairs, cooccurrence.pairs(source, det.window))
        eng.create(activity, f"SELECT account_id, count(*) AS m FROM {source} a GROUP BY account_id")
    elif isinstance(det, CoSimilarText):
        assert det.window is not None
        n_accounts = _similar_text_pairs(eng, det, "words", pairs, activity)
        info["actions"] = int(eng.scalar(f"SELECT coalesce(sum(m), 0) FROM {activity}"))
        info["pairs"] = int(eng.scalar(f"SELECT count(*) FROM {pairs}"))
    elif isinstance(det, FastRepost):
        info["pairs"] = eng.create(pairs, _fast_repost_pairs(det.max_delay))
        eng.create(activity, "SELECT account_id, count(*) AS m FROM posts GROUP BY account_id")
        n_accounts = int(
            eng.scalar(
                f"SELECT count(*) FROM (SELECT account_a AS a FROM {pairs} UNION SELECT account_b FROM {pairs}) u"
            )
        )
    elif isinstance(det, Similarity):
        table, extra = det.edges(eng, alpha)
        info.update(extra)
        pq.write_table(table, folder / "edges" / f"{name}.parquet")
        # A similarity has no co-action pairs; its evidence is the shared features listed on each edge.
        evidence = eng.arrow_from(
            table.select(["account_a", "account_b", "items", "first_at"]),
            f"""
            SELECT '{name}' AS detector, account_a, account_b, unnest(items) AS item,
                   NULL::VARCHAR AS a_post_id, NULL::TIMESTAMPTZ AS a_at, NULL::VARCHAR AS b_post_id,
                   NULL::TIMESTAMPTZ AS b_at
            FROM {{table}} ORDER BY account_a, account_b
            """,
        )
        pq.write_table(evidence.cast(EVIDENCE), folder / "evidence" / f"{name}.parquet")
        for _ in range(4):
            progress.advance(f"{name}: similarities")
        return table, info
    else:  # pragma: no cover - every registered detector kind is handled above
        raise ScanError(f"detector {name} of kind {det.kind} is not supported by this scan")
    progress.advance(f"{name}: pairs")
    info["accounts"] = n_accounts
    info["candidate_edges"] = eng.create(f"{name}_edges", cooccurrence.edges(pairs))
    progress.advance(f"{name}: edges")
    min_weight = int(getattr(det, "min_weight", 1))
    tested = significance.score(eng.arrow(cooccurrence.expected(f"{name}_edges", activity, min_weight)), n_accounts)
    kept = tested.filter(pc.less_equal(tested.column("q_value"), pa.scalar(alpha)))
    info["tested_edges"] = tested.num_rows
    info["kept_edges"] = kept.num_rows
    progress.advance(f"{name}: significance")
    n = kept.num_rows
    columns: dict[str, Any] = {
        "detector": pa.array([name] * n, pa.string()),
        "account_a": kept.column("account_a"),
        "account_b": kept.column("account_b"),
        "weight": kept.column("weight").cast(pa.float64()),
        "n_shared_items": kept.column("n_shared_items"),
        "n_pairs": kept.column("n_pairs"),
        "first_at": seconds_to_timestamps(kept.column("first_at")),
        "last_at": seconds_to_timestamps(kept.column("last_at")),
        "a_first": kept.column("a_first"),
        "b_first": kept.column("b_first"),
        "expected": kept.column("expected"),
        "p_value": kept.column("p_value"),
        "q_value": kept.column("q_value"),
        "items": kept.column("items"),
    }
    table = pa.table(columns).cast(EDGES)
    pq.write_table(table, folder / "edges" / f"{name}.parquet")
    eng.register(f"{name}_kept", table.select(["account_a", "account_b"]))
    eng.write_parquet(
        f"""
        SELECT '{name}' AS detector, p.account_a, p.account_b, p.item,
               p.a_post_id, to_timestamp(p.a_at) AS a_at, p.b_post_id, to_timestamp(p.b_at) AS b_at
        FROM {pairs} p SEMI JOIN {name}_kept k ON p.account_a = k.account_a AND p.account_b = k.account_b
        ORDER BY p.account_a, p.account_b, least(p.a_at, p.b_at)
        """,
        folder / "evidence" / f"{name}.parquet",
    )
    progress.advance(f"{name}: evidence")
    eng.drop(f"{name}_actions", f"{name}_viral", pairs, f"{name}_edges", activity)
    return table, info


def _similar_text_pairs(eng: Engine, det: CoSimilarText, style: str, pairs: str, activity: str) -> int:
    """Fill *pairs* with near-duplicate post pairs of different accounts (``account_a < account_b``)."""
    assert det.window is not None
    msgs, pre, found = f"{det.name}_messages", f"{det.name}_prefixes", f"{det.name}_matches"
    eng.create(f"{msgs}_raw", near_duplicate.tokenised(style))
    eng.create(msgs, near_duplicate.messages(f"{msgs}_raw", det.window, det.min_tokens))
    eng.drop(f"{msgs}_raw")
    eng.create(pre, near_duplicate.prefixes(msgs, det.threshold))
    eng.create(found, near_duplicate.matches(msgs, pre, det.window, det.threshold))
    # A near-duplicate pair's item is the earlier post: the text the later one copied.
    eng.create(
        pairs,
        f"""
        SELECT CASE WHEN x_account < y_account THEN x_account ELSE y_account END AS account_a,
               CASE WHEN x_account < y_account THEN y_account ELSE x_account END AS account_b,
               CASE WHEN x_at <= y_at THEN x_post_id ELSE y_post_id END AS item,
               CASE WHEN x_account < y_account THEN x_post_id ELSE y_post_id END AS a_post_id,
               CASE WHEN x_account < y_account THEN x_at ELSE y_at END AS a_at,
               CASE WHEN x_account < y_account THEN y_post_id ELSE x_post_id END AS b_post_id,
               CASE WHEN x_account < y_account THEN y_at ELSE x_at END AS b_at
        FROM {found} WHERE x_account <> y_account
        """,
    )
    eng.create(activity, f"SELECT account_id, count(*) AS m FROM {msgs} GROUP BY account_id")
    n_accounts = int(eng.scalar(f"SELECT count(*) FROM {activity}"))
    eng.drop(msgs, pre, found)
    return n_accounts


def _fast_repost_pairs(max_delay: int) -> str:
    """Repost–author pairs where the repost came within *max_delay* seconds of the original."""
    return f"""
        WITH r AS (
            SELECT r.account_id AS x_account, o.account_id AS y_account, o.post_id AS item,
                   r.post_id AS x_post_id, {AT.replace("created_at", "r.created_at")} AS x_at,
                   o.post_id AS y_post_id, {AT.replace("created_at", "o.created_at")} AS y_at
            FROM posts r JOIN posts o ON r.repost_of_post_id = o.post_id AND r.platform = o.platform
            WHERE r.kind = 'repost' AND r.account_id <> o.account_id
        )
        SELECT CASE WHEN x_account < y_account THEN x_account ELSE y_account END AS account_a,
               CASE WHEN x_account < y_account THEN y_account ELSE x_account END AS account_b,
               item,
               CASE WHEN x_account < y_account THEN x_post_id ELSE y_post_id END AS a_post_id,
               CASE WHEN x_account < y_account THEN x_at ELSE y_at END AS a_at,
               CASE WHEN x_account < y_account THEN y_post_id ELSE x_post_id END AS b_post_id,
               CASE WHEN x_account < y_account THEN y_at ELSE x_at END AS b_at
        FROM r WHERE x_at - y_at BETWEEN 0 AND {int(max_delay)}
    """


def _undirected(eng: Engine, edges: pa.Table) -> pa.Table:
    """Directed profile edges as undirected ones (weights of both directions added), loops dropped."""
    eng.register("profile_edges", edges)
    table = eng.arrow(
        """
        SELECT detector, least(account_a, account_b) AS account_a, greatest(account_a, account_b) AS account_b,
               sum(weight) AS weight, sum(n_shared_items) AS n_shared_items,
               NULL::BIGINT AS n_pairs, min(first_at) AS first_at, max(last_at) AS last_at,
               NULL::BIGINT AS a_first, NULL::BIGINT AS b_first, NULL::DOUBLE AS expected,
               NULL::DOUBLE AS p_value, NULL::DOUBLE AS q_value, NULL::VARCHAR[] AS items
        FROM profile_edges WHERE account_a <> account_b
        GROUP BY detector, least(account_a, account_b), greatest(account_a, account_b)
        """
    )
    return table.cast(EDGES)


def _leaders(eng: Engine, edges: pa.Table) -> pa.Table:
    """Per account, on how many shared items it acted first and later, over every kept edge."""
    eng.register("kept_edges", edges.select(["account_a", "account_b", "a_first", "b_first"]))
    return eng.arrow(
        """
        SELECT account_id, sum(led)::BIGINT AS led, sum(followed)::BIGINT AS followed FROM (
            SELECT account_a AS account_id, coalesce(a_first, 0) AS led, coalesce(b_first, 0) AS followed
            FROM kept_edges
            UNION ALL
            SELECT account_b, coalesce(b_first, 0), coalesce(a_first, 0) FROM kept_edges
        ) x GROUP BY account_id
        """
    )


def _cluster_evidence(folder: Path, clusters: pa.Table) -> pa.Table | None:
    files = sorted((folder / "evidence").glob("*.parquet"))
    if not files or clusters.num_rows == 0:
        return None
    columns = ["detector", "account_a", "account_b", "item"]
    # Files written by DuckDB and by pyarrow differ in nullability only: permissive promotion unifies them.
    return pa.concat_tables((pq.read_table(f, columns=columns) for f in files), promote_options="permissive")


def _handles(eng: Engine, fused: pa.Table) -> dict[str, str]:
    eng.register("fused_nodes", fused.select(["account_a", "account_b"]))
    rows = eng.rows(
        """
        SELECT a.account_id, a.handle FROM accounts a
        SEMI JOIN (SELECT account_a AS id FROM fused_nodes UNION SELECT account_b FROM fused_nodes) n
            ON a.account_id = n.id
        WHERE a.handle IS NOT NULL
        """
    )
    return {str(a): str(h) for a, h in rows}


def _summary(
    ds: Dataset | str,
    dets: list[Detector],
    profile: str | None,
    eng: Engine,
    alpha: float,
    window: int | str,
    counts: dict[str, dict[str, Any]],
    timings: dict[str, float],
    fused: pa.Table,
    clusters: pa.Table,
    stats: pa.Table,
) -> dict[str, Any]:
    versions = {"overt": __version__, "engine": eng.version()}
    for pkg in ("sqlglot", "python-igraph", "leidenalg", "scipy", "pyarrow"):
        versions[pkg] = package_version(pkg)
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "dataset": ds if isinstance(ds, str) else str(ds.path),
        # A dataset read from object storage by the cluster: its manifest is not read on the driver.
        "inputs": []
        if isinstance(ds, str)
        else [{"path": i.path, "sha256": i.sha256, "format": i.format} for i in ds.manifest.inputs],
        "engine": eng.name,
        "versions": versions,
        "profile": profile,
        "parameters": {"window": window, "alpha": alpha, "detectors": [d.name for d in dets]},
        "detectors": counts,
        "network": {
            "edges": fused.num_rows,
            "accounts": len(set(fused.column("account_a").to_pylist()) | set(fused.column("account_b").to_pylist())),
        },
        "clusters": {
            "count": stats.num_rows,
            "accounts": clusters.num_rows,
            "largest": max((int(x or 0) for x in stats.column("size").to_pylist()), default=0),
        },
        "timings_seconds": timings,
        "schema": {"edges": EDGES.names, "evidence": EVIDENCE.names},
    }
