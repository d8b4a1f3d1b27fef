"""The designation record: well-formedness, completeness for approval, canonical hash and readable diffs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from overt.enforcement.designations import (
    DEFAULT_APPEAL_ROUTE,
    Designation,
    approval_gaps,
    canonical_json,
    content_hash,
    diff,
)
from overt.enforcement.designations.countries import code_for, country_name, suggestion
from overt.enforcement.designations.model import normalise_domain

SOURCE = {"title": "Registry", "url": "https://example.org/registry"}


def record(**fields: Any) -> Designation:
    base: dict[str, Any] = {
        "id": "ru-rt-international",
        "kind": "state_controlled_media",
        "entity": "RT International",
        "country": "RU",
        "domains": ["rt.com"],
        "evidence": {"ownership": {"finding": "indicates_state_control", "sources": [SOURCE]}},
    }
    base.update(fields)
    return Designation.model_validate(base)


def errors(**fields: Any) -> list[tuple[tuple[Any, ...], str, str]]:
    with pytest.raises(ValidationError) as caught:
        record(**fields)
    return [(item["loc"], item["type"], item["msg"]) for item in caught.value.errors()]


# -- well-formed -------------------------------------------------------------------------------------------------


def test_domains_and_handles_are_normalised_and_sorted() -> None:
    d = record(
        domains=["https://WWW.Swentr.site/news?x=1", "RT.com.", "89.191.237.192"],
        accounts=[{"platform": "Twitter", "handle": "@RT_com"}, {"platform": "telegram", "account_id": 1036362176}],
        country="ru",
    )
    assert d.domains == ("89.191.237.192", "rt.com", "swentr.site")
    assert [(a.platform, a.handle, a.account_id) for a in d.accounts] == [
        ("telegram", None, "1036362176"),
        ("twitter", "rt_com", None),
    ]
    assert d.country == "RU"


@pytest.mark.parametrize("value", ["not a domain", "localhost", "http://", "a..b", "rt.123"])
def test_bad_domains_are_refused(value: str) -> None:
    assert normalise_domain(value) is None
    [(loc, kind, _)] = errors(domains=["rt.com", value])
    assert (loc, kind) == (("domains", 1), "domain")


def test_duplicate_domains_after_normalisation_are_refused() -> None:
    [(loc, kind, msg)] = errors(domains=["rt.com", "https://www.rt.com/"])
    assert (loc, kind) == (("domains",), "duplicate")
    assert "rt.com" in msg


def test_duplicate_accounts_by_handle_or_id_are_refused() -> None:
    [(_, kind, msg)] = errors(
        accounts=[{"platform": "twitter", "handle": "RT"}, {"platform": "twitter", "handle": "@rt"}]
    )
    assert kind == "duplicate" and "twitter handle 'rt'" in msg
    [(_, kind, _)] = errors(
        accounts=[{"platform": "vk", "handle": "a", "account_id": "1"}, {"platform": "vk", "account_id": 1}]
    )
    assert kind == "duplicate"
    # The same handle on two platforms is two accounts.
    assert len(record(accounts=[{"platform": "vk", "handle": "rt"}, {"platform": "ok", "handle": "rt"}]).accounts) == 2


def test_an_account_needs_a_handle_or_an_id() -> None:
    [(loc, kind, _)] = errors(accounts=[{"platform": "twitter"}])
    assert (loc, kind) == (("accounts", 0), "account")
    [(loc, kind, _)] = errors(accounts=[{"platform": "twitter", "handle": "twitter.com/rt"}])
    assert loc == ("accounts", 0, "handle")


@pytest.mark.parametrize(
    ("value", "hint"),
    [("RUS", "write 'RU' for Russia"), ("Russia", "write 'RU' for Russia"), ("Rusia", "did you mean 'RU'"), ("QQ", "")],
)
def test_country_must_be_an_alpha2_code(value: str, hint: str) -> None:
    [(loc, kind, msg)] = errors(country=value)
    assert (loc, kind) == (("country",), "country")
    assert hint in msg
    if not hint:
        assert "(" not in msg


def test_country_helpers() -> None:
    assert code_for("DR Congo") == "CD" and code_for("Congo") == "CG" and code_for("UAE") == "AE"
    assert code_for("Palestine territories") == "PS" and code_for("Hong Kong") == "HK"
    assert code_for("nowhere") is None
    assert country_name("RU") == "Russia"
    assert suggestion("zzzz") == ""


def test_urls_must_parse() -> None:
    found = errors(sources=[{"title": "x", "url": "example.org/a"}, {"title": "y", "url": "ftp://example.org/a"}])
    assert [(loc, kind) for loc, kind, _ in found] == [(("sources", 0, "url"), "url"), (("sources", 1, "url"), "url")]
    assert record(sources=[{"title": "x", "url": "https://example.org/a?b=1", "date": "2024-02-07"}]).sources[0].date


def test_unknown_kind_and_finding_suggest_the_closest() -> None:
    [(_, _, msg)] = errors(kind="state_controled_media")
    assert "did you mean 'state_controlled_media'" in msg
    [(loc, _, msg)] = errors(evidence={"funding": {"finding": "indicates_state"}})
    assert loc == ("evidence", "funding", "finding")
    assert "did you mean 'indicates_state_control'" in msg


def test_id_must_be_a_slug() -> None:
    for bad in ("RU_rt", "ru--rt", "-ru", "ru rt"):
        [(loc, kind, _)] = errors(id=bad)
        assert (loc, kind) == (("id",), "slug")


def test_unknown_fields_are_refused() -> None:
    [(loc, kind, _)] = errors(evidence={"fundng": {}})
    assert (loc, kind) == (("evidence", "fundng"), "extra_forbidden")


def test_default_label_and_appeal_route() -> None:
    assert record().label == "State-controlled media: Russia"
    assert record(kind="state_affiliated_media", country="CN").label == "State-affiliated media: China"
    assert record(kind="government_account", country=None).label == "Government account"
    assert record(label_text="Russia state-controlled media").label == "Russia state-controlled media"
    assert record().appeal == DEFAULT_APPEAL_ROUTE
    assert record(appeal_route="Write to appeals@example.org").appeal == "Write to appeals@example.org"


# -- complete enough to approve -----------------------------------------------------------------------------------


def gap_texts(d: Designation) -> list[str]:
    return [str(gap) for gap in approval_gaps(d)]


def test_a_complete_state_controlled_designation_has_no_gaps() -> None:
    assert approval_gaps(record()) == []
    editorial = {"editorial_control": {"finding": "indicates_state_control", "sources": [SOURCE]}}
    assert approval_gaps(record(evidence=editorial)) == []


def test_state_controlled_needs_ownership_or_editorial_control_with_a_source() -> None:
    funding_only = {"funding": {"finding": "indicates_state_control", "sources": [SOURCE]}}
    assert gap_texts(record(evidence=funding_only)) == [
        "evidence: a state_controlled_media designation needs ownership or editorial_control with the finding "
        "'indicates_state_control' and a source"
    ]
    unsourced = {"ownership": {"finding": "indicates_state_control"}}
    assert gap_texts(record(evidence=unsourced)) == [
        "evidence.ownership.sources: the finding 'indicates_state_control' has no source",
        "evidence: a state_controlled_media designation needs ownership or editorial_control with the finding "
        "'indicates_state_control' and a source",
    ]
    independent = {"ownership": {"finding": "indicates_independence", "sources": [SOURCE]}}
    assert len(gap_texts(record(evidence=independent))) == 1


def test_state_affiliated_needs_two_findings_one_of_control_and_a_source() -> None:
    one = {"editorial_control": {"finding": "indicates_state_control", "sources": [SOURCE]}}
    assert gap_texts(record(kind="state_affiliated_media", evidence=one)) == [
        "evidence: a state_affiliated_media designation needs findings on at least two criteria "
        "(has 1: editorial_control)"
    ]
    two = {**one, "funding": {"finding": "indicates_independence", "sources": [SOURCE]}}
    assert approval_gaps(record(kind="state_affiliated_media", evidence=two)) == []
    neither = {
        "funding": {"finding": "indicates_independence", "sources": [SOURCE]},
        "staff": {"finding": "indicates_independence", "sources": [SOURCE]},
    }
    assert gap_texts(record(kind="state_affiliated_media", evidence=neither)) == [
        "evidence: no criterion indicates state control"
    ]
    assert gap_texts(record(kind="state_affiliated_media", evidence={})) == [
        "evidence: a state_affiliated_media designation needs findings on at least two criteria (has 0)",
        "evidence: no criterion indicates state control",
        "sources: a state_affiliated_media designation needs at least one source",
    ]


def test_government_account_needs_an_account_and_the_body() -> None:
    assert gap_texts(record(kind="government_account", domains=[], evidence={})) == [
        "accounts: a government_account designation needs at least one account",
        "parent: a government_account designation needs the government body it speaks for in 'parent'",
    ]
    ok = record(
        kind="government_account", parent="Ministry of Foreign Affairs", accounts=[{"platform": "x", "handle": "mfa"}]
    )
    assert approval_gaps(ok) == []


def test_media_designation_needs_somewhere_to_label_and_a_country() -> None:
    assert gap_texts(record(domains=[], country=None)) == [
        "country: needed: the label names the state behind the entity (a code such as 'RU')",
        "domains: no account or domain: a media designation must say where the label goes",
    ]


# -- identity and history -----------------------------------------------------------------------------------------


def test_canonical_json_and_hash_ignore_list_order_and_spelling() -> None:
    a = record(domains=["rt.com", "swentr.site"])
    b = record(domains=["https://www.swentr.site/", "RT.COM"])
    assert canonical_json(a) == canonical_json(b)
    assert content_hash(a) == content_hash(b)
    assert len(content_hash(a)) == 64
    assert content_hash(a) != content_hash(record(domains=["rt.com"]))
    parsed = json.loads(canonical_json(a))
    assert Designation.model_validate(parsed) == a  # a stored record reads back as the same designation
    assert ", " not in canonical_json(a) and list(parsed) == sorted(parsed)


def test_diff_says_which_fields_changed() -> None:
    old = record(domains=["rt.com", "swentr.site"], accounts=[{"platform": "twitter", "handle": "rt"}])
    new = record(
        kind="state_affiliated_media",
        domains=["rt.com", "rt.rs"],
        accounts=[{"platform": "twitter", "handle": "rt_com"}],
        evidence={
            "ownership": {"finding": "indicates_state_control", "sources": [SOURCE]},
            "funding": {"finding": "indicates_state_control", "summary": "Budget line.", "sources": [SOURCE]},
        },
    )
    assert [change.render() for change in diff(old, new)] == [
        "kind: 'state_controlled_media' → 'state_affiliated_media'",
        "accounts: removed twitter @rt",
        "accounts: added twitter @rt_com",
        "domains: removed 'swentr.site'",
        "domains: added 'rt.rs'",
        "evidence.funding.finding: 'unknown' → 'indicates_state_control'",
        "evidence.funding.summary: '' → 'Budget line.'",
        'evidence.funding.sources: added {"title": "Registry", "url": "https://example.org/registry"}',
    ]
    assert diff(old, old) == []
