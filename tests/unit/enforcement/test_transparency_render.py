"""Rendering transparency reports: JSON, CSVs with documented columns, and Markdown and HTML pages for the public."""

from __future__ import annotations

import csv
import json
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from overt.enforcement.transparency import (
    TransparencyReport,
    check_completeness,
    compute,
    to_html,
    to_markdown,
    write_all,
    write_csvs,
)
from overt.enforcement.transparency.render import COLUMN_DOCS, TAKEDOWN_COLUMNS

LOG = Path(__file__).parent / "fixtures" / "transparency" / "events.json"
START, END = date(2025, 7, 1), date(2025, 9, 30)
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source", "track", "embed"}


def _events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(LOG.read_text(encoding="utf-8"))
    return events


@pytest.fixture(scope="module")
def report() -> TransparencyReport:
    return compute(_events(), START, END)


class _Structure(HTMLParser):
    """Checks that every element is closed in order, and collects what the accessibility tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.captions: list[str] = []
        self.text: list[str] = []
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "caption":
            self._in_caption = True
            self.captions.append("")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'} at {self.getpos()}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_caption:
            self.captions[-1] += data


def _parse(page: str) -> _Structure:
    parser = _Structure()
    parser.feed(page)
    parser.close()
    return parser


def test_html_is_well_formed_and_has_no_script(report: TransparencyReport) -> None:
    page = to_html(report)
    parsed = _parse(page)
    assert parsed.errors == []
    assert parsed.stack == []
    assert page.startswith("<!DOCTYPE html>")
    names = [tag for tag, _ in parsed.tags]
    assert "script" not in names
    assert "<script" not in page.lower()
    assert not any(name in {"link", "img", "iframe", "object"} for name in names)  # nothing loaded from elsewhere
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)  # no inline handlers
    assert ("html", {"lang": "en"}) in parsed.tags


def test_html_tables_are_accessible(report: TransparencyReport) -> None:
    parsed = _parse(to_html(report))
    tables = [attrs for tag, attrs in parsed.tags if tag == "table"]
    assert len(tables) == len(parsed.captions) == len([t for t in report.tables() if t.cells]) + 1  # + takedowns
    headers = [attrs for tag, attrs in parsed.tags if tag == "th"]
    assert headers and all(attrs.get("scope") in {"col", "row"} for attrs in headers)
    assert any(c.startswith("Actions by market") for c in parsed.captions)
    assert any(c.startswith("Influence-operation takedowns") for c in parsed.captions)


def test_html_contains_the_tables_and_escapes(report: TransparencyReport) -> None:
    page = to_html(report)
    text = " ".join(_parse(page).text)
    for expected in (
        "Actions applied, by every characteristic",
        "Germany (DE), France (FR)",
        "Government requests decided, by outcome",
        "none stated",
        "T0049 Flood Information Space",
        "Counts are exact",
        "The check passed",
        "42.0 days",
    ):
        assert expected in text, expected
    # Recorded text is text: the origin's markup is escaped, never rendered.
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<b>bold" not in page


def test_markdown_contains_the_tables(report: TransparencyReport) -> None:
    page = to_markdown(report)
    assert page.startswith("# Transparency report, 1 July 2025 to 30 September 2025\n")
    for expected in (
        "## How this report is made",
        "**Actions by policy.** Each count is one action applied in the period.",
        "| cib | 4 |",
        "| state-media | 3 |",
        "| **Total** | **7** |",
        "| Everywhere | 3 |",
        "| Policy | Policy clause | Type of action | How it was found | Decision fully automated | Markets | Count |",
        "| Government | Brazil (BR) | none stated | Informal request | Declined | 1 |",
        # A pipe in recorded text stays inside its cell.
        "NetzDG § 3 \\| court order",
        "Russia (Internet Research Agency) &lt;b&gt;bold&lt;/b&gt;",
        "| Median time from appeal to decision | 42.0 days |",
        "## Completeness check",
    ):
        assert expected in page, expected
    for line in page.splitlines():
        if line.startswith("|"):
            assert line.endswith("|"), line


def test_failed_check_shows_on_the_page() -> None:
    events = [
        {
            "seq": 1,
            "at": "2025-07-10T00:00:00Z",
            "action": "appeal.decide",
            "payload": {"appeal": "ap-x", "outcome": "upheld", "filed_at": "2025-07-05T00:00:00Z"},
        }
    ]
    report = compute(events, START, END)
    assert "The check FAILED" in to_markdown(report)
    html = to_html(report)
    assert 'class="failed">The check FAILED' in html
    assert "Problem: appeal ap-x was decided" in html


def test_empty_report_renders() -> None:
    report = compute([], START, END)
    page = to_markdown(report)
    assert "There were no actions in this period." in page
    assert "There were no takedowns in this period." in page
    parsed = _parse(to_html(report))
    assert parsed.errors == []
    assert not any(tag == "table" for tag, _ in parsed.tags)


def test_csvs_one_per_table_with_documented_columns(report: TransparencyReport, tmp_path: Path) -> None:
    written = write_csvs(report, tmp_path / "csv")
    names = {p.name for p in written}
    assert names == {f"{t.id}.csv" for t in report.tables()} | {"takedowns.csv", "summary.csv", "README.md"}
    readme = (tmp_path / "csv" / "README.md").read_text(encoding="utf-8")
    for table in report.tables():
        with (tmp_path / "csv" / f"{table.id}.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        assert sum(int(r["count"]) for r in rows) == table.total, table.id
        assert f"## {table.id}.csv" in readme
        for column in [*table.dimensions, "count"]:
            assert f"- `{column}`: {COLUMN_DOCS[column]}" in readme
    with (tmp_path / "csv" / "actions.csv").open(encoding="utf-8", newline="") as f:
        actions = list(csv.DictReader(f))
    assert {"policy": "cib", "clause": "cib#fake-accounts", "action_type": "suspend"}.items() <= actions[0].items()
    assert actions[0]["markets"] == "DE,FR"
    with (tmp_path / "csv" / "takedowns.csv").open(encoding="utf-8", newline="") as f:
        (takedown,) = list(csv.DictReader(f))
    assert list(takedown) == list(TAKEDOWN_COLUMNS)
    assert (takedown["techniques"], takedown["followers"], takedown["targets"]) == (
        "T0049;T0143.002;T9999",
        "1234",
        "DE;FR",
    )
    with (tmp_path / "csv" / "summary.csv").open(encoding="utf-8", newline="") as f:
        summary = {(r["section"], r["measure"]): r["value"] for r in csv.DictReader(f)}
    assert summary[("actions", "applied")] == "7"
    assert summary[("appeals", "median_days_to_decide")] == "42.0"
    assert summary[("completeness", "passed")] == "yes"


def test_write_all_round_trips(report: TransparencyReport, tmp_path: Path) -> None:
    written = write_all(report, tmp_path)
    assert {"report.json", "report.md", "report.html"} <= {p.name for p in written}
    again = TransparencyReport.from_json(json.loads((tmp_path / "report.json").read_text(encoding="utf-8")))
    assert check_completeness(again, _events()) == []
    assert report.to_markdown() == (tmp_path / "report.md").read_text(encoding="utf-8")
