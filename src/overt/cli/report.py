"""``overt report``: the investigation report of a scan folder, as one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from overt.errors import OvertError


@click.command("report")
@click.argument("scan_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="HTML file to write; clusters.csv and evidence.csv go next to it.",
)
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=0), help="Clusters to detail.")
@click.option(
    "--redact",
    is_flag=True,
    help="Replace handles, names and post texts of accounts scoring below --redact-threshold by pseudonyms.",
)
@click.option(
    "--redact-threshold",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="With --redact: accounts scoring below this are pseudonymised.",
)
@click.option(
    "--redact-key",
    help="With --redact: secret for the pseudonyms (default: derived from the scan's input hashes).",
)
def report_command(
    scan_dir: Path, out: Path, top: int, redact: bool, redact_threshold: float, redact_key: str | None
) -> None:
    """Write the investigation report of the scan folder SCAN_DIR to --out.

    One HTML file that works offline: an overview of the data and parameters, the top clusters with their
    network, timeline, hour-of-week activity, evidence, state-media links and suggested DISARM techniques, every
    member account's posts and signals, and the methodology. Prints the report's path.
    """
    from overt.report.render import write_report

    options: dict[str, Any] = {"top": top}
    if redact:
        options.update(redact=True, redact_threshold=redact_threshold, redact_key=redact_key)
    elif redact_key is not None:
        raise click.BadParameter("--redact-key needs --redact", param_hint="--redact-key")
    try:
        path = write_report(scan_dir, out, **options)
    except OvertError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(path))
