"""``manifest.json``: what a dataset folder was made from, and how every input row was accounted for."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from overt._version import __version__

MANIFEST_VERSION = 1


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class InputRecord:
    """One input file and what became of its rows: ``rows_in = posts + duplicates + account_rows + rejected``."""

    path: str
    size: int
    sha256: str
    format: str
    rows_in: int
    posts: int
    account_rows: int
    rejected: int
    duplicates: int
    first_at: str | None
    last_at: str | None
    platforms: list[str]
    #: Zone assumed for times written without an offset (None when the times carry one).
    assumed_timezone: str | None
    #: The ``--mapping`` file the input was read with (``table`` format), and its SHA-256.
    mapping: str | None = None
    mapping_sha256: str | None = None


@dataclass
class Manifest:
    """Provenance and row accounting of a dataset folder."""

    overt_version: str
    manifest_version: int
    created: str
    inputs: list[InputRecord]
    tables: dict[str, int]
    rows_in: int
    rows_rejected: int
    rows_duplicate: int
    first_at: str | None
    last_at: str | None
    platforms: list[str]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def reject_rate(self) -> float:
        """Share of input rows rejected for a fault (duplicates excluded)."""
        return self.rows_rejected / self.rows_in if self.rows_in else 0.0

    @classmethod
    def build(cls, inputs: list[InputRecord], tables: dict[str, int]) -> Manifest:
        firsts = [i.first_at for i in inputs if i.first_at]
        lasts = [i.last_at for i in inputs if i.last_at]
        return cls(
            overt_version=__version__,
            manifest_version=MANIFEST_VERSION,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            inputs=inputs,
            tables=tables,
            rows_in=sum(i.rows_in for i in inputs),
            rows_rejected=sum(i.rejected for i in inputs),
            rows_duplicate=sum(i.duplicates for i in inputs),
            first_at=min(firsts) if firsts else None,
            last_at=max(lasts) if lasts else None,
            platforms=sorted({p for i in inputs for p in i.platforms}),
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reject_rate"] = round(self.reject_rate, 6)
        return data

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        data = json.loads(path.read_text(encoding="utf-8"))
        data.pop("reject_rate", None)
        data["inputs"] = [InputRecord(**i) for i in data["inputs"]]
        return cls(**data)
