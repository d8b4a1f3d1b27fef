"""Helpers shared by the evaluation scripts (run as ``python evaluation/<script>.py``, which puts this folder first
on the import path)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.table import Table


def short(text: str | None, n: int) -> str:
    """*text* on one line, cut to *n* characters with an ellipsis."""
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def when(ts: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "" if ts is None else ts.strftime(fmt)


@contextmanager
def work_folder(path: Path | None, prefix: str) -> Iterator[Path]:
    """*path* (created), or a temporary folder removed afterwards."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


def detector_table(title: str, detectors: list[dict[str, Any]], seconds: bool = False) -> Table:
    """A table of per-detector counts from a scan summary (optionally with each detector's seconds)."""
    table = Table(title=title, title_justify="left")
    columns = ["detector", "active accounts", "actions", "pairs", "tested edges", "kept edges"]
    for col in columns + (["s"] if seconds else []):
        table.add_column(col, justify="left" if col == "detector" else "right")
    for d in detectors:
        cells = [
            d["detector"],
            *(f"{d[k]:,}" if isinstance(d[k], int) else "" for k in ("active_accounts", "actions", "pairs")),
            f"{d['tested_edges']:,}",
            f"{d['kept_edges']:,}",
        ]
        if seconds:
            cells.append(f"{d['seconds']:.1f}" if d["seconds"] is not None else "")
        table.add_row(*cells)
    return table


def detector_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-detector counts and seconds from a scan's ``summary.json``."""
    return [
        {
            "detector": name,
            "actions": info.get("actions"),
            "active_accounts": info.get("accounts"),
            "pairs": info.get("pairs"),
            "tested_edges": info.get("tested_edges"),
            "kept_edges": info.get("kept_edges"),
            "capped_item_windows": info.get("capped_item_windows"),
            "seconds": summary["timings_seconds"].get(name),
        }
        for name, info in summary["detectors"].items()
    ]
