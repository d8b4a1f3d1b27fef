"""``overt train``: fit models to labelled data (the score model's weights; the text model of the content signal)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from overt.errors import OvertError


@click.group("train")
def train_group() -> None:
    """Fit models to labelled data, with folds that keep accounts, campaigns or time apart."""


@train_group.command("scores")
@click.argument("scan_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--out", "-o", required=True, type=click.Path(path_type=Path, dir_okay=False), help="Model file to write (JSON)."
)
@click.option(
    "--negative",
    multiple=True,
    default=("control",),
    show_default=True,
    help="Label of accounts that are not part of an operation (repeatable); every other label is an operation.",
)
@click.option(
    "--group-by",
    type=click.Choice(["account", "campaign", "time"]),
    default="campaign",
    show_default=True,
    help="How folds are kept apart: by account, leave one campaign out, or forward in time.",
)
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2), help="Folds (account and time).")
@click.option("--seed", default=42, show_default=True, type=int)
@click.option(
    "--c", "c", default=1.0, show_default=True, type=click.FloatRange(min=0, min_open=True), help="Inverse L2 strength."
)
@click.option(
    "--prior",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Prevalence of operation accounts where the model will be used (moves the intercept; default: as trained).",
)
@click.option(
    "--dataset",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="The scan's dataset, if it has moved.",
)
def train_scores_command(
    scan_dir: Path,
    out: Path,
    negative: tuple[str, ...],
    group_by: str,
    folds: int,
    seed: int,
    c: float,
    prior: float | None,
    dataset: Path | None,
) -> None:
    """Fit the score model's weights to the labels of the dataset scanned in SCAN_DIR.

    Signals are computed first when the scan has none. The model file records the labels, the folds and the
    out-of-fold metrics; use it with `overt score --model`.
    """
    from overt.scoring.train import train_scan

    try:
        weights = train_scan(
            scan_dir, negative=negative, group_by=group_by, folds=folds, seed=seed, c=c, prior=prior, dataset=dataset
        )
    except OvertError as exc:
        raise click.ClickException(str(exc)) from exc
    weights.save(out)
    console = Console()
    table = Table("feature", "weight", title=f"Score model {out}")
    table.add_row("intercept", f"{weights.intercept:+.2f}")
    for feature, weight in sorted(weights.features.items(), key=lambda kv: -abs(kv[1])):
        table.add_row(feature, f"{weight:+.2f}")
    console.print(table)
    oof = weights.provenance.get("out_of_fold", {})
    if oof:
        console.print(
            "Out of fold ({}): ROC-AUC {roc_auc:.3f}, PR-AUC {pr_auc:.3f}, Brier {brier:.3f}, "
            "recall at 1% FPR {recall_at_1pct_fpr:.3f}".format(group_by, **oof)
        )
