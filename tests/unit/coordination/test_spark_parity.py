"""Parity: every detector gives the same results on Spark (local[2]) as on DuckDB, from the same SQL.

One canonical fixture plants a ring of accounts in every trace (reposts, fast reposts, links, domains,
hashtags, identical and near-duplicate texts, replies, mentions, media, hashtag runs, repost profiles,
activity bins) among organic accounts, with the inputs that expose engine differences: fractional seconds,
tabs, vertical tabs and repeated spaces, mentions and links inside texts, non-ASCII text, reposts without an
original id, empty and missing lists, several posts in one second.

Compared: each detector's kept edges column by column (identical, except ``expected``, ``p_value`` and
``q_value``, which must agree to a relative tolerance of 1e-9), its evidence (as a multiset of rows: the file's
order among ties is the engine's), the counts in summary.json, the fused network and the clusters (identical),
and ``--window auto``.

Skipped only when pyspark is not installed. Run time on 2 cores: about a minute and a half.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark")

from overt.coordination.detectors import DETECTORS
from overt.coordination.scan import Scan, scan
from overt.engine import DuckDBEngine, is_remote, transpile
from overt.engine.spark import SparkEngine
from overt.ingest.manifest import Manifest
from overt.model.schema import ACCOUNTS, POSTS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Relative tolerance for expected counts, p-values and q-values (float results of the same formula).
RTOL = 1e-9
FLOAT_COLUMNS = ("expected", "p_value", "q_value")
START = datetime(2024, 3, 4, tzinfo=UTC)
RING = [f"ring{i}" for i in range(6)]
EVENTS = 14
ALL = list(DETECTORS)


def _at(seconds: float) -> datetime:
    return START + timedelta(microseconds=round(seconds * 1_000_000))


def _posts() -> list[dict[str, Any]]:
    rng = np.random.default_rng(11)
    posts: list[dict[str, Any]] = []

    def add(account: str, at: float, **fields: Any) -> str:
        post_id = f"p{len(posts)}"
        posts.append({"post_id": post_id, "account_id": account, "created_at": _at(at), "kind": "post", **fields})
        return post_id

    originals = [add(f"news{i % 12}", i * 1500.0 + 0.25, text=f"News item {i}") for i in range(100)]
    words = ["insiders", "experts", "officials", "reporters", "sources", "witnesses"]
    for e in range(EVENTS):
        t0 = e * 3 * 3600 + 7.5
        lead = add("lead", t0, text=f"Statement {e} from the leader", hashtags=["lead"])
        for k, member in enumerate(RING):
            # Reposts within seconds of the original: co_repost, fast_repost, co_repost_similarity.
            add(member, t0 + 2 + k + 0.999, kind="repost", repost_of_post_id=lead, repost_of_account_id="lead")
            # One identical text (after mentions, links and spacing go), with a link, hashtags, a mention, media.
            spacing = ["  ", "\t", "\x0b ", " \n ", " ", "   "][k]
            add(
                member,
                t0 + 100 + 3 * k + 0.5,
                text=f"@victim{e % 3} Breaking{spacing}news {e}: they lied again, share before it is deleted "
                f"https://news.example/s{e}?x={k}",
                urls=[f"https://news.example/s{e}"],
                domains=["news.example"],
                hashtags=[f"camp{e}"],
                mentions=[f"victim{e % 3}"],
                media=[f"img{e}"],
            )
            # A near-duplicate: one word differs (Jaccard 11/13).
            add(member, t0 + 200 + 2 * k, text=f"the election {e} was stolen by {words[k]} everybody must see this")
            add(
                member,
                t0 + 300 + k,
                kind="reply",
                text=f"Не верьте им — ответ {e} ✊",
                reply_to_post_id=f"target{e}",
                reply_to_account_id="official",
            )
        # A repost the source gave no original id for: the reposted author and the text stand for it.
        for member in RING[:3]:
            add(member, t0 + 50, kind="repost", repost_of_account_id="lead", text=f"RT statement {e}")
    hashtag_pool = [f"tag{i}" for i in range(40)]
    for i in range(60):
        account = f"user{i}"
        for _ in range(int(rng.integers(12, 30))):
            at = float(rng.uniform(0, EVENTS * 3 * 3600))
            kind = rng.choice(["repost", "post", "post", "reply"])
            if kind == "repost":
                target = originals[int(rng.zipf(1.5)) % len(originals)]
                add(account, at, kind="repost", repost_of_post_id=target, repost_of_account_id="news")
            elif kind == "reply":
                add(account, at, kind="reply", text="I disagree", reply_to_post_id=f"target{int(rng.integers(0, 30))}")
            else:
                n = int(rng.integers(0, 4))
                tags = sorted({hashtag_pool[int(rng.zipf(1.6)) % 40] for _ in range(n)})
                link = f"https://site{int(rng.integers(0, 25))}.org/a{int(rng.integers(0, 5))}"
                add(
                    account,
                    at,
                    text=None if rng.random() < 0.05 else f"my view number {int(rng.integers(0, 50))} today {link}",
                    urls=[link] if rng.random() < 0.7 else [],
                    domains=[link.split("/")[2]],
                    hashtags=tags or None,
                    mentions=[f"victim{int(rng.integers(0, 5))}"] if rng.random() < 0.3 else None,
                    media=[f"meme{int(rng.integers(0, 30))}"] if rng.random() < 0.9 else None,
                )
    # Two posts in one second by one account, and a burst at a busy moment.
    add("user0", 500.0, text="same second one", hashtags=["vote"])
    add("user0", 500.0, text="same second two", hashtags=["vote"])
    return posts


def _write(folder: Path, posts: list[dict[str, Any]]) -> Path:
    rows = []
    for i, post in enumerate(posts):
        rows.append({"platform": "test", "source": {"file": "fixture", "line": i + 2}, **post})
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=POSTS.schema), folder / "posts.parquet")
    accounts = sorted({r["account_id"] for r in rows})
    table = pa.Table.from_pylist(
        [{"platform": "test", "account_id": a, "handle": f"@{a}"} for a in accounts], schema=ACCOUNTS.schema
    )
    pq.write_table(table, folder / "accounts.parquet")
    Manifest.build([], {"posts": len(rows), "accounts": len(accounts)}).write(folder / "manifest.json")
    return folder


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("world") / "ds", _posts())


@pytest.fixture(scope="module")
def scans(world: Path, spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> tuple[Scan, Scan]:
    out = tmp_path_factory.mktemp("scans")
    duck = scan(world, out / "duck", detectors=ALL)
    sparked = scan(world, out / "spark", detectors=ALL, engine="spark", spark_master="local[2]")
    return duck, sparked


def _sorted_rows(table: pa.Table) -> list[dict[str, Any]]:
    rows = table.to_pylist()
    return sorted(rows, key=lambda r: tuple(str(r[k]) for k in table.column_names))


def _assert_same(left: pa.Table, right: pa.Table, what: str, *, ordered: bool = True) -> None:
    assert left.schema == right.schema, what
    assert left.num_rows == right.num_rows, what
    a = left.to_pylist() if ordered else _sorted_rows(left)
    b = right.to_pylist() if ordered else _sorted_rows(right)
    for x, y in zip(a, b, strict=True):
        for key in left.column_names:
            if key in FLOAT_COLUMNS and x[key] is not None and y[key] is not None:
                assert math.isclose(x[key], y[key], rel_tol=RTOL, abs_tol=0.0), (what, key, x, y)
            else:
                assert x[key] == y[key], (what, key, x, y)


@pytest.mark.parametrize("detector", ALL)
def test_edges_and_significance_are_identical(scans: tuple[Scan, Scan], detector: str) -> None:
    duck, sparked = scans
    left, right = duck.table(f"edges/{detector}"), sparked.table(f"edges/{detector}")
    assert left.num_rows > 0, f"the fixture plants nothing {detector} finds"
    _assert_same(left, right, detector)


@pytest.mark.parametrize("detector", ALL)
def test_evidence_is_identical(scans: tuple[Scan, Scan], detector: str) -> None:
    duck, sparked = scans
    left, right = duck.table(f"evidence/{detector}"), sparked.table(f"evidence/{detector}")
    # Files written by DuckDB and by pyarrow differ in nullability only.
    _assert_same(left, right.cast(left.schema), detector, ordered=False)


def test_counts_are_identical(scans: tuple[Scan, Scan]) -> None:
    duck, sparked = scans
    assert duck.summary["detectors"] == sparked.summary["detectors"]
    assert duck.summary["network"] == sparked.summary["network"]
    assert duck.summary["clusters"] == sparked.summary["clusters"]
    assert sparked.summary["engine"] == "spark"
    assert sparked.summary["engine_details"]["stages"]["detectors"] == "spark"


def test_network_and_clusters_are_identical(scans: tuple[Scan, Scan]) -> None:
    duck, sparked = scans
    _assert_same(duck.table("network"), sparked.table("network"), "network")
    assert duck.table("clusters").equals(sparked.table("clusters"))
    assert duck.table("cluster_stats").equals(sparked.table("cluster_stats"))
    clustered = set(duck.table("clusters").column("account_id").to_pylist())
    assert set(RING) <= clustered


def test_window_auto_is_identical(world: Path, spark: SparkSession, tmp_path: Path) -> None:
    chosen = ["co_repost", "co_link", "co_similar_text"]
    duck = scan(world, tmp_path / "duck", detectors=chosen, window="auto")
    sparked = scan(world, tmp_path / "spark", detectors=chosen, window="auto", engine="spark")
    for name in chosen:
        assert duck.summary["detectors"][name]["params"] == sparked.summary["detectors"][name]["params"]
        _assert_same(duck.table(f"edges/{name}"), sparked.table(f"edges/{name}"), name)


# -- the engine layer: the operations with no one portable spelling, run on both engines ----------------------

PORTABLE = {
    # len of a list (SIZE on Spark) and of a string (LENGTH on both)
    "lengths": "SELECT len(toks) AS n, length(word) AS c FROM words ORDER BY n, c",
    # 1-based inclusive slices of a sorted list
    "slice": "SELECT k, list_sort(toks)[1:p] AS head FROM words ORDER BY k",
    # an ordered list aggregate
    "ordered": "SELECT grp, array_agg(word ORDER BY rank, word) AS words FROM words GROUP BY grp ORDER BY grp",
    # list intersection sizes
    "intersect": "SELECT len(list_intersect(toks, ['a', 'b', 'z'])) AS n FROM words ORDER BY k",
    # RE2's \s: no vertical tab
    "spaces": "SELECT k, regexp_replace(word, '\\s+', '_', 'g') AS w FROM words ORDER BY k",
    # whole seconds since 1970, floored, and back
    "seconds": "SELECT k, CAST(floor(epoch(t_at)) AS BIGINT) AS s, "
    "to_timestamp(CAST(floor(epoch(t_at)) AS BIGINT)) AS t FROM words ORDER BY k",
    # the coordination interval's quantile
    "quantile": "SELECT quantile_cont(rank, 0.5) AS q FROM words",
}


def _words() -> pa.Table:
    return pa.table(
        {
            "k": pa.array([1, 2, 3, 4], pa.int64()),
            "grp": ["x", "x", "y", "y"],
            "rank": pa.array([2, 1, 1, 1], pa.int64()),
            "word": ["b a", "tab\there", "vt\x0bhere", "  two  spaces "],
            "toks": [["c", "a", "b"], ["a"], [], ["z", "y", "x", "a"]],
            "p": pa.array([2, 1, 1, 3], pa.int64()),
            "t_at": pa.array(
                [_at(0.5), _at(59.999999), _at(86400 * 3 + 0.000001), _at(1.0)], pa.timestamp("us", tz="UTC")
            ),
        }
    )


@pytest.fixture(scope="module")
def engines(spark: SparkSession) -> dict[str, Any]:
    duck = DuckDBEngine(threads=1)
    sparked = SparkEngine(spark)
    # Two empty chunks first: pyspark reads no rows from such a table unless the engine combines them.
    chunked = pa.concat_tables([_words().slice(0, 0), _words().slice(0, 0), _words()])
    for eng in (duck, sparked):
        eng.register("words", chunked)
    return {"duckdb": duck, "spark": sparked}


@pytest.mark.parametrize("case", sorted(PORTABLE))
def test_portable_operations_agree(engines: dict[str, Any], case: str) -> None:
    sql = PORTABLE[case]
    assert transpile(sql, "spark")
    duck, sparked = engines["duckdb"].arrow(sql), engines["spark"].arrow(sql)
    assert duck.num_rows == 4 or case in ("ordered", "quantile")
    assert duck.to_pylist() == sparked.to_pylist(), case


def test_the_engines_share_an_interface(engines: dict[str, Any], tmp_path: Path) -> None:
    results: dict[str, list[Any]] = {}
    for name, eng in engines.items():
        cur = eng.cursor()
        cur.register("words_c", _words())
        made = cur.create("few", "SELECT k, word FROM words_c WHERE k > 1")
        cur.view("fewer", "SELECT * FROM few WHERE k > 2")
        got = [
            made,
            cur.scalar("SELECT count(*) FROM fewer"),
            cur.rows("SELECT k FROM few ORDER BY k"),
            cur.arrow_from(pa.table({"v": [3, 1]}), "SELECT sum(v) AS s FROM {table}").to_pylist(),
        ]
        cur.write_parquet("SELECT k, word FROM few ORDER BY k DESC", tmp_path / f"{name}.parquet")
        got.append(pq.read_table(tmp_path / f"{name}.parquet").to_pylist())
        cur.drop("few")
        cur.close()
        results[name] = [
            [tuple(r) for r in g] if isinstance(g, list) and g and isinstance(g[0], tuple) else g for g in got
        ]
    assert results["duckdb"] == results["spark"]
    assert engines["spark"].arrow("SELECT word FROM words").schema.field("word").type == pa.string()


def test_only_cluster_uris_are_remote() -> None:
    assert all(is_remote(u) for u in ("s3a://b/ds", "abfss://c@a.dfs.core.windows.net/ds", "gs://b/ds", "hdfs://n/ds"))
    assert not any(is_remote(p) for p in ("ds", "/data/ds", "file:///data/ds", Path("a://b"), "c:\\ds"))


def test_transpile_rewrites_for_spark() -> None:
    out: Callable[[str], str] = lambda sql: transpile(sql, "spark")  # noqa: E731
    assert "SIZE(toks)" in out("SELECT len(toks) FROM t")
    assert "LENGTH(item)" in out("SELECT length(item) FROM t")
    assert "SLICE(" in out("SELECT list_sort(r)[1:p] FROM t")
    assert "ARRAY_SORT(COLLECT_LIST(STRUCT(" in out("SELECT array_agg(x ORDER BY k) FROM t")
    assert "TIMESTAMP_SECONDS(s)" in out("SELECT to_timestamp(s) FROM t")
    assert "PERCENTILE(d, 0.1)" in out("SELECT quantile_cont(d, 0.1) FROM t")
    assert "\\\\x0b" not in out("SELECT regexp_replace(x, '\\s', '', 'g') FROM t")
    with pytest.raises(ValueError, match="DESC"):
        out("SELECT array_agg(x ORDER BY k DESC) FROM t")


def test_a_dropped_tables_checkpoint_is_cleaned_up(
    engines: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """drop() leaves freeing to Spark's context cleaner, which must then delete a reliable checkpoint's files."""
    sparked = engines["spark"]
    context = sparked.spark.sparkContext
    # Later tests in this session then checkpoint reliably too; parity holds either way.
    if not context.getCheckpointDir():
        context.setCheckpointDir(str(tmp_path_factory.mktemp("checkpoints")))
    root = Path(context.getCheckpointDir().removeprefix("file:"))

    def stored() -> set[Path]:
        return {p for p in root.rglob("part-*") if p.is_file()}

    before = stored()
    assert sparked.create("kept_words", "SELECT k, word FROM words WHERE k > 1") == 3
    made = stored() - before
    assert made, "create() wrote no reliable checkpoint"
    assert sparked.scalar("SELECT count(*) FROM kept_words") == 3
    sparked.drop("kept_words")
    deadline = time.monotonic() + 60
    while any(p.exists() for p in made) and time.monotonic() < deadline:
        gc.collect()  # releases the Python side's handles on the JVM objects
        context._jvm.System.gc()
        time.sleep(0.5)
    assert not any(p.exists() for p in made), "the checkpoint files outlived their table"
