"""Suggest DISARM techniques for each cluster of a scan, with the numbers that suggest them.

A cluster is a group of accounts that co-acted more often than chance predicts. What they did together (reposted
the same posts within a minute, posted the same text, pushed one hashtag), how much they posted, and the
signals of their accounts (created together, one handle template) map onto techniques of the DISARM Red
framework. :func:`tag_clusters` applies the rules below and returns :data:`DISARM`: one row per (cluster,
technique), each a *suggestion for an analyst*, never a finding. Coordination is not proof of an operation
(activists, fandoms and newsrooms coordinate too); the tag says which technique the behaviour would be *if* the
cluster is an operation, and the evidence sentence quotes the numbers so the analyst can check them.

Technique ids are those of the shipped framework (:mod:`overt.disarm.framework`, DISARM commit 49df5f6,
2025-02-10); a test checks every id below exists there.

Rules (``name``: technique ← evidence; thresholds are :class:`Thresholds` fields, defaults in brackets).
*Coordination* evidence is a detector's kept edges with both accounts in the cluster; a *co-action* is one row
of the detector's evidence (or, for peer profiles without evidence, the edge's pair count).

==================== ============================== ============================== ==================================
rule                 technique                      evidence                       moderate / strong
==================== ============================== ============================== ==================================
repost_amplification T0118 Amplify Existing         ``co_repost``,                 coordination rule (below)
                     Narrative                      ``co_repost_similarity``
bot_amplification    T0049.003 Bots Amplify via     ``fast_repost``; ``co_repost`` fast_repost: coordination rule;
                     Automated Forwarding and       pairs a median ≤               fast co-reposts: coordination rule
                     Reposting                      ``fast_seconds`` [10 s] apart  on times to the second; automation
                                                    ; ``automation`` signal        flagged (signal rule) in a cluster
                                                                                   that reposts together: moderate
copypasta            T0084.001 Use Copypasta        ``co_text``,                   coordination rule
                                                    ``co_similar_text``
hashtag_flooding     T0049.002 Flood Existing       ``co_hashtag``,                coordination rule
                     Hashtag                        ``hashtag_sequence``
cross_posting        T0119 Cross-Posting            ``co_link``, ``co_domain``     coordination rule
swarming             T0049.005 Conduct Swarming     ``co_reply``, ``co_mention``   coordination rule
media_reuse          T0084 Reuse Existing Content   ``co_media``                   coordination rule
flooding             T0049 Flood Information Space  members' posts (dataset) and   ≥ ``flood_rate`` [24] posts per
                                                    co-actions on any edges        active account per active day and
                                                                                   ≥ ``flood_min_posts`` [200] posts,
                                                                                   or ≥ ``burst_posts`` [100] posts in
                                                                                   one clock hour by ≥ 3 accounts,
                                                                                   ≥ ``burst_rate`` [20] each; and
                                                                                   ≥ ``min_coactions`` co-actions on
                                                                                   the cluster's edges /
                                                                                   ≥ ``strong_flood_rate`` [72] and
                                                                                   ≥ 5 × ``flood_min_posts`` posts
bulk_creation        T0150.008 Bulk Created Asset   ``creation_burst``,            signal rule (below)
                                                    ``handle_pattern`` signals
new_accounts         T0150.001 Newly Created Asset  ``accounts.created_at``        ≥ ``new_share`` [0.5] /
                                                    against each member's first    ≥ ``strong_new_share`` [0.8] of
                                                    post (dataset)                 ≥ 3 dated members created at most
                                                                                   ``new_account_days`` [90] before
                                                                                   their first post
persona_template     T0144.002 Persona Template     ``profile_reuse`` signal       signal rule
repurposed_accounts  T0150.004 Repurposed Asset     ``repurposing`` signal         signal rule
automated_accounts   T0146.007 Automated Account    ``automation`` signal          signal rule
                     Asset
state_propaganda     T0002 Facilitate State         ``state_media`` signal         signal rule
                     Propaganda
news_persona         T0097.202 News Outlet Persona  a news word (``news``,         ≥ 2 members and ≥ ``persona_share``
                                                    ``daily``, ``today``, ...) in  [0.25] of the members with a
                                                    handle or display name         profile; never strong
journalist_persona   T0097.102 Journalist Persona   ``journalist``, ``reporter``,  as news_persona
                                                    ... in description or name
(none)               no technique                   ``working_hours``,             evidence of who runs the accounts
                                                    ``language_mismatch``          and from where, not of a
                                                                                   technique: never tagged
==================== ============================== ============================== ==================================

*Coordination rule*: moderate when the detectors' intra-cluster edges carry ≥ ``min_coactions`` [5]
co-actions; strong when they also carry ≥ ``strong_coactions`` [50] and reach ≥ ``strong_share`` [0.5] of the
cluster's accounts (at least 3). *Signal rule* (account signals in :data:`~overt.signals.base.SIGNALS`, cluster
signals in :data:`~overt.signals.base.CLUSTER_SIGNALS`): moderate when ≥ 2 members and ≥ ``signal_share`` [1/3]
of the members the signal assessed score ≥ ``signal_score`` [0.5], or the cluster signal scores ≥
``cluster_score`` [0.5]; strong when ≥ 3 members and ≥ ``strong_signal_share`` [2/3] do, or the cluster signal
scores ≥ ``strong_cluster_score`` [0.8]. Rules that name the same technique are merged into one row (the
stronger confidence, every piece of evidence).

Why these ids: T0118 is DISARM's technique for boosting content others wrote; reposting in step is how a network
does it. T0049.003 names automated reposting; delays of seconds (or a fast-repost edge) are its trace. Identical
and near-identical texts from many accounts are copypasta (T0084.001; DISARM notes its final form may vary).
Co-hashtagging is T0049.002 (it replaced the deprecated "Hijack Hashtags"). The same link from several accounts
at once is posting the same message to multiple accounts at one time (T0119). Co-replies and co-mentions centre
on one post or actor: swarming (T0049.005). T0150.008's description lists creation dates and naming
conventions as indicators of bulk creation, which is what ``creation_burst`` and ``handle_pattern`` measure.
T0144.002 describes templated profiles (``profile_reuse``). T0002 is coordinated groups pushing state
propaganda. DISARM says presenting as a news outlet or journalist is *not* itself inauthentic, so the persona
rules are never strong.

What the rules cannot show: intent or sponsor; whether reposted content is the operation's own (T0118 assumes
it amplifies others); time zones and languages (they point at an origin, not a technique). The flooding rule
needs the posts, the persona and new-account rules need the accounts table; without them those rules are
silent, not negative. On sources that give times to the minute (FiveThirtyEight's IRA tweets), delays under a
minute cannot be measured and the fast co-repost rule does not fire.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from overt.disarm._facts import Cluster, SignalStats, Sources, Trace, read_clusters
from overt.disarm.framework import ATTRIBUTION, technique
from overt.engine import DuckDBEngine
from overt.model.schema import Column, Table

__all__ = ["DISARM", "DISARM_FILE", "DISARM_TABLE", "RULES", "UNMAPPED_SIGNALS", "Rule", "Thresholds", "tag_clusters"]

_STR = pa.string()

#: Where a scan writes the tags.
DISARM_FILE = "disarm.parquet"

DISARM_TABLE = Table(
    "disarm",
    "Suggested DISARM techniques per cluster, for an analyst to confirm: one row per (cluster, technique). "
    f"Technique names, tactics and links: {ATTRIBUTION}",
    (
        Column("cluster", pa.int64(), "Cluster number (as in `clusters.parquet`).", True),
        Column("technique_id", _STR, "DISARM technique id, e.g. `T0049.002`.", True),
        Column("technique", _STR, "The technique's DISARM name.", True),
        Column("tactic_id", _STR, "DISARM tactic id, e.g. `TA17`.", True),
        Column("tactic", _STR, "The tactic's name, e.g. `Maximise Exposure`.", True),
        Column("phase", _STR, "The DISARM phase: Plan, Prepare, Execute, Assess.", True),
        Column(
            "confidence",
            _STR,
            "`strong` or `moderate`: how far the evidence passes the rule's thresholds (documented in "
            "`overt.disarm.tagging`). A suggestion either way.",
            True,
        ),
        Column(
            "evidence",
            _STR,
            "One sentence: the suggestion and the numbers behind it, e.g. `Suggested for analyst review: T0049 "
            "Flood Information Space (moderate): 41 accounts posted 12,304 times on 6 days (...); 3,100 co-actions "
            "with each other (co_repost)`.",
            True,
        ),
        Column("rules", pa.list_(_STR), "The rules that fired (names in `overt.disarm.tagging.RULES`).", True),
        Column("basis", pa.list_(_STR), "Detectors, signals and dataset tables the evidence comes from."),
        Column("details", _STR, "The numbers the evidence quotes, as a JSON object keyed by source."),
        Column("url", _STR, "The technique's page in the DISARM framework repository."),
    ),
)
DISARM = DISARM_TABLE.schema


@dataclass(frozen=True)
class Rule:
    """One mapping from evidence to a technique (documented in the module's table)."""

    name: str
    technique_id: str
    evidence: str


#: Every rule, in the order of the module's table.
RULES: tuple[Rule, ...] = (
    Rule("repost_amplification", "T0118", "co_repost, co_repost_similarity edges"),
    Rule("bot_amplification", "T0049.003", "fast_repost edges, co-reposts within seconds, automation"),
    Rule("copypasta", "T0084.001", "co_text, co_similar_text edges"),
    Rule("hashtag_flooding", "T0049.002", "co_hashtag, hashtag_sequence edges"),
    Rule("cross_posting", "T0119", "co_link, co_domain edges"),
    Rule("swarming", "T0049.005", "co_reply, co_mention edges"),
    Rule("media_reuse", "T0084", "co_media edges"),
    Rule("flooding", "T0049", "posting volume of the members"),
    Rule("bulk_creation", "T0150.008", "creation_burst, handle_pattern signals"),
    Rule("new_accounts", "T0150.001", "account creation dates against first posts"),
    Rule("persona_template", "T0144.002", "profile_reuse signal"),
    Rule("repurposed_accounts", "T0150.004", "repurposing signal"),
    Rule("automated_accounts", "T0146.007", "automation signal"),
    Rule("state_propaganda", "T0002", "state_media signal"),
    Rule("news_persona", "T0097.202", "news words in handles and display names"),
    Rule("journalist_persona", "T0097.102", "journalist words in descriptions and display names"),
)
_RULE = {r.name: r for r in RULES}

#: Signals that say where accounts are run from, not what they do: deliberately mapped to no technique.
UNMAPPED_SIGNALS = ("working_hours", "language_mismatch")

# Coordination rules: rule -> the detectors whose intra-cluster edges feed it.
_COORDINATION = {
    "repost_amplification": ("co_repost", "co_repost_similarity"),
    "copypasta": ("co_text", "co_similar_text"),
    "hashtag_flooding": ("co_hashtag", "hashtag_sequence"),
    "cross_posting": ("co_link", "co_domain"),
    "swarming": ("co_reply", "co_mention"),
    "media_reuse": ("co_media",),
}
# Signal rules: rule -> the signals feeding it.
_SIGNALS = {
    "bulk_creation": ("creation_burst", "handle_pattern"),
    "persona_template": ("profile_reuse",),
    "repurposed_accounts": ("repurposing",),
    "automated_accounts": ("automation",),
    "state_propaganda": ("state_media",),
}
# How to say what a detector's co-actions are: (co-actions, items, whether evidence times are a window apart).
_WORDS = {
    "co_repost": ("co-reposts", "posts", True),
    "co_repost_similarity": ("shared reposts", "posts", False),
    "fast_repost": ("fast reposts", "posts", True),
    "co_text": ("identical posts", "texts", True),
    "co_similar_text": ("near-duplicate posts", "texts", True),
    "co_hashtag": ("co-uses", "hashtags", True),
    "hashtag_sequence": ("shared hashtag runs", "runs", False),
    "co_link": ("co-posted links", "links", True),
    "co_domain": ("co-posted links", "sites", True),
    "co_reply": ("co-replies", "posts", True),
    "co_mention": ("co-mentions", "accounts", True),
    "co_media": ("co-posted media", "media", True),
}
_STRENGTH = {"moderate": 1, "strong": 2}


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    """The rules' thresholds (see the module's table).

    Parameters
    ----------
    min_coactions, strong_coactions:
        Co-actions on a rule's intra-cluster edges for a moderate / strong coordination tag.
    strong_share:
        Share of the cluster's accounts the edges must reach for a strong coordination tag (at least 3).
    fast_seconds:
        Median delay (seconds) under which co-reposts count as automated amplification.
    flood_rate, strong_flood_rate:
        Posts per active account per active (UTC) day for a moderate / strong flooding tag.
    flood_min_posts:
        Posts the cluster must have made for a flooding tag (five times as many for a strong one).
    burst_posts, burst_rate:
        A burst, which also makes a moderate flooding tag: at least ``burst_posts`` posts by the cluster in one
        clock hour, from at least 3 accounts, at least ``burst_rate`` posts per account active in that hour.
    new_account_days, new_share, strong_new_share:
        An account is new when created at most ``new_account_days`` before its first post in the dataset; the
        shares of dated members that must be new for a moderate / strong tag.
    signal_score:
        Account signal score from which a member counts as flagged.
    signal_share, strong_signal_share:
        Share of assessed members flagged for a moderate / strong signal tag.
    cluster_score, strong_cluster_score:
        Cluster-signal scores for a moderate / strong signal tag.
    persona_share:
        Share of members with a profile that must present a persona for a persona tag.
    """

    min_coactions: int = 5
    strong_coactions: int = 50
    strong_share: float = 0.5
    fast_seconds: float = 10.0
    flood_rate: float = 24.0
    strong_flood_rate: float = 72.0
    flood_min_posts: int = 200
    burst_posts: int = 100
    burst_rate: float = 20.0
    new_account_days: int = 90
    new_share: float = 0.5
    strong_new_share: float = 0.8
    signal_score: float = 0.5
    signal_share: float = 1 / 3
    strong_signal_share: float = 2 / 3
    cluster_score: float = 0.5
    strong_cluster_score: float = 0.8
    persona_share: float = 0.25

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"Thresholds.{f.name} must be a positive number, not {value!r}")
            if (f.name.endswith(("_share", "_score"))) and value > 1:
                raise ValueError(f"Thresholds.{f.name} is a share or score in (0, 1], not {value!r}")


@dataclass
class _Finding:
    rule: str
    confidence: str
    fact: str
    basis: tuple[str, ...]
    details: dict[str, Any]


# --- the rules --------------------------------------------------------------------------------------------------


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _count(n: float, noun: str) -> str:
    """``1 account``, ``2 accounts`` (nouns are given in the plural)."""
    return f"{_n(n)} {noun[:-1] if n == 1 and noun.endswith('s') else noun}"


def _trace_fact(name: str, tr: Trace, size: int) -> str:
    action, noun, timed = _WORDS.get(name, ("co-actions", "items", True))
    items = f" of {_count(tr.items, noun)}" if tr.items else ""
    text = f"{name}: {tr.accounts} of {_count(size, 'accounts')}, {_count(tr.coactions, action)}{items}"
    if timed and tr.max_delay is not None and tr.median_delay is not None:
        if tr.max_delay == 0:
            text += " at the same timestamp"
        else:
            text += f" within {_n(tr.max_delay)} s of each other (median {_n(tr.median_delay)} s)"
        if tr.to_the_minute:
            text += " (the source gives times to the minute)"
    if tr.top_items:
        prefix = "#" if name == "co_hashtag" else ""
        text += " (most shared: " + ", ".join(prefix + i for i in tr.top_items) + ")"
    return text


def _trace_details(tr: Trace) -> dict[str, Any]:
    return {
        "edges": tr.edges,
        "accounts": tr.accounts,
        "coactions": tr.coactions,
        "items": tr.items,
        "median_delay_s": tr.median_delay,
        "max_delay_s": tr.max_delay,
        "to_the_minute": tr.to_the_minute,
    }


def _coordination(rule: str, c: Cluster, t: Thresholds, detectors: Iterable[str]) -> _Finding | None:
    traces = {d: c.traces[d] for d in detectors if d in c.traces}
    coactions = sum(tr.coactions for tr in traces.values())
    if not traces or coactions < t.min_coactions:
        return None
    accounts = max(tr.accounts for tr in traces.values())
    strong = coactions >= t.strong_coactions and accounts >= max(3, math.ceil(t.strong_share * c.size))
    return _Finding(
        rule,
        "strong" if strong else "moderate",
        "; ".join(_trace_fact(d, tr, c.size) for d, tr in traces.items()),
        tuple(traces),
        {d: _trace_details(tr) for d, tr in traces.items()},
    )


def _signal_level(s: SignalStats, t: Thresholds) -> str | None:
    share = s.flagged / s.assessed if s.assessed else 0.0
    cluster = s.cluster_score if s.cluster_score is not None else -1.0
    if (s.flagged >= 3 and share >= t.strong_signal_share) or cluster >= t.strong_cluster_score:
        return "strong"
    if (s.flagged >= 2 and share >= t.signal_share) or cluster >= t.cluster_score:
        return "moderate"
    return None


def _signal_fact(name: str, s: SignalStats, size: int, t: Thresholds) -> str:
    parts = []
    if s.assessed:
        text = f"{name}: {s.flagged} of {s.assessed} assessed accounts (cluster of {size}) score ≥ {t.signal_score:g}"
        if s.mean is not None:
            text += f" (mean {s.mean:.2f})"
        if s.example:
            text += f", e.g. “{s.example}”"
        parts.append(text)
    if s.cluster_score is not None:
        text = f"{name} for the cluster scores {s.cluster_score:.2f}"
        parts.append(text + (f": “{s.cluster_evidence}”" if s.cluster_evidence else ""))
    return "; ".join(parts)


def _signals(rule: str, c: Cluster, t: Thresholds, names: Iterable[str]) -> _Finding | None:
    hits = {n: (c.signals[n], lvl) for n in names if n in c.signals and (lvl := _signal_level(c.signals[n], t))}
    if not hits:
        return None
    strong = any(lvl == "strong" for _, lvl in hits.values())
    return _Finding(
        rule,
        "strong" if strong else "moderate",
        "; ".join(_signal_fact(n, s, c.size, t) for n, (s, _) in hits.items()),
        tuple(hits),
        {
            n: {"assessed": s.assessed, "flagged": s.flagged, "mean": s.mean, "cluster_score": s.cluster_score}
            for n, (s, _) in hits.items()
        },
    )


def _automated(c: Cluster, t: Thresholds) -> _Finding | None:
    facts: list[str] = []
    basis: list[str] = []
    details: dict[str, Any] = {}
    levels: list[str] = []
    fast = _coordination("bot_amplification", c, t, ("fast_repost",))
    if fast:
        facts.append(fast.fact)
        basis.append("fast_repost")
        details.update(fast.details)
        levels.append(fast.confidence)
    co = c.traces.get("co_repost")
    if co and co.median_delay is not None and co.median_delay <= t.fast_seconds and not co.to_the_minute:
        quick = _coordination("bot_amplification", c, t, ("co_repost",))
        if quick:
            facts.append(f"co-reposts a median {_n(co.median_delay)} s apart: " + quick.fact)
            basis.append("co_repost")
            details.update(quick.details)
            levels.append(quick.confidence)
    bots = c.signals.get("automation")
    amplifying = _coordination("repost_amplification", c, t, _COORDINATION["repost_amplification"])
    if bots and amplifying and _signal_level(bots, t):
        facts.append(_signal_fact("automation", bots, c.size, t) + ", in a cluster that reposts together")
        basis.append("automation")
        details["automation"] = {"assessed": bots.assessed, "flagged": bots.flagged, "mean": bots.mean}
        levels.append("moderate")
    if not facts:
        return None
    level = "strong" if "strong" in levels else "moderate"
    return _Finding("bot_amplification", level, "; ".join(facts), tuple(basis), details)


def _flooding(c: Cluster, t: Thresholds) -> _Finding | None:
    p = c.volume
    # Volume alone is what busy newsrooms and live-tweeters show too: the cluster must also co-act.
    coactions = sum(tr.coactions for tr in c.traces.values())
    if p is None or not p.accounts or not p.days or coactions < t.min_coactions:
        return None
    rate = p.posts / (p.accounts * p.days)
    peak_rate = p.peak_posts / p.peak_accounts if p.peak_accounts else 0.0
    burst = p.peak_posts >= t.burst_posts and p.peak_accounts >= 3 and peak_rate >= t.burst_rate
    if not ((rate >= t.flood_rate and p.posts >= t.flood_min_posts) or burst):
        return None
    strong = rate >= t.strong_flood_rate and p.posts >= 5 * t.flood_min_posts
    traces = ", ".join(sorted(c.traces))
    fact = (
        f"{_count(p.accounts, 'accounts')} posted {_count(p.posts, 'times')} on {_count(p.days, 'days')} "
        f"({rate:.1f} posts per account per day); busiest hour {p.peak_hour:%Y-%m-%d %H}:00 UTC: "
        f"{_count(p.peak_posts, 'posts')} by {_count(p.peak_accounts, 'accounts')} ({peak_rate:.1f} each); "
        f"{_count(coactions, 'co-actions')} with each other ({traces})"
    )
    numbers: dict[str, Any] = {"posts": p.posts, "accounts": p.accounts, "days": p.days, "rate": round(rate, 2)}
    numbers |= {"peak_hour": p.peak_hour.isoformat(), "peak_posts": p.peak_posts, "peak_accounts": p.peak_accounts}
    numbers["coactions"] = coactions
    return _Finding(
        "flooding", "strong" if strong else "moderate", fact, ("posts", *sorted(c.traces)), {"posts": numbers}
    )


def _new_accounts(c: Cluster, t: Thresholds) -> _Finding | None:
    if c.ages is None:
        return None
    dated, new, median = c.ages
    if dated < 3 or new / dated < t.new_share:
        return None
    fact = (
        f"{new} of {dated} members with a creation date were created at most {t.new_account_days} days before "
        f"their first post here (median {median:.0f} days)"
    )
    level = "strong" if new / dated >= t.strong_new_share else "moderate"
    details = {"accounts": {"dated": dated, "new": new, "median_age_days": median}}
    return _Finding("new_accounts", level, fact, ("accounts", "posts"), details)


def _persona(rule: str, c: Cluster, t: Thresholds, matched: list[str], what: str) -> _Finding | None:
    if len(matched) < 2 or not c.profiles or len(matched) / c.profiles < t.persona_share:
        return None
    shown = ", ".join(matched[:5]) + (", ..." if len(matched) > 5 else "")
    fact = f"{len(matched)} of {c.profiles} member profiles present as {what} ({shown})"
    details = {"accounts": {"profiles": c.profiles, "matched": len(matched)}}
    return _Finding(rule, "moderate", fact, ("accounts",), details)


def _findings(c: Cluster, t: Thresholds) -> list[_Finding]:
    out: list[_Finding | None] = [_coordination(r, c, t, d) for r, d in _COORDINATION.items()]
    out += [_automated(c, t), _flooding(c, t), _new_accounts(c, t)]
    out += [_signals(r, c, t, s) for r, s in _SIGNALS.items()]
    out.append(_persona("news_persona", c, t, c.news, "news outlets"))
    out.append(_persona("journalist_persona", c, t, c.journalists, "journalists"))
    return [f for f in out if f is not None]


def _rows(c: Cluster, t: Thresholds) -> list[dict[str, Any]]:
    by_technique: dict[str, list[_Finding]] = {}
    for f in _findings(c, t):
        by_technique.setdefault(_RULE[f.rule].technique_id, []).append(f)
    rows = []
    for tid, found in by_technique.items():
        tech = technique(tid)
        level = max((f.confidence for f in found), key=_STRENGTH.__getitem__)
        facts = "; ".join(f.fact for f in found)
        basis = list(dict.fromkeys(b for f in found for b in f.basis))
        details: dict[str, Any] = {}
        for f in found:
            details.update(f.details)
        rows.append(
            {
                "cluster": c.cluster,
                "technique_id": tid,
                "technique": tech.name,
                "tactic_id": tech.tactic_id,
                "tactic": tech.tactic,
                "phase": tech.phase,
                "confidence": level,
                "evidence": f"Suggested for analyst review: {tech.label} ({level}): {facts}.",
                "rules": [f.rule for f in found],
                "basis": basis,
                "details": json.dumps(details, sort_keys=True, default=str),
                "url": tech.url,
            }
        )
    return rows


def tag_clusters(
    scan: str | os.PathLike[str] | None = None,
    *,
    clusters: pa.Table | None = None,
    edges: Mapping[str, pa.Table] | None = None,
    evidence: Mapping[str, pa.Table] | None = None,
    signals: pa.Table | None = None,
    cluster_signals: pa.Table | None = None,
    dataset: str | os.PathLike[str] | None = None,
    eng: DuckDBEngine | None = None,
    thresholds: Thresholds | None = None,
) -> pa.Table:
    """Suggest DISARM techniques for every cluster: one :data:`DISARM` row per (cluster, technique).

    Every input is optional; rules whose evidence is missing stay silent.

    Parameters
    ----------
    scan:
        A scan folder: ``clusters.parquet``, ``edges/*.parquet``, ``evidence/*.parquet`` and, when present,
        ``signals.parquet`` and ``cluster_signals.parquet`` are read from it.
    clusters, edges, evidence, signals, cluster_signals:
        The same tables given directly (they replace what the folder holds): cluster membership (columns
        ``cluster``, ``account_id``), ``{detector: table}`` in the :data:`~overt.coordination.schema.EDGES` and
        :data:`~overt.coordination.schema.EVIDENCE` schemas, and the :data:`~overt.signals.base.SIGNALS` and
        :data:`~overt.signals.base.CLUSTER_SIGNALS` tables.
    dataset:
        A canonical dataset folder (posts and accounts), for the volume, account-age and persona rules.
    eng:
        An engine that already has the dataset's ``posts`` and ``accounts`` views (as in a scan); used instead of
        *dataset*. The temporary tables made here are dropped before returning.
    thresholds:
        The rules' thresholds (:class:`Thresholds`).

    Returns
    -------
    pa.Table
        :data:`DISARM`, sorted by cluster, then strong before moderate, then technique id.
    """
    t = thresholds or Thresholds()
    if dataset is not None and eng is not None:
        raise ValueError("give either dataset or eng (an engine with the dataset attached), not both")
    folder = Path(scan) if scan is not None else None
    if folder is not None and not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such scan folder")

    def stored(name: str) -> pa.Table | None:
        path = folder / f"{name}.parquet" if folder is not None else None
        return pq.read_table(path) if path is not None and path.is_file() else None

    def files(kind: str) -> tuple[Path, ...]:
        return tuple(sorted((folder / kind).glob("*.parquet"))) if folder is not None else ()

    members = clusters if clusters is not None else stored("clusters")
    if members is None or members.num_rows == 0:
        return DISARM.empty_table()
    src = Sources(
        clusters=members,
        edges=edges,
        evidence=evidence,
        edge_files=files("edges") if edges is None else (),
        evidence_files=files("evidence") if evidence is None else (),
        signals=signals if signals is not None else stored("signals"),
        cluster_signals=cluster_signals if cluster_signals is not None else stored("cluster_signals"),
    )
    engine = DuckDBEngine() if eng is None else eng
    try:
        if dataset is not None:
            engine.attach_dataset(dataset)
        found = read_clusters(engine, src, signal_score=t.signal_score, new_account_days=t.new_account_days)
    finally:
        if eng is None:
            engine.close()
    rows = [row for c in found for row in _rows(c, t)]
    rows.sort(key=lambda r: (r["cluster"], -_STRENGTH[r["confidence"]], _id_key(r["technique_id"])))
    return pa.Table.from_pylist(rows, schema=DISARM)


def _id_key(disarm_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in disarm_id[1:].split("."))
