"""``--profile coortweet`` against CooRTweet 2.1.2 on its bundled ``russian_coord_tweets``.

The stated results (S1, S2, S4, S6 of ../shared/data/peer_fixtures/coortweet/SOURCE.md) and the reference outputs
made with the unmodified R code are checked twice: through the canonical dataset (ingest, ``posts``,
:func:`shares_from_posts`), which is how the scan runs, and straight from the CSV rows CooRTweet reads.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from overt import Dataset, build_dataset, read_dataset
from overt.coordination.profiles.coortweet import (
    RESULT_COLUMNS,
    detect_groups,
    generate_coordinated_network,
    shares_from_posts,
)
from overt.errors import OvertError

RUSSIAN = Path(__file__).resolve().parents[3] / "examples" / "coortweet-russia-2021" / "russian_coord_tweets.csv.gz"
PATHS = ("canonical", "csv")
EDGE_FIELDS = ("weight", "avg_time_delta", "n_content_id", "n_content_id_y", "edge_symmetry_score", "weight_threshold")


@pytest.fixture(scope="module")
def russian(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, dict[str, str]]:
    """The example ingested once, with two shares views: from canonical posts, and from the CSV as R reads it."""
    out = tmp_path_factory.mktemp("coortweet") / "dataset"
    build_dataset([RUSSIAN], out)
    ds = read_dataset(out)
    con = ds.connection
    canonical = shares_from_posts(con, ds.posts)
    # pyarrow reads the rows in file order; share_order numbers them as R's data.table does.
    table = pacsv.read_csv(RUSSIAN)
    table = table.append_column("share_order", pa.array(range(1, table.num_rows + 1), pa.int64()))
    con.register("russian_csv", table)
    con.execute(
        "CREATE TEMP VIEW csv_shares AS SELECT object_id, account_id, content_id, "
        "CAST(timestamp_share AS BIGINT) AS timestamp_share, share_order FROM russian_csv"
    )
    return ds, {"canonical": canonical, "csv": "csv_shares"}


def _expected(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple]:
    """A CooRTweet result file as tuples of RESULT_COLUMNS (time_delta as a number)."""
    rows = con.execute(f"SELECT * FROM read_csv('{path}', all_varchar = true)").fetchall()
    return [(*r[:3], int(r[3]), *r[4:]) for r in rows]


def _edges(con: duckdb.DuckDBPyConnection, path: Path) -> dict[tuple[str, str], tuple]:
    """An igraph edge list written by R, keyed by the sorted pair (igraph may write either end first)."""
    rows = con.execute(f"SELECT * FROM read_csv('{path}')").fetchall()
    return {(min(r[0], r[1]), max(r[0], r[1])): tuple(r[2:]) for r in rows}


def _assert_same_edges(rows: list[tuple], expected: dict[tuple[str, str], tuple]) -> None:
    edges = {(r[0], r[1]): r[2:] for r in rows}
    assert len(edges) == len(rows)
    assert set(edges) == set(expected)
    for pair, want in expected.items():
        have = edges[pair]
        for field, h, w in zip(EDGE_FIELDS, have, want, strict=True):
            if field in ("avg_time_delta", "edge_symmetry_score"):
                assert h == pytest.approx(w, rel=0, abs=1e-9), (pair, field)
            else:
                assert h == w, (pair, field)


def _vertices(rows: list[tuple]) -> set[str]:
    return {v for a, b, *_ in rows for v in (a, b)}


@pytest.mark.parametrize("path", PATHS)
def test_s1_first_six_rows_as_in_the_vignette(russian, shared_data, path):
    ds, views = russian
    fixtures = shared_data / "peer_fixtures" / "coortweet"
    result = detect_groups(ds.connection, views[path], time_window=60, min_participation=2)
    assert tuple(result.columns) == RESULT_COLUMNS
    head = _expected(ds.connection, fixtures / "A1_head6.csv")
    assert result.limit(6).fetchall() == head
    assert [r[3] for r in head] == [36, 59, 23, 48, 41, 5]


@pytest.mark.parametrize("path", PATHS)
def test_s1_every_row_in_coortweets_order(russian, shared_data, path):
    ds, views = russian
    result = detect_groups(ds.connection, views[path], time_window=60, min_participation=2).fetchall()
    assert result == _expected(ds.connection, shared_data / "peer_fixtures/coortweet/russian_mp2_tw60_result.csv.gz")
    assert len(result) == 3_791
    assert len({r[0] for r in result}) == 502
    assert len({a for r in result for a in (r[4], r[5])}) == 2_110


@pytest.mark.parametrize("path", PATHS)
def test_s2_network_every_edge_and_weight(russian, shared_data, path):
    ds, views = russian
    con = ds.connection
    result = detect_groups(con, views[path], time_window=60, min_participation=2)
    network = generate_coordinated_network(con, result, edge_weight=0.5).fetchall()
    _assert_same_edges(
        network, _edges(con, shared_data / "peer_fixtures/coortweet/russian_mp2_tw60_ew0.5_edges.csv.gz")
    )
    # IGRAPH UNW- 2110 3721; the median weight is 1, so the 60 edges heavier than 1 pass the threshold.
    assert (len(network), len(_vertices(network))) == (3_721, 2_110)
    assert sorted({(r[7], r[2] > 1) for r in network}) == [(0, False), (1, True)]
    assert sum(r[7] for r in network) == 60


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("remove_loops", "rows", "vertices", "edges"), [(True, 22, 23, 20), (False, 60, 30, 27)], ids=["TRUE", "FALSE"]
)
def test_s4_remove_loops(russian, shared_data, path, remove_loops, rows, vertices, edges):
    ds, views = russian
    con = ds.connection
    fixtures = shared_data / "peer_fixtures" / "coortweet"
    stem = f"russian_mp5_tw10_removeloops_{str(remove_loops).upper()}"
    relation = detect_groups(con, views[path], time_window=10, min_participation=5, remove_loops=remove_loops)
    result = relation.fetchall()
    assert result == _expected(con, fixtures / f"{stem}_result.csv.gz")
    assert len(result) == rows
    network = generate_coordinated_network(con, relation).fetchall()
    _assert_same_edges(network, _edges(con, fixtures / f"{stem}_edges.csv.gz"))
    assert (len(network), len(_vertices(network))) == (edges, vertices)
    # The test in CooRTweet's testthat suite: this account only has loops.
    assert ("9fa51ef17278c01d13d313741eddfc0b" in _vertices(network)) is not remove_loops
    assert sum(r[4] == r[5] for r in result) == (0 if remove_loops else 33)


def test_s4_accounts_are_those_of_account_stats(russian, shared_data):
    ds, views = russian
    con = ds.connection
    stats = shared_data / "peer_fixtures/coortweet/russian_mp5_tw10_account_stats_none.csv.gz"
    accounts = {r[0] for r in con.execute(f"SELECT account_id FROM read_csv('{stats}')").fetchall()}
    result = detect_groups(con, views["canonical"], time_window=10, min_participation=5)
    assert _vertices(generate_coordinated_network(con, result).fetchall()) == accounts
    assert len(accounts) == 23


@pytest.mark.parametrize("path", PATHS)
def test_s6_no_account_in_the_result_has_fewer_than_min_participation_rows(russian, path):
    ds, views = russian
    con = ds.connection
    result = detect_groups(con, views[path], time_window=600, min_participation=2)
    accounts = result.select("account_id AS a").union(result.select("account_id_y AS a")).distinct()
    counts = con.sql(f"SELECT account_id, count(*) AS n FROM {views[path]} GROUP BY account_id")
    joined = accounts.join(counts, "a = account_id")
    assert joined.aggregate("min(n)").fetchall() == [(2,)]


def test_the_canonical_dataset_keeps_one_object_per_post(russian):
    """Where the canonical path parts from CooRTweet, and exactly why.

    40 rows of russian_coord_tweets repeat a content id: 39 list a tweet under a second object, one repeats a
    row. A post has one repost_of_post_id, so ingest keeps the first row and reports the other as a duplicate.
    None of those second objects has another share within 129 s, and the stated runs do not change. With
    time_window = 10 and min_participation = 2 one pair does: content ae23532e... is listed under two objects;
    filter_min_participation counts its account's *rows* among the paired contents, so in R that one content
    counts twice and lets the pair through, while the canonical dataset counts it once.
    """
    ds, views = russian
    con = ds.connection
    assert ds.rejects.filter("reason LIKE 'duplicate post id%'").count("*").fetchall() == [(40,)]
    from_csv = set(detect_groups(con, views["csv"], time_window=10, min_participation=2).fetchall())
    canonical = set(detect_groups(con, views["canonical"], time_window=10, min_participation=2).fetchall())
    assert (len(from_csv), len(canonical)) == (447, 446)
    [lost] = from_csv - canonical
    assert not canonical - from_csv
    assert lost[1:4] == ("6c25a114a7bd6d967761ac184e1716e0", "ae23532e68237f501d402f829afe8d8d", 9)
    objects = con.execute(
        "SELECT count(*) FROM russian_csv WHERE content_id = 'ae23532e68237f501d402f829afe8d8d'"
    ).fetchall()
    assert objects == [(2,)]


def test_without_share_order_the_same_pairs_are_found(russian):
    ds, _ = russian
    con = ds.connection
    con.execute("CREATE OR REPLACE TEMP VIEW unordered AS SELECT * EXCLUDE (share_order) FROM csv_shares")

    def pairs(view: str) -> set[tuple]:
        rows = detect_groups(con, view, time_window=60, min_participation=2).fetchall()
        # Without the input order only the direction of zero-delay pairs may differ.
        return {(r[0], frozenset((r[1], r[2])), r[3], frozenset((r[4], r[5]))) for r in rows}

    assert pairs("unordered") == pairs("csv_shares")


def _posts(con: duckdb.DuckDBPyConnection) -> str:
    """A few canonical posts: two accounts repost, link, tag and write the same things seconds apart."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE few_posts AS
        SELECT * FROM (VALUES
            ('p1', 'a', TIMESTAMPTZ '2021-01-01 00:00:00+00', 'RT @x: Hello World ', 'post', NULL,
             ['https://example.com/1', 'https://twitter.com/a/status/1'], ['example.com', 'twitter.com'], ['tag'], 1),
            ('p2', 'b', TIMESTAMPTZ '2021-01-01 00:00:05+00', 'hello world', 'post', NULL,
             ['https://example.com/1'], ['example.com'], ['tag'], 2),
            ('p3', 'a', TIMESTAMPTZ '2021-01-01 00:01:00+00', 'Hello World', 'repost', 'p2', [], [], [], 3),
            ('p4', 'b', TIMESTAMPTZ '2021-01-01 00:01:03+00', 'hello @y world', 'reply', NULL, [], [], [], 4)
        ) AS t(post_id, account_id, created_at, text, kind, repost_of_post_id, urls, domains, hashtags, line)
        """
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW few AS SELECT * EXCLUDE (line), {'file': 'f.csv', 'line': line} AS source "
        "FROM few_posts"
    )
    return "few"


def _shares(con: duckdb.DuckDBPyConnection, view: str) -> list[tuple]:
    return con.execute(f"SELECT * FROM {view} ORDER BY share_order").fetchall()


def test_shares_of_each_object_type():
    con = duckdb.connect()
    posts = _posts(con)
    t0 = 1_609_459_200
    assert _shares(con, shares_from_posts(con, posts)) == [("p2", "a", "p3", t0 + 60, 1)]
    # Links to twitter.com are dropped, as reshape_tweets(intent = "urls") drops them.
    assert _shares(con, shares_from_posts(con, posts, "url")) == [
        ("https://example.com/1", "a", "p1", t0, 1),
        ("https://example.com/1", "b", "p2", t0 + 5, 2),
    ]
    assert [r[0] for r in _shares(con, shares_from_posts(con, posts, "domain"))] == [
        "example.com",
        "twitter.com",
        "example.com",
    ]
    assert [r[0] for r in _shares(con, shares_from_posts(con, posts, "hashtag"))] == ["tag", "tag"]
    # normalize_text(): mention and "RT" gone, lower case, trimmed; reposts and replies are not cotweets.
    assert _shares(con, shares_from_posts(con, posts, "text")) == [
        ("hello world", "a", "p1", t0, 1),
        ("hello world", "b", "p2", t0 + 5, 2),
    ]
    originals = _shares(con, shares_from_posts(con, posts, include_originals=True, name="with_originals"))
    assert originals == [("p2", "a", "p3", t0 + 60, 1), ("p2", "b", "p2", t0 + 5, 2)]


def test_several_object_types_combined_with_prefixes():
    con = duckdb.connect()
    posts = _posts(con)
    view = shares_from_posts(con, posts, objects=["url", "hashtag", "text"])
    assert view == "coortweet_shares_url_hashtag_text"
    assert sorted({r[0] for r in _shares(con, view)}) == [
        "hashtag_tag",
        "text_hello world",
        "url_https://example.com/1",
    ]
    # One pair per object type; the min_participation filter counts the rows of every type together.
    result = detect_groups(con, view, time_window=10, min_participation=2).fetchall()
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in result] == [
        ("url_https://example.com/1", "p1", "p2", 5, "a", "b"),
        ("hashtag_tag", "p1", "p2", 5, "a", "b"),
        ("text_hello world", "p1", "p2", 5, "a", "b"),
    ]
    edges = generate_coordinated_network(con, result_relation=detect_groups(con, view, time_window=10)).fetchall()
    assert edges == [("a", "b", 3, 5.0, 1, 1, 1.0, 0)]


def test_bad_arguments_are_refused():
    con = duckdb.connect()
    posts = _posts(con)
    with pytest.raises(OvertError, match="Unknown CooRTweet object type"):
        shares_from_posts(con, posts, "image")
    with pytest.raises(OvertError, match="missing column"):
        detect_groups(con, posts)
    with pytest.raises(OvertError, match="edge_weight"):
        generate_coordinated_network(con, "few", edge_weight=1.5)
