"""One protocol's outcome: a table, the figures behind it, and what it can and cannot show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    key: str
    title: str
    #: What the protocol measures and on which data.
    what: str
    columns: list[str]
    rows: list[list[str]]
    caveats: list[str] = field(default_factory=list)
    #: Machine-readable figures (for the JSON output and for other protocols).
    figures: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", self.what, ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(self.columns))) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.caveats:
            lines += ["", "What this can and cannot show:", ""]
            lines += [f"- {c}" for c in self.caveats]
        lines += ["", f"({self.seconds:.0f} s)", ""]
        return "\n".join(lines)


def pct(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{100 * x:.{digits}f} %"


def num(x: float | None, digits: int = 3) -> str:
    return "" if x is None else f"{x:.{digits}f}"


def mean_sd(values: list[float], digits: int = 3) -> str:
    import numpy as np

    if not values:
        return ""
    return f"{np.mean(values):.{digits}f} ± {np.std(values, ddof=1) if len(values) > 1 else 0.0:.{digits}f}"
