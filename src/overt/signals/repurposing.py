"""``repurposing``: accounts that fall silent and come back as someone else, or that wait years for a first post.

Operations buy or keep aged accounts: an account with a past looks more credible than a fresh one. Takedown
archives show the pattern: an account posts about fitness or in Russian, goes quiet for months, and returns posting
US politics in English; or an account created in 2013 posts for the first time in 2016.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from overt.signals.base import SIGNALS, Signal, account_row
from overt.signals.language_mismatch import lang_mix, lang_table, ramp

if TYPE_CHECKING:
    from overt.engine import DuckDBEngine

_DAY = 86400
#: Below this similarity between the two halves of one side, an account's topics are too scattered (or its
#: posts too few) for a change across the silence to mean anything.
_MIN_WITHIN = 0.1
#: Link shorteners say nothing about a topic (the FiveThirtyEight IRA data has only t.co links).
_SHORTENERS = ", ".join(
    f"'{d}'"
    for d in ("t.co", "bit.ly", "ow.ly", "goo.gl", "tinyurl.com", "dlvr.it", "ift.tt", "buff.ly", "fb.me", "is.gd")
)


@dataclass(kw_only=True)
class Repurposing(Signal):
    """Dormancy followed by a change of language or topic, and accounts created long before their first post.

    Components, each in [0, 1]; the score is the largest:

    - **dormancy**: the longest silence of at least ``min_gap_days`` between two posts that has at least
      ``min_side_posts`` posts on each side. The change across it is the larger of the **language change** (total
      variation distance between the before and after language mixes: the share of posts that would have to
      change language, 0-1; all posts count, reposts included: what an account is used to push changes too) and
      ``topic_weight`` x the **topic change**. Topics are compared on TF-IDF term
      vectors: hashtags, mentions, linked domains (not link shorteners) and words of four characters or more
      (Chinese and Japanese: single characters), with document frequencies from a random sample of ``idf_sample``
      posts of the dataset, so that words every post uses and the collection's own keywords weigh little. Each
      side is cut into two interleaved halves (odd and even posts); the similarity *across* the silence (mean
      cosine of before-halves with after-halves) is measured against the similarity *within* a side (mean cosine
      of each side's two halves), since short or scattered timelines are unalike everywhere. The topic change
      ramps the ratio across/within from ``max_topic_ratio`` (0) down to 0 (1); it is not assessed when a side
      has fewer than ``min_terms`` term uses or the within-side similarity is below 0.1. The change is multiplied
      by ``min(1, gap / (2 x min_gap_days))``: a silence of twice the minimum counts fully.
    - **aged**: days from the account's creation (``accounts.created_at``) to its first post, when at least
      ``aged_days``: ``aged_weight x min(1, days / (2 x aged_days))``. Only assessed when the account was created
      after the dataset's first post: before that the data cannot tell silence from posts it never collected.

    Handle history: the canonical model keeps one handle per account (the latest), so a change of handle, the
    third repurposing tell in the takedown reports, cannot be seen here. A dataset with handle history needs a
    schema change (e.g. ``posts.handle``, the handle at posting time) before this signal can use it.

    Parameters
    ----------
    min_gap_days:
        Shortest silence (days between consecutive posts) that counts as dormancy.
    min_side_posts:
        Posts needed before and after the silence to compare them.
    topic_weight, max_topic_ratio:
        Weight of a topic change against a language change (so a topic change alone scores at most this), and the
        across/within similarity ratio at which a topic change counts for nothing.
    min_terms, idf_sample:
        Term uses each side needs for a topic comparison, and how many posts (a random sample) the document
        frequencies are counted on.
    aged_days, aged_weight:
        Shortest creation-to-first-post silence that counts, and the most an aged account alone can score.

    ``value``: days of the silence behind the score (the dormancy gap, or creation to first post); without a
    sign, the longest silence seen (days).

    ``details`` keys: ``posts``, ``first_post``, ``last_post``, ``longest_gap_days``, ``gap`` (``from``, ``to``,
    ``days``, ``before_posts``, ``after_posts``, ``before_langs``, ``after_langs``, ``language_change``,
    ``topic_similarity`` (across), ``topic_similarity_within`` (null when not comparable), ``before_top``,
    ``after_top`` (the three heaviest terms); null when no silence qualifies), ``created_at``, ``aged_days`` (null
    when not assessable), ``component``, ``components``.

    Shows: accounts handed from one job to another (a Russian-language account that returns in English; a
    fitness spam account that returns political) and aged accounts that sat unused until a campaign needed them.
    Cannot show: a change of handle (see above), a change of owner without a change of language or topic, or
    dormancy outside the collection. False positives: people who take a break and come back to a new interest
    (hashtags follow events, so topics drift over long silences: the topic component is weighted below the
    language one), emigrants, accounts that lurk for years before posting (common: the aged component alone stays
    at most ``aged_weight``). Keyword or sampled collections show only the posts they caught: a "silence" there may
    be posts about other things, so use this signal on full timelines (takedown archives, user timelines).
    Repurposing is a property of account histories, not of state backing: bought accounts also serve spam.

    Source: Twitter's 2018 IRA and Iran archives and DFRLab analyses of them (aged, renamed and repurposed
    accounts); Linvill & Warren, "Troll factories" (2020).
    """

    name: ClassVar[str] = "repurposing"

    min_gap_days: float = 90
    min_side_posts: int = 5
    topic_weight: float = 0.7
    max_topic_ratio: float = 0.35
    min_terms: int = 5
    idf_sample: int = 100_000
    aged_days: float = 180
    aged_weight: float = 0.5

    def __post_init__(self) -> None:
        if self.min_gap_days <= 0 or self.aged_days <= 0:
            raise ValueError("repurposing: min_gap_days and aged_days must be positive")
        if self.min_side_posts < 1 or self.min_terms < 1 or self.idf_sample < 1:
            raise ValueError("repurposing: min_side_posts, min_terms and idf_sample must be at least 1")
        for label, x in (
            ("topic_weight", self.topic_weight),
            ("aged_weight", self.aged_weight),
            ("max_topic_ratio", self.max_topic_ratio),
        ):
            if not 0 <= x <= 1 or (label == "max_topic_ratio" and x == 0):
                raise ValueError(f"repurposing: {label} must be in [0, 1], not {x!r}")

    def accounts(self, eng: DuckDBEngine) -> pa.Table:
        gap_s, side = float(self.min_gap_days) * _DAY, int(self.min_side_posts)
        try:
            eng.create(
                "_rp_seq",
                """
                SELECT account_id, created_at,
                       epoch(created_at) - epoch(lag(created_at) OVER (
                           PARTITION BY account_id ORDER BY created_at, post_id)) AS gap,
                       row_number() OVER (PARTITION BY account_id ORDER BY created_at, post_id) AS rn,
                       count(*) OVER (PARTITION BY account_id) AS n
                FROM posts
                """,
            )
            # The silence compared: the longest one with enough posts on both sides (ties: the earliest).
            eng.create(
                "_rp_split",
                f"""
                SELECT account_id, back_at, gap, rn - 1 AS before_posts, n - rn + 1 AS after_posts FROM (
                    SELECT account_id, created_at AS back_at, gap, rn, n,
                           row_number() OVER (PARTITION BY account_id ORDER BY gap DESC, rn) AS k
                    FROM _rp_seq
                    WHERE gap >= {gap_s} AND rn - 1 >= {side} AND n - rn + 1 >= {side}
                ) q WHERE k = 1
                """,
            )
            summary = eng.rows(
                """
                WITH s AS (
                    SELECT account_id, count(*) AS n, min(created_at) AS first_at, max(created_at) AS last_at,
                           coalesce(max(gap), 0) AS longest
                    FROM _rp_seq GROUP BY account_id
                ),
                a AS (
                    SELECT account_id, min(created_at) AS created_at FROM accounts
                    WHERE account_id IN (SELECT account_id FROM s) GROUP BY account_id
                )
                SELECT s.account_id, s.n, s.first_at, s.last_at, s.longest, a.created_at,
                       a.created_at >= (SELECT min(created_at) FROM posts) AS covered
                FROM s LEFT JOIN a ON s.account_id = a.account_id
                ORDER BY s.account_id
                """
            )
            gaps = self._gaps(eng)
        finally:
            eng.drop("_rp_seq", "_rp_split", "_rp_lang", "_rp_side", "_rp_idf", "_rp_terms")
        rows = [self._row(*r, gap=gaps.get(r[0])) for r in summary]
        return pa.Table.from_pylist(rows, schema=SIGNALS)

    def _gaps(self, eng: DuckDBEngine) -> dict[str, dict[str, Any]]:
        """Before/after comparison for every account with a qualifying silence."""
        if not eng.scalar("SELECT count(*) FROM _rp_split"):
            return {}
        lang_table(eng, "_rp_lang")
        # Each side is cut in two interleaved halves (odd and even posts): how alike the halves of one side are is
        # the yardstick for how alike the two sides are. Short or scattered timelines are unalike everywhere.
        eng.create(
            "_rp_side",
            """
            SELECT p.account_id, p.created_at >= s.back_at AS after, m.code AS lang,
                   row_number() OVER (
                       PARTITION BY p.account_id, p.created_at >= s.back_at ORDER BY p.created_at, p.post_id
                   ) % 2 AS half,
                   p.hashtags, p.domains, p.mentions, p.text
            FROM posts p JOIN _rp_split s ON p.account_id = s.account_id
            LEFT JOIN _rp_lang m ON p.lang = m.raw
            """,
        )
        langs: dict[tuple[str, bool], dict[str, int]] = {}
        for account_id, after, lang, c in eng.rows(
            "SELECT account_id, after, lang, count(*) FROM _rp_side WHERE lang IS NOT NULL GROUP BY ALL"
        ):
            langs.setdefault((account_id, bool(after)), {})[lang] = int(c)
        # Term weights: TF-IDF, with document frequencies from a sample of all posts, so that words every post
        # uses ("that", "with") and the collection's own keywords weigh little.
        # The sample is drawn by a hash of the post id, so that a rerun gives the same scores.
        total = int(eng.scalar("SELECT count(*) FROM posts"))
        keep = min(1_000_000, -(-1_000_000 * int(self.idf_sample) // total))
        sampled = f"(SELECT * FROM posts WHERE hash(post_id) % 1000000 < {keep})"
        eng.create(
            "_rp_idf",
            f"""
            SELECT term, count(DISTINCT post_id) AS df FROM ({_terms(sampled, "post_id")}) t GROUP BY term
            """,
        )
        docs = int(eng.scalar(f"SELECT count(*) FROM {sampled} s"))
        parts = "(SELECT *, CAST(after AS INTEGER) * 2 + half AS part FROM _rp_side)"
        eng.create(
            "_rp_terms",
            f"""
            SELECT t.account_id, t.part, t.term, t.c, t.c * ln(({docs} + 1.0) / (coalesce(i.df, 0) + 1.0)) AS w
            FROM (
                SELECT account_id, part, term, count(*) AS c FROM ({_terms(parts, "account_id, part")}) u
                GROUP BY account_id, part, term
            ) t LEFT JOIN _rp_idf i ON t.term = i.term
            """,
        )
        # parts: 0 and 1 the halves before the silence, 2 and 3 the halves after it
        norms: dict[str, dict[int, tuple[float, int]]] = {}
        for account_id, part, norm, uses in eng.rows(
            "SELECT account_id, part, sqrt(sum(w * w)), sum(c) FROM _rp_terms GROUP BY account_id, part"
        ):
            norms.setdefault(account_id, {})[int(part)] = (float(norm), int(uses))
        dots: dict[str, dict[tuple[int, int], float]] = {}
        for account_id, p1, p2, dot in eng.rows(
            """
            SELECT x.account_id, x.part, y.part, sum(x.w * y.w)
            FROM _rp_terms x JOIN _rp_terms y ON x.account_id = y.account_id AND x.term = y.term AND x.part < y.part
            GROUP BY x.account_id, x.part, y.part
            """
        ):
            dots.setdefault(account_id, {})[(int(p1), int(p2))] = float(dot)
        top: dict[tuple[str, bool], list[str]] = {}
        for account_id, after, term in eng.rows(
            """
            SELECT account_id, after, term FROM (
                SELECT account_id, after, term, row_number() OVER (
                    PARTITION BY account_id, after ORDER BY w DESC, term) AS k
                FROM (SELECT account_id, part >= 2 AS after, term, sum(w) AS w FROM _rp_terms GROUP BY ALL) s
                WHERE w > 0
            ) q WHERE k <= 3 ORDER BY account_id, after, k
            """
        ):
            top.setdefault((account_id, bool(after)), []).append(term)
        out: dict[str, dict[str, Any]] = {}
        for account_id, back_at, gap, before_posts, after_posts in eng.rows(
            "SELECT s.account_id, s.back_at, s.gap, s.before_posts, s.after_posts FROM _rp_split s"
        ):
            before, after = langs.get((account_id, False), {}), langs.get((account_id, True), {})
            change = None
            if sum(before.values()) >= self.min_side_posts and sum(after.values()) >= self.min_side_posts:
                b = {k: v / sum(before.values()) for k, v in before.items()}
                a = {k: v / sum(after.values()) for k, v in after.items()}
                change = 0.5 * sum(abs(b.get(k, 0.0) - a.get(k, 0.0)) for k in set(b) | set(a))
            across, within = self._topic(norms.get(account_id, {}), dots.get(account_id, {}))
            out[account_id] = {
                "to": back_at,
                "seconds": float(gap),
                "before_posts": int(before_posts),
                "after_posts": int(after_posts),
                "before_langs": {k: round(v / sum(before.values()), 4) for k, v in before.items()},
                "after_langs": {k: round(v / sum(after.values()), 4) for k, v in after.items()},
                "language_change": None if change is None else round(change, 4),
                "topic_similarity": None if across is None else round(across, 4),
                "topic_similarity_within": None if within is None else round(within, 4),
                "before_top": top.get((account_id, False), []),
                "after_top": top.get((account_id, True), []),
            }
        return out

    def _topic(
        self, norms: dict[int, tuple[float, int]], dots: dict[tuple[int, int], float]
    ) -> tuple[float | None, float | None]:
        """(mean similarity of halves across the silence, mean similarity of halves within a side), or Nones."""
        if any(norms.get(p, (0.0, 0))[0] == 0 for p in range(4)):
            return None, None
        if min(norms[0][1] + norms[1][1], norms[2][1] + norms[3][1]) < self.min_terms:
            return None, None

        def sim(p: int, q: int) -> float:
            return dots.get((p, q), 0.0) / (norms[p][0] * norms[q][0])

        within = (sim(0, 1) + sim(2, 3)) / 2
        across = (sim(0, 2) + sim(0, 3) + sim(1, 2) + sim(1, 3)) / 4
        if within < _MIN_WITHIN:
            return across, None
        return across, within

    def _row(
        self,
        account_id: str,
        n: int,
        first_at: datetime,
        last_at: datetime,
        longest: float,
        created_at: datetime | None,
        covered: bool | None,
        *,
        gap: dict[str, Any] | None,
    ) -> dict[str, Any]:
        info: dict[str, Any] = {
            "posts": n,
            "first_post": _day(first_at),
            "last_post": _day(last_at),
            "longest_gap_days": round(longest / _DAY, 1),
            "gap": None,
            "created_at": _day(created_at) if created_at else None,
            "aged_days": None,
        }
        components: dict[str, float] = {}
        values: dict[str, float] = {}
        phrases: list[str] = []
        side = self.min_side_posts
        if gap is not None:
            days = gap["seconds"] / _DAY
            gone_at = gap["to"] - timedelta(seconds=gap["seconds"])
            info["gap"] = {
                "from": _day(gone_at),
                "to": _day(gap["to"]),
                "days": round(days, 1),
                **{k: v for k, v in gap.items() if k not in ("to", "seconds")},
            }
            changes = []
            if gap["language_change"] is not None:
                changes.append(gap["language_change"])
            across, within = gap["topic_similarity"], gap["topic_similarity_within"]
            if across is not None and within is not None:
                topic = ramp(min(1.0, across / within), self.max_topic_ratio, 0.0)
                changes.append(self.topic_weight * topic)
                similarity = f" (topic similarity {across:.2f} across the silence, {within:.2f} within each side)"
            elif across is not None:
                similarity = f" (topics not comparable: similarity within each side only {within or 0:.2f})"
            else:
                similarity = " (too few terms to compare topics)"
            phrases.append(
                f"silent {_day(gone_at)} → {_day(gap['to'])} ({round(days)} days); "
                f"before: {_side(gap['before_langs'], gap['before_top'], gap['before_posts'])}; "
                f"after: {_side(gap['after_langs'], gap['after_top'], gap['after_posts'])}{similarity}"
            )
            if changes:
                components["dormancy"] = min(1.0, days / (2 * self.min_gap_days)) * max(changes)
                values["dormancy"] = days
        elif longest >= self.min_gap_days * _DAY:
            phrases.append(
                f"longest silence {round(longest / _DAY)} days, without {side} posts on each side of it to compare"
            )
        elif n >= 2 * side:
            components["dormancy"] = 0.0
            values["dormancy"] = longest / _DAY
            phrases.append(
                f"no silence of {_num(self.min_gap_days)}+ days in {n} posts "
                f"({_day(first_at)} to {_day(last_at)}; longest {_num(round(longest / _DAY, 1))} days)"
            )
        else:
            phrases.append(f"only {n} posts (needs {2 * side} around a silence)")

        if created_at is not None and covered:
            aged = max(0.0, (first_at - created_at).total_seconds() / _DAY)
            info["aged_days"] = round(aged, 1)
            components["aged"] = (
                self.aged_weight * min(1.0, aged / (2 * self.aged_days)) if aged >= self.aged_days else 0.0
            )
            values["aged"] = aged
            if aged >= self.aged_days:
                phrases.append(f"created {_day(created_at)}, first post {_day(first_at)} ({round(aged)} days later)")
        elif created_at is not None:
            info["aged_days"] = None
        info["components"] = {k: round(v, 4) for k, v in components.items()}
        if not components:
            info["component"] = None
            return account_row(self.name, account_id, None, None, "; ".join(phrases), **info)
        best = max(components, key=lambda k: (components[k], k))
        info["component"] = best if components[best] > 0 else None
        value = values[best] if components[best] > 0 else longest / _DAY
        if best == "aged" and components["aged"] > 0:
            phrases.reverse()
        return account_row(
            self.name, account_id, round(components[best], 4), round(value, 1), "; ".join(phrases), **info
        )


def _terms(source: str, keys: str) -> str:
    """SQL: one row (*keys*, ``term``) per term use in the posts of *source*.

    Terms: hashtags (``#``), mentions (``@``), linked domains other than link shorteners, and the words of the
    text (links, hashtags and mentions taken out) of four characters or more; Chinese and Japanese script, written
    without spaces, counts character by character.
    """
    cjk = "\\p{Han}\\p{Hiragana}\\p{Katakana}"
    words = (
        "regexp_split_to_array(regexp_replace(regexp_replace(lower(text), '(https?://|[#@])\\S*', ' ', 'g'), "
        f"'([{cjk}])', ' \\1 ', 'g'), '[^\\p{{L}}\\p{{N}}_]+')"
    )
    return f"""
        SELECT {keys}, '#' || unnest(hashtags) AS term FROM {source}
        UNION ALL SELECT {keys}, '@' || unnest(mentions) AS term FROM {source}
        UNION ALL SELECT {keys}, term FROM (SELECT {keys}, unnest(domains) AS term FROM {source}) d
            WHERE term NOT IN ({_SHORTENERS})
        UNION ALL SELECT {keys}, term FROM (
            SELECT {keys}, unnest({words}) AS term FROM {source} WHERE text IS NOT NULL
        ) w WHERE length(term) >= 4 OR regexp_matches(term, '^[{cjk}]$')
    """


def _day(t: datetime) -> str:
    return t.strftime("%Y-%m-%d")


def _num(x: float) -> str:
    return f"{x:g}"


def _side(langs: dict[str, float], top: list[str], posts: int) -> str:
    """``"88% en, #fitness #gym"`` for one side of a silence."""
    parts = [lang_mix(langs, top=2) if langs else "no language"]
    if top:
        parts.append(" ".join(top))
    return ", ".join(parts) + f" ({posts} posts)"
