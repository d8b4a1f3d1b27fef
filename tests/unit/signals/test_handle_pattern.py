"""handle_pattern: default-like and templated handles and display names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from overt.engine import transpile
from overt.signals import make_signal
from overt.signals.base import CLUSTER_SIGNALS, SIGNALS
from overt.signals.handle_pattern import HandlePattern

from .conftest import Engine

WORDS = [
    "sunrise", "maplewood", "quietriver", "bluefox", "thelibrarian", "gardener", "nightowl", "coffeecup",
    "hikerjoe", "pianoman", "stargazer", "bookworm", "seabreeze", "oldtown", "redkite", "wanderer",
    "ironsmith", "greenfield", "moonlight", "riverbank",
]  # fmt: skip
FIRST = ["al", "bea", "carl", "diana", "edward", "fiona", "george", "hannah", "ian", "julia"]
LAST = ["smith", "ng", "brown", "li", "johnson", "ortiz", "kim", "williams", "fox", "garcia"]
OPERATOR = ["anna", "olga", "nina", "lena", "yuri", "dima", "igor", "oleg", "vera", "ivan", "petr", "luba"]


def dataset() -> list[dict[str, Any]]:
    accounts = [{"account_id": f"w{i}", "handle": w} for i, w in enumerate(WORDS)]
    # first_last handles with varied lengths: a common, unremarkable skeleton.
    accounts += [{"account_id": f"n{i}", "handle": f"{f}_{LAST[(i * 3) % 10]}"} for i, f in enumerate(FIRST)]
    accounts += [{"account_id": f"m{i}", "handle": f"{f}_{LAST[(i * 7 + 1) % 10]}"} for i, f in enumerate(FIRST)]
    # Default-like: a name and eight digits, as sign-up forms suggest.
    accounts += [{"account_id": f"d{i}", "handle": f"{n}{40213377 + i * 1111}"} for i, n in enumerate(FIRST[:5])]
    # An operator's generator: four letters, '_', one letter, eight digits.
    accounts += [
        {"account_id": f"op{i}", "handle": f"{n}_{'kmrstv'[i % 6]}{38472910 + i * 7919}"}
        for i, n in enumerate(OPERATOR)
    ]
    accounts += [
        {"account_id": "hash", "handle": "8a4abeede90e00b904a8d1263a1b7c60e378dc843d3afa962c0756f66f8335a4"},
        {"account_id": "rnd", "handle": "YW7QiegO0fDHxp6"},
    ]
    return accounts


def by_id(table: Any) -> dict[str, dict[str, Any]]:
    return {r["account_id"]: r | {"details": json.loads(r["details"])} for r in table.to_pylist()}


def test_templates_defaults_hashes_and_ordinary_handles(engine: Engine) -> None:
    table = HandlePattern().accounts(engine(accounts=dataset()))
    assert SIGNALS.equals(table.schema)
    rows = by_id(table)
    assert len(rows) == len(dataset())

    op = rows["op0"]
    assert op["details"]["scored_by"] == "handle"
    assert op["details"]["handle_template"] == "aaaa_a99999999"
    assert op["details"]["handle_shared"] == 12
    assert op["value"] == 12
    # No other shape has this skeleton: the expectation comes from the dataset's run lengths in general.
    assert op["details"]["handle_expected"] < 2
    assert op["details"]["handle_p_value"] < 1e-8
    assert op["score"] == pytest.approx(0.5)  # the dataset-level cap
    assert op["evidence"].startswith("handle 'anna_k38472910' fits template 'aaaa_a99999999' shared by 12 account(s)")

    default = rows["d0"]
    assert default["score"] == pytest.approx(0.2)
    assert default["details"]["scored_by"] == "default_like"
    assert default["details"]["default_like"] is True
    assert default["details"]["handle_expected"] is None  # 'a9' is an ordinary skeleton: not tested
    assert default["details"]["digit_share"] == pytest.approx(8 / 10)
    assert rows["rnd"]["details"]["scored_by"] == "random_like"
    assert rows["rnd"]["score"] == pytest.approx(0.2)

    for ordinary in ("w0", "n0", "n5", "m3"):
        assert rows[ordinary]["score"] == 0.0, rows[ordinary]["evidence"]
        assert rows[ordinary]["evidence"].endswith("no unusual pattern")

    assert rows["hash"]["score"] is None
    assert rows["hash"]["evidence"].startswith("handle is a hash")


def test_a_template_that_others_share_in_varied_lengths_is_expected(engine: Engine) -> None:
    # Twelve first_last handles with the same lengths would be a template; the same number spread over many
    # length combinations is how people write their names.
    accounts = dataset()
    accounts = [a for a in accounts if not a["account_id"].startswith("op")]
    table = HandlePattern().accounts(engine(accounts=accounts))
    assert max(s for s in table.column("score").to_pylist() if s is not None) == pytest.approx(0.2)


def test_template_shared_within_a_cluster(engine: Engine) -> None:
    clusters = {f"op{i}": 0 for i in range(6)} | {f"w{i}": 1 for i in range(6)} | {f"d{i}": 2 for i in range(5)}
    eng = engine(accounts=dataset(), clusters=clusters)
    handles = len(dataset()) - 1  # the hashed handle counts for nothing
    rows = by_id(HandlePattern().accounts(eng))
    op = rows["op0"]
    assert op["details"]["handle_cluster_pattern"] == "a_a99999999"
    assert op["details"]["handle_cluster_shared"] == 6
    assert op["details"]["handle_cluster_members"] == 6
    # The other 11 operator handles among the other handles have the pattern: P(Bin(5, 11 / 57) >= 5).
    p = (11 / (handles - 1)) ** 5
    assert op["details"]["handle_cluster_p_value"] == pytest.approx(p, rel=1e-6)
    assert op["details"]["scored_by"] == "handle_cluster"
    assert op["score"] > 0.5
    assert op["evidence"].endswith(f"6 of the 6 in its cluster share the pattern 'a_a99999999' (chance {p:.2g})")
    # Suggested handles of names of different lengths share the pattern 'a99999999' inside their cluster.
    d = rows["d0"]
    assert d["details"]["handle_template"] == "aa99999999"
    assert d["details"]["handle_shared"] == 1
    assert d["details"]["handle_cluster_pattern"] == "a99999999"
    assert d["details"]["scored_by"] == "handle_cluster"
    assert d["details"]["handle_cluster_p_value"] == pytest.approx((4 / (handles - 1)) ** 4, rel=1e-6)
    # Plain words have no digits: not a generator's pattern, however many share it.
    assert rows["w0"]["score"] == 0.0
    assert "handle_cluster_pattern" not in rows["w0"]["details"]

    table = HandlePattern().clusters(eng)
    assert table is not None and CLUSTER_SIGNALS.equals(table.schema)
    out = {r["cluster"]: r | {"details": json.loads(r["details"])} for r in table.to_pylist()}
    assert out[0]["value"] == 1.0
    assert out[0]["details"]["pattern"] == "a_a99999999"
    assert out[0]["details"]["p_value"] == pytest.approx((12 / handles) ** 6, rel=1e-6)
    assert out[0]["score"] > 0.5
    assert out[0]["evidence"].startswith("6 of 6 members' handles fit the pattern 'a_a99999999' (20.7% of the")
    assert out[1]["score"] == 0.0 and out[1]["value"] is None
    assert out[1]["evidence"].startswith("none of the 6 members' handles or display names has digits")
    assert out[2]["details"]["pattern"] == "a99999999"
    assert out[2]["value"] == 1.0


def test_display_names_are_templates_too(engine: Engine) -> None:
    accounts = [{"account_id": f"a{i}", "display_name": f"{n} {L} {1980 + i}"} for i, (n, L) in enumerate(
        zip(OPERATOR, "ABCDEFGHIJKL", strict=True)
    )]  # fmt: skip
    accounts += [
        {"account_id": f"p{i}", "display_name": f"{f.title()} {L.title()}"}
        for i, (f, L) in enumerate(zip(FIRST, LAST, strict=True))
    ]
    rows = by_id(HandlePattern().accounts(engine(accounts=accounts)))
    assert rows["a0"]["details"]["display_name_template"] == "aaaa a 9999"
    assert rows["a0"]["details"]["display_name_shared"] == 12
    assert rows["a0"]["details"]["scored_by"] == "display_name"
    assert rows["a0"]["score"] > 0
    assert rows["a0"]["evidence"].startswith("display name 'anna A 1980' fits template 'aaaa a 9999' shared by 12")
    assert rows["p0"]["score"] == 0.0  # "Al Smith": an ordinary name
    assert "handle_template" not in rows["a0"]["details"]


def test_no_data(engine: Engine) -> None:
    assert HandlePattern().accounts(engine()).num_rows == 0
    assert HandlePattern().accounts(engine(accounts=[{"account_id": "a"}])).num_rows == 0
    one = by_id(HandlePattern().accounts(engine(accounts=[{"account_id": "a", "handle": "@alice"}])))
    assert one["a"]["score"] == 0.0
    assert one["a"]["details"]["handle_template"] == "aaaaa"  # the @ is not part of the handle
    assert HandlePattern().clusters(engine(accounts=dataset())) is None
    small = HandlePattern().clusters(engine(accounts=dataset(), clusters={"op0": 0, "op1": 0}))
    assert small is not None and small.num_rows == 0


def test_registered_validated_and_portable() -> None:
    assert isinstance(make_signal("handle_pattern", min_digits=6), HandlePattern)
    with pytest.raises(ValueError, match="min_shared"):
        HandlePattern(min_shared=1)
    with pytest.raises(ValueError, match="default_score"):
        HandlePattern(default_score=1.5)
    signal = HandlePattern()
    assert transpile(signal._values_sql(), "spark")
    assert transpile(signal._shapes_sql("v"), "spark")


@pytest.mark.real_data
def test_hashed_archive_handles_are_not_assessed(trolls: Any) -> None:
    eng = trolls("ru")
    rows = by_id(HandlePattern().accounts(eng))
    hashed = [r for r in rows.values() if r["score"] is None]
    # Twitter's release hashed the handles of IRA accounts with fewer than 5,000 followers (SHA-256, 64 hex).
    assert len(hashed) >= 50
    assert all(len(r["account_id"]) == 64 and r["evidence"].startswith("handle is a hash") for r in hashed)
    # The clear handles (large IRA accounts and verified controls) are natural-looking.
    assert rows["realDonaldTrump"]["score"] == 0.0
