"""The report's data model on a scan with known answers: clusters, evidence, timelines, hours, redaction, CSVs.

The golden file ``golden/data.json`` holds ``normalised(collect(scored_scan))``. When the data model changes on
purpose, regenerate it with::

    OVERT_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/unit/report/test_data.py -k golden

and review the diff. (``python -m overt.report.data SCAN_DIR`` prints the same JSON for any scan folder.)
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from overt.report import ReportError, collect, normalised, pseudonym, write_csvs
from overt.report import data as report_data
from overt.report.data import dumps, main
from overt.report.exports import EVIDENCE_COLUMNS, _cell
from overt.report.redact import REDACTED_TEXT, Redactor, derive_key
from tests.unit.report.conftest import CHAIN, RING, RING_EVENTS, chain_times, ring_times, rows

GOLDEN = Path(__file__).parent / "golden" / "data.json"
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture(scope="module")
def data(scored_scan: Path) -> dict[str, Any]:
    return collect(scored_scan)


def by_cluster(data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {c["cluster"]: c for c in data["clusters"]}


def utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


# -- clusters ----------------------------------------------------------------------------------------------------


def test_clusters_hold_the_planted_members_highest_score_first(data: dict[str, Any]) -> None:
    assert data["format"] == "overt-report/1"
    ring, chain = data["clusters"]
    assert {m["account_id"] for m in ring["members"]} == set(RING)
    assert {m["account_id"] for m in chain["members"]} == set(CHAIN)
    assert {m["label"] for m in ring["members"]} == set(RING.values())  # the handle when there is one
    assert ring["score"] > chain["score"] and ring["flagged"] and not chain["flagged"]
    assert data["other_clusters"] == []
    assert [m["flagged"] for m in chain["members"] if m["account_id"] == "u2002"] == [True]
    assert sorted(m["account_id"] for m in chain["members"] if not m["flagged"]) == ["u2001", "u2003"]
    assert {m["account_id"]: m["role"] for m in chain["members"]} == {
        "u2001": "leader",
        "u2002": "follower",
        "u2003": "leader",
    }
    assert ring["traces"] == ["co_repost", "co_similar_text", "co_text"] and chain["traces"] == ["co_repost"]
    assert data["headline"][0].startswith("Cluster 1: 4 accounts (4 flagged) acted together")
    assert len(data["headline"]) == 2
    assert data["scores"] == {
        "model": "built-in",
        "threshold": 0.5,
        "accounts": 47,
        "flagged_accounts": 5,
        "clusters": 2,
        "flagged_clusters": 1,
    }


def test_evidence_counts_and_who_acted_first(data: dict[str, Any]) -> None:
    ring, chain = data["clusters"]
    # Every ring event: 6 pairs co-repost; every third also posts one text: 6 identical and 6 near-identical pairs.
    assert ring["evidence_total"] == RING_EVENTS * 6 + 10 * 6 * 2
    assert chain["evidence_total"] == 16
    assert len(ring["evidence"]) == 200 and len(chain["evidence"]) == 16
    # Ring accounts act in id order, 5-7 s apart: the first account of every pair leads.
    assert {e["first"] for e in ring["evidence"]} == {"a"}
    firsts = {(e["a"], e["b"]): e["first"] for e in chain["evidence"]}
    assert firsts == {("u2001", "u2002"): "a", ("u2002", "u2003"): "b"}
    for e in ring["evidence"] + chain["evidence"]:
        assert ISO.fullmatch(e["a_at"]) and ISO.fullmatch(e["b_at"])
        assert (e["a_at"] < e["b_at"]) == (e["first"] == "a")


def test_evidence_rows_take_one_co_action_per_item_first(scored_scan: Path) -> None:
    small = collect(scored_scan, evidence_rows=5)
    ring = small["clusters"][0]
    assert len(ring["evidence"]) == 5 and len({e["item"] for e in ring["evidence"]}) == 5
    assert ring["evidence_total"] == 300  # the total is not capped
    assert collect(scored_scan, evidence_rows=0, top=1)["clusters"][0]["evidence"] == []


def test_timeline_counts_co_actions_per_day_or_hour(data: dict[str, Any]) -> None:
    ring, chain = data["clusters"]
    assert ring["timeline_unit"] == "day"  # six weeks
    expected: Counter[tuple[str, str]] = Counter()
    for e, t0 in enumerate(ring_times()):
        day = utc(t0).strftime("%Y-%m-%dT00:00:00Z")
        expected[(day, "co_repost")] += 6
        if e % 3 == 0:
            expected[(day, "co_text")] += 6
            expected[(day, "co_similar_text")] += 6
    assert {(t["start"], t["detector"]): t["coactions"] for t in ring["timeline"]} == expected
    assert chain["timeline_unit"] == "hour"  # under five days
    hours = Counter(utc(t).strftime("%Y-%m-%dT%H:00:00Z") for pair in chain_times() for t in pair)
    assert {t["start"]: t["coactions"] for t in chain["timeline"]} == hours
    assert [t["start"] for t in chain["timeline"]] == sorted(t["start"] for t in chain["timeline"])


def test_hour_of_week_pools_the_members_posts_monday_first(data: dict[str, Any]) -> None:
    for cluster, members in zip(data["clusters"], (RING, CHAIN), strict=True):
        expected = [0] * 168
        for row in rows():
            if row[1] in members:
                moment = utc(row[6])
                expected[moment.weekday() * 24 + moment.hour] += 1
        assert cluster["hour_of_week"] == expected
    ring = data["clusters"][0]["hour_of_week"]
    # The ring posts on weekdays from 07:00 UTC: nothing on Monday before 07:00 nor at weekends.
    assert sum(ring[:7]) == 0 and sum(ring[5 * 24 :]) == 0 and ring[7] > 0


def test_office_state_media_disarm_and_signals(data: dict[str, Any]) -> None:
    ring, chain = data["clusters"]
    assert ring["office"]["offset"] == 3.0 and ring["office"]["confidence"] == pytest.approx(1.0)
    assert "UTC+3" in ring["office"]["evidence"]
    assert ring["state_media"] == [
        {"outlet": "RT International", "identifier": "rt.com", "country": "Russia", "typology": "SC", "count": 40}
    ]
    assert {d["technique_id"] for d in ring["disarm"]} >= {"T0118", "T0084.001"}
    assert all(d["url"].startswith("https://github.com/DISARMFoundation/") for d in ring["disarm"])
    assert {s["signal"] for s in ring["signals"]} >= {"working_hours", "state_media"}
    assert chain["state_media"] == []
    # Two ring members report Moscow (conftest.LOCATED), read by the working_hours signal's gazetteer.
    assert ring["reported"] == {"location": "Moscow (RU)", "offsets": [3.0], "accounts": 2, "of": 2}
    assert chain["reported"] is None  # nobody in the chain reports a location
    # The draft summary hedges: a possible origin, never an attribution.
    summary = ring["summary"]
    assert "UTC+3" in summary and "possible origin, not an attribution" in summary and "Russia" in summary
    assert "Ring_Alpha tended to act first" in summary and "4 March 2024" in summary
    assert "UTC" not in chain["summary"]  # its working-hours fit is too weak to mention


def test_accounts_section_lists_the_members_posts_in_the_co_actions(data: dict[str, Any]) -> None:
    accounts = data["accounts"]
    assert set(accounts) == set(RING) | set(CHAIN)
    alpha = accounts["u1001"]
    assert alpha["label"] == alpha["handle"] == "Ring_Alpha" and alpha["cluster"] == 1 and alpha["flagged"]
    assert alpha["contributions"][0]["feature"] == "coordination"
    assert {s["signal"] for s in alpha["signals"]} >= {"working_hours", "state_media"}
    assert alpha["domains"] == [{"domain": "rt.com", "count": 10}]
    assert len(alpha["posts"]) == 20
    evidence_posts = {e["a_post_id"] for e in data["clusters"][0]["evidence"] if e["a"] == "u1001"}
    assert {p["post_id"] for p in alpha["posts"]} <= evidence_posts | {
        e["b_post_id"] for e in data["clusters"][0]["evidence"]
    }
    wren = accounts["u2001"]
    assert [p["text"] for p in wren["posts"]] == [f"wren shares a lovely garden {e} photo" for e in range(8)]
    assert all(p["kind"] == "repost" and ISO.fullmatch(p["at"]) for p in wren["posts"])


def test_dataset_and_scan_sections(data: dict[str, Any]) -> None:
    ds = data["dataset"]
    assert ds["counts"] == {"posts": len(rows()), "accounts": 47, "rejects": 1, "duplicates": 1}
    assert {r["reason"] for r in ds["rejects_by_reason"]} == {
        "created_at: unparseable time",
        "post_id: duplicate post id",
    }
    assert ds["platforms"] == ["unknown"] and ds["inputs"][0]["format"] == "cnt"
    assert ds["time_range"][0] == "2024-03-04T00:00:00Z"
    scan = data["scan"]
    assert scan["clusters"] == 2 and scan["engine"] == "duckdb" and scan["parameters"]["window"] == 60
    assert scan["detectors"]["co_repost"]["kept_edges"] >= 6
    traces = data["methodology"]["traces"]
    assert traces["co_repost"].startswith("co_repost: accounts that reposted the same post within 1 min")
    assert "false discovery rate 0.01" in traces["co_text"]
    assert data["methodology"]["evaluation"]["model"] == "built-in"
    assert any("not proof of inauthenticity" in c for c in data["methodology"]["caveats"])


# -- drawing limits and layout -----------------------------------------------------------------------------------


def test_members_and_edges_are_capped_and_the_rest_counted(scored_scan: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_data, "MAX_MEMBERS", 2)
    monkeypatch.setattr(report_data, "MAX_EDGES", 0)
    ring = collect(scored_scan, top=1)["clusters"][0]
    assert len(ring["members"]) == 2 and ring["members_omitted"] == 2
    assert ring["edges"] == [] and ring["edges_omitted"] == 6
    assert set(ring["layout"]) == {m["account_id"] for m in ring["members"]}


def test_layout_is_seeded_and_in_the_unit_square(scored_scan: Path) -> None:
    random.seed(1)
    first = collect(scored_scan)["clusters"]
    random.seed(2)
    second = collect(scored_scan)["clusters"]
    for a, b in zip(first, second, strict=True):
        assert a["layout"] == b["layout"]
        assert set(a["layout"]) == {m["account_id"] for m in a["members"]}
        assert all(0.0 <= v <= 1.0 for xy in a["layout"].values() for v in xy)
        xs = [xy[0] for xy in a["layout"].values()]
        ys = [xy[1] for xy in a["layout"].values()]
        assert max(max(xs) - min(xs), max(ys) - min(ys)) == pytest.approx(1.0)
    assert report_data.layout(["x"], []) == {"x": [0.5, 0.5]} and report_data.layout([], []) == {}


# -- redaction ---------------------------------------------------------------------------------------------------


def texts_of(accounts: set[str]) -> set[str]:
    """Texts only these accounts posted."""
    mine = {r[5] for r in rows() if r[1] in accounts and r[5]}
    others = {r[5] for r in rows() if r[1] not in accounts and r[5]}
    return mine - others


def written(scan_dir: Path, out: Path, data: dict[str, Any]) -> str:
    paths = write_csvs(scan_dir, out, data)
    return json.dumps(data, ensure_ascii=False) + "".join(p.read_text(encoding="utf-8") for p in paths.values())


def test_redaction_hides_the_accounts_below_the_threshold(scored_scan: Path, tmp_path: Path) -> None:
    data = collect(scored_scan, redact=True)
    text = written(scored_scan, tmp_path, data).lower()
    hidden = {"u2001", "u2003"}
    for account in hidden:
        assert account not in text and CHAIN[account].lower() not in text
    assert texts_of(hidden)
    for post in texts_of(hidden):
        assert post.lower() not in text
    # What the flagged accounts did stays, so the check above could fail.
    assert "chain_hub" in text and "hub relays item 0" in text and "ring_alpha" in text
    chain = by_cluster(data)[2]
    names = {m["account_id"] for m in chain["members"]} - {"u2002"}
    assert all(re.fullmatch(r"account-[0-9a-f]{8}", n) for n in names) and len(names) == 2
    assert set(chain["layout"]) == names | {"u2002"} and names <= set(data["accounts"])
    assert all(p["text"] == REDACTED_TEXT for n in names for p in data["accounts"][n]["posts"])
    # The flagged ring's post that mentions @quiet_wren now names the pseudonym.
    wren = pseudonym("u2001", derive_key([data["dataset"]["inputs"][0]["sha256"]]))
    assert wren in names
    assert any(f"via @{wren}" in (p["text"] or "") for p in data["accounts"]["u1001"]["posts"])
    assert data["redaction"] == {"threshold": 0.5, "accounts": 2, "text": REDACTED_TEXT}
    assert data["exports"]["gexf"] is None  # the scan's GEXF names everyone
    # The flagged ring's members are not redacted: the location they report stays.
    assert by_cluster(data)[1]["reported"]["location"] == "Moscow (RU)"
    # Clusters without a redacted member keep their DISARM examples.
    assert any("e.g. “100%" in d["evidence"] for d in by_cluster(data)[1]["disarm"])


def test_redacting_everyone_leaves_no_handle_id_or_text(scored_scan: Path, tmp_path: Path) -> None:
    data = collect(scored_scan, redact=True, redact_threshold=1.01)
    text = written(scored_scan, tmp_path, data).lower()
    members = set(RING) | set(CHAIN)
    for account in members:
        assert account not in text and (RING | CHAIN)[account].lower() not in text
    for post in texts_of(members) | {f"rt seed {e}" for e in range(RING_EVENTS)}:
        assert post.lower() not in text
    assert "breaking: the truth" not in text  # co_text items and top items are texts too
    # A DISARM suggestion's example quotes a member's evidence: withheld once a member is redacted.
    examples = [d["evidence"] for d in by_cluster(data)[1]["disarm"] if "e.g." in d["evidence"]]
    assert examples and all("e.g. “[redacted]”" in e for e in examples)
    assert data["redaction"]["accounts"] == 7
    # Moscow came only from redacted accounts: the cluster's reported location is withheld.
    assert by_cluster(data)[1]["reported"] is None


def test_pseudonyms_are_stable_for_a_key_and_differ_between_keys(scored_scan: Path) -> None:
    def names(**kw: Any) -> list[str]:
        data = collect(scored_scan, redact=True, **kw)
        return sorted(m["account_id"] for m in by_cluster(data)[2]["members"] if m["account_id"] != "u2002")

    first = names(redact_key="k1")
    assert first == names(redact_key="k1") == sorted(pseudonym(a, b"k1") for a in ("u2001", "u2003"))
    assert set(names(redact_key="k2")).isdisjoint(first)
    # The default key is derived from the scan's inputs, so it is the same on every run.
    sha = json.loads((scored_scan / "summary.json").read_text())["inputs"][0]["sha256"]
    assert names() == sorted(pseudonym(a, derive_key([sha])) for a in ("u2001", "u2003"))


def test_redactor_scrubs_whole_words_and_quotes() -> None:
    r = Redactor(b"key")
    name = r.add("u77", "Quiet_Wren")
    assert r.scrub("thanks @quiet_wren, see https://x.com/Quiet_Wren/status/1") == (
        f"thanks @{name}, see https://x.com/{name}/status/1"
    )
    assert r.scrub("quiet_wrens and u77 and u777") == f"quiet_wrens and {name} and u777"
    assert Redactor.unquote("handle 'Quiet Wren's' fits 'aa'") == "handle '[redacted]'"
    assert Redactor.unquote("Russia's, e.g. “it's 'me'”", "“") == "Russia's, e.g. “[redacted]”"
    assert r.explanation("score 0.3: x +1.0: desc 'it's me'; y +0.5: ok", ["desc 'it's me'"]) == (
        "score 0.3: x +1.0: desc '[redacted]'; y +0.5: ok"
    )
    # Two ids with the same 8-digit pseudonym: the later one gets more digits.
    other = Redactor(b"key")
    other._taken[pseudonym("b", b"key")] = "a"
    assert other.add("b") == pseudonym("b", b"key", 12)


# -- other scans -------------------------------------------------------------------------------------------------


def test_a_scan_without_clusters_says_so(empty_scan: Path, tmp_path: Path) -> None:
    data = collect(empty_scan)
    assert data["clusters"] == [] and data["accounts"] == {} and data["other_clusters"] == []
    assert data["headline"][0].startswith("No coordinated cluster was found")
    paths = write_csvs(empty_scan, tmp_path, data)
    with paths["evidence_csv"].open(encoding="utf-8") as f:
        assert list(csv.reader(f)) == [list(EVIDENCE_COLUMNS)]
    assert collect(empty_scan, redact=True)["redaction"]["accounts"] == 0


def test_an_unscored_scan_reports_without_scores(unscored_scan: Path) -> None:
    data = collect(unscored_scan)
    assert data["scores"] is None and data["methodology"]["evaluation"] is None
    ring = data["clusters"][0]  # unscored: the largest first
    assert {m["account_id"] for m in ring["members"]} == set(RING)
    assert ring["score"] is None and not ring["flagged"] and "not scored" in ring["explanation"]
    assert ring["signals"] == [] and ring["disarm"] == [] and ring["office"] is None and ring["state_media"] == []
    assert "(not scored)" in ring["summary"] and ring["evidence_total"] == 300
    # Without scores nobody is known to be above the threshold: a redacted report hides everyone.
    assert collect(unscored_scan, redact=True)["redaction"]["accounts"] == 7


def test_folders_that_are_not_reports_are_named(tmp_path: Path, scored_scan: Path) -> None:
    with pytest.raises(ReportError, match="not a scan folder"):
        collect(tmp_path)
    moved = tmp_path / "scan"
    shutil.copytree(scored_scan, moved)
    summary = json.loads((moved / "summary.json").read_text())
    summary["dataset"] = str(tmp_path / "gone")
    (moved / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(ReportError, match="is not there any more"):
        collect(moved)
    assert collect(moved, dataset=scored_scan.parent / "ds", top=1)["clusters"][0]["size"] == 4


# -- exports -----------------------------------------------------------------------------------------------------


def test_csvs_hold_every_cluster_and_all_the_evidence(scored_scan: Path, tmp_path: Path) -> None:
    data = collect(scored_scan, evidence_rows=10)
    out = tmp_path / "report"
    paths = write_csvs(scored_scan, out, data)
    with paths["clusters_csv"].open(encoding="utf-8") as f:
        clusters = list(csv.DictReader(f))
    assert [(r["cluster"], r["size"], r["in_report"]) for r in clusters] == [("1", "4", "True"), ("2", "3", "True")]
    assert clusters[0]["traces"] == "co_repost;co_similar_text;co_text" and clusters[0]["evidence_total"] == "300"
    with paths["evidence_csv"].open(encoding="utf-8") as f:
        evidence = list(csv.DictReader(f))
    assert len(evidence) == 316  # all of it, not the 10 rows per cluster the HTML lists
    assert Counter(r["cluster"] for r in evidence) == {"1": 300, "2": 16}
    assert {r["a_label"] for r in evidence if r["a"] == "u1001"} == {"Ring_Alpha"}
    assert {r["first"] for r in evidence if r["cluster"] == "1"} == {"a"}
    assert (out / data["exports"]["gexf"]).resolve() == (scored_scan / "network.gexf").resolve()
    write_csvs(scored_scan, out, data)  # a second call keeps the link relative to the report
    assert (out / data["exports"]["gexf"]).resolve() == (scored_scan / "network.gexf").resolve()
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _cell("-1") == "'-1" and _cell("ok") == "ok"
    con = duckdb.connect()
    assert con.sql(f"SELECT count(*) FROM read_csv('{paths['evidence_csv']}')").fetchall() == [(316,)]


# -- determinism -------------------------------------------------------------------------------------------------


def test_golden(data: dict[str, Any]) -> None:
    text = dumps(normalised(data))
    if os.environ.get("OVERT_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.is_file(), "no golden file: run OVERT_UPDATE_GOLDEN=1 pytest tests/unit/report/test_data.py -k golden"
    assert json.loads(text) == json.loads(GOLDEN.read_text(encoding="utf-8")), (
        "the report data changed; if on purpose, regenerate with "
        "OVERT_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/unit/report/test_data.py -k golden and review the diff"
    )


def test_normalised_drops_only_run_specific_values(data: dict[str, Any], scored_scan: Path) -> None:
    again = collect(scored_scan)
    assert normalised(again) == normalised(data)
    n = normalised(data)
    assert "generated_at" not in n and "versions" not in n and "timings_seconds" not in n["scan"]
    assert n["dataset"]["path"] == "ds" and n["exports"]["gexf"] == "network.gexf"
    assert json.loads(json.dumps(data)) == data  # JSON-serialisable as is


def test_module_prints_the_normalised_data(scored_scan: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(scored_scan), "--top", "1"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [c["cluster"] for c in printed["clusters"]] == [1] and "generated_at" not in printed
