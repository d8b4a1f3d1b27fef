"""The transparency report as data: count tables, appeal and request figures, takedowns, method and check result.

Everything here is JSON-serialisable (:meth:`TransparencyReport.to_json`) and can be read back
(:meth:`TransparencyReport.from_json`), so anyone holding a published report and the audit log it cites can rerun
the completeness check (:func:`overt.enforcement.transparency.check_completeness`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

K = TypeVar("K", str, tuple[str, ...])


class Cell(BaseModel):
    """One cell of a count table: the value of each dimension, and how many events fall in it."""

    model_config = ConfigDict(extra="forbid")

    key: dict[str, str]
    count: int


class Table(BaseModel):
    """A count table: each counted event is in exactly one cell, so the cells sum to the table's total."""

    model_config = ConfigDict(extra="forbid")

    #: Short name, also the CSV file's stem.
    id: str
    title: str
    #: What one count is, in plain words.
    description: str
    dimensions: list[str]
    cells: list[Cell]

    @property
    def total(self) -> int:
        return sum(cell.count for cell in self.cells)

    def key_of(self, cell: Cell) -> tuple[str, ...]:
        return tuple(cell.key.get(d, "") for d in self.dimensions)

    def marginal(self, dimension: str, *, id: str, title: str) -> Table:
        """The table summed over every dimension but ``dimension`` (largest count first, then by value)."""
        sums: Counter[str] = Counter()
        for cell in self.cells:
            sums[cell.key[dimension]] += cell.count
        return Table(
            id=id,
            title=title,
            description=self.description,
            dimensions=[dimension],
            cells=[Cell(key={dimension: value}, count=n) for value, n in _ordered(sums)],
        )

    @classmethod
    def tally(
        cls, *, id: str, title: str, description: str, dimensions: Iterable[str], keys: Iterable[tuple[str, ...]]
    ) -> Table:
        """A table from one key per counted event."""
        names = list(dimensions)
        counts = Counter(keys)
        return cls(
            id=id,
            title=title,
            description=description,
            dimensions=names,
            cells=[Cell(key=dict(zip(names, key, strict=True)), count=n) for key, n in _ordered(counts)],
        )


def _ordered(counts: Mapping[K, int]) -> list[tuple[K, int]]:
    # Largest first reads best on a page; ties by value keep the output stable from run to run.
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


class AuditRange(BaseModel):
    """Which audit events the report read, so that a reader can tie it to a published checkpoint."""

    model_config = ConfigDict(extra="forbid")

    first_seq: int | None
    last_seq: int | None
    #: The chain hash of the last event read, when the events carried their hashes.
    last_hash: str | None
    events_read: int
    #: Sequence numbers missing between the first and the last (0 when the whole range was read).
    missing_seqs: int
    #: Events of kinds the report does not count, by kind (read and skipped).
    skipped: dict[str, int]


class AppealFigures(BaseModel):
    """Appeals in the period."""

    model_config = ConfigDict(extra="forbid")

    filed: int
    decided: int
    upheld: int
    overturned: int
    #: Decided in the period but filed before it.
    decided_filed_before_period: int
    #: Filed by the end of the period (in the log read) and not decided by then.
    pending_at_end: int
    #: Median days from filing to decision over the appeals decided in the period (None if none was).
    median_days_to_decide: float | None


class RequestFigures(BaseModel):
    """Government and other sensitive requests in the period."""

    model_config = ConfigDict(extra="forbid")

    received: int
    decided: int
    #: Decided requests that asked for something a policy clause forbids.
    conflicted: int
    government_received: int
    government_decided: int
    #: Received by the end of the period (in the log read) and not decided by then.
    pending_at_end: int


class TechniqueRef(BaseModel):
    """A DISARM technique named in a takedown (name empty when the id is not in the shipped framework)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str


class Takedown(BaseModel):
    """One influence-operation takedown (a takedown.execute event), in the style platforms publish."""

    model_config = ConfigDict(extra="forbid")

    seq: int
    date: date
    case: str
    cluster: str
    scan: str
    origin: str
    targets: list[str]
    #: Accounts acted on, and accounts of the network deliberately left alone; None when the event did not say.
    accounts: int | None
    excepted: int | None
    #: Followers of the accounts acted on; None when unknown.
    followers: int | None
    detection_source: str
    techniques: list[TechniqueRef]
    policy: str
    actions: int


class Completeness(BaseModel):
    """The completeness check's result: what it proved, and any problem it found."""

    model_config = ConfigDict(extra="forbid")

    passed: bool
    checked: list[str]
    problems: list[str]


class TransparencyReport(BaseModel):
    """A transparency report for one period, computed only from the audit log."""

    model_config = ConfigDict(extra="forbid")

    period_start: date
    period_end: date
    audit: AuditRange
    #: The main table: every action applied in the period in exactly one cell.
    actions: Table
    #: Marginals of :attr:`actions`, one per dimension.
    action_breakdowns: list[Table]
    reversals: Table
    reversal_breakdowns: list[Table]
    appeals: AppealFigures
    appeals_decided: Table
    requests: RequestFigures
    requests_received: Table
    requests_decided: Table
    #: The government rows of :attr:`requests_decided`, on their own.
    government_requests: Table
    #: Each ask of each decided request (a request with two asks counts twice: not a marginal).
    request_asks: Table
    #: Each policy clause a decided request conflicted with (a request counts once per clause).
    request_conflicts: Table
    takedowns: list[Takedown]
    #: What is counted and how, in plain words.
    method: list[str]
    #: Facts about the data a reader should know (fields not recorded, sequence gaps, unknown techniques).
    notes: list[str]
    completeness: Completeness
    disarm_attribution: str

    def tables(self) -> list[Table]:
        """Every count table, in the order the page shows them."""
        return [
            self.actions,
            *self.action_breakdowns,
            self.reversals,
            *self.reversal_breakdowns,
            self.appeals_decided,
            self.requests_received,
            self.requests_decided,
            self.government_requests,
            self.request_asks,
            self.request_conflicts,
        ]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TransparencyReport:
        return cls.model_validate(dict(data))

    def write_csvs(self, folder: str | Path) -> list[Path]:
        """One CSV per table plus a README.md documenting the columns (:func:`render.write_csvs`)."""
        from overt.enforcement.transparency.render import write_csvs

        return write_csvs(self, folder)

    def to_markdown(self) -> str:
        from overt.enforcement.transparency.render import to_markdown

        return to_markdown(self)

    def to_html(self) -> str:
        from overt.enforcement.transparency.render import to_html

        return to_html(self)
