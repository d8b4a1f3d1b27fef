"""Commands about datasets: ``overt ingest``, ``overt info``, ``overt formats``."""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType

import click
from rich.console import Console
from rich.progress import TaskID, TextColumn
from rich.table import Table

from overt.cli.progress import progress_bar
from overt.dataset import read_dataset
from overt.errors import OvertError
from overt.ingest import DEFAULT_MAX_REJECT_RATE, build_dataset
from overt.ingest.formats import FORMATS, reader_class
from overt.ingest.manifest import Manifest


class _Bar:
    """Progress of ingest as a rich bar: file, rows so far and rows per second (only on a terminal)."""

    def __init__(self, console: Console) -> None:
        self._progress = progress_bar(
            console, TextColumn("{task.completed:,.0f} rows"), TextColumn("{task.fields[rate]}")
        )
        self._task: TaskID | None = None

    def __enter__(self) -> _Bar:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._progress.stop()

    def start(self, label: str) -> None:
        if self._task is not None:
            self._progress.update(self._task, total=self._progress.tasks[self._task].completed)
        self._task = self._progress.add_task(label, total=None, rate="")

    def advance(self, rows: int) -> None:
        assert self._task is not None
        self._progress.advance(self._task, rows)
        task = self._progress.tasks[self._task]
        if task.elapsed:
            self._progress.update(self._task, rate=f"{task.completed / task.elapsed:,.0f} rows/s")


def _fail(exc: OvertError) -> None:
    raise click.ClickException(str(exc)) from exc


@click.command("ingest")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Dataset folder to write.")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(list(FORMATS)),
    help="Input format (default: sniffed per file).",
)
@click.option(
    "--mapping",
    "-m",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    multiple=True,
    help="TOML file mapping source columns to canonical ones (implies --format table). Give it once for "
    "all inputs, or once per input in the same order.",
)
@click.option(
    "--max-reject-rate",
    type=click.FloatRange(0, 1),
    default=DEFAULT_MAX_REJECT_RATE,
    show_default=True,
    help="Fail, writing nothing, when more than this share of rows is rejected.",
)
@click.option("--timezone", help="IANA zone of times written without an offset (default: UTC).")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
@click.option("--memory-limit", default="2GB", show_default=True, help="DuckDB memory limit; more spills to disk.")
def ingest_command(
    inputs: tuple[Path, ...],
    out: Path,
    fmt: str | None,
    mapping: tuple[Path, ...],
    max_reject_rate: float,
    timezone: str | None,
    overwrite: bool,
    memory_limit: str,
) -> None:
    """Read INPUTS (any supported format, sniffed per file) into the dataset folder --out.

    Writes posts.parquet, accounts.parquet, labels.parquet (when the input carries ground truth),
    rejects.parquet (every row that could not be used, with file, line, field and reason) and
    manifest.json, then prints a summary.
    """
    console = Console(stderr=True)
    try:
        with _Bar(console) as bar:
            manifest = build_dataset(
                list(inputs),
                out,
                format=fmt,
                mapping=mapping or None,
                max_reject_rate=max_reject_rate,
                timezone=timezone,
                overwrite=overwrite,
                memory_limit=memory_limit,
                progress=bar,
            )
    except OvertError as exc:
        _fail(exc)
    _print_summary(out, manifest)


@click.command("info")
@click.argument("dataset", type=click.Path(path_type=Path, exists=True, file_okay=False))
def info_command(dataset: Path) -> None:
    """Summarise the dataset folder DATASET: inputs, row accounting, time range, platforms, rejects."""
    try:
        ds = read_dataset(dataset)
    except OvertError as exc:
        _fail(exc)
    _print_summary(dataset, ds.manifest)


@click.command("formats")
def formats_command() -> None:
    """List the input formats ``overt ingest`` reads."""
    console = Console()
    table = Table("format", "reads")
    for name in FORMATS:
        table.add_row(name, reader_class(name).description)
    console.print(table)


def _print_summary(folder: Path, manifest: Manifest) -> None:
    console = Console(file=sys.stdout, width=120)
    ds = read_dataset(folder)
    console.print(f"[bold]Dataset[/bold] {folder}  (overt {manifest.overt_version})")
    inputs = Table("input", "format", "rows in", "posts", "account rows", "duplicates", "rejected")
    for i in manifest.inputs:
        inputs.add_row(
            Path(i.path).name,
            i.format,
            f"{i.rows_in:,}",
            f"{i.posts:,}",
            f"{i.account_rows:,}",
            f"{i.duplicates:,}",
            f"{i.rejected:,}",
        )
    console.print(inputs)
    tables = ", ".join(f"{name} {n:,}" for name, n in manifest.tables.items())
    console.print(f"Tables: {tables}")
    console.print(
        f"Rows in {manifest.rows_in:,}; rejected {manifest.rows_rejected:,} ({manifest.reject_rate:.2%}); "
        f"duplicates {manifest.rows_duplicate:,}"
    )
    console.print(
        f"Time range: {manifest.first_at} .. {manifest.last_at} (UTC); platforms: "
        f"{', '.join(manifest.platforms) or '-'}"
    )
    kinds = ds.posts.aggregate("kind, count(*) AS n", "kind").order("n DESC").fetchall()
    console.print("Posts by kind: " + ", ".join(f"{k} {n:,}" for k, n in kinds))
    if "labels" in manifest.tables:
        labels = ds.labels.aggregate("label, count(*) AS n", "label").order("n DESC").limit(10).fetchall()
        console.print("Labels: " + ", ".join(f"{k} {n:,}" for k, n in labels))
    top = ds.connection.execute(
        "SELECT h, count(*) AS n FROM (SELECT unnest(hashtags) AS h FROM read_parquet($p)) GROUP BY h "
        "ORDER BY n DESC, h LIMIT 8",
        {"p": str(folder / "posts.parquet")},
    ).fetchall()
    if top:
        console.print("Top hashtags: " + ", ".join(f"#{h} {n:,}" for h, n in top))
    if manifest.rows_rejected or manifest.rows_duplicate:
        reasons = ds.connection.execute(
            "SELECT coalesce(field, '-') AS f, CASE WHEN starts_with(reason, 'duplicate post id ') "
            "THEN 'duplicate post id' ELSE regexp_replace(reason, '[\"(:].*', '') END AS r, count(*) AS n "
            "FROM read_parquet($p) GROUP BY ALL ORDER BY n DESC LIMIT 5",
            {"p": str(folder / "rejects.parquet")},
        ).fetchall()
        console.print("Rejects by reason: " + "; ".join(f"{f}: {r.strip()} ({n:,})" for f, r, n in reasons))
        console.print(f"See {folder / 'rejects.parquet'} for every rejected row with file, line, field and reason.")
