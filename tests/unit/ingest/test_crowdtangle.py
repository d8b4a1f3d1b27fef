from __future__ import annotations

from datetime import UTC, datetime

from overt.ingest.formats.cnt import CNTReader
from overt.ingest.formats.coortweet import CooRTweetReader
from overt.ingest.formats.table import TableReader
from overt.ingest.formats.twitter_io import TwitterIOReader
from tests.conftest import DATA, rows

SHARES = DATA / "crowdtangle" / "ct_shares.csv"
API = DATA / "crowdtangle" / "ct_api.csv"
PANDAS = DATA / "crowdtangle" / "ct_pandas.csv"
OTHERS = (CooRTweetReader, CNTReader, TableReader, TwitterIOReader)


def test_coornet_shares(ingest):
    ds = ingest(SHARES, format="crowdtangle", max_reject_rate=1)
    posts = {p["post_id"]: p for p in rows(ds.posts)}
    assert set(posts) == {"111_222", "333_444"}
    group = posts["111_222"]
    assert (group["platform"], group["account_id"], group["kind"]) == ("facebook", "10126331", "post")
    assert group["created_at"] == datetime(2020, 11, 29, 22, 3, 33, tzinfo=UTC)
    assert group["text"] is None  # R's NA
    # CooRnet writes one row per shared link: the kept row has both, tracking parameters dropped.
    assert sorted(group["urls"]) == ["https://news.example.com/story", "https://other.example.org/b"]
    assert group["source"] == {"file": str(SHARES), "line": 2}
    insta = posts["333_444"]
    assert insta["platform"] == "instagram"
    # The shared link first, then the links written in the message; tags come from the message.
    assert insta["urls"] == ["https://news.example.com/story", "https://blog.example.net/post"]
    assert insta["domains"] == ["example.com", "example.net"]
    assert (insta["hashtags"], insta["mentions"]) == (["mustread"], ["friend"])
    assert insta["text"] == "Read this #MustRead\nhttps://www.blog.example.net/post and tell @friend"
    assert insta["source"]["line"] == 4


def test_account_fields_and_na(ingest):
    ds = ingest(SHARES, format="crowdtangle", max_reject_rate=1)
    accounts = {a["account_id"]: a for a in rows(ds.accounts)}
    assert set(accounts) == {"10126331", "20202020"}
    page = accounts["10126331"]
    assert (page["handle"], page["display_name"], page["followers"], page["verified"]) == (
        "pageone",
        "Page One",
        2991,
        False,
    )
    assert (page["description"], page["reported_location"]) == ("About page one", "US")
    assert page["created_at"] == datetime(2015, 10, 30, 20, 47, tzinfo=UTC)
    profile = accounts["20202020"]
    assert (profile["handle"], profile["description"], profile["created_at"]) == (None, None, None)
    assert (profile["followers"], profile["verified"]) == (15, True)


def test_coornet_verdict_is_not_a_label_and_bad_rows_are_rejected(ingest):
    ds = ingest(SHARES, format="crowdtangle", max_reject_rate=1)
    assert "labels" not in ds.tables
    rejects = sorted((r["line"], r["field"], r["reason"]) for r in rows(ds.rejects))
    assert rejects == [
        (3, "post_id", f"duplicate post id 111_222 (kept the row at {SHARES}:2)"),
        (5, "created_at", 'unparseable time "yesterday" (expected %Y-%m-%d %H:%M:%S, iso)'),
    ]


def test_plain_api_export(ingest):
    ds = ingest(API, format="crowdtangle")
    [post] = rows(ds.posts)
    assert (post["post_id"], post["account_id"], post["lang"]) == ("777_888", "4040", "en")
    # Without CooRnet's "expanded", the attachment link is used.
    assert post["urls"] == ["https://example.com/x"]
    [account] = rows(ds.accounts)
    assert (account["handle"], account["followers"]) == ("four", None)


def test_pandas_column_names(ingest):
    ds = ingest(PANDAS, format="crowdtangle")
    [post] = rows(ds.posts)
    assert (post["post_id"], post["account_id"], post["urls"]) == ("999_1", "5050", ["https://example.com/y"])
    [account] = rows(ds.accounts)
    assert (account["handle"], account["followers"], account["verified"]) == ("five", 313, False)


def test_timezone_option_applies_to_dates(ingest):
    ds = ingest(API, format="crowdtangle", timezone="America/New_York")
    [post] = rows(ds.posts)
    assert post["created_at"] == datetime(2021, 1, 5, 15, 0, tzinfo=UTC)
