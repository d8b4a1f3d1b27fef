"""Placeholder replaced by the table-format work; see overt.ingest.formats.table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Mapping:
    path: Path


def load_mapping(path: object) -> Mapping:
    raise NotImplementedError
