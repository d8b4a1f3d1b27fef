"""``overt score``: signals and explainable scores for a scan folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import MofNCompleteColumn, TextColumn
from rich.table import Table

from overt.cli.progress import progress_bar
from overt.errors import OvertError
from overt.signals import DEFAULT_SIGNALS, signal_names


def signals_option(value: str | None, text_model: Path | None) -> list[Any]:
    """The signals a command asked for: names from --signals (default set), plus ``content`` with --text-model."""
    from overt.signals import make_signal

    names = [v.strip() for v in value.split(",") if v.strip()] if value else list(DEFAULT_SIGNALS)
    unknown = [n for n in names if n not in signal_names()]
    if unknown:
        raise click.BadParameter(
            f"unknown signal(s) {', '.join(unknown)}; known: {', '.join(signal_names())}", param_hint="--signals"
        )
    if "content" in names and text_model is None:
        raise click.BadParameter("the content signal needs --text-model FILE (from `overt train --text`)")
    chosen: list[Any] = [n for n in names if n != "content"]
    if text_model is not None:
        chosen.append(make_signal("content", model=text_model))
    return chosen


def run_scores(scan_dir: Path, model: Path | None, signals: list[Any], dataset: Path | None) -> dict[str, Any]:
    """Score *scan_dir* with a progress bar over the signals; return the summary section."""
    from overt.scoring import score_scan

    console = Console(stderr=True)
    with progress_bar(console, MofNCompleteColumn(), TextColumn("{task.fields[stage]}")) as bar:
        task = bar.add_task("signals and scores", total=len(signals) + 1, stage="")

        def advance(label: str) -> None:
            bar.update(task, advance=1, stage=label)

        try:
            return score_scan(scan_dir, model=model, signals=signals, dataset=dataset, progress=advance)
        except OvertError as exc:
            raise click.ClickException(str(exc)) from exc


def print_scores(scan_dir: Path, section: dict[str, Any]) -> None:
    """The flagged clusters, best first: traces, suggested DISARM techniques and the cluster's explanation."""
    import duckdb

    con = duckdb.connect()
    paths = {name: str(scan_dir / f"{name}.parquet") for name in ("cluster_scores", "cluster_stats", "disarm")}
    rows = con.execute(
        """
        WITH tags AS (
            SELECT cluster, string_agg(technique_id, ' ' ORDER BY technique_id) AS techniques
            FROM read_parquet($disarm) GROUP BY cluster
        )
        SELECT s.cluster, s.size, s.score, array_to_string(st.traces, ', '), coalesce(t.techniques, ''), s.explanation
        FROM read_parquet($cluster_scores) s
        LEFT JOIN read_parquet($cluster_stats) st USING (cluster) LEFT JOIN tags t USING (cluster)
        WHERE s.flagged ORDER BY s.score DESC, s.cluster LIMIT 10
        """,
        paths,
    ).fetchall()
    table = Table(
        "cluster", "accounts", "score", "traces", "DISARM", "why", title=f"Flagged clusters (model {section['model']})"
    )
    for cluster, size, score, traces, techniques, why in rows:
        table.add_row(str(cluster), f"{size:,}", f"{score:.2f}", traces, techniques, why)
    console = Console()
    console.print(table)
    console.print(
        f"{section['flagged_accounts']:,} of {section['accounts']:,} accounts and {section['flagged_clusters']:,} of "
        f"{section['clusters']:,} clusters flagged (threshold {section['threshold']}); {section['disarm_tags']:,} "
        "suggested DISARM techniques. Every account's reasons: scores.parquet (explanation); the techniques' "
        "evidence: disarm.parquet"
    )


SIGNALS_HELP = f"Comma-separated signals (default: {','.join(DEFAULT_SIGNALS)}; content needs --text-model)."


@click.command("score")
@click.argument("scan_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--model",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Score model from `overt train` (default: built-in weights).",
)
@click.option("--signals", help=SIGNALS_HELP)
@click.option(
    "--text-model",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Text model for the content signal.",
)
@click.option(
    "--dataset",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="The scan's dataset, if it has moved.",
)
def score_command(
    scan_dir: Path, model: Path | None, signals: str | None, text_model: Path | None, dataset: Path | None
) -> None:
    """Compute state-backing signals and explainable account and cluster scores for the scan folder SCAN_DIR.

    Writes signals.parquet, cluster_signals.parquet, scores.parquet and cluster_scores.parquet next to the
    scan's outputs. Every score lists each signal's contribution and the evidence behind it.
    """
    section = run_scores(scan_dir, model, signals_option(signals, text_model), dataset)
    print_scores(scan_dir, section)
