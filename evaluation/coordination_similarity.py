"""The three similarity detectors (hashtag_sequence, co_repost_similarity, time_sync) on planted groups.

    python evaluation/coordination_similarity.py DATASET_DIR TRUTH.csv [--alpha 0.01] [--json FILE]

DATASET_DIR is an ingested synthetic stream (``benchmarks/synthetic.py`` or the acceptance generator, ingested with
``overt ingest FILE --format cnt``); TRUTH.csv lists its planted accounts (``account_id`` or ``user_id``, and
``group_id``). For each detector: kept edges, edge precision (both ends in one planted group), the same counting
each group's sponsor as a member (the account its members repost most: it posts the seeds and the group's
hashtag, so it belongs to the operation, but the truth files do not list it), planted accounts recalled, and time.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from overt.coordination.similarity import CoRepostSimilarity, HashtagSequence, TimeSync
from overt.engine import DuckDBEngine


def planted(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    key = "account_id" if rows and "account_id" in rows[0] else "user_id"
    return {r[key]: r["group_id"] for r in rows}


def with_sponsors(eng: DuckDBEngine, truth: dict[str, str]) -> dict[str, str]:
    reposted: dict[str, Counter[str]] = {}
    for account, author in eng.rows(
        "SELECT r.account_id, o.account_id FROM posts r JOIN posts o ON o.post_id = r.repost_of_post_id "
        "WHERE r.kind = 'repost'"
    ):
        if account in truth:
            reposted.setdefault(truth[account], Counter())[author] += 1
    extended = dict(truth)
    for group, authors in reposted.items():
        extended.setdefault(authors.most_common(1)[0][0], group)
    return extended


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", type=Path)
    ap.add_argument("truth", type=Path)
    ap.add_argument("--alpha", type=float, default=0.01)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    truth = planted(args.truth)
    eng = DuckDBEngine()
    eng.attach_dataset(args.dataset)
    extended = with_sponsors(eng, truth)
    table = Table("detector", "accounts", "kept edges", "precision", "with sponsors", "recalled", "seconds")
    figures = []
    for det in (HashtagSequence(), CoRepostSimilarity(), TimeSync()):
        started = time.perf_counter()
        edges, info = det.edges(eng, args.alpha)
        seconds = time.perf_counter() - started
        pairs = list(zip(edges.column("account_a").to_pylist(), edges.column("account_b").to_pylist(), strict=True))
        inside = sum(1 for a, b in pairs if a in truth and truth[a] == truth.get(b))
        inside_ext = sum(1 for a, b in pairs if a in extended and extended[a] == extended.get(b))
        recalled = {a for a, _ in pairs if a in truth} | {b for _, b in pairs if b in truth}
        row = {
            "detector": det.name,
            "accounts": info["accounts"],
            "kept_edges": len(pairs),
            "edge_precision": inside / max(1, len(pairs)),
            "edge_precision_with_sponsors": inside_ext / max(1, len(pairs)),
            "recalled": len(recalled),
            "planted": len(truth),
            "seconds": round(seconds, 1),
        }
        figures.append(row)
        table.add_row(
            det.name,
            f"{row['accounts']:,}",
            f"{row['kept_edges']:,}",
            f"{row['edge_precision']:.3f}",
            f"{row['edge_precision_with_sponsors']:.3f}",
            f"{row['recalled']}/{row['planted']}",
            f"{seconds:.1f}",
        )
    eng.close()
    Console().print(table)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
