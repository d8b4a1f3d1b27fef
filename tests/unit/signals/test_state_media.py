"""The state_media signal, its shipped reference list and the script that builds it."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from overt.engine import DuckDBEngine, transpile
from overt.ingest.normalise import normalise_url
from overt.signals import make_signal
from overt.signals.base import CLUSTER_SIGNALS, SIGNALS
from overt.signals.state_media import StateMedia, find_outlet, reference, reference_table

from .conftest import Engine

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "src" / "overt" / "signals" / "data"


def _links(account: str, urls: list[str], *, platform: str = "test", start: int = 0) -> list[dict[str, Any]]:
    """One post per link, the link normalised as ingest would."""
    return [
        {
            "platform": platform,
            "post_id": f"{account}-{start + i}",
            "account_id": account,
            "created_at": "2024-03-04 09:15",
            "urls": [normalise_url(u)],
            "domains": [],
        }
        for i, u in enumerate(urls)
    ]


def _by_account(table: pa.Table) -> dict[str, dict[str, Any]]:
    rows = {r["account_id"]: r for r in table.to_pylist()}
    for r in rows.values():
        r["details"] = json.loads(r["details"])
    return rows


# -- the reference list ----------------------------------------------------------------------------------------


def test_reference_is_loaded_once_sorted_and_unique() -> None:
    rows = reference()
    assert reference() is rows
    keys = [(r.kind, r.platform, r.identifier) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert {r.kind for r in rows} == {"domain", "handle"}
    assert all((r.kind == "domain") == (r.platform == "") for r in rows)
    assert all(r.identifier == r.identifier.lower() for r in rows)
    assert not [r for r in rows if r.kind == "domain" and r.identifier.startswith("www.")]
    table = reference_table()
    assert table.num_rows == len(rows) and table.column("ref").to_pylist() == list(range(len(rows)))


def test_reference_keeps_state_media_and_drops_generic_lists() -> None:
    rt = find_outlet("rt.com")
    assert rt is not None and (rt.country, rt.typology, rt.outlet) == ("Russia", "SC", "RT International")
    typologies = {r.typology for r in reference()}
    assert {"SC", "CaPu", "CaPr"} <= typologies
    assert not typologies & {"ISFM", "IP", "ISF", "ISM"}
    sources = {s for r in reference() for s in r.source.split("; ")}
    assert sources == {
        "state_media_profiles",
        "disinfo_laundromat:RT Mirror/Repost",
        "disinfo_laundromat:Viginum (Portal Kombat)",
        "disinfo_laundromat:Intel/Suspected",
    }
    # Platforms, generic news and independent public media are not on it.
    for host in ("youtube.com", "twitter.com", "t.me", "bbc.co.uk", "nytimes.com", "nairaland.com", "wn.com"):
        assert find_outlet(host) is None, host
    # A mirror listed by both sources is one row with both sources.
    both = find_outlet("https://rtde.world/")
    assert both is not None and both.source == "disinfo_laundromat:RT Mirror/Repost; state_media_profiles"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("rt.com", "rt.com"),
        ("https://francais.rt.com/international/1", "rt.com"),  # subdomain and path
        ("HTTPS://WWW.RT.COM/News?utm_source=x", "rt.com"),  # case, www, tracking
        ("https://english.news.cn/20240304/c.htm", "news.cn"),  # a listed registrable domain under .cn
        ("https://nort.com/", None),  # a suffix of the name, not a subdomain
        ("https://rt.com.example.org/", None),
        ("https://example.com/?u=rt.com", None),
        ("https://twitter.com/CGTN/status/1", "@cgtn (twitter)"),  # a post link names its account
        ("https://x.com/cgtn", "@cgtn (twitter)"),
        ("https://t.me/s/rt_russian", "@rt_russian (telegram)"),
        ("https://twitter.com/someone/status/1", None),
    ],
)
def test_find_outlet_matching_rules(value: str, expected: str | None) -> None:
    found = find_outlet(value)
    assert (found.label if found else None) == expected


def test_find_outlet_by_handle() -> None:
    found = find_outlet("@CGTN", "twitter")
    assert found is not None and found.country == "China"
    assert find_outlet("cgtn", "telegram") is None


@pytest.mark.real_data
def test_rebuild_matches_the_shipped_files(shared_data: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_state_media", REPO / "scripts" / "build_state_media.py")
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script  # its dataclasses look their module up
    try:
        spec.loader.exec_module(script)
    finally:
        del sys.modules[spec.name]
    table, note = script.build(shared_data / script.PROFILES, shared_data / script.LAUNDROMAT)
    assert table == (DATA / "state_media.csv").read_text(encoding="utf-8"), "rerun scripts/build_state_media.py"
    assert note == (DATA / "state_media.md").read_text(encoding="utf-8"), "rerun scripts/build_state_media.py"


# -- the score -------------------------------------------------------------------------------------------------


def test_score_needs_share_and_count() -> None:
    s = StateMedia()
    assert s.score(0, 0) is None
    assert s.score(40, 100) == pytest.approx(0.75)
    assert s.score(57, 150) == pytest.approx(0.7)
    assert s.score(1, 100) == 0.0
    assert s.score(2, 2) == 0.0  # below min_state however large the share
    assert s.score(3, 3) == pytest.approx(0.3)
    assert s.score(15, 100) == pytest.approx(0.125)  # a journalist covering the state's politics
    assert s.score(10, 10) == 1.0
    # Rises with the share at a fixed count, and with the count at a fixed share.
    assert s.score(20, 100) < s.score(20, 50) < s.score(20, 40)  # type: ignore[operator]
    assert s.score(4, 10) < s.score(8, 20) < s.score(12, 30)  # type: ignore[operator]


@pytest.mark.parametrize(
    "params",
    [{"min_share": 0.5, "full_share": 0.5}, {"min_state": 0}, {"min_state": 5, "full_state": 4}, {"top": 0}],
)
def test_bad_parameters_are_refused(params: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="state_media"):
        StateMedia(**params)


def test_bad_shortener_is_refused() -> None:
    with pytest.raises(ValueError, match="not a host name"):
        StateMedia(shorteners=("t.co'; DROP TABLE posts; --",))


# -- per account -----------------------------------------------------------------------------------------------


def test_accounts_on_a_fixture(engine: Engine) -> None:
    rt = [f"https://www.rt.com/news/{i}" for i in range(30)] + [f"https://FRANCAIS.rt.com/a/{i}" for i in range(10)]
    other = [f"https://example.com/{i}" for i in range(60)]
    posts = (
        _links("heavy", rt + other)  # 40 of 100 to RT
        + _links("once", ["https://rt.com/news/1"] + other + [f"https://example.org/{i}" for i in range(39)])
        + _links("journalist", rt[:15] + other + [f"https://example.net/{i}" for i in range(25)])
        + _links("lookalike", [f"https://nort.com/{i}" for i in range(20)] + ["https://rt.com.example.org/"])
        + _links("shortened", [f"https://t.co/{i}" for i in range(7)])
        + [{"account_id": "quiet", "created_at": "2024-03-04 09:15", "text": "no links"}]
    )
    rows = _by_account(StateMedia().accounts(engine(posts=posts)))
    assert set(rows) == {"heavy", "once", "journalist", "lookalike", "shortened", "quiet"}

    heavy = rows["heavy"]
    assert heavy["score"] == pytest.approx(0.75) and heavy["value"] == pytest.approx(0.4)
    assert heavy["evidence"] == "40% of links and reposts (40 of 100) go to state media: rt.com (Russia, SC) 40"
    d = heavy["details"]
    assert (d["n_state"], d["n_actions"], d["n_links"], d["n_reposts"], d["n_short"]) == (40, 100, 100, 0, 0)
    assert d["top"] == [
        {"outlet": "rt.com", "name": "RT International", "country": "Russia", "typology": "SC", "n": 40}
    ]
    assert d["countries"] == {"Russia": 40} and d["self"] is None

    assert rows["once"]["score"] == 0.0 and rows["once"]["value"] == pytest.approx(0.01)
    assert rows["once"]["evidence"].startswith("1.0% of links and reposts (1 of 100) go to state media: rt.com")
    assert rows["journalist"]["score"] == pytest.approx(0.125)
    assert rows["lookalike"]["score"] == 0.0 and rows["lookalike"]["details"]["n_state"] == 0

    shortened = rows["shortened"]
    assert shortened["score"] is None and shortened["value"] is None
    assert shortened["details"]["n_short"] == 7 and shortened["details"]["n_actions"] == 0
    assert shortened["evidence"].startswith("no links or reposts whose target can be checked; 7 posts carry only")

    assert rows["quiet"]["score"] is None
    assert rows["quiet"]["evidence"] == "no links or reposts whose target can be checked"


def test_reposts_and_social_links_count(engine: Engine) -> None:
    tw = {"platform": "twitter", "created_at": "2024-03-04 09:15"}
    posts = [
        # Reposts of an account whose handle is listed (CGTN), found through the accounts table.
        *(
            {**tw, "post_id": f"r{i}", "account_id": "fan", "kind": "repost", "repost_of_account_id": "42"}
            for i in range(6)
        ),
        # A source that identifies accounts by handle (the IRA tweets): the id is the handle.
        *(
            {**tw, "post_id": f"h{i}", "account_id": "fan", "kind": "repost", "repost_of_account_id": "RT"}
            for i in range(2)
        ),
        # A repost of an unlisted account that carries the original's link to Sputnik.
        {
            **tw,
            "post_id": "s",
            "account_id": "fan",
            "kind": "repost",
            "repost_of_account_id": "7",
            "urls": ["https://sputniknews.com/world/1"],
        },
        # A link to a post of a listed account, and one post linking two outlets (counted once).
        {**tw, "post_id": "q", "account_id": "fan", "urls": ["https://twitter.com/cgtn/status/9"]},
        {**tw, "post_id": "two", "account_id": "fan", "urls": ["https://rt.com/a", "https://sputniknews.com/b"]},
        # Actions not to state media; a repost of an unknown account is no action.
        *(
            {**tw, "post_id": f"o{i}", "account_id": "fan", "kind": "repost", "repost_of_account_id": "7"}
            for i in range(4)
        ),
        {**tw, "post_id": "u", "account_id": "fan", "kind": "repost"},
        # The outlet's own account.
        *({**tw, "post_id": f"c{i}", "account_id": "42", "urls": [f"https://news.cgtn.com/{i}"]} for i in range(3)),
    ]
    accounts = [
        {"platform": "twitter", "account_id": "42", "handle": "CGTN"},
        {"platform": "twitter", "account_id": "7", "handle": "someone"},
    ]
    rows = _by_account(StateMedia().accounts(engine(posts=posts, accounts=accounts)))
    fan = rows["fan"]["details"]
    assert (fan["n_state"], fan["n_actions"], fan["n_reposts"], fan["n_links"]) == (11, 15, 13, 3)
    top = {t["outlet"]: t["n"] for t in fan["top"]}
    assert top == {"@cgtn (twitter)": 7, "@rt (twitter)": 2, "sputniknews.com": 2, "rt.com": 1}
    assert fan["countries"] == {"China": 7, "Russia": 4}
    assert rows["fan"]["score"] == pytest.approx(1.0)
    assert rows["fan"]["evidence"].startswith(
        "73% of links and reposts (11 of 15) go to state media: @cgtn (twitter) (China, SC) 7, "
    )
    own = rows["42"]
    assert own["details"]["self"] == "@cgtn (twitter)" and own["score"] == pytest.approx(0.3)
    assert own["evidence"].endswith("the account is itself listed: China Global Television Network (CGTN)")


def test_handles_match_only_on_their_platform(engine: Engine) -> None:
    posts = [
        {
            "platform": "mastodon",
            "post_id": f"m{i}",
            "account_id": "a",
            "created_at": "2024-03-04 09:15",
            "kind": "repost",
            "repost_of_account_id": "cgtn",
        }
        for i in range(5)
    ]
    rows = _by_account(StateMedia().accounts(engine(posts=posts)))
    assert rows["a"]["details"]["n_state"] == 0 and rows["a"]["score"] == 0.0


def test_no_posts_gives_no_rows(engine: Engine) -> None:
    eng = engine(accounts=[{"account_id": "a", "handle": "rt"}], clusters={"a": 0})
    table = StateMedia().accounts(eng)
    assert table.schema == SIGNALS and table.num_rows == 0
    clusters = StateMedia().clusters(eng)
    assert clusters is not None and clusters.to_pylist()[0]["score"] is None


def test_temp_tables_are_dropped(engine: Engine) -> None:
    eng = engine(posts=_links("a", ["https://rt.com/1"]))
    StateMedia().accounts(eng)
    assert not eng.rows("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '\\_sm\\_%' ESCAPE '\\'")


# -- per cluster -----------------------------------------------------------------------------------------------


def test_clusters_share_and_dominant_country(engine: Engine) -> None:
    cn = [f"https://cgtn.com/n/{i}" for i in range(8)]
    posts = (
        _links("a1", cn + ["https://rt.com/1"] + [f"https://example.com/{i}" for i in range(6)])
        + _links("a2", cn[:6] + [f"https://example.com/{i}" for i in range(4)])
        + _links("a3", [f"https://t.co/{i}" for i in range(3)])
        + _links("b1", ["https://rt.com/1"] + [f"https://example.com/{i}" for i in range(49)])
        + _links("b2", [f"https://example.com/{i}" for i in range(50)])
        + [{"account_id": "c1", "created_at": "2024-03-04 09:15"}]
    )
    eng = engine(posts=posts, clusters={"a1": 0, "a2": 0, "a3": 0, "b1": 1, "b2": 1, "c1": 2})
    table = StateMedia().clusters(eng)
    assert table is not None and table.schema == CLUSTER_SIGNALS
    rows = {r["cluster"]: r for r in table.to_pylist()}
    zero = json.loads(rows[0]["details"])
    assert (zero["n_state"], zero["n_actions"], zero["accounts"], zero["accounts_assessed"]) == (15, 25, 3, 2)
    assert zero["dominant_country"] == "China" and zero["dominant_share"] == pytest.approx(14 / 15)
    assert zero["countries"] == {"China": 14, "Russia": 1} and zero["accounts_high"] == 2
    assert rows[0]["score"] == pytest.approx(1.0) and rows[0]["value"] == pytest.approx(0.6)
    assert rows[0]["evidence"] == (
        "60% of the links and reposts of its 3 accounts (15 of 25) go to state media, 93% of them China's: "
        "cgtn.com (China, SC) 14, rt.com (Russia, SC) 1"
    )
    assert rows[1]["score"] == 0.0 and rows[1]["value"] == pytest.approx(0.01)
    assert rows[2]["score"] is None and rows[2]["value"] is None


def test_no_clusters_table_gives_none(engine: Engine) -> None:
    assert StateMedia().clusters(engine(posts=_links("a", ["https://rt.com/1"]))) is None


# -- registry and portability ----------------------------------------------------------------------------------


def test_registered_under_its_name() -> None:
    assert isinstance(make_signal("state_media", min_share=0.2), StateMedia)


def test_every_query_transpiles_to_spark(engine: Engine) -> None:
    seen: list[str] = []

    class Recording(DuckDBEngine):
        def create(self, name: str, sql: str) -> int:
            seen.append(sql)
            return super().create(name, sql)

        def rows(self, sql: str) -> list[tuple[Any, ...]]:
            seen.append(sql)
            return super().rows(sql)

    eng = engine(posts=_links("a", ["https://rt.com/1"]), clusters={"a": 0})
    eng.__class__ = Recording
    StateMedia().accounts(eng)
    StateMedia().clusters(eng)
    assert len(seen) >= 10
    for sql in seen:
        assert transpile(sql, "spark")
