"""``automation``: accounts whose timing looks scheduled or machine-driven, or whose posts come from automation apps.

Operations run schedulers and bots next to hand-run personas: posts every 300 seconds to the second, posts at
second :00, dozens of posts within a minute, hundreds a day around the clock, posts made through feed and
trigger services. Automated is not covert: news feeds, weather bots and social-media schedulers automate openly.
The score measures automation only; read it with coordination and the other signals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from overt.signals.base import SIGNALS, Signal, account_row
from overt.signals.language_mismatch import pct, ramp

if TYPE_CHECKING:
    from overt.engine import DuckDBEngine

#: Periods schedulers use (seconds): 1, 2, 5, 10, 15, 20, 30 minutes; 1, 2, 3, 4, 6, 12, 24 hours.
PERIODS = (60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 14400, 21600, 43200, 86400)
#: A period is only tested when a random gap would land near one of its multiples less often than this.
_MAX_CHANCE = 1 / 3
#: Bursts count fully from this many on (fewer: in proportion).
_REPEATED_BURSTS = 3

#: Clients (``posts.client``) whose purpose is posting without a person at the keyboard: feed-to-post services
#: (twitterfeed, dlvr.it, Paper.li), trigger services (IFTTT, Zapier, Integromat) and bot hosts (twittbot.net,
#: Cheap Bots Done Quick!, RoundTeam's auto-retweets). Keys are lower case without a trailing period.
AUTOMATION_CLIENTS = frozenset(
    {
        "twitterfeed",
        "dlvr.it",
        "paper.li",
        "ifttt",
        "zapier",
        "zapier.com",
        "integromat",
        "twittbot.net",
        "cheap bots, done quick!",
        "roundteam",
    }
)
#: Clients whose purpose is scheduled posting: a person or team writes, the tool posts at a set time. These are
#: the publishing suites of brands, newsrooms and campaigns (Buffer, Hootsuite, SocialFlow, Sprout Social,
#: Sprinklr, ...) and the ads composer, so they count half (see the ``client`` component).
SCHEDULING_CLIENTS = frozenset(
    {
        "buffer",
        "hootsuite",
        "hootsuite inc",
        "socialflow",
        "sprout social",
        "sprinklr",
        "hypefury",
        "coschedule",
        "later",
        "crowdfire app",
        "hubspot",
        "socialdog for twitter",
        "twitter for advertisers",
        "twitter for advertisers (legacy)",
    }
)
#: The client component: share of posts via listed services where it starts (0), and where it reaches 1.
_CLIENT_FROM, _CLIENT_FULL = 0.1, 0.6
_KINDS = ("automation", "scheduling")


@dataclass(kw_only=True)
class Automation(Signal):
    """Scheduled or machine-speed posting: regular gaps, clock-bound seconds, bursts, volume, no sleep.

    Components, each in [0, 1]; the score is the largest (each is a different way of being automated):

    - **regularity**: the coefficient of variation (CV, standard deviation / mean) of the gaps between
      consecutive posts, ramped from 0.5 (0) down to 0.1 (1) (people post in bursts and sleep: their CV is above 1);
      and the share of gaps within a tolerance of a whole multiple of a scheduler period (:data:`PERIODS`;
      tolerance the larger of the timestamp resolution, 2 s and 1% of the period), as excess over chance
      ``(share - chance) / (1 - chance)``, ramped from 0.2 (0) to 0.7 (1). The larger of the two counts.
    - **clock**: the share of posts at the account's most used second of the minute (only posts from input files
      whose timestamps have seconds) and at its most used minute of the hour, ramped from 0.15 (0) to 0.6 (1)
      (uniform would be 1/60). Counted over distinct seconds and distinct minutes, so that a burst counts once,
      and only with ``min_posts`` of them. Normalised entropies of both are in ``details``.
    - **bursts**: the share of posts in (sliding) ``burst_window``-second windows holding ``burst_size`` or more
      posts of the account, ramped from 5% (0) to 50% (1), times ``min(1, bursts / 3)``: one spree is human, a machine
      bursts again and again.
    - **volume**: the median posts per active (UTC) day, ramped from ``volume_from`` (0) to ``volume_full`` (1).
    - **sleepless**: on busy days (``busy_day_posts`` or more posts in a UTC day), the median number of distinct
      hours with posts, ramped from 18 (0) to 23 (1): a person who sleeps six hours posts in at most 18 hours of a
      day, wherever the UTC day boundary falls in their night. Needs ``min_days`` busy days.

    - **client**: the share of the account's posts with a named client (``posts.client``) that were made with an
      automation service (:data:`AUTOMATION_CLIENTS`: feed, trigger and bot-hosting services), ramped from 10%
      (0) to 60% (1); scheduling services (:data:`SCHEDULING_CLIENTS`: Buffer, Hootsuite, SocialFlow, the ads
      composer, ...) count with automation services at half weight, ``max(ramp(auto), 0.5 * ramp(auto +
      scheduled))``, because a person still writes what they post. Names are compared in lower case without a
      trailing period (``Hootsuite Inc.``); ordinary apps (Twitter Web App, Twitter for iPhone/Android, TweetDeck,
      Instagram cross-posts) are not listed. Needs ``min_client_posts`` posts with a client (the formats that
      fill it: IO archives, Twitter v1.1, X API v2 before 2023, Mastodon, mappings with a ``client`` column).

    Parameters
    ----------
    min_posts:
        Posts an account needs to be assessed (fewer: null score).
    burst_window, burst_size:
        Window (seconds) and number of posts in it that make a burst.
    volume_from, volume_full:
        Median posts per active day where the volume component starts, and where it reaches 1.
    busy_day_posts, min_days:
        Posts in a UTC day that make it a busy day, and the busy days the sleepless component needs.
    min_client_posts:
        Posts with a named client the client component needs.

    ``value``: coefficient of variation of the gaps between consecutive posts (dimensionless; 0 is a metronome,
    1 a random Poisson process, people are above 1).

    ``details`` keys: ``posts``, ``median_gap_s``, ``cv``, ``period_s``, ``period_share``, ``period_chance``,
    ``top_second``, ``top_second_share``, ``second_entropy`` (null without seconds in the data), ``top_minute``,
    ``top_minute_share``, ``minute_entropy`` (entropies normalised to [0, 1]), ``burst_posts``, ``burst_windows``,
    ``max_in_window``, ``posts_per_day`` (median), ``active_days``, ``busy_days``, ``hours_per_busy_day``
    (median; null without busy days), ``resolution_s`` (60 when the account's posts carry only minutes),
    ``client_posts`` (posts with a named client), ``top_client`` and ``top_client_share`` (the account's most used
    client, as named, and its share of ``client_posts``; null without clients), ``automation_share`` and
    ``scheduling_share`` (shares of ``client_posts`` via listed services; null without clients), ``services``
    (posts per listed service used, as named), ``component``, ``components``.

    Shows: scheduled posting (cron-like periods, posts at :00), machine speed (bursts), and volume and hours no
    person keeps; posts made through automation and scheduling services. Cannot show: who runs the automation, or
    intent; bots that add random delays and sleep at night get past it, and hand-run accounts of an operation
    (shift workers on quotas) stay low here: their tell is working hours, not automation. The client list names
    public services only: an operation's own app, registered under an ordinary-looking name, is not recognised.
    False positives: news feeds, RSS and scheduling tools (Buffer, Hootsuite), weather and earthquake bots,
    brands with schedules, shared newsroom accounts run around the clock, and activists running copy-paste
    campaigns at speed; for the client component, newsrooms and brands posting through feed services and
    publishing suites, and people cross-posting with IFTTT. Source timestamps at minute resolution (the
    FiveThirtyEight IRA data) hide the seconds: the seconds clock is skipped for them and periods shorter than 10
    minutes cannot be told from chance.

    Source: Chavoshi, Hamooni & Mueen, "DeBot" (ICDM 2016) on synchronous and regular timing; Ferrara et al., "The
    rise of social bots" (CACM 2016); Chu, Gianvecchio, Wang & Jajodia, "Detecting automation of Twitter accounts:
    are you a human, bot, or cyborg?" (IEEE TDSC 2012) on manual and automated posting clients; Pozzana & Ferrara,
    "Measuring bot and human behavioral dynamics" (2020) on inter-event times; DFRLab's #BotSpot guides (posts per
    day, round-the-clock activity).
    """

    name: ClassVar[str] = "automation"

    min_posts: int = 30
    burst_window: int = 60
    burst_size: int = 10
    volume_from: float = 100
    volume_full: float = 300
    busy_day_posts: int = 24
    min_days: int = 3
    min_client_posts: int = 10

    def __post_init__(self) -> None:
        if self.min_posts < 3 or self.burst_window < 1 or self.burst_size < 2 or self.min_days < 1:
            raise ValueError("automation: min_posts >= 3, burst_window >= 1, burst_size >= 2, min_days >= 1")
        if self.min_client_posts < 1:
            raise ValueError(f"automation: min_client_posts must be at least 1, not {self.min_client_posts!r}")
        if self.busy_day_posts < 1:
            raise ValueError(f"automation: busy_day_posts must be at least 1, not {self.busy_day_posts!r}")
        if not 0 < self.volume_from < self.volume_full:
            raise ValueError("automation: need 0 < volume_from < volume_full")

    def accounts(self, eng: DuckDBEngine) -> pa.Table:
        window = int(self.burst_window)
        try:
            # Files whose timestamps never have seconds (minute resolution) say nothing about the second clock.
            eng.create(
                "_au_files",
                """
                SELECT source.file AS file, max(CASE WHEN second(created_at) <> 0 THEN 1 ELSE 0 END) AS has_seconds
                FROM posts GROUP BY source.file
                """,
            )
            eng.create(
                "_au_posts",
                """
                SELECT p.account_id, CAST(floor(epoch(p.created_at)) AS BIGINT) AS ts, f.has_seconds,
                       CAST(floor(epoch(p.created_at)) AS BIGINT) - CAST(floor(epoch(lag(p.created_at) OVER (
                           PARTITION BY p.account_id ORDER BY p.created_at, p.post_id))) AS BIGINT) AS gap
                FROM posts p JOIN _au_files f ON p.source.file = f.file
                """,
            )
            base = {
                r[0]: r[1:]
                for r in eng.rows(
                    """
                    SELECT account_id, count(*) AS n, median(gap), avg(gap), stddev_pop(gap),
                           min(has_seconds) AS all_seconds, sum(has_seconds)
                    FROM _au_posts GROUP BY account_id
                    """
                )
            }
            assessed = f"(SELECT account_id FROM _au_posts GROUP BY account_id HAVING count(*) >= {self.min_posts})"
            periods = self._periods(eng, assessed)
            least = int(self.min_posts)
            seconds = _clock(
                eng, "CAST(ts % 60 AS INTEGER)", "ts", f"has_seconds = 1 AND account_id IN {assessed}", least
            )
            minutes = _clock(
                eng, "CAST(floor(ts / 60) % 60 AS INTEGER)", "floor(ts / 60)", f"account_id IN {assessed}", least
            )
            # Sliding windows: a post is in a burst when some window of burst_window seconds holding it holds
            # burst_size posts or more; a burst is a run of such posts, each within a window of the one before.
            size, last = int(self.burst_size), window - 1
            bursts = {
                r[0]: (int(r[1] or 0), int(r[2] or 0), int(r[3]))
                for r in eng.rows(
                    f"""
                    WITH w AS (
                        SELECT account_id, ts, count(*) OVER (
                            PARTITION BY account_id ORDER BY ts RANGE BETWEEN CURRENT ROW AND {last} FOLLOWING) AS c
                        FROM _au_posts WHERE account_id IN {assessed}
                    ),
                    m AS (
                        SELECT account_id, ts, c, max(c) OVER (
                            PARTITION BY account_id ORDER BY ts RANGE BETWEEN {last} PRECEDING AND CURRENT ROW
                        ) >= {size} AS inside
                        FROM w
                    ),
                    s AS (
                        SELECT account_id, inside, c,
                               inside AND NOT coalesce(
                                   lag(inside) OVER (PARTITION BY account_id ORDER BY ts)
                                   AND ts - lag(ts) OVER (PARTITION BY account_id ORDER BY ts) <= {last},
                                   FALSE
                               ) AS starts
                        FROM m
                    )
                    SELECT account_id, sum(CASE WHEN inside THEN 1 ELSE 0 END),
                           sum(CASE WHEN starts THEN 1 ELSE 0 END), max(c)
                    FROM s GROUP BY account_id
                    """
                )
            }
            busy = int(self.busy_day_posts)
            days = {
                r[0]: (float(r[1]), int(r[2]), int(r[3]), None if r[4] is None else float(r[4]))
                for r in eng.rows(
                    f"""
                    SELECT account_id, median(c), count(*), sum(CASE WHEN c >= {busy} THEN 1 ELSE 0 END),
                           median(CASE WHEN c >= {busy} THEN h END)
                    FROM (
                        SELECT account_id, floor(ts / 86400) AS d, count(*) AS c,
                               count(DISTINCT floor(ts / 3600)) AS h
                        FROM _au_posts WHERE account_id IN {assessed} GROUP BY account_id, d
                    ) q GROUP BY account_id
                    """
                )
            }
            clients = self._clients(eng, assessed)
        finally:
            eng.drop("_au_files", "_au_posts", "_au_periods")
        rows = []
        for account_id in sorted(base):
            n, median_gap, mean_gap, sd_gap, all_seconds, _ = base[account_id]
            if n < self.min_posts:
                rows.append(
                    account_row(self.name, account_id, None, None, f"only {n} posts (needs {self.min_posts})", posts=n)
                )
                continue
            rows.append(
                self._row(
                    account_id,
                    int(n),
                    float(median_gap),
                    float(sd_gap) / float(mean_gap) if mean_gap else None,
                    60 if not all_seconds else 1,
                    periods.get(account_id),
                    seconds.get(account_id),
                    minutes.get(account_id),
                    bursts[account_id],
                    days[account_id],
                    clients.get(account_id, {}),
                )
            )
        return pa.Table.from_pylist(rows, schema=SIGNALS)

    def _clients(self, eng: DuckDBEngine, assessed: str) -> dict[str, dict[str, int]]:
        """Per assessed account: posts per client, as named (none when ``posts`` has no client column)."""
        # Datasets ingested before posts.client existed have no such column: the component is left out.
        if "client" not in eng.arrow("SELECT * FROM posts LIMIT 0").column_names:
            return {}
        out: dict[str, dict[str, int]] = {}
        for account_id, client, n in eng.rows(
            f"""
            SELECT account_id, trim(client) AS c, count(*) FROM posts
            WHERE trim(client) <> '' AND account_id IN {assessed}
            GROUP BY account_id, trim(client)
            """
        ):
            out.setdefault(account_id, {})[client] = int(n)
        return out

    def _periods(self, eng: DuckDBEngine, assessed: str) -> dict[str, tuple[int, float, float]]:
        """Per account: (period, share of gaps at its multiples, chance share) of the period with most excess."""
        # Resolution per account: 60 s when any of its posts comes from a file without seconds.
        values = ", ".join(f"({p})" for p in PERIODS)
        eng.create(
            "_au_periods",
            f"""
            WITH g AS (
                SELECT account_id, gap, min(has_seconds) OVER (PARTITION BY account_id) AS seconds
                FROM _au_posts WHERE gap IS NOT NULL AND account_id IN {assessed}
            ),
            c AS (
                SELECT g.account_id, p.period, g.gap,
                       CASE WHEN g.seconds = 1 THEN 1 ELSE 60 END AS res
                FROM g CROSS JOIN (VALUES {values}) p(period)
            ),
            t AS (
                SELECT account_id, period, res, greatest(res, 2, CAST(round(0.01 * period) AS BIGINT)) AS tol,
                       count(*) AS gaps,
                       sum(CASE WHEN gap >= period - greatest(res, 2, CAST(round(0.01 * period) AS BIGINT))
                                 AND abs(gap - period * round(gap / period))
                                     <= greatest(res, 2, CAST(round(0.01 * period) AS BIGINT))
                                THEN 1 ELSE 0 END) AS hits
                FROM c GROUP BY account_id, period, res
            )
            SELECT account_id, period, hits / gaps AS share,
                   least(1.0, (2 * floor(tol / res) + 1) * res / period) AS chance
            FROM t
            """,
        )
        best: dict[str, tuple[int, float, float]] = {}
        for account_id, period, share, chance in eng.rows(
            f"""
            SELECT account_id, period, share, chance FROM (
                SELECT *, row_number() OVER (
                    PARTITION BY account_id ORDER BY round((share - chance) / (1 - chance), 3) DESC, period DESC) AS k
                FROM _au_periods WHERE chance < {_MAX_CHANCE}
            ) q WHERE k = 1
            """
        ):
            best[account_id] = (int(period), float(share), float(chance))
        return best

    def _row(
        self,
        account_id: str,
        n: int,
        median_gap: float,
        cv: float | None,
        resolution: int,
        period: tuple[int, float, float] | None,
        seconds: tuple[int, float, float] | None,
        minutes: tuple[int, float, float] | None,
        bursts: tuple[int, int, int],
        days: tuple[float, int, int, float | None],
        clients: dict[str, int],
    ) -> dict[str, Any]:
        components: dict[str, float] = {}
        phrases: dict[str, str] = {}
        info: dict[str, Any] = {
            "posts": n,
            "median_gap_s": round(median_gap, 1),
            "cv": None if cv is None else round(cv, 4),
            "resolution_s": resolution,
        }
        if cv is None:  # every post at one instant: no gaps to be regular about (bursts say the rest)
            head, regular = f"all {n} posts at {'one minute' if resolution == 60 else 'one second'}", 0.0
        else:
            head, regular = f"median gap {_duration(median_gap)} with CV {cv:.2f}", ramp(cv, 0.5, 0.1)
        excess = 0.0
        if period is not None:
            p, share, chance = period
            excess = max(0.0, (share - chance) / (1 - chance))
            info |= {"period_s": p, "period_share": round(share, 4), "period_chance": round(chance, 4)}
            if ramp(excess, 0.2, 0.7) > 0:
                phrases["regularity"] = (
                    f"{pct(share)} of gaps at whole multiples of {_duration(p)} (chance {pct(chance)})"
                )
        components["regularity"] = max(regular, ramp(excess, 0.2, 0.7))
        if regular > 0:
            head += " (scheduled)" if regular >= 0.5 else " (regular)"

        clock = 0.0
        for label, found, unit in (("second", seconds, "second"), ("minute", minutes, "minute")):
            if found is None:
                info |= {f"top_{label}": None, f"top_{label}_share": None, f"{label}_entropy": None}
                continue
            top, share, entropy = found
            info |= {f"top_{label}": top, f"top_{label}_share": round(share, 4), f"{label}_entropy": round(entropy, 4)}
            part = ramp(share, 0.15, 0.6)
            if part > 0:
                phrases[f"clock_{label}"] = f"{pct(share)} of posts at {unit} :{top:02d}"
            clock = max(clock, part)
        components["clock"] = clock

        burst_posts, burst_windows, most = bursts
        burst_share = burst_posts / n
        info |= {"burst_posts": burst_posts, "burst_windows": burst_windows, "max_in_window": most}
        # One spree is something people do; a machine bursts again and again.
        components["bursts"] = ramp(burst_share, 0.05, 0.5) * min(1.0, burst_windows / _REPEATED_BURSTS)
        if components["bursts"] > 0:
            phrases["bursts"] = (
                f"{pct(burst_share)} of posts in {burst_windows} bursts of {self.burst_size}+ within "
                f"{_duration(self.burst_window)} (up to {most})"
            )

        per_day, active_days, busy_days, busy_hours = days
        info |= {"posts_per_day": per_day, "active_days": active_days, "busy_days": busy_days}
        components["volume"] = ramp(per_day, self.volume_from, self.volume_full)
        if components["volume"] > 0:
            phrases["volume"] = f"median {per_day:g} posts per active day over {active_days} days"

        info["hours_per_busy_day"] = busy_hours
        if busy_hours is not None and busy_days >= self.min_days:
            components["sleepless"] = ramp(busy_hours, 18, 23)
            if components["sleepless"] > 0:
                phrases["sleepless"] = (
                    f"active {busy_hours:g} h/day (median over {busy_days} days of {self.busy_day_posts}+ posts)"
                )

        self._client(clients, components, phrases, info)

        best = max(components, key=lambda c: (components[c], c))
        info |= {
            "component": best if components[best] > 0 else None,
            "components": {c: round(v, 4) for c, v in components.items()},
        }
        ordered = sorted(phrases, key=lambda c: -components[c.split("_")[0]])
        evidence = "; ".join([head, *(phrases[c] for c in ordered)])
        if not phrases and components[best] == 0:
            evidence += f"; no sign of automation in {n} posts"
        value = None if cv is None else round(cv, 4)
        return account_row(self.name, account_id, round(components[best], 4), value, evidence, **info)

    def _client(
        self, clients: dict[str, int], components: dict[str, float], phrases: dict[str, str], info: dict[str, Any]
    ) -> None:
        """The client component from posts per client (adds to *components*, *phrases* and *info*)."""
        total = sum(clients.values())
        ranked = sorted(clients.items(), key=lambda kv: (-kv[1], kv[0]))
        services = [(name, n, kind) for name, n in ranked if (kind := client_kind(name)) is not None]
        shares = {k: sum(n for _, n, kind in services if kind == k) / total if total else None for k in _KINDS}
        info |= {
            "client_posts": total,
            "top_client": ranked[0][0] if ranked else None,
            "top_client_share": round(ranked[0][1] / total, 4) if ranked else None,
            "automation_share": None if shares["automation"] is None else round(shares["automation"], 4),
            "scheduling_share": None if shares["scheduling"] is None else round(shares["scheduling"], 4),
            "services": {name: n for name, n, _ in services},
        }
        if total < self.min_client_posts:
            return
        auto, scheduled = shares["automation"] or 0.0, shares["scheduling"] or 0.0
        components["client"] = max(
            ramp(auto, _CLIENT_FROM, _CLIENT_FULL), 0.5 * ramp(auto + scheduled, _CLIENT_FROM, _CLIENT_FULL)
        )
        if components["client"] > 0:
            parts = [
                f"{pct(n / total)}{f' of {total} posts' if i == 0 else ''} via {name} ({kind} service)"
                for i, (name, n, kind) in enumerate(services[:3])
            ]
            phrases["client"] = ", ".join(parts)


def client_kind(name: str) -> str | None:
    """``automation`` or ``scheduling`` when the client *name* is a listed service, else None."""
    key = name.strip().lower().removesuffix(".")
    if key in AUTOMATION_CLIENTS:
        return "automation"
    return "scheduling" if key in SCHEDULING_CLIENTS else None


def _clock(
    eng: DuckDBEngine, bin_sql: str, unit_sql: str, where: str, least: int
) -> dict[str, tuple[int, float, float]]:
    """Per account: (most used bin, its share, normalised entropy) of the 60 bins *bin_sql* gives.

    Counted over distinct *unit_sql* values (distinct minutes for the minute of the hour), so that a burst of
    posts within one minute counts once; accounts with fewer than *least* of them are left out.
    """
    out: dict[str, tuple[int, float, float]] = {}
    for account_id, top, share, entropy in eng.rows(
        f"""
        SELECT account_id, arg_max(b, c * 100 - b), max(c) / sum(c),
               (ln(sum(c)) - sum(c * ln(c)) / sum(c)) / ln(60)
        FROM (
            SELECT account_id, b, count(*) AS c FROM (
                SELECT DISTINCT account_id, {unit_sql} AS u, {bin_sql} AS b FROM _au_posts WHERE {where}
            ) d GROUP BY account_id, b
        ) q
        GROUP BY account_id HAVING sum(c) >= {int(least)}
        """
    ):
        out[account_id] = (int(top), float(share), float(entropy))
    return out


def _duration(seconds: float) -> str:
    """``300 s``, ``15 min``, ``6 h``, ``1 d`` (whole units when exact)."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and (seconds % size == 0 or seconds >= 10 * size):
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s" if math.isclose(seconds, round(seconds)) else f"{seconds:.1f} s"
