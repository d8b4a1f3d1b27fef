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


@train_group.command("text")
@click.argument("dataset", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Model file to write (JSON; .gz to compress).",
)
@click.option(
    "--positive", multiple=True, default=("io",), show_default=True, help="Label of operation accounts (repeatable)."
)
@click.option(
    "--negative", multiple=True, help="Label of non-operation accounts (repeatable; default: every other label)."
)
@click.option(
    "--label-column",
    type=click.Choice(["label", "campaign"]),
    default="label",
    show_default=True,
    help="Which labels column --positive and --negative name.",
)
@click.option(
    "--group-by",
    type=click.Choice(["account", "campaign"]),
    default="account",
    show_default=True,
    help="Calibration folds keep these apart.",
)
@click.option("--include-reposts", is_flag=True, help="Also train on reposts (their text is someone else's).")
@click.option(
    "--keep-hashtags",
    is_flag=True,
    help="Do not mask hashtags (by default they are, so the model cannot learn topics by tag).",
)
@click.option("--unlabelled-negative", is_flag=True, help="Count accounts without labels as non-operation.")
def train_text_command(
    dataset: Path,
    out: Path,
    positive: tuple[str, ...],
    negative: tuple[str, ...],
    label_column: str,
    group_by: str,
    include_reposts: bool,
    keep_hashtags: bool,
    unlabelled_negative: bool,
) -> None:
    """Train the content signal's text model on the labelled posts of DATASET.

    Character n-grams (they work across languages) and a calibrated logistic regression; links and handles are
    always masked. The file records the training data's hash, the label counts and the out-of-fold metrics; use
    it with `overt score --text-model`.
    """
    from overt.textmodel import train_from_dataset

    try:
        model = train_from_dataset(
            dataset,
            out,
            label_column=label_column,
            positive=list(positive),
            negative=list(negative) or None,
            group_by=group_by,
            include_reposts=include_reposts,
            unlabelled_negative=unlabelled_negative,
            mask_hashtags=not keep_hashtags,
        )
    except OvertError as exc:
        raise click.ClickException(str(exc)) from exc
    training = model.metadata.get("training", {})
    oof = training.get("out_of_fold", {})
    Console().print(
        f"Text model {out}: {training.get('texts', 0):,} texts of {training.get('groups', 0):,} accounts "
        f"(labels {training.get('label_counts')}); out of fold ROC-AUC {oof.get('roc_auc', float('nan')):.3f}, "
        f"PR-AUC {oof.get('pr_auc', float('nan')):.3f}"
    )
