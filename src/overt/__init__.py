"""overt: make covert influence operations overt."""

from __future__ import annotations

from overt._version import __version__
from overt.dataset import Dataset, read_dataset
from overt.coordination.scan import scan
from overt.ingest import build_dataset

__all__ = ["Dataset", "__version__", "build_dataset", "read_dataset", "scan"]
