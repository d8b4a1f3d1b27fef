"""DISARM: the shipped framework subset, its attribution, and the tagging rules on hand-made scan outputs."""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import overt.disarm.tagging as tagging
from overt.coordination.schema import CLUSTERS, EDGES, EVIDENCE
from overt.disarm import ATTRIBUTION, DISARM, DISARM_TABLE, RULES, Thresholds, tag_clusters, technique, techniques
from overt.disarm.framework import about, licence_text
from overt.disarm.tagging import UNMAPPED_SIGNALS
from overt.engine import DuckDBEngine
from overt.model.schema import ACCOUNTS, POSTS
from overt.signals.base import CLUSTER_SIGNALS, SIGNALS

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "src" / "overt" / "disarm" / "data"
T0 = datetime(2024, 3, 4, 9, 0, 7, tzinfo=UTC)  # seconds that are not :00, so delays are measurable


# --- builders ---------------------------------------------------------------------------------------------------


def members(**clusters: list[str]) -> pa.Table:
    """``members(c1=["a", "b"], c2=["d"])``: cluster numbers from the keyword's digits."""
    rows = [{"cluster": int(k[1:]), "account_id": a} for k, accts in clusters.items() for a in accts]
    return pa.Table.from_pylist(rows, schema=pa.schema([CLUSTERS.field("cluster"), CLUSTERS.field("account_id")]))


def coactions(
    detector: str, pairs: dict[tuple[str, str], int], *, delay: float = 30.0, start: datetime = T0, items: int = 0
) -> tuple[pa.Table, pa.Table]:
    """Edges and evidence for *detector*: each pair co-acted n times, *delay* seconds apart, one minute between.

    Items are ``item0``, ``item1``, ... (cycled over *items* when given, else one per co-action).
    """
    edges, evidence = [], []
    for (a, b), n in pairs.items():
        edges.append({"detector": detector, "account_a": a, "account_b": b, "weight": n, "n_pairs": n})
        for i in range(n):
            at = start + timedelta(minutes=i)
            evidence.append(
                {
                    "detector": detector,
                    "account_a": a,
                    "account_b": b,
                    "item": f"item{i % items if items else i}",
                    "a_post_id": f"{a}-{i}",
                    "a_at": at,
                    "b_post_id": f"{b}-{i}",
                    "b_at": at + timedelta(seconds=delay),
                }
            )
    return pa.Table.from_pylist(edges, schema=EDGES), pa.Table.from_pylist(evidence, schema=EVIDENCE)


def scan_tables(*traces: tuple[str, tuple[pa.Table, pa.Table]]) -> dict[str, dict[str, pa.Table]]:
    return {"edges": {d: e for d, (e, _) in traces}, "evidence": {d: v for d, (_, v) in traces}}


def signal_rows(signal: str, scores: dict[str, float | None]) -> pa.Table:
    rows = [
        {"signal": signal, "account_id": a, "score": s, "value": s, "evidence": f"{signal} says {a} scores {s}"}
        for a, s in scores.items()
    ]
    return pa.Table.from_pylist(rows, schema=SIGNALS)


def cluster_signal_rows(signal: str, scores: dict[int, float]) -> pa.Table:
    rows = [
        {"signal": signal, "cluster": c, "score": s, "value": s, "evidence": f"cluster {c}: {signal} {s}"}
        for c, s in scores.items()
    ]
    return pa.Table.from_pylist(rows, schema=CLUSTER_SIGNALS)


def write_dataset(folder: Path, posts: list[dict[str, Any]], accounts: list[dict[str, Any]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    post_defaults = {"platform": "test", "kind": "post", "source": {"file": "fixture", "line": 1}}
    full = [{**dict.fromkeys(POSTS.names), **post_defaults, "post_id": f"p{i}", **p} for i, p in enumerate(posts)]
    pq.write_table(pa.Table.from_pylist(full, schema=POSTS.schema), folder / "posts.parquet")
    acc = [{**dict.fromkeys(ACCOUNTS.names), "platform": "test", **a} for a in accounts or []]
    pq.write_table(pa.Table.from_pylist(acc, schema=ACCOUNTS.schema), folder / "accounts.parquet")
    return folder


def tags(table: pa.Table) -> dict[tuple[int, str], dict[str, Any]]:
    """Rows by (cluster, technique id)."""
    assert table.schema.equals(DISARM)
    return {(r["cluster"], r["technique_id"]): r for r in table.to_pylist()}


# --- the shipped framework ----------------------------------------------------------------------------------------


def test_every_rule_uses_a_technique_of_the_shipped_framework() -> None:
    doc = tagging.__doc__ or ""
    for rule in RULES:
        tech = technique(rule.technique_id)  # raises when the id is not in this version
        assert tech.url.endswith(f"/{rule.technique_id}.md")
        assert rule.name in doc and rule.technique_id in doc, f"{rule.name} missing from the rules table"
    assert len({r.name for r in RULES}) == len(RULES)
    # Signals of origin (time zone, language) are deliberately no technique.
    assert not set(UNMAPPED_SIGNALS) & {s for names in tagging._SIGNALS.values() for s in names}


def test_ids_named_in_the_issue_exist_with_their_names() -> None:
    expected = {
        "T0049": ("Flood Information Space", "TA17", "Maximise Exposure", "Execute"),
        "T0049.002": ("Flood Existing Hashtag", "TA17", "Maximise Exposure", "Execute"),
        "T0118": ("Amplify Existing Narrative", "TA17", "Maximise Exposure", "Execute"),
        "T0150.008": ("Bulk Created Asset", "TA15", "Establish Assets", "Prepare"),
        "T0097": ("Present Persona", "TA16", "Establish Legitimacy", "Prepare"),
        "T0084.001": ("Use Copypasta", "TA06", "Develop Content", "Prepare"),
    }
    for tid, (name, tactic_id, tactic, phase) in expected.items():
        t = technique(tid)
        assert (t.name, t.tactic_id, t.tactic, t.phase) == (name, tactic_id, tactic, phase)
    assert len(techniques()) == 391
    with pytest.raises(KeyError, match="49df5f6"):
        technique("T9999")


def test_attribution_and_licence_ship_with_the_data() -> None:
    assert "DISARM Foundation" in ATTRIBUTION and "CC BY-SA 4.0" in ATTRIBUTION and "49df5f6" in ATTRIBUTION
    assert about()["commit"] == "49df5f649e16dfbf11e3859913c256c875c02692"
    assert licence_text().startswith("Attribution-ShareAlike 4.0 International")
    source = (DATA / "SOURCE.md").read_text(encoding="utf-8")
    assert about()["commit"] in source and "CC BY-SA 4.0" in source and "not under overt's MIT licence" in source
    assert ATTRIBUTION in DISARM_TABLE.doc


@pytest.mark.real_data
def test_shipped_data_is_what_the_build_script_makes(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "data"
    script = ROOT / "scripts" / "build_disarm.py"
    source = shared_data / "disarm_framework"
    subprocess.run([sys.executable, str(script), "--source", str(source), "--out", str(out)], check=True)
    shipped = sorted(p.name for p in DATA.iterdir() if p.is_file())
    assert (
        sorted(p.name for p in out.iterdir()) == shipped == ["LICENSE.md", "SOURCE.md", "about.json", "techniques.csv"]
    )
    _, mismatch, errors = filecmp.cmpfiles(DATA, out, shipped, shallow=False)
    assert not mismatch and not errors


@pytest.mark.real_data
def test_build_stops_when_the_framework_files_disagree(shared_data: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(shared_data / "disarm_framework", source)
    (source / "red_framework_ids.csv").chmod(0o644)
    grid = (source / "red_framework_ids.csv").read_text(encoding="utf-8")
    (source / "red_framework_ids.csv").write_text(grid.replace("T0150.008", ""), encoding="utf-8")
    script = ROOT / "scripts" / "build_disarm.py"
    run = [sys.executable, str(script), "--source", str(source), "--out", str(tmp_path / "out")]
    done = subprocess.run(run, capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "T0150.008" in done.stderr


# --- coordination rules -----------------------------------------------------------------------------------------


def test_co_reposts_suggest_amplification_only_where_they_are() -> None:
    reposts = coactions("co_repost", {("a", "b"): 4, ("b", "c"): 3}, items=3)
    texts = coactions("co_text", {("d", "e"): 6})
    out = tags(
        tag_clusters(
            clusters=members(c1=["a", "b", "c"], c2=["d", "e"]),
            **scan_tables(("co_repost", reposts), ("co_text", texts)),
        )
    )
    assert set(out) == {(1, "T0118"), (2, "T0084.001")}
    amp = out[1, "T0118"]
    assert amp["confidence"] == "moderate" and amp["rules"] == ["repost_amplification"]
    assert amp["basis"] == ["co_repost"] and amp["tactic"] == "Maximise Exposure" and amp["phase"] == "Execute"
    assert amp["evidence"] == (
        "Suggested for analyst review: T0118 Amplify Existing Narrative (moderate): co_repost: 3 of 3 accounts, "
        "7 co-reposts of 3 posts within 30 s of each other (median 30 s)."
    )
    assert json.loads(amp["details"])["co_repost"]["coactions"] == 7
    assert amp["url"].endswith("/T0118.md")


def test_strong_needs_many_coactions_across_the_cluster() -> None:
    big = coactions("co_repost", {("a", "b"): 30, ("b", "c"): 30})
    out = tags(tag_clusters(clusters=members(c1=["a", "b", "c"]), **scan_tables(("co_repost", big))))
    assert out[1, "T0118"]["confidence"] == "strong"
    # The same co-actions between two members of a cluster of ten reach too little of it.
    out = tags(
        tag_clusters(
            clusters=members(c1=list("abcdefghij")),
            **scan_tables(("co_repost", coactions("co_repost", {("a", "b"): 60}))),
        )
    )
    assert out[1, "T0118"]["confidence"] == "moderate"


def test_few_coactions_and_edges_between_clusters_do_not_count() -> None:
    few = coactions("co_repost", {("a", "b"): 4})  # min_coactions is 5
    across = coactions("co_text", {("a", "d"): 40})  # a and d are in different clusters
    out = tag_clusters(
        clusters=members(c1=["a", "b"], c2=["d", "e"]), **scan_tables(("co_repost", few), ("co_text", across))
    )
    assert out.num_rows == 0
    assert (
        tag_clusters(
            clusters=members(c1=["a", "b"]), thresholds=Thresholds(min_coactions=4), **scan_tables(("co_repost", few))
        ).num_rows
        == 1
    )


def test_hashtags_links_replies_and_media_map_to_their_techniques() -> None:
    tables = scan_tables(
        ("co_hashtag", coactions("co_hashtag", {("a", "b"): 6}, items=2)),
        ("co_domain", coactions("co_domain", {("c", "d"): 5}, items=1)),
        ("co_reply", coactions("co_reply", {("e", "f"): 5})),
        ("co_media", coactions("co_media", {("g", "h"): 5})),
    )
    out = tags(tag_clusters(clusters=members(c1=["a", "b"], c2=["c", "d"], c3=["e", "f"], c4=["g", "h"]), **tables))
    assert set(out) == {(1, "T0049.002"), (2, "T0119"), (3, "T0049.005"), (4, "T0084")}
    assert "6 co-uses of 2 hashtags" in out[1, "T0049.002"]["evidence"]
    assert "(most shared: #item0, #item1)" in out[1, "T0049.002"]["evidence"]
    assert "of 1 site " in out[2, "T0119"]["evidence"] and "(most shared: item0)" in out[2, "T0119"]["evidence"]


def test_fast_coreposts_suggest_bots_but_not_on_times_to_the_minute() -> None:
    fast = coactions("co_repost", {("a", "b"): 6}, delay=2)
    out = tags(tag_clusters(clusters=members(c1=["a", "b"]), **scan_tables(("co_repost", fast))))
    assert {"T0118", "T0049.003"} == {k[1] for k in out}
    assert "co-reposts a median 2 s apart" in out[1, "T0049.003"]["evidence"]
    slow = coactions("co_repost", {("a", "b"): 6}, delay=30)
    assert {k[1] for k in tags(tag_clusters(clusters=members(c1=["a", "b"]), **scan_tables(("co_repost", slow))))} == {
        "T0118"
    }
    # Minute timestamps: a delay of 0 means "the same minute", not "the same second".
    minute = coactions("co_repost", {("a", "b"): 6}, delay=0, start=T0.replace(second=0))
    out = tags(tag_clusters(clusters=members(c1=["a", "b"]), **scan_tables(("co_repost", minute))))
    assert set(out) == {(1, "T0118")}
    assert "at the same timestamp (the source gives times to the minute)" in out[1, "T0118"]["evidence"]


def test_fast_repost_edges_suggest_bots() -> None:
    out = tags(
        tag_clusters(
            clusters=members(c1=["a", "b"]),
            **scan_tables(("fast_repost", coactions("fast_repost", {("a", "b"): 8}, delay=3))),
        )
    )
    assert set(out) == {(1, "T0049.003")}
    assert out[1, "T0049.003"]["basis"] == ["fast_repost"]


# --- signal rules -------------------------------------------------------------------------------------------------


def test_signals_map_to_asset_and_persona_techniques() -> None:
    cl = members(c1=["a", "b", "c"], c2=["d", "e", "f"])
    signals = pa.concat_tables(
        [
            signal_rows("creation_burst", {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.1, "e": None, "f": 0.2}),
            signal_rows("profile_reuse", {"d": 0.6, "e": 0.6, "f": 0.1}),
            signal_rows("working_hours", {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0, "f": 1.0}),
            signal_rows("language_mismatch", {"a": 1.0, "b": 1.0, "c": 1.0}),
            signal_rows("state_media", {"d": 0.9, "e": 0.9, "f": 0.9}),
        ]
    )
    cluster_signals = pa.concat_tables(
        [
            cluster_signal_rows("handle_pattern", {1: 0.6, 2: 0.2}),
            cluster_signal_rows("working_hours", {1: 1.0, 2: 1.0}),
        ]
    )
    out = tags(tag_clusters(clusters=cl, signals=signals, cluster_signals=cluster_signals))
    assert set(out) == {(1, "T0150.008"), (2, "T0144.002"), (2, "T0002")}
    bulk = out[1, "T0150.008"]
    assert bulk["confidence"] == "strong" and bulk["basis"] == ["creation_burst", "handle_pattern"]
    assert "creation_burst: 3 of 3 assessed accounts (cluster of 3) score ≥ 0.5 (mean 0.80)" in bulk["evidence"]
    assert "“creation_burst says a scores 0.9”" in bulk["evidence"]
    assert "handle_pattern for the cluster scores 0.60: “cluster 1: handle_pattern 0.6”" in bulk["evidence"]
    assert out[2, "T0144.002"]["confidence"] == "moderate"  # 2 of 3: not the 3 a strong tag needs
    assert out[2, "T0002"]["confidence"] == "strong"
    assert not any("working_hours" in r["basis"] or "language_mismatch" in r["basis"] for r in out.values())


def test_unassessed_accounts_and_single_flags_do_not_tag() -> None:
    signals = signal_rows("repurposing", {"a": 0.9, "b": None, "c": 0.1, "d": 0.2})
    assert tag_clusters(clusters=members(c1=["a", "b", "c", "d"]), signals=signals).num_rows == 0
    signals = signal_rows("repurposing", {"a": 0.9, "b": None, "c": 0.6, "d": None})
    out = tags(tag_clusters(clusters=members(c1=["a", "b", "c", "d"]), signals=signals))
    assert "2 of 2 assessed accounts (cluster of 4)" in out[1, "T0150.004"]["evidence"]


def test_automation_alone_is_an_asset_with_reposting_it_is_bot_amplification() -> None:
    bots = signal_rows("automation", {"a": 0.9, "b": 0.9})
    out = tags(tag_clusters(clusters=members(c1=["a", "b"]), signals=bots))
    assert set(out) == {(1, "T0146.007")}
    slow = coactions("co_repost", {("a", "b"): 6}, delay=40)
    out = tags(tag_clusters(clusters=members(c1=["a", "b"]), signals=bots, **scan_tables(("co_repost", slow))))
    assert set(out) == {(1, "T0146.007"), (1, "T0118"), (1, "T0049.003")}
    assert out[1, "T0049.003"]["basis"] == ["automation"]


# --- dataset rules ------------------------------------------------------------------------------------------------


def test_volume_with_coordination_suggests_flooding(tmp_path: Path) -> None:
    posts = [{"account_id": a, "created_at": T0 + timedelta(minutes=i)} for a in ("a", "b", "c") for i in range(100)]
    ds = write_dataset(tmp_path / "ds", posts)
    cl = members(c1=["a", "b", "c"])
    reposts = scan_tables(("co_repost", coactions("co_repost", {("a", "b"): 5, ("b", "c"): 5}, delay=30)))
    out = tags(tag_clusters(clusters=cl, dataset=ds, **reposts))
    flood = out[1, "T0049"]
    assert flood["confidence"] == "moderate"  # 100 a day each, but 300 posts are under the 1,000 a strong tag needs
    assert flood["evidence"].startswith(
        "Suggested for analyst review: T0049 Flood Information Space (moderate): 3 accounts posted 300 times on 1 "
        "day (100.0 posts per account per day); busiest hour 2024-03-04 09:00 UTC: 180 posts by 3 accounts (60.0 "
        "each); 10 co-actions with each other (co_repost)"
    )
    # Volume alone is what busy ordinary accounts show too.
    assert (1, "T0049") not in tags(tag_clusters(clusters=cl, dataset=ds))


def test_quiet_clusters_are_not_flooding(tmp_path: Path) -> None:
    posts = [{"account_id": a, "created_at": T0 + timedelta(hours=5 * i)} for a in ("a", "b", "c") for i in range(30)]
    ds = write_dataset(tmp_path / "ds", posts)
    reposts = scan_tables(("co_repost", coactions("co_repost", {("a", "b"): 5}, delay=30)))
    assert {k[1] for k in tags(tag_clusters(clusters=members(c1=["a", "b", "c"]), dataset=ds, **reposts))} == {"T0118"}


def test_new_accounts_and_personas_from_the_accounts_table(tmp_path: Path) -> None:
    posts = [{"account_id": a, "created_at": T0} for a in ("a", "b", "c", "d", "e", "f")]
    accounts = [
        {"account_id": "a", "handle": "ChicagoDailyNew", "created_at": T0 - timedelta(days=10)},
        {"account_id": "b", "handle": "TodayMiami", "created_at": T0 - timedelta(days=20)},
        {
            "account_id": "c",
            "handle": "joe",
            "description": "Reporter at a local paper",
            "created_at": T0 - timedelta(days=30),
        },
        {"account_id": "d", "handle": "ann", "created_at": T0 - timedelta(days=3000)},
        {"account_id": "e", "handle": "bob", "created_at": T0 - timedelta(days=4000)},
        {"account_id": "f", "handle": "cat", "created_at": T0 + timedelta(days=1)},  # after its post: ignored
    ]
    ds = write_dataset(tmp_path / "ds", posts, accounts)
    out = tags(tag_clusters(clusters=members(c1=["a", "b", "c"], c2=["d", "e", "f"]), dataset=ds))
    assert set(out) == {(1, "T0150.001"), (1, "T0097.202")}
    assert out[1, "T0150.001"]["confidence"] == "strong"
    assert "3 of 3 members with a creation date were created at most 90 days before" in out[1, "T0150.001"]["evidence"]
    assert "(median 20 days)" in out[1, "T0150.001"]["evidence"]
    news = out[1, "T0097.202"]
    assert news["confidence"] == "moderate"
    assert "2 of 3 member profiles present as news outlets (ChicagoDailyNew, TodayMiami)" in news["evidence"]


# --- inputs and outputs -------------------------------------------------------------------------------------------


def test_reads_a_scan_folder_like_the_tables(tmp_path: Path) -> None:
    cl = members(c1=["a", "b", "c"], c2=["d", "e"])
    edges, evidence = coactions("co_repost", {("a", "b"): 30, ("b", "c"): 30}, delay=1)
    for kind, table in (("edges", edges), ("evidence", evidence)):
        (tmp_path / kind).mkdir()
        pq.write_table(table, tmp_path / kind / "co_repost.parquet")
    pq.write_table(edges.slice(0, 0), tmp_path / "edges" / "co_text.parquet")
    pq.write_table(evidence.slice(0, 0), tmp_path / "evidence" / "co_text.parquet")
    pq.write_table(cl, tmp_path / "clusters.parquet")
    signals = signal_rows("creation_burst", {"d": 0.9, "e": 0.9})
    pq.write_table(signals, tmp_path / "signals.parquet")
    from_folder = tag_clusters(tmp_path)
    from_tables = tag_clusters(
        clusters=cl, edges={"co_repost": edges}, evidence={"co_repost": evidence}, signals=signals
    )
    assert from_folder.equals(from_tables)
    assert [(r["cluster"], r["technique_id"], r["confidence"]) for r in from_folder.to_pylist()] == [
        (1, "T0049.003", "strong"),
        (1, "T0118", "strong"),
        (2, "T0150.008", "moderate"),
    ]


def test_empty_inputs_give_an_empty_table(tmp_path: Path) -> None:
    assert tag_clusters().equals(DISARM.empty_table())
    assert tag_clusters(clusters=members()).num_rows == 0
    assert tag_clusters(clusters=members(c1=["a", "b"])).num_rows == 0
    ds = write_dataset(tmp_path / "ds", [])
    assert tag_clusters(clusters=members(c1=["a"]), dataset=ds).num_rows == 0
    with pytest.raises(FileNotFoundError):
        tag_clusters(tmp_path / "missing")


def test_uses_a_given_engine_and_leaves_it_clean(tmp_path: Path) -> None:
    posts = [{"account_id": a, "created_at": T0} for a in ("a", "b")]
    ds = write_dataset(
        tmp_path / "ds", posts, [{"account_id": "a", "handle": "DailyA"}, {"account_id": "b", "handle": "DailyB"}]
    )
    eng = DuckDBEngine(threads=1)
    try:
        eng.attach_dataset(ds)
        out = tags(tag_clusters(clusters=members(c1=["a", "b"]), eng=eng))
        assert set(out) == {(1, "T0097.202")}
        left = eng.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_disarm%'")
        assert left == 0
        with pytest.raises(ValueError, match="not both"):
            tag_clusters(clusters=members(c1=["a"]), eng=eng, dataset=ds)
    finally:
        eng.close()


@pytest.mark.parametrize("bad", [{"signal_share": 1.5}, {"min_coactions": 0}, {"fast_seconds": -1.0}])
def test_thresholds_are_checked(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        Thresholds(**bad)  # type: ignore[arg-type]
