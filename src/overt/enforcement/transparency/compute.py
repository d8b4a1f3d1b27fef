"""Compute a transparency report for a period from the audit log alone.

For the public, and for anyone auditing the platform: how many actions it took, under which policy, found how and
decided how, in which markets; what it reversed; how appeals went; which governments and others asked for what, and
what came of it; which influence operations it took down. Nothing is read from anywhere but the audit events, and
the completeness check (:mod:`overt.enforcement.transparency.check`) proves every action in the log is counted.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from overt.disarm import ATTRIBUTION, techniques
from overt.enforcement.transparency import events as ev
from overt.enforcement.transparency.check import run_check
from overt.enforcement.transparency.events import NOT_RECORDED, Event, TransparencyError
from overt.enforcement.transparency.model import (
    AppealFigures,
    AuditRange,
    Completeness,
    RequestFigures,
    Table,
    Takedown,
    TechniqueRef,
    TransparencyReport,
)


def compute(events: Iterable[Mapping[str, Any]], start: date, end: date) -> TransparencyReport:
    """The report for ``start`` to ``end`` (inclusive, UTC dates) from the audit events (dicts as the log holds
    them; any order, any kinds). The completeness check runs on the result and its outcome is part of the report."""
    if start > end:
        raise TransparencyError(f"the period starts ({start}) after it ends ({end})")
    log = ev.read_events(events)
    in_period = [e for e in log if e.kind in ev.COUNTED_KINDS and e.within(start, end)]
    notes: list[str] = []

    applies = [e for e in in_period if e.kind == "action.apply"]
    actions = Table.tally(
        id="actions",
        title="Actions applied, by every characteristic",
        description="one action applied in the period",
        dimensions=ev.ACTION_DIMENSIONS,
        keys=(ev.action_key(e.payload) for e in applies),
    )
    action_breakdowns = [
        actions.marginal(d, id=f"actions_by_{d}", title=title) for d, title in ev.ACTION_BREAKDOWNS.items()
    ]
    notes += _unrecorded_notes(applies, "action applied", ev.ACTION_DIMENSIONS, ev.action_key)
    notes += _duplicate_notes(applies)

    reverses = [e for e in in_period if e.kind == "action.reverse"]
    reversals = Table.tally(
        id="reversals",
        title="Actions reversed",
        description="one action reversed in the period, whenever it had been applied",
        dimensions=ev.REVERSAL_DIMENSIONS,
        keys=ev.reversal_keys(log, start, end),
    )
    reversal_breakdowns = [
        reversals.marginal(d, id=f"reversals_by_{d}", title=title) for d, title in ev.REVERSAL_BREAKDOWNS.items()
    ]
    notes += _unrecorded_notes(
        reverses, "reversal", ev.REVERSAL_DIMENSIONS[:4], lambda payload: ev.reversal_key(payload, "")
    )

    appeals, appeals_decided = _appeals(log, in_period, start, end)
    requests, tables = _requests(log, in_period, end)
    takedowns, unknown = _takedowns(in_period)
    if unknown:
        notes.append(
            "These DISARM technique ids named in takedowns are not in the framework version we ship, so their "
            f"names are not shown: {', '.join(sorted(unknown))}."
        )

    audit = _audit_range(log)
    if audit.missing_seqs:
        notes.append(
            f"{audit.missing_seqs} sequence numbers between {audit.first_seq} and {audit.last_seq} were not in the "
            "events read: the report can only count what it was given."
        )
    if audit.skipped:
        kinds = ", ".join(f"{kind} ({n})" for kind, n in sorted(audit.skipped.items()))
        notes.append(f"Events of kinds this report does not count were read and skipped: {kinds}.")

    report = TransparencyReport(
        period_start=start,
        period_end=end,
        audit=audit,
        actions=actions,
        action_breakdowns=action_breakdowns,
        reversals=reversals,
        reversal_breakdowns=reversal_breakdowns,
        appeals=appeals,
        appeals_decided=appeals_decided,
        requests=requests,
        requests_received=tables[0],
        requests_decided=tables[1],
        government_requests=tables[2],
        request_asks=tables[3],
        request_conflicts=tables[4],
        takedowns=takedowns,
        method=method(start, end, audit),
        notes=notes,
        completeness=Completeness(passed=False, checked=[], problems=["not checked yet"]),
        disarm_attribution=ATTRIBUTION,
    )
    checked, problems = run_check(report, log)
    report.completeness = Completeness(passed=not problems, checked=checked, problems=problems)
    return report


def _unrecorded_notes(
    found: list[Event], what: str, dimensions: tuple[str, ...], key: Callable[[Mapping[str, Any]], tuple[str, ...]]
) -> list[str]:
    missing: Counter[str] = Counter()
    for e in found:
        for name, value in zip(dimensions, key(e.payload), strict=False):
            if value == NOT_RECORDED:
                missing[name] += 1
    return [
        f"{n} {what}{'s' if n != 1 else ''} in the period did not record its {name.replace('_', ' ')}: "
        f"{'they are' if n != 1 else 'it is'} counted under “{NOT_RECORDED}”."
        for name, n in sorted(missing.items())
    ]


def _duplicate_notes(applies: list[Event]) -> list[str]:
    seen: dict[str, list[int]] = {}
    for e in applies:
        seen.setdefault(ev.text(e.payload, "action", ""), []).append(e.seq)
    return [
        f"Action {action} was applied more than once in the period (events {', '.join(map(str, seqs))}); "
        "each application is counted."
        for action, seqs in sorted(seen.items())
        if action and len(seqs) > 1
    ]


def _appeals(log: list[Event], in_period: list[Event], start: date, end: date) -> tuple[AppealFigures, Table]:
    filings = ev.appeal_filings(log)
    decides = [e for e in in_period if e.kind == "appeal.decide"]
    placed = [(e, ev.appeal_filing(e, filings, start)) for e in decides]
    table = Table.tally(
        id="appeals_decided",
        title="Appeals decided",
        description="one appeal decided in the period",
        dimensions=ev.APPEAL_DIMENSIONS,
        keys=((ev.text(e.payload, "outcome"), p.filed or NOT_RECORDED) for e, p in placed),
    )
    days = []
    for e, p in placed:
        decided_at = ev.parse_time(e.payload.get("decided_at")) or e.at
        if p.filed_at is not None and decided_at is not None:
            days.append((decided_at - p.filed_at).total_seconds() / 86400)
    decided_by_end = {ev.text(e.payload, "appeal") for e in log if e.kind == "appeal.decide" and e.day <= end}
    outcomes = Counter(ev.text(e.payload, "outcome") for e in decides)
    figures = AppealFigures(
        filed=sum(1 for e in in_period if e.kind == "appeal.file"),
        decided=len(decides),
        upheld=outcomes["upheld"],
        overturned=outcomes["overturned"],
        decided_filed_before_period=sum(1 for _, p in placed if p.filed == "before_period"),
        pending_at_end=sum(1 for appeal, e in filings.items() if e.day <= end and appeal not in decided_by_end),
        median_days_to_decide=round(statistics.median(days), 1) if days else None,
    )
    return figures, table


def _requests(log: list[Event], in_period: list[Event], end: date) -> tuple[RequestFigures, list[Table]]:
    received = [e for e in in_period if e.kind == "request.receive"]
    decided = [e for e in in_period if e.kind == "request.decide"]
    tables = [
        Table.tally(
            id="requests_received",
            title="Requests received",
            description="one request received in the period",
            dimensions=ev.REQUEST_RECEIVED_DIMENSIONS,
            keys=(ev.request_received_key(e.payload) for e in received),
        ),
        Table.tally(
            id="requests_decided",
            title="Requests decided, by outcome",
            description="one request decided in the period",
            dimensions=ev.REQUEST_DECIDED_DIMENSIONS,
            keys=(ev.request_decided_key(e.payload) for e in decided),
        ),
        Table.tally(
            id="government_requests",
            title="Government requests decided, by outcome",
            description="one request from a government body decided in the period",
            dimensions=ev.GOVERNMENT_DIMENSIONS,
            keys=(ev.government_key(e.payload) for e in decided if ev.is_government(e.payload)),
        ),
        Table.tally(
            id="request_asks",
            title="What decided requests asked for",
            description="one thing asked in a request decided in the period (a request asking two things counts twice)",
            dimensions=ev.ASK_DIMENSIONS,
            keys=(key for e in decided for key in ev.ask_keys(e.payload)),
        ),
        Table.tally(
            id="request_conflicts",
            title="Policy clauses decided requests conflicted with",
            description="one policy clause a request decided in the period asked us to act against (a request "
            "conflicting with two clauses counts under each)",
            dimensions=ev.CONFLICT_DIMENSIONS,
            keys=(key for e in decided for key in ev.conflict_keys(e.payload)),
        ),
    ]
    decided_by_end = {ev.text(e.payload, "case") for e in log if e.kind == "request.decide" and e.day <= end}
    open_cases = {
        ev.text(e.payload, "case") for e in log if e.kind == "request.receive" and e.day <= end
    } - decided_by_end
    figures = RequestFigures(
        received=len(received),
        decided=len(decided),
        conflicted=sum(1 for e in decided if ev.conflict_clauses(e.payload)),
        government_received=sum(1 for e in received if ev.is_government(e.payload)),
        government_decided=sum(1 for e in decided if ev.is_government(e.payload)),
        pending_at_end=len(open_cases),
    )
    return figures, tables


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _takedowns(in_period: list[Event]) -> tuple[list[Takedown], set[str]]:
    known = techniques()
    unknown: set[str] = set()
    rows = []
    for e in in_period:
        if e.kind != "takedown.execute":
            continue
        p = e.payload
        ids = [t.strip() for t in p.get("techniques") or [] if isinstance(t, str) and t.strip()]
        unknown.update(t for t in ids if t not in known)
        actions = p.get("actions")
        rows.append(
            Takedown(
                seq=e.seq,
                date=e.day,
                case=ev.text(p, "case"),
                cluster=ev.text(p, "cluster"),
                scan=ev.text(p, "scan"),
                origin=ev.text(p, "origin"),
                targets=ev.codes(p, "targets"),
                accounts=_count(p.get("accounts")),
                excepted=_count(p.get("excepted")),
                followers=_count(p.get("followers")),
                detection_source=ev.text(p, "detection_source"),
                techniques=[TechniqueRef(id=t, name=known[t].name if t in known else "") for t in ids],
                policy=ev.text(p, "policy"),
                actions=len(actions) if isinstance(actions, list) else 0,
            )
        )
    return rows, unknown


def _audit_range(log: list[Event]) -> AuditRange:
    if not log:
        return AuditRange(first_seq=None, last_seq=None, last_hash=None, events_read=0, missing_seqs=0, skipped={})
    first, last = log[0].seq, log[-1].seq
    distinct = len({e.seq for e in log})
    skipped = Counter(e.kind or "(no kind)" for e in log if e.kind not in ev.COUNTED_KINDS)
    return AuditRange(
        first_seq=first,
        last_seq=last,
        last_hash=log[-1].hash,
        events_read=len(log),
        missing_seqs=(last - first + 1) - distinct,
        skipped=dict(sorted(skipped.items())),
    )


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def method(start: date, end: date, audit: AuditRange) -> list[str]:
    """The method section, in plain words: what is counted, what is not, the period and the audit range."""
    if audit.first_seq is None:
        source = "Every number comes from our audit log. No audit events were given, so every count is zero."
    else:
        source = (
            "Every number comes from our audit log: the tamper-evident record that every enforcement change must "
            f"go through. This report read events {audit.first_seq} to {audit.last_seq}"
            + (f"; the chain hash of event {audit.last_seq} is {audit.last_hash}" if audit.last_hash else "")
            + ". You can compare this range with our published audit checkpoints."
        )
    return [
        f"This report covers {_day(start)} to {_day(end)}, both days included. Days are counted in UTC.",
        source,
        "An action counts in this period when it was applied in the period. Each action counts exactly once: under "
        "the policy clause it enforces, its type, how the problem was found, whether the decision was fully "
        "automated, and the markets where it applies. An action that applies in several markets is counted once "
        "under the list of them (for example “DE,FR”), not once per country, so that every table adds up to the "
        "same total. Actions in a network takedown are counted here too, once per account and type of action.",
        "A reversal counts in the period in which the action was reversed, whenever the action had been applied; "
        "the reversal tables say whether that was in this period or before it, and whether an appeal caused it.",
        "Appeals filed counts appeals filed in the period. Decided, upheld and overturned count decisions made in "
        "the period, including on appeals filed before it. “Upheld” means our decision stands; “overturned” means "
        "we reversed it. The median time to decide is measured from filing to decision, in days, over the appeals "
        "decided in the period.",
        "Requests are asks from governments, political actors and others to act on accounts or content outside "
        "ordinary reporting, including informal asks and asks made through our employees. Every one is recorded "
        "and needs two sign-offs before it is decided. Received counts requests received in the period; the "
        "outcome tables count requests decided in it. A request that cited no law is shown as “none stated”.",
        "Takedowns lists, one row per operation, each influence-operation network we took down in the period: "
        "where we assess it came from, the countries it targeted, how many accounts we acted on and how many we "
        "left alone, their followers, how we found it, and the DISARM techniques it used.",
        "Counts are exact. We do not hide, round or group small numbers.",
        "Not counted: decisions to take no action, notices to users, case work and internal comments, and anything "
        "before or after the period (except reversals and appeal decisions concerning earlier actions, as said "
        "above). Neither the audit log nor this report contains personal data.",
        "A completeness check reads the audit log again and proves that every action applied in the period is in "
        "exactly one cell of the main actions table, that every breakdown adds up to the same total, that every "
        "reversal, appeal decision, request and takedown in the period is counted once, and that every appeal "
        "decided in the period was filed in it or before it. Its result is printed at the end.",
    ]
