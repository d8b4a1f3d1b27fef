"""Designations from YAML: a good file loads, a bad one reports every problem at its line (golden files).

Rewrite the goldens after a deliberate change of wording, then review them (the text is what users read)::

    OVERT_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/unit/enforcement/test_designations_loading.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from overt.enforcement.designations import approval_gaps, load_designations, parse_designations
from overt.enforcement.documents import DocumentError

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "designations"
GOLDEN = HERE / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OVERT_UPDATE_GOLDEN"):
        path.write_text(text + "\n", encoding="utf-8")
    assert path.is_file(), f"no golden {name}: run OVERT_UPDATE_GOLDEN=1 pytest {__file__}"
    assert text + "\n" == path.read_text(encoding="utf-8")


def rendered(error: DocumentError) -> str:
    # Paths relative to the repository, so the golden text does not depend on where it was checked out.
    return str(error).replace(str(FIXTURES.parent.parent.parent.parent.parent) + os.sep, "")


def test_a_complete_file_loads_normalised() -> None:
    [d] = load_designations(FIXTURES / "rt_international.yaml", complete=True)
    assert d.id == "ru-rt-international"
    assert d.domains == ("rt.com", "swentr.site")
    assert [a.describe() for a in d.accounts] == ["telegram id 1036362176", "twitter @rt_com"]
    assert d.evidence.ownership.sources[0].date is not None
    assert str(d.evidence.ownership.sources[0].date) == "2024-01-31"
    assert approval_gaps(d) == []


def test_every_problem_is_reported_at_its_line() -> None:
    with pytest.raises(DocumentError) as caught:
        load_designations(FIXTURES / "broken.yaml")
    problems = caught.value.problems
    lines = [problem.position.line for problem in problems if problem.position]
    assert lines == sorted(lines)
    text = rendered(caught.value)
    for expected in (
        "broken.yaml:1:7: id: 'RU_rt' is not a designation id",
        "broken.yaml:2:9: kind: unknown kind 'state_controled_media' (did you mean 'state_controlled_media'?)",
        "broken.yaml:4:12: country: 'Russia' is not an ISO 3166-1 alpha-2 country code (write 'RU' for Russia)",
        "broken.yaml:7:7: domain 'rt.com' is listed twice (first at line 6)",
        "broken.yaml:8:7: domains.2: 'not a domain' is not a web domain",
        "broken.yaml:13:15: twitter handle 'rt_com' is listed twice (first at line 10)",
        "broken.yaml:14:7: accounts.2: an account needs a handle, an account_id or both",
        "broken.yaml:17:16: evidence.ownership.finding: unknown finding 'indicates_state_controll'",
        "broken.yaml:20:16: evidence.ownership.sources.0.url: 'registry.example.org/tv-novosti' is not a web address",
        "broken.yaml:21:5: unknown field 'fundng' (did you mean 'funding'?)",
        "broken.yaml:27:7: designation id 'ru-sputnik' is used twice (first at line 23)",
        "broken.yaml:30:3: a designation must be a mapping of fields",
    ):
        assert expected in text, expected
    assert len(problems) == 12
    check_golden("designations_broken.txt", text)


def test_complete_reports_what_approval_needs_at_the_field() -> None:
    path = FIXTURES / "incomplete.yaml"
    [d] = load_designations(path)  # a well-formed proposal loads
    assert len(approval_gaps(d)) == 4
    with pytest.raises(DocumentError) as caught:
        load_designations(path, complete=True)
    text = rendered(caught.value)
    assert text.startswith("4 problems found:")
    assert "incomplete.yaml:1:1: not complete enough to approve: country: needed: the label names the state" in text
    assert (
        "incomplete.yaml:5:3: not complete enough to approve: evidence.staff.sources: the finding "
        "'indicates_state_control' has no source\n 5 |   staff:\n   |   ^^^^^"
    ) in text
    check_golden("designations_incomplete.txt", text)


def test_not_a_designation() -> None:
    with pytest.raises(DocumentError, match="expected a designation"):
        parse_designations("42", "x.yaml")
    with pytest.raises(DocumentError, match="missing field 'kind'"):
        parse_designations("id: a\nentity: A\n", "x.yaml")
    with pytest.raises(DocumentError, match="duplicate key 'id'"):
        parse_designations("id: a\nid: b\n", "x.yaml")


def test_country_no_stays_norway() -> None:
    [d] = parse_designations("id: no-nrk\nkind: state_affiliated_media\nentity: NRK\ncountry: NO\n")
    assert d.country == "NO"
