"""overt: make covert influence operations overt."""

from __future__ import annotations

import typing as _typing

from overt._version import __version__
from overt.dataset import Dataset, read_dataset

if _typing.TYPE_CHECKING:
    from overt.coordination.scan import Scan
    from overt.ingest.pipeline import build_dataset


def __getattr__(name: str) -> _typing.Any:
    # The ingest pipeline loads on first use, so that ``overt scan`` and ``import overt`` do not pay for it.
    if name == "build_dataset":
        from overt.ingest.pipeline import build_dataset

        return build_dataset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def scan(*args: _typing.Any, **kwargs: _typing.Any) -> Scan:
    """Scan a dataset for coordination: :func:`overt.coordination.scan.scan` (imported on first use)."""
    from overt.coordination.scan import scan as run

    return run(*args, **kwargs)


def score(*args: _typing.Any, **kwargs: _typing.Any) -> dict[str, _typing.Any]:
    """Signals and explainable scores for a scan folder: :func:`overt.scoring.score_scan` (imported on first use)."""
    from overt.scoring import score_scan

    return score_scan(*args, **kwargs)


__all__ = ["Dataset", "__version__", "build_dataset", "read_dataset", "scan", "score"]
