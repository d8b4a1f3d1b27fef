"""Small scored scans for the report's tests: a planted ring, a weak chain and organic background.

``scored_scan`` (session-scoped) is the scan folder of :func:`rows`, scanned with the default detectors and
scored with the built-in model. What it holds, by construction:

* cluster 1, the **ring** (:data:`RING`): four accounts reposting the same 30 posts 5 s apart (always in
  :data:`RING` order) on weekdays 07:00-13:59 UTC over six weeks, and every third time also posting one
  identical text with a link to rt.com that mentions ``@quiet_wren``; flagged, with a working week at UTC+3
  and state media; two of them (:data:`LOCATED`) report "Moscow, Russia" as their location (UTC+3);
* cluster 2, the **chain** (:data:`CHAIN`): ``quiet_wren`` and ``chain_hub`` repost 8 posts together
  (``quiet_wren`` first), ``mellow_finch`` and ``chain_hub`` 8 others (``mellow_finch`` first), within
  five days; only ``chain_hub`` has two ties, so the other two score below 0.5 (redacted by default);
* 40 organic accounts reposting popular posts at random and posting their own texts;
* one rejected row (a broken time) and one duplicate.

``empty_scan`` is the organic background alone (no cluster), ``unscored_scan`` a copy of ``scored_scan``
without its score files.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from overt import build_dataset
from overt.coordination.scan import scan
from overt.scoring import score_scan

HEADER = ["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"]
MONDAY = int(datetime(2024, 3, 4, tzinfo=UTC).timestamp())
DAY = 86_400
RING = {"u1001": "Ring_Alpha", "u1002": "Ring_Bravo", "u1003": "Ring_Charlie", "u1004": "Ring_Delta"}
CHAIN = {"u2001": "quiet_wren", "u2002": "chain_hub", "u2003": "mellow_finch"}
#: Ring members whose profile reports a location (the CNT format has no location column: set after ingestion).
LOCATED = {"u1001": "Moscow, Russia", "u1002": "Moscow, Russia"}
RING_EVENTS = 30
CHAIN_EVENTS = 8
Row = tuple[str, str, str, str, str, str, int, str]


def ring_times() -> list[int]:
    """When each ring event starts (the first repost): weekdays, 07:00-13:59 UTC."""
    out = []
    for e in range(RING_EVENTS):
        week, weekday = divmod(e, 5)
        out.append(MONDAY + (7 * week + weekday) * DAY + (7 + e % 7) * 3600 + 60 * (e % 50))
    return out


def chain_times() -> list[tuple[int, int]]:
    """(cx time, cy time) of each chain event: every 15 hours from Tuesday 20:00 UTC."""
    start = MONDAY + DAY + 20 * 3600
    return [(start + e * 15 * 3600, start + e * 15 * 3600 + 7200) for e in range(CHAIN_EVENTS)]


def rows(*, ring: bool = True, chain: bool = True) -> list[Row]:
    out: list[Row] = []

    def add(user: str, handle: str, repost: str, text: str, ts: int, urls: str = "") -> None:
        out.append((f"m{len(out) + 1}", user, handle, repost, "", text, ts, urls))

    if ring:
        for e, t0 in enumerate(ring_times()):
            for k, (user, handle) in enumerate(RING.items()):
                add(user, handle, f"seed{e}", f"RT seed {e}", t0 + 5 * k)
            if e % 3 == 0:
                for k, (user, handle) in enumerate(RING.items()):
                    text = f"Breaking: the truth about event {e} via @quiet_wren #truth{e}"
                    add(user, handle, "", text, t0 + 600 + 7 * k, f"https://rt.com/news/{e}")
    if chain:
        wren, hub, finch = CHAIN
        for e, (tx, ty) in enumerate(chain_times()):
            add(wren, CHAIN[wren], f"cx{e}", f"wren shares a lovely garden {e} photo", tx)
            add(hub, CHAIN[hub], f"cx{e}", f"hub relays item {e}", tx + 20)
            add(finch, CHAIN[finch], f"cy{e}", f"finch morning song recording {e}", ty)
            add(hub, CHAIN[hub], f"cy{e}", f"hub relays other item {e}", ty + 30)
        for i, (user, handle) in enumerate(CHAIN.items()):
            for j in range(3):
                ts = MONDAY + (3 + j) * DAY + (18 + i) * 3600 + 17 * j
                add(user, handle, "", f"{handle} private diary entry number {j} about my garden", ts)
    for i in range(400):
        add(f"u3{i % 40:03d}", f"organic_user_{i % 40}", f"pop{i % 25}", "", MONDAY + 9000 * i + (i * 7919) % 3000)
    for i in range(120):
        add(
            f"u3{i % 40:03d}",
            f"organic_user_{i % 40}",
            "",
            f"just my own thoughts {i} on the weather",
            MONDAY + 30000 * i,
        )
    return out


def build(folder: Path, data: list[Row], *, scored: bool = True) -> Path:
    """Ingest *data* (plus a broken row and a duplicate), scan it with the defaults and (*scored*) score it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(data)
        writer.writerow(("bad1", "u3001", "organic_user_1", "", "", "a row with a broken time", "notatime", ""))
        writer.writerow(data[-1])
    build_dataset([path], folder / "ds", format="cnt")
    _set_locations(folder / "ds" / "accounts.parquet", LOCATED)
    result = scan(folder / "ds", folder / "scan", window=60)
    if scored:
        score_scan(result.path)
    return result.path


def _set_locations(path: Path, locations: dict[str, str]) -> None:
    """Give the accounts of *locations* that reported location, in the dataset's accounts table."""
    table = pq.read_table(path)
    ids = table.column("account_id").to_pylist()
    current = table.column("reported_location").to_pylist()
    column = pa.array([locations.get(a, loc) for a, loc in zip(ids, current, strict=True)], pa.string())
    index = table.schema.get_field_index("reported_location")
    pq.write_table(table.set_column(index, table.schema.field(index), column), path)


@pytest.fixture(scope="session")
def scored_scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scan folder of :func:`rows`, scanned and scored (see the module docstring for what it holds)."""
    return build(tmp_path_factory.mktemp("report-scan"), rows())


@pytest.fixture(scope="session")
def empty_scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scored scan of the organic background alone: no cluster."""
    return build(tmp_path_factory.mktemp("report-empty"), rows(ring=False, chain=False))


@pytest.fixture(scope="session")
def unscored_scan(scored_scan: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``scored_scan`` as it was before scoring (an older scan: no score files, no ``scores`` in its summary)."""
    folder = tmp_path_factory.mktemp("report-unscored") / "scan"
    shutil.copytree(scored_scan, folder)
    for name in ("scores", "cluster_scores", "signals", "cluster_signals", "disarm"):
        (folder / f"{name}.parquet").unlink()
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    del summary["scores"]
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return folder
