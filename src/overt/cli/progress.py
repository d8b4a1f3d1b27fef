"""The command line's progress display, shared by every long-running command."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeElapsedColumn


def progress_bar(console: Console, *counts: ProgressColumn) -> Progress:
    """The CLI's progress display: spinner, task, bar, then *counts*, then elapsed time (only on a terminal)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=24),
        *counts,
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )
