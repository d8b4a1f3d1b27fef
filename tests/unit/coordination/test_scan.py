"""The scan end to end on small datasets: windows, the null model, the cap, profiles, outputs, portability."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from overt import build_dataset
from overt.coordination import cooccurrence, near_duplicate
from overt.coordination.detectors import DETECTORS, CoAction
from overt.coordination.scan import ScanError, scan
from overt.coordination.significance import benjamini_hochberg, poisson_tail
from overt.engine import transpile

HEADER = ["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"]


def write_cnt(path: Path, rows: list[tuple[object, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def dataset(tmp_path: Path, rows: list[tuple[object, ...]]) -> Path:
    build_dataset([write_cnt(tmp_path / "in.csv", rows)], tmp_path / "ds", format="cnt")
    return tmp_path / "ds"


def edges(scan_dir: Path, detector: str) -> set[tuple[str, str, int]]:
    rows = duckdb.sql(f"SELECT account_a, account_b, weight FROM '{scan_dir}/edges/{detector}.parquet'").fetchall()
    return {(a, b, int(w)) for a, b, w in rows}


def organic_and_ring(n_events: int = 12) -> list[tuple[object, ...]]:
    """Three accounts retweeting the same posts within seconds, among 40 accounts retweeting at random."""
    rows: list[tuple[object, ...]] = []
    mid = 0
    for e in range(n_events):
        t0 = 10_000 * (e + 1)
        for k, user in enumerate(("ring1", "ring2", "ring3")):
            mid += 1
            rows.append((mid, user, user, f"seed{e}", "", f"RT seed {e}", t0 + 5 * k, ""))
    for i in range(400):
        mid += 1
        user = f"org{i % 40}"
        rows.append((mid, user, user, f"pop{i % 25}", "", "RT pop", 3_000 * i + (i * 7919) % 3000, ""))
    return rows


def test_planted_ring_is_found_and_chance_pairs_are_not(tmp_path: Path) -> None:
    ds = dataset(tmp_path, organic_and_ring())
    result = scan(ds, tmp_path / "scan", detectors=["co_repost"], window=60)
    found = edges(result.path, "co_repost")
    assert {(a, b) for a, b, _ in found} == {("ring1", "ring2"), ("ring1", "ring3"), ("ring2", "ring3")}
    assert all(w == 12 for *_, w in found)
    clusters = result.table("clusters").to_pylist()
    assert sorted(r["account_id"] for r in clusters) == ["ring1", "ring2", "ring3"]
    # ring1 always acts first: it leads.
    assert {r["account_id"]: r["role"] for r in clusters}["ring1"] == "leader"
    evidence = result.table("evidence/co_repost").to_pylist()
    assert len(evidence) == 36 and {r["item"] for r in evidence} == {f"seed{e}" for e in range(12)}
    summary = json.loads((result.path / "summary.json").read_text())
    assert summary["detectors"]["co_repost"]["kept_edges"] == 3
    assert summary["inputs"][0]["sha256"]
    for name in ("network.parquet", "clusters.parquet", "network.gexf", "network.graphml", "cluster_stats.parquet"):
        assert (result.path / name).stat().st_size > 0


def test_window_is_inclusive_and_bucket_edges_are_not_missed(tmp_path: Path) -> None:
    # Pairs exactly `window` apart straddling a bucket boundary (59 -> 119 with 60 s buckets) count;
    # 61 s apart do not.
    rows: list[tuple[object, ...]] = []
    for e in range(6):
        rows.append((10 * e + 1, "a", "a", f"x{e}", "", "RT", 100_000 * e + 59, ""))
        rows.append((10 * e + 2, "b", "b", f"x{e}", "", "RT", 100_000 * e + 119, ""))
        rows.append((10 * e + 3, "c", "c", f"x{e}", "", "RT", 100_000 * e + 180, ""))
    ds = dataset(tmp_path, rows)
    result = scan(ds, tmp_path / "scan", detectors=["co_repost"], window=60, profile="cnt", min_weight=1)
    pairs = {(a, b) for a, b, _ in edges(result.path, "co_repost")}
    assert pairs == {("a", "b"), ("b", "a")}


def test_viral_item_windows_are_capped_and_reported(tmp_path: Path) -> None:
    rows: list[tuple[object, ...]] = [(i, f"u{i}", f"u{i}", "viral", "", "RT", 1200 + i % 30, "") for i in range(50)]
    ds = dataset(tmp_path, rows)
    result = scan(ds, tmp_path / "scan", detectors=["co_repost"], window=60)
    info = result.summary["detectors"]["co_repost"]
    assert info["capped_item_windows"] == 0
    # The same data with a cap of 10 accounts: the viral post is not paired, and summary.json says so.
    from overt.coordination.detectors import CoRepost

    det = CoRepost(max_accounts_per_window=10, window=60)
    result = scan(ds, tmp_path / "scan2", detectors=[det])
    info = result.summary["detectors"]["co_repost"]
    assert info["capped_item_windows"] >= 1 and info["pairs"] == 0
    assert info["capped_examples"][0]["item"] == "viral"


def test_cnt_profile_reproduces_the_toolkit_fixture(tmp_path: Path, shared_data: Path) -> None:
    folder = shared_data / "peer_fixtures" / "coordination_network_toolkit"
    ds = tmp_path / "ds"
    build_dataset([folder / "coretweet_test_input.csv"], ds, format="cnt")
    expected: dict[tuple[int, int], set[tuple[str, str, int]]] = {}
    with (folder / "coretweet_expected_edges_github_head.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            key = (int(r["time_window"]), int(r["min_edge_weight"]))
            expected.setdefault(key, set()).add((r["user_1"], r["user_2"], int(r["weight"])))
    assert expected
    for (window, min_weight), want in expected.items():
        out = tmp_path / f"scan_{window}_{min_weight}"
        scan(ds, out, detectors=["co_repost"], window=window, profile="cnt", min_weight=min_weight)
        assert edges(out, "co_repost") == want, (window, min_weight)


def test_near_duplicates_match_a_brute_force_jaccard(tmp_path: Path) -> None:
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"]
    rows: list[tuple[object, ...]] = []
    for i in range(60):
        chosen = [w for j, w in enumerate(words) if (i * 7 + j * 3) % 5 != 0]
        rows.append((i + 1, f"u{i % 9}", f"u{i % 9}", "", "", " ".join(chosen[: 6 + i % 6]), 10 * i, ""))
    ds = dataset(tmp_path, rows)
    result = scan(ds, tmp_path / "scan", detectors=["co_similar_text"], window=120, profile="cnt", min_weight=1)
    got = edges(result.path, "co_similar_text")
    # Brute force: every pair of posts within the window with Jaccard >= 0.8.
    weights: dict[tuple[str, str], set[int]] = {}
    for x in rows:
        for y in rows:
            if x[0] == y[0] or abs(int(x[6]) - int(y[6])) > 120:  # type: ignore[call-overload]
                continue
            sx, sy = set(str(x[5]).split()), set(str(y[5]).split())
            if len(sx & sy) / len(sx | sy) >= 0.8:
                weights.setdefault((str(x[1]), str(y[1])), set()).add(int(x[0]))  # type: ignore[call-overload]
    assert got == {(a, b, len(m)) for (a, b), m in weights.items()}
    assert got  # the fixture does contain near-duplicates


def test_every_detector_query_transpiles_to_spark() -> None:
    for name, cls in DETECTORS.items():
        det = cls()
        if isinstance(det, CoAction):
            assert transpile(det.actions(), "spark"), name
            assert transpile(cooccurrence.bucketed("raw", 60, det.keep()), "spark"), name
    assert transpile(cooccurrence.pairs("actions", 60), "spark")
    for style in ("words", "cnt"):
        assert transpile(near_duplicate.tokenised(style), "spark")
    assert transpile(near_duplicate.messages("raw", 60, 5), "spark")
    assert transpile(near_duplicate.prefixes("m", 0.8), "spark")
    assert transpile(near_duplicate.matches("m", "p", 60, 0.8), "spark")
    assert transpile(cooccurrence.edges("pairs"), "spark")
    assert transpile(cooccurrence.expected("edges", "activity", 2), "spark")


def test_poisson_tail_and_benjamini_hochberg() -> None:
    import numpy as np

    p = poisson_tail(np.array([0, 1, 3]), np.array([1.0, 1.0, 0.5]))
    assert p[0] == pytest.approx(1.0)
    assert p[1] == pytest.approx(1 - np.exp(-1))
    assert p[2] == pytest.approx(1 - np.exp(-0.5) * (1 + 0.5 + 0.125))
    q = benjamini_hochberg(np.array([0.01, 0.04, 0.03]), 3)
    assert list(q) == pytest.approx([0.03, 0.04, 0.04])
    # Untested pairs count: the same p-values among 100 tests are adjusted much more.
    assert benjamini_hochberg(np.array([0.01]), 100)[0] == pytest.approx(1.0)


def test_bad_requests_are_refused(tmp_path: Path) -> None:
    ds = dataset(tmp_path, organic_and_ring(2))
    with pytest.raises(ScanError, match="unknown detector"):
        scan(ds, tmp_path / "s1", detectors=["co_nothing"])
    with pytest.raises(ScanError, match="unknown profile"):
        scan(ds, tmp_path / "s2", profile="gephi")
    with pytest.raises(ScanError, match="window"):
        scan(ds, tmp_path / "s3", window=0)
    scan(ds, tmp_path / "s4", detectors=["co_repost"])
    with pytest.raises(ScanError, match="exists"):
        scan(ds, tmp_path / "s4", detectors=["co_repost"])


def test_coortweet_profile_through_the_scan(tmp_path: Path) -> None:
    # CooRTweet's vignette (S2): detect_groups(min_participation=2, time_window=60) then
    # generate_coordinated_network(edge_weight=0.5) gives 2,110 accounts and 3,721 edges.
    russian = Path(__file__).parents[3] / "examples" / "coortweet-russia-2021" / "russian_coord_tweets.csv.gz"
    build_dataset([russian], tmp_path / "ds")
    result = scan(
        tmp_path / "ds", tmp_path / "scan", profile="coortweet", detectors=["co_repost"], window=60, min_weight=2
    )
    rows = duckdb.sql(f"SELECT account_a, account_b FROM '{result.path}/edges/co_repost.parquet'").fetchall()
    assert len(rows) == 3721
    assert len({a for a, _ in rows} | {b for _, b in rows}) == 2110
    marked = duckdb.sql(f"SELECT sum(weight_threshold) FROM '{result.path}/profile/co_repost.parquet'").fetchall()
    assert marked == [(60,)]


def test_coornet_profile_with_the_estimated_interval(tmp_path: Path, shared_data: Path) -> None:
    # CooRnet's logged run: interval 46,829 s, 655 highly connected entities.
    build_dataset([shared_data / "peer_fixtures" / "coornet" / "ct_shares_marked.csv.gz"], tmp_path / "ds")
    result = scan(tmp_path / "ds", tmp_path / "scan", profile="coornet", detectors=["co_link"], window="auto")
    assert result.summary["detectors"]["co_link"]["coordination_interval"] == 46829
    rows = duckdb.sql(f"SELECT account_a, account_b FROM '{result.path}/edges/co_link.parquet'").fetchall()
    assert len({a for a, _ in rows} | {b for _, b in rows}) == 655
    # Every (post, link) pair of the dataset is labelled.
    links = duckdb.sql(
        f"SELECT count(*) FROM (SELECT DISTINCT post_id, unnest(urls) FROM '{tmp_path}/ds/posts.parquet')"
    )
    labels = duckdb.sql(f"SELECT count(*) FROM '{result.path}/profile/co_link_labels.parquet'")
    assert labels.fetchall() == links.fetchall()


def test_window_auto_estimates_an_interval_per_detector(tmp_path: Path) -> None:
    ds = dataset(tmp_path, organic_and_ring())
    result = scan(ds, tmp_path / "scan", detectors=["co_repost", "co_link"], window="auto")
    info = result.summary["detectors"]
    assert isinstance(info["co_repost"]["params"]["window"], int) and info["co_repost"]["params"]["window"] > 0
    assert "skipped" in info["co_link"]  # no links at all: nothing to estimate from, nothing to find


def test_co_domain_links_accounts_pushing_one_site_with_different_articles(tmp_path: Path) -> None:
    rows: list[tuple[object, ...]] = []
    for e in range(8):
        for k, user in enumerate(("s1", "s2", "s3")):
            url = f"https://outlet.com/story/{e}-{user}"  # a different article each time
            rows.append((100 * e + k, user, user, "", "", f"read this {e} {user}", 5_000 * e + 3 * k, url))
    for i in range(60):
        rows.append(
            (10_000 + i, f"o{i % 12}", f"o{i % 12}", "", "", f"post {i}", 777 * i, f"https://site{i % 7}.org/x")
        )
    ds = dataset(tmp_path, rows)
    result = scan(ds, tmp_path / "scan", detectors=["co_link", "co_domain"], window=60)
    assert edges(result.path, "co_link") == set()
    assert {(a, b) for a, b, _ in edges(result.path, "co_domain")} == {("s1", "s2"), ("s1", "s3"), ("s2", "s3")}


def test_a_failed_scan_leaves_nothing_and_callers_detectors_are_not_changed(tmp_path: Path) -> None:
    from dataclasses import dataclass
    from typing import ClassVar

    import duckdb as db

    from overt.coordination.detectors import CoRepost

    @dataclass(kw_only=True)
    class Broken(CoAction):
        name: ClassVar[str] = "broken"

        def actions(self) -> str:
            return "SELECT no_such_column AS item FROM posts"

    ds = dataset(tmp_path, organic_and_ring(3))
    with pytest.raises(db.Error):
        scan(ds, tmp_path / "scan", detectors=[CoRepost(), Broken()])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "in.csv"]
    mine = CoRepost()
    scan(ds, tmp_path / "ok", detectors=[mine], window=30)
    assert mine.window is None


def test_running_out_of_memory_names_the_detector_and_the_way_out(tmp_path: Path) -> None:
    ds = dataset(tmp_path, organic_and_ring(40))
    with pytest.raises(ScanError, match=r"ran out of memory.*raise --memory-limit"):
        scan(ds, tmp_path / "scan", memory_limit="1MB")
    assert not (tmp_path / "scan").exists() and not (tmp_path / "scan.partial").exists()
