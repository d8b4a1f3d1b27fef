"""Reading investigators' exports into the canonical dataset."""

from __future__ import annotations

from overt.ingest.pipeline import DEFAULT_MAX_REJECT_RATE, build_dataset

__all__ = ["DEFAULT_MAX_REJECT_RATE", "build_dataset"]
