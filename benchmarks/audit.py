#!/usr/bin/env python
"""The audit log's cost: appending events and verifying the chain, on SQLite and PostgreSQL.

For each database this script

1. creates an empty enforcement database (a SQLite file in ``--work``; with ``--postgres URL``, a fresh database on
   that server, e.g. ``postgresql+psycopg://postgres@127.0.0.1:54329``);
2. appends ``--single`` events, each in its own transaction (what every CLI command and service request does:
   lock the head, append, commit), and reports events per second;
3. appends ``--batched`` events in transactions of ``--batch`` events (a bulk import, a live rule proposing many
   actions);
4. verifies the whole chain (``audit.verify``) and reports events per second;
5. stores the 918 designation proposals seeded from the shipped state-media list (one transaction, one event each).

    .venv/bin/python benchmarks/audit.py
    .venv/bin/python benchmarks/audit.py --postgres postgresql+psycopg://postgres@127.0.0.1:54329 --json /tmp/a.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from overt.enforcement import audit
from overt.enforcement.records import designations
from overt.enforcement.store import Store, open_store

sys.path.insert(0, str(Path(__file__).parent))
from machine import machine


def _event(session: Any, index: int) -> None:
    audit.record(
        session,
        actor=f"analyst{index % 7}",
        action="bench.event",
        subject_kind="case",
        subject_id=str(index),
        reason=f"benchmark event {index}",
        payload={"index": index, "tags": ["a", "b"], "note": "x" * 200},
    )


def _postgres_database(server: str) -> str:
    name = f"overt_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{server}/{name}"


def run(url: str, single: int, batched: int, batch: int) -> dict[str, Any]:
    store: Store = open_store(url, seed=False, actor="bench")
    result: dict[str, Any] = {"database": store.engine.dialect.name}
    try:
        start = time.perf_counter()
        for index in range(single):
            with store.transaction() as session:
                _event(session, index)
        seconds = time.perf_counter() - start
        result["single"] = {"events": single, "seconds": round(seconds, 2), "per_second": round(single / seconds)}

        start = time.perf_counter()
        for first in range(0, batched, batch):
            with store.transaction() as session:
                for index in range(first, min(first + batch, batched)):
                    _event(session, single + index)
        seconds = time.perf_counter() - start
        result["batched"] = {
            "events": batched,
            "batch": batch,
            "seconds": round(seconds, 2),
            "per_second": round(batched / seconds),
        }

        start = time.perf_counter()
        with store.reading() as session:
            verified = audit.verify(session)
        seconds = time.perf_counter() - start
        assert verified.ok, verified.summary()
        result["verify"] = {
            "events": verified.events,
            "seconds": round(seconds, 2),
            "per_second": round(verified.events / seconds),
        }

        start = time.perf_counter()
        with store.transaction() as session:
            added, _ = designations.seed(session, actor="bench")
        result["seed_designations"] = {"proposals": added, "seconds": round(time.perf_counter() - start, 2)}
    finally:
        store.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--single", type=int, default=2_000, help="events appended one transaction each")
    parser.add_argument("--batched", type=int, default=100_000, help="events appended in batches")
    parser.add_argument("--batch", type=int, default=1_000, help="events per batch transaction")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server URL (without database) to test too")
    parser.add_argument("--work", type=Path, default=None, help="folder for the SQLite file (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="overt-audit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    targets = [f"sqlite:///{work / f'bench-{uuid.uuid4().hex[:8]}.db'}"]
    if args.postgres:
        targets.append(_postgres_database(args.postgres.rstrip("/")))
    results = [run(url, args.single, args.batched, args.batch) for url in targets]
    print(f"{'database':10} {'append (1/txn)':>16} {'append (batched)':>18} {'verify':>12} {'seed 918':>9}")
    for r in results:
        print(
            f"{r['database']:10} {r['single']['per_second']:>12,} ev/s {r['batched']['per_second']:>14,} ev/s "
            f"{r['verify']['per_second']:>8,} ev/s {r['seed_designations']['seconds']:>8.1f}s"
        )
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
