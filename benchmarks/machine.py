"""What a benchmark ran on, recorded with its figures (imported by the sibling benchmark scripts)."""

from __future__ import annotations

import os
import platform
from typing import Any

import duckdb
import psutil


def machine() -> dict[str, Any]:
    return {
        "host": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "duckdb": duckdb.__version__,
    }
