"""Reading audit events for a transparency report: one normalised :class:`Event` per event, and the table key of each.

The report is computed from the audit log alone, and its completeness check reads the same log again: both sides
place an event in a table through the functions here, so that "which cell does this action belong to" has exactly
one answer. Missing or malformed fields never drop an event: they are counted under :data:`NOT_RECORDED` (and the
report says how many), because an action that falls out of the report is the silent action the report exists to
rule out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from overt.errors import OvertError

#: The value counted when an event does not say (a missing field, or one of the wrong type).
NOT_RECORDED = "not recorded"
#: The legal basis of a request that cites none.
NONE_STATED = "none stated"

#: The event kinds a report counts; every other kind is read (for the audit range) and skipped.
COUNTED_KINDS = (
    "action.apply",
    "action.reverse",
    "appeal.file",
    "appeal.decide",
    "request.receive",
    "request.decide",
    "takedown.execute",
)

#: The main actions table: one cell per combination; every breakdown is a marginal of it.
ACTION_DIMENSIONS = ("policy", "clause", "action_type", "detection_source", "automated_decision", "markets")
#: Reversals: the action's policy, clause, type and markets; why it was reversed; when it had been applied.
REVERSAL_DIMENSIONS = ("policy", "clause", "action_type", "markets", "cause", "applied")
#: The breakdowns a report carries (marginals of the main table), with their titles: every dimension of the
#: actions table; three of the reversals table.
ACTION_BREAKDOWNS = {
    "policy": "Actions by policy",
    "clause": "Actions by policy clause",
    "action_type": "Actions by type of action",
    "detection_source": "Actions by how the problem was detected",
    "automated_decision": "Actions by whether the decision was fully automated",
    "markets": "Actions by market",
}
REVERSAL_BREAKDOWNS = {
    "action_type": "Reversals by type of action",
    "cause": "Reversals by cause",
    "applied": "Reversals by when the action had been applied",
}
APPEAL_DIMENSIONS = ("outcome", "filed")
REQUEST_RECEIVED_DIMENSIONS = ("requester_kind", "country", "legal_basis", "channel")
REQUEST_DECIDED_DIMENSIONS = ("requester_kind", "country", "legal_basis", "channel", "outcome")
GOVERNMENT_DIMENSIONS = REQUEST_DECIDED_DIMENSIONS[1:]


class TransparencyError(ValueError, OvertError):
    """An audit event the report cannot place (for example an action without a readable time)."""


@dataclass(frozen=True)
class Event:
    """One audit event as the report reads it."""

    seq: int
    kind: str
    #: The event's time in UTC; None only for kinds the report does not count and whose time is unreadable.
    at: datetime | None
    payload: Mapping[str, Any] = field(default_factory=dict)
    #: The event's chain hash, when the reader was given it.
    hash: str | None = None

    @property
    def day(self) -> date:
        """The UTC date the period is judged by."""
        if self.at is None:
            raise TransparencyError(f"audit event {self.seq} ({self.kind}) has no readable time")
        return self.at.date()

    def within(self, start: date, end: date) -> bool:
        return start <= self.day <= end


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time (or datetime) in UTC; naive times are taken as UTC, as the audit log writes UTC. None if
    unreadable."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _payload(raw: object) -> Mapping[str, Any]:
    # The log stores payloads as JSON; a reader may hand them over still encoded.
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, Mapping) else {}


def read_events(events: Iterable[Mapping[str, Any]]) -> list[Event]:
    """The events in log order (by seq). An event without an integer seq, or a counted event without a readable
    time, is an error naming it: the report cannot say where it belongs."""
    out: list[Event] = []
    for number, raw in enumerate(events, start=1):
        seq = raw.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise TransparencyError(f"audit event #{number} has no integer seq ({seq!r})")
        kind = raw.get("action")
        kind = kind if isinstance(kind, str) else ""
        at = parse_time(raw.get("at"))
        if at is None and kind in COUNTED_KINDS:
            raise TransparencyError(f"audit event {seq} ({kind}) has an unreadable time: {raw.get('at')!r}")
        digest = raw.get("hash")
        out.append(
            Event(
                seq=seq,
                kind=kind,
                at=at,
                payload=_payload(raw.get("payload")),
                hash=digest if isinstance(digest, str) else None,
            )
        )
    out.sort(key=lambda e: e.seq)
    return out


def text(payload: Mapping[str, Any], name: str, default: str = NOT_RECORDED) -> str:
    """A text field (ids written as integers read as their digits), or ``default`` when missing or empty."""
    value = payload.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) and value.strip() else default


def flag(payload: Mapping[str, Any], name: str) -> str:
    """A yes/no field as "yes", "no" or not recorded."""
    value = payload.get(name)
    return NOT_RECORDED if not isinstance(value, bool) else ("yes" if value else "no")


def codes(payload: Mapping[str, Any], name: str) -> list[str]:
    """A list of codes, upper-cased, deduplicated and sorted (the order a market list was written in means
    nothing)."""
    value = payload.get(name)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return []
    return sorted({v.strip().upper() for v in value if isinstance(v, str) and v.strip()})


def market_key(payload: Mapping[str, Any]) -> str:
    """An action's markets as one key: "GLOBAL", "DE,FR". One key per action keeps it in exactly one cell."""
    found = codes(payload, "markets")
    return ",".join(found) if found else NOT_RECORDED


def policy_of(clause: str) -> str:
    """The policy id of a "policy#clause" reference."""
    return clause.split("#", 1)[0] if clause != NOT_RECORDED else NOT_RECORDED


def action_key(payload: Mapping[str, Any]) -> tuple[str, ...]:
    """The cell of the main actions table an action.apply belongs to (in :data:`ACTION_DIMENSIONS` order)."""
    clause = text(payload, "enforces")
    return (
        policy_of(clause),
        clause,
        text(payload, "type"),
        text(payload, "detection_source"),
        flag(payload, "automated_decision"),
        market_key(payload),
    )


def reversal_key(payload: Mapping[str, Any], applied: str) -> tuple[str, ...]:
    """The cell of the reversals table (in :data:`REVERSAL_DIMENSIONS` order). ``applied`` says when the action
    had been applied: "in_period", "before_period" or "not_in_log"."""
    clause = text(payload, "enforces")
    cause = "appeal" if text(payload, "appeal", "") else "other"
    return (policy_of(clause), clause, text(payload, "type"), market_key(payload), cause, applied)


def legal_basis(payload: Mapping[str, Any]) -> str:
    return text(payload, "legal_basis", NONE_STATED)


def request_received_key(payload: Mapping[str, Any]) -> tuple[str, ...]:
    return (
        text(payload, "requester_kind"),
        text(payload, "country").upper(),
        legal_basis(payload),
        text(payload, "channel"),
    )


def request_decided_key(payload: Mapping[str, Any]) -> tuple[str, ...]:
    return (*request_received_key(payload), text(payload, "outcome"))


def is_government(payload: Mapping[str, Any]) -> bool:
    return text(payload, "requester_kind") == "government"


def government_key(payload: Mapping[str, Any]) -> tuple[str, ...]:
    return request_decided_key(payload)[1:]


@dataclass(frozen=True)
class AppealFiling:
    """Where an appeal decided in the period was filed, as far as the log read says."""

    #: "in_period", "before_period", or "" when the log cannot place it (a completeness problem).
    filed: str
    filed_at: datetime | None
    problem: str = ""


def appeal_filing(decide: Event, filings: Mapping[str, Event], start: date) -> AppealFiling:
    """Place the filing of the appeal ``decide`` decides: from its appeal.file event when the log has one, otherwise
    from the filing date the decision carries, which must then be before the period."""
    appeal = text(decide.payload, "appeal")
    stated = parse_time(decide.payload.get("filed_at"))
    filing = filings.get(appeal)
    if filing is not None and filing.seq < decide.seq:
        when = "before_period" if filing.day < start else "in_period"
        return AppealFiling(filed=when, filed_at=parse_time(filing.payload.get("filed_at")) or filing.at)
    if stated is not None and stated.date() < start:
        return AppealFiling(filed="before_period", filed_at=stated)
    return AppealFiling(
        filed="",
        filed_at=stated,
        problem=(
            f"appeal {appeal} was decided (event {decide.seq}) but the log read has no appeal.file event before it, "
            f"and its filing date ({decide.payload.get('filed_at')!r}) is not before the period"
        ),
    )


def reversal_keys(log: list[Event], start: date, end: date) -> list[tuple[str, ...]]:
    """The reversals-table key of each action.reverse in the period, in log order. When the action had been applied
    comes from its last action.apply before the reversal in the log read ("not_in_log" when there is none)."""
    applied: dict[str, Event] = {}
    keys = []
    for e in log:
        action = text(e.payload, "action", "")
        if e.kind == "action.apply" and action:
            applied[action] = e
        elif e.kind == "action.reverse" and e.within(start, end):
            apply = applied.get(action)
            when = "not_in_log" if apply is None else ("before_period" if apply.day < start else "in_period")
            keys.append(reversal_key(e.payload, when))
    return keys


def appeal_filings(log: list[Event]) -> dict[str, Event]:
    """The appeal.file event of each appeal in the log read (the first, if one was filed twice)."""
    out: dict[str, Event] = {}
    for e in log:
        if e.kind == "appeal.file":
            out.setdefault(text(e.payload, "appeal"), e)
    return out


def asks(payload: Mapping[str, Any]) -> list[str]:
    value = payload.get("asks")
    if not isinstance(value, list):
        return []
    return sorted({a.strip() for a in value if isinstance(a, str) and a.strip()})


def conflict_clauses(payload: Mapping[str, Any]) -> list[str]:
    """The policy clauses a request conflicts with, each once."""
    value = payload.get("conflicts")
    if not isinstance(value, list):
        return []
    return sorted({text(c, "policy") for c in value if isinstance(c, Mapping)})


ASK_DIMENSIONS = ("requester_kind", "ask", "outcome")
CONFLICT_DIMENSIONS = ("requester_kind", "clause", "outcome")


def ask_keys(payload: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """One key per thing a decided request asked for (one "not recorded" key when it lists none)."""
    who, outcome = text(payload, "requester_kind"), text(payload, "outcome")
    return [(who, ask, outcome) for ask in asks(payload) or [NOT_RECORDED]]


def conflict_keys(payload: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """One key per policy clause a decided request conflicted with."""
    who, outcome = text(payload, "requester_kind"), text(payload, "outcome")
    return [(who, clause, outcome) for clause in conflict_clauses(payload)]
