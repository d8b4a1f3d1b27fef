"""Transparency reports from a hand-made audit log with known answers, and the completeness check that must catch a
doctored report."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from overt.enforcement.transparency import (
    NONE_STATED,
    NOT_RECORDED,
    Cell,
    TransparencyError,
    TransparencyReport,
    check_completeness,
    compute,
)

LOG = Path(__file__).parent / "fixtures" / "transparency" / "events.json"
START, END = date(2025, 7, 1), date(2025, 9, 30)


def _events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = json.loads(LOG.read_text(encoding="utf-8"))
    return events


@pytest.fixture(scope="module")
def report() -> TransparencyReport:
    return compute(_events(), START, END)


def _counts(report: TransparencyReport, table_id: str) -> dict[str, int]:
    table = next(t for t in report.tables() if t.id == table_id)
    assert len(table.dimensions) == 1
    return {cell.key[table.dimensions[0]]: cell.count for cell in table.cells}


def _doctored(report: TransparencyReport) -> TransparencyReport:
    return TransparencyReport.from_json(copy.deepcopy(report.to_json()))


# --- known answers ---------------------------------------------------------------------------------------------


def test_actions_in_the_period_by_utc_date(report: TransparencyReport) -> None:
    # a-1..a-7: a-edge (1 July 00:30 at +02:00 = 30 June UTC) and a-8 (1 October) are outside; a-0 is June.
    assert report.actions.total == 7
    assert _counts(report, "actions_by_policy") == {"cib": 4, "state-media": 3}
    assert _counts(report, "actions_by_clause") == {
        "cib#fake-accounts": 4,
        "state-media#label": 2,
        "state-media#demote-abroad": 1,
    }
    assert _counts(report, "actions_by_action_type") == {
        "label": 2,
        "suspend": 2,
        "demote": 1,
        "remove_content": 1,
        "terminate": 1,
    }
    assert _counts(report, "actions_by_detection_source") == {
        "automated": 4,
        "government": 1,
        "trusted_flagger": 1,
        "user_report": 1,
    }
    assert _counts(report, "actions_by_automated_decision") == {"no": 5, "yes": 2}
    # Markets are one key per action, whatever order they were written in (a-1 said FR,DE; a-2 DE,FR).
    assert _counts(report, "actions_by_markets") == {"GLOBAL": 3, "DE,FR": 2, "DE": 1, "EU": 1}


def test_main_table_cells(report: TransparencyReport) -> None:
    cells = {tuple(c.key.values()): c.count for c in report.actions.cells}
    assert cells[("cib", "cib#fake-accounts", "suspend", "automated", "no", "DE,FR")] == 2
    assert cells[("state-media", "state-media#label", "label", "automated", "yes", "GLOBAL")] == 2
    assert len(cells) == 5
    assert report.actions.dimensions == [
        "policy",
        "clause",
        "action_type",
        "detection_source",
        "automated_decision",
        "markets",
    ]


def test_every_breakdown_adds_up_to_the_total(report: TransparencyReport) -> None:
    assert len(report.action_breakdowns) == 6
    for table in report.action_breakdowns:
        assert table.total == report.actions.total, table.id
    for table in report.reversal_breakdowns:
        assert table.total == report.reversals.total, table.id


def test_reversals_counted_when_reversed_whenever_applied(report: TransparencyReport) -> None:
    assert report.reversals.total == 2
    rows = {(c.key["action_type"], c.key["cause"], c.key["applied"]): c.count for c in report.reversals.cells}
    # a-0 was applied in June and reversed in August on appeal; a-3 applied and reversed in the period.
    assert rows == {("label", "appeal", "before_period"): 1, ("terminate", "other", "in_period"): 1}
    assert any("whenever the action had been applied" in line for line in report.method)


def test_appeals(report: TransparencyReport) -> None:
    a = report.appeals
    assert (a.filed, a.decided, a.upheld, a.overturned) == (2, 3, 2, 1)
    # ap-1 (file event in June) and ap-0 (no file event; filed 1 May per its decision) were filed before.
    assert a.decided_filed_before_period == 2
    assert a.pending_at_end == 1  # ap-3: decided on 2 October
    assert a.median_days_to_decide == 42.0  # of 80, 42 and 10 days
    cells = {(c.key["outcome"], c.key["filed"]): c.count for c in report.appeals_decided.cells}
    assert cells == {("overturned", "before_period"): 1, ("upheld", "before_period"): 1, ("upheld", "in_period"): 1}


def test_requests(report: TransparencyReport) -> None:
    r = report.requests
    assert (r.received, r.decided, r.conflicted, r.pending_at_end) == (3, 2, 1, 1)
    assert (r.government_received, r.government_decided) == (2, 2)
    received = {
        (c.key["requester_kind"], c.key["country"], c.key["legal_basis"]) for c in report.requests_received.cells
    }
    # A null legal basis and an empty one both read "none stated".
    assert received == {
        ("government", "BR", NONE_STATED),
        ("government", "DE", "NetzDG § 3 | court order"),
        ("political", "US", NONE_STATED),
    }
    assert {(c.key["country"], c.key["outcome"]) for c in report.government_requests.cells} == {
        ("BR", "declined"),
        ("DE", "granted"),
    }
    assert [(c.key["clause"], c.count) for c in report.request_conflicts.cells] == [("cib#concealed-affiliation", 1)]
    assert report.request_asks.total == 3  # r-1 asked two things, r-2 one


def test_takedowns(report: TransparencyReport) -> None:
    (t,) = report.takedowns
    assert (t.seq, t.date, t.origin.startswith("Russia"), t.targets) == (25, date(2025, 9, 10), True, ["DE", "FR"])
    assert (t.accounts, t.excepted, t.followers, t.actions, t.policy) == (2, 1, 1234, 2, "cib#fake-accounts")
    assert [(x.id, x.name) for x in t.techniques] == [
        ("T0049", "Flood Information Space"),
        ("T0143.002", "Fabricated Persona"),
        ("T9999", ""),
    ]
    assert any("T9999" in note for note in report.notes)
    assert "CC BY-SA" in report.disarm_attribution


def test_audit_range_and_skipped_kinds(report: TransparencyReport) -> None:
    assert (report.audit.first_seq, report.audit.last_seq, report.audit.events_read) == (1, 28, 28)
    assert report.audit.last_hash == f"{28:064x}"
    assert report.audit.missing_seqs == 0
    assert report.audit.skipped == {"case.comment": 1, "decision.make": 1, "weird.kind": 1}
    assert any("events 1 to 28" in line and f"{28:064x}" in line for line in report.method)


def test_method_says_counts_are_exact(report: TransparencyReport) -> None:
    assert any("Counts are exact" in line for line in report.method)
    assert any("1 July 2025 to 30 September 2025" in line for line in report.method)


def test_json_round_trip(report: TransparencyReport) -> None:
    text = json.dumps(report.to_json())
    again = TransparencyReport.from_json(json.loads(text))
    assert again == report
    assert check_completeness(again, _events()) == []


def test_order_and_encoding_of_events_do_not_matter(report: TransparencyReport) -> None:
    events = _events()[::-1]
    for e in events:
        e["payload"] = json.dumps(e["payload"])  # as a reader may hand them over, still encoded
    assert compute(events, START, END).to_json() == report.to_json()


def test_unknown_kinds_are_ignored(report: TransparencyReport) -> None:
    events = _events()
    events += [
        {"seq": 29, "at": "2025-08-01T00:00:00Z", "action": "notice.create", "payload": {"case": "c-1"}},
        {"seq": 30, "at": "not a time", "action": "something.new", "payload": "not json"},
        {"seq": 31, "at": "2025-08-01T00:00:00Z", "payload": {}},
    ]
    other = compute(events, START, END)
    assert other.actions == report.actions
    assert other.completeness.passed
    assert other.audit.skipped == {
        "(no kind)": 1,
        "case.comment": 1,
        "decision.make": 1,
        "notice.create": 1,
        "something.new": 1,
        "weird.kind": 1,
    }


# --- completeness ----------------------------------------------------------------------------------------------


def test_completeness_passes(report: TransparencyReport) -> None:
    assert check_completeness(report, _events()) == []
    assert report.completeness.passed
    assert report.completeness.problems == []
    assert any("7 actions applied" in line and "exactly one" in line for line in report.completeness.checked)


def test_dropping_an_action_from_a_cell_fails(report: TransparencyReport) -> None:
    doctored = _doctored(report)
    cell = next(c for c in doctored.actions.cells if c.key["markets"] == "DE,FR")
    cell.count -= 1
    problems = check_completeness(doctored, _events())
    assert any(
        "actions: the cell" in p
        and "markets=DE,FR" in p
        and "counts 1, but the log has 2 actions in it (a-1 (event 5), a-2 (event 6)): 1 is not counted" in p
        for p in problems
    ), problems
    assert any("actions: the table adds up to 6, the log has 7 actions" in p for p in problems), problems
    # The breakdowns still say 7: they no longer match the main table.
    assert any("actions_by_policy: adds up to 7, but actions adds up to 6" in p for p in problems), problems


def test_a_cell_missing_altogether_fails(report: TransparencyReport) -> None:
    doctored = _doctored(report)
    doctored.actions.cells = [c for c in doctored.actions.cells if c.key["detection_source"] != "government"]
    problems = check_completeness(doctored, _events())
    assert any("counts 0, but the log has 1 action in it (a-7 (event 26))" in p for p in problems), problems


def test_moving_an_action_to_another_cell_fails(report: TransparencyReport) -> None:
    doctored = _doctored(report)
    source = next(c for c in doctored.actions.cells if c.key["markets"] == "DE,FR")
    source.count -= 1
    doctored.actions.cells.append(Cell(key={**source.key, "markets": "DE"}, count=1))
    problems = check_completeness(doctored, _events())
    assert any("markets=DE,FR counts 1" in p for p in problems), problems
    assert any("markets=DE counts 1, but the log has only 0 actions in it" in p for p in problems), problems


def test_counting_an_action_twice_fails(report: TransparencyReport) -> None:
    doctored = _doctored(report)
    doctored.actions.cells.append(doctored.actions.cells[0].model_copy(deep=True))
    problems = check_completeness(doctored, _events())
    assert any("appears more than once" in p for p in problems), problems


def test_a_breakdown_that_is_not_the_marginal_fails(report: TransparencyReport) -> None:
    doctored = _doctored(report)
    by_market = next(t for t in doctored.action_breakdowns if t.id == "actions_by_markets")
    by_market.cells[0].count += 1
    by_market.cells[1].count -= 1
    problems = check_completeness(doctored, _events())
    assert any(p.startswith("actions_by_markets: markets=GLOBAL counts 4, but actions has 3") for p in problems), (
        problems
    )
    doctored.action_breakdowns = [t for t in doctored.action_breakdowns if t.id != "actions_by_markets"]
    assert "actions: expected one breakdown by markets, found 0" in check_completeness(doctored, _events())


def test_doctored_reversals_requests_takedowns_fail(report: TransparencyReport) -> None:
    doctored = _doctored(report)
    doctored.reversals.cells = doctored.reversals.cells[:1]
    doctored.requests_decided.cells[0].count = 0
    doctored.takedowns = []
    doctored.appeals.overturned = 0
    problems = check_completeness(doctored, _events())
    assert any(p.startswith("reversals: the cell") for p in problems), problems
    assert any(p.startswith("requests_decided: the cell") and "r-1 (event 21)" in p for p in problems), problems
    assert "takedowns: events 25 are not in the report" in problems
    assert "appeals: overturned is 0, the log says 1" in problems


def test_a_different_log_fails(report: TransparencyReport) -> None:
    events = _events()
    events.append(
        {
            "seq": 29,
            "at": "2025-08-15T00:00:00Z",
            "action": "action.apply",
            "payload": {**events[4]["payload"], "action": "a-late"},
        }
    )
    problems = check_completeness(report, events)
    assert "the report says it read events 1 to 28, but the log given runs from 1 to 29" in problems
    assert any("a-late (event 29)" in p for p in problems), problems


def test_appeal_decided_without_a_filing_is_a_problem() -> None:
    events = [
        {
            "seq": 1,
            "at": "2025-07-10T00:00:00Z",
            "action": "appeal.decide",
            "payload": {"appeal": "ap-x", "outcome": "upheld", "filed_at": "2025-07-05T00:00:00Z"},
        }
    ]
    report = compute(events, START, END)
    assert not report.completeness.passed
    (problem,) = report.completeness.problems
    assert "appeal ap-x was decided (event 1) but the log read has no appeal.file event before it" in problem
    assert report.appeals_decided.cells[0].key == {"outcome": "upheld", "filed": NOT_RECORDED}


# --- messy input -----------------------------------------------------------------------------------------------


def test_missing_fields_are_counted_not_dropped() -> None:
    events = [{"seq": 7, "at": "2025-07-02T00:00:00", "action": "action.apply", "payload": {"action": "a-1"}}]
    report = compute(events, START, END)
    assert report.actions.total == 1
    assert report.actions.cells[0].key == dict.fromkeys(report.actions.dimensions, NOT_RECORDED)
    assert report.completeness.passed
    assert any("did not record its detection source" in note for note in report.notes)


def test_sequence_gaps_and_repeated_actions_are_noted() -> None:
    apply = {"action": "a-1", "type": "label", "enforces": "p#1", "markets": ["GLOBAL"]}
    events = [
        {"seq": 1, "at": "2025-07-02T00:00:00Z", "action": "action.apply", "payload": apply},
        {"seq": 4, "at": "2025-07-03T00:00:00Z", "action": "action.apply", "payload": apply},
    ]
    report = compute(events, START, END)
    assert report.actions.total == 2
    assert report.audit.missing_seqs == 2
    assert any("2 sequence numbers between 1 and 4" in note for note in report.notes)
    assert any("Action a-1 was applied more than once in the period (events 1, 4)" in note for note in report.notes)


def test_takedown_with_unknown_followers() -> None:
    events = [{"seq": 1, "at": "2025-07-02T00:00:00Z", "action": "takedown.execute", "payload": {"followers": None}}]
    (t,) = compute(events, START, END).takedowns
    assert (t.followers, t.accounts, t.origin, t.techniques, t.actions) == (None, None, NOT_RECORDED, [], 0)


def test_empty_log() -> None:
    report = compute([], START, END)
    assert report.actions.total == 0
    assert report.completeness.passed
    assert report.audit.first_seq is None
    assert report.appeals.median_days_to_decide is None


def test_errors() -> None:
    with pytest.raises(TransparencyError, match=r"starts .* after it ends"):
        compute([], END, START)
    with pytest.raises(TransparencyError, match=r"audit event 3 \(action\.apply\) has an unreadable time"):
        compute([{"seq": 3, "at": "yesterday", "action": "action.apply", "payload": {}}], START, END)
    with pytest.raises(TransparencyError, match="audit event #1 has no integer seq"):
        compute([{"at": "2025-07-02T00:00:00Z", "action": "action.apply"}], START, END)
    assert issubclass(TransparencyError, ValueError)
