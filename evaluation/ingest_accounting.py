"""Ingest every real dataset in ../shared/data that overt reads and report how each input row was accounted for.

Run from the repository root: python evaluation/ingest_accounting.py [--shared ../shared/data] [--markdown]
Prints one row per input: format, rows in, posts, duplicates, account rows, rejected, seconds. Used for
docs/evaluation.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from overt import build_dataset

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

#: (name, inputs relative to shared/data, mappings relative to the repository)
RUNS: list[tuple[str, list[str], list[str]]] = [
    (
        "IRA 2016-09..11 window + authors",
        ["ira_538_by_author/ira_tweets_2016-09_2016-11.csv.gz", "ira_538_by_author/authors.csv"],
        [],
    ),
    ("IRA sample 50/author", ["ira_538_by_author/ira_tweets_sample50_per_author.csv.gz"], []),
    ("CooRTweet russian_coord_tweets", ["coortweet_coordination/russian_coord_tweets.csv.gz"], []),
    ("CooRTweet german_elections", ["coortweet_coordination/german_elections.csv.gz"], []),
    ("CooRnet CrowdTangle shares", ["peer_fixtures/coornet/ct_shares_marked.csv.gz"], []),
    ("CNT coretweet test input", ["peer_fixtures/coordination_network_toolkit/coretweet_test_input.csv"], []),
    (
        "HK 2021 posts + accounts (mappings)",
        ["organic_hk2021_academictwitter/posts.csv.gz", "organic_hk2021_academictwitter/accounts.csv.gz"],
        ["examples/mappings/hk2021.toml", "examples/mappings/hk2021-accounts.toml"],
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    print("| data | input | format | rows in | posts | duplicates | account rows | rejected | s |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, inputs, mappings) in enumerate(RUNS):
            start = time.perf_counter()
            manifest = build_dataset(
                [args.shared / p for p in inputs],
                Path(tmp) / str(i),
                mapping=[ROOT / m for m in mappings] or None,
                max_reject_rate=1,
            )
            seconds = time.perf_counter() - start
            for record in manifest.inputs:
                assert record.rows_in == record.posts + record.duplicates + record.account_rows + record.rejected
                print(
                    f"| {name} | {Path(record.path).name} | {record.format} | {record.rows_in:,} | {record.posts:,} "
                    f"| {record.duplicates:,} | {record.account_rows:,} | {record.rejected:,} | {seconds:.1f} |"
                )


if __name__ == "__main__":
    main()
