#!/usr/bin/env python
"""``overt scan`` on DuckDB and on Spark local mode, side by side, on the same synthetic post stream.

For every size in ``--sizes`` this script

1. generates (once; later runs reuse it) the post stream of ``benchmarks/synthetic.py`` into ``benchmarks/data/``
   (the same files ``benchmarks/coordination.py`` uses) and ingests it (``overt ingest --format cnt``);
2. runs ``overt scan --no-scores`` with the default detectors on DuckDB and with ``--engine spark``
   (``--spark-master``, default ``local[*]``), each in a child process, timing wall and CPU time;
3. checks that the two scans' ``network.parquet`` and ``clusters.parquet`` are identical;
4. records, from the Spark scan's ``summary.json`` and the dataset, the rows each stage handles (actions, action
   pairs, candidate and kept edges per detector) and the bytes per row of the posts table, for the scale-out
   estimate in docs/scale-out.md (``--project`` prints it for a target size).

    .venv/bin/python benchmarks/spark.py --sizes 1000000
    .venv/bin/python benchmarks/spark.py --sizes 1000000,10000000 --json /tmp/spark.json
    .venv/bin/python benchmarks/spark.py --project 1000000000 --from-json /tmp/spark.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from coordination import ensure_data  # noqa: E402 - a sibling script
from machine import machine  # noqa: E402 - a sibling module

OVERT = [sys.executable, "-m", "overt"]


def folder_bytes(folder: Path) -> int:
    """Bytes in *folder* now (files that vanish while it is walked are skipped)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(root, name)).st_size
    return total


def run(cmd: list[str], log: Path, watch: Path | None = None) -> dict[str, Any]:
    """Run *cmd*; its wall time, the children's CPU time, exit status and (every 10 s) the peak size of *watch*:
    a scan's ``.partial`` folder, where the engine spills and Spark keeps shuffle files and checkpoints."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    peak = 0
    with log.open("w") as out:
        child = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
        )
        while True:
            try:
                child.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                if watch is not None:
                    peak = max(peak, folder_bytes(watch))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "wall_s": round(time.perf_counter() - started, 1),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
        "ok": child.returncode == 0,
    }
    if watch is not None:
        result["peak_scan_folder_gb"] = round(peak / 1e9, 2)
    return result


def same(a: Path, b: Path, name: str) -> bool:
    rows = [duckdb.sql(f"SELECT * FROM read_parquet('{d}/{name}.parquet') ORDER BY ALL").fetchall() for d in (a, b)]
    return rows[0] == rows[1]


def stage_rows(summary: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per detector: actions, pairs, candidate and kept edges (what each distributed stage shuffles)."""
    out = {}
    for name, info in summary["detectors"].items():
        out[name] = {k: int(info.get(k) or 0) for k in ("actions", "pairs", "candidate_edges", "kept_edges")}
    return out


def bench(
    size: int, data: Path, work: Path, master: str, conf: list[str], seed: int, reuse: bool = False
) -> dict[str, Any]:
    inputs = ensure_data(data, size, seed)
    ds = work / f"ds_{size}"
    if not (ds / "manifest.json").exists():
        shutil.rmtree(ds, ignore_errors=True)
        r = run([*OVERT, "ingest", str(inputs.csv), "--format", "cnt", "--out", str(ds)], work / f"ingest_{size}.log")
        if not r["ok"]:
            raise SystemExit(f"ingest failed: see {work}/ingest_{size}.log")
    result: dict[str, Any] = {"posts": size}
    outs = {}
    for engine in ("duckdb", "spark"):
        out = work / f"scan_{size}_{engine}"
        extra = ["--engine", "spark", "--spark-master", master] if engine == "spark" else []
        for c in conf if engine == "spark" else []:
            extra += ["--spark-conf", c]
        if reuse and (out / "summary.json").exists():
            # A finished scan from an earlier run: its own total (engine start included, interpreter start not).
            total = json.loads((out / "summary.json").read_text())["timings_seconds"]["total"]
            r = {"wall_s": total, "cpu_s": None, "ok": True, "reused": True}
        else:
            print(f"{size:,} posts: scanning on {engine}", file=sys.stderr)
            cmd = [*OVERT, "scan", str(ds), "--out", str(out), "--overwrite", "--no-scores", *extra]
            r = run(cmd, work / f"{out.name}.log", watch=out.with_name(out.name + ".partial"))
        result[engine] = r
        outs[engine] = out
        if r["ok"]:
            summary = json.loads((out / "summary.json").read_text())
            r["stage_seconds"] = summary["timings_seconds"]
            if engine == "spark":
                r["engine_details"] = summary["engine_details"]
                result["stage_rows"] = stage_rows(summary)
    if result["duckdb"]["ok"] and result["spark"]["ok"]:
        result["network_identical"] = same(outs["duckdb"], outs["spark"], "network")
        result["clusters_identical"] = same(outs["duckdb"], outs["spark"], "clusters")
    posts_bytes = (ds / "posts.parquet").stat().st_size
    row = duckdb.sql(
        f"SELECT avg(strlen(coalesce(text, '')) + strlen(post_id) + strlen(account_id) + 8) "
        f"FROM read_parquet('{ds}/posts.parquet')"
    ).fetchall()[0]
    result["posts_parquet_bytes_per_row"] = round(posts_bytes / size, 1)
    result["posts_in_memory_bytes_per_row"] = round(float(row[0] if row else 0.0), 1)
    return result


#: Bytes per shuffled row, by stage: (account_id, item, ts, post_id) actions and the wider pair rows. Measured
#: shuffle rows carry Spark's UnsafeRow overhead (8 bytes per field plus the variable-length parts).
ACTION_FIELDS, PAIR_FIELDS, EDGE_FIELDS = 5, 7, 10


def project(results: list[dict[str, Any]], target: int, partition_mb: int = 128) -> list[dict[str, Any]]:
    """Rows and shuffle bytes per stage at *target* posts, scaled linearly from the largest measured size.

    Linear is the honest assumption for actions (a fixed number per post) and, under the per-window cap, for
    pairs (bounded per item-window); candidate edges grow at most as fast as pairs.
    """
    base = max((r for r in results if "stage_rows" in r), key=lambda r: r["posts"])
    factor = target / base["posts"]
    text_bytes = base["posts_in_memory_bytes_per_row"]
    rows = []
    for det, counts in sorted(base["stage_rows"].items()):
        actions = counts["actions"] * factor
        pairs = counts["pairs"] * factor
        edges = counts["candidate_edges"] * factor
        action_bytes = actions * (8 * ACTION_FIELDS + 2 * 20 + (text_bytes if det in ("co_text", "co_repost") else 40))
        pair_bytes = pairs * (8 * PAIR_FIELDS + 4 * 20 + 40)
        edge_bytes = edges * (8 * EDGE_FIELDS + 2 * 20 + 5 * 40)
        rows.append(
            {
                "detector": det,
                "actions": round(actions),
                "pairs": round(pairs),
                "candidate_edges": round(edges),
                "kept_edges": round(counts["kept_edges"] * factor),
                "actions_shuffle_gb": round(action_bytes / 1e9, 1),
                "pairs_shuffle_gb": round(pair_bytes / 1e9, 1),
                "edges_shuffle_gb": round(edge_bytes / 1e9, 2),
                "partitions_at_128mb": max(1, round(max(action_bytes, pair_bytes) / (partition_mb << 20))),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000000", help="comma-separated post counts")
    p.add_argument("--data", type=Path, default=HERE / "data")
    p.add_argument("--work", type=Path, default=HERE / "data" / "spark")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--spark-master", default="local[*]")
    p.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument("--from-json", type=Path, help="read results from here instead of running")
    p.add_argument("--reuse", action="store_true", help="reuse finished scans (their summary.json total)")
    p.add_argument("--project", type=int, help="print the per-stage projection for this many posts")
    args = p.parse_args(argv)
    if args.from_json:
        results = json.loads(args.from_json.read_text())["results"]
    else:
        args.work.mkdir(parents=True, exist_ok=True)
        results = [
            bench(int(s), args.data, args.work, args.spark_master, args.spark_conf, args.seed, args.reuse)
            for s in args.sizes.split(",")
        ]
        report = {"machine": machine(), "results": results}
        text = json.dumps(report, indent=2, default=str)
        if args.json:
            args.json.write_text(text + "\n")
        print(text)
    if args.project:
        print(json.dumps(project(results, args.project), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
