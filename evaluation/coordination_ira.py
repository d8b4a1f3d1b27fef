"""Do the clusters of the default ``overt scan`` follow the IRA's hand-coded account roles?

Run from the repository root:

    python evaluation/coordination_ira.py [--shared ../shared/data] [--work DIR [--reuse]] [--json FILE]

Ingests the FiveThirtyEight / Clemson IRA tweets of 2016-09-01..2016-11-30 with ``authors.csv`` (every account
is an Internet Research Agency troll; ``authors.csv`` carries Linvill & Warren's hand-coded ``account_category``,
which the ingest writes to the ``labels`` table), runs the default scan (every default detector, 60 s window,
FDR 0.01, min cluster size 3) and reports: accounts and posts in the window, accounts in kept edges, accounts in
clusters, kept edges per detector; per cluster its size, traces, time span, the categories of its members, its
purity (share of the most common category), the members' main tweet languages and its top shared items; overall
the weighted mean purity against a permutation baseline (clusters of the same sizes drawn at random from the
clustered accounts, ``--draws`` seeded draws), and the adjusted Rand index and normalised mutual information
between cluster and category over the clustered accounts.

Every account is a troll, so this measures whether clusters are coherent units of the operation, not precision.
Used for docs/evaluation.md ("Coordination on the IRA 2016 window").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from common import detector_rows, detector_table, short, when, work_folder
from rich.console import Console
from rich.table import Table
from sklearn.metrics import adjusted_rand_score, homogeneity_completeness_v_measure, normalized_mutual_info_score

import overt

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ["ira_538_by_author/ira_tweets_2016-09_2016-11.csv.gz", "ira_538_by_author/authors.csv"]
#: Category of a clustered account that has no label (does not happen with authors.csv; kept for safety).
UNLABELLED = "(no label)"
#: IRA times are to the minute.
MINUTE = "%Y-%m-%d %H:%M"


# --- figures ---------------------------------------------------------------------------------------------------


def contingency(clusters: np.ndarray, labels: np.ndarray, n_clusters: int, n_labels: int) -> np.ndarray:
    table = np.zeros((n_clusters, n_labels), dtype=np.int64)
    np.add.at(table, (clusters, labels), 1)
    return table


def weighted_purity(clusters: np.ndarray, labels: np.ndarray, n_clusters: int, n_labels: int) -> float:
    """Share of clustered accounts whose category is their cluster's most common one."""
    return float(contingency(clusters, labels, n_clusters, n_labels).max(axis=1).sum() / len(labels))


def agreement(
    cluster_of: dict[str, int],
    label_of: dict[str, str],
    draws: int,
    seed: int,
    strata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Purity, ARI and NMI between cluster and category, each with its permutation baseline.

    The baseline keeps the cluster sizes and deals the categories of the clustered accounts out at random
    (``draws`` seeded permutations). With *strata* (account -> group, e.g. its main language), categories are
    permuted only within each group, so the baseline already knows the groups.
    """
    accounts = sorted(cluster_of)
    cluster_ids = sorted(set(cluster_of.values()))
    label_ids = sorted({label_of.get(a, UNLABELLED) for a in accounts})
    c = np.array([cluster_ids.index(cluster_of[a]) for a in accounts])
    y = np.array([label_ids.index(label_of.get(a, UNLABELLED)) for a in accounts])
    k, m = len(cluster_ids), len(label_ids)
    homogeneity, completeness, _ = homogeneity_completeness_v_measure(y, c)
    observed = {
        "weighted_purity": weighted_purity(c, y, k, m),
        "ari": float(adjusted_rand_score(y, c)),
        "nmi": float(normalized_mutual_info_score(y, c)),
    }
    groups = [np.arange(len(accounts))]
    if strata is not None:
        keys = np.array([strata.get(a, "?") for a in accounts])
        groups = [np.flatnonzero(keys == g) for g in sorted(set(keys))]
    rng = np.random.default_rng(seed)
    random: dict[str, list[float]] = {key: [] for key in observed}
    for _ in range(draws):
        yp = y.copy()  # same cluster sizes, members drawn at random from the clustered accounts (of each group)
        for idx in groups:
            yp[idx] = rng.permutation(y[idx])
        random["weighted_purity"].append(weighted_purity(c, yp, k, m))
        random["ari"].append(float(adjusted_rand_score(yp, c)))
        random["nmi"].append(float(normalized_mutual_info_score(yp, c)))
    out: dict[str, Any] = {
        "accounts": len(accounts),
        "clusters": k,
        "categories": m,
        "largest_category_share": float(np.bincount(y).max() / len(y)),
        "homogeneity": float(homogeneity),
        "completeness": float(completeness),
        "strata": None if strata is None else len(groups),
        "draws": draws,
        "seed": seed,
    }
    for key, value in observed.items():
        sample = np.array(random[key])
        out[key] = value
        out[f"{key}_random"] = {
            "mean": float(sample.mean()),
            "p2_5": float(np.percentile(sample, 2.5)),
            "p97_5": float(np.percentile(sample, 97.5)),
            "max": float(sample.max()),
            # one-sided permutation p-value: how often chance does at least as well
            "p_value": float((1 + (sample >= value).sum()) / (1 + draws)),
        }
    return out


class Report:
    """Figures of one scan of the IRA window, read from the dataset and the scan's tables."""

    def __init__(self, dataset: Path, result: Any) -> None:
        self.ds = overt.read_dataset(dataset)
        self.con = self.ds.connection
        self.result = result
        self.summary: dict[str, Any] = result.summary
        self.label_of: dict[str, str] = dict(self.ds.labels.select("account_id, label").fetchall())
        clusters = result.table("clusters")
        self.cluster_of: dict[str, int] = dict(
            zip(clusters["account_id"].to_pylist(), clusters["cluster"].to_pylist(), strict=True)
        )
        self.stats = result.table("cluster_stats").to_pylist()
        self.edges = {}
        for det in self.summary["detectors"]:
            file = result.path / "edges" / f"{det}.parquet"
            if file.exists():
                self.edges[det] = result.table(f"edges/{det}")
        self.con.register("posts_v", self.ds.posts.select("account_id, post_id, created_at, lang, text"))

    def counts(self) -> dict[str, Any]:
        posts, posting, first, last = self.con.execute(
            "SELECT count(*), count(DISTINCT account_id), min(created_at), max(created_at) FROM posts_v"
        ).fetchone()  # type: ignore[misc]
        in_edges: set[str] = set()
        for table in self.edges.values():
            in_edges.update(table["account_a"].to_pylist())
            in_edges.update(table["account_b"].to_pylist())
        clustered = len(self.cluster_of)
        return {
            "accounts_table": int(self.ds.manifest.tables["accounts"]),
            "posting_accounts": int(posting),
            "posts": int(posts),
            "first_post": first,
            "last_post": last,
            "kept_edges": sum(t.num_rows for t in self.edges.values()),
            "network_edges": self.summary["network"]["edges"],
            "accounts_in_edges": len(in_edges),
            "share_in_edges": len(in_edges) / posting if posting else 0.0,
            "clusters": len(self.stats),
            "accounts_in_clusters": clustered,
            "share_in_clusters": clustered / posting if posting else 0.0,
        }

    def detectors(self) -> list[dict[str, Any]]:
        return detector_rows(self.summary)

    def categories(self) -> list[dict[str, Any]]:
        """Accounts per category: posting in the window, in kept edges, in clusters."""
        posting = [a for (a,) in self.con.execute("SELECT DISTINCT account_id FROM posts_v").fetchall()]
        in_edges: set[str] = set()
        for table in self.edges.values():
            in_edges.update(table["account_a"].to_pylist())
            in_edges.update(table["account_b"].to_pylist())
        window = Counter(self.label_of.get(a, UNLABELLED) for a in posting)
        edged = Counter(self.label_of.get(a, UNLABELLED) for a in in_edges)
        clustered = Counter(self.label_of.get(a, UNLABELLED) for a in self.cluster_of)
        return [
            {
                "category": cat,
                "posting_accounts": n,
                "in_edges": edged.get(cat, 0),
                "in_clusters": clustered.get(cat, 0),
                "share_clustered": clustered.get(cat, 0) / n,
            }
            for cat, n in window.most_common()
        ]

    def main_languages(self) -> dict[str, str]:
        """Each clustered account's most frequent tweet language in the window."""
        rows = self.con.execute(
            """
            SELECT account_id, arg_max(lang, n) FROM (
                SELECT account_id, coalesce(lang, '?') AS lang, count(*) AS n FROM posts_v GROUP BY 1, 2
            ) GROUP BY 1
            """
        ).fetchall()
        return {a: lang for a, lang in rows if a in self.cluster_of}

    def item_text(self, items: list[str]) -> dict[str, str]:
        """Texts of top items that are post ids (``co_similar_text`` names near-copies by their first post)."""
        rows = self.con.execute(
            "SELECT post_id, text FROM posts_v WHERE post_id IN (SELECT unnest(?::VARCHAR[]))", [items]
        ).fetchall()
        return dict(rows)

    def clusters(self) -> list[dict[str, Any]]:
        languages = self.main_languages()
        texts = self.item_text([i for s in self.stats for i in s["top_items"] or []])
        out = []
        for s in self.stats:
            members = sorted(a for a, c in self.cluster_of.items() if c == s["cluster"])
            cats = Counter(self.label_of.get(a, UNLABELLED) for a in members)
            top_cat, top_n = cats.most_common(1)[0]
            items = []
            for item in s["top_items"] or []:
                if item in texts:
                    items.append(f"post “{short(texts[item], 50)}”")
                elif item.startswith("text:"):  # co_repost without retweet ids: text:<reposted author>:<text>
                    _, author, text = item.split(":", 2)
                    rt = f"RT @{author}" if author else "RT"
                    items.append(f"{rt} “{short(text, 50)}”" if text.strip() else f"{rt} (empty text)")
                else:
                    items.append(short(item, 60))
            out.append(
                {
                    "cluster": s["cluster"],
                    "size": s["size"],
                    "n_edges": s["n_edges"],
                    "density": s["density"],
                    "traces": list(s["traces"]),
                    "first_at": s["first_at"],
                    "last_at": s["last_at"],
                    "days": (s["last_at"] - s["first_at"]).total_seconds() / 86400 if s["first_at"] else None,
                    "categories": dict(cats.most_common()),
                    "top_category": top_cat,
                    "purity": top_n / len(members),
                    "languages": dict(Counter(languages.get(a, "?") for a in members).most_common()),
                    "top_items": items,
                    "members": members,
                }
            )
        return out


# --- output ----------------------------------------------------------------------------------------------------


def fmt_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def print_report(console: Console, r: dict[str, Any]) -> None:
    c = r["counts"]
    console.rule("[bold]IRA 2016-09..11 window[/]: default scan")
    console.print(
        f"{c['posting_accounts']:,} accounts posted {c['posts']:,} posts between {when(c['first_post'], MINUTE)} and "
        f"{when(c['last_post'], MINUTE)} UTC ({c['accounts_table']:,} accounts in authors.csv). "
        + ("Ingest skipped (--reuse)" if r["seconds"]["ingest"] is None else f"Ingest {r['seconds']['ingest']} s")
        + f", scan {r['seconds']['scan']} s."
    )
    console.print(
        f"{c['kept_edges']:,} kept edges ({c['network_edges']:,} in the fused network) touch "
        f"{c['accounts_in_edges']} accounts ({c['share_in_edges']:.1%} of posting accounts); "
        f"{c['clusters']} clusters hold [bold]{c['accounts_in_clusters']} accounts "
        f"({c['share_in_clusters']:.1%})[/]."
    )

    console.print(detector_table("Detectors", r["detectors"], seconds=True))

    ct = Table(title="Accounts per hand-coded category", title_justify="left")
    for col in ("category", "posting in window", "in kept edges", "in clusters", "share clustered"):
        ct.add_column(col, justify="left" if col == "category" else "right")
    for row in r["categories"]:
        ct.add_row(
            row["category"],
            str(row["posting_accounts"]),
            str(row["in_edges"]),
            str(row["in_clusters"]),
            f"{row['share_clustered']:.0%}",
        )
    console.print(ct)

    kt = Table(title="Clusters", title_justify="left", show_lines=True)
    for col in ("#", "size", "traces", "span (UTC)", "categories", "purity", "main languages", "top shared items"):
        kt.add_column(col, justify="right" if col in ("#", "size", "purity") else "left", overflow="fold")
    for k in r["clusters"]:
        kt.add_row(
            str(k["cluster"]),
            str(k["size"]),
            "\n".join(k["traces"]),
            f"{when(k['first_at'], MINUTE)}\n{when(k['last_at'], MINUTE)}",
            fmt_counts(k["categories"]),
            f"{k['purity']:.2f}",
            fmt_counts(k["languages"]),
            "\n".join(k["top_items"]),
        )
    console.print(kt)

    a, w = r["agreement"], r["agreement_within_language"]
    at = Table(
        title=f"Cluster vs category over {a['accounts']} clustered accounts (random: {a['draws']:,} seeded "
        "permutations of the categories, same cluster sizes; 'within language': permuted only among accounts "
        "of the same main tweet language)",
        title_justify="left",
    )
    columns = ("measure", "observed", "random mean", "random 95 % range", "p", "within language: mean", "95 %", "p")
    for col in columns:
        at.add_column(col, justify="left" if col == "measure" else "right")
    for key, name in (("weighted_purity", "weighted mean purity"), ("ari", "adjusted Rand index"), ("nmi", "NMI")):
        row = [name, f"{a[key]:.3f}"]
        for rnd in (a[f"{key}_random"], w[f"{key}_random"]):
            row += [f"{rnd['mean']:.3f}", f"{rnd['p2_5']:.3f} .. {rnd['p97_5']:.3f}", f"{rnd['p_value']:.3g}"]
        at.add_row(*row)
    console.print(at)
    console.print(
        f"Largest category among clustered accounts: {a['largest_category_share']:.1%} of them; homogeneity "
        f"{a['homogeneity']:.3f} (each cluster holds one category), completeness {a['completeness']:.3f} (each "
        "category in one cluster)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--work", type=Path, help="folder for the dataset and scan (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="skip the ingest when --work already holds the dataset")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--draws", type=int, default=1000, help="random permutations for the baselines")
    parser.add_argument("--seed", type=int, default=42, help="seed of the permutations")
    args = parser.parse_args()
    console = Console(width=None if sys.stdout.isatty() else 170)
    with work_folder(args.work, "overt-ira-") as work:
        dataset, scan_dir = work / "ira-2016", work / "ira-2016-scan"
        t0 = time.perf_counter()
        reused = args.reuse and (dataset / "manifest.json").exists()
        if not reused:
            overt.build_dataset([args.shared / p for p in INPUTS], dataset, overwrite=True)
        t1 = time.perf_counter()
        result = overt.scan(dataset, scan_dir, overwrite=True)
        t2 = time.perf_counter()
        report = Report(dataset, result)
        figures: dict[str, Any] = {
            "inputs": INPUTS,
            "scan": {**result.summary["parameters"], **result.summary["clustering"]},
            "seconds": {"ingest": None if reused else round(t1 - t0, 1), "scan": round(t2 - t1, 1)},
            "counts": report.counts(),
            "detectors": report.detectors(),
            "categories": report.categories(),
            "clusters": report.clusters(),
            "agreement": agreement(report.cluster_of, report.label_of, args.draws, args.seed),
            "agreement_within_language": agreement(
                report.cluster_of, report.label_of, args.draws, args.seed, strata=report.main_languages()
            ),
        }
    print_report(console, figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"Figures written to {args.json}")


if __name__ == "__main__":
    main()
