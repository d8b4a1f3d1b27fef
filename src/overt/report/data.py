"""The report's data model: what ``overt report`` shows, read from a scan folder into plain JSON-able values.

:func:`collect` reads a scan folder (and the dataset it names) with DuckDB and returns one dictionary (the
contract between this module and the renderer, ``overt-report/1``): the dataset and the scan's settings, the
score summary, one plain sentence per top cluster, each top cluster in full (members, the network edges
inside it with a seeded layout, the evidence, a timeline of co-actions, the members' posting hours, the
working-hours fit, state media, DISARM suggestions, cluster signals and a takedown-style draft paragraph),
the other clusters as a table, the members' own scores and signals, and the methodology.

Only the top clusters are expanded, and within them at most :data:`MAX_MEMBERS` members (by centrality)
and :data:`MAX_EDGES` edges (by weight) are drawn; the omitted counts are recorded (``members_omitted``,
``edges_omitted``). Everything heavy is a DuckDB query over the Parquet files, restricted to the members
of the top clusters, so a scan of 100k accounts costs what its top clusters cost.

The output is deterministic for a given scan (sorted; times as ISO strings in UTC; floats rounded; the
layout seeded), except ``generated_at`` and ``versions``, which :func:`normalised` removes with the other
run-specific values (timings, local paths) for comparisons such as the golden test.

``python -m overt.report.data SCAN_DIR`` prints ``normalised(collect(SCAN_DIR))`` as JSON (the golden test's
file is made that way, see ``tests/unit/report/test_data.py``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import igraph as ig
import pyarrow as pa

from overt._version import __version__
from overt.coordination.schema import EVIDENCE
from overt.disarm import ATTRIBUTION, DISARM
from overt.engine import DuckDBEngine, literal
from overt.errors import OvertError
from overt.report.redact import PSEUDONYM, REDACTED_TEXT, Redactor, derive_key, scrub_strings
from overt.scoring.scores import CLUSTER_SCORES, SCORES
from overt.signals.base import CLUSTER_SIGNALS, SIGNALS

FORMAT = "overt-report/1"

#: Members drawn per cluster (the most central), edges drawn per cluster (the heaviest among them).
MAX_MEMBERS = 500
MAX_EDGES = 2000
#: Posts listed per account (its posts in the cluster's co-actions), domains per account.
MAX_POSTS = 20
MAX_DOMAINS = 10
#: Reject reasons listed.
MAX_REASONS = 20
#: Seed of the network layout.
LAYOUT_SEED = 42
#: Clusters whose co-actions span at most this many days get an hourly timeline, others a daily one.
HOURLY_SPAN_DAYS = 7
#: A cluster's working-hours fit is described in its summary from this cluster score on (work x confidence).
OFFICE_MIN_SCORE = 0.3
#: A cluster's state-media share is described in its summary from this cluster score on.
STATE_MEDIA_MIN_SCORE = 0.3

#: Detectors whose item is a post id (co_repost: unless the source gives none, then ``text:<author>:<text>``).
POST_ITEMS = frozenset({"co_repost", "co_reply", "co_similar_text", "fast_repost"})
#: Detectors whose item is (normalised) text.
TEXT_ITEMS = frozenset({"co_text"})

#: Organic false-positive figures of the built-in model, measured by ``overt eval``; the methodology quotes
#: them for reports scored with that model. Update them when ``overt eval`` is rerun (a later version has
#: ``overt eval`` write them).
#: The built-in model's measured false positives and coverage, quoted in every report's caveats. Written by
#: ``overt eval --measured src/overt/report/measured.json`` (the command and date are inside).
EVALUATION: dict[str, Any] = json.loads(resources.files("overt.report").joinpath("measured.json").read_text("utf-8"))

#: What each trace found, for the methodology: ``{window}`` is the detector's window.
TRACES: dict[str, str] = {
    "co_repost": "accounts that reposted the same post within {window} of each other",
    "co_link": "accounts that posted the same link within {window} of each other",
    "co_domain": "accounts that linked to the same website within {window} of each other",
    "co_hashtag": "accounts that used the same hashtag within {window} of each other",
    "co_text": "accounts that posted the same text (ignoring case, links and mentions) within {window} of each other",
    "co_similar_text": "accounts that posted near-copies of each other's texts within {window}",
    "co_reply": "accounts that replied to the same post within {window} of each other",
    "co_mention": "accounts that mentioned the same account within {window} of each other",
    "co_media": "accounts that posted the same image or video (as the source identifies it) within {window}",
    "fast_repost": "accounts that reposted another account's posts within {window} of publication, again and again",
    "hashtag_sequence": "accounts that wrote the same hashtags in the same order",
    "co_repost_similarity": "accounts that reposted the same posts, whenever they did",
    "time_sync": "accounts that were active in the same time slots",
}

#: How the draft summary says what a trace saw.
_DID = {
    "co_repost": "reposted the same posts",
    "co_link": "posted the same links",
    "co_domain": "linked to the same websites",
    "co_hashtag": "used the same hashtags",
    "co_text": "posted identical texts",
    "co_similar_text": "posted near-identical texts",
    "co_reply": "replied to the same posts",
    "co_mention": "mentioned the same accounts",
    "co_media": "posted the same media",
    "fast_repost": "reposted each other within seconds",
    "hashtag_sequence": "wrote the same hashtag sequences",
    "co_repost_similarity": "reposted the same posts",
    "time_sync": "were active in the same time slots",
}

CAVEATS: tuple[str, ...] = (
    "Coordination is not proof of inauthenticity: activists, fans, newsrooms, campaign volunteers and brands "
    "also act together. The traces show accounts acting in step more often than chance predicts, not who runs "
    "them or why.",
    "Scores are a documented prior (or a model trained on labelled data), not a finding: read the evidence "
    "behind each one before acting on it.",
    "A working-hours offset is the clock of an office schedule to within a couple of hours, not a place: it is "
    "consistent with every country in that time zone, and with shift work anywhere.",
    "State-media links are also posted by journalists, researchers and readers of national media; the share "
    "suggests amplification only together with the other evidence.",
    "DISARM techniques are suggestions for an analyst to confirm, derived from the numbers quoted with them.",
    "The data show only what the collection caught: posts outside it, deleted accounts and other platforms "
    "are not seen, so clusters may be larger, and ties weaker or stronger, than shown.",
    "This report does not attribute activity to any state or organisation.",
)

#: Keys whose values the redaction's free-text pass leaves alone: times, names of things, ids it set itself.
_NO_SCRUB = frozenset(
    {
        "format",
        "generated_at",
        "versions",
        "time_range",
        "platforms",
        "counts",
        "timeline",
        "hour_of_week",
        "layout",
        "methodology",
        "exports",
        "account_id",
        "a",
        "b",
        "a_post_id",
        "b_post_id",
        "post_id",
        "handle",
        "label",
        "at",
        "a_at",
        "b_at",
        "first_at",
        "last_at",
        "first",
        "detector",
        "signal",
        "feature",
        "traces",
        "technique_id",
        "url",
        "kind",
        "role",
        "sha256",
        "redaction",
    }
)


class ReportError(OvertError):
    """A report cannot be made from the folder given (not a scan, dataset missing)."""


def collect(
    scan_dir: str | os.PathLike[str],
    *,
    top: int = 20,
    evidence_rows: int = 200,
    redact: bool = False,
    redact_threshold: float = 0.5,
    redact_key: str | bytes | None = None,
    dataset: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """The report's data for the scan in *scan_dir* (see the module docstring and ``overt-report/1``).

    Parameters
    ----------
    top:
        Clusters shown in full: the highest scores first (unscored scans: the largest).
    evidence_rows:
        Evidence rows listed per cluster: the first co-action of each item (items shared by the most pairs
        first), then the second, and so on, so that the rows cover many items.
    redact, redact_threshold, redact_key:
        Pseudonymise the accounts scoring below the threshold, or not scored (:mod:`overt.report.redact`);
        the key defaults to one derived from the scan's input hashes.
    dataset:
        The dataset folder, when it is no longer where the scan's ``summary.json`` says.
    """
    if top < 0 or evidence_rows < 0:
        raise ReportError("top and evidence_rows must be at least 0")
    if math.isnan(redact_threshold):
        raise ReportError("redact_threshold must be a number")
    reader = _Reader(Path(scan_dir), dataset)
    try:
        return reader.collect(
            top=top,
            evidence_rows=evidence_rows,
            redactor=_redactor(reader.summary, redact_key) if redact else None,
            redact_threshold=redact_threshold,
        )
    finally:
        reader.close()


def normalised(data: dict[str, Any]) -> dict[str, Any]:
    """*data* without what changes between runs on one scan: generation time, versions, timings, local paths."""
    out = json.loads(json.dumps(data))
    out.pop("generated_at", None)
    out.pop("versions", None)
    dataset = out.get("dataset") or {}
    if "path" in dataset:
        dataset["path"] = Path(dataset["path"]).name
    for item in dataset.get("inputs") or []:
        item["path"] = Path(item["path"]).name
    scan = out.get("scan") or {}
    scan.pop("timings_seconds", None)
    exports = out.get("exports") or {}
    if exports.get("gexf"):
        exports["gexf"] = Path(exports["gexf"]).name
    return dict(out)


def _redactor(summary: dict[str, Any], key: str | bytes | None) -> Redactor:
    if key is None:
        key = derive_key((i.get("sha256") or "" for i in summary.get("inputs") or []), str(summary.get("created")))
    return Redactor(key)


# -- reading ---------------------------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _iso_text(value: str | None) -> str | None:
    """An ISO time written elsewhere (the manifest) in this module's form."""
    if not value:
        return None
    try:
        return _iso(datetime.fromisoformat(value))
    except ValueError:
        return value


def _round(value: Any, digits: int = 4) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else round(number, digits)


def _find_dataset(summary: dict[str, Any], scan_dir: Path, given: str | os.PathLike[str] | None) -> Path:
    if given is not None:
        candidates = [Path(given)]
    else:
        named = Path(str(summary.get("dataset") or ""))
        # A relative path is relative to where the scan ran; next to the scan folder is the usual layout.
        candidates = [named] if named.is_absolute() else [named, scan_dir.parent / named.name, scan_dir / named]
    for folder in candidates:
        if (folder / "posts.parquet").is_file():
            return folder.resolve()
    raise ReportError(
        f"{scan_dir}: its dataset {candidates[0]} is not there any more; pass the dataset folder (dataset=...)"
    )


class _Reader:
    """A DuckDB session over one scan folder and its dataset, with the queries the report needs."""

    def __init__(self, scan_dir: Path, dataset: str | os.PathLike[str] | None) -> None:
        summary_path = scan_dir / "summary.json"
        if not summary_path.is_file():
            raise ReportError(f"{scan_dir}: not a scan folder (no summary.json); run `overt scan` first")
        self.scan_dir = scan_dir.resolve()
        self.summary: dict[str, Any] = json.loads(summary_path.read_text(encoding="utf-8"))
        self.dataset = _find_dataset(self.summary, scan_dir, dataset)
        self.eng = DuckDBEngine()
        self.eng.attach_dataset(self.dataset)
        con = self.eng.con
        for name in ("clusters", "cluster_stats", "network"):
            path = self.scan_dir / f"{name}.parquet"
            if not path.is_file():
                raise ReportError(f"{scan_dir}: {path.name} is missing; rerun `overt scan`")
            con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM read_parquet({literal(path)})")
        self.scored = (self.scan_dir / "scores.parquet").is_file() and "scores" in self.summary
        self.item_kinds: dict[int, list[str | None]] = {}
        self.reporters: dict[int, list[str]] = {}
        optional = {
            "scores": SCORES,
            "cluster_scores": CLUSTER_SCORES,
            "signals": SIGNALS,
            "cluster_signals": CLUSTER_SIGNALS,
            "disarm": DISARM,
        }
        for name, schema in optional.items():
            path = self.scan_dir / f"{name}.parquet"
            if self.scored and path.is_file():
                con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM read_parquet({literal(path)})")
            else:
                self.eng.register(name, schema.empty_table())
        files = sorted((self.scan_dir / "evidence").glob("*.parquet"))
        if files:
            listed = ", ".join(literal(f) for f in files)
            con.execute(f"CREATE TEMP VIEW evidence AS SELECT * FROM read_parquet([{listed}], union_by_name = true)")
        else:
            self.eng.register("evidence", EVIDENCE.empty_table())

    def close(self) -> None:
        self.eng.close()

    def dicts(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        table: pa.Table = self.eng.con.sql(sql, params=list(params) if params else None).to_arrow_table()
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows

    def ids_table(self, name: str, ids: Iterable[str]) -> None:
        self.eng.register(name, pa.table({"account_id": pa.array(sorted(set(ids)), pa.string())}))

    # -- sections ----------------------------------------------------------------------------------------------

    def collect(
        self, *, top: int, evidence_rows: int, redactor: Redactor | None, redact_threshold: float
    ) -> dict[str, Any]:
        ranked = self.dicts(
            """
            SELECT s.cluster, s.size, s.n_edges, s.traces, s.first_at, s.last_at, s.top_items,
                   c.score, c.flagged, c.explanation, c.n_flagged
            FROM cluster_stats s LEFT JOIN cluster_scores c USING (cluster)
            ORDER BY c.score DESC NULLS LAST, s.size DESC, s.cluster
            """
        )
        shown, rest = ranked[:top], ranked[top:]
        clusters = self._clusters(shown, evidence_rows) if shown else []
        accounts = self._accounts() if shown else {}
        if redactor is not None and clusters:
            self._redact(redactor, redact_threshold, clusters, accounts)
        scores = self._scores()
        for cluster in clusters:
            cluster["summary"] = _summary(cluster, scores, self.item_kinds.get(cluster["cluster"], []))
        data: dict[str, Any] = {
            "format": FORMAT,
            "generated_at": _iso(datetime.now(UTC)),
            "versions": {"overt": __version__, "duckdb": duckdb.__version__, "python-igraph": ig.__version__},
            "dataset": self._dataset(),
            "scan": self._scan(),
            "scores": scores,
            "headline": _headline(clusters, len(ranked), self._scan()),
            "clusters": clusters,
            "other_clusters": [
                {
                    "cluster": int(r["cluster"]),
                    "size": int(r["size"]),
                    "score": _round(r["score"]),
                    "flagged": bool(r["flagged"]),
                    "traces": list(r["traces"] or []),
                }
                for r in rest
            ],
            "accounts": dict(sorted(accounts.items())),
            "methodology": self._methodology(scores),
            "exports": {
                "clusters_csv": "clusters.csv",
                "evidence_csv": "evidence.csv",
                # The scan's GEXF names every account: a redacted report does not link it.
                "gexf": None
                if redactor is not None or not (self.scan_dir / "network.gexf").is_file()
                else str(self.scan_dir / "network.gexf"),
            },
            "redaction": None
            if redactor is None
            else {"threshold": redact_threshold, "accounts": len(redactor), "text": REDACTED_TEXT},
        }
        if redactor is not None:
            data = scrub_strings(data, redactor.scrub, _NO_SCRUB)
        return data

    def _dataset(self) -> dict[str, Any]:
        manifest: dict[str, Any] = {}
        path = self.dataset / "manifest.json"
        if path.is_file():
            manifest = json.loads(path.read_text(encoding="utf-8"))
        tables = manifest.get("tables") or {}
        reasons: list[dict[str, Any]] = []
        rejects = self.dataset / "rejects.parquet"
        if rejects.is_file():
            # Reasons name ids, lines and values: the words before the first of those group them.
            reasons = [
                {"reason": reason, "count": int(n)}
                for reason, n in self.eng.rows(
                    f"""
                    WITH r AS (
                        SELECT coalesce(field, '') AS field, coalesce(reason, '') AS reason,
                               regexp_extract(coalesce(reason, ''), '^[^0-9''"(:\\[]*') AS head
                        FROM read_parquet({literal(rejects)})
                    ),
                    k AS (
                        SELECT field, rtrim(trim(CASE WHEN head = reason OR head = '' OR head LIKE '% '
                                                 THEN head ELSE regexp_replace(head, '\\S*$', '') END), ' ,;-')
                               AS kind
                        FROM r
                    )
                    SELECT CASE WHEN field <> '' THEN field || ': ' ELSE '' END
                           || CASE WHEN kind = '' THEN 'other' ELSE kind END AS reason, count(*) AS n
                    FROM k GROUP BY ALL ORDER BY n DESC, reason LIMIT {MAX_REASONS}
                    """
                )
            ]
        inputs = manifest.get("inputs") or self.summary.get("inputs") or []
        return {
            "path": str(self.dataset),
            "inputs": [{"path": i.get("path"), "sha256": i.get("sha256"), "format": i.get("format")} for i in inputs],
            "platforms": list(manifest.get("platforms") or []),
            "time_range": [_iso_text(manifest.get("first_at")), _iso_text(manifest.get("last_at"))],
            "counts": {
                "posts": tables.get("posts"),
                "accounts": tables.get("accounts"),
                "rejects": manifest.get("rows_rejected"),
                "duplicates": manifest.get("rows_duplicate"),
            },
            "rejects_by_reason": reasons,
        }

    def _scan(self) -> dict[str, Any]:
        s = self.summary
        parameters = dict(s.get("parameters") or {})
        parameters["profile"] = s.get("profile")
        parameters["clustering"] = s.get("clustering")
        return {
            "parameters": parameters,
            "engine": s.get("engine"),
            "detectors": s.get("detectors") or {},
            "timings_seconds": s.get("timings_seconds") or {},
            "clusters": int((s.get("clusters") or {}).get("count") or 0),
            "network_accounts": int((s.get("network") or {}).get("accounts") or 0),
            "network_edges": int((s.get("network") or {}).get("edges") or 0),
        }

    def _scores(self) -> dict[str, Any] | None:
        if not self.scored:
            return None
        s = self.summary["scores"]
        keys = ("model", "threshold", "accounts", "flagged_accounts", "clusters", "flagged_clusters")
        return {k: s.get(k) for k in keys}

    def _methodology(self, scores: dict[str, Any] | None) -> dict[str, Any]:
        detectors = self.summary.get("detectors") or {}
        params = self.summary.get("parameters") or {}
        alpha = params.get("alpha")
        profile = self.summary.get("profile")
        traces = {}
        for name in params.get("detectors") or sorted(detectors):
            info = (detectors.get(name) or {}).get("params") or {}
            window = info.get("max_delay") if name == "fast_repost" else info.get("window", params.get("window"))
            what = TRACES.get(name, f"accounts that acted on the same items ({name})").format(window=_window(window))
            if profile:
                how = f", as the {profile} tool defines it (its own weights and thresholds, no test against chance)"
            elif alpha is not None:
                how = f", more often than chance predicts (false discovery rate {alpha:g})"
            else:
                how = ", more often than chance predicts"
            traces[name] = f"{name}: {what}{how}."
        caveats = list(CAVEATS)
        evaluation = None
        if scores is not None and scores.get("model") == EVALUATION["model"]:
            evaluation = EVALUATION
            organic = "; ".join(
                f"{o['flagged']:,} of {o['accounts']:,} in {o['dataset']} (95% upper bound {o['fpr_upper_95']:.2%})"
                for o in EVALUATION["organic"]
            )
            op = EVALUATION["operation"]
            caveats.append(
                f"Measured false positives of the built-in model (`{EVALUATION['command']}`, "
                f"{EVALUATION['measured']}): on data with no known operation it flagged {organic}; it flagged "
                f"{op['flagged']:,} of the {op['accounts']:,} accounts of a known operation ({op['dataset']}). "
                "Other data, and larger or more polarised collections, can do worse."
            )
        elif scores is not None:
            caveats.append(
                f"The score model '{scores.get('model')}' is not the built-in one: its false-positive rate is the "
                "one measured when it was trained, not the built-in model's."
            )
        return {"traces": traces, "caveats": caveats, "evaluation": evaluation, "disarm_attribution": ATTRIBUTION}

    # -- the top clusters ------------------------------------------------------------------------------------

    def _clusters(self, shown: list[dict[str, Any]], evidence_rows: int) -> list[dict[str, Any]]:
        con = self.eng.con
        units = []
        for r in shown:
            first, last = r["first_at"], r["last_at"]
            span = None if first is None or last is None else (last - first).total_seconds()
            hourly = span is not None and span <= HOURLY_SPAN_DAYS * 86400
            units.append("hour" if hourly else "day")
        self.eng.register(
            "r_top",
            pa.table(
                {
                    "cluster": pa.array([int(r["cluster"]) for r in shown], pa.int64()),
                    "ord": pa.array(range(len(shown)), pa.int64()),
                    "unit": pa.array(units, pa.string()),
                }
            ),
        )
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE r_members AS
            SELECT m.cluster, m.account_id, m.role, m.centrality,
                   row_number() OVER (PARTITION BY m.cluster ORDER BY m.centrality DESC NULLS LAST, m.account_id)
                       AS rank
            FROM clusters m SEMI JOIN r_top t ON t.cluster = m.cluster
            """
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE r_shown AS SELECT * FROM r_members WHERE rank <= {MAX_MEMBERS}")
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE r_ev AS
            SELECT ma.cluster, e.detector, e.account_a AS a, e.account_b AS b, e.item,
                   e.a_post_id, e.a_at, e.b_post_id, e.b_at, least(e.a_at, e.b_at) AS t
            FROM evidence e
            JOIN r_members ma ON ma.account_id = e.account_a
            JOIN r_members mb ON mb.account_id = e.account_b AND mb.cluster = ma.cluster
            """
        )
        # The first co-action of every item (items shared by the most pairs first), then the second, ...
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE r_ev_shown AS
            WITH items AS (
                SELECT cluster, coalesce(item, '') AS item,
                       row_number() OVER (
                           PARTITION BY cluster
                           ORDER BY count(DISTINCT least(a, b) || chr(0) || greatest(a, b)) DESC, coalesce(item, '')
                       ) AS item_rank
                FROM r_ev GROUP BY cluster, coalesce(item, '')
            ),
            numbered AS (
                SELECT e.*, i.item_rank,
                       row_number() OVER (
                           PARTITION BY e.cluster, coalesce(e.item, '')
                           ORDER BY e.t NULLS LAST, e.detector, e.a, e.b, e.a_post_id, e.b_post_id
                       ) AS k
                FROM r_ev e JOIN items i ON i.cluster = e.cluster AND i.item = coalesce(e.item, '')
            )
            SELECT * EXCLUDE (pos) FROM (
                SELECT *, row_number() OVER (PARTITION BY cluster ORDER BY k, item_rank) AS pos FROM numbered
            ) x WHERE pos <= {int(evidence_rows)}
            """
        )
        members = _group(
            self.dicts(
                """
                SELECT m.cluster, m.account_id, m.role, m.centrality, h.handle, s.score, s.flagged, s.explanation
                FROM r_shown m
                LEFT JOIN (SELECT account_id, min(handle) AS handle FROM accounts GROUP BY account_id) h
                    USING (account_id)
                LEFT JOIN scores s USING (account_id)
                ORDER BY m.cluster, m.rank
                """
            )
        )
        n_members = dict(self.eng.rows("SELECT cluster, count(*) FROM r_members GROUP BY cluster"))
        edges = _group(
            self.dicts(
                f"""
                SELECT cluster, account_a, account_b, weight, traces FROM (
                    SELECT ma.cluster, n.account_a, n.account_b, n.weight, n.traces,
                           row_number() OVER (PARTITION BY ma.cluster ORDER BY n.weight DESC, n.account_a, n.account_b)
                               AS rank
                    FROM network n
                    JOIN r_shown ma ON ma.account_id = n.account_a
                    JOIN r_shown mb ON mb.account_id = n.account_b AND mb.cluster = ma.cluster
                ) x WHERE rank <= {MAX_EDGES}
                ORDER BY cluster, rank
                """
            )
        )
        totals = dict(self.eng.rows("SELECT cluster, count(*) FROM r_ev GROUP BY cluster"))
        # The trace behind each top item, for the summary's wording (kept by position: redaction renames items).
        kind = {
            (int(c), str(i)): str(d)
            for c, i, d in self.eng.rows(
                """
                SELECT e.cluster, e.item, min(e.detector) FROM r_ev e
                SEMI JOIN (
                    SELECT cluster, unnest(top_items) AS item FROM cluster_stats SEMI JOIN r_top USING (cluster)
                ) t ON t.cluster = e.cluster AND t.item = e.item
                GROUP BY ALL
                """
            )
        }
        self.item_kinds = {
            int(r["cluster"]): [kind.get((int(r["cluster"]), str(i))) for i in r["top_items"] or []] for r in shown
        }
        evidence = _group(self.dicts("SELECT * FROM r_ev_shown ORDER BY cluster, k, item_rank"))
        timeline = _group(
            self.dicts(
                """
                SELECT e.cluster,
                       CASE WHEN t.unit = 'hour' THEN date_trunc('hour', e.t) ELSE date_trunc('day', e.t) END
                           AS start,
                       e.detector, count(*) AS coactions
                FROM r_ev e JOIN r_top t USING (cluster)
                WHERE e.t IS NOT NULL
                GROUP BY ALL ORDER BY e.cluster, start, e.detector
                """
            )
        )
        hours: dict[int, list[int]] = {}
        for cluster, hour_bin, n in self.eng.rows(
            """
            SELECT m.cluster, (isodow(p.created_at) - 1) * 24 + hour(p.created_at) AS bin, count(*) AS n
            FROM posts p JOIN r_members m USING (account_id)
            WHERE p.created_at IS NOT NULL
            GROUP BY ALL
            """
        ):
            hours.setdefault(int(cluster), [0] * 168)[int(hour_bin)] = int(n)
        reported = self._reported()
        signals = _group(
            self.dicts(
                """
                SELECT cluster, signal, score, evidence, details FROM cluster_signals SEMI JOIN r_top USING (cluster)
                ORDER BY cluster, score DESC NULLS LAST, signal
                """
            )
        )
        disarm = _group(
            self.dicts(
                """
                SELECT cluster, technique_id, technique, tactic, confidence, evidence, url
                FROM disarm SEMI JOIN r_top USING (cluster)
                ORDER BY cluster, CASE confidence WHEN 'strong' THEN 0 ELSE 1 END, technique_id
                """
            )
        )
        out = []
        for row, unit in zip(shown, units, strict=True):
            c = int(row["cluster"])
            cluster_members = members.get(c, [])
            cluster_edges = edges.get(c, [])
            cluster_signals = signals.get(c, [])
            by_signal = {s["signal"]: s for s in cluster_signals}
            out.append(
                {
                    "cluster": c,
                    "size": int(row["size"]),
                    "score": _round(row["score"]),
                    "flagged": bool(row["flagged"]),
                    "explanation": row["explanation"]
                    or f"{int(row['size'])} accounts; not scored (run `overt score` for scores and signals)",
                    "traces": list(row["traces"] or []),
                    "first_at": _iso(row["first_at"]),
                    "last_at": _iso(row["last_at"]),
                    "top_items": list(row["top_items"] or []),
                    "members": [
                        {
                            "account_id": m["account_id"],
                            "label": m["handle"] or m["account_id"],
                            "role": m["role"],
                            "centrality": _round(m["centrality"]),
                            "score": _round(m["score"]),
                            "flagged": bool(m["flagged"]),
                            "explanation": m["explanation"],
                        }
                        for m in cluster_members
                    ],
                    "members_omitted": int(n_members.get(c, 0)) - len(cluster_members),
                    "edges": [
                        {
                            "a": e["account_a"],
                            "b": e["account_b"],
                            "weight": _round(e["weight"]),
                            "traces": list(e["traces"] or []),
                        }
                        for e in cluster_edges
                    ],
                    "edges_omitted": max(0, int(row["n_edges"] or 0) - len(cluster_edges)),
                    "layout": layout([m["account_id"] for m in cluster_members], cluster_edges),
                    "timeline_unit": unit,
                    "timeline": [
                        {"start": _iso(t["start"]), "detector": t["detector"], "coactions": int(t["coactions"])}
                        for t in timeline.get(c, [])
                    ],
                    "hour_of_week": hours.get(c),
                    "office": _office(by_signal.get("working_hours")),
                    "reported": reported.get(c),
                    "evidence": [_evidence_row(e) for e in evidence.get(c, [])],
                    "evidence_total": int(totals.get(c, 0)),
                    "state_media": _state_media(by_signal.get("state_media")),
                    "disarm": [
                        {k: d[k] for k in ("technique_id", "technique", "tactic", "confidence", "evidence", "url")}
                        for d in disarm.get(c, [])
                    ],
                    "signals": [
                        {"signal": s["signal"], "score": _round(s["score"]), "evidence": s["evidence"]}
                        for s in cluster_signals
                    ],
                    "summary": "",
                }
            )
        return out

    def _reported(self) -> dict[int, dict[str, Any]]:
        """Per top cluster, the location its members report most, as the working_hours signal read it.

        ``location`` is the gazetteer's place (``Moscow (RU)``), ``offsets`` its UTC offsets over the member's
        posting period (taken from the first member reporting it, by id), ``accounts`` how many members report
        it and ``of`` how many report any place the gazetteer knows. The members reporting it are kept in
        ``self.reporters`` for redaction. A cluster where no member reports a known place has no entry.
        """
        rows = self.eng.rows(
            """
            SELECT cluster, account_id, location, offsets FROM (
                SELECT m.cluster, m.account_id, json_extract_string(s.details, '$.location') AS location,
                       CAST(json_extract(s.details, '$.location_offsets') AS DOUBLE[]) AS offsets
                FROM signals s JOIN r_members m USING (account_id)
                WHERE s.signal = 'working_hours'
            ) x
            WHERE location IS NOT NULL
            ORDER BY cluster, account_id
            """
        )
        by_cluster: dict[int, dict[str, list[tuple[str, list[float]]]]] = defaultdict(lambda: defaultdict(list))
        for cluster, account_id, location, offsets in rows:
            by_cluster[int(cluster)][str(location)].append((str(account_id), [float(o) for o in offsets or []]))
        out: dict[int, dict[str, Any]] = {}
        self.reporters = {}
        for cluster, places in by_cluster.items():
            # Most members first; ties go to the name, so the choice does not depend on row order.
            location, reporters = min(places.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            self.reporters[cluster] = [a for a, _ in reporters]
            out[cluster] = {
                "location": location,
                "offsets": reporters[0][1],
                "accounts": len(reporters),
                "of": sum(len(r) for r in places.values()),
            }
        return out

    def _accounts(self) -> dict[str, dict[str, Any]]:
        info = self.dicts(
            """
            SELECT m.account_id, m.cluster, h.handle, s.score, s.flagged, s.explanation, s.contributions
            FROM r_shown m
            LEFT JOIN (SELECT account_id, min(handle) AS handle FROM accounts GROUP BY account_id) h USING (account_id)
            LEFT JOIN scores s USING (account_id)
            ORDER BY m.account_id
            """
        )
        signals = _group(
            self.dicts(
                """
                SELECT account_id AS cluster, signal, score, evidence FROM signals SEMI JOIN r_shown USING (account_id)
                ORDER BY account_id, score DESC NULLS LAST, signal
                """
            )
        )
        posts = _group(
            self.dicts(
                f"""
                WITH refs AS (
                    SELECT a AS account_id, a_post_id AS post_id FROM r_ev WHERE a_post_id IS NOT NULL
                    UNION SELECT b, b_post_id FROM r_ev WHERE b_post_id IS NOT NULL
                ),
                listed AS (
                    SELECT a AS account_id, a_post_id AS post_id FROM r_ev_shown WHERE a_post_id IS NOT NULL
                    UNION SELECT b, b_post_id FROM r_ev_shown WHERE b_post_id IS NOT NULL
                ),
                wanted AS (SELECT * FROM refs SEMI JOIN r_shown USING (account_id))
                SELECT account_id AS cluster, post_id, posted_at, kind, text FROM (
                    SELECT w.account_id, p.post_id, p.created_at AS posted_at, p.kind, p.text,
                           row_number() OVER (
                               PARTITION BY w.account_id ORDER BY l.post_id IS NULL, p.created_at, p.post_id
                           ) AS rank
                    FROM wanted w
                    JOIN posts p ON p.post_id = w.post_id AND p.account_id = w.account_id
                    LEFT JOIN listed l ON l.account_id = w.account_id AND l.post_id = w.post_id
                ) x WHERE rank <= {MAX_POSTS}
                ORDER BY account_id, rank
                """
            )
        )
        domains = _group(
            self.dicts(
                f"""
                SELECT account_id AS cluster, domain, n AS count FROM (
                    SELECT account_id, domain, count(*) AS n,
                           row_number() OVER (PARTITION BY account_id ORDER BY count(*) DESC, domain) AS rank
                    FROM (
                        SELECT account_id, unnest(domains) AS domain FROM posts
                        WHERE account_id IN (SELECT account_id FROM r_shown)
                    ) d
                    WHERE domain IS NOT NULL
                    GROUP BY account_id, domain
                ) x WHERE rank <= {MAX_DOMAINS}
                ORDER BY account_id, rank
                """
            )
        )
        out: dict[str, dict[str, Any]] = {}
        for r in info:
            a = r["account_id"]
            out[a] = {
                "label": r["handle"] or a,
                "handle": r["handle"],
                "cluster": int(r["cluster"]),
                "score": _round(r["score"]),
                "flagged": bool(r["flagged"]),
                "explanation": r["explanation"],
                "contributions": [
                    {"feature": c["feature"], "contribution": _round(c["contribution"]), "evidence": c["evidence"]}
                    for c in r["contributions"] or []
                ],
                "signals": [
                    {"signal": s["signal"], "score": _round(s["score"]), "evidence": s["evidence"]}
                    for s in signals.get(a, [])
                ],
                "posts": [
                    {"post_id": p["post_id"], "at": _iso(p["posted_at"]), "kind": p["kind"], "text": p["text"]}
                    for p in posts.get(a, [])
                ],
                "domains": [{"domain": d["domain"], "count": int(d["count"])} for d in domains.get(a, [])],
            }
        return out

    # -- redaction -------------------------------------------------------------------------------------------

    def _below(self, ids: Iterable[str], threshold: float) -> dict[str, str | None]:
        """Of *ids*, those scoring below *threshold* or not scored, with their handles."""
        self.ids_table("r_ids", ids)
        rows = self.eng.con.execute(
            """
            SELECT i.account_id, h.handle FROM r_ids i
            LEFT JOIN scores s USING (account_id)
            LEFT JOIN (SELECT account_id, min(handle) AS handle FROM accounts GROUP BY account_id) h USING (account_id)
            WHERE s.score IS NULL OR s.score < ?
            """,
            [threshold],
        ).fetchall()
        return {str(a): h for a, h in rows}

    def _redact(
        self,
        redactor: Redactor,
        threshold: float,
        clusters: list[dict[str, Any]],
        accounts: dict[str, dict[str, Any]],
    ) -> None:
        """Pseudonymise, in place, every account of the expanded clusters below *threshold*, and what names it."""
        membership = [(int(c), str(a)) for c, a in self.eng.rows("SELECT cluster, account_id FROM r_members")]
        members = [a for _, a in membership]
        # Items that name an account or a post: mentioned handles, posts acted on, reposted authors' texts.
        items: dict[str, set[str]] = defaultdict(set)  # item -> detectors
        detectors_of = {
            (int(c), str(i)): set(d or [])
            for c, i, d in self.eng.rows(
                "SELECT cluster, item, list(DISTINCT detector) FROM r_ev WHERE item IS NOT NULL GROUP BY ALL"
            )
        }
        for cluster in clusters:
            for e in cluster["evidence"]:
                if e["item"] is not None:
                    items[e["item"]].add(e["detector"])
            for item in cluster["top_items"]:
                items[item] |= detectors_of.get((cluster["cluster"], item), set())
        posts = sorted(i for i, ds in items.items() if ds & POST_ITEMS and not i.startswith("text:"))
        self.eng.register("r_items", pa.table({"item": pa.array(posts, pa.string())}))
        authors = {
            str(p): str(a)
            for p, a in self.eng.rows("SELECT post_id, account_id FROM posts SEMI JOIN r_items ON item = post_id")
        }
        mentioned = sorted({i.lower().lstrip("@") for i, ds in items.items() if "co_mention" in ds})
        self.eng.register("r_items", pa.table({"item": pa.array(mentioned, pa.string())}))
        handles = {
            str(h): str(a)
            for h, a in self.eng.rows(
                "SELECT lower(handle), min(account_id) FROM accounts SEMI JOIN r_items ON item = lower(handle) "
                "GROUP BY ALL"
            )
        }
        reposted = {i.split(":", 2)[1] for i in items if i.startswith("text:") and i.count(":") >= 2}
        below = self._below([*members, *authors.values(), *handles.values(), *(r for r in reposted if r)], threshold)
        redactor.add_all(below.items())
        hidden = {c for c, a in membership if a in redactor}
        # A text any redacted member acted on is theirs too: it is withheld wherever it appears.
        self.ids_table("r_redacted", below)
        texts = {
            (int(c), str(i))
            for c, i in self.eng.rows(
                f"""
                SELECT DISTINCT cluster, item FROM r_ev
                WHERE item IS NOT NULL
                  AND (detector IN ({", ".join(repr(d) for d in sorted(TEXT_ITEMS))}) OR item LIKE 'text:%')
                  AND (a IN (SELECT account_id FROM r_redacted) OR b IN (SELECT account_id FROM r_redacted))
                """
            )
        }

        def item_out(cluster: int, item: str | None) -> str | None:
            if item is None:
                return None
            if (cluster, item) in texts:
                return REDACTED_TEXT
            if item.startswith("text:") and item.count(":") >= 2 and item.split(":", 2)[1] in redactor:
                return REDACTED_TEXT
            if item in authors and authors[item] in redactor:
                return redactor.post(item, authors[item])
            account = handles.get(item.lower().lstrip("@"))
            if account is not None and account in redactor and "co_mention" in items.get(item, ()):
                return redactor.account(account)
            return item

        for cluster in clusters:
            c = cluster["cluster"]
            # A place is not personal in itself, but one reported only by redacted accounts is theirs to withhold.
            if cluster.get("reported") and all(a in redactor for a in self.reporters.get(c, [])):
                cluster["reported"] = None
            cluster["top_items"] = [item_out(c, i) for i in cluster["top_items"]]
            for m in cluster["members"]:
                if m["account_id"] in redactor:
                    own = accounts.get(m["account_id"], {}).get("contributions") or []
                    if m["explanation"]:
                        m["explanation"] = redactor.explanation(m["explanation"], [x["evidence"] or "" for x in own])
                    m["label"] = m["account_id"] = redactor.account(m["account_id"])
            for e in cluster["edges"]:
                e["a"], e["b"] = redactor.account(e["a"]), redactor.account(e["b"])
            if c in hidden:
                # A DISARM suggestion quotes one member's signal evidence as an example (“...”): it may be theirs.
                for d in cluster["disarm"]:
                    d["evidence"] = Redactor.unquote(d["evidence"], "“") if d["evidence"] else d["evidence"]
            cluster["layout"] = {redactor.account(a): xy for a, xy in cluster["layout"].items()}
            for e in cluster["evidence"]:
                e["item"] = item_out(c, e["item"])
                e["a_post_id"] = redactor.post(e["a_post_id"], e["a"])
                e["b_post_id"] = redactor.post(e["b_post_id"], e["b"])
                e["a"], e["b"] = redactor.account(e["a"]), redactor.account(e["b"])
        for account_id in sorted(accounts):
            if account_id not in redactor:
                continue
            entry = accounts.pop(account_id)
            name = redactor.account(account_id)
            evidence = [c["evidence"] or "" for c in entry["contributions"]]
            entry["label"], entry["handle"] = name, None
            if entry["explanation"]:
                entry["explanation"] = redactor.explanation(entry["explanation"], evidence)
            for c in entry["contributions"]:
                c["evidence"] = Redactor.unquote(c["evidence"]) if c["evidence"] else c["evidence"]
            for s in entry["signals"]:
                s["evidence"] = Redactor.unquote(s["evidence"]) if s["evidence"] else s["evidence"]
            for p in entry["posts"]:
                p["post_id"] = redactor.post(p["post_id"], account_id)
                p["text"] = None if p["text"] is None else REDACTED_TEXT
            accounts[name] = entry


# -- helpers ---------------------------------------------------------------------------------------------------


def _group(rows: list[dict[str, Any]], key: str = "cluster") -> dict[Any, list[dict[str, Any]]]:
    out: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r.pop(key)].append(r)
    return out


def _evidence_row(e: dict[str, Any]) -> dict[str, Any]:
    a_at, b_at = e["a_at"], e["b_at"]
    first = None if a_at is None or b_at is None else "same" if a_at == b_at else "a" if a_at < b_at else "b"
    return {
        "detector": e["detector"],
        "item": e["item"],
        "a": e["a"],
        "a_post_id": e["a_post_id"],
        "a_at": _iso(a_at),
        "b": e["b"],
        "b_post_id": e["b_post_id"],
        "b_at": _iso(b_at),
        "first": first,
    }


def _details(row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None or not row.get("details"):
        return {}
    try:
        parsed = json.loads(row["details"])
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _office(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """The pooled working-hours fit, when the members keep anything like a working week (score above 0)."""
    details = _details(row)
    if row is None or not row.get("score") or details.get("offset") is None:
        return None
    return {
        "offset": float(details["offset"]),
        "confidence": _round(details.get("confidence")),
        "score": _round(row["score"]),
        "evidence": row["evidence"],
    }


def _state_media(row: dict[str, Any] | None) -> list[dict[str, Any]]:
    out = []
    for t in _details(row).get("top") or []:
        out.append(
            {
                "outlet": t.get("name") or t.get("outlet"),
                "identifier": t.get("outlet"),
                "country": t.get("country"),
                "typology": t.get("typology"),
                "count": int(t.get("n") or 0),
            }
        )
    return out


def layout(nodes: Sequence[str], edges: Sequence[dict[str, Any]], seed: int = LAYOUT_SEED) -> dict[str, list[float]]:
    """Fruchterman-Reingold positions of *nodes* (edges ``account_a``, ``account_b``, ``weight``) in [0, 1].

    Deterministic: the start positions and igraph's random numbers come from *seed*, and nodes are laid out in
    sorted order. Both axes share one scale (the layout keeps its shape) and the shorter one is centred.
    """
    names = sorted(nodes)
    if not names:
        return {}
    if len(names) == 1:
        return {names[0]: [0.5, 0.5]}
    index = {a: i for i, a in enumerate(names)}
    pairs = [(index[e["account_a"]], index[e["account_b"]]) for e in edges]
    weights = [float(e["weight"] or 0.0) for e in edges]
    top = max(weights, default=0.0) or 1.0
    graph = ig.Graph(n=len(names), edges=pairs)
    rng = random.Random(seed)  # noqa: S311 - positions of a drawing, not a secret
    start = [[rng.random(), rng.random()] for _ in names]
    # igraph draws from the generator set here (the random module by default): a private one keeps the layout
    # the same whatever else the process does with random numbers.
    ig.set_random_number_generator(random.Random(seed))  # noqa: S311 - as above
    try:
        coords = graph.layout_fruchterman_reingold(seed=start, weights=[w / top for w in weights] or None, niter=500)
    finally:
        ig.set_random_number_generator(random)
    xs = [float(x) for x, _ in coords]
    ys = [float(y) for _, y in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    dx = (1.0 - (max(xs) - min(xs)) / span) / 2
    dy = (1.0 - (max(ys) - min(ys)) / span) / 2
    return {
        a: [round((x - min(xs)) / span + dx, 4), round((y - min(ys)) / span + dy, 4)]
        for a, x, y in zip(names, xs, ys, strict=True)
    }


def _window(seconds: Any) -> str:
    if seconds is None:
        return "the detector's window"
    s = float(seconds)
    if s >= 3600 and s % 3600 == 0:
        return f"{s / 3600:g} h"
    if s >= 60 and s % 60 == 0:
        return f"{s / 60:g} min"
    return f"{s:g} s"


# -- wording ---------------------------------------------------------------------------------------------------


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _day(iso: str | None) -> str:
    if not iso:
        return "an unknown date"
    moment = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")
    return f"{moment.day} {moment:%B %Y}"


def _and(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def item_label(item: str | None, detector: str | None = None, limit: int = 60) -> str:
    """An item as the summary names it, by the trace that shared it: ``#tag``, ``@account``, a link, ``post
    <id>``, or a text in quotes (a reposted text without its ``text:<author>:``)."""
    if item is None:
        return "(none)"
    if item == REDACTED_TEXT or PSEUDONYM.fullmatch(item):
        return item
    if item.startswith("text:") and item.count(":") >= 2:
        item, detector = item.split(":", 2)[2], "co_text"
    item = " ".join(item.split())
    short = item if len(item) <= limit else item[: limit - 1] + "…"
    if detector in ("co_hashtag", "hashtag_sequence"):
        return f"#{short}"
    if detector == "co_mention":
        return f"@{short.lstrip('@')}"
    if detector in ("co_link", "co_domain", "co_media"):
        return short
    if detector in POST_ITEMS:
        return f"post {short}"
    return f"“{short}”"


def _offset(hours: float) -> str:
    sign = "+" if hours >= 0 else "-"
    whole, rest = divmod(abs(hours), 1)
    return f"UTC{sign}{int(whole)}" + (f":{round(rest * 60):02d}" if rest else "")


def _headline(clusters: list[dict[str, Any]], n_clusters: int, scan: dict[str, Any]) -> list[str]:
    if not clusters:
        if n_clusters:
            return [f"The scan found {_plural(n_clusters, 'cluster')}; none is shown (top = 0)."]
        return [
            f"No coordinated cluster was found: the scan kept {_plural(scan['network_edges'], 'significant pair')} "
            f"among {_plural(scan['network_accounts'], 'account')}, and no group of three or more accounts "
            "acted together beyond chance at the chosen thresholds."
        ]
    out = []
    for c in clusters:
        flagged = sum(1 for m in c["members"] if m["flagged"])
        traces = ", ".join(c["traces"]) or "no trace"
        score = f"cluster score {c['score']:.2f}" if c["score"] is not None else "not scored"
        text = (
            f"Cluster {c['cluster']}: {_plural(c['size'], 'account')}"
            + (f" ({flagged:,} flagged)" if c["score"] is not None else "")
            + f" acted together ({traces}) from {_day(c['first_at'])} to {_day(c['last_at'])}; {score}"
        )
        office = c["office"]
        if office and (office.get("score") or 0) >= OFFICE_MIN_SCORE:
            text += f"; posting hours consistent with office hours at {_offset(office['offset'])}"
        out.append(text + ".")
    return out


def _summary(cluster: dict[str, Any], scores: dict[str, Any] | None, kinds: Sequence[str | None]) -> str:
    """A takedown-style draft: assets, behaviour, items, state media, possible origin, DISARM, detection."""
    size = cluster["size"]
    parts = []
    if scores is not None and cluster["score"] is not None:
        flagged = sum(1 for m in cluster["members"] if m["flagged"])
        shown = len(cluster["members"])
        among = f" of the {shown:,} shown" if shown < size else ""
        parts.append(
            f"Cluster {cluster['cluster']} comprises {_plural(size, 'account')}; {flagged:,}{among} "
            f"{'reaches' if flagged == 1 else 'reach'} the {scores.get('model')} score model's threshold on "
            f"{'its' if flagged == 1 else 'their'} own, and the cluster scores {cluster['score']:.2f}."
        )
    else:
        parts.append(f"Cluster {cluster['cluster']} comprises {_plural(size, 'account')} (not scored).")
    did = [_DID.get(t, f"co-acted ({t})") for t in cluster["traces"]]
    if did:
        parts.append(
            f"Between {_day(cluster['first_at'])} and {_day(cluster['last_at'])} its accounts {_and(did)} "
            f"more often than chance predicts ({_plural(cluster['evidence_total'], 'co-action')} in the evidence)."
        )
    leaders = [m["label"] for m in cluster["members"] if m["role"] == "leader"]
    if leaders:
        named = _and([str(x) for x in leaders[:3]]) + (f" and {len(leaders) - 3:,} more" if len(leaders) > 3 else "")
        parts.append(f"{named} tended to act first on the items they shared with others.")
    items = [item_label(i, d) for i, d in zip(cluster["top_items"][:3], kinds, strict=False)]
    if items:
        parts.append(f"The items shared by the most pairs of its accounts include {_and(items)}.")
    state = next((s for s in cluster["signals"] if s["signal"] == "state_media"), None)
    if state and (state["score"] or 0) >= STATE_MEDIA_MIN_SCORE and cluster["state_media"]:
        countries = sorted({s["country"] for s in cluster["state_media"] if s["country"]})
        outlets = "; ".join(f"{s['identifier']}: {s['count']:,}" for s in cluster["state_media"][:3])
        parts.append(
            "Their links and reposts point largely to state-controlled or captured media"
            + (f" of {_and(countries)}" if countries else "")
            + f" (links and reposts per outlet: {outlets}), which suggests amplification of that media."
        )
    office = cluster["office"]
    if office and (office.get("score") or 0) >= OFFICE_MIN_SCORE:
        parts.append(
            f"Their pooled posting times fit a working week at {_offset(office['offset'])} "
            f"(confidence {office['confidence']:.2f}), consistent with an office in that time zone; this is a "
            "possible origin, not an attribution."
        )
    if cluster["disarm"]:
        named = _and([f"{d['technique_id']} {d['technique']} ({d['confidence']})" for d in cluster["disarm"][:4]])
        parts.append(f"Suggested DISARM techniques, for an analyst to confirm: {named}.")
    traces = _and(cluster["traces"]) or "no"
    parts.append(
        f"It was detected by the {traces} {'trace' if len(cluster['traces']) == 1 else 'traces'} of overt's "
        "coordination scan; the pattern suggests coordinated behaviour but does not by itself establish who "
        "operates these accounts."
    )
    return " ".join(parts)


# -- command line ----------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m overt.report.data", description="Print a scan's report data (normalised) as JSON."
    )
    parser.add_argument("scan_dir", type=Path)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--evidence-rows", type=int, default=200)
    parser.add_argument("--raw", action="store_true", help="keep generation time, versions, timings and paths")
    args = parser.parse_args(argv)
    data = collect(args.scan_dir, top=args.top, evidence_rows=args.evidence_rows)
    sys.stdout.write(dumps(data if args.raw else normalised(data)))
    return 0


def dumps(data: dict[str, Any]) -> str:
    """*data* as the golden file stores it: sorted keys, one-space indent, UTF-8 text, final newline."""
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
