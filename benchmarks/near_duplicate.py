#!/usr/bin/env python
"""Where co_similar_text's time goes: each step of the near-duplicate join, timed alone on one dataset.

The steps are the ones ``overt scan`` materialises (:mod:`overt.coordination.near_duplicate`): tokens, messages,
prefixes, matches. The token expression is also timed in parts (the regular expression, ``list_distinct``,
mention removal), each forced with ``sum(len(...))`` so DuckDB cannot skip it. Best of ``--repeat`` runs.

    .venv/bin/python benchmarks/near_duplicate.py DATASET_DIR --style cnt
    .venv/bin/python benchmarks/near_duplicate.py DATASET_DIR --style words --threshold 0.8 --window 60
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from machine import machine  # noqa: E402 - a sibling module

from overt.coordination import near_duplicate  # noqa: E402
from overt.coordination.detectors import without_mentions  # noqa: E402


def best(con: duckdb.DuckDBPyConnection, sql: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - started)
    return round(min(times), 3)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dataset", type=Path, help="a dataset folder written by overt ingest")
    p.add_argument("--style", choices=("cnt", "words"), default="cnt", help="token style (cnt: --profile cnt)")
    p.add_argument("--threshold", type=float, default=0.8)
    p.add_argument("--window", type=int, default=60)
    p.add_argument("--min-tokens", type=int, default=1)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args(argv)

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.read_parquet(str(args.dataset / "posts.parquet")).create_view("posts")
    steps = {
        "tokens": f"CREATE OR REPLACE TEMP TABLE raw AS {near_duplicate.tokenised(args.style)}",
        "messages": "CREATE OR REPLACE TEMP TABLE msgs AS "
        + near_duplicate.messages("raw", args.window, args.min_tokens),
        "prefixes": f"CREATE OR REPLACE TEMP TABLE pre AS {near_duplicate.prefixes('msgs', args.threshold)}",
        "matches": "CREATE OR REPLACE TEMP TABLE found AS "
        + near_duplicate.matches("msgs", "pre", args.window, args.threshold),
    }
    result: dict[str, object] = {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()}}
    timings = {name: best(con, sql, args.repeat) for name, sql in steps.items()}
    # The alternative to two materialised steps: one query (DuckDB then evaluates the token expression twice).
    one_query = near_duplicate.messages(f"({near_duplicate.tokenised(args.style)})", args.window, args.min_tokens)
    timings["tokens and messages as one query"] = best(
        con, f"CREATE OR REPLACE TEMP TABLE msgs_one AS {one_query}", args.repeat
    )
    rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("raw", "msgs", "pre", "found")}  # type: ignore[index]

    texts = "FROM posts WHERE kind <> 'repost' AND text IS NOT NULL"
    lowered = without_mentions("text", links=args.style == "words")
    pattern = (near_duplicate.CNT_TOKENS if args.style == "cnt" else near_duplicate.WORDS).replace("'", "''")
    parts = {
        "lower-case, mentions removed": lowered,
        "+ regular expression": f"regexp_extract_all({lowered}, '{pattern}')",
        "+ list_distinct (the token expression)": near_duplicate.tokens(args.style),
    }
    part_timings = {name: best(con, f"SELECT sum(len({expr})) {texts}", args.repeat) for name, expr in parts.items()}
    result.update(steps=timings, rows=rows, token_expression=part_timings)

    print("| step | seconds | rows |\n|---|---:|---:|")
    for name, table in zip(steps, ("raw", "msgs", "pre", "found"), strict=True):
        print(f"| {name} | {timings[name]:.2f} | {rows[table]:,} |")
    print(f"| (tokens and messages as one query) | {timings['tokens and messages as one query']:.2f} | |")
    print("\n| token expression, cumulative | seconds |\n|---|---:|")
    for name, seconds in part_timings.items():
        print(f"| {name} | {seconds:.2f} |")
    print(json.dumps(result), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
