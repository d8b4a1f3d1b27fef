from __future__ import annotations

from datetime import UTC, datetime

import pytest

from overt.errors import InputError
from overt.ingest.formats.cnt import CNTReader
from overt.ingest.formats.crowdtangle import CrowdTangleReader
from overt.ingest.formats.table import TableReader
from overt.ingest.formats.twitter_io import TwitterIOReader
from tests.conftest import DATA, rows

SHARES = DATA / "coortweet" / "shares.csv"
ID_USER = DATA / "coortweet" / "shares_id_user.csv"
MULTIMODAL = DATA / "coortweet" / "multimodal.csv"
OTHERS = (CrowdTangleReader, CNTReader, TableReader, TwitterIOReader)


def test_shares_become_reposts_of_the_object(ingest):
    ds = ingest(SHARES, format="coortweet", max_reject_rate=1)
    posts = {p["post_id"]: p for p in rows(ds.posts)}
    assert set(posts) == {"c1", "c2", "c3"}
    first = posts["c1"]
    assert (first["platform"], first["account_id"], first["kind"]) == ("twitter", "acc1", "repost")
    assert first["repost_of_post_id"] == "o1"
    # "1623881091.0" is seconds since 1970, written by R as a double.
    assert first["created_at"] == datetime(2021, 6, 16, 22, 4, 51, tzinfo=UTC)
    assert first["source"] == {"file": str(SHARES), "line": 2}
    # No object: an original post. Fractional seconds are kept.
    assert posts["c3"]["kind"] == "post"
    assert posts["c3"]["created_at"] == datetime(2021, 6, 16, 22, 6, 40, 500000, tzinfo=UTC)


def test_bad_rows_and_second_objects_are_rejected_with_their_line(ingest):
    ds = ingest(SHARES, format="coortweet", max_reject_rate=1)
    rejects = sorted((r["line"], r["field"], r["reason"]) for r in rows(ds.rejects))
    assert rejects == [
        (5, "created_at", 'unparseable time "yesterday" (expected epoch)'),
        (6, "post_id", f"duplicate post id c2 (kept the row at {SHARES}:3)"),
    ]
    record = ds.manifest.inputs[0]
    assert record.rows_in == 5
    assert record.posts + record.rejected + record.duplicates == 5


def test_older_id_user_column(ingest):
    ds = ingest(ID_USER, format="coortweet")
    [post] = rows(ds.posts)
    assert (post["account_id"], post["repost_of_post_id"]) == ("u1", "o9")


def test_missing_account_column_is_named(tmp_path, ingest):
    path = tmp_path / "no_account.csv"
    path.write_text("object_id,content_id,timestamp_share\no,c,1\n")
    with pytest.raises(InputError, match=r"missing column account_id \(or id_user\) .*found: object_id"):
        ingest(path, format="coortweet")


def test_multimodal_layout(ingest):
    ds = ingest(MULTIMODAL, format="coortweet", max_reject_rate=1)
    posts = {p["post_id"]: p for p in rows(ds.posts)}
    assert set(posts) == {"10", "20"}
    tweet = posts["10"]
    assert (tweet["platform"], tweet["account_id"], tweet["kind"]) == ("twitter", "tw_1", "post")
    # Anonymised ids: the URL is not a web address, so it has no domain.
    assert (tweet["urls"], tweet["domains"], tweet["hashtags"], tweet["media"]) == (["url:501"], [], ["77"], [])
    assert tweet["created_at"] == datetime(2021, 8, 21, 23, 50, 36, tzinfo=UTC)
    # A post with two images spans three rows; the kept row holds both hashes.
    facebook = posts["20"]
    assert facebook["platform"] == "facebook"
    assert sorted(facebook["media"]) == ["300", "301"]
    assert facebook["source"]["line"] == 3
    rejects = sorted((r["line"], r["field"], r["reason"].split(":")[0]) for r in rows(ds.rejects))
    assert rejects == [
        (4, "post_id", f"duplicate post id 20 (kept the row at {MULTIMODAL}"),
        (5, "post_id", f"duplicate post id 20 (kept the row at {MULTIMODAL}"),
        (6, "platform", "missing platform"),
        (7, None, "too many columns"),
        (8, "post_id", "missing post id"),
    ]
    record = ds.manifest.inputs[0]
    assert (record.rows_in, record.posts, record.rejected, record.duplicates) == (7, 2, 3, 2)
