"""The completeness check: proof, from the audit log, that a transparency report leaves nothing out.

It reads the log again, places every counted event in its cell independently of the report, and compares: every
action applied in the period must be in exactly one cell of the main actions table, every breakdown must be that
table's marginal and add up to the same total, and every reversal, appeal decision, request and takedown of the
period must be counted once. Run it on a freshly computed report (:func:`compute` does) or on a published one read
back from JSON, with the log it cites: any difference is a problem, said in words that name the cell and events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from overt.enforcement.transparency import events as ev
from overt.enforcement.transparency.events import Event
from overt.enforcement.transparency.model import Table, TransparencyReport


def check_completeness(report: TransparencyReport, events: Iterable[Mapping[str, Any]]) -> list[str]:
    """What is wrong with ``report`` as a complete count of ``events`` (the audit events it was computed from);
    empty when it is complete."""
    return run_check(report, ev.read_events(events))[1]


def run_check(report: TransparencyReport, log: list[Event]) -> tuple[list[str], list[str]]:
    """What was proved, and the problems found (:func:`check_completeness` on events already read)."""
    start, end = report.period_start, report.period_end
    in_period = [e for e in log if e.kind in ev.COUNTED_KINDS and e.within(start, end)]
    checked: list[str] = []
    problems: list[str] = []

    first = log[0].seq if log else None
    last = log[-1].seq if log else None
    if (report.audit.first_seq, report.audit.last_seq) != (first, last):
        problems.append(
            f"the report says it read events {report.audit.first_seq} to {report.audit.last_seq}, "
            f"but the log given runs from {first} to {last}"
        )

    applies = [e for e in in_period if e.kind == "action.apply"]
    cells_ok = _compare(
        report.actions,
        ev.ACTION_DIMENSIONS,
        [(ev.action_key(e.payload), _name(e, "action")) for e in applies],
        "action",
        problems,
    )
    before = len(problems)
    breakdowns = _marginals(report.actions, report.action_breakdowns, problems)
    if cells_ok and len(problems) == before:
        checked.append(
            f"{len(applies)} action{_s(applies)} applied in the period: each is in exactly one of the "
            f"{len(report.actions.cells)} cells of the actions table, and each of the {breakdowns} breakdowns adds "
            f"up to {report.actions.total}."
        )

    reverses = [e for e in in_period if e.kind == "action.reverse"]
    keys = ev.reversal_keys(log, start, end)
    reversals_ok = _compare(
        report.reversals,
        ev.REVERSAL_DIMENSIONS,
        list(zip(keys, (_name(e, "action") for e in reverses), strict=True)),
        "reversal",
        problems,
    )
    before = len(problems)
    _marginals(report.reversals, report.reversal_breakdowns, problems, tuple(ev.REVERSAL_BREAKDOWNS))
    if reversals_ok and len(problems) == before:
        checked.append(
            f"{len(reverses)} reversal{_s(reverses)} in the period: each counted once, and each breakdown adds up "
            f"to {report.reversals.total}."
        )

    filings = ev.appeal_filings(log)
    decides = [e for e in in_period if e.kind == "appeal.decide"]
    placed = [(e, ev.appeal_filing(e, filings, start)) for e in decides]
    problems += [p.problem for _, p in placed if p.problem]
    appeals_ok = _compare(
        report.appeals_decided,
        ev.APPEAL_DIMENSIONS,
        [((ev.text(e.payload, "outcome"), p.filed or ev.NOT_RECORDED), _name(e, "appeal")) for e, p in placed],
        "appeal decision",
        problems,
    )
    filed = sum(1 for e in in_period if e.kind == "appeal.file")
    outcomes = Counter(ev.text(e.payload, "outcome") for e in decides)
    filed_before = sum(1 for _, p in placed if p.filed == "before_period")
    appeals_ok &= _figures(
        "appeals",
        {
            "filed": (report.appeals.filed, filed),
            "decided": (report.appeals.decided, len(decides)),
            "upheld": (report.appeals.upheld, outcomes["upheld"]),
            "overturned": (report.appeals.overturned, outcomes["overturned"]),
            "decided_filed_before_period": (report.appeals.decided_filed_before_period, filed_before),
        },
        problems,
    )
    if appeals_ok and not any(p.problem for _, p in placed):
        checked.append(
            f"{len(decides)} appeal decision{_s(decides)} in the period: each counted once, and each appeal was "
            f"filed in the period or before it ({filed_before} before)."
        )

    received = [e for e in in_period if e.kind == "request.receive"]
    decided = [e for e in in_period if e.kind == "request.decide"]
    requests_ok = _compare(
        report.requests_received,
        ev.REQUEST_RECEIVED_DIMENSIONS,
        [(ev.request_received_key(e.payload), _name(e, "case")) for e in received],
        "request received",
        problems,
    )
    requests_ok &= _compare(
        report.requests_decided,
        ev.REQUEST_DECIDED_DIMENSIONS,
        [(ev.request_decided_key(e.payload), _name(e, "case")) for e in decided],
        "request decided",
        problems,
    )
    requests_ok &= _compare(
        report.government_requests,
        ev.GOVERNMENT_DIMENSIONS,
        [(ev.government_key(e.payload), _name(e, "case")) for e in decided if ev.is_government(e.payload)],
        "government request decided",
        problems,
    )
    requests_ok &= _compare(
        report.request_asks,
        ev.ASK_DIMENSIONS,
        [(key, _name(e, "case")) for e in decided for key in ev.ask_keys(e.payload)],
        "ask",
        problems,
    )
    requests_ok &= _compare(
        report.request_conflicts,
        ev.CONFLICT_DIMENSIONS,
        [(key, _name(e, "case")) for e in decided for key in ev.conflict_keys(e.payload)],
        "conflict",
        problems,
    )
    requests_ok &= _figures(
        "requests",
        {
            "received": (report.requests.received, len(received)),
            "decided": (report.requests.decided, len(decided)),
            "conflicted": (report.requests.conflicted, sum(1 for e in decided if ev.conflict_clauses(e.payload))),
        },
        problems,
    )
    if requests_ok:
        checked.append(
            f"{len(received)} request{_s(received)} received and {len(decided)} decided in the period: each "
            "counted once."
        )

    executed = [e.seq for e in in_period if e.kind == "takedown.execute"]
    listed = Counter(t.seq for t in report.takedowns)
    missing = [seq for seq in executed if seq not in listed]
    extra = sorted(seq for seq in listed if seq not in executed or listed[seq] > 1)
    if missing:
        problems.append(f"takedowns: events {', '.join(map(str, missing))} are not in the report")
    if extra:
        problems.append(
            f"takedowns: events {', '.join(map(str, extra))} are listed more than once, or are not takedowns of "
            "the period in the log"
        )
    if not missing and not extra:
        checked.append(f"{len(executed)} takedown{_s(executed)} in the period: each listed once.")
    return checked, problems


def _s(items: Sequence[object]) -> str:
    return "" if len(items) == 1 else "s"


# The plural of each kind of counted thing, for messages.
_PLURAL = {
    "request received": "requests received",
    "request decided": "requests decided",
    "government request decided": "government requests decided",
}


def _many(what: str, n: int) -> str:
    return what if n == 1 else _PLURAL.get(what, what + "s")


def _name(e: Event, field: str) -> str:
    return f"{ev.text(e.payload, field, '?')} (event {e.seq})"


def _describe(dimensions: Sequence[str], key: tuple[str, ...]) -> str:
    return ", ".join(f"{d}={v}" for d, v in zip(dimensions, key, strict=True))


def _compare(
    table: Table,
    dimensions: Sequence[str],
    expected: list[tuple[tuple[str, ...], str]],
    what: str,
    problems: list[str],
) -> bool:
    """Whether ``table`` counts exactly the events ``expected`` (their cell key and a name for messages)."""
    before = len(problems)
    if list(table.dimensions) != list(dimensions):
        problems.append(f"{table.id}: its columns are {table.dimensions}, expected {list(dimensions)}")
        return False
    counted: dict[tuple[str, ...], int] = {}
    for cell in table.cells:
        key = table.key_of(cell)
        if key in counted:
            problems.append(f"{table.id}: the cell {_describe(dimensions, key)} appears more than once")
        if cell.count < 0:
            problems.append(f"{table.id}: the cell {_describe(dimensions, key)} has a negative count ({cell.count})")
        counted[key] = counted.get(key, 0) + cell.count
    in_log: dict[tuple[str, ...], list[str]] = {}
    for key, name in expected:
        in_log.setdefault(key, []).append(name)
    for key in [*in_log, *(k for k in counted if k not in in_log)]:
        names = in_log.get(key, [])
        have = counted.get(key, 0)
        if have == len(names):
            continue
        where = _describe(dimensions, key)
        if have < len(names):
            problems.append(
                f"{table.id}: the cell {where} counts {have}, but the log has {len(names)} {_many(what, len(names))} "
                f"in it ({', '.join(names)}): "
                f"{len(names) - have} {'is' if len(names) - have == 1 else 'are'} not counted"
            )
        else:
            problems.append(
                f"{table.id}: the cell {where} counts {have}, but the log has only {len(names)} "
                f"{_many(what, len(names))} in it"
                + (f" ({', '.join(names)})" if names else "")
                + f": {have - len(names)} counted that the log does not hold"
            )
    if table.total != len(expected):
        problems.append(
            f"{table.id}: the table adds up to {table.total}, the log has {len(expected)} {_many(what, len(expected))}"
        )
    return len(problems) == before


def _marginals(main: Table, breakdowns: list[Table], problems: list[str], dimensions: Sequence[str] = ()) -> int:
    """Check that each of ``dimensions`` (default: every dimension of ``main``) has exactly one breakdown, and that
    each breakdown is ``main``'s marginal."""
    by_dimension: dict[str, list[Table]] = {}
    for table in breakdowns:
        if len(table.dimensions) != 1 or table.dimensions[0] not in main.dimensions:
            problems.append(
                f"{table.id}: a breakdown of {main.id} must have one of its columns, not {table.dimensions}"
            )
            continue
        by_dimension.setdefault(table.dimensions[0], []).append(table)
    required = dimensions or main.dimensions
    for dimension in [d for d in main.dimensions if d in by_dimension or d in required]:
        tables = by_dimension.get(dimension, [])
        if len(tables) != 1:
            problems.append(f"{main.id}: expected one breakdown by {dimension}, found {len(tables)}")
            continue
        table = tables[0]
        if table.total != main.total:
            problems.append(f"{table.id}: adds up to {table.total}, but {main.id} adds up to {main.total}")
        want: Counter[str] = Counter()
        for cell in main.cells:
            want[cell.key.get(dimension, "")] += cell.count
        have: Counter[str] = Counter()
        for cell in table.cells:
            have[cell.key.get(dimension, "")] += cell.count
        for value in sorted(set(want) | set(have)):
            if want[value] != have[value]:
                problems.append(
                    f"{table.id}: {dimension}={value} counts {have[value]}, but {main.id} has {want[value]} for it"
                )
    return len(breakdowns)


def _figures(section: str, pairs: Mapping[str, tuple[int, int]], problems: list[str]) -> bool:
    bad = [f"{section}: {name} is {have}, the log says {want}" for name, (have, want) in pairs.items() if have != want]
    problems += bad
    return not bad
