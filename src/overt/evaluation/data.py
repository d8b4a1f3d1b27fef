"""The real datasets the evaluation protocols run on, prepared once per work folder (ingest, scan, scores).

Inputs are read from the shared data folder (each folder there has a SOURCE.md with provenance and licence);
mapping files come from the repository's ``examples/mappings``, so ``overt eval`` runs from a checkout.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from overt.errors import OvertError


@dataclass(frozen=True)
class Spec:
    """One evaluation dataset: what it is, its inputs under the data folder and their mapping files."""

    key: str
    title: str
    inputs: tuple[str, ...]
    mappings: tuple[str, ...] = ()
    #: The label that marks accounts that are not part of an operation (labelled sets only).
    negative: str | None = None


SPECS = {
    s.key: s
    for s in (
        Spec(
            "ira2016",
            "IRA tweets 2016-09-01..11-30 with authors (FiveThirtyEight / Clemson)",
            ("ira_538_by_author/ira_tweets_2016-09_2016-11.csv.gz", "ira_538_by_author/authors.csv"),
        ),
        Spec(
            "hk2021",
            "#StandWithHongKong, June 2021 (academictwitteR)",
            ("organic_hk2021_academictwitter/posts.csv.gz", "organic_hk2021_academictwitter/accounts.csv.gz"),
            ("hk2021.toml", "hk2021-accounts.toml"),
        ),
        Spec(
            "x24",
            "X, 2024 US election sample (USC x-24, 5 slices)",
            ("organic_x24_uselection_sample/posts.csv.gz",),
            ("x24.toml",),
        ),
        Spec(
            "gop2015",
            "First GOP debate, 6-7 Aug 2015 (CrowdFlower)",
            ("organic_gopdebate2015/tweets.csv.gz",),
            ("gopdebate2015.toml",),
        ),
        Spec(
            "trolls",
            "State trolls vs verified accounts (Chua Chin Hon): Russia, Iran, Venezuela",
            (
                "state_trolls_cch/russian_unseen.csv.gz",
                "state_trolls_cch/iranian_unseen.csv.gz",
                "state_trolls_cch/vz_unseen.csv.gz",
            ),
            ("state-trolls-ru.toml", "state-trolls-iran.toml", "state-trolls-vz.toml"),
            negative="control",
        ),
    )
}

ORGANIC = ("hk2021", "x24", "gop2015")


@dataclass(frozen=True)
class Paths:
    """Where the shared data, the mapping files and the work folder are."""

    data: Path
    mappings: Path
    work: Path

    def check(self, keys: Sequence[str]) -> None:
        missing = [str(self.data / i) for k in keys for i in SPECS[k].inputs if not (self.data / i).is_file()] + [
            str(self.mappings / m) for k in keys for m in SPECS[k].mappings if not (self.mappings / m).is_file()
        ]
        if missing:
            raise OvertError(
                "the evaluation needs these files (run from a checkout, with --data pointing at the shared data): "
                + ", ".join(missing)
            )


def dataset(paths: Paths, key: str) -> Path:
    """The ingested dataset *key* (ingested on first use)."""
    from overt import build_dataset

    spec = SPECS[key]
    out = paths.work / key
    if not (out / "manifest.json").is_file():
        build_dataset(
            [paths.data / i for i in spec.inputs],
            out,
            mapping=[paths.mappings / m for m in spec.mappings] or None,
            overwrite=True,
        )
    return out


def scanned(paths: Paths, key: str, signals: Sequence[Any] | None = None, note: Callable[[str], None] = print) -> Path:
    """The default scan of dataset *key* with signals and built-in scores (computed on first use)."""
    from overt.coordination.scan import scan
    from overt.scoring import score_scan
    from overt.signals import DEFAULT_SIGNALS

    out = paths.work / f"{key}-scan"
    summary = out / "summary.json"
    if not summary.is_file() or "scores" not in json.loads(summary.read_text(encoding="utf-8")):
        data = dataset(paths, key)
        note(f"{key}: scan")
        scan(data, out, overwrite=True)
        note(f"{key}: signals and scores")
        score_scan(out, signals=list(signals) if signals is not None else list(DEFAULT_SIGNALS))
    return out
