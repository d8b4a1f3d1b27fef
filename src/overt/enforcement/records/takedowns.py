"""Network cases: a scan cluster frozen as evidence, per-account exceptions, and re-establishment tracking.

Platforms act on a covert network as a whole ("network disruption"): :func:`open_network_case` opens a case from a
scan cluster and freezes what the scan found (members with their roles and scores, the cluster's score and its
explanation, the traces, suggested DISARM techniques, the strongest ties with their evidence, the scan's inputs and
parameters), so that the decision can be checked against the evidence it was taken on even after the scan folder
is gone. Members can be excepted one by one, with the reason recorded. After a takedown,
:func:`relink` reads a later scan and flags to the same case the accounts that are tied to the disrupted ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from overt.enforcement import audit
from overt.enforcement.canonical import content_hash
from overt.enforcement.models import Case, CaseAccount
from overt.enforcement.records import cases
from overt.errors import InputError

#: How many of the cluster's strongest ties (with their evidence) the snapshot keeps.
TOP_TIES = 50


def _dataset_dir(scan_dir: Path, summary: dict[str, Any]) -> Path | None:
    named = summary.get("dataset", {})
    path = named.get("path") if isinstance(named, dict) else named
    if path and Path(path).is_dir():
        return Path(path)
    return None


def snapshot(scan_dir: Path, cluster: int, dataset_dir: Path | None = None) -> dict[str, Any]:
    """What a scan says about one cluster, as plain JSON: the evidence a network case is decided on."""
    summary_file = scan_dir / "summary.json"
    clusters_file = scan_dir / "clusters.parquet"
    if not summary_file.exists() or not clusters_file.exists():
        raise InputError(f"{scan_dir}: not a scan folder (no summary.json or clusters.parquet)")
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    dataset = dataset_dir or _dataset_dir(scan_dir, summary)
    con = duckdb.connect()
    try:

        def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
            relation = con.execute(sql, list(params))
            names = [d[0] for d in relation.description]
            return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]

        def exists(name: str) -> bool:
            return (scan_dir / name).exists()

        members = rows(
            "SELECT account_id, role, centrality FROM read_parquet($1) WHERE cluster = $2 ORDER BY centrality DESC",
            str(clusters_file),
            cluster,
        )
        if not members:
            raise InputError(f"{scan_dir}: cluster {cluster} does not exist")
        if exists("scores.parquet"):
            scored = {
                r["account_id"]: r
                for r in rows(
                    "SELECT account_id, handle, score, explanation FROM read_parquet($1) WHERE cluster = $2",
                    str(scan_dir / "scores.parquet"),
                    cluster,
                )
            }
            for member in members:
                member.update({k: v for k, v in scored.get(member["account_id"], {}).items() if k != "account_id"})
        if dataset is not None and (dataset / "accounts.parquet").exists():
            profiles = {
                r["account_id"]: r
                for r in rows(
                    "SELECT account_id, followers, reported_location, declared_lang FROM read_parquet($1) "
                    "WHERE account_id IN (SELECT unnest($2::VARCHAR[]))",
                    str(dataset / "accounts.parquet"),
                    [m["account_id"] for m in members],
                )
            }
            for member in members:
                member.update({k: v for k, v in profiles.get(member["account_id"], {}).items() if k != "account_id"})
        cluster_score = (
            rows(
                "SELECT score, explanation FROM read_parquet($1) WHERE cluster = $2",
                str(scan_dir / "cluster_scores.parquet"),
                cluster,
            )
            if exists("cluster_scores.parquet")
            else []
        )
        stats = (
            rows(
                "SELECT size, n_edges, density, traces, first_at::VARCHAR AS first_at, last_at::VARCHAR AS last_at "
                "FROM read_parquet($1) WHERE cluster = $2",
                str(scan_dir / "cluster_stats.parquet"),
                cluster,
            )
            if exists("cluster_stats.parquet")
            else []
        )
        techniques = (
            rows(
                "SELECT technique_id, technique, confidence, evidence FROM read_parquet($1) WHERE cluster = $2 "
                "ORDER BY technique_id",
                str(scan_dir / "disarm.parquet"),
                cluster,
            )
            if exists("disarm.parquet")
            else []
        )
        ids = [m["account_id"] for m in members]
        ties = rows(
            "SELECT account_a, account_b, weight, traces FROM read_parquet($1) "
            "WHERE account_a IN (SELECT unnest($2::VARCHAR[])) AND account_b IN (SELECT unnest($2::VARCHAR[])) "
            "ORDER BY weight DESC, account_a, account_b LIMIT $3",
            str(scan_dir / "network.parquet"),
            ids,
            TOP_TIES,
        )
    finally:
        con.close()
    return {
        "scan": {
            "folder": str(scan_dir),
            "fingerprint": content_hash(summary),
            "created": summary.get("created"),
            "inputs": summary.get("inputs"),
            "parameters": summary.get("parameters"),
        },
        "cluster": cluster,
        "score": cluster_score[0] if cluster_score else None,
        "stats": stats[0] if stats else None,
        "members": members,
        "techniques": techniques,
        "ties": ties,
    }


def open_network_case(
    session: Session,
    scan_dir: Path,
    cluster: int,
    *,
    actor: str,
    reason: str,
    dataset_dir: Path | None = None,
    priority: str = "high",
) -> Case:
    """Open a network case from a scan cluster, with its evidence frozen and its members listed."""
    frozen = snapshot(scan_dir, cluster, dataset_dir)
    fingerprint = frozen["scan"]["fingerprint"]
    score = frozen["score"]["score"] if frozen["score"] else None
    title = f"Network: cluster {cluster} of scan {fingerprint[:12]} ({len(frozen['members'])} accounts"
    title += f", score {score:.2f})" if score is not None else ")"
    case = cases.open_case(
        session,
        type="network",
        title=title,
        actor=actor,
        reason=reason,
        priority=priority,
        detection_source="automated",
        subject_kind="cluster",
        subject_id=f"{fingerprint[:12]}:{cluster}",
        snapshot=frozen,
    )
    stamp = audit.now()
    for member in frozen["members"]:
        session.add(
            CaseAccount(
                case_id=case.id,
                account_id=member["account_id"],
                status="member",
                followers=member.get("followers"),
                home_market=None,
                language=member.get("declared_lang"),
                added_at=stamp,
            )
        )
    return case


def members(session: Session, case_id: int, statuses: tuple[str, ...] = ("member",)) -> list[CaseAccount]:
    query = (
        select(CaseAccount)
        .where(CaseAccount.case_id == case_id, CaseAccount.status.in_(list(statuses)))
        .order_by(CaseAccount.account_id)
    )
    return list(session.execute(query).scalars())


def except_account(session: Session, case_id: int, account_id: str, *, actor: str, reason: str) -> CaseAccount:
    """Leave one member out of the network action, with the reason (e.g. a journalist caught up in the cluster)."""
    case = cases.get(session, case_id, actor, "change")
    if case.type != "network":
        raise cases.CaseError(f"case {case_id} is a {case.type} case; only network cases have members")
    if case.state in ("decided", "closed", "appealed"):
        raise cases.CaseError(f"case {case_id} is {case.state}: exceptions are made before the decision")
    row = session.get(CaseAccount, (case_id, account_id))
    if row is None or row.status != "member":
        raise cases.CaseError(f"{account_id} is not a member of case {case_id}")
    row.status, row.note = "excepted", reason
    audit.record(
        session,
        actor=actor,
        action="case.except",
        subject_kind="case",
        subject_id=str(case_id),
        reason=reason,
        payload={"case": case_id, "excepted": len(members(session, case_id, ("excepted",)))},
        personal={"account_id": account_id},
    )
    return row


def relink(session: Session, case_id: int, scan_dir: Path, *, actor: str) -> list[str]:
    """Flag to a disrupted network's case the accounts a later scan ties to its members (re-establishment).

    An account counts when the later scan's fused network has an edge between it and an account the case acted
    on, and the case does not list it yet. Returns the newly flagged account ids.
    """
    case = cases.get(session, case_id, actor, "update")
    if case.type != "network":
        raise cases.CaseError(f"case {case_id} is a {case.type} case; only network cases track re-establishment")
    acted = {row.account_id for row in members(session, case_id)}
    known = {row.account_id for row in members(session, case_id, ("member", "excepted", "linked_later"))}
    network = scan_dir / "network.parquet"
    if not network.exists():
        raise InputError(f"{scan_dir}: not a scan folder (no network.parquet)")
    con = duckdb.connect()
    try:
        found = con.execute(
            """
            WITH acted AS (SELECT unnest($2::VARCHAR[]) AS id),
            ties AS (
                SELECT account_b AS other, account_a AS member, weight FROM read_parquet($1)
                WHERE account_a IN (SELECT id FROM acted)
                UNION ALL
                SELECT account_a, account_b, weight FROM read_parquet($1)
                WHERE account_b IN (SELECT id FROM acted)
            )
            SELECT other, count(DISTINCT member) AS members, sum(weight) AS weight FROM ties
            WHERE other NOT IN (SELECT id FROM acted) GROUP BY other ORDER BY other
            """,
            [str(network), sorted(acted)],
        ).fetchall()
    finally:
        con.close()
    new = [(other, n, weight) for other, n, weight in found if other not in known]
    stamp = audit.now()
    for other, n, weight in new:
        session.add(
            CaseAccount(
                case_id=case_id,
                account_id=other,
                status="linked_later",
                note=f"tied to {n} disrupted account(s) in scan {scan_dir} (weight {weight:.2f})",
                added_at=stamp,
            )
        )
    audit.record(
        session,
        actor=actor,
        action="case.relink",
        subject_kind="case",
        subject_id=str(case_id),
        reason=f"{len(new)} account(s) tied to the disrupted network in a later scan",
        payload={"case": case_id, "linked": len(new), "scan": str(scan_dir)},
        personal={"accounts": [other for other, _, _ in new]} if new else None,
    )
    return [other for other, _, _ in new]
