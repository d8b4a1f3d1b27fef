"""Signals of state backing beyond coordination: each a small class, computed on the engine.

Coordination alone does not say "covert state operation": activists, fandoms and newsrooms coordinate too.
These signals are the further marks takedown reports and research describe. Each module holds one signal and
says, in its docstring, what the signal can and cannot show. :func:`compute` runs a selection and returns the
long tables described in :mod:`overt.signals.base`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import pyarrow as pa

from overt.signals.base import CLUSTER_SIGNALS, SIGNALS, Signal

if TYPE_CHECKING:
    from collections.abc import Iterable

    from overt.engine import DuckDBEngine

__all__ = ["CLUSTER_SIGNALS", "DEFAULT_SIGNALS", "SIGNALS", "Signal", "compute", "make_signal", "signal_names"]

#: name -> "module:Class". Modules are imported on use: some need optional packages.
_REGISTRY = {
    "working_hours": "overt.signals.working_hours:WorkingHours",
    "creation_burst": "overt.signals.creation_burst:CreationBurst",
    "handle_pattern": "overt.signals.handle_pattern:HandlePattern",
    "profile_reuse": "overt.signals.profile_reuse:ProfileReuse",
    "state_media": "overt.signals.state_media:StateMedia",
    "language_mismatch": "overt.signals.language_mismatch:LanguageMismatch",
    "repurposing": "overt.signals.repurposing:Repurposing",
    "automation": "overt.signals.automation:Automation",
    "content": "overt.signals.content:Content",
}

#: What a scan computes unless told otherwise (``content`` needs a trained model, so it is opt-in).
DEFAULT_SIGNALS = tuple(name for name in _REGISTRY if name != "content")


def signal_names() -> list[str]:
    return list(_REGISTRY)


def make_signal(name: str, **params: object) -> Signal:
    """The signal called *name*, configured with *params*."""
    try:
        module, cls = _REGISTRY[name].split(":")
    except KeyError:
        raise ValueError(f"unknown signal {name!r}; known: {', '.join(_REGISTRY)}") from None
    signal: Signal = getattr(importlib.import_module(module), cls)(**params)
    return signal


def compute(eng: DuckDBEngine, signals: Iterable[Signal | str] = DEFAULT_SIGNALS) -> tuple[pa.Table, pa.Table]:
    """Run *signals* on *eng*; return (account signals, cluster signals) as :data:`SIGNALS` and
    :data:`CLUSTER_SIGNALS` tables."""
    per_account, per_cluster = [SIGNALS.empty_table()], [CLUSTER_SIGNALS.empty_table()]
    for item in signals:
        signal = make_signal(item) if isinstance(item, str) else item
        per_account.append(signal.accounts(eng).cast(SIGNALS))
        clusters = signal.clusters(eng)
        if clusters is not None:
            per_cluster.append(clusters.cast(CLUSTER_SIGNALS))
    return pa.concat_tables(per_account), pa.concat_tables(per_cluster)
