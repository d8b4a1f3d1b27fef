"""Proposals seeded from the state-media list: a small fixture with known answers, then the shipped list."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from overt.enforcement.designations import Designation, approval_gaps, seed_proposals, seed_reviews, summarise
from overt.enforcement.designations.seed import STATE_MEDIA_CSV, entities_by_identifier, provenance, slug
from overt.errors import InputError

SMALL = Path(__file__).parent / "fixtures" / "designations" / "state_media_small.csv"
MATRIX_COMMIT = "d878fee1e0aecce9bd63a65ae826df84c6d80e59"


@pytest.fixture(scope="module")
def small() -> dict[str, Designation]:
    return {d.id: d for d in seed_proposals(SMALL)}


@pytest.fixture(scope="module")
def shipped() -> list[Designation]:
    return seed_proposals()


def test_small_list_groups_rows_into_entities(small: dict[str, Designation]) -> None:
    assert sorted(small) == [
        "gh-channel-5-ghana-broadcasting",
        "gh-channel-5-ghana-media-group",
        "hu-m1",
        "ng-channel-5",
        "ru-bestnews-example",
        "ru-portal-kombat-pravda-network",
        "ru-rt-espanol",
        "ru-rt-international",
        "ru-vesti",
        "southfront-org",
    ]
    rt = small["ru-rt-international"]
    assert (rt.kind, rt.entity, rt.parent, rt.country) == ("state_controlled_media", "RT International", "RT", "RU")
    assert rt.domains == ("rt.com", "swentr.site")
    assert [a.describe() for a in rt.accounts] == ["telegram @rt_russian", "twitter @rt"]
    assert small["ru-rt-espanol"].domains == ("actualidad-rt.com",)
    assert small["ru-portal-kombat-pravda-network"].domains == ("pravda-en.com", "pravda-fr.com")
    assert small["ru-vesti"].parent == "All-Russia State Television and Radio Broadcasting Company (VGTRK)"


def test_kind_follows_the_typology(small: dict[str, Designation]) -> None:
    kinds = {identifier: d.kind for identifier, d in small.items()}
    assert kinds["ru-rt-international"] == kinds["gh-channel-5-ghana-broadcasting"] == "state_controlled_media"
    for identifier in ("hu-m1", "gh-channel-5-ghana-media-group", "ru-bestnews-example", "southfront-org"):
        assert kinds[identifier] == "state_affiliated_media", identifier
    assert "government_account" not in kinds.values()


def test_evidence_is_what_the_list_says(small: dict[str, Designation]) -> None:
    rt = small["ru-rt-international"]
    findings = {name: item.finding for name, item in rt.evidence.items()}
    assert findings == {
        "ownership": "indicates_state_control",
        "funding": "indicates_state_control",
        "governance": "indicates_state_control",
        "editorial_control": "indicates_state_control",
        "staff": "unknown",
    }
    cited = rt.evidence.ownership.sources[0]
    assert cited.url.endswith(f"/blob/{MATRIX_COMMIT}/State_Media_Matrix.csv") and str(cited.date) == "2024-02-07"
    assert "not our own finding" in rt.evidence.ownership.summary
    # swentr.site is also on the laundromat's RT mirror list: both lists are cited.
    assert any("Laundromat" in source.title for source in rt.sources)
    assert "check each is the outlet's own" in rt.notes
    m1 = small["hu-m1"]
    assert [name for name, item in m1.evidence.items() if item.finding != "unknown"] == ["editorial_control"]
    mirror = small["ru-bestnews-example"]
    assert all(item.finding == "unknown" for _, item in mirror.evidence.items())
    assert "mixes RT's own mirror domains with third-party sites" in mirror.notes
    assert small["southfront-org"].country is None


def test_completeness_as_seeded(small: dict[str, Designation]) -> None:
    incomplete = sorted(identifier for identifier, d in small.items() if approval_gaps(d))
    assert incomplete == [
        "gh-channel-5-ghana-media-group",
        "hu-m1",
        "ru-bestnews-example",
        "ru-portal-kombat-pravda-network",
        "southfront-org",
    ]
    summary = summarise(small.values())
    assert summary.total == 10 and summary.incomplete == 5
    assert summary.by_kind == {"state_affiliated_media": 5, "state_controlled_media": 5}
    assert summary.by_country["RU"] == 5 and summary.by_country["(none)"] == 1
    assert "not complete enough to approve as seeded: 5" in summary.render()


def test_seeded_reviews_are_proposals_never_approved() -> None:
    reviews = seed_reviews(SMALL)
    digest = hashlib.sha256(SMALL.read_bytes()).hexdigest()
    assert {r.status for r in reviews} == {"proposed"}
    assert {r.proposer for r in reviews} == {f"overt seed (state_media list sha256:{digest[:12]})"}
    assert all(r.approvals == () and r.in_force is None for r in reviews)


def test_bad_list(tmp_path: Path) -> None:
    bad = tmp_path / "list.csv"
    bad.write_text("kind,identifier\ndomain,rt.com\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        seed_proposals(bad)
    with pytest.raises(InputError, match="cannot read"):
        seed_proposals(tmp_path / "absent.csv")


def test_slug() -> None:
    assert slug("RU RT Español") == "ru-rt-espanol"
    assert slug("Côte d'Ivoire — RTI 1") == "cote-d-ivoire-rti-1"


# -- the shipped list ---------------------------------------------------------------------------------------------


def test_shipped_list_rt_domains_land_in_one_entity(shipped: list[Designation]) -> None:
    by_id = {d.id: d for d in shipped}
    rt = by_id["ru-rt-international"]
    assert rt.domains == ("rt.com", "swentr.site") and rt.parent == "RT"
    assert by_id["ru-rt-deutsch"].domains == ("rtde.life", "rtde.tech", "rtde.website", "rtde.world")
    assert by_id["ru-rt-espanol"].domains == ("actualidad-rt.com", "esrt.online", "esrt.press", "esrt.tech")


def test_shipped_list_every_row_lands_once(shipped: list[Designation]) -> None:
    with STATE_MEDIA_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    listed = entities_by_identifier(shipped)
    assert all(len(ids) == 1 for ids in listed.values())
    assert len(listed) == len(rows) == 1667
    assert len({d.id for d in shipped}) == len(shipped)


def test_shipped_list_counts(shipped: list[Designation]) -> None:
    summary = summarise(shipped)
    # 746 State Media Matrix outlets, 1 Portal Kombat network, 152 RT mirror/repost and 19 Intel/Suspected sites.
    assert summary.total == 918
    assert summary.by_kind == {"state_controlled_media": 525, "state_affiliated_media": 393}
    assert summary.incomplete == 393 and summary.incomplete_by_kind == {"state_affiliated_media": 393}
    assert summary.by_country["RU"] == 218 and summary.by_country["(none)"] == 19
    assert len(summary.by_country) == 130


def test_shipped_provenance() -> None:
    prov = provenance()
    assert prov.matrix.commit == MATRIX_COMMIT
    assert prov.laundromat.commit == "6c82e3f18b88a316efee15af6afff487c17fee18"
    assert prov.sha256 == hashlib.sha256(STATE_MEDIA_CSV.read_bytes()).hexdigest()
