#!/usr/bin/env python
"""``overt report`` on scans of 1k, 10k and 100k accounts: report generation and first render in Chromium.

For every size in ``--accounts`` this script

1. generates (once; later runs reuse it) a post stream with planted coordinated groups with
   ``benchmarks/synthetic.py``: ``--accounts N --posts N * --posts-per-account`` (default 20 posts per account),
   into ``--work`` (default ``benchmarks/data/report/``, git-ignored);
2. ingests it (``overt ingest FILE --format cnt``) and runs the default scan (``overt scan DS --out SCAN``, which
   also computes the signals, scores and DISARM tags), unless a complete dataset or scan from the same inputs is
   already there. These steps prepare the input and are not what is measured: their times are recorded in the
   JSON only when they ran;
3. times ``overt.report.render.write_report(SCAN, OUT)`` in a fresh child Python process (``--repeat`` times):
   wall time of the call itself (the imports are timed apart), peak RSS of the child, and the size of the page
   and of the two CSV files written next to it;
4. opens the page in Chromium (Playwright, headless, a fresh browser context per run so nothing is cached) and
   measures the time from ``page.goto`` to the ``load`` event and to the first network SVG with circles
   (``page.wait_for_selector("svg circle")``), the browser's own navigation timings (DOMContentLoaded, load,
   first contentful paint, and when the parser inserted the first ``svg circle``, seen by a MutationObserver),
   and counts console errors and uncaught page errors.

It prints a table (and the setup it needed) and, with ``--json FILE``, writes every run with the machine.

    .venv/bin/python benchmarks/report.py
    .venv/bin/python benchmarks/report.py --accounts 1000,10000 --repeat 3 --json /tmp/report-bench.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synthetic  # noqa: E402 - a sibling script, not an installed module
from machine import machine  # noqa: E402 - a sibling module

DEFAULT_WORK = HERE / "data" / "report"
DEFAULT_ACCOUNTS = "1000,10000,100000"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu"]
console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
out = Console(width=None if sys.stdout.isatty() else 160)

# Runs in the child: imports timed apart from the call, then one write_report; the result as JSON on stdout.
CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from overt.report.render import write_report
t1 = time.perf_counter()
write_report(sys.argv[1], sys.argv[2], top=int(sys.argv[3]))
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"import_s": t1 - t0, "write_report_s": t2 - t1, "peak_rss_mib": peak}))
"""

# Injected before the page's own scripts: when the parser first inserts an <svg> <circle>, and paint timings.
INIT_SCRIPT = """
window.__firstCircle = null;
new MutationObserver(function (records, observer) {
  if (document.querySelector("svg circle")) {
    window.__firstCircle = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""

TIMINGS_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  return {
    dom_content_loaded_ms: nav ? nav.domContentLoadedEventEnd : null,
    load_event_ms: nav ? nav.loadEventEnd : null,
    first_contentful_paint_ms: fcp ? fcp.startTime : null,
    first_circle_ms: window.__firstCircle,
    circles: document.querySelectorAll("svg circle").length,
    network_svgs: new Set(Array.from(document.querySelectorAll("svg circle"), (c) => c.ownerSVGElement)).size,
    elements: document.getElementsByTagName("*").length,
  };
}"""


def run(cmd: list[str], log: Path) -> float:
    """Run *cmd* with its output appended to *log*; its wall seconds. Raises when it fails."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log, "ab") as sink:
        sink.write(f"$ {' '.join(cmd)}\n".encode())
        sink.flush()
        code = subprocess.run(cmd, stdout=sink, stderr=subprocess.STDOUT).returncode
    if code:
        tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
        raise SystemExit(f"failed ({code}): {' '.join(cmd)}: {tail}")
    return round(time.perf_counter() - started, 2)


# --------------------------------------------------------------------------------------------------------------
# Inputs: synthetic stream, dataset, default scan (cached; not measured)
# --------------------------------------------------------------------------------------------------------------


def prepare(a: argparse.Namespace, accounts: int) -> tuple[Path, dict[str, Any]]:
    """The scan folder for *accounts* accounts, made unless a complete one from the same inputs exists."""
    posts = accounts * a.posts_per_account
    folder = a.work / f"accounts_{accounts}_posts_{posts}_seed{a.seed}"
    csv, ds, scan, log = folder / "posts.csv", folder / "dataset", folder / "scan", folder / "setup.log"
    sidecar = folder / "inputs.json"
    want = {"generator_version": synthetic.GENERATOR_VERSION, "posts": posts, "accounts": accounts, "seed": a.seed}
    setup: dict[str, Any] = {}
    meta = json.loads(sidecar.read_text()) if sidecar.exists() else {}
    fresh = {k: meta.get(k) for k in want} == want and csv.exists() and meta.get("csv_bytes") == csv.stat().st_size
    if not fresh:
        shutil.rmtree(folder, ignore_errors=True)  # setup.json too: its times were for other inputs
        folder.mkdir(parents=True)
        console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {accounts:,} accounts: generating {posts:,} posts")
        part = csv.with_name(csv.name + ".part")  # renamed at the end: an interrupted run leaves nothing to reuse
        cmd = [sys.executable, str(HERE / "synthetic.py"), "--posts", str(posts), "--accounts", str(accounts)]
        setup["generate_s"] = run([*cmd, "--seed", str(a.seed), "--out-cnt", str(part), "--quiet"], log)
        part.replace(csv)
        sidecar.write_text(json.dumps({**want, "csv_bytes": csv.stat().st_size}, indent=2))
    if not (ds / "manifest.json").exists():
        shutil.rmtree(scan, ignore_errors=True)  # a scan of an older dataset
        console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {accounts:,} accounts: overt ingest")
        cmd = [a.overt, "ingest", str(csv), "--format", "cnt", "--out", str(ds), "--overwrite"]
        setup["ingest_s"] = run(cmd, log)
    # summary.json is written last; cluster_scores.parquet shows that the signals and scores ran too.
    if not ((scan / "summary.json").exists() and (scan / "cluster_scores.parquet").exists()):
        shutil.rmtree(scan, ignore_errors=True)
        console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {accounts:,} accounts: overt scan (default)")
        setup["scan_s"] = run([a.overt, "scan", str(ds), "--out", str(scan)], log)
    # Setup times are kept next to the inputs, so that a rerun that reuses them still reports them.
    setup_file = folder / "setup.json"
    setup = {**(json.loads(setup_file.read_text()) if setup_file.exists() else {}), **setup}
    setup_file.write_text(json.dumps(setup, indent=2))
    summary = json.loads((scan / "summary.json").read_text())
    tables = json.loads((ds / "manifest.json").read_text())["tables"]
    info = {
        "folder": str(folder),
        "posts": tables["posts"],
        "accounts": tables["accounts"],
        "network_accounts": summary["network"]["accounts"],
        "network_edges": summary["network"]["edges"],
        "clusters": summary["clusters"]["count"],
        "clustered_accounts": summary["clusters"]["accounts"],
        "flagged_accounts": (summary.get("scores") or {}).get("flagged_accounts"),
        "setup_seconds": setup,
    }
    return scan, info


# --------------------------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------------------------


def generate(scan: Path, page: Path, top: int) -> dict[str, Any]:
    """One write_report in a fresh child process: seconds, peak RSS and the sizes of what it wrote."""
    page.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(scan), str(page), str(top)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"write_report failed on {scan}: {stderr.decode(errors='replace')[-2000:]}")
    child = json.loads(stdout.decode().strip().splitlines()[-1])
    sizes = {p.name: p.stat().st_size for p in (page, page.parent / "clusters.csv", page.parent / "evidence.csv")}
    return {
        "write_report_s": round(child["write_report_s"], 3),
        "import_s": round(child["import_s"], 3),
        "process_wall_s": round(wall, 3),
        "peak_rss_mib": round(child["peak_rss_mib"], 1),  # the child's own ru_maxrss, imports included
        "page_bytes": sizes[page.name],
        "clusters_csv_bytes": sizes["clusters.csv"],
        "evidence_csv_bytes": sizes["evidence.csv"],
    }


def render(browser: Any, page_path: Path, timeout_s: float) -> dict[str, Any]:
    """Open *page_path* in a fresh context; wall times from goto to load and to the first ``svg circle``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    try:
        started = time.perf_counter()
        page.goto(page_path.resolve().as_uri(), wait_until="load", timeout=timeout_s * 1000)
        load = time.perf_counter() - started
        circle: float | None
        try:
            page.wait_for_selector("svg circle", timeout=timeout_s * 1000)
            circle = time.perf_counter() - started
        except Exception:  # a page without a visible network is a result, not a crash
            circle = None
        timings = page.evaluate(TIMINGS_JS)
    finally:
        context.close()
    return {
        "goto_to_load_s": round(load, 3),
        "goto_to_svg_circle_s": None if circle is None else round(circle, 3),
        **{k: (round(v, 1) if isinstance(v, float) else v) for k, v in timings.items()},
        "console_errors": len(errors),
        "errors": errors[:5],
    }


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def _fmt(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def report(results: list[dict[str, Any]], repeat: int) -> None:
    table = Table(title=f"overt report: generation and first render (median of {repeat})")
    cols = ["size", "accounts", "posts", "clusters", "write s", "RSS MiB", "page MB", "CSVs MB", "load s", "svg s"]
    cols += ["FCP ms", "parsed ms", "circles", "errors"]
    for col in cols:
        table.add_column(col, justify="right")
    for r in results:
        g, b = r["generation"], r["render"]
        table.add_row(
            f"{r['size']:,}",
            f"{r['accounts']:,}",
            f"{r['posts']:,}",
            f"{r['clusters']:,}",
            _fmt(_median(g, "write_report_s")),
            _fmt(max(x["peak_rss_mib"] for x in g), 0),
            _fmt(g[-1]["page_bytes"] / 1e6),
            _fmt((g[-1]["clusters_csv_bytes"] + g[-1]["evidence_csv_bytes"]) / 1e6),
            _fmt(_median(b, "goto_to_load_s")),
            _fmt(_median(b, "goto_to_svg_circle_s")),
            _fmt(_median(b, "first_contentful_paint_ms"), 0),
            _fmt(_median(b, "first_circle_ms"), 0),
            f"{b[-1]['circles']:,}" if b else "-",
            str(max((x["console_errors"] for x in b), default=0)) if b else "-",
        )
    out.print(table)
    out.print(
        "[dim]write s: write_report (collect, CSVs, render, write) in a fresh process, imports excluded; RSS: that "
        "process's peak; page: the HTML; CSVs: clusters.csv + evidence.csv; load s / svg s: page.goto to the load "
        "event / to wait_for_selector('svg circle'); FCP: first contentful paint; parsed: when the parser inserted "
        "the first svg circle (both from navigation start); errors: console errors + page errors (max of runs)[/]"
    )
    for r in results:
        if r["setup_seconds"]:
            steps = ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in r["setup_seconds"].items())
            out.print(f"[dim]{r['size']:,} accounts, setup (not what is measured here): {steps}[/]")
        for x in r["render"]:
            for e in x["errors"]:
                out.print(f"[red]{r['size']:,} accounts, console error:[/] {e}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--accounts", default=DEFAULT_ACCOUNTS, help="comma-separated sizes (default %(default)s)")
    p.add_argument("--posts-per-account", type=int, default=20, help="posts = accounts x this (default 20)")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK, help="inputs, datasets, scans (reused; %(default)s)")
    p.add_argument("--overt", default=str(Path(sys.executable).parent / "overt"), help="overt executable")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--top", type=int, default=20, help="clusters shown in full (write_report's top)")
    p.add_argument("--repeat", type=int, default=3, help="runs of generation and of rendering per size")
    p.add_argument("--no-browser", action="store_true", help="time generation only")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the page (default 120)")
    p.add_argument("--json", type=Path, help="write the results here")
    a = p.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in a.accounts.split(",") if s.strip()]

    meta: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "args": {k: str(v) for k, v in vars(a).items()},
    }
    prepared = [(size, *prepare(a, size)) for size in sizes]

    playwright = browser = None
    if not a.no_browser:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        meta["chromium"] = browser.version
    results: list[dict[str, Any]] = []
    try:
        for size, scan, info in prepared:
            page = Path(info["folder"]) / "report" / "report.html"
            console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {size:,} accounts: write_report x{a.repeat}")
            generation = [generate(scan, page, a.top) for _ in range(a.repeat)]
            rendering = []
            if browser is not None:
                console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {size:,} accounts: Chromium x{a.repeat}")
                rendering = [render(browser, page, a.timeout) for _ in range(a.repeat)]
            results.append({"size": size, **info, "generation": generation, "render": rendering})
            if a.json:
                a.json.write_text(json.dumps({**meta, "results": results}, indent=2, default=str))
    finally:
        if browser is not None:
            browser.close()
        if playwright is not None:
            playwright.stop()
    report(results, a.repeat)
    if a.json:
        console.print(f"results written to {a.json}")
    return 1 if any(x["console_errors"] for r in results for x in r["render"]) else 0


if __name__ == "__main__":
    sys.exit(main())
