"""False-positive check: how many accounts does the default ``overt scan`` flag on organic data, and why?

Run from the repository root:

    python evaluation/coordination_organic.py [--shared ../shared/data] [--work DIR] [--json FILE]

Ingests two organic Twitter/X datasets that contain no known influence operation (the 2024 US election sample of
the USC x-24 dataset and #StandWithHongKong from June 2021), runs the default scan on each (every default
detector, 60 s window, FDR 0.01, min cluster size 3) and prints, per dataset: the accounts in the dataset, the
accounts in any kept edge, the accounts in clusters (flagged) and the share flagged; then, for every cluster and
every group of kept edges outside clusters, what its accounts shared, when, and example posts, read from the
scan's evidence. With ``--near-misses N`` (default 5) it also scans once more with ``alpha=1`` (every tested
edge kept) to show what the significance test removed: the accounts that would be flagged without it and the N
edges closest to being kept. Used for docs/evaluation.md ("Coordination on organic data").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import networkx as nx
from common import detector_rows, detector_table, short, when, work_folder
from rich.console import Console
from rich.table import Table

from overt import build_dataset
from overt.coordination.scan import scan
from overt.coordination.schema import EDGES, EVIDENCE

ROOT = Path(__file__).resolve().parent.parent

#: (key, description, inputs relative to shared/data, mappings relative to the repository)
DATASETS: list[tuple[str, str, list[str], list[str]]] = [
    (
        "x24",
        "X 2024 US election sample (USC x-24, 5 slices)",
        ["organic_x24_uselection_sample/posts.csv.gz"],
        ["examples/mappings/x24.toml"],
    ),
    (
        "hk2021",
        "#StandWithHongKong June 2021 (academictwitteR)",
        ["organic_hk2021_academictwitter/posts.csv.gz", "organic_hk2021_academictwitter/accounts.csv.gz"],
        ["examples/mappings/hk2021.toml", "examples/mappings/hk2021-accounts.toml"],
    ),
]

#: The scan's defaults, restated for the report (the scan itself is called with its defaults).
ALPHA = 0.01

#: How each detector's shared item reads in a sentence.
VERBS = {
    "co_repost": "reposted post {item}",
    "co_link": "posted the link {item}",
    "co_hashtag": "used #{item}",
    "co_text": "posted the same text “{item}”",
    "co_similar_text": "posted near-copies of post {item}",
    "co_reply": "replied to post {item}",
    "co_mention": "mentioned @{item}",
    "co_media": "posted the media {item}",
    "fast_repost": "reposted post {item} within seconds of its author",
}


class Report:
    """Figures and evidence of one scan, read from its folder and the dataset's tables."""

    def __init__(self, dataset: Path, scan_dir: Path) -> None:
        self.scan_dir = scan_dir
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"CREATE VIEW posts AS SELECT * FROM read_parquet('{dataset / 'posts.parquet'}')")
        self.con.execute(f"CREATE VIEW accounts AS SELECT * FROM read_parquet('{dataset / 'accounts.parquet'}')")
        self.con.execute(f"CREATE VIEW clusters AS SELECT * FROM read_parquet('{scan_dir / 'clusters.parquet'}')")
        self.summary: dict[str, Any] = json.loads((scan_dir / "summary.json").read_text(encoding="utf-8"))
        self._union("edges")
        self._union("evidence")

    def _union(self, kind: str) -> None:
        files = sorted((self.scan_dir / kind).glob("*.parquet"))
        if files:
            names = ", ".join(f"'{f}'" for f in files)
            self.con.execute(f"CREATE TABLE {kind} AS SELECT * FROM read_parquet([{names}], union_by_name = true)")
        else:  # no detector ran
            self.con.register(f"{kind}_empty", (EDGES if kind == "edges" else EVIDENCE).empty_table())
            self.con.execute(f"CREATE TABLE {kind} AS SELECT * FROM {kind}_empty")

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        row = self.con.execute(sql, params or []).fetchone()
        return None if row is None else row[0]

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def name(self, account: str) -> str:
        handle = self.scalar("SELECT handle FROM accounts WHERE account_id = ?", [account])
        return f"@{handle}" if handle else account

    # --- figures ---------------------------------------------------------------------------------------------

    def counts(self) -> dict[str, Any]:
        posting = int(self.scalar("SELECT count(DISTINCT account_id) FROM posts"))
        in_edges = int(
            self.scalar("SELECT count(*) FROM (SELECT account_a FROM edges UNION SELECT account_b FROM edges) u")
        )
        flagged = int(self.scalar("SELECT count(DISTINCT account_id) FROM clusters"))
        return {
            "posts": int(self.scalar("SELECT count(*) FROM posts")),
            "accounts": int(self.scalar("SELECT count(*) FROM accounts")),
            "posting_accounts": posting,
            "kept_edges": int(self.scalar("SELECT count(*) FROM edges")),
            "accounts_in_edges": in_edges,
            "clusters": int(self.scalar("SELECT count(DISTINCT cluster) FROM clusters")),
            "accounts_flagged": flagged,
            "share_flagged": flagged / posting if posting else 0.0,
            "share_in_edges": in_edges / posting if posting else 0.0,
        }

    def detectors(self) -> list[dict[str, Any]]:
        return detector_rows(self.summary)

    # --- groups: clusters, and connected kept edges outside clusters -------------------------------------------

    def groups(self) -> list[dict[str, Any]]:
        groups: list[dict[str, Any]] = []
        members = "SELECT cluster, list(account_id ORDER BY account_id) AS members FROM clusters GROUP BY 1 ORDER BY 1"
        for row in self.rows(members):
            groups.append({"kind": "cluster", "id": int(row["cluster"]), "members": row["members"]})
        clustered = {m for g in groups for m in g["members"]}
        graph = nx.Graph()
        for e in self.rows("SELECT account_a, account_b FROM edges"):
            if e["account_a"] not in clustered or e["account_b"] not in clustered:
                graph.add_edge(e["account_a"], e["account_b"])
        for i, component in enumerate(sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(c)))):
            groups.append({"kind": "unclustered edges", "id": i, "members": sorted(component)})
        return [self.describe(g) for g in groups]

    def describe(self, group: dict[str, Any], top: int = 5, examples: int = 4) -> dict[str, Any]:
        members = group["members"]
        self.con.execute("CREATE OR REPLACE TEMP TABLE members AS SELECT unnest(?::VARCHAR[]) AS account_id", [members])
        inside = """
            FROM {t} x SEMI JOIN members ma ON ma.account_id = x.account_a
            SEMI JOIN members mb ON mb.account_id = x.account_b
        """
        edges = self.rows(
            "SELECT detector, account_a, account_b, weight, n_shared_items, expected, p_value, q_value, first_at, "
            f"last_at, items {inside.format(t='edges')} ORDER BY q_value, detector"
        )
        items = self.rows(
            f"""
            SELECT detector, item, count(*) AS coactions,
                   list(DISTINCT account_a) || list(DISTINCT account_b) AS accounts,
                   min(least(a_at, b_at)) AS first_at, max(greatest(a_at, b_at)) AS last_at,
                   list(DISTINCT a_post_id) || list(DISTINCT b_post_id) AS post_ids
            {inside.format(t="evidence")}
            GROUP BY detector, item
            ORDER BY count(DISTINCT account_a) + count(DISTINCT account_b) DESC, coactions DESC, first_at
            LIMIT {int(top)}
            """
        )
        for it in items:
            it["accounts"] = sorted(set(it["accounts"]))
            it["account_names"] = [self.name(a) for a in it["accounts"]]
            label = it["item"]
            if it["detector"] == "co_similar_text":  # the item is the earliest post of the near-copies
                text = self.scalar("SELECT text FROM posts WHERE post_id = ?", [label])
                label = f"{label} (“{short(text, 80)}”)"
            elif it["detector"] == "co_text":
                label = short(label, 80)
            verb = VERBS.get(it["detector"], it["detector"] + " on {item}")
            it["sentence"] = (
                f"{len(it['accounts'])} accounts ({', '.join(it['account_names'])}) {verb.format(item=label)}: "
                f"{it['coactions']} co-actions within the window, {when(it['first_at'])} .. {when(it['last_at'])} UTC"
            )
            it["posts"] = self.rows(
                "SELECT post_id, account_id, created_at, kind, text FROM posts WHERE post_id IN (SELECT unnest(?)) "
                f"ORDER BY created_at LIMIT {int(examples)}",
                [sorted(set(it.pop("post_ids")))],
            )
            for p in it["posts"]:
                p["account"] = self.name(p["account_id"])
        times = [e["first_at"] for e in edges] + [e["last_at"] for e in edges]
        activity = self.rows(
            "SELECT account_id, count(*) AS posts, min(created_at) AS first_post, max(created_at) AS last_post "
            "FROM posts SEMI JOIN members USING (account_id) GROUP BY 1 ORDER BY 1"
        )
        return {
            **group,
            "size": len(members),
            "member_names": [self.name(m) for m in members],
            "traces": sorted({e["detector"] for e in edges}),
            "first_at": min(times) if times else None,
            "last_at": max(times) if times else None,
            "edges": edges,
            "top_items": items,
            "activity": activity,
        }

    def near_misses(self, n: int) -> list[dict[str, Any]]:
        """The *n* tested edges closest to being kept (this report must be of an ``alpha=1`` scan)."""
        return self.rows(
            "SELECT detector, account_a, account_b, weight, n_shared_items, expected, p_value, q_value, first_at, "
            f"last_at, items FROM edges WHERE q_value > {ALPHA} ORDER BY q_value, p_value LIMIT {int(n)}"
        )


# --- output ----------------------------------------------------------------------------------------------------


def print_dataset(console: Console, result: dict[str, Any]) -> None:
    c = result["counts"]
    console.rule(f"[bold]{result['name']}[/]: {result['description']}")
    console.print(detector_table("Detectors (default scan)", result["detectors"]))
    console.print(
        f"{c['posting_accounts']:,} posting accounts ({c['accounts']:,} in the accounts table), {c['posts']:,} posts; "
        f"{c['kept_edges']} kept edges touching {c['accounts_in_edges']} accounts ({c['share_in_edges']:.3%}); "
        f"{c['clusters']} clusters holding [bold]{c['accounts_flagged']} flagged accounts "
        f"({c['share_flagged']:.3%})[/]."
    )
    for g in result["groups"]:
        console.print(
            f"\n[bold]{g['kind']} {g['id']}[/]: {g['size']} accounts ({', '.join(g['member_names'])}); "
            f"traces {', '.join(g['traces']) or '-'}; {when(g['first_at'])} .. {when(g['last_at'])} UTC"
        )
        et = Table(show_edge=False)
        for col in ("detector", "account a", "account b", "weight", "items", "expected", "p", "q"):
            et.add_column(col)
        for e in g["edges"]:
            et.add_row(
                e["detector"],
                e["account_a"],
                e["account_b"],
                f"{e['weight']:g}",
                str(e["n_shared_items"]),
                f"{e['expected']:.3g}",
                f"{e['p_value']:.2g}",
                f"{e['q_value']:.2g}",
            )
        console.print(et)
        for a in g["activity"]:
            console.print(
                f"  {a['account_id']}: {a['posts']} posts in the dataset, {when(a['first_post'])} .. "
                f"{when(a['last_post'])}"
            )
        for it in g["top_items"]:
            console.print(f"  • {it['sentence']}")
            for p in it["posts"]:
                console.print(f"      {when(p['created_at'])} {p['account']} ({p['kind']}): {short(p['text'], 110)}")
    if result.get("without_test"):
        w = result["without_test"]
        console.print(
            f"\nWithout the significance test (alpha=1, every edge with ≥ min_weight shared items kept): "
            f"{w['kept_edges']} edges touching {w['accounts_in_edges']} accounts, {w['clusters']} clusters holding "
            f"{w['accounts_flagged']} accounts ({w['share_flagged']:.3%})."
        )
        nt = Table(title="Closest misses (tested, not kept)", title_justify="left")
        for col in ("detector", "account a", "account b", "weight", "expected", "p", "q", "first", "items"):
            nt.add_column(col)
        for e in result["near_misses"]:
            nt.add_row(
                e["detector"],
                e["account_a"],
                e["account_b"],
                f"{e['weight']:g}",
                f"{e['expected']:.3g}",
                f"{e['p_value']:.2g}",
                f"{e['q_value']:.2g}",
                when(e["first_at"]),
                short(" | ".join(e["items"] or []), 60),
            )
        console.print(nt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--work", type=Path, help="folder for the datasets and scans (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write the figures and evidence to this JSON file")
    parser.add_argument("--near-misses", type=int, default=5, help="closest misses to list (0: skip the alpha=1 scan)")
    args = parser.parse_args()
    console = Console(width=None if sys.stdout.isatty() else 150)  # wide enough for ids in a log file
    results = []
    with work_folder(args.work, "overt-organic-") as work:
        for key, description, inputs, mappings in DATASETS:
            t0 = time.perf_counter()
            build_dataset(
                [args.shared / p for p in inputs],
                work / key,
                mapping=[ROOT / m for m in mappings],
                overwrite=True,
            )
            t1 = time.perf_counter()
            scan(work / key, work / f"{key}-scan", overwrite=True)
            t2 = time.perf_counter()
            report = Report(work / key, work / f"{key}-scan")
            result: dict[str, Any] = {
                "name": key,
                "description": description,
                "inputs": inputs,
                "mappings": mappings,
                "scan": {"window": 60, "alpha": ALPHA, "min_cluster_size": 3, **report.summary["parameters"]},
                "seconds": {"ingest": round(t1 - t0, 1), "scan": round(t2 - t1, 1)},
                "counts": report.counts(),
                "detectors": report.detectors(),
                "groups": report.groups(),
            }
            if args.near_misses:
                scan(work / key, work / f"{key}-scan-alpha1", alpha=1.0, overwrite=True)
                loose = Report(work / key, work / f"{key}-scan-alpha1")
                result["without_test"] = loose.counts()
                result["near_misses"] = loose.near_misses(args.near_misses)
            results.append(result)
            print_dataset(console, result)
    summary = Table(title="Accounts flagged by the default scan on organic data", title_justify="left")
    columns = ("data", "accounts", "posting", "in kept edges", "clusters", "flagged", "share flagged", "without test")
    for col in columns:
        summary.add_column(col, justify="left" if col == "data" else "right")
    for r in results:
        c = r["counts"]
        summary.add_row(
            r["name"],
            f"{c['accounts']:,}",
            f"{c['posting_accounts']:,}",
            f"{c['accounts_in_edges']:,}",
            str(c["clusters"]),
            f"{c['accounts_flagged']:,}",
            f"{c['share_flagged']:.3%}",
            f"{r['without_test']['accounts_flagged']:,}" if "without_test" in r else "",
        )
    console.print()
    console.print(summary)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"Figures written to {args.json}")


if __name__ == "__main__":
    main()
