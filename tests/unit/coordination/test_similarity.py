"""Similarity detectors (hashtag_sequence, co_repost_similarity, time_sync) on tiny canonical datasets."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from overt.coordination.detectors import DETECTORS
from overt.coordination.schema import EDGES
from overt.coordination.similarity import CoRepostSimilarity, HashtagSequence, TimeSync
from overt.engine import DuckDBEngine
from overt.model.schema import ACCOUNTS, POSTS

START = datetime(2024, 3, 4, tzinfo=UTC)
WEEK = 7 * 86400
PLANTED = [f"bot{i}" for i in range(6)]
SEQUENCE = [["free", "vote"], ["truth", "now"], ["vote", "free"], ["now", "rise"], ["rise", "truth"]] * 2


def _write(folder: Path, posts: list[dict[str, Any]]) -> Path:
    """Canonical posts.parquet and accounts.parquet for *posts* (missing columns are null)."""
    rows = []
    for i, post in enumerate(posts):
        row: dict[str, Any] = {
            "platform": "test",
            "post_id": f"p{i}",
            "kind": "post",
            "source": {"file": "test.csv", "line": i + 2},
        }
        row.update(post)
        rows.append(row)
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=POSTS.schema), folder / "posts.parquet")
    accounts = sorted({r["account_id"] for r in rows})
    table = pa.Table.from_pylist([{"platform": "test", "account_id": a} for a in accounts], schema=ACCOUNTS.schema)
    pq.write_table(table, folder / "accounts.parquet")
    return folder


def _at(seconds: float) -> datetime:
    return START + timedelta(seconds=int(seconds))


def _engine(folder: Path, threads: int = 1) -> DuckDBEngine:
    eng = DuckDBEngine(memory_limit="1GB", threads=threads)
    eng.attach_dataset(folder)
    return eng


def _pairs(table: pa.Table) -> set[tuple[str, str]]:
    return set(_weights(table))


def _weights(table: pa.Table) -> dict[tuple[str, str], float]:
    return {(r["account_a"], r["account_b"]): r["weight"] for r in table.to_pylist()}


def _planted_pairs() -> set[tuple[str, str]]:
    return set(itertools.combinations(sorted(PLANTED), 2))


def _zipf(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1)
    return rng.choice(n, size=size, p=weights / weights.sum())


@pytest.fixture(scope="module")
def reposts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six accounts reposting the same 15 posts at unrelated times, among organic and very active accounts."""
    rng = np.random.default_rng(1)
    posts: list[dict[str, Any]] = []
    originals = [f"o{i}" for i in range(300)]
    for i, post_id in enumerate(originals):
        posts.append({"post_id": post_id, "account_id": f"author{i % 30}", "created_at": _at(i * 60)})
    campaign = rng.choice(originals, 15, replace=False)
    for bot in PLANTED:
        for target in campaign:
            posts.append(_repost(bot, str(target), rng.uniform(0, WEEK)))
    organic = [(f"user{i}", 15) for i in range(60)] + [(f"heavy{i}", 150) for i in range(20)]
    for account, n in organic:
        for target in _zipf(rng, len(originals), n):
            posts.append(_repost(account, originals[target], rng.uniform(0, WEEK)))
    return _write(tmp_path_factory.mktemp("reposts"), posts)


def _repost(account: str, target: str, at: float) -> dict[str, Any]:
    return {"account_id": account, "kind": "repost", "repost_of_post_id": target, "created_at": _at(at)}


@pytest.fixture(scope="module")
def hashtags(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six accounts writing the same hashtag sequence; two more use the same hashtags in other orders."""
    rng = np.random.default_rng(2)
    pool = [f"tag{i}" for i in range(200)]
    posts: list[dict[str, Any]] = []
    for bot in PLANTED:
        for k, tags in enumerate(SEQUENCE):
            posts.append({"account_id": bot, "hashtags": tags, "created_at": _at(k * 3600 + rng.uniform(0, 600))})
    used = [tag for tags in SEQUENCE for tag in tags]
    for other in ("mixed0", "mixed1"):
        shuffled = list(rng.permutation(used))
        for k in range(0, len(shuffled), 2):
            posts.append({"account_id": other, "hashtags": shuffled[k : k + 2], "created_at": _at(k * 1800)})
    for i in range(60):
        for _ in range(10):
            tags = sorted({pool[t] for t in _zipf(rng, len(pool), int(rng.integers(1, 4)))})
            posts.append({"account_id": f"user{i}", "hashtags": tags, "created_at": _at(rng.uniform(0, WEEK))})
    # Reposts carry the original's hashtags and are not the reposter's sequence.
    posts.append({"account_id": "user0", "kind": "repost", "hashtags": SEQUENCE[0], "created_at": _at(5)})
    return _write(tmp_path_factory.mktemp("hashtags"), posts)


@pytest.fixture(scope="module")
def timing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six accounts posting in the same 24 half-hours; organic accounts, and 30 very active ones."""
    rng = np.random.default_rng(3)
    bins = rng.choice(WEEK // 1800, 24, replace=False)
    posts: list[dict[str, Any]] = []
    for bot in PLANTED:
        for b in bins:
            posts.append({"account_id": bot, "created_at": _at(int(b) * 1800 + rng.uniform(0, 1799))})
    organic = [(f"user{i}", 24) for i in range(60)] + [(f"heavy{i}", 200) for i in range(30)]
    for account, n in organic:
        for at in rng.uniform(0, WEEK, n):
            posts.append({"account_id": account, "created_at": _at(at)})
    return _write(tmp_path_factory.mktemp("timing"), posts)


def _check_edges(table: pa.Table, alpha: float) -> None:
    """What every similarity edge table must satisfy."""
    assert table.schema.equals(EDGES)
    rows = table.to_pylist()
    assert rows == sorted(rows, key=lambda r: (r["account_a"], r["account_b"]))
    for r in rows:
        assert r["account_a"] < r["account_b"]
        assert 0.0 < r["weight"] <= 1.0
        assert r["n_shared_items"] >= 1
        assert r["first_at"] <= r["last_at"]
        assert r["a_first"] + r["b_first"] <= r["n_shared_items"]
        assert 0.0 < r["p_value"] <= r["q_value"] <= alpha
        assert r["expected"] >= 0.0
        assert 1 <= len(r["items"]) <= 5


def test_co_repost_similarity_finds_the_ring_and_nothing_else(reposts: Path) -> None:
    eng = _engine(reposts)
    table, info = CoRepostSimilarity().edges(eng, 0.01)
    _check_edges(table, 0.01)
    assert _pairs(table) == _planted_pairs()
    assert table.column("weight").to_pylist() == pytest.approx([1.0] * 15)
    assert set(table.column("n_shared_items").to_pylist()) == {15}
    # Authors of the originals never repost: they are not among the accounts considered.
    assert info["accounts"] == 6 + 60 + 20
    assert info["tested_pairs"] == 86 * 85 // 2
    assert info["kept_edges"] == 15
    assert info["candidate_edges"] >= 15


def test_very_active_accounts_are_similar_but_not_kept(reposts: Path, timing: Path) -> None:
    for folder, detector in ((reposts, CoRepostSimilarity()), (timing, TimeSync())):
        eng = _engine(folder)
        everything, _ = detector.edges(eng, 1.0)
        heavy = {p for p in _pairs(everything) if p[0].startswith("heavy") and p[1].startswith("heavy")}
        # Chance alone makes very active accounts alike (they all repost the popular posts, or post in every
        # half-hour); the null, which keeps how active every account is, says so.
        assert len(heavy) > 20
        kept, _ = detector.edges(eng, 0.01)
        assert _pairs(kept) == _planted_pairs()


def test_hashtag_sequence_finds_the_same_sequence(hashtags: Path) -> None:
    eng = _engine(hashtags)
    table, info = HashtagSequence().edges(eng, 0.01)
    _check_edges(table, 0.01)
    found = _pairs(table)
    assert _planted_pairs() <= found
    # The two accounts using the campaign's rare hashtags in other orders are alike too; no one else is.
    assert {a for pair in found - _planted_pairs() for a in pair} <= {*PLANTED, "mixed0", "mixed1"}
    weights = _weights(table)
    assert [weights[p] for p in sorted(_planted_pairs())] == pytest.approx([1.0] * 15)
    assert info["accounts"] == 6 + 2 + 60
    flat = [tag for tags in SEQUENCE for tag in tags]
    runs = set(flat) | {f"{x} {y}" for x, y in itertools.pairwise(flat)}
    bots = [r for r in table.to_pylist() if r["account_b"].startswith("bot")]
    # Identical sequences share every run of one and of two hashtags, the items are among them.
    assert {r["n_shared_items"] for r in bots} == {len(runs)}
    assert all(set(r["items"]) <= runs for r in bots)


def test_hashtag_order_counts_with_runs_of_two(hashtags: Path) -> None:
    eng = _engine(hashtags)

    def weight(n: int) -> float:
        table, _ = HashtagSequence(n=n, min_similarity=0.01).edges(eng, 1.0)
        return _weights(table)[("bot0", "mixed0")]

    # The same hashtags in another order: as alike as can be by hashtags alone, less so by their order.
    assert weight(1) > 0.9
    assert weight(2) < weight(1) - 0.2


def test_time_sync_finds_accounts_posting_in_the_same_half_hours(timing: Path) -> None:
    eng = _engine(timing)
    table, info = TimeSync().edges(eng, 0.01)
    _check_edges(table, 0.01)
    assert _pairs(table) == _planted_pairs()
    assert info["accounts"] == 6 + 60 + 30
    first = table.to_pylist()[0]
    # Shared features are the half-hours, shown as their start.
    assert all(item.endswith(("00:00Z", "30:00Z")) for item in first["items"])
    assert first["n_shared_items"] >= 20


def test_time_sync_needs_min_posts(timing: Path) -> None:
    eng = _engine(timing)
    table, info = TimeSync(min_posts=25).edges(eng, 0.01)
    assert info["accounts"] == 30
    assert table.num_rows == 0


def test_wider_bins_merge_nearby_posts(tmp_path: Path) -> None:
    # Two accounts posting 20 to 40 minutes apart, day after day: different half-hours, same two hours.
    posts = []
    for day in range(12):
        base = day * 86400 + 7200 * (day % 5 + 3)
        posts.append({"account_id": "a", "created_at": _at(base + 1500)})
        posts.append({"account_id": "b", "created_at": _at(base + 1500 + 600 + 300 * (day % 2))})
    for i in range(20):
        for k in range(12):
            posts.append({"account_id": f"u{i}", "created_at": _at((i * 7919 + k * 50021) % WEEK)})
    eng = _engine(_write(tmp_path, posts))
    half_hours, _ = TimeSync(min_similarity=0.01).edges(eng, 1.0)
    two_hours, _ = TimeSync(min_similarity=0.01, bin_seconds=7200).edges(eng, 1.0)
    assert ("a", "b") not in _pairs(half_hours)
    assert ("a", "b") in _pairs(two_hours)


def test_results_are_deterministic_for_a_seed(reposts: Path, timing: Path) -> None:
    for folder, make in ((reposts, CoRepostSimilarity), (timing, TimeSync)):
        # The engine may return rows in any order when it runs on several threads.
        first, info = make(seed=7).edges(_engine(folder, threads=1), 0.01)
        again, info_again = make(seed=7).edges(_engine(folder, threads=4), 0.01)
        assert first.equals(again)
        assert info == info_again


def test_more_shuffles_where_the_first_cannot_resolve_a_stratum(timing: Path) -> None:
    eng = _engine(timing)
    table, info = TimeSync(permutations=2, max_permutations=2).edges(eng, 0.01)
    # Two shuffles cannot resolve a group of six among 96 accounts, and no more are allowed.
    assert info["extra_shuffles"] == 0
    assert table.num_rows == 0
    table, info = TimeSync(permutations=2).edges(eng, 0.01)
    assert info["extra_shuffles"] > 0
    assert _pairs(table) == _planted_pairs()


def test_no_accounts_with_enough_support_gives_an_empty_table(tmp_path: Path) -> None:
    posts = [{"account_id": f"u{i}", "created_at": _at(i)} for i in range(5)]
    eng = _engine(_write(tmp_path, posts))
    for detector in (CoRepostSimilarity(), HashtagSequence(), TimeSync()):
        table, info = detector.edges(eng, 0.01)
        assert table.num_rows == 0
        assert table.schema.equals(EDGES)
        assert info["accounts"] == 0
        assert info["kept_edges"] == 0


def test_detectors_are_registered() -> None:
    for name, cls in (
        ("hashtag_sequence", HashtagSequence),
        ("co_repost_similarity", CoRepostSimilarity),
        ("time_sync", TimeSync),
    ):
        assert DETECTORS[name] is cls
        assert cls.kind == "similarity"
        detector = cls()
        assert detector.name == name
        assert detector.params()["seed"] == 42
    assert TimeSync().params()["bin_seconds"] == 1800
    assert CoRepostSimilarity().params()["min_reposts"] == 10
    assert HashtagSequence().params()["n"] == 2


@pytest.mark.parametrize(
    ("cls", "params"),
    [
        (TimeSync, {"min_similarity": 0.0}),
        (TimeSync, {"min_similarity": 1.5}),
        (TimeSync, {"min_similarity": "high"}),
        (TimeSync, {"permutations": 0}),
        (TimeSync, {"permutations": True}),
        (TimeSync, {"permutations": 20, "max_permutations": 10}),
        (TimeSync, {"seed": -1}),
        (TimeSync, {"bin_seconds": 0}),
        (TimeSync, {"min_posts": 2.5}),
        (CoRepostSimilarity, {"min_reposts": 0}),
        (HashtagSequence, {"n": 0}),
        (HashtagSequence, {"min_hashtags": -3}),
    ],
)
def test_parameters_are_validated(cls: type[TimeSync], params: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(params))):
        cls(**params)


@pytest.mark.parametrize("alpha", [0.0, -0.1, 1.5])
def test_alpha_is_validated(reposts: Path, alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        CoRepostSimilarity().edges(_engine(reposts), alpha)
