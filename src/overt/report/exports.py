"""The report's CSV files: every cluster (``clusters.csv``) and the evidence of the clusters it shows in full
(``evidence.csv``), written next to the HTML file and linked from it.

``clusters.csv`` has one row per cluster of the scan: the report's score and flag with the scan's statistics
(size, edges, density, traces, first and last co-action, total weight), and, for the clusters shown in full,
the items shared most and the score's explanation.

``evidence.csv`` has one row per co-action inside a fully shown cluster. Unredacted, it holds *all* of them,
read from the scan's evidence files (the HTML lists ``evidence_rows`` per cluster); redacted, only the rows
the report itself holds, already pseudonymised, since the redaction key is not kept with the data.

Cells that start with ``=``, ``+``, ``-``, ``@`` or a tab are written with a leading apostrophe, so that a
spreadsheet shows a post that begins ``=HYPERLINK(...)`` as text instead of running it.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from overt.engine import local_connection, materialise

#: Columns of ``evidence.csv``.
EVIDENCE_COLUMNS = (
    "cluster",
    "detector",
    "item",
    "a",
    "a_label",
    "a_post_id",
    "a_at",
    "b",
    "b_label",
    "b_post_id",
    "b_at",
    "first",
)

#: Columns of ``clusters.csv``.
CLUSTER_COLUMNS = (
    "cluster",
    "in_report",
    "size",
    "score",
    "flagged",
    "n_edges",
    "density",
    "traces",
    "first_at",
    "last_at",
    "total_weight",
    "evidence_total",
    "top_items",
    "explanation",
)

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def _sql_cell(column: str) -> str:
    return f"CASE WHEN regexp_matches({column}, '^[=+\\-@\\t\\r]') THEN '''' || {column} ELSE {column} END"


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def write_csvs(
    scan_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], data: dict[str, Any]
) -> dict[str, Path]:
    """Write ``clusters.csv`` and ``evidence.csv`` for *data* (from :func:`overt.report.data.collect`) into
    *out_dir*; return their paths by export key.

    Also sets ``data["exports"]["gexf"]`` (an absolute path from ``collect``) to the scan's GEXF file relative to
    *out_dir*, where the report links it from; it stays None when the data has none (a redacted report must not
    link the scan's GEXF, which names every account).
    """
    scan = Path(scan_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    exports = data.setdefault("exports", {})
    paths = {
        "clusters_csv": out / str(exports.get("clusters_csv") or "clusters.csv"),
        "evidence_csv": out / str(exports.get("evidence_csv") or "evidence.csv"),
    }
    _write_clusters(scan, data, paths["clusters_csv"])
    if data.get("redaction") is None:
        _write_all_evidence(scan, data, paths["evidence_csv"])
    else:
        _write_report_evidence(data, paths["evidence_csv"])
    gexf = exports.get("gexf")
    # collect() gives an absolute path; a relative one was already made relative to the report.
    if gexf and Path(gexf).is_absolute():
        exports["gexf"] = Path(os.path.relpath(Path(gexf).resolve(), out.resolve())).as_posix()
    return paths


def _write_clusters(scan: Path, data: dict[str, Any], path: Path) -> None:
    stats: dict[int, dict[str, Any]] = {}
    file = scan / "cluster_stats.parquet"
    if file.is_file():
        columns = ["cluster", "size", "n_edges", "density", "traces", "first_at", "last_at", "total_weight"]
        for row in pq.read_table(file, columns=columns).to_pylist():
            stats[int(row["cluster"])] = row
    full = {int(c["cluster"]): c for c in data.get("clusters") or []}
    rows = [*full.values(), *(data.get("other_clusters") or [])]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CLUSTER_COLUMNS)
        for r in rows:
            c = int(r["cluster"])
            s = stats.get(c, {})
            shown = full.get(c)
            first, last = s.get("first_at"), s.get("last_at")
            writer.writerow(
                [
                    c,
                    shown is not None,
                    r.get("size", s.get("size")),
                    "" if r.get("score") is None else r["score"],
                    bool(r.get("flagged")),
                    s.get("n_edges", ""),
                    "" if s.get("density") is None else round(float(s["density"]), 6),
                    ";".join(r.get("traces") or s.get("traces") or []),
                    shown["first_at"] if shown else (_iso(first) or ""),
                    shown["last_at"] if shown else (_iso(last) or ""),
                    "" if s.get("total_weight") is None else round(float(s["total_weight"]), 6),
                    shown["evidence_total"] if shown else "",
                    _cell(" | ".join(str(i) for i in shown["top_items"] if i is not None)) if shown else "",
                    _cell(shown["explanation"]) if shown else "",
                ]
            )


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    text: str = value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return text


def _write_report_evidence(data: dict[str, Any], path: Path) -> None:
    labels = {a: v.get("label") or a for a, v in (data.get("accounts") or {}).items()}
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(EVIDENCE_COLUMNS)
        for cluster in data.get("clusters") or []:
            for e in cluster["evidence"]:
                writer.writerow(
                    [
                        cluster["cluster"],
                        e["detector"],
                        _cell(e["item"]),
                        _cell(e["a"]),
                        _cell(labels.get(e["a"], e["a"])),
                        _cell(e["a_post_id"]),
                        e["a_at"],
                        _cell(e["b"]),
                        _cell(labels.get(e["b"], e["b"])),
                        _cell(e["b_post_id"]),
                        e["b_at"],
                        e["first"],
                    ]
                )


def _write_all_evidence(scan: Path, data: dict[str, Any], path: Path) -> None:
    """Every co-action inside the report's full clusters, streamed by DuckDB from the scan's evidence files."""
    clusters = [int(c["cluster"]) for c in data.get("clusters") or []]
    files = sorted((scan / "evidence").glob("*.parquet"))
    if not clusters or not files:
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerow(EVIDENCE_COLUMNS)
        return
    accounts = Path(str((data.get("dataset") or {}).get("path") or "")) / "accounts.parquet"
    con = local_connection()
    try:
        materialise(
            con,
            "x_top",
            pa.table({"cluster": pa.array(clusters, pa.int64()), "ord": pa.array(range(len(clusters)), pa.int64())}),
        )
        con.execute(
            f"""
            CREATE TEMP TABLE x_members AS SELECT m.cluster, m.account_id, t.ord
            FROM read_parquet({_lit(scan / "clusters.parquet")}) m JOIN x_top t USING (cluster)
            """
        )
        if accounts.is_file():
            con.execute(
                f"CREATE TEMP VIEW x_handles AS SELECT account_id, min(handle) AS handle "
                f"FROM read_parquet({_lit(accounts)}) GROUP BY account_id"
            )
        else:
            con.execute("CREATE TEMP VIEW x_handles AS SELECT NULL::VARCHAR AS account_id, NULL::VARCHAR AS handle")
        listed = ", ".join(_lit(f) for f in files)
        iso = "strftime({}, '%Y-%m-%dT%H:%M:%SZ')"
        con.execute(
            f"""
            COPY (
                SELECT ma.cluster, e.detector, {_sql_cell("e.item")} AS item,
                       {_sql_cell("e.account_a")} AS a, {_sql_cell("coalesce(ha.handle, e.account_a)")} AS a_label,
                       {_sql_cell("e.a_post_id")} AS a_post_id, {iso.format("e.a_at")} AS a_at,
                       {_sql_cell("e.account_b")} AS b, {_sql_cell("coalesce(hb.handle, e.account_b)")} AS b_label,
                       {_sql_cell("e.b_post_id")} AS b_post_id, {iso.format("e.b_at")} AS b_at,
                       CASE WHEN e.a_at IS NULL OR e.b_at IS NULL THEN NULL
                            WHEN e.a_at = e.b_at THEN 'same' WHEN e.a_at < e.b_at THEN 'a' ELSE 'b' END AS first
                FROM read_parquet([{listed}], union_by_name = true) e
                JOIN x_members ma ON ma.account_id = e.account_a
                JOIN x_members mb ON mb.account_id = e.account_b AND mb.cluster = ma.cluster
                LEFT JOIN x_handles ha ON ha.account_id = e.account_a
                LEFT JOIN x_handles hb ON hb.account_id = e.account_b
                ORDER BY ma.ord, least(e.a_at, e.b_at) NULLS LAST, e.detector, e.account_a, e.account_b, e.item,
                         e.a_post_id, e.b_post_id
            ) TO {_lit(path)} (FORMAT csv, HEADER true)
            """
        )
    finally:
        con.close()
