#!/usr/bin/env python
"""coordination-network-toolkit 1.5.2 and ``overt scan`` side by side on the same synthetic post stream.

For every size in ``--sizes`` this script

1. generates (once; later runs reuse it) a post stream with planted coordinated groups with
   ``benchmarks/synthetic.py`` into ``benchmarks/data/`` (git-ignored): the toolkit's 8-column CSV, the planted
   accounts and the campaigns;
2. runs the toolkit (installed from the package registry into its own virtual environment, ``--cnt-venv``):
   ``compute_networks DB preprocess --format csv FILE``, then ``compute`` of ``co_retweet``, ``co_link``,
   ``co_tweet`` and ``co_similar_tweet`` with a 60 s window, minimum edge weight 2 and 2 processes;
3. runs overt on the same file: ``overt ingest FILE --format cnt`` and ``overt scan --profile cnt`` with the
   same parameters and the four matching detectors;
4. compares the edge sets per detector (self loops left out on both sides) as sets of
   ``(account_a, account_b, int(weight))``;
5. runs the default ``overt scan`` and scores ``clusters.parquet`` against the planted accounts (recall,
   precision) and ``network.parquet`` (share of edges inside one planted group).

Every stage runs in a child process; its wall time, CPU time (``os.wait4``) and peak RSS are measured. Peak RSS
is the largest sum of RSS over the child's whole process tree, sampled every 0.1 s with psutil (the toolkit
forks worker processes; pages they share with their parent are counted once per process, so for the toolkit
the figure is an upper bound).

    .venv/bin/python benchmarks/coordination.py --sizes 100000
    .venv/bin/python benchmarks/coordination.py --sizes 1000000 --json /tmp/coordination.json
    .venv/bin/python benchmarks/coordination.py --sizes 10000000 --skip-cnt
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import psutil
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synthetic  # noqa: E402 - a sibling script, not an installed module
from machine import machine  # noqa: E402 - a sibling module

DEFAULT_DATA = HERE / "data"
DEFAULT_SIZES = "100000,1000000"
CNT_VERSION = "1.5.2"
#: overt detector -> the toolkit's network of the same trace.
DETECTORS = {
    "co_repost": "co_retweet",
    "co_link": "co_link",
    "co_text": "co_tweet",
    "co_similar_text": "co_similar_tweet",
}
# Progress goes to stderr, the report to stdout; both wide enough for the tables when written to a file.
console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
out = Console(width=None if sys.stdout.isatty() else 160)


# --------------------------------------------------------------------------------------------------------------
# Measuring a child process
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Stage:
    size: int
    tool: str
    stage: str
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    returncode: int
    command: list[str]
    log: str
    counted: bool = True  # part of the tool's end-to-end time
    error: str | None = None


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.Error):  # exited between listing and reading
            total += p.memory_info().rss
    return total


class _PeakSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, _tree_rss(self.proc))
            self.stop.wait(self.interval)


def measure(size: int, tool: str, stage: str, cmd: list[str], log: Path, counted: bool = True) -> Stage:
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {size:,} {tool} {stage}")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as sink:
        sink.write(f"$ {' '.join(cmd)}\n".encode())
        sink.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
        sampler = _PeakSampler(proc.pid)
        sampler.start()
        # wait4 rather than proc.wait(): it also returns the CPU time of the child and the children it waited for.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    error = None
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        error = " | ".join(tail)
        console.print(f"[red]{tool} {stage} failed ({proc.returncode}):[/] {error}")
    return Stage(
        size=size,
        tool=tool,
        stage=stage,
        wall_s=round(wall, 3),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
        peak_rss_mib=round(sampler.peak / 2**20, 1),
        returncode=proc.returncode,
        command=cmd,
        log=str(log),
        counted=counted,
        error=error,
    )


# --------------------------------------------------------------------------------------------------------------
# Inputs and tools
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Inputs:
    csv: Path
    truth: Path
    campaigns: Path
    generated_s: float | None


def ensure_data(data: Path, posts: int, seed: int) -> Inputs:
    """The synthetic stream for *posts*, generated unless a complete copy from this generator is cached."""
    stem = data / f"synthetic_{posts}_seed{seed}"
    files = Inputs(Path(f"{stem}.csv"), Path(f"{stem}_truth.csv"), Path(f"{stem}_campaigns.csv"), None)
    sidecar = Path(f"{stem}.json")
    want = {"generator_version": synthetic.GENERATOR_VERSION, "posts": posts, "seed": seed}
    if sidecar.exists() and all(p.exists() for p in (files.csv, files.truth, files.campaigns)):
        meta = json.loads(sidecar.read_text())
        if {k: meta.get(k) for k in want} == want and meta.get("csv_bytes") == files.csv.stat().st_size:
            return files
    data.mkdir(parents=True, exist_ok=True)
    console.print(f"generating {posts:,} posts into {files.csv}")
    # Written under temporary names and renamed at the end, so an interrupted run leaves no half file to reuse.
    tmp = {p: p.with_name(p.name + ".part") for p in (files.csv, files.truth, files.campaigns)}
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(HERE / "synthetic.py"),
            "--posts",
            str(posts),
            "--seed",
            str(seed),
            "--out-cnt",
            str(tmp[files.csv]),
            "--truth",
            str(tmp[files.truth]),
            "--campaigns-out",
            str(tmp[files.campaigns]),
        ],
        check=True,
    )
    files.generated_s = round(time.perf_counter() - started, 1)
    for final, part in tmp.items():
        part.replace(final)
    sidecar.write_text(
        json.dumps({**want, "csv_bytes": files.csv.stat().st_size, "seconds": files.generated_s}, indent=2)
    )
    return files


def ensure_cnt(venv: Path) -> str:
    """The toolkit's version in *venv*, installing it there first when it is missing."""
    exe = venv / "bin" / "compute_networks"
    if not exe.exists():
        console.print(f"installing coordination-network-toolkit=={CNT_VERSION} into {venv}")
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"coordination-network-toolkit=={CNT_VERSION}", "numpy"],
            check=True,
        )
    out = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m; print(m.version('coordination-network-toolkit'))",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def overt_version(overt: str) -> str:
    out = subprocess.run([overt, "--version"], capture_output=True, text=True)
    return (out.stdout or out.stderr).strip()


# --------------------------------------------------------------------------------------------------------------
# Running both tools
# --------------------------------------------------------------------------------------------------------------


def run_cnt(a: argparse.Namespace, size: int, inputs: Inputs, work: Path) -> list[Stage]:
    exe = str(Path(a.cnt_venv) / "bin" / "compute_networks")
    db = work / "cnt.db"
    log = work / "cnt.log"
    for p in work.glob("cnt.db*"):
        p.unlink()
    stages = [measure(size, "cnt", "preprocess", [exe, str(db), "preprocess", "--format", "csv", str(inputs.csv)], log)]
    if stages[-1].returncode:
        return stages
    # The toolkit 1.5.2 splits an empty urls field into [''] and stores '' as a URL of every post without one, so
    # its co-link network links everybody who posted anything within the window. Deleting those rows is the
    # workaround; it is timed apart and not counted, so the toolkit is not charged for its bug.
    started = time.perf_counter()
    with sqlite3.connect(db) as con:
        deleted = con.execute("delete from message_url where url = ''").rowcount
    stages.append(
        Stage(
            size=size,
            tool="cnt",
            stage=f"workaround: delete {deleted:,} empty URLs",
            wall_s=round(time.perf_counter() - started, 3),
            cpu_s=0.0,
            peak_rss_mib=0.0,
            returncode=0,
            command=["sqlite3", str(db), "delete from message_url where url = ''"],
            log=str(log),
            counted=False,
        )
    )
    for network in DETECTORS.values():
        cmd = [exe, str(db), "compute", network, "--time_window", str(a.window), "--min_edge_weight", str(a.min_weight)]
        cmd += ["--n_cpus", str(a.n_cpus)]
        if network == "co_similar_tweet":
            cmd += ["--similarity_threshold", str(a.similarity_threshold)]
        stages.append(measure(size, "cnt", network, cmd, log))
    return stages


def run_overt(a: argparse.Namespace, size: int, inputs: Inputs, work: Path) -> list[Stage]:
    log = work / "overt.log"
    ds, scan = work / "dataset", work / "scan_cnt"
    stages = [
        measure(
            size,
            "overt",
            "ingest",
            [a.overt, "ingest", str(inputs.csv), "--format", "cnt", "--out", str(ds), "--overwrite"],
            log,
        )
    ]
    if stages[-1].returncode:
        return stages
    shutil.rmtree(scan, ignore_errors=True)
    cmd = [a.overt, "scan", str(ds), "--out", str(scan), "--profile", "cnt", "--window", str(a.window)]
    cmd += ["--min-weight", str(a.min_weight), "--similarity-threshold", str(a.similarity_threshold)]
    cmd += ["--detectors", ",".join(DETECTORS)]
    stages.append(measure(size, "overt", "scan --profile cnt", cmd, log))
    return stages


def run_default_scan(a: argparse.Namespace, size: int, work: Path) -> Stage:
    scan = work / "scan_default"
    shutil.rmtree(scan, ignore_errors=True)
    cmd = [a.overt, "scan", str(work / "dataset"), "--out", str(scan)]
    return measure(size, "overt", "scan (default)", cmd, work / "overt.log", counted=False)


# --------------------------------------------------------------------------------------------------------------
# Comparing results
# --------------------------------------------------------------------------------------------------------------

Edge = tuple[str, str, int]


def cnt_edges(db: Path, network: str) -> set[Edge] | None:
    with sqlite3.connect(db) as con:
        tables = {r[0] for r in con.execute("select name from sqlite_master where type = 'table'")}
        if f"{network}_network" not in tables:
            return None
        rows = con.execute(f"select user_1, user_2, weight from {network}_network where user_1 != user_2")
        return {(str(u1), str(u2), int(w)) for u1, u2, w in rows}


def overt_edges(path: Path) -> set[Edge] | None:
    if not path.exists():
        return None
    rows = duckdb.sql(
        "SELECT account_a, account_b, weight FROM read_parquet(?) WHERE account_a <> account_b", params=[str(path)]
    ).fetchall()
    return {(str(x), str(y), int(w)) for x, y, w in rows}


def compare_edges(work: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for detector, network in DETECTORS.items():
        ours = overt_edges(work / "scan_cnt" / "edges" / f"{detector}.parquet")
        theirs = cnt_edges(work / "cnt.db", network) if (work / "cnt.db").exists() else None
        if ours is None or theirs is None:
            out[detector] = {"equal": None, "cnt_edges": len(theirs or ()), "overt_edges": len(ours or ())}
            out[detector]["missing"] = [n for n, s in (("cnt", theirs), ("overt", ours)) if s is None]
            continue
        only_cnt, only_overt = sorted(theirs - ours), sorted(ours - theirs)
        out[detector] = {
            "equal": not only_cnt and not only_overt,
            "cnt_edges": len(theirs),
            "overt_edges": len(ours),
            "only_cnt": len(only_cnt),
            "only_overt": len(only_overt),
            "only_cnt_examples": only_cnt[:3],
            "only_overt_examples": only_overt[:3],
        }
    return out


def score(truth: Path, scan: Path) -> dict[str, Any] | None:
    clusters, network = scan / "clusters.parquet", scan / "network.parquet"
    if not clusters.exists():
        return None
    with open(truth, newline="", encoding="utf-8") as f:
        # Our generator writes account_id; the acceptance check's generator, user_id.
        group = {(r.get("account_id") or r["user_id"]): int(r["group_id"]) for r in csv.DictReader(f)}
    flagged = {
        str(r[0])
        for r in duckdb.sql("SELECT DISTINCT account_id FROM read_parquet(?)", params=[str(clusters)]).fetchall()
    }
    hits = flagged & group.keys()
    per_group: dict[int, list[int]] = {}
    for account, g in group.items():
        per_group.setdefault(g, [0, 0])[1] += 1
        per_group[g][0] += account in flagged
    result: dict[str, Any] = {
        "planted": len(group),
        "flagged": len(flagged),
        "recall": round(len(hits) / len(group), 4) if group else None,
        "precision": round(len(hits) / len(flagged), 4) if flagged else None,
        "recall_by_group": {str(g): round(found / n, 4) for g, (found, n) in sorted(per_group.items())},
    }
    if network.exists():
        pairs = duckdb.sql("SELECT account_a, account_b FROM read_parquet(?)", params=[str(network)]).fetchall()
        inside = sum(1 for x, y in pairs if str(x) in group and group[str(x)] == group.get(str(y)))
        result["network_edges"] = len(pairs)
        result["edge_precision"] = round(inside / len(pairs), 4) if pairs else None
    per_trace = {}
    for path in sorted((scan / "edges").glob("*.parquet")):
        pairs = duckdb.sql("SELECT account_a, account_b FROM read_parquet(?)", params=[str(path)]).fetchall()
        inside = sum(1 for x, y in pairs if str(x) in group and group[str(x)] == group.get(str(y)))
        per_trace[path.stem] = {
            "kept_edges": len(pairs),
            "edge_precision": round(inside / len(pairs), 4) if pairs else None,
        }
    result["per_trace"] = per_trace
    return result


# --------------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------------


def _fmt(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def report(results: list[dict[str, Any]]) -> None:
    stages = Table(title="Stages", show_lines=False)
    for col in ("size", "tool", "stage", "wall s", "CPU s", "peak RSS MiB", "ok"):
        stages.add_column(col, justify="left" if col in ("tool", "stage") else "right")
    for r in results:
        for s in r["stages"]:
            ok = "yes" if s["returncode"] == 0 else f"[red]rc {s['returncode']}[/]"
            name = s["stage"] if s["counted"] else f"[dim]{s['stage']}[/]"
            stages.add_row(
                f"{r['size']:,}", s["tool"], name, _fmt(s["wall_s"]), _fmt(s["cpu_s"]), _fmt(s["peak_rss_mib"], 0), ok
            )
        for tool in ("cnt", "overt"):
            total = r["totals"].get(tool)
            if total:
                stages.add_row(
                    f"{r['size']:,}",
                    f"[bold]{tool}[/]",
                    "[bold]end to end[/]",
                    f"[bold]{_fmt(total['wall_s'])}[/]",
                    _fmt(total["cpu_s"]),
                    _fmt(total["peak_rss_mib"], 0),
                    "yes" if total["ok"] else "[red]no[/]",
                )
    out.print(stages)

    summary = Table(title="CNT vs overt")
    cols = ["size", "CNT/overt time", *(f"{d} edges equal" for d in DETECTORS), "recall", "precision", "edge prec."]
    for col in cols:
        summary.add_column(col, justify="right")
    for r in results:
        ratio = r.get("time_ratio_cnt_over_overt")
        cells = [f"{r['size']:,}", "-" if ratio is None else f"{ratio:.1f}x"]
        for d in DETECTORS:
            e = r["edges"].get(d)
            if not e or e["equal"] is None:
                cells.append("-" if not e else f"missing {', '.join(e['missing'])}")
            elif e["equal"]:
                cells.append(f"[green]yes[/] ({e['cnt_edges']:,})")
            else:
                cells.append(f"[red]no[/] (-{e['only_cnt']:,} +{e['only_overt']:,} of {e['cnt_edges']:,})")
        s = r.get("planted") or {}
        cells += [_fmt(s.get("recall"), 3), _fmt(s.get("precision"), 3), _fmt(s.get("edge_precision"), 3)]
        summary.add_row(*cells)
    out.print(summary)
    for r in results:
        for d, e in r["edges"].items():
            if e.get("equal") is False:
                out.print(
                    f"{r['size']:,} {d}: only in CNT {e['only_cnt_examples']}, only in overt {e['only_overt_examples']}"
                )


def totals(stages: list[Stage], tool: str) -> dict[str, Any] | None:
    counted = [s for s in stages if s.tool == tool and s.counted]
    if not counted:
        return None
    return {
        "wall_s": round(sum(s.wall_s for s in counted), 3),
        "cpu_s": round(sum(s.cpu_s for s in counted), 3),
        "peak_rss_mib": max(s.peak_rss_mib for s in counted),
        "ok": all(s.returncode == 0 for s in counted),
        "stages": [s.stage for s in counted],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated post counts (default %(default)s)")
    p.add_argument("--cnt-venv", default="/tmp/overt-bench-cnt", help="virtual environment with the toolkit")
    p.add_argument("--overt", default=str(Path(sys.executable).parent / "overt"), help="overt executable")
    p.add_argument("--skip-cnt", action="store_true", help="run overt only")
    p.add_argument("--keep", action="store_true", help="keep the databases, datasets and scans")
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="cache of generated inputs (default %(default)s)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--window", type=int, default=60)
    p.add_argument("--min-weight", type=int, default=2)
    p.add_argument("--similarity-threshold", type=float, default=0.8)
    p.add_argument("--n-cpus", type=int, default=2, help="the toolkit's worker processes")
    p.add_argument(
        "--score",
        nargs=2,
        metavar=("SCAN_DIR", "TRUTH_CSV"),
        help="only score an existing scan folder against planted accounts, print JSON and exit",
    )
    a = p.parse_args(argv)
    if a.score:
        print(json.dumps(score(Path(a.score[1]), Path(a.score[0])), indent=2))
        return 0
    sizes = [int(s.replace("_", "")) for s in a.sizes.split(",") if s.strip()]

    meta: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "overt": overt_version(a.overt),
        "args": {k: str(v) for k, v in vars(a).items()},
    }
    if not a.skip_cnt:
        meta["cnt"] = ensure_cnt(Path(a.cnt_venv))
    run_dir = a.data / "out" / f"coordination-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    results: list[dict[str, Any]] = []
    failed = False
    for size in sizes:
        inputs = ensure_data(a.data, size, a.seed)
        work = run_dir / str(size)
        work.mkdir(parents=True, exist_ok=True)
        stages: list[Stage] = []
        if not a.skip_cnt:
            stages += run_cnt(a, size, inputs, work)
        stages += run_overt(a, size, inputs, work)
        planted = None
        if (work / "dataset").exists() and all(s.returncode == 0 for s in stages if s.tool == "overt"):
            stages.append(run_default_scan(a, size, work))
            planted = score(inputs.truth, work / "scan_default")
        cnt_total, overt_total = totals(stages, "cnt"), totals(stages, "overt")
        ratio = None
        if cnt_total and overt_total and cnt_total["ok"] and overt_total["ok"]:
            ratio = round(cnt_total["wall_s"] / overt_total["wall_s"], 2)
        result = {
            "size": size,
            "input": str(inputs.csv),
            "generated_s": inputs.generated_s,
            "stages": [asdict(s) for s in stages],
            "totals": {k: v for k, v in (("cnt", cnt_total), ("overt", overt_total)) if v},
            "time_ratio_cnt_over_overt": ratio,
            "edges": compare_edges(work) if not a.skip_cnt else {},
            "planted": planted,
        }
        results.append(result)
        failed |= any(s.returncode for s in stages)
        failed |= any(e.get("equal") is False for e in result["edges"].values())
        if a.json:
            a.json.write_text(json.dumps({**meta, "results": results}, indent=2, default=str))
    report(results)
    if a.json:
        console.print(f"results written to {a.json}")
    if a.keep or failed:
        console.print(f"work files kept in {run_dir}")
    else:
        shutil.rmtree(run_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
