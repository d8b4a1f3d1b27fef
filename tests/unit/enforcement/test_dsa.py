"""The DSA statement-of-reasons vocabulary (v2 schema, in force since 1 July 2025) and its checks."""

from __future__ import annotations

import pytest

from overt.enforcement import dsa


def test_v2_sets_have_the_commissions_values() -> None:
    assert len(dsa.CATEGORIES) == 16
    assert "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN" in dsa.CATEGORIES
    assert "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE" not in dsa.CATEGORIES
    assert set(dsa.DECISION_VISIBILITY) == {
        "DECISION_VISIBILITY_CONTENT_REMOVED",
        "DECISION_VISIBILITY_CONTENT_DISABLED",
        "DECISION_VISIBILITY_CONTENT_DEMOTED",
        "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
        "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
        "DECISION_VISIBILITY_CONTENT_LABELLED",
        "DECISION_VISIBILITY_OTHER",
    }
    assert set(dsa.SOURCE_TYPE) == {
        "SOURCE_ARTICLE_16",
        "SOURCE_TRUSTED_FLAGGER",
        "SOURCE_TYPE_OTHER_NOTIFICATION",
        "SOURCE_VOLUNTARY",
    }
    assert len(dsa.CONTENT_TYPES) == 8 and len(dsa.DECISION_PROVISIONS) == 4 and len(dsa.DECISION_ACCOUNTS) == 2
    # Every category has a group (possibly empty), and no keyword is in two groups.
    assert set(dsa.KEYWORDS_BY_CATEGORY) == dsa.CATEGORIES
    grouped = [k for group in dsa.KEYWORDS_BY_CATEGORY.values() for k in group]
    assert len(grouped) == len(set(grouped))
    assert len(dsa.KEYWORDS) == len(grouped) + 2  # + KEYWORD_OTHER and the ungrouped KEYWORD_STALKING
    assert not dsa.KEYWORDS & set(dsa.RETIRED_KEYWORDS)
    assert not dsa.CATEGORIES & set(dsa.RETIRED_CATEGORIES)


def test_eea_has_thirty_countries_with_gr_for_greece() -> None:
    assert len(dsa.EU_COUNTRIES) == 27 and len(dsa.EEA_COUNTRIES) == 30
    assert "GR" in dsa.EU_COUNTRIES and "EL" not in dsa.EEA_COUNTRIES
    assert {"IS", "LI", "NO"} == dsa.EEA_COUNTRIES - dsa.EU_COUNTRIES


def test_every_retired_value_points_to_a_current_one() -> None:
    for retired in [*dsa.RETIRED_KEYWORDS.values(), *dsa.RETIRED_CATEGORIES.values()]:
        assert retired.replacement is None or retired.replacement in dsa.KEYWORDS | dsa.CATEGORIES


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "KEYWORD_DISINFORMATION",
            "KEYWORD_DISINFORMATION was replaced by KEYWORD_MISINFORMATION_DISINFORMATION on 1 July 2025",
        ),
        (
            "KEYWORD_GENDER_BASED_VIOLENCE",
            "KEYWORD_GENDER_BASED_VIOLENCE was removed from the DSA schema on 1 July 2025",
        ),
        ("KEYWORD_PHISING", "unknown DSA keyword 'KEYWORD_PHISING' (did you mean 'KEYWORD_PHISHING'?)"),
        ("KEYWORD_PHISHING", None),
    ],
)
def test_check_keyword(value: str, expected: str | None) -> None:
    assert dsa.check_keyword(value) == expected


def test_check_category() -> None:
    assert dsa.check_category("STATEMENT_CATEGORY_VIOLENCE") is None
    assert dsa.check_category("STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS") == (
        "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS was replaced by "
        "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS on 1 July 2025"
    )
    assert "did you mean 'STATEMENT_CATEGORY_SELF_HARM'" in (dsa.check_category("STATEMENT_CATEGORY_SELFHARM") or "")


def test_check_category_keywords() -> None:
    civic = "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"
    assert dsa.check_category_keywords(civic, ["KEYWORD_MISINFORMATION_DISINFORMATION", "KEYWORD_OTHER"]) == []
    assert dsa.check_category_keywords(civic, ["KEYWORD_INAUTHENTIC_ACCOUNTS", "KEYWORD_MISINFORMATION"]) == [
        f"KEYWORD_INAUTHENTIC_ACCOUNTS specifies STATEMENT_CATEGORY_SCAMS_AND_FRAUD, not {civic}",
        "KEYWORD_MISINFORMATION was replaced by KEYWORD_MISINFORMATION_DISINFORMATION on 1 July 2025",
    ]
    assert dsa.check_category_keywords(civic, ["KEYWORD_OTHER", "KEYWORD_OTHER"]) == [
        "keyword KEYWORD_OTHER is listed twice"
    ]
    assert dsa.check_category_keywords("STATEMENT_CATEGORY_CYBER_VIOLENCE", ["KEYWORD_STALKING"]) == [
        "KEYWORD_STALKING belongs to no v2 category; use KEYWORD_CYBER_STALKING or KEYWORD_OTHER"
    ]
    # An unknown category is reported once; its keywords are not compared with it.
    problems = dsa.check_category_keywords("STATEMENT_CATEGORY_NOPE", ["KEYWORD_PHISHING"])
    assert len(problems) == 1 and problems[0].startswith("unknown DSA category 'STATEMENT_CATEGORY_NOPE'")
    assert dsa.category_of("KEYWORD_NUDITY") == "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
    assert dsa.category_of("KEYWORD_OTHER") is None


def test_check_territorial_scope() -> None:
    assert dsa.check_territorial_scope(["DE", "NO"]) == []
    assert dsa.check_territorial_scope(["EL", "US", "DE", "DE"]) == [
        "the DSA database uses GR for Greece, not EL",
        "US is not an EEA country",
        "country DE is listed twice",
    ]
    assert dsa.check_territorial_scope([]) == ["territorial_scope needs at least one EEA country"]


def test_end_date_fields_pair_with_decision_fields() -> None:
    assert dsa.END_DATE_FIELD["decision_provision"] == "end_date_service_restriction"
    assert dsa.DECISION_FIELDS == ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")
