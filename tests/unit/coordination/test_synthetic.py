"""The benchmark generator (benchmarks/synthetic.py) makes the stream its docstring promises."""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import duckdb
import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "synthetic.py"
SMALL = ["--posts", "5000", "--accounts", "800", "--groups", "5,8,12", "--campaigns", "4", "--quiet"]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_synthetic", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up in sys.modules while the module is being executed.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


synthetic = _load()


def _generate(folder: Path, seed: int = 7) -> dict[str, Path]:
    files = {
        "cnt": folder / "posts.csv",
        "truth": folder / "truth.csv",
        "campaigns": folder / "campaigns.csv",
        "canonical": folder / "posts.parquet",
    }
    synthetic.main(
        [
            *SMALL,
            "--seed",
            str(seed),
            "--out-cnt",
            str(files["cnt"]),
            "--truth",
            str(files["truth"]),
            "--campaigns-out",
            str(files["campaigns"]),
            "--out-canonical",
            str(files["canonical"]),
        ]
    )
    return files


def _read(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    files = _generate(tmp_path_factory.mktemp("synthetic"))
    rows = _read(files["cnt"])
    with open(files["truth"], newline="", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    with open(files["campaigns"], newline="", encoding="utf-8") as f:
        campaigns = list(csv.DictReader(f))
    return {"files": files, "header": rows[0], "rows": rows[1:], "truth": truth, "campaigns": campaigns}


def test_cnt_csv_has_the_toolkits_eight_columns(stream):
    assert stream["header"] == list(synthetic.CNT_COLUMNS)
    rows = stream["rows"]
    assert 4_500 <= len(rows) <= 5_500
    assert all(len(r) == 8 for r in rows)
    ids = [r[0] for r in rows]
    assert len(set(ids)) == len(ids)
    times = [int(r[6]) for r in rows]
    assert times == sorted(times)
    # URLs are space separated and empty when there are none; some posts have two.
    urls = [r[7].split(" ") for r in rows if r[7]]
    assert urls and all(u.startswith("https://") for us in urls for u in us)
    assert any(len(us) == 2 for us in urls)
    assert sum(1 for r in rows if not r[7]) > len(rows) / 2


def test_reposts_and_replies_point_at_earlier_posts_of_the_file(stream):
    rows = stream["rows"]
    by_id = {r[0]: r for r in rows}
    reposts = [r for r in rows if r[3]]
    replies = [r for r in rows if r[4]]
    assert len(reposts) > len(rows) / 4 and len(replies) > len(rows) / 20
    for r in reposts:
        target = by_id[r[3]]
        assert not target[3] and not target[4], "retweets point at originals"
        assert int(target[6]) < int(r[6])
        assert target[1] != r[1], "nobody retweets their own post"
        assert r[5].startswith(f"RT @{target[2]}: ") and r[5].endswith(target[5])
        assert r[7] == target[7], "a retweet carries the original's URLs"
    assert len({(r[1], r[3]) for r in reposts}) == len(reposts), "nobody retweets a post twice"
    for r in replies:
        target = by_id[r[4]]
        assert int(target[6]) < int(r[6]) and r[5].startswith(f"@{target[2]} ")


def test_planted_accounts_are_in_the_stream(stream):
    posting = {r[1] for r in stream["rows"]}
    groups = defaultdict(list)
    for t in stream["truth"]:
        groups[t["group_id"]].append(t)
    assert {g: len(m) for g, m in groups.items()} == {"0": 5, "1": 8, "2": 12}
    for members in groups.values():
        assert all(int(m["group_size"]) == len(members) for m in members)
        assert len(members[0]["kinds"].split(";")) == 3
    assert {t["account_id"] for t in stream["truth"]} <= posting
    assert len({t["account_id"] for t in stream["truth"]}) == len(stream["truth"])


def test_campaigns_act_within_the_spread(stream):
    rows = stream["rows"]
    members = defaultdict(set)
    for t in stream["truth"]:
        members[t["group_id"]].add(t["account_id"])
    kinds = {c["kind"] for c in stream["campaigns"]}
    assert kinds == set(synthetic.KINDS)
    for c in stream["campaigns"]:
        t0, t1 = int(c["t0"]), int(c["t1"])
        assert t1 - t0 == 60
        if c["kind"] == "repost":
            acts = [r for r in rows if r[3] == c["seed_message_id"]]
        elif c["kind"] == "link":
            acts = [r for r in rows if c["url"] in r[7].split(" ") and not r[3]]
        elif c["kind"] == "hashtag":
            acts = [r for r in rows if f"#{c['hashtag']}" in r[5].split(" ") and not r[3]]
        else:
            continue
        assert len(acts) == int(c["n_posts"]) >= 2
        assert {r[1] for r in acts} <= members[c["group_id"]]
        assert all(t0 <= int(r[6]) <= t1 for r in acts)


def test_near_duplicate_texts_stay_close_to_each_other(stream):
    rows = stream["rows"]
    members = defaultdict(set)
    for t in stream["truth"]:
        members[t["group_id"]].add(t["account_id"])
    for c in (c for c in stream["campaigns"] if c["kind"] == "text"):
        t0, t1 = int(c["t0"]), int(c["t1"])
        acts = [r for r in rows if t0 <= int(r[6]) <= t1 and r[1] in members[c["group_id"]] and not r[3]]
        texts = [{w for w in r[5].split(" ") if not w.startswith("@")} for r in acts]
        assert len(texts) >= int(c["n_posts"])
        # Every variant is within one edit of the template, so any two share nearly all words.
        close = [len(a & b) / len(a | b) for i, a in enumerate(texts) for b in texts[i + 1 :]]
        assert sorted(close)[len(close) // 2] >= 0.8


def test_canonical_posts_match_the_csv(stream):
    files = stream["files"]
    con = duckdb.connect()
    got = con.sql(
        "SELECT post_id, account_id, epoch(created_at)::BIGINT, kind, repost_of_post_id, urls, hashtags "
        "FROM read_parquet(?) ORDER BY created_at, post_id",
        params=[str(files["canonical"])],
    ).fetchall()
    rows = sorted(stream["rows"], key=lambda r: (int(r[6]), r[0]))
    assert [g[0] for g in got] == [r[0] for r in rows]
    for g, r in zip(got, rows, strict=True):
        kind = "repost" if r[3] else "reply" if r[4] else "post"
        assert (g[1], g[2], g[3], g[4] or "") == (r[1], int(r[6]), kind, r[3])
        assert g[5] == (r[7].split(" ") if r[7] else [])
        assert g[6] == list(dict.fromkeys(w[1:] for w in r[5].split(" ") if w.startswith("#")))


def test_same_seed_same_files_other_seed_other_stream(stream, tmp_path):
    again = _generate(tmp_path / "again")
    first = stream["files"]
    for name in ("cnt", "truth", "campaigns"):
        assert again[name].read_bytes() == first[name].read_bytes(), name
    other = _generate(tmp_path / "other", seed=8)
    assert other["cnt"].read_bytes() != first["cnt"].read_bytes()
