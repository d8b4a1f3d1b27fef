"""``overt eval``: the evaluation protocols on real data."""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from overt.errors import OvertError


@click.command("eval")
@click.option(
    "--data",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("../shared/data"),
    show_default=True,
    help="The shared real data (each folder has a SOURCE.md).",
)
@click.option(
    "--mappings",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("examples/mappings"),
    show_default=True,
    help="The repository's mapping files.",
)
@click.option(
    "--work",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(".tmp/eval"),
    show_default=True,
    help="Where datasets and scans are kept between runs (delete it to start afresh).",
)
@click.option("--protocols", "-p", help="Comma-separated protocols (default: all: coverage,organic,loco,text,signals).")
@click.option(
    "--docs",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the tables into this Markdown file's generated block.",
)
@click.option(
    "--json", "json_out", type=click.Path(path_type=Path, dir_okay=False), help="Also write every figure as JSON."
)
@click.option(
    "--measured",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the built-in model's measured false positives here, for reports to quote "
    "(src/overt/report/measured.json in a checkout; needs the coverage and organic protocols).",
)
def eval_command(
    data: Path,
    mappings: Path,
    work: Path,
    protocols: str | None,
    docs: Path | None,
    json_out: Path | None,
    measured: Path | None,
) -> None:
    """Run the evaluation protocols on real data and print one table per protocol.

    Ingests and scans each dataset once (kept in --work), then measures coverage of a real operation, false
    positives on organic data, account- and text-level separation across campaigns, and each signal's power.
    """
    from overt.evaluation import PROTOCOLS, Paths, markdown, run, update_docs
    from overt.evaluation import measured as measured_figures

    console = Console()
    chosen = [p.strip() for p in protocols.split(",")] if protocols else list(PROTOCOLS)
    fresh = not work.is_dir() or not any(work.iterdir())
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        with console.status("evaluating") as status:
            results = run(Paths(data, mappings, work), chosen, note=lambda label: status.update(label))
    except (OvertError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    seconds = time.perf_counter() - started
    for r in results:
        table = Table(*r.columns, title=r.title, title_justify="left")
        for row in r.rows:
            table.add_row(*row)
        console.print(table)
        console.print(r.what, style="dim")
    console.print(f"{len(results)} protocols in {seconds:.0f} s")
    command = "overt eval " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    if docs is not None:
        update_docs(docs, markdown(results, command.strip(), seconds, fresh))
        console.print(f"Tables written to {docs}")
    if measured is not None:
        figures = measured_figures(results, command.strip())
        if figures is None:
            raise click.ClickException("--measured needs the coverage and organic protocols")
        measured.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        console.print(f"Measured figures written to {measured}")
    if json_out is not None:
        payload = {r.key: {"title": r.title, "figures": r.figures, "seconds": r.seconds} for r in results}
        json_out.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
