"""Market codes: ISO countries (checked against GeoNames), EU, EEA and GLOBAL; DSA territorial scope."""

from __future__ import annotations

import pytest

from overt.enforcement import markets


def test_regions_expand_to_their_members() -> None:
    assert len(markets.expand("EU")) == 27
    assert markets.expand("EEA") == markets.expand("EU") | {"IS", "LI", "NO"}
    assert markets.expand("DE") == {"DE"}
    everywhere = markets.expand("GLOBAL")
    assert len(everywhere) > 240 and {"US", "CN", "RU", "GB", "NO"} <= everywhere
    assert markets.expand("EEA") <= everywhere


def test_covers_and_within() -> None:
    assert markets.covers("EU", "FR") and not markets.covers("EU", "NO") and markets.covers("EEA", "NO")
    assert markets.covers("GLOBAL", "BR") and markets.covers("BR", "BR") and not markets.covers("BR", "AR")
    assert markets.within("DE", ["EU"]) and markets.within("EU", ["EEA"]) and not markets.within("EEA", ["EU"])
    assert markets.within("EU", ["GLOBAL"]) and not markets.within("GLOBAL", ["EU", "US"])


def test_names() -> None:
    assert markets.name("DE") == "Germany"
    assert markets.name("GR") == "Greece"
    assert markets.name("EU").startswith("European Union")
    with pytest.raises(ValueError, match="unknown market 'QQ'"):
        markets.name("QQ")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("DE", None),
        ("GLOBAL", None),
        ("de", "market codes are upper case: 'DE', not 'de'"),
        ("EL", "'EL' is not an ISO 3166-1 code; use 'GR'"),
        ("UK", "'UK' is not an ISO 3166-1 code; use 'GB'"),
        ("Norway", "unknown market 'Norway' (did you mean 'NO', Norway?)"),
        ("ZZ", "unknown market 'ZZ'"),
        (7, "a market code must be text, not 7"),
    ],
)
def test_check(code: object, expected: str | None) -> None:
    problem = markets.check(code)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and problem.startswith(expected)


def test_dsa_territorial_scope_keeps_eea_countries_only() -> None:
    assert markets.dsa_territorial_scope(["DE", "US"]) == ["DE"]
    assert markets.outside_eea(["DE", "US"]) == ["US"]
    assert markets.dsa_territorial_scope(["US", "CA"]) == []  # nothing to submit to the DSA database
    global_scope = markets.dsa_territorial_scope(["GLOBAL"])
    assert len(global_scope) == 30 and global_scope == sorted(global_scope)
    # Outside the home market: the home country is excluded, non-EEA homes change nothing in the DSA scope.
    assert "DE" not in markets.dsa_territorial_scope(["GLOBAL"], excluding=["DE"])
    assert len(markets.dsa_territorial_scope(["GLOBAL"], excluding=["DE"])) == 29
    assert len(markets.dsa_territorial_scope(["GLOBAL"], excluding=["RU"])) == 30
    assert markets.dsa_territorial_scope(["EEA"], excluding=["EU"]) == ["IS", "LI", "NO"]
