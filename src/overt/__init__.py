"""overt: make covert influence operations overt."""

from __future__ import annotations

import typing as _typing

from overt._version import __version__
from overt.dataset import Dataset, read_dataset
from overt.ingest import build_dataset

if _typing.TYPE_CHECKING:
    from overt.coordination.scan import Scan


def scan(*args: _typing.Any, **kwargs: _typing.Any) -> Scan:
    """Scan a dataset for coordination: :func:`overt.coordination.scan.scan` (imported on first use)."""
    from overt.coordination.scan import scan as run

    return run(*args, **kwargs)


def score(*args: _typing.Any, **kwargs: _typing.Any) -> dict[str, _typing.Any]:
    """Signals and explainable scores for a scan folder: :func:`overt.scoring.score_scan` (imported on first use)."""
    from overt.scoring import score_scan

    return score_scan(*args, **kwargs)


__all__ = ["Dataset", "__version__", "build_dataset", "read_dataset", "scan", "score"]
