"""Reading investigators' exports into the canonical dataset."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from overt.ingest.pipeline import DEFAULT_MAX_REJECT_RATE, build_dataset

__all__ = ["DEFAULT_MAX_REJECT_RATE", "build_dataset"]


def __getattr__(name: str) -> Any:
    # The pipeline (readers, URL normalisation, the public-suffix list) loads on first use: reading a dataset's
    # manifest (overt.ingest.manifest), as every scan does, should not pay for it.
    if name in __all__:
        from overt.ingest import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
