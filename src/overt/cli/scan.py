"""``overt scan``: coordination detection over a dataset folder."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import MofNCompleteColumn, TaskID, TextColumn
from rich.table import Table

from overt.cli.progress import progress_bar
from overt.cli.score import SIGNALS_HELP, print_scores, run_scores, signals_option
from overt.coordination.detectors import DEFAULT_DETECTORS
from overt.coordination.profiles import PROFILES
from overt.engine import is_remote
from overt.errors import OvertError

if TYPE_CHECKING:
    from overt.coordination.scan import Scan


class _Bar:
    """One bar per detector: its stages done out of all, and the time it took."""

    def __init__(self, console: Console) -> None:
        self._progress = progress_bar(console, MofNCompleteColumn(), TextColumn("{task.fields[stage]}"))
        self._tasks: dict[str, TaskID] = {}
        self._last = ""

    def __enter__(self) -> _Bar:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:  # a skipped detector finishes early: show every finished task as complete
            for task in self._tasks.values():
                self._progress.update(task, completed=self._progress.tasks[task].total)
        self._progress.stop()

    def start(self, label: str, total: int) -> None:
        self._tasks[label] = self._progress.add_task(label, total=total, stage="")
        self._last = label

    def advance(self, label: str) -> None:
        name, _, stage = label.rpartition(": ")
        task = self._tasks.get(name) if name else None
        if task is None:
            task = self._tasks[self._last]
        self._progress.update(task, advance=1, stage=stage)


def _window(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        return int(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither whole seconds nor 'auto'", param_hint="--window") from None


class _Dataset(click.ParamType):  # type: ignore[type-arg]
    """A dataset folder, or (for --engine spark) a Hadoop URI of one: s3a://, abfss://, gs://, hdfs://."""

    name = "dataset"

    def convert(self, value: str, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if is_remote(value):
            return str(value)
        path = Path(str(value).removeprefix("file://"))
        if not path.is_dir():
            self.fail(f"{value}: no such dataset folder", param, ctx)
        return str(path)


def _spark_conf(pairs: tuple[str, ...]) -> dict[str, str]:
    conf: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--spark-conf")
        conf[key.strip()] = value.strip()
    return conf


def _names(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


@click.command("scan")
@click.argument("dataset", type=_Dataset())
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Scan folder to write.")
@click.option(
    "--engine",
    default="duckdb",
    show_default=True,
    type=click.Choice(["duckdb", "spark"]),
    help="Query engine: duckdb (embedded) or spark (overt[spark]; see docs/scale-out.md).",
)
@click.option(
    "--spark-master",
    help="--engine spark: the master URL (default local[*]; yarn, k8s://https://HOST:PORT, spark://HOST:PORT).",
)
@click.option(
    "--spark-conf",
    multiple=True,
    metavar="KEY=VALUE",
    help="--engine spark: a Spark setting (repeatable), e.g. spark.executor.memory=8g.",
)
@click.option(
    "--detectors",
    "-d",
    # The similarity detectors are named here rather than imported: their libraries load slowly.
    help=f"Comma-separated detectors (default: {','.join(DEFAULT_DETECTORS)}; also "
    "co_domain,hashtag_sequence,co_repost_similarity,time_sync).",
)
@click.option(
    "--window",
    default="60",
    show_default=True,
    help="Co-action window in seconds, or 'auto' for CooRnet's data-driven coordination interval.",
)
@click.option(
    "--auto-q",
    default=0.1,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True),
    help="--window auto: share of the fastest-shared items CooRnet's estimate looks at.",
)
@click.option(
    "--auto-p",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="--window auto: quantile of those items' share delays taken as the window.",
)
@click.option("--profile", type=click.Choice(list(PROFILES)), help="Reproduce a peer tool exactly.")
@click.option(
    "--alpha",
    default=0.01,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="False discovery rate for keeping edges (not used by --profile).",
)
@click.option("--min-weight", type=click.IntRange(min=1), help="Minimum shared items per edge (every detector).")
@click.option("--similarity-threshold", type=click.FloatRange(0, 1), help="co_similar_text Jaccard threshold.")
@click.option("--resolution", default=1.0, show_default=True, type=float, help="Leiden resolution.")
@click.option(
    "--min-cluster-size",
    default=3,
    show_default=True,
    type=click.IntRange(min=2),
    help="Smaller communities are not reported as clusters.",
)
@click.option(
    "--prune-quantile",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1, max_open=True),
    help="Drop accounts below this quantile of eigenvector centrality before clustering (Luceri et al.; 0: off).",
)
@click.option(
    "--min-fused-weight",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Drop fused edges lighter than this (each trace adds at most 1) before clustering.",
)
@click.option("--seed", default=42, show_default=True, type=int, help="Leiden seed.")
@click.option(
    "--memory-limit",
    help="DuckDB memory limit, e.g. 4GB (default: DuckDB's, 80% of RAM); larger intermediate results spill to disk.",
)
@click.option(
    "--scores/--no-scores",
    default=None,
    help="Compute signals and scores after the scan (default: yes, except with --profile, whose networks are "
    "the peer tool's and carry no overt scores).",
)
@click.option(
    "--model", type=click.Path(path_type=Path, exists=True, dir_okay=False), help="Score model (`overt train`)."
)
@click.option("--signals", help=SIGNALS_HELP)
@click.option(
    "--text-model",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Text model for the content signal.",
)
@click.option(
    "--report",
    is_flag=True,
    help="Also write the investigation report, SCAN_DIR/report.html (as `overt report`), and print its path.",
)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def scan_command(
    dataset: str,
    out: Path,
    engine: str,
    spark_master: str | None,
    spark_conf: tuple[str, ...],
    detectors: str | None,
    window: str,
    auto_q: float,
    auto_p: float,
    profile: str | None,
    alpha: float,
    min_weight: int | None,
    similarity_threshold: float | None,
    resolution: float,
    min_cluster_size: int,
    prune_quantile: float,
    min_fused_weight: float,
    seed: int,
    memory_limit: str | None,
    scores: bool | None,
    model: Path | None,
    signals: str | None,
    text_model: Path | None,
    report: bool,
    overwrite: bool,
) -> None:
    """Find coordinated accounts in the dataset folder DATASET and write edges, network and clusters to --out.

    Each detector pairs accounts that acted on the same item (post, link, hashtag, text, ...) within
    --window seconds, scores each pair against chance and keeps the significant ones; the traces are fused
    into one network and clustered with Leiden. See docs/user-guide.md for the outputs.
    """
    # Imported here: the network libraries take half a second to load, which other commands need not pay.
    from overt.coordination.scan import scan

    console = Console(stderr=True)
    with_scores = profile is None if scores is None else scores
    chosen = signals_option(signals, text_model) if with_scores else []
    try:
        with _Bar(console) as bar:
            result = scan(
                dataset,
                out,
                detectors=_names(detectors),
                window=_window(window),
                auto_q=auto_q,
                auto_p=auto_p,
                profile=profile,
                engine=engine,
                spark_master=spark_master,
                spark_conf=_spark_conf(spark_conf) or None,
                alpha=alpha,
                min_weight=min_weight,
                similarity_threshold=similarity_threshold,
                resolution=resolution,
                min_cluster_size=min_cluster_size,
                prune_quantile=prune_quantile,
                min_fused_weight=min_fused_weight,
                seed=seed,
                memory_limit=memory_limit,
                overwrite=overwrite,
                progress=bar,
            )
    except OvertError as exc:
        raise click.ClickException(str(exc)) from exc
    _print_summary(result)
    if with_scores:
        print_scores(result.path, run_scores(result.path, model, chosen, None))
    if report:
        from overt.report.render import write_report

        try:
            page = write_report(result.path, result.path / "report.html")
        except OvertError as exc:
            raise click.ClickException(str(exc)) from exc
        Console().print(f"Report: {page}")


def _print_summary(result: Scan) -> None:
    console = Console()
    s = result.summary
    table = Table("detector", "actions", "pairs", "tested", "kept edges", "seconds", title=f"Scan {result.path}")
    for name, info in s["detectors"].items():
        table.add_row(
            name,
            f"{info.get('actions', info.get('occurrences', 0)):,}",
            f"{info.get('pairs', info.get('candidate_edges', 0)):,}",
            f"{info.get('tested_edges', info.get('tested_pairs', info.get('edges', 0))):,}",
            f"{info.get('kept_edges', info.get('edges', 0)):,}",
            f"{s['timings_seconds'].get(name, 0):.1f}",
        )
    console.print(table)
    c = s["clusters"]
    console.print(
        f"Network: {s['network']['accounts']:,} accounts, {s['network']['edges']:,} edges; "
        f"clusters: {c['count']:,} holding {c['accounts']:,} accounts (largest {c['largest']:,}); "
        f"{s['timings_seconds']['total']:.1f} s"
    )
