"""Rebuild the sample data in examples/ from ../shared/data (rows filtered, values unchanged).

Run from the repository root: python examples/make_examples.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parent.parent / "shared" / "data"


def main() -> None:
    con = duckdb.connect()
    tweets = SHARED / "ira_538_by_author" / "ira_tweets_2016-09_2016-11.csv.gz"
    out = ROOT / "ira-2016-10"
    # One week of the US election run-up: 2016-10-01 00:00 to 2016-10-07 23:59 UTC, every author, in file order.
    con.execute(
        """
        COPY (
            SELECT * FROM read_csv($src, all_varchar = true, header = true, quote = '"', escape = '"')
            WHERE publish_date >= '2016-10-01' AND publish_date < '2016-10-08'
        ) TO $dst (HEADER, COMPRESSION gzip, QUOTE '"', ESCAPE '"')
        """,
        {"src": str(tweets), "dst": str(out / "ira_tweets_2016-10-01_07.csv.gz")},
    )
    con.execute(
        """
        COPY (
            SELECT a.* FROM read_csv($authors, all_varchar = true, header = true) a
            WHERE a.author_id IN (
                SELECT DISTINCT author_id FROM read_csv($slice, all_varchar = true, header = true))
        ) TO $dst (HEADER)
        """,
        {
            "authors": str(SHARED / "ira_538_by_author" / "authors.csv"),
            "slice": str(out / "ira_tweets_2016-10-01_07.csv.gz"),
            "dst": str(out / "authors.csv"),
        },
    )
    shutil.copyfile(
        SHARED / "coortweet_coordination" / "russian_coord_tweets.csv.gz",
        ROOT / "coortweet-russia-2021" / "russian_coord_tweets.csv.gz",
    )


if __name__ == "__main__":
    main()
