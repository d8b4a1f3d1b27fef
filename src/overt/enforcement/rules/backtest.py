"""Backtest: run rules over a finished scan and report what they would have done, per market.

Before a rule goes live (or even into shadow mode), a policy lead wants to know what it would catch: which
clusters, accounts or posts, on what evidence, and in which markets its action would apply or be blocked by a
market variant of the policy. :func:`backtest` answers that from a scan folder (``overt scan`` outputs) and,
when given, the dataset it scanned, without touching any store.

Rows are built only for the subject kinds and roots the rules use, from the fields defined in
:mod:`overt.enforcement.rules.fields`, read with DuckDB (paths passed as parameters, never pasted into SQL).

**Markets.** A subject's markets are the countries its accounts' reported locations name (the offline gazetteer,
:mod:`overt.signals.gazetteer`), or ``unknown`` when none can be placed; a cluster's are the union of its
members'. ``allowed(enforces, action_type, market)`` (the policy set's market variants) returns None when the
action may be taken there, or the reason it may not; for ``unknown`` it is asked about ``GLOBAL`` (the policy's
default variant).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from overt.enforcement.rules.document import Rule
from overt.enforcement.rules.fields import (
    ACCOUNT_FIELDS,
    ACCOUNT_SIGNALS,
    CLUSTER_FIELDS,
    CLUSTER_SIGNALS,
    POST_FIELDS,
    Field,
    Type,
)
from overt.engine import local_connection
from overt.errors import InputError
from overt.signals import gazetteer

#: ``(enforces, action_type, market) -> None`` when allowed, else the reason it is not.
Allowed = Callable[[str, str, str], "str | None"]

UNKNOWN = "unknown"
_COMMON = ("score", "value")


@dataclass(frozen=True)
class Match:
    """One subject a rule matched: the action it would propose, where, and the field values behind it."""

    rule_id: str
    enforces: str
    subject: str
    subject_id: str
    markets: tuple[str, ...]
    accounts: tuple[str, ...]
    action: dict[str, Any]
    evidence: dict[str, Any]
    blocked: dict[str, str] = field(default_factory=dict)  # market -> reason

    def to_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "enforces": self.enforces,
            "subject": self.subject,
            "subject_id": self.subject_id,
            "markets": list(self.markets),
            "accounts": list(self.accounts),
            "action": self.action,
            "evidence": {key: _json(value) for key, value in self.evidence.items()},
            "blocked": dict(self.blocked),
        }


@dataclass(frozen=True)
class MarketSummary:
    """Would-be actions of one type in one market: subjects and accounts, and how many the policy blocks."""

    market: str
    action: str
    subjects: int
    accounts: int
    blocked_subjects: int
    blocked_reasons: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "market": self.market,
            "action": self.action,
            "subjects": self.subjects,
            "accounts": self.accounts,
            "blocked_subjects": self.blocked_subjects,
            "blocked_reasons": dict(self.blocked_reasons),
        }


@dataclass
class BacktestResult:
    """What the rules would have done on one scan."""

    scan_dir: str
    dataset_dir: str | None
    rules: list[str]
    evaluated: dict[str, int]  # subject kind -> subjects evaluated
    matches: list[Match]
    markets: list[MarketSummary]

    def per_rule(self) -> dict[str, dict[str, int]]:
        """Rule id -> matched subjects and distinct accounts affected."""
        out: dict[str, dict[str, int]] = {rule: {"subjects": 0, "accounts": 0} for rule in self.rules}
        accounts: dict[str, set[str]] = defaultdict(set)
        for match in self.matches:
            out[match.rule_id]["subjects"] += 1
            accounts[match.rule_id].update(match.accounts)
        for rule, ids in accounts.items():
            out[rule]["accounts"] = len(ids)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "scan_dir": self.scan_dir,
            "dataset_dir": self.dataset_dir,
            "rules": self.rules,
            "evaluated": dict(self.evaluated),
            "per_rule": self.per_rule(),
            "markets": [m.to_json() for m in self.markets],
            "matches": [m.to_json() for m in self.matches],
        }

    def render_lines(self, *, max_matches: int = 20) -> list[str]:
        """The result as plain-text lines for the terminal: per rule, per market, then the first matches."""
        lines = [f"Backtest of {len(self.rules)} rule(s) on {self.scan_dir}"]
        lines.append(f"  dataset: {self.dataset_dir or 'none (dataset fields are null, markets unknown)'}")
        lines.append("  evaluated: " + ", ".join(f"{n} {kind}s" for kind, n in self.evaluated.items()))
        lines.append("")
        lines += _table(
            ["rule", "subjects", "accounts"],
            [[rule, str(c["subjects"]), str(c["accounts"])] for rule, c in self.per_rule().items()],
        )
        lines.append("")
        if self.markets:
            lines += _table(
                ["market", "action", "subjects", "accounts", "blocked", "reasons"],
                [
                    [
                        m.market,
                        m.action,
                        str(m.subjects),
                        str(m.accounts),
                        str(m.blocked_subjects),
                        "; ".join(f"{reason} ({n})" for reason, n in m.blocked_reasons.items()),
                    ]
                    for m in self.markets
                ],
            )
        else:
            lines.append("No would-be actions: no rule matched.")
        for match in self.matches[:max_matches]:
            evidence = ", ".join(f"{k}={_short(v)}" for k, v in match.evidence.items())
            lines.append(
                f"  {match.rule_id}: {match.subject} {match.subject_id} -> {match.action['type']} "
                f"[{', '.join(match.markets)}] {evidence}"
            )
        if len(self.matches) > max_matches:
            lines.append(f"  ... and {len(self.matches) - max_matches} more matches (see --json)")
        return lines


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows, strict=False)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*head).rstrip(), fmt.format(*("-" * w for w in widths)).rstrip()] + [
        fmt.format(*row).rstrip() for row in rows
    ]


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(_json(value))


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


# -- reading the scan -------------------------------------------------------------------------------------------


class _Scan:
    """The scan's Parquet files (and the dataset's) through one DuckDB connection, with parameterised paths."""

    def __init__(self, scan_dir: Path, dataset_dir: Path | None) -> None:
        self.scan_dir = scan_dir
        self.dataset_dir = dataset_dir
        self.con = local_connection()

    def file(self, name: str, *, dataset: bool = False) -> str | None:
        folder = self.dataset_dir if dataset else self.scan_dir
        if folder is None:
            return None
        path = folder / f"{name}.parquet"
        return str(path) if path.exists() else None

    def records(self, sql: str, *files: str) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, list(files))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def batches(self, sql: str, *files: str, size: int = 10_000) -> Iterable[list[dict[str, Any]]]:
        cursor = self.con.execute(sql, list(files))
        names = [d[0] for d in cursor.description]
        while rows := cursor.fetchmany(size):
            yield [dict(zip(names, row, strict=True)) for row in rows]


def _coerce(value: Any, kind: Type) -> Any:
    """A raw value (from Parquet or ``details`` JSON) as the field's type; null when it does not fit."""
    if value is None:
        return None
    try:
        if kind.name == "int":
            return int(value) if not isinstance(value, bool | dict | list) else None
        if kind.name == "float":
            return float(value) if not isinstance(value, bool | dict | list) else None
        if kind.name == "bool":
            return value if isinstance(value, bool) else None
        if kind.name == "str":
            return value if isinstance(value, str) else str(value)
        if kind.is_list:
            return [str(v) for v in value] if isinstance(value, list | tuple) else None
    except (TypeError, ValueError):
        return None
    return value


def _record(fields: Sequence[Field], source: Mapping[str, Any]) -> dict[str, Any]:
    return {f.path: _coerce(source.get(f.source), f.type) for f in fields if f.derive is None}


def _signal(fields: Sequence[Field], row: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    try:
        details = json.loads(row["details"]) if row.get("details") else {}
    except (TypeError, ValueError):
        details = {}
    out: dict[str, Any] = {name: _coerce(row.get(name), Type("float")) for name in _COMMON}
    for f in fields:
        raw = f.derive(details, extra) if f.derive is not None else details.get(f.source)
        out[f.path] = _coerce(raw, f.type)
    return out


class _Places:
    """Reported location -> gazetteer place, looked up once per distinct text."""

    def __init__(self) -> None:
        self.seen: dict[str, gazetteer.Place | None] = {}

    def place(self, text: str | None) -> gazetteer.Place | None:
        if not text:
            return None
        if text not in self.seen:
            self.seen[text] = gazetteer.lookup(text)
        return self.seen[text]

    def countries(self, text: str | None) -> list[str]:
        place = self.place(text)
        return sorted(place.countries) if place else []


class _Builder:
    """Builds rows per subject kind, each root only when a rule reads it."""

    def __init__(self, scan: _Scan) -> None:
        self.scan = scan
        self.places = _Places()
        self._accounts: dict[str, dict[str, Any]] | None = None
        self._clusters: dict[int, dict[str, Any]] | None = None
        self._members: dict[int, list[str]] | None = None
        self._profiles: dict[str, dict[str, Any]] | None = None
        self._account_signals: dict[str, dict[str, Any]] | None = None
        self._offsets: dict[str, list[float]] | None = None

    # dataset profiles (for account fields, markets and cluster locations)
    def profiles(self) -> dict[str, dict[str, Any]]:
        if self._profiles is None:
            self._profiles = {}
            file = self.scan.file("accounts", dataset=True)
            if file is not None:
                for rec in self.scan.records("SELECT * FROM read_parquet(?)", file):
                    self._profiles.setdefault(str(rec["account_id"]), rec)
        return self._profiles

    def account_markets(self, account_id: str) -> list[str]:
        return self.places.countries((self.profiles().get(account_id) or {}).get("reported_location"))

    def members(self) -> dict[int, list[str]]:
        if self._members is None:
            self._members = defaultdict(list)
            file = self.scan.file("clusters")
            if file is not None:
                sql = "SELECT DISTINCT cluster, account_id FROM read_parquet(?) ORDER BY cluster, account_id"
                for rec in self.scan.records(sql, file):
                    self._members[int(rec["cluster"])].append(str(rec["account_id"]))
        return self._members

    def account_signals(self) -> dict[str, dict[str, Any]]:
        """account_id -> {signal: fields}."""
        if self._account_signals is None:
            self._account_signals = defaultdict(dict)
            file = self.scan.file("signals")
            if file is not None:
                sql = "SELECT signal, account_id, score, value, details FROM read_parquet(?)"
                for rec in self.scan.records(sql, file):
                    name = rec["signal"]
                    self._account_signals[str(rec["account_id"])][name] = _signal(
                        ACCOUNT_SIGNALS.get(name, ()), rec, {}
                    )
        return self._account_signals

    # clusters
    def clusters(self) -> dict[int, dict[str, Any]]:
        if self._clusters is not None:
            return self._clusters
        scores = self.scan.file("cluster_scores")
        if scores is None:
            self._clusters = {}
            return self._clusters
        stats = self.scan.file("cluster_stats")
        recs = {int(r["cluster"]): r for r in self.scan.records("SELECT * FROM read_parquet(?)", scores)}
        if stats is not None:
            for r in self.scan.records("SELECT * FROM read_parquet(?)", stats):
                if int(r["cluster"]) in recs:
                    recs[int(r["cluster"])] = {**r, **recs[int(r["cluster"])]}
        techniques: dict[int, list[str]] = defaultdict(list)
        disarm = self.scan.file("disarm")
        if disarm is not None:
            sql = "SELECT cluster, technique_id FROM read_parquet(?) ORDER BY cluster, technique_id"
            for r in self.scan.records(sql, disarm):
                techniques[int(r["cluster"])].append(str(r["technique_id"]))
        members = self.members()
        self._clusters = {}
        for cid, rec in recs.items():
            countries = sorted({c for a in members.get(cid, []) for c in self.account_markets(a)})
            row = _record(CLUSTER_FIELDS, {**rec, "techniques": techniques.get(cid, []), "countries": countries})
            row["traces"] = row.get("traces") or []
            row["signals"] = {}
            self._clusters[cid] = row
        signals = self.scan.file("cluster_signals")
        if signals is not None:
            sql = "SELECT signal, cluster, score, value, details FROM read_parquet(?)"
            for rec in self.scan.records(sql, signals):
                cid = int(rec["cluster"])
                if cid not in self._clusters:
                    continue
                extra = (
                    {"member_location_offsets": self._member_offsets(cid)} if rec["signal"] == "working_hours" else {}
                )
                fields = CLUSTER_SIGNALS.get(rec["signal"], ())
                self._clusters[cid]["signals"][rec["signal"]] = _signal(fields, rec, extra)
        return self._clusters

    def _member_offsets(self, cluster: int) -> list[list[float]]:
        """Per member, the UTC offsets of its reported location over the cluster's active period.

        From the dataset's profiles when given; otherwise from the member's own working_hours details (which
        carry them only for members with enough posts to be fitted alone).
        """
        rec = self._clusters[cluster] if self._clusters else {}
        moments = [m for m in (rec.get("first_at"), rec.get("last_at")) if isinstance(m, datetime)]
        out: list[list[float]] = []
        for account in self.members().get(cluster, []):
            profile = self.profiles().get(account)
            if profile is not None:
                place = self.places.place(profile.get("reported_location"))
                out.append(list(gazetteer.utc_offsets(place.zones, moments)) if place and moments else [])
            else:
                out.append(list(self._account_location_offsets().get(account, [])))
        return out

    def _account_location_offsets(self) -> dict[str, list[float]]:
        if self._offsets is None:
            self._offsets = {}
            file = self.scan.file("signals")
            if file is not None:
                sql = "SELECT account_id, details FROM read_parquet(?) WHERE signal = 'working_hours'"
                for rec in self.scan.records(sql, file):
                    try:
                        found = json.loads(rec["details"] or "{}").get("location_offsets") or []
                    except ValueError:
                        found = []
                    self._offsets[str(rec["account_id"])] = [float(x) for x in found]
        return self._offsets

    # accounts
    def accounts(self) -> dict[str, dict[str, Any]]:
        if self._accounts is not None:
            return self._accounts
        self._accounts = {}
        scores = self.scan.file("scores")
        if scores is None:
            raise InputError(f"{self.scan.scan_dir}: no scores.parquet; run `overt scan` with scoring first")
        profiles = self.profiles()
        for rec in self.scan.records("SELECT * FROM read_parquet(?)", scores):
            account_id = str(rec["account_id"])
            profile = profiles.get(account_id, {})
            merged = {**profile, **{k: v for k, v in rec.items() if v is not None or k not in profile}}
            merged["countries"] = self.places.countries(profile.get("reported_location"))
            row = _record(ACCOUNT_FIELDS, merged)
            row["_cluster"] = rec.get("cluster")
            self._accounts[account_id] = row
        return self._accounts

    def account_row(self, account_id: str, needed: set[str]) -> dict[str, Any]:
        account = self.accounts().get(account_id)
        row: dict[str, Any] = {}
        if "account" in needed:
            row["account"] = {k: v for k, v in (account or {}).items() if not k.startswith("_")} or None
        if "signals" in needed:
            row["signals"] = self.account_signals().get(account_id, {})
        if "cluster" in needed:
            cid = (account or {}).get("_cluster")
            row["cluster"] = self.clusters().get(int(cid)) if cid is not None else None
        return row


# -- running ----------------------------------------------------------------------------------------------------


def _dataset(scan_dir: Path, dataset_dir: str | os.PathLike[str] | None) -> Path | None:
    """The dataset folder: as given, else the one the scan's summary names if it can be found."""
    if dataset_dir is not None:
        folder = Path(dataset_dir)
        if not (folder / "manifest.json").exists():
            raise InputError(f"{folder}: not a dataset folder (no manifest.json)")
        return folder
    summary = scan_dir / "summary.json"
    try:
        named = json.loads(summary.read_text(encoding="utf-8")).get("dataset")
    except (OSError, ValueError):
        return None
    if not named:
        return None
    for candidate in (Path(named), scan_dir.parent / named, scan_dir.parent / Path(named).name):
        if (candidate / "manifest.json").exists():
            return candidate
    return None


def backtest(
    rules: Sequence[Rule],
    scan_dir: str | os.PathLike[str],
    dataset_dir: str | os.PathLike[str] | None = None,
    *,
    allowed: Allowed | None = None,
) -> BacktestResult:
    """Evaluate ``rules`` on the scan in ``scan_dir`` and summarise the would-be actions per market.

    ``dataset_dir`` is the dataset the scan read (for account profile fields, post rules and markets); without
    it, the folder named in the scan's ``summary.json`` is used when it exists. Post rules need the dataset.
    """
    folder = Path(scan_dir)
    if not (folder / "cluster_scores.parquet").exists() and not (folder / "scores.parquet").exists():
        raise InputError(f"{folder}: not a scan folder with scores (no scores.parquet or cluster_scores.parquet)")
    dataset = _dataset(folder, dataset_dir)
    scan = _Scan(folder, dataset)
    needed: dict[str, set[str]] = defaultdict(set)
    for rule in rules:
        needed[rule.subject] |= rule.checked.roots
    builder = _Builder(scan)
    matches: list[Match] = []
    evaluated: dict[str, int] = {}
    try:
        for kind in ("cluster", "account", "post"):
            group = [rule for rule in rules if rule.subject == kind]
            if not group:
                continue
            count = 0
            for subject_id, row, accounts in _subjects(kind, builder, scan, needed[kind]):
                count += 1
                for rule in group:
                    if rule.condition(row):
                        markets = _markets(builder, accounts)
                        matches.append(_match(rule, kind, subject_id, row, accounts, markets, allowed))
            evaluated[kind] = count
    finally:
        scan.con.close()
    return BacktestResult(
        scan_dir=str(folder),
        dataset_dir=str(dataset) if dataset else None,
        rules=[rule.id for rule in rules],
        evaluated=evaluated,
        matches=matches,
        markets=_summarise(matches),
    )


def _subjects(
    kind: str, builder: _Builder, scan: _Scan, needed: set[str]
) -> Iterable[tuple[str, dict[str, Any], list[str]]]:
    if kind == "cluster":
        members = builder.members()
        for cid, cluster in sorted(builder.clusters().items()):
            yield str(cid), {"cluster": cluster}, members.get(cid, [])
    elif kind == "account":
        for account_id in sorted(builder.accounts()):
            yield account_id, builder.account_row(account_id, needed), [account_id]
    else:
        posts = scan.file("posts", dataset=True)
        if posts is None:
            raise InputError("post rules need the scanned dataset (its posts.parquet); pass the dataset folder")
        columns = ", ".join(sorted({"post_id", "account_id", *(f.source for f in POST_FIELDS)}))
        sql = f"SELECT {columns} FROM read_parquet(?) ORDER BY account_id, post_id"  # columns from the schema
        for batch in scan.batches(sql, posts):
            for rec in batch:
                account_id = str(rec["account_id"])
                row = builder.account_row(account_id, needed - {"post"})
                row["post"] = _record(POST_FIELDS, rec)
                yield str(rec["post_id"]), row, [account_id]


def _markets(builder: _Builder, accounts: Sequence[str]) -> tuple[str, ...]:
    found = sorted({c for a in accounts for c in builder.account_markets(a)})
    return tuple(found) if found else (UNKNOWN,)


def _match(
    rule: Rule,
    kind: str,
    subject_id: str,
    row: Mapping[str, Any],
    accounts: Sequence[str],
    markets: tuple[str, ...],
    allowed: Allowed | None,
) -> Match:
    action = rule.spec.action.model_dump(mode="json")
    blocked: dict[str, str] = {}
    if allowed is not None:
        for market in markets:
            reason = allowed(rule.spec.enforces, action["type"], "GLOBAL" if market == UNKNOWN else market)
            if reason is not None:
                blocked[market] = reason
    return Match(
        rule_id=rule.id,
        enforces=rule.spec.enforces,
        subject=kind,
        subject_id=subject_id,
        markets=markets,
        accounts=tuple(accounts),
        action=action,
        evidence=rule.condition.evidence(row),
        blocked=blocked,
    )


def _summarise(matches: Sequence[Match]) -> list[MarketSummary]:
    subjects: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    accounts: dict[tuple[str, str], set[str]] = defaultdict(set)
    blocked: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    reasons: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for match in matches:
        for market in match.markets:
            key = (market, str(match.action["type"]))
            subject = (match.subject, match.subject_id)
            subjects[key].add(subject)
            accounts[key].update(match.accounts)
            if market in match.blocked:
                if subject not in blocked[key]:
                    reasons[key][match.blocked[market]] += 1
                blocked[key].add(subject)
    return [
        MarketSummary(
            market=market,
            action=action,
            subjects=len(subjects[(market, action)]),
            accounts=len(accounts[(market, action)]),
            blocked_subjects=len(blocked[(market, action)]),
            blocked_reasons=dict(sorted(reasons[(market, action)].items())),
        )
        for market, action in sorted(subjects, key=lambda k: (k[0] == UNKNOWN, k[0], k[1]))
    ]


__all__ = ["Allowed", "BacktestResult", "MarketSummary", "Match", "backtest"]
