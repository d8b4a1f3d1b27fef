"""The CSV readers and the table mappings on the real data in ../shared/data: every input row is accounted for."""

from __future__ import annotations

from pathlib import Path

import pytest

from overt.ingest.formats import detect_format
from overt.ingest.formats.cnt import CNTReader
from overt.ingest.formats.coortweet import CooRTweetReader
from overt.ingest.formats.crowdtangle import CrowdTangleReader
from overt.ingest.sniff import read_head
from tests.conftest import rows

pytestmark = pytest.mark.real_data

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "mappings"
READERS = (CooRTweetReader, CrowdTangleReader, CNTReader)


def _accounted(ds, rows_in: int, posts: int, rejected: int, duplicates: int) -> None:
    [record] = ds.manifest.inputs
    assert (record.rows_in, record.posts, record.rejected, record.duplicates) == (rows_in, posts, rejected, duplicates)
    assert record.posts + record.account_rows + record.rejected + record.duplicates == record.rows_in


def _sniffed_by(path: Path) -> list[str]:
    head = read_head(path)
    names = [reader.name for reader in READERS if reader.sniff(head)]
    assert names == [detect_format(head)]  # and no other registered format claims the file
    return names


def test_russian_coord_tweets(shared_data, ingest):
    path = shared_data / "coortweet_coordination" / "russian_coord_tweets.csv.gz"
    assert _sniffed_by(path) == ["coortweet"]
    ds = ingest(path, format="coortweet")
    # 35,125 shares of 35,085 tweets: 40 tweets share a second object, reported as duplicates.
    _accounted(ds, 35_125, 35_085, 0, 40)
    assert ds.posts.aggregate("count(DISTINCT account_id), min(kind), max(kind)").fetchall() == [
        (9_509, "repost", "repost")
    ]
    assert ds.accounts.count("*").fetchall() == [(9_509,)]


def test_german_elections(shared_data, ingest):
    path = shared_data / "coortweet_coordination" / "german_elections.csv.gz"
    assert _sniffed_by(path) == ["coortweet"]
    ds = ingest(path, format="coortweet")
    # One row per (post, image): 194,323 posts, 24,645 repeated rows, 3 rows without a post id.
    _accounted(ds, 218_971, 194_323, 3, 24_645)
    per_platform = dict(ds.posts.aggregate("platform, count(*)", "platform").fetchall())
    assert per_platform == {"facebook": 81_566, "twitter": 112_757}
    # Every distinct (post, image hash) pair of the file is kept, also from the repeated rows.
    assert ds.posts.aggregate("sum(len(media)), sum(len(urls)), sum(len(hashtags))").fetchall() == [
        (16_934, 41_100, 36_005)
    ]
    rejects = ds.rejects.filter("reason NOT LIKE 'duplicate%'").order("line")
    assert [(r["line"], r["reason"]) for r in rows(rejects)] == [
        (41_002, "missing post id"),
        (50_977, "missing post id"),
        (72_320, "missing post id"),
    ]
    # 58,317 accounts in the file; three appear only on those rejected rows.
    assert ds.accounts.count("*").fetchall() == [(58_314,)]


def test_coornet_ct_shares(shared_data, ingest):
    path = shared_data / "peer_fixtures" / "coornet" / "ct_shares_marked.csv.gz"
    assert _sniffed_by(path) == ["crowdtangle"]
    ds = ingest(path, format="crowdtangle")
    # 772 shares of 744 posts: CooRnet repeats a post for each link it shares.
    _accounted(ds, 772, 744, 0, 28)
    assert ds.accounts.count("*").fetchall() == [(664,)]
    assert "labels" not in ds.tables
    shared = ds.posts.filter(
        "list_contains(urls, 'https://zerohedge.com/medical/pandemic-over-former-pfizer-chief-"
        "science-officer-says-second-wave-faked-false-positive')"
    )
    assert shared.count("*").fetchall()[0][0] > 0


def test_cnt_coretweet_fixture(shared_data, ingest):
    path = shared_data / "peer_fixtures" / "coordination_network_toolkit" / "coretweet_test_input.csv"
    assert _sniffed_by(path) == ["cnt"]
    ds = ingest(path, format="cnt")
    _accounted(ds, 15, 15, 0, 0)
    assert ds.posts.aggregate("min(kind), max(kind), count(DISTINCT repost_of_post_id)").fetchall() == [
        ("repost", "repost", 7)
    ]
    assert ds.accounts.count("*").fetchall() == [(9,)]


def test_hk2021_posts_and_accounts_in_one_run_with_one_mapping_each(shared_data, ingest):
    folder = shared_data / "organic_hk2021_academictwitter"
    ds = ingest(
        folder / "posts.csv.gz",
        folder / "accounts.csv.gz",
        mapping=[EXAMPLES / "hk2021.toml", EXAMPLES / "hk2021-accounts.toml"],
    )
    posts, accounts = ds.manifest.inputs
    assert (posts.rows_in, posts.posts, posts.rejected, posts.duplicates) == (7_919, 7_919, 0, 0)
    assert (accounts.rows_in, accounts.account_rows, accounts.rejected) == (3_803, 3_803, 0)
    assert posts.mapping == str(EXAMPLES / "hk2021.toml") and len(posts.mapping_sha256 or "") == 64
    kinds = dict(ds.posts.aggregate("kind, count(*)", "kind").fetchall())
    assert kinds == {"post": 1_741, "repost": 2_523, "reply": 3_386, "quote": 269}
    assert ds.posts.aggregate(
        "count(repost_of_post_id), count(quote_of_post_id), count(reply_to_post_id), count(repost_of_account_id)"
    ).fetchall() == [(2_523, 269, 3_386, 2_523)]
    # The two files fit together: every post author has a profile row (and referenced authors too).
    assert ds.manifest.tables["accounts"] == 3_803
    no_profile = ds.connection.sql(
        f"SELECT count(*) FROM read_parquet('{ds.path}/accounts.parquet') WHERE created_at IS NULL"
    ).fetchall()[0][0]
    assert no_profile == 0
