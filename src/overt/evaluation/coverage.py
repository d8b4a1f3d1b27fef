"""Coverage on a real operation, and false positives on organic data, for the default scan with scores."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
from scipy.stats import beta

from overt.engine import literal
from overt.evaluation.data import ORGANIC, SPECS, Paths, scanned
from overt.evaluation.result import Result, num, pct


def _con(scan_dir: Path) -> duckdb.DuckDBPyConnection:
    import json

    data = Path(json.loads((scan_dir / "summary.json").read_text(encoding="utf-8"))["dataset"])
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, path in (
        ("posts", data / "posts.parquet"),
        ("labels", data / "labels.parquet"),
        ("scores", scan_dir / "scores.parquet"),
        ("clusters", scan_dir / "clusters.parquet"),
    ):
        if path.is_file():
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({literal(path)})")
    return con


def coverage(paths: Paths, note: Any = print) -> Result:
    """Share of the IRA accounts posting in the 2016 window that the default scan flags, by role."""
    started = time.perf_counter()
    scan_dir = scanned(paths, "ira2016", note=note)
    con = _con(scan_dir)
    rows = con.execute(
        """
        WITH roles AS (SELECT account_id, any_value(label) AS role FROM labels GROUP BY account_id)
        SELECT coalesce(r.role, '(no role)') AS role, count(*) AS accounts,
               count(*) FILTER (WHERE s.flagged) AS flagged, count(*) FILTER (WHERE s.cluster IS NOT NULL) AS clustered
        FROM scores s LEFT JOIN roles r USING (account_id)
        GROUP BY ALL ORDER BY accounts DESC, role
        """
    ).fetchall()
    total = sum(r[1] for r in rows)
    flagged = sum(r[2] for r in rows)
    clustered = sum(r[3] for r in rows)
    table = [[role, f"{n:,}", f"{f:,}", pct(f / n), pct(c / n)] for role, n, f, c in rows]
    table.append(["all", f"{total:,}", f"{flagged:,}", pct(flagged / total), pct(clustered / total)])
    pairs = con.execute(
        """
        SELECT c.cluster, any_value(l.label) AS role FROM clusters c JOIN labels l USING (account_id)
        GROUP BY c.cluster, c.account_id
        """
    ).fetchall()
    # The accounts no trace can reach: no significant tie to any other account.
    untied, untied_posts = con.execute(
        """
        SELECT count(*), median(n) FROM scores s
        JOIN (SELECT account_id, count(*) AS n FROM posts GROUP BY account_id) p USING (account_id)
        WHERE s.ties = 0
        """
    ).fetchone() or (0, None)
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    clusters = [p[0] for p in pairs]
    roles = [p[1] for p in pairs]
    ari = float(adjusted_rand_score(roles, clusters)) if pairs else None
    nmi = float(normalized_mutual_info_score(roles, clusters)) if pairs else None
    return Result(
        key="coverage",
        title="Coverage of a real operation: IRA accounts in the 2016 window",
        what=(
            f"Data: {SPECS['ira2016'].title}. Every account that posted in the window is an IRA account, hand-coded "
            "into a role by Linvill & Warren. Flagged: score at least 0.5 under the built-in model of the default "
            "`overt scan` (all default detectors and signals). Clustered: in a coordination cluster. "
            f"Cluster–role agreement over the {len(pairs):,} clustered accounts: ARI {num(ari)}, NMI {num(nmi)}. "
            f"{untied:,} accounts have no significant tie to any other account (median {num(untied_posts, 0)} posts "
            "each in the window): no trace reaches them."
        ),
        columns=["role", "posting accounts", "flagged", "coverage", "in clusters"],
        rows=table,
        caveats=[
            "Only IRA accounts are in the data, so this measures recall (coverage), not precision; the organic "
            "protocol below measures false positives.",
            "The collector kept only the operation's tweets: no organic context, so every co-action is the "
            "operation's own; a platform would see the same accounts among millions of others.",
            "Retweets carry no id of the retweeted tweet; co-reposts are matched by author and text.",
        ],
        figures={
            "coverage": flagged / total if total else None,
            "accounts": total,
            "flagged": flagged,
            "clustered": clustered,
            "untied": untied,
            "untied_median_posts": untied_posts,
            "ari": ari,
            "nmi": nmi,
            "by_role": [list(r) for r in rows],
        },
        seconds=time.perf_counter() - started,
    )


def false_positives(paths: Paths, recall: float | None, note: Any = print) -> Result:
    """Share of accounts flagged on organic data; precision at realistic prevalence from that and *recall*."""
    started = time.perf_counter()
    table, figures = [], {}
    for key in ORGANIC:
        con = _con(scanned(paths, key, note=note))
        n, flagged, clustered = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE flagged), count(*) FILTER (WHERE cluster IS NOT NULL) FROM scores"
        ).fetchone() or (0, 0, 0)
        fpr = flagged / n if n else None
        # Clopper-Pearson 95% upper bound: with 0 of n flagged the rate can still be up to about 3/n.
        upper = float(beta.ppf(0.95, flagged + 1, n - flagged)) if n else None
        row = [SPECS[key].title, f"{n:,}", f"{flagged:,}", f"{clustered:,}", pct(fpr, 2), pct(upper, 2)]
        for prevalence in (0.01, 0.001):
            row.append(_precision(recall, fpr, upper, prevalence))
        table.append(row)
        figures[key] = {"accounts": n, "flagged": flagged, "clustered": clustered, "fpr": fpr, "fpr_upper95": upper}
    return Result(
        key="organic",
        title="False positives on organic data",
        what=(
            "Default `overt scan` with signals and built-in scores on three organic sets with no known operation. "
            "False-positive rate (FPR): flagged accounts over posting accounts, with its one-sided 95% upper bound "
            "(Clopper-Pearson). Precision at prevalence π (1 operation account per 100 or per 1,000 accounts) is "
            "recall·π / (recall·π + FPR·(1-π)), with recall the IRA coverage above; the second figure uses the "
            "upper bound of the FPR, so it is the precision the data cannot rule out."
        ),
        columns=[
            "dataset",
            "posting accounts",
            "flagged",
            "in clusters",
            "FPR",
            "FPR (95% upper)",
            "precision at 1:100",
            "precision at 1:1000",
        ],
        rows=table,
        caveats=[
            "The organic sets are small slices (hashtag or event samples of a few thousand to ten thousand "
            "accounts); a platform's full stream has more chance coincidences and more benign coordination.",
            "Hard negatives: #StandWithHongKong activists and debate-night audiences mass-retweet, which is "
            "what coordination detectors are prone to flag.",
            "The IRA recall and these FPRs come from different years and collections; precision at prevalence "
            "combines them as if they applied to one platform.",
        ],
        figures=figures,
        seconds=time.perf_counter() - started,
    )


def _precision(recall: float | None, fpr: float | None, upper: float | None, prevalence: float) -> str:
    if recall is None or fpr is None or upper is None:
        return ""

    def p(rate: float) -> float:
        denominator = recall * prevalence + rate * (1 - prevalence)
        return recall * prevalence / denominator if denominator else 1.0

    return f"{p(fpr):.3f} (≥ {p(upper):.3f})"
