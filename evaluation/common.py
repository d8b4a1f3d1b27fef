"""Helpers shared by the evaluation scripts (run as ``python evaluation/<script>.py``, which puts this folder first
on the import path)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path


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
