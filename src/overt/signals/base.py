"""What every signal produces: one row per account it could assess, in one long table.

A signal is a small dataclass whose keyword parameters are its settings. ``accounts(eng)`` runs its SQL on
the engine (views ``posts`` and ``accounts``; inside a scan also the temp table ``clusters``) and returns
:data:`SIGNALS`: a score in ``[0, 1]`` (0: no sign, 1: the strongest sign this signal can give), the headline
measure behind it, and a sentence of evidence whose numbers can be traced back to the data. Signals with a
meaning for a whole cluster (accounts created together, one handle template) also implement ``clusters(eng)``
and return :data:`CLUSTER_SIGNALS`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from overt.model.schema import Column, Table

if TYPE_CHECKING:
    from overt.engine import DuckDBEngine

_STR = pa.string()
_FLOAT = pa.float64()
_INT = pa.int64()

_SCORE = (
    "Strength of the sign in [0, 1]: 0 none, 1 the strongest this signal gives. Null when the account has too "
    "little data to assess (the evidence says what was missing)."
)
_EVIDENCE = "One plain-language sentence with the numbers behind the score, e.g. `posts 91% on weekdays 09-18 UTC+8`."
_DETAILS = "The numbers the evidence quotes, as a JSON object (keys documented with each signal)."

SIGNAL_TABLE = Table(
    "signals",
    "Per-account signals of state backing, one row per signal and account the signal could look at.",
    (
        Column("signal", _STR, "The signal's name.", True),
        Column("account_id", _STR, "The account.", True),
        Column("score", _FLOAT, _SCORE),
        Column("value", _FLOAT, "The signal's headline measure (its unit is documented with the signal)."),
        Column("evidence", _STR, _EVIDENCE, True),
        Column("details", _STR, _DETAILS),
    ),
)

CLUSTER_SIGNAL_TABLE = Table(
    "cluster_signals",
    "Signals that describe a whole cluster (accounts created together, a shared handle template).",
    (
        Column("signal", _STR, "The signal's name.", True),
        Column("cluster", _INT, "Cluster number (as in `clusters.parquet`).", True),
        Column("score", _FLOAT, _SCORE),
        Column("value", _FLOAT, "The signal's headline measure for the cluster."),
        Column("evidence", _STR, _EVIDENCE, True),
        Column("details", _STR, _DETAILS),
    ),
)

SIGNALS = SIGNAL_TABLE.schema
CLUSTER_SIGNALS = CLUSTER_SIGNAL_TABLE.schema


@dataclass
class Signal:
    """Base of every signal: a name, keyword parameters, and queries over the engine."""

    name: ClassVar[str] = ""

    def params(self) -> dict[str, Any]:
        return asdict(self)

    def accounts(self, eng: DuckDBEngine) -> pa.Table:
        """One :data:`SIGNALS` row per account this signal could assess."""
        raise NotImplementedError

    def clusters(self, eng: DuckDBEngine) -> pa.Table | None:
        """:data:`CLUSTER_SIGNALS` rows, or None when the signal has no cluster-level meaning (or no clusters)."""
        return None


def has_clusters(eng: DuckDBEngine) -> bool:
    """Whether the engine holds a ``clusters`` table (it does inside a scan)."""
    return bool(
        eng.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'clusters'")
        + eng.scalar("SELECT count(*) FROM duckdb_views() WHERE view_name = 'clusters'")
    )


def details(**numbers: Any) -> str:
    """The ``details`` JSON of one row (sorted keys, so outputs are stable)."""
    return json.dumps(numbers, sort_keys=True, default=str)


def account_row(
    signal: str, account_id: str, score: float | None, value: float | None, evidence: str, /, **numbers: Any
) -> dict[str, Any]:
    """One :data:`SIGNALS` row as a dict, for ``pa.Table.from_pylist(rows, schema=SIGNALS)``.

    *numbers* become the row's ``details`` (see :func:`details`); the other arguments are positional only, so a
    detail may itself be called ``signal`` or ``score``.
    """
    return {
        "signal": signal,
        "account_id": account_id,
        "score": score,
        "value": value,
        "evidence": evidence,
        "details": details(**numbers),
    }


def cluster_row(
    signal: str, cluster: int, score: float | None, value: float | None, evidence: str, /, **numbers: Any
) -> dict[str, Any]:
    """One :data:`CLUSTER_SIGNALS` row as a dict (as :func:`account_row`, for a cluster)."""
    return {
        "signal": signal,
        "cluster": cluster,
        "score": score,
        "value": value,
        "evidence": evidence,
        "details": details(**numbers),
    }
