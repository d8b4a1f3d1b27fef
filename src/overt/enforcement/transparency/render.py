"""Write a transparency report for people and for machines: JSON, one CSV per table, Markdown and HTML.

The Markdown and HTML pages are written for the public: plain words, every number labelled, tables with captions
and column headers, a method section first. Both pages come from the same sections (:func:`sections`), so they say
the same thing. The HTML is one self-contained file: inline CSS, no JavaScript, nothing loaded from elsewhere.
The CSVs keep the machine values (``user_report``, ``DE,FR``); a README.md next to them documents every column.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from overt.enforcement import markets
from overt.enforcement.transparency.events import NONE_STATED, NOT_RECORDED
from overt.enforcement.transparency.model import Table, TransparencyReport

_HERE = Path(__file__).parent

#: Column headers on the pages.
COLUMN_LABELS: Mapping[str, str] = {
    "policy": "Policy",
    "clause": "Policy clause",
    "action_type": "Type of action",
    "detection_source": "How it was found",
    "automated_decision": "Decision fully automated",
    "markets": "Markets",
    "cause": "Cause",
    "applied": "When the action was applied",
    "outcome": "Outcome",
    "filed": "When the appeal was filed",
    "requester_kind": "Who asked",
    "country": "Country",
    "legal_basis": "Legal basis cited",
    "channel": "How they asked",
    "ask": "What they asked for",
}

#: What each machine value means, by column (values not listed are shown as they are).
VALUE_LABELS: Mapping[str, Mapping[str, str]] = {
    "action_type": {
        "label": "Label",
        "demote": "Shown lower (demoted)",
        "exclude_from_recommendations": "Not recommended",
        "restrict_interaction": "Replies and shares turned off",
        "remove_content": "Content removed",
        "suspend": "Account suspended",
        "terminate": "Account closed",
        "block_ads": "Advertising blocked",
        "block_monetisation": "Payments blocked",
    },
    "detection_source": {
        "automated": "Automated detection",
        "user_report": "User report",
        "trusted_flagger": "Trusted flagger",
        "government": "Government",
        "own_review": "Our own review",
    },
    "automated_decision": {"yes": "Yes", "no": "No (a person decided)"},
    "cause": {"appeal": "An appeal", "other": "Our own correction"},
    "applied": {
        "in_period": "In this period",
        "before_period": "Before this period",
        "not_in_log": "Not in the log read",
    },
    "filed": {"in_period": "In this period", "before_period": "Before this period"},
    "outcome": {
        "upheld": "Upheld (our decision stands)",
        "overturned": "Overturned (we reversed it)",
        "declined": "Declined",
        "granted": "Granted",
        "partially_granted": "Partly granted",
        "withdrawn": "Withdrawn",
    },
    "requester_kind": {"government": "Government", "political": "Political actor", "other": "Other"},
    "channel": {
        "legal_order": "Legal order",
        "informal": "Informal request",
        "via_employee": "Through one of our employees",
        "other": "Other",
    },
    "ask": {
        "create_account": "Create an account",
        "verify_account": "Verify an account",
        "conceal_affiliation": "Hide who runs an account",
        "remove_affiliation_label": "Remove an affiliation label",
        "demote_topic": "Show a topic lower",
        "boost_topic": "Show a topic higher",
        "remove_content": "Remove content",
        "access_data": "Hand over user data",
        "other": "Other",
    },
}

#: Every CSV column and what it holds (the README.md written next to the CSVs).
COLUMN_DOCS: Mapping[str, str] = {
    "policy": "policy id (the part of the clause before '#')",
    "clause": "the policy clause, as policy#clause",
    "action_type": "label, demote, exclude_from_recommendations, restrict_interaction, remove_content, suspend, "
    "terminate, block_ads or block_monetisation",
    "detection_source": "how the problem was found: automated, user_report, trusted_flagger, government, own_review",
    "automated_decision": "yes if the decision was fully automated, no if a person took it",
    "markets": "the action's market codes, sorted and joined with commas (GLOBAL = everywhere; EU; EEA; otherwise "
    "ISO 3166-1 alpha-2); each action is counted once under its whole list",
    "cause": "appeal if an appeal reversed the action, other otherwise",
    "applied": "when the reversed action had been applied: in_period, before_period, or not_in_log (its "
    "action.apply event was not among the events read)",
    "outcome": "appeals: upheld or overturned; requests: declined, granted, partially_granted or withdrawn",
    "filed": "when the appeal was filed: in_period or before_period",
    "requester_kind": "government, political or other",
    "country": "the requester's country (ISO 3166-1 alpha-2)",
    "legal_basis": f"the law the request cited, as recorded; '{NONE_STATED}' when it cited none",
    "channel": "legal_order, informal, via_employee or other",
    "ask": "what was asked: create_account, verify_account, conceal_affiliation, remove_affiliation_label, "
    "demote_topic, boost_topic, remove_content, access_data or other",
    "count": "how many (see the table's unit); exact, small numbers are not suppressed",
}

TAKEDOWN_COLUMNS: Mapping[str, str] = {
    "seq": "the audit event that records the takedown",
    "date": "the day it was carried out (UTC)",
    "case": "the case id",
    "cluster": "the network's cluster id in the scan",
    "scan": "fingerprint of the scan that found the network",
    "origin": "where we assess the operation came from ('unattributed' when we do not say)",
    "targets": "countries targeted (ISO codes joined with ';')",
    "accounts": "accounts acted on",
    "excepted": "accounts of the network deliberately not acted on",
    "followers": "followers of the accounts acted on (empty when unknown)",
    "detection_source": "how the network was found",
    "techniques": "DISARM technique ids joined with ';'",
    "technique_names": "their DISARM names joined with ';' (empty for ids not in the shipped framework)",
    "policy": "the policy clause enforced, as policy#clause",
    "actions": "actions recorded for the takedown",
}


def _label(dimension: str, value: str) -> str:
    if value == NOT_RECORDED:
        return "Not recorded"
    known = VALUE_LABELS.get(dimension, {}).get(value)
    if known:
        return known
    if dimension == "markets":
        return ", ".join(_place(code) for code in value.split(","))
    if dimension == "country":
        return _place(value)
    return value


def _place(code: str) -> str:
    if code == markets.GLOBAL:
        return "Everywhere"
    if code in markets.REGIONS:
        return markets.REGIONS[code]
    try:
        return f"{markets.name(code)} ({code})"
    except ValueError:
        return code


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _number(n: int | float | None) -> str:
    if n is None:
        return "unknown"
    return f"{n:,}" if isinstance(n, int) else f"{n:,.1f}"


@dataclass(frozen=True)
class TableView:
    """One table as a page shows it."""

    id: str
    caption: str
    unit: str
    columns: list[str]
    #: Whether each column holds numbers (right-aligned).
    numeric: list[bool]
    rows: list[list[str]]
    total: str | None = None


@dataclass(frozen=True)
class Section:
    """One section of the page: paragraphs, labelled figures, tables, and a list."""

    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)
    tables: list[TableView] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


def _view(table: Table) -> TableView:
    return TableView(
        id=table.id,
        caption=table.title,
        unit=f"Each count is {table.description}.",
        columns=[COLUMN_LABELS.get(d, d) for d in table.dimensions] + ["Count"],
        numeric=[False] * len(table.dimensions) + [True],
        rows=[[_label(d, cell.key[d]) for d in table.dimensions] + [_number(cell.count)] for cell in table.cells],
        total=_number(table.total),
    )


def _nothing(what: str) -> str:
    return f"There were no {what} in this period."


def sections(report: TransparencyReport) -> list[Section]:
    """The page's sections, in reading order (shared by the Markdown and HTML pages)."""
    a, r = report.appeals, report.requests
    audit = report.audit
    out = [
        Section(
            id="method",
            title="How this report is made",
            paragraphs=list(report.method),
            figures=[
                ("Period", f"{_day(report.period_start)} to {_day(report.period_end)}"),
                (
                    "Audit events read",
                    "none"
                    if audit.first_seq is None
                    else f"{audit.first_seq} to {audit.last_seq} ({_number(audit.events_read)} events)",
                ),
                ("Chain hash of the last event", audit.last_hash or "not given"),
            ],
        ),
        Section(
            id="summary",
            title="In short",
            figures=[
                ("Actions applied", _number(report.actions.total)),
                ("Actions reversed", _number(report.reversals.total)),
                ("Appeals filed", _number(a.filed)),
                ("Appeals decided", _number(a.decided)),
                ("Requests received (governments and others)", _number(r.received)),
                ("Requests decided", _number(r.decided)),
                ("Influence operations taken down", _number(len(report.takedowns))),
                ("Completeness check", "passed" if report.completeness.passed else "FAILED"),
            ],
        ),
        Section(
            id="actions",
            title="Actions we took",
            paragraphs=[
                "Each action applied in the period is counted once in every table below. The last table shows "
                "every combination; the others add it up one way at a time, so each adds up to the same total."
            ]
            + ([] if report.actions.cells else [_nothing("actions")]),
            tables=[_view(t) for t in [*report.action_breakdowns, report.actions]] if report.actions.cells else [],
        ),
        Section(
            id="reversals",
            title="Actions we reversed",
            paragraphs=["A reversal is counted in the period it happened, even when the action was applied earlier."]
            + ([] if report.reversals.cells else [_nothing("reversals")]),
            tables=[_view(t) for t in [*report.reversal_breakdowns, report.reversals]]
            if report.reversals.cells
            else [],
        ),
        Section(
            id="appeals",
            title="Appeals",
            figures=[
                ("Appeals filed in the period", _number(a.filed)),
                ("Appeals decided in the period", _number(a.decided)),
                ("… of which our decision stands (upheld)", _number(a.upheld)),
                ("… of which we reversed our decision (overturned)", _number(a.overturned)),
                ("… of which were filed before the period", _number(a.decided_filed_before_period)),
                ("Appeals still open at the end of the period", _number(a.pending_at_end)),
                (
                    "Median time from appeal to decision",
                    "no appeal decided" if a.median_days_to_decide is None else f"{a.median_days_to_decide:.1f} days",
                ),
            ],
            tables=[_view(report.appeals_decided)] if report.appeals_decided.cells else [],
        ),
        Section(
            id="requests",
            title="Requests from governments and others",
            paragraphs=(
                [
                    f"{r.conflicted} of the {r.decided} requests decided in the period asked for something our "
                    "policies forbid; the table of policy clauses says which."
                ]
                if r.decided
                else []
            )
            + ([] if r.received or r.decided else [_nothing("requests")]),
            figures=[
                ("Requests received", _number(r.received)),
                ("… of which from governments", _number(r.government_received)),
                ("Requests decided", _number(r.decided)),
                ("… of which from governments", _number(r.government_decided)),
                ("Decided requests that conflicted with our policies", _number(r.conflicted)),
                ("Requests still open at the end of the period", _number(r.pending_at_end)),
            ],
            tables=[
                _view(t)
                for t in (
                    report.government_requests,
                    report.requests_decided,
                    report.requests_received,
                    report.request_asks,
                    report.request_conflicts,
                )
                if t.cells
            ],
        ),
        Section(
            id="takedowns",
            title="Influence operations we took down",
            paragraphs=[
                "One row per operation. The accounts we acted on are also counted in the actions tables above."
                if report.takedowns
                else _nothing("takedowns"),
                report.disarm_attribution,
            ],
            tables=[_takedown_view(report)] if report.takedowns else [],
        ),
    ]
    if report.notes:
        out.append(Section(id="notes", title="Notes on the data", items=list(report.notes)))
    c = report.completeness
    out.append(
        Section(
            id="completeness",
            title="Completeness check",
            paragraphs=[
                "The check passed: nothing in the audit log for this period is left out or counted twice."
                if c.passed
                else "The check FAILED: the problems below mean this report does not count everything in the log."
            ],
            items=[*c.checked, *(f"Problem: {p}" for p in c.problems)],
        )
    )
    return out


def _takedown_view(report: TransparencyReport) -> TableView:
    rows = [
        [
            _day(t.date),
            t.origin,
            ", ".join(_place(code) for code in t.targets) or "Not recorded",
            _number(t.accounts),
            _number(t.excepted),
            _number(t.followers),
            _label("detection_source", t.detection_source),
            "; ".join(f"{x.id} {x.name}".strip() for x in t.techniques) or "none recorded",
            t.policy,
        ]
        for t in report.takedowns
    ]
    return TableView(
        id="takedowns",
        caption="Influence-operation takedowns",
        unit="Each row is one operation taken down in the period.",
        columns=[
            "Date",
            "Assessed origin",
            "Countries targeted",
            "Accounts acted on",
            "Accounts left alone",
            "Followers",
            "How it was found",
            "DISARM techniques",
            "Policy clause",
        ],
        numeric=[False, False, False, True, True, True, False, False, False],
        rows=rows,
    )


_MD_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "*": "\\*",
        "_": "\\_",
        "`": "\\`",
        "[": "\\[",
        "]": "\\]",
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
    }
)


def _md(value: str) -> str:
    # Recorded text (an origin, a legal basis) must read as text: no markup, no HTML a Markdown renderer would pass
    # through, and a table cell must stay one cell (pipes split it, newlines end the row).
    return " ".join(value.translate(_MD_ESCAPES).split())


def to_markdown(report: TransparencyReport) -> str:
    """The report as a Markdown page."""
    lines = [f"# Transparency report, {_day(report.period_start)} to {_day(report.period_end)}", ""]
    for section in sections(report):
        lines += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [_md(paragraph), ""]
        if section.figures:
            lines += ["| Figure | Value |", "|---|---|"]
            lines += [f"| {_md(name)} | {_md(value)} |" for name, value in section.figures]
            lines.append("")
        for view in section.tables:
            lines += [f"**{_md(view.caption)}.** {_md(view.unit)}", ""]
            lines.append("| " + " | ".join(_md(c) for c in view.columns) + " |")
            lines.append("|" + "|".join("---:" if n else "---" for n in view.numeric) + "|")
            lines += ["| " + " | ".join(_md(v) for v in row) + " |" for row in view.rows]
            if view.total is not None:
                pad = ["**Total**", *([""] * (len(view.columns) - 2)), f"**{view.total}**"]
                lines.append("| " + " | ".join(pad) + " |")
            lines.append("")
        lines += [f"- {_md(item)}" for item in section.items]
        if section.items:
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_html(report: TransparencyReport) -> str:
    """The report as one self-contained HTML page (autoescaped, inline CSS, no JavaScript)."""
    env = Environment(
        loader=FileSystemLoader(str(_HERE / "templates")),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    title = f"Transparency report, {_day(report.period_start)} to {_day(report.period_end)}"
    return env.get_template("report.html.j2").render(title=title, sections=sections(report))


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_csvs(report: TransparencyReport, folder: str | Path) -> list[Path]:
    """One CSV per table (machine values, a ``count`` column), ``takedowns.csv``, ``summary.csv`` and a README.md
    documenting every column. Returns the paths written."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    readme = [
        f"# Transparency report {report.period_start} to {report.period_end}: CSV files",
        "",
        "Every file is UTF-8 CSV with a header row. Counts are exact; small numbers are not suppressed.",
        "",
    ]
    for table in report.tables():
        rows = [[cell.key[d] for d in table.dimensions] + [str(cell.count)] for cell in table.cells]
        written.append(_csv(root / f"{table.id}.csv", [*table.dimensions, "count"], rows))
        readme += [f"## {table.id}.csv: {table.title}", "", f"One count is {table.description}.", ""]
        readme += [f"- `{c}`: {COLUMN_DOCS[c]}" for c in [*table.dimensions, "count"]]
        readme.append("")
    takedowns = [
        [
            str(t.seq),
            t.date.isoformat(),
            t.case,
            t.cluster,
            t.scan,
            t.origin,
            ";".join(t.targets),
            "" if t.accounts is None else str(t.accounts),
            "" if t.excepted is None else str(t.excepted),
            "" if t.followers is None else str(t.followers),
            t.detection_source,
            ";".join(x.id for x in t.techniques),
            ";".join(x.name for x in t.techniques),
            t.policy,
            str(t.actions),
        ]
        for t in report.takedowns
    ]
    written.append(_csv(root / "takedowns.csv", list(TAKEDOWN_COLUMNS), takedowns))
    readme += ["## takedowns.csv: influence-operation takedowns", "", "One row per takedown in the period.", ""]
    readme += [f"- `{c}`: {doc}" for c, doc in TAKEDOWN_COLUMNS.items()]
    readme += ["", report.disarm_attribution, ""]
    summary = [
        ["period", "start", report.period_start.isoformat()],
        ["period", "end", report.period_end.isoformat()],
        ["audit", "first_seq", _plain(report.audit.first_seq)],
        ["audit", "last_seq", _plain(report.audit.last_seq)],
        ["audit", "last_hash", _plain(report.audit.last_hash)],
        ["actions", "applied", str(report.actions.total)],
        ["actions", "reversed", str(report.reversals.total)],
        *(["appeals", k, _plain(v)] for k, v in report.appeals.model_dump().items()),
        *(["requests", k, _plain(v)] for k, v in report.requests.model_dump().items()),
        ["takedowns", "count", str(len(report.takedowns))],
        ["completeness", "passed", "yes" if report.completeness.passed else "no"],
    ]
    written.append(_csv(root / "summary.csv", ["section", "measure", "value"], summary))
    readme += [
        "## summary.csv: the headline figures",
        "",
        "- `section`: period, audit, actions, appeals, requests, takedowns or completeness",
        "- `measure`: the figure's name (as in the JSON report)",
        "- `value`: its value (empty when there is none, e.g. no median without decided appeals)",
        "",
    ]
    readme_path = root / "README.md"
    readme_path.write_text("\n".join(readme), encoding="utf-8")
    written.append(readme_path)
    return written


def _plain(value: object) -> str:
    return "" if value is None else str(value)


def write_all(report: TransparencyReport, folder: str | Path) -> list[Path]:
    """Everything in one folder: report.json, report.md, report.html and the CSVs with their README.md."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    pages = {
        "report.json": json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n",
        "report.md": to_markdown(report),
        "report.html": to_html(report),
    }
    written = []
    for name, content in pages.items():
        (root / name).write_text(content, encoding="utf-8")
        written.append(root / name)
    return written + write_csvs(report, root)
