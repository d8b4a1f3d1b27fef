"""Accounts created close together, more than the dataset's own creation dates predict.

Takedown reports describe operators registering accounts in batches on the same days (Twitter's and Meta's
CIB disclosures; Graphika and the Stanford Internet Observatory on Spamouflage), and the Associated Press /
Oxford Internet Institute study of ~4,600 accounts amplifying Chinese envoys found a third of them under three
months old. A batch shows as more accounts created within a day or two of each other than the base rate of
account creation around that date explains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa
from scipy.special import bdtrc

from overt.coordination.significance import poisson_tail
from overt.signals.base import CLUSTER_SIGNALS, SIGNALS, Signal, details, has_clusters

if TYPE_CHECKING:
    from overt.engine import DuckDBEngine


def _day(column: str = "created_at") -> str:
    """SQL for the whole UTC days since 1970 of *column*."""
    return f"CAST(floor(epoch({column}) / 86400) AS BIGINT)"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _date(day: int) -> str:
    return (_EPOCH + timedelta(days=int(day))).strftime("%Y-%m-%d")


def _score(p: float, tests: int, decades: float) -> float:
    """Bonferroni-corrected surprise ``-log10(min(1, p * tests))`` over *decades*, capped at 1."""
    q = min(1.0, p * max(tests, 1))
    return 0.0 if q >= 1.0 else min(1.0, -math.log10(max(q, 1e-300)) / decades)


def _fmt(x: float) -> str:
    return f"{x:.2g}" if x < 0.01 else f"{x:.2f}".rstrip("0").rstrip(".")


@dataclass(kw_only=True)
class CreationBurst(Signal):
    """Accounts created in a burst: more accounts created within ``±window_days`` than the base rate predicts.

    **Per account.** Accounts are counted per platform and UTC calendar day of ``accounts.created_at``. For an
    account created on day *d*, ``observed`` is the number of *other* accounts created in ``[d - window_days,
    d + window_days]``; ``expected`` is what the dataset's local creation rate predicts for that window. The rate
    is estimated from the accounts created in the ring around the window (``baseline_days`` either side of *d*,
    the window itself excluded, so a burst does not raise its own baseline), shrunk towards the platform's
    overall rate with a weight of ``prior_days`` days (so a sparse ring does not make the rate zero). Days
    outside the dataset's first..last creation date are not counted: a dataset that ends in September does not
    have an empty October. A local rate keeps platform growth years (2009, 2020, a platform's launch) from
    flagging everyone created then. The chance of ``observed`` or more is the Poisson tail
    ``p = P(X >= observed)``, ``X ~ Poisson(expected)``. Every creation day is a test, so the score uses the
    Bonferroni-corrected ``q = min(1, p * days tested)``:
    ``score = dataset_max_score * min(1, -log10(q) / full_score_decades)``. An account with fewer than
    ``min_others`` others in its window, or fewer than ``min_ratio`` times the expected number, scores 0 however
    small ``p`` is: daily account creation varies more than a Poisson count, and a big day at 1.5 times its
    base rate is a sign-up wave, not a batch. The cap (0.5 by default) is there because sign-up waves after
    news reach 20 times the base rate too, and no dataset-wide count tells them from a batch: in the 2024
    US-election sample (16,259 accounts) 286 accounts were created on 25-27 April 2022, when Musk's bid for
    Twitter was accepted (13.4 expected); in the #StandWithHongKong sample 59 on 3-5 September 2019, around
    the announcement that the extradition bill would be withdrawn (6.1 expected).

    **Per account, inside a scan.** Of the ``others`` other dated members of the account's cluster, ``k``
    were created in its window; by chance each would be with the share ``pi`` of the platform's other
    accounts created in that window, so ``p = P(Binomial(others, pi) >= k)``, Bonferroni over the (cluster,
    day) pairs, ``score = min(1, -log10(q) / full_score_decades)`` when ``k >= min_others``. A sign-up wave
    raises ``pi``, so a cluster is not flagged for joining in one; a batch of coordinated accounts is. The
    account's score is the larger of the two.

    **Per cluster** (inside a scan). For each cluster with at least ``min_cluster_members`` dated members and
    each span in ``cluster_spans`` (days), the largest number ``m`` of its ``k`` dated members created within
    any span of that many days. Its chance probability is that of ``k`` accounts drawn at random from the
    dataset's accounts (of the cluster's main platform): each member's span is a test, so
    ``p = min(1, k * sum_d w_d * P(Binomial(k - 1, pi_d) >= m - 1))``, where ``w_d`` is the share of accounts
    created on day *d* and ``pi_d`` the share of the others created in the span starting on *d* (a union bound
    over the spans anchored on each member, with the anchor drawn from the dataset). The span with the smallest
    ``p`` is reported; the score is as above with Bonferroni over clusters times spans.

    Parameters
    ----------
    window_days:
        Half-width of the burst window in days (1: the day before, the day, the day after).
    baseline_days:
        Half-width in days of the span whose accounts, outside the window, give the local base rate.
    prior_days:
        Weight, in days, of the platform's overall creation rate in the local rate.
    min_others:
        Fewest other accounts in the window that can score.
    min_ratio:
        Fewest times the expected number that can score.
    full_score_decades:
        Decades of Bonferroni-corrected surprise that give score 1.
    dataset_max_score:
        Highest score the dataset-wide burst gives on its own (its score is scaled to this).
    min_accounts:
        A platform with fewer dated accounts than this has no base rate: its accounts get a null score.
    min_range_days:
        Likewise when its creation dates span fewer days than this.
    young_days:
        The evidence mentions the first post in the data when it came at most this many days after creation.
    cluster_spans:
        Span lengths in days for the cluster test.
    min_cluster_members:
        Clusters with fewer dated members are not assessed.

    ``value`` (per account): the surprise ``-log10 p`` in decades (uncorrected; 0 when nothing is unusual).
    ``value`` (per cluster): the largest share of dated members created within the reported span.

    ``details`` (per account): ``created`` (date), ``window_days``, ``observed``, ``expected``, ``ratio``,
    ``p_value``, ``days_tested``, ``first_post_after_days`` (days from creation to the account's first post
    in the dataset, null without posts); inside a scan ``cluster_others``, ``cluster_in_window``,
    ``cluster_p_value``. For an account whose platform has no base rate: ``created``, ``accounts``,
    ``range_days``. Per cluster: ``members`` (dated), ``span_days``, ``in_span``,
    ``span_start``, ``span_end``, ``p_value``, ``tests``.

    Can show: batches of accounts registered together, within a dataset or a cluster, relative to how many
    accounts the dataset holds from the same months. Cannot show: who registered them. Organic batches exist:
    a school class or a newsroom joining on one day, sign-up waves after news events or platform migrations
    (many accounts of an activist hashtag created in the same week of a crisis), accounts created for an event.
    Small datasets have noisy base rates. Sources that give creation dates only to the day, or to the month,
    blur bursts; archives that round or omit ``created_at`` give no rows. Operators who age accounts (buy old
    ones, or register slowly and wait) do not show. The dataset's accounts are themselves a sample (those
    active on a topic), which makes recently created accounts more common than on the platform; the local rate
    absorbs slow trends but not a steep rise in the last days before collection.
    """

    name: ClassVar[str] = "creation_burst"

    window_days: int = 1
    baseline_days: int = 180
    prior_days: float = 30.0
    min_others: int = 3
    min_ratio: float = 3.0
    full_score_decades: float = 4.0
    dataset_max_score: float = 0.5
    min_accounts: int = 20
    min_range_days: int = 30
    young_days: int = 90
    cluster_spans: tuple[int, ...] = (7, 30)
    min_cluster_members: int = 3

    def __post_init__(self) -> None:
        for key in ("window_days", "baseline_days", "min_others", "min_accounts", "min_range_days", "young_days"):
            if int(getattr(self, key)) < 0:
                raise ValueError(f"creation_burst {key} must be >= 0")
        if self.baseline_days <= self.window_days:
            raise ValueError("creation_burst baseline_days must be larger than window_days")
        if self.prior_days <= 0 or self.full_score_decades <= 0 or self.min_ratio < 0:
            raise ValueError("creation_burst prior_days and full_score_decades must be > 0, min_ratio >= 0")
        if not 0 <= self.dataset_max_score <= 1:
            raise ValueError("creation_burst dataset_max_score must be in [0, 1]")
        if not self.cluster_spans or any(int(s) < 1 for s in self.cluster_spans):
            raise ValueError("creation_burst cluster_spans must be positive day counts")
        if self.min_cluster_members < 2:
            raise ValueError("creation_burst min_cluster_members must be >= 2")

    # -- per account -------------------------------------------------------------------------------------------

    def days_sql(self) -> str:
        """SQL: per platform and creation day, the accounts created, in the window and in the ring around it."""
        w, b = int(self.window_days), int(self.baseline_days)
        return f"""
            WITH days AS (
                SELECT platform, {_day()} AS day, count(*) AS n
                FROM accounts WHERE created_at IS NOT NULL GROUP BY platform, {_day()}
            ),
            bounds AS (
                SELECT platform, min(day) AS lo, max(day) AS hi, CAST(sum(n) AS BIGINT) AS total
                FROM days GROUP BY platform
            ),
            counted AS (
                SELECT platform, day, n,
                       CAST(sum(n) OVER (PARTITION BY platform ORDER BY day
                                         RANGE BETWEEN {w} PRECEDING AND {w} FOLLOWING) AS BIGINT) AS in_window,
                       CAST(sum(n) OVER (PARTITION BY platform ORDER BY day
                                         RANGE BETWEEN {b} PRECEDING AND {b} FOLLOWING) AS BIGINT) AS in_span
                FROM days
            )
            SELECT c.platform, c.day, c.n, c.in_window, c.in_span - c.in_window AS in_ring,
                   least(c.day + {w}, x.hi) - greatest(c.day - {w}, x.lo) + 1 AS window_span,
                   least(c.day + {b}, x.hi) - greatest(c.day - {b}, x.lo) + 1 AS full_span,
                   x.lo, x.hi, x.total
            FROM counted c JOIN bounds x ON c.platform = x.platform
        """

    def _day_scores(self, days: pa.Table) -> dict[str, np.ndarray]:
        col = {name: days.column(name).to_numpy(zero_copy_only=False) for name in days.column_names}
        total = col["total"].astype(np.float64)
        range_days = (col["hi"] - col["lo"] + 1).astype(np.float64)
        window_span = col["window_span"].astype(np.float64)
        ring_days = col["full_span"].astype(np.float64) - window_span
        observed = (col["in_window"] - 1).astype(np.float64)  # others, seen from one account of that day
        # The platform's overall rate excludes the account itself, like `observed`.
        overall = (total - 1) / range_days
        rate = (col["in_ring"] + self.prior_days * overall) / (ring_days + self.prior_days)
        expected = rate * window_span
        p = poisson_tail(observed, expected)
        assessable = (total >= self.min_accounts) & (range_days >= self.min_range_days)
        return {"observed": observed, "expected": expected, "p": p, "assessable": assessable}

    def accounts(self, eng: DuckDBEngine) -> pa.Table:
        days = eng.arrow(self.days_sql())
        if days.num_rows == 0:
            return SIGNALS.empty_table()
        stats = self._day_scores(days)
        day_stats = pa.table(
            {
                "platform": days.column("platform").combine_chunks(),
                "day": days.column("day").combine_chunks(),
                "in_window": days.column("in_window").combine_chunks(),
                "observed": pa.array(stats["observed"]),
                "expected": pa.array(stats["expected"]),
                "p": pa.array(stats["p"]),
                "assessable": pa.array(stats["assessable"]),
                "total": days.column("total").combine_chunks(),
                "range_days": pa.array(
                    (days.column("hi").to_numpy() - days.column("lo").to_numpy() + 1).astype(np.int64)
                ),
            }
        )
        days_tested = int(np.count_nonzero(stats["assessable"]))
        clustered = has_clusters(eng)
        w = int(self.window_days)
        # Inside a scan: the other members of the account's cluster created within the window, and how many
        # other dated members it has (counted per cluster and day with a window, not pair by pair).
        cluster_cte = (
            f"""
            , members AS (
                SELECT c.cluster, a.account_id, {_day("a.created_at")} AS day
                FROM clusters c JOIN accounts a ON a.account_id = c.account_id WHERE a.created_at IS NOT NULL
            ),
            cluster_days AS (SELECT cluster, day, count(*) AS n FROM members GROUP BY cluster, day),
            cluster_windows AS (
                SELECT cluster, day,
                       CAST(sum(n) OVER (PARTITION BY cluster ORDER BY day
                                         RANGE BETWEEN {w} PRECEDING AND {w} FOLLOWING) AS BIGINT) AS in_window,
                       CAST(sum(n) OVER (PARTITION BY cluster) AS BIGINT) AS dated
                FROM cluster_days
            ),
            in_cluster AS (
                SELECT m.account_id, m.cluster, x.in_window - 1 AS k, x.dated - 1 AS others
                FROM members m JOIN cluster_windows x ON x.cluster = m.cluster AND x.day = m.day
            )"""
            if clustered
            else ", in_cluster AS (SELECT NULL AS account_id, NULL AS cluster, NULL AS k, NULL AS others)"
        )
        eng.register("_creation_burst_days", day_stats)
        try:
            rows = eng.rows(f"""
                WITH firsts AS (SELECT account_id, min(created_at) AS first_post FROM posts GROUP BY account_id)
                {cluster_cte}
                SELECT a.account_id, s.day, s.observed, s.expected, s.p, s.assessable, s.total, s.range_days,
                       CAST(floor((epoch(f.first_post) - epoch(a.created_at)) / 86400) AS BIGINT) AS first_after,
                       s.in_window, g.cluster, g.k, g.others
                FROM accounts a
                JOIN _creation_burst_days s ON a.platform = s.platform AND {_day("a.created_at")} = s.day
                LEFT JOIN firsts f ON f.account_id = a.account_id
                LEFT JOIN in_cluster g ON g.account_id = a.account_id
                WHERE a.created_at IS NOT NULL
                ORDER BY a.account_id
            """)
        finally:
            eng.drop("_creation_burst_days")
        cluster_p = self._in_cluster_chance(rows)
        cluster_tests = len({(r[10], r[1]) for r in rows if r[10] is not None and r[5]})
        out: dict[str, list[Any]] = {n: [] for n in SIGNALS.names}
        for row, cp in zip(rows, cluster_p, strict=True):
            account_id, day, observed, expected, p, assessable, total, range_days, first_after = row[:9]
            score, value, evidence, info = self._account_row(
                int(day), int(observed), float(expected), float(p), bool(assessable), int(total), int(range_days),
                first_after, days_tested,
            )  # fmt: skip
            if row[10] is not None and assessable:
                k, others = int(row[11]), int(row[12])
                info |= {"cluster_others": others, "cluster_in_window": k, "cluster_p_value": float(cp)}
                if k >= 1:
                    evidence += f"; {k} of them in its cluster, of {others} other dated members (chance {_fmt(cp)})"
                if k >= self.min_others and score is not None:
                    score = max(score, _score(cp, cluster_tests, self.full_score_decades))
            row_out = (self.name, account_id, score, value, evidence, details(**info))
            for key, item in zip(SIGNALS.names, row_out, strict=True):
                out[key].append(item)
        return pa.table(out, schema=SIGNALS)

    @staticmethod
    def _in_cluster_chance(rows: list[tuple[Any, ...]]) -> np.ndarray:
        """``P(Binomial(others, pi) >= k)`` per row, ``pi`` the share of the platform's other accounts created
        in the account's window (1 outside clusters)."""
        if not rows:
            return np.ones(0)
        clustered = np.asarray([r[10] is not None for r in rows])
        k = np.asarray([r[11] if r[10] is not None else 0 for r in rows], np.int64)
        others = np.asarray([r[12] if r[10] is not None else 0 for r in rows], np.int64)
        in_window = np.asarray([r[9] for r in rows], np.float64)
        total = np.asarray([r[6] for r in rows], np.float64)
        pi = np.clip((in_window - 1) / np.maximum(total - 1, 1), 0.0, 1.0)
        # bdtrc(j, n, p) is P(Bin(n, p) > j).
        tail = bdtrc(np.maximum(k - 1, 0), others, pi)
        return np.where(clustered & (k >= 1), tail, 1.0)

    def _account_row(
        self,
        day: int,
        observed: int,
        expected: float,
        p: float,
        assessable: bool,
        total: int,
        range_days: int,
        first_after: int | None,
        days_tested: int,
    ) -> tuple[float | None, float | None, str, dict[str, Any]]:
        created = _date(day)
        if not assessable:
            evidence = (
                f"created {created}; the platform has {total} dated account(s) over {range_days} day(s), too few "
                f"for a base rate (need {self.min_accounts} over {self.min_range_days} days)"
            )
            return None, None, evidence, {"created": created, "accounts": total, "range_days": range_days}
        ratio = observed / expected if expected > 0 else math.inf
        burst = observed >= self.min_others and ratio >= self.min_ratio
        score = self.dataset_max_score * _score(p, days_tested, self.full_score_decades) if burst else 0.0
        surprise = -math.log10(max(p, 1e-300)) if p < 1 else 0.0
        noun = "account" if observed == 1 else "accounts"
        evidence = (
            f"created {created}; {observed} other {noun} created within ±{self.window_days} day(s) "
            f"(expected {expected:.1f}"
        )
        evidence += f", chance {_fmt(p)})" if burst else "): no burst"
        if first_after is not None and 0 <= first_after <= self.young_days:
            evidence += f"; first post in the data {first_after} day(s) after creation"
        info = {
            "created": created,
            "window_days": self.window_days,
            "observed": observed,
            "expected": round(expected, 4),
            "ratio": round(ratio, 3) if math.isfinite(ratio) else None,
            "p_value": p,
            "days_tested": days_tested,
            "first_post_after_days": first_after,
        }
        return score, round(surprise, 4), evidence, info

    # -- per cluster -------------------------------------------------------------------------------------------

    def clusters(self, eng: DuckDBEngine) -> pa.Table | None:
        if not has_clusters(eng):
            return None
        members = eng.rows(f"""
            SELECT c.cluster, a.platform, list({_day("a.created_at")}) AS days
            FROM clusters c JOIN accounts a ON a.account_id = c.account_id
            WHERE a.created_at IS NOT NULL
            GROUP BY c.cluster, a.platform
        """)
        # A cluster's dates are judged against its main platform (the one most of its dated members are on).
        per_cluster: dict[int, dict[str, list[int]]] = {}
        for cluster, platform, days in members:
            per_cluster.setdefault(int(cluster), {})[platform] = [int(d) for d in days]
        by_cluster = {}
        for cluster, platforms in per_cluster.items():
            main = max(platforms, key=lambda name: (len(platforms[name]), name))
            by_cluster[cluster] = (main, platforms[main])
        candidates = {c: v for c, v in by_cluster.items() if len(v[1]) >= self.min_cluster_members}
        if not candidates:
            return CLUSTER_SIGNALS.empty_table()
        platform_days = {
            platform: (np.asarray([d for d, _ in rows], np.int64), np.asarray([n for _, n in rows], np.float64))
            for platform, rows in _group(
                eng.rows(f"""
                    SELECT platform, {_day()} AS day, count(*) FROM accounts WHERE created_at IS NOT NULL
                    GROUP BY platform, {_day()} ORDER BY platform, day
                """)
            ).items()
        }
        tests = len(candidates) * len(self.cluster_spans)
        out: dict[str, list[Any]] = {n: [] for n in CLUSTER_SIGNALS.names}
        cache: dict[tuple[str, int, int, int], float] = {}
        for cluster in sorted(candidates):
            platform, days = candidates[cluster]
            dates = np.sort(np.asarray(days, np.int64))
            k = len(dates)
            best: tuple[float, int, int, int] | None = None  # p, span, m, start day
            for span in self.cluster_spans:
                # Members within [d_i, d_i + span - 1] for each member's day d_i: the best span starts on one.
                ends = np.searchsorted(dates, dates + int(span) - 1, side="right")
                counts = ends - np.arange(k)
                i = int(np.argmax(counts))
                m = int(counts[i])
                key = (platform, int(span), k, m)
                if key not in cache:
                    cache[key] = _span_chance(*platform_days[platform], int(span), k, m)
                p = cache[key]
                if best is None or p < best[0]:
                    best = (p, int(span), m, int(dates[i]))
            assert best is not None
            p, span, m, start = best
            score = _score(p, tests, self.full_score_decades) if m >= 2 else 0.0
            evidence = (
                f"{m} of {k} dated members created within {span} days ({_date(start)} to {_date(start + span - 1)}); "
                f"chance {_fmt(p)} for {k} accounts drawn from the dataset's creation dates"
            )
            info = details(
                members=k, span_days=span, in_span=m, span_start=_date(start), span_end=_date(start + span - 1),
                p_value=p, tests=tests,
            )  # fmt: skip
            row = (self.name, cluster, score, round(m / k, 4), evidence, info)
            for key_name, item in zip(CLUSTER_SIGNALS.names, row, strict=True):
                out[key_name].append(item)
        return pa.table(out, schema=CLUSTER_SIGNALS)


def _group(rows: list[tuple[Any, ...]]) -> dict[str, list[tuple[int, int]]]:
    grouped: dict[str, list[tuple[int, int]]] = {}
    for platform, day, n in rows:
        grouped.setdefault(platform, []).append((int(day), int(n)))
    return grouped


def _span_chance(days: np.ndarray, counts: np.ndarray, span: int, k: int, m: int) -> float:
    """Chance that some span of *span* days holds *m* or more of *k* accounts drawn from the dataset.

    A union bound over the *k* spans anchored on each drawn account: ``k * sum_d w_d * P(Bin(k-1, pi_d) >= m-1)``,
    ``w_d`` the share of accounts created on day *d*, ``pi_d`` the share of the other accounts created in
    ``[d, d + span - 1]``.
    """
    total = counts.sum()
    if m <= 1 or total <= 1:
        return 1.0
    cumulative = np.concatenate([[0.0], np.cumsum(counts)])
    in_span = cumulative[np.searchsorted(days, days + span - 1, side="right")] - cumulative[np.arange(len(days))]
    pi = np.clip((in_span - 1) / (total - 1), 0.0, 1.0)
    # bdtrc(j, n, p) is P(Bin(n, p) > j).
    tail = bdtrc(m - 2, k - 1, pi)
    return float(min(1.0, k * float(np.sum(counts / total * tail))))
