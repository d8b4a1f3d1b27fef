"""profile_reuse: descriptions, display names and profile images copied across accounts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from overt.engine import transpile
from overt.signals import make_signal
from overt.signals.base import CLUSTER_SIGNALS, SIGNALS
from overt.signals.profile_reuse import ProfileReuse

from .conftest import Engine

BIO = "Patriot. Mom. #MAGA Love my country and my family"
WORDS = ["tea", "jazz", "chess", "cats", "boats", "maps", "clocks", "bread", "rain", "trains"]
DEFAULT_IMAGE = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"


def dataset() -> list[dict[str, Any]]:
    accounts = [{"account_id": f"c{i}", "description": BIO} for i in range(5)]
    # Case, spacing, links and handles do not make a different bio.
    accounts += [
        {"account_id": "c5", "description": "patriot.   MOM. #maga love my country and my family https://t.co/x1"},
        {"account_id": "c6", "description": "Patriot. Mom. #MAGA Love my country and my family http://bit.ly/y2"},
    ]
    accounts += [
        # One word more: token Jaccard 8/9 with the copies above.
        {"account_id": "near", "description": "Patriot. Mom. #MAGA Love my country and my whole family"},
        {"account_id": "own", "description": "Birdwatcher, amateur astronomer and grumpy about trains"},
        {"account_id": "short", "description": "Hi there"},
    ]
    accounts += [{"account_id": f"org{i}", "description": "Official account of the city council"} for i in range(60)]
    accounts += [{"account_id": f"img{i}", "profile_image": "sha256:9f86d081884c7d65"} for i in range(3)]
    accounts += [{"account_id": f"egg{i}", "profile_image": DEFAULT_IMAGE} for i in range(3)]
    accounts += [{"account_id": f"jane{i}", "display_name": "Jane  Doe"} for i in range(2)]
    # Ordinary users, each with a bio of their own.
    accounts += [
        {"account_id": f"u{i}", "description": f"I am user {i} and I like {WORDS[i % 10]} {i * 7}"} for i in range(300)
    ]
    return accounts


def by_id(table: Any) -> dict[str, dict[str, Any]]:
    return {r["account_id"]: r | {"details": json.loads(r["details"])} for r in table.to_pylist()}


def test_copies_near_copies_boilerplate_and_images(engine: Engine) -> None:
    table = ProfileReuse().accounts(engine(accounts=dataset()))
    assert SIGNALS.equals(table.schema)
    rows = by_id(table)
    # Nothing comparable: too short a bio, a default image.
    assert "short" not in rows and "egg0" not in rows

    copy = rows["c0"]
    # c5 and c6 end in (different) links: identical to each other, near-identical (8/9) to the rest.
    assert copy["details"]["description_shared"] == 4
    assert copy["details"]["description_near"] == 3
    assert copy["details"]["description_tokens"] == 8
    # 8 accounts in all, 8 tokens: 1 * 1 * (1 - 0.5 ** 7) * 1.
    assert copy["score"] == pytest.approx(1 - 0.5**7)
    assert copy["value"] == 7
    assert copy["evidence"] == (
        "description identical to 4 other account(s) ('Patriot. Mom. #MAGA Love my c…'), near-identical to 3 more"
    )
    assert rows["c5"]["details"]["description_shared"] == 1
    assert rows["c5"]["details"]["description_near"] == 6
    assert rows["c5"]["score"] == pytest.approx(copy["score"])

    near = rows["near"]
    assert near["details"]["description_shared"] == 0
    assert near["details"]["description_near"] == 7
    assert near["details"]["description_similarity"] == pytest.approx(8 / 9, abs=1e-4)
    assert near["score"] == pytest.approx((8 / 9) * (1 - 0.5**7), rel=1e-4)
    assert near["evidence"].startswith("description near-identical to 7 other account(s)")

    # Boilerplate shared by 60: 6 tokens of 8, discounted by 20 / 60.
    org = rows["org0"]
    assert org["score"] == pytest.approx(0.75 * (1 - 0.5**59) * 20 / 60, rel=1e-6)
    assert org["score"] < 0.3

    assert rows["img0"]["score"] == pytest.approx(0.8 * 0.75)
    assert rows["img0"]["evidence"] == "same profile image as 2 other account(s)"
    assert rows["jane0"]["score"] == pytest.approx(0.4 * 0.5)
    assert rows["jane0"]["evidence"] == "same display name as 1 other account(s) ('Jane Doe')"

    assert rows["own"]["score"] == 0.0
    assert rows["own"]["evidence"] == "description not shared with any other account"
    assert rows["own"]["details"]["scored_by"] is None


def test_elements_combine(engine: Engine) -> None:
    accounts = [{"account_id": f"a{i}", "description": BIO, "profile_image": "img-1"} for i in range(2)]
    rows = by_id(ProfileReuse().accounts(engine(accounts=accounts)))
    # Two elements shared by a pair: 1 - (1 - 0.5) * (1 - 0.8 * 0.5).
    assert rows["a0"]["score"] == pytest.approx(1 - 0.5 * 0.6)
    assert rows["a0"]["details"]["scored_by"] == "description"
    assert rows["a0"]["evidence"].endswith("; same profile image as 1 other account(s)")


def test_exact_only_without_near_threshold(engine: Engine) -> None:
    rows = by_id(ProfileReuse(near_threshold=None).accounts(engine(accounts=dataset())))
    assert rows["near"]["score"] == 0.0
    assert rows["c0"]["details"]["description_near"] == 0


def test_cluster_reusing_members(engine: Engine) -> None:
    clusters = {f"c{i}": 0 for i in range(5)} | {"own": 0, "u0": 0} | {f"org{i}": 1 for i in range(5)}
    eng = engine(accounts=dataset(), clusters=clusters)
    table = ProfileReuse().clusters(eng)
    assert table is not None and CLUSTER_SIGNALS.equals(table.schema)
    rows = {r["cluster"]: r | {"details": json.loads(r["details"])} for r in table.to_pylist()}
    assert rows[0]["details"]["reusing"] == 5
    assert rows[0]["details"]["members"] == 7
    assert rows[0]["value"] == pytest.approx(5 / 7, abs=1e-4)
    assert rows[0]["details"]["by_element"] == {"description": 5, "display_name": 0, "profile_image": 0}
    # By chance, each of the five copies (8 accounts share the bio, near copies included) would find it among
    # its 6 cluster mates drawn from the other 373 accounts with a profile element with probability
    # 1 - (1 - 7/373) ** 6; the bios of their own never.
    expected = 5 * (1 - (1 - 7 / 373) ** 6)
    assert rows[0]["details"]["expected"] == pytest.approx(expected, rel=1e-3)
    assert rows[0]["score"] > 0.5
    assert rows[0]["evidence"].startswith("5 of 7 members reuse a profile element from another member (5 by descr")
    # Five branches with the council's bio: all reuse it, but with 60 in the dataset chance predicts half.
    assert rows[1]["details"]["reusing"] == 5
    assert rows[1]["details"]["expected"] == pytest.approx(5 * (1 - (1 - 59 / 373) ** 4), rel=1e-3)
    assert rows[1]["score"] < 0.2


def test_near_copies_count_inside_clusters(engine: Engine) -> None:
    eng = engine(accounts=dataset(), clusters={"c0": 0, "near": 0, "own": 0})
    table = ProfileReuse().clusters(eng)
    assert table is not None
    assert json.loads(table.column("details")[0].as_py())["reusing"] == 2


def test_no_data(engine: Engine) -> None:
    assert ProfileReuse().accounts(engine()).num_rows == 0
    assert ProfileReuse().accounts(engine(accounts=[{"account_id": "a", "handle": "a"}])).num_rows == 0
    one = by_id(ProfileReuse().accounts(engine(accounts=[{"account_id": "a", "description": BIO}])))
    assert one["a"]["score"] == 0.0
    assert ProfileReuse().clusters(engine(accounts=dataset())) is None
    small = ProfileReuse().clusters(engine(accounts=dataset(), clusters={"c0": 0, "c1": 0}))
    assert small is not None and small.num_rows == 0


def test_registered_validated_and_portable() -> None:
    assert isinstance(make_signal("profile_reuse", common_group=50), ProfileReuse)
    with pytest.raises(ValueError, match="near_threshold"):
        ProfileReuse(near_threshold=0)
    with pytest.raises(ValueError, match="image_weight"):
        ProfileReuse(image_weight=2)
    assert transpile(ProfileReuse()._elements_sql(), "spark")


@pytest.mark.real_data
def test_iranian_accounts_sharing_a_bio(trolls: Any) -> None:
    eng = trolls("iran")
    rows = by_id(ProfileReuse().accounts(eng))
    # Iranian IO accounts with one bio ("As an independent news media ..."); the verified controls share none.
    copied = [r for r in rows.values() if "As an independent news media" in r["evidence"]]
    assert len(copied) == 5
    assert all(r["score"] > 0.9 and r["details"]["description_shared"] == 4 for r in copied)
    assert rows["realDonaldTrump"]["score"] == 0.0
