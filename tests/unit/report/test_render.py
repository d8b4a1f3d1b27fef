"""The report's SVG charts and HTML page, on a hand-made data model that follows the contract of ``collect``."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from overt.report.render import account_anchor, data_json, render
from overt.report.svg import (
    REPORTED_COLOUR,
    heatmap_svg,
    network_svg,
    office_segments,
    timeline_svg,
    trace_style,
)

DISARM_URL = "https://disarmframework.herokuapp.com/technique/T0049/view"


def _member(account_id: str, label: str, score: float | None, centrality: float, role: str) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "label": label,
        "role": role,
        "centrality": centrality,
        "score": score,
        "flagged": score is not None and score >= 0.5,
        "explanation": f"{label}: co-reposted the same posts within a minute",
    }


def sample_data() -> dict[str, Any]:
    """Two detailed clusters (one with a hostile handle), one other cluster, three accounts with sections."""
    hour_of_week = [0] * 168
    for day in range(5):
        for hour in range(1, 10):  # UTC+8 office hours, 09:00-18:00 local
            hour_of_week[day * 24 + hour] = 5 + hour
    members1 = [
        _member("1001", "<script>alert(1)</script>", 0.91, 1.0, "leader"),
        _member("1002", "bob", 0.74, 0.8, "follower"),
        _member("1003", "carol", 0.32, 0.5, "follower"),
    ]
    cluster1 = {
        "cluster": 1,
        "size": 3,
        "score": 0.82,
        "flagged": True,
        "explanation": "Three accounts repost the same posts within seconds on Beijing office hours.",
        "traces": ["co_repost", "co_hashtag"],
        "first_at": "2016-10-01T08:00:00+00:00",
        "last_at": "2016-10-03T09:00:00+00:00",
        "top_items": ["post:777", "#maga"],
        "members": members1,
        "edges": [
            {"a": "1001", "b": "1002", "weight": 1.8, "traces": ["co_repost", "co_hashtag"]},
            {"a": "1001", "b": "1003", "weight": 1.0, "traces": ["co_hashtag"]},
            {"a": "1002", "b": "1003", "weight": 0.4, "traces": ["co_repost"]},
        ],
        "layout": {"1001": [0.5, 0.1], "1002": [0.0, 1.0], "1003": [1.0, 0.9]},
        "timeline": [
            {"start": "2016-10-01T08:00:00+00:00", "detector": "co_repost", "coactions": 4},
            {"start": "2016-10-01T08:00:00+00:00", "detector": "co_hashtag", "coactions": 2},
            {"start": "2016-10-01T09:00:00+00:00", "detector": "co_repost", "coactions": 7},
            {"start": "2016-10-03T09:00:00+00:00", "detector": "co_repost", "coactions": 1},
        ],
        "hour_of_week": hour_of_week,
        "office": {"offset": 8.0, "confidence": 0.9, "evidence": "86% of posts in weekday office hours at UTC+8"},
        "reported": {"location": "Ashburn (US)", "offsets": [-4.0, -5.0], "accounts": 2, "of": 3},
        "evidence": [
            {
                "detector": "co_repost",
                "item": "post:777",
                "a": "1001",
                "a_post_id": "p1",
                "a_at": "2016-10-01T08:00:01+00:00",
                "b": "1002",
                "b_post_id": "p2",
                "b_at": "2016-10-01T08:00:09+00:00",
                "first": "a",
            },
            {
                "detector": "co_hashtag",
                "item": "#maga",
                "a": "1001",
                "a_post_id": "p3",
                "a_at": "2016-10-01T08:10:00+00:00",
                "b": "1003",
                "b_post_id": "p4",
                "b_at": "2016-10-01T08:10:00+00:00",
                "first": "same",
            },
        ],
        "evidence_total": 14,
        "state_media": [{"outlet": "RT", "identifier": "rt.com", "country": "RU", "typology": "state", "count": 3}],
        "disarm": [
            {
                "technique_id": "T0049",
                "technique": "Flooding the Information Space",
                "tactic": "TA17 Maximise Exposure",
                "confidence": "medium",
                "evidence": "14 co-reposts within a minute",
                "url": DISARM_URL,
            }
        ],
        "signals": [{"signal": "working_hours", "score": 0.7, "evidence": "86% of posts in UTC+8 office hours"}],
        "summary": "Draft: a network of three accounts amplified the same posts.",
    }
    cluster2 = {
        "cluster": 2,
        "size": 2,
        "score": None,
        "flagged": False,
        "explanation": "Two accounts share hashtags.",
        "traces": ["co_hashtag"],
        "first_at": "2016-10-02T00:00:00+00:00",
        "last_at": "2016-10-02T01:00:00+00:00",
        "top_items": [],
        "members": [_member("2001", "dave", None, 1.0, "peer"), _member("2002", "erin", None, 1.0, "peer")],
        "edges": [{"a": "2001", "b": "2002", "weight": 1.0, "traces": ["co_hashtag"]}],
        "layout": {"2001": [0.0, 0.5], "2002": [1.0, 0.5]},
        "timeline": [],
        "hour_of_week": None,
        "office": None,
        "evidence": [
            {
                "detector": "co_hashtag",
                "item": "#vote",
                "a": "2001",
                "a_post_id": "p9",
                "a_at": "2016-10-02T00:00:00+00:00",
                "b": "2002",
                "b_post_id": "p10",
                "b_at": "2016-10-02T00:00:30+00:00",
                "first": "a",
            }
        ],
        "evidence_total": 1,
        "state_media": [],
        "disarm": [],
        "signals": [],
        "summary": "",
    }

    def account(label: str, cluster: int, score: float | None) -> dict[str, Any]:
        return {
            "label": label,
            "handle": label,
            "cluster": cluster,
            "score": score,
            "flagged": score is not None and score >= 0.5,
            "explanation": f"{label} posts on office hours",
            "contributions": [{"feature": "working_hours", "contribution": 0.4, "evidence": "office hours"}],
            "signals": [{"signal": "working_hours", "score": 0.8, "evidence": "office hours"}],
            "posts": [{"post_id": "p1", "at": "2016-10-01T08:00:01+00:00", "kind": "repost", "text": "RT <b>hi</b>"}],
            "domains": [{"domain": "rt.com", "count": 3}],
        }

    return {
        "format": "overt-report/1",
        "generated_at": "2026-11-29T12:00:00+00:00",
        "versions": {"overt": "0.1.0", "duckdb": "2.0.1"},
        "dataset": {
            "path": "/data/ds",
            "inputs": [{"path": "/data/in.csv", "sha256": "ab" * 32, "format": "cnt"}],
            "platforms": ["twitter"],
            "time_range": ["2016-10-01T00:00:00+00:00", "2016-10-31T23:59:59+00:00"],
            "counts": {"posts": 1200, "accounts": 45, "rejects": 2, "duplicates": 1},
            "rejects_by_reason": [{"reason": "no timestamp", "count": 2}],
        },
        "scan": {
            "parameters": {"window": 60, "alpha": 0.01, "detectors": ["co_repost", "co_hashtag"]},
            "engine": "duckdb",
            "detectors": {"co_repost": {"kept_edges": 2}, "co_hashtag": {"kept_edges": 3}},
            "timings_seconds": {"co_repost": 0.5, "total": 1.25},
            "clusters": 3,
            "network_accounts": 7,
            "network_edges": 5,
        },
        "scores": {
            "model": "builtin",
            "threshold": 0.5,
            "accounts": 45,
            "flagged_accounts": 2,
            "clusters": 3,
            "flagged_clusters": 1,
        },
        "headline": ["Cluster 1: three accounts reposted the same posts within seconds (score 0.82)."],
        "clusters": [cluster1, cluster2],
        "other_clusters": [{"cluster": 3, "size": 2, "score": 0.1, "flagged": False, "traces": ["co_text"]}],
        "accounts": {
            "1001": account("<script>alert(1)</script>", 1, 0.91),
            "1002": account("bob", 1, 0.74),
            "2001": account("dave", 2, None),
        },
        "methodology": {
            "traces": {"co_repost": "Reposting the same post within the window.", "co_hashtag": "Same hashtag."},
            "caveats": ["Coordination is not proof of state backing."],
            "evaluation": None,
        },
        "exports": {"clusters_csv": "clusters.csv", "evidence_csv": "evidence.csv", "gexf": "scan/network.gexf"},
    }


def no_clusters_data() -> dict[str, Any]:
    data = sample_data()
    data.update(clusters=[], other_clusters=[], accounts={}, headline=[], scores=None)
    data["scan"].update(clusters=0, network_accounts=0, network_edges=0)
    return data


@pytest.fixture
def data() -> dict[str, Any]:
    return sample_data()


class _Collect(HTMLParser):
    """Start tags with their attributes, and the text of <script> elements by id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: dict[str, str] = {}
        self._script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs).get("id") or "inline"
            self.scripts[self._script] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, text: str) -> None:
        if self._script is not None:
            self.scripts[self._script] += text


def parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    return p


# --- SVG -------------------------------------------------------------------------------------------------------


def test_network_draws_one_node_per_member_and_one_line_per_edge(data: dict[str, Any]) -> None:
    svg = network_svg(data["clusters"][0])
    assert svg.count("<circle") == 3
    assert svg.count('<line class="edge"') == 3
    # Edges take the colour of their first trace; the most central member is the one tab stop.
    assert f'stroke="{trace_style("co_repost")[0]}"' in svg and f'stroke="{trace_style("co_hashtag")[0]}"' in svg
    tab_stops = re.findall(r'data-account="([^"]+)" tabindex="0"', svg)
    assert tab_stops == ["1001"]
    assert svg.count('tabindex="-1"') == 2


def test_network_escapes_handles(data: dict[str, Any]) -> None:
    svg = network_svg(data["clusters"][0])
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg


def test_network_caps_edges_heaviest_first(data: dict[str, Any]) -> None:
    svg = network_svg(data["clusters"][0], max_edges=1)
    assert svg.count('<line class="edge"') == 1
    assert 'data-a="1001" data-b="1002"' in svg  # weight 1.8, the heaviest
    assert "3 edges (the 1 heaviest drawn)" in svg


def test_network_places_members_missing_from_the_layout() -> None:
    cluster = {"cluster": 9, "members": [{"account_id": "x"}, {"account_id": "y"}], "edges": [], "layout": {}}
    svg = network_svg(cluster)
    assert svg.count("<circle") == 2
    assert "nan" not in svg


def test_heatmap_has_168_cells_and_no_outline_without_office(data: dict[str, Any]) -> None:
    svg = heatmap_svg(data["clusters"][0]["hour_of_week"])
    assert svg.count('<rect class="cell"') == 168
    assert 'class="office"' not in svg
    fills = {when: fill for fill, when in re.findall(r'fill="(#[0-9a-f]{6})"><title>(\w+ \d\d):00', svg)}
    # The busiest hour (Monday 09:00 UTC, 14 posts) is full Okabe-Ito blue, an empty hour light grey, and a
    # quieter hour (Monday 01:00, 6 posts) lighter than the busiest.
    assert fills["Monday 09"] == "#0072b2" and fills["Monday 00"] == "#f2f2f2"
    assert int(fills["Monday 01"][1:3], 16) > 0 and fills["Monday 01"] != fills["Monday 09"]
    assert "Monday 09:00–09:59 UTC: 14 posts" in svg
    with pytest.raises(ValueError, match="168"):
        heatmap_svg([1, 2, 3])


def test_heatmap_outlines_office_hours_in_utc(data: dict[str, Any]) -> None:
    svg = heatmap_svg(data["clusters"][0]["hour_of_week"], 8.0)
    outlines = re.findall(r'<rect class="office" x="([\d.]+)" y="(\d+)" width="([\d.]+)"', svg)
    assert len(outlines) == 5  # one block per weekday, 01:00-10:00 UTC
    # 30 px cells after a 40 px margin: x = 40 + 1 * 30 - 1, width = 9 * 30 + 1.
    assert {(x, w) for x, _, w in outlines} == {("69", "271")}
    assert "UTC+8" in svg


def test_heatmap_outlines_the_reported_location_dashed_when_given(data: dict[str, Any]) -> None:
    counts = data["clusters"][0]["hour_of_week"]
    assert 'class="reported"' not in heatmap_svg(counts, 8.0)
    assert 'class="reported"' not in heatmap_svg(counts, 8.0, reported_offsets=[])
    svg = heatmap_svg(counts, 8.0, reported_offsets=[3.0, 4.0])
    dashed = re.findall(r'<rect class="reported" x="([\d.]+)" y="(\d+)" width="([\d.]+)"[^>]*stroke-dasharray', svg)
    # The first offset counts: UTC+3 office hours are 06:00-15:00 UTC, inset 2 px inside the cells.
    assert len(dashed) == 5 and {(x, w) for x, _, w in dashed} == {(str(40 + 6 * 30 + 2), str(9 * 30 - 5))}
    assert f'stroke="{REPORTED_COLOUR}"' in svg and REPORTED_COLOUR not in heatmap_svg(counts, 8.0)
    # The fitted office is still outlined, solid; the label says what the dashed outline is.
    assert len(re.findall(r'<rect class="office"', svg)) == 5
    assert "dashed outline: weekday 09:00–18:00 at UTC+3, the reported location" in svg
    # A reported location without a fitted office is outlined alone.
    alone = heatmap_svg(counts, reported_offsets=[-5.0])
    assert 'class="office"' not in alone and alone.count('<rect class="reported"') == 5


def test_office_segments_split_at_midnight_and_wrap_the_week() -> None:
    assert office_segments(8.0) == [(d, 1.0, 10.0) for d in range(5)]
    # UTC+14: local Monday 09:00 is Sunday 19:00 UTC, the block wraps to the end of the week.
    segments = office_segments(14.0)
    assert segments[0] == (6, 19.0, 24.0) and segments[1] == (0, 0.0, 4.0)
    assert sum(b - a for _, a, b in segments) == 45.0
    # Half-hour offsets keep half cells.
    assert office_segments(5.5)[0] == (0, 3.5, 12.5)


def test_timeline_stacks_detectors_per_bin(data: dict[str, Any]) -> None:
    svg = timeline_svg(data["clusters"][0]["timeline"])
    assert svg.count("<rect") == 4
    assert "at most 7 in one hour" in svg
    assert "co_hashtag: 2 co-actions" in svg
    assert "No co-actions" in timeline_svg([])


# --- the page --------------------------------------------------------------------------------------------------


def test_render_has_the_sections_and_landmarks(data: dict[str, Any]) -> None:
    html = render(data, strict=True)
    p = parse(html)
    ids = {a.get("id") for _, a in p.tags}
    for section in ("overview", "clusters", "cluster-1", "cluster-2", "accounts", "methodology"):
        assert section in ids, section
    assert {account_anchor("1001"), account_anchor("1002"), account_anchor("2001")} <= ids
    tags = [t for t, _ in p.tags]
    for landmark in ("header", "nav", "main", "footer"):
        assert landmark in tags
    assert ("form", "search") in {(t, a.get("role")) for t, a in p.tags}
    # Every table has a caption, and its header cells a scope.
    assert html.count("<table") == html.count("<caption")
    assert all(a.get("scope") in ("col", "row") for t, a in p.tags if t == "th")
    # The analyst can edit the draft summary; the page says edits are not saved.
    assert any(a.get("contenteditable") == "true" for _, a in p.tags)
    assert "not saved" in html
    # The other cluster is in the index table, the links to the exports are there.
    assert "other-clusters" in ids
    hrefs = {a.get("href") for t, a in p.tags if t == "a"}
    assert {"clusters.csv", "evidence.csv", "scan/network.gexf", "#cluster-1", DISARM_URL} <= hrefs
    assert html.count("<circle") == 5


def test_render_embeds_the_data_model(data: dict[str, Any]) -> None:
    html = render(data, strict=True)
    scripts = parse(html).scripts
    assert json.loads(scripts["overt-data"]) == data
    # No markup from the data survives unescaped, in the page or in the JSON island.
    assert "<script>alert" not in html
    assert "<b>hi</b>" not in html


def test_render_makes_no_external_references(data: dict[str, Any]) -> None:
    html = render(data, strict=True)
    p = parse(html)
    urls = set(re.findall(r"https?://[^\s\"'<>\\]+", html))
    assert urls == {DISARM_URL}
    link_attrs = {a.get(k) for _, a in p.tags for k in ("src", "href", "xlink:href") if a.get(k)}
    assert {u for u in link_attrs if u and "://" in u} == {DISARM_URL}
    assert not any(t == "script" and a.get("src") for t, a in p.tags)
    assert not any(t == "link" for t, a in p.tags)


def test_render_says_when_there_are_no_clusters() -> None:
    html = render(no_clusters_data(), strict=True)
    assert "found no coordinated clusters" in html
    assert "<circle" not in html
    assert "not been scored" in html


def test_render_survives_missing_optional_parts(data: dict[str, Any]) -> None:
    sparse = copy.deepcopy(data)
    sparse["scores"] = None
    sparse["methodology"] = {"traces": {}, "caveats": [], "evaluation": {"recall": 0.8, "by_label": {"troll": 3}}}
    c = sparse["clusters"][0]
    c.update(office=None, hour_of_week=None, disarm=[], signals=[], state_media=[], summary="", score=None)
    html = render(sparse, strict=True)
    assert 'class="office"' not in html
    assert "Dashed:" not in html  # no heatmap, no caption about the reported location
    assert "recall" in html
    # An account that is a member but has no section is listed without a link.
    assert f'href="#{account_anchor("1003")}"' not in html


def test_data_json_escapes_closing_tags_and_nan() -> None:
    text = data_json({"a": "</script><!--", "b": float("nan"), "c": "\u2028"})
    assert "</" not in text and "<!--" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!--", "b": None, "c": "\u2028"}


def test_account_anchors_are_distinct_and_safe() -> None:
    ids = ["a_b", "a.b", "a b", "a_2e.b", "<x>", "ünï"]
    anchors = [account_anchor(i) for i in ids]
    assert len(set(anchors)) == len(ids)
    assert all(re.fullmatch(r"account-[A-Za-z0-9_.-]+", a) for a in anchors)


def test_write_report_collects_exports_and_writes_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """write_report with collect/write_csvs stubbed: options reach collect, the exports go next to the page, and
    what write_csvs changes in the data (the GEXF link, relative to the page) is what the page shows."""
    import sys
    import types

    from overt.report import render as render_module

    calls: dict[str, Any] = {}

    def collect(path: Path, **options: Any) -> dict[str, Any]:
        calls["collect"] = (path, options)
        return sample_data()

    def write_csvs(path: Path, out_dir: Path, data: dict[str, Any]) -> dict[str, Path]:
        calls["csvs"] = (path, out_dir)
        data["exports"]["gexf"] = "../scan/network.gexf"
        return {"clusters_csv": out_dir / "clusters.csv"}

    monkeypatch.setitem(sys.modules, "overt.report.data", types.SimpleNamespace(collect=collect))
    monkeypatch.setitem(sys.modules, "overt.report.exports", types.SimpleNamespace(write_csvs=write_csvs))
    out = tmp_path / "out" / "report.html"
    scan_dir = tmp_path / "scan"
    assert render_module.write_report(scan_dir, out, top=5, redact=True) == out
    assert calls["collect"] == (scan_dir, {"top": 5, "redact": True})
    assert calls["csvs"] == (scan_dir, out.parent)
    html = out.read_text(encoding="utf-8")
    assert 'href="../scan/network.gexf"' in html
    assert json.loads(parse(html).scripts["overt-data"])["exports"]["gexf"] == "../scan/network.gexf"


# --- on real scans (the fixtures of conftest.py) ------------------------------------------------------------


def test_render_captions_the_reported_location(data: dict[str, Any]) -> None:
    html = render(data, strict=True)
    caption = re.sub(r"\s+", " ", html.split('class="chart heatmap-figure"')[1].split("</figcaption>")[0])
    assert "Dashed: weekday office hours (09:00–18:00 local) at UTC-4, the time of Ashburn (US)" in caption
    assert "by 2 of the 3 members whose profile names a known place" in caption
    without = copy.deepcopy(data)
    without["clusters"][0]["reported"] = None
    assert "Dashed:" not in render(without, strict=True)


def test_render_of_a_scored_scan(scored_scan: Path) -> None:
    """Every key the templates read is in collect()'s output (strict), and the page has what the scan has."""
    from overt.report.data import collect

    data = collect(scored_scan)
    html = render(data, strict=True)
    p = parse(html)
    ids = {a.get("id") for _, a in p.tags}
    assert {f"cluster-{c['cluster']}" for c in data["clusters"]} <= ids
    assert {account_anchor(a) for a in data["accounts"]} <= ids
    assert json.loads(p.scripts["overt-data"]) == json.loads(json.dumps(data))
    assert html.count("<circle") == sum(len(c["members"]) for c in data["clusters"])
    assert 'class="office"' in html  # the ring keeps office hours at UTC+3
    assert "UTC+3" in html
    assert "the time of Moscow (RU)" in html  # two ring members report Moscow
    assert '<rect class="reported"' in html  # and the heatmap outlines office hours on Moscow's clock


def test_render_of_an_unscored_and_an_empty_scan(unscored_scan: Path, empty_scan: Path) -> None:
    from overt.report.data import collect

    unscored = render(collect(unscored_scan), strict=True)
    assert "not been scored" in unscored and "<circle" in unscored
    empty = render(collect(empty_scan), strict=True)
    assert "found no coordinated clusters" in empty and "<circle" not in empty


def test_cli_writes_the_report_and_prints_its_path(scored_scan: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from overt.cli.report import report_command

    out = tmp_path / "out" / "report.html"
    result = CliRunner().invoke(report_command, [str(scored_scan), "--out", str(out), "--top", "1"])
    assert result.exit_code == 0, result.output
    assert result.output == f"{out}\n"
    assert (out.parent / "clusters.csv").is_file() and (out.parent / "evidence.csv").is_file()
    ids = {a.get("id") for _, a in parse(out.read_text(encoding="utf-8")).tags}
    assert "cluster-1" in ids and "cluster-2" not in ids  # --top 1: the other cluster is only in the table

    redacted = tmp_path / "redacted" / "report.html"
    result = CliRunner().invoke(report_command, [str(scored_scan), "-o", str(redacted), "--redact"])
    assert result.exit_code == 0, result.output
    html = redacted.read_text(encoding="utf-8")
    assert "Redacted report" in html and "network.gexf" not in html
    assert "quiet_wren" not in html and "mellow_finch" not in html  # below the threshold: pseudonyms only

    result = CliRunner().invoke(report_command, [str(scored_scan), "-o", str(redacted), "--redact-key", "k"])
    assert result.exit_code == 2 and "--redact-key needs --redact" in result.output
