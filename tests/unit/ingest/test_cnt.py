from __future__ import annotations

from datetime import UTC, datetime

import pytest

from overt.errors import InputError
from overt.ingest.formats.cnt import CNTReader
from overt.ingest.formats.coortweet import CooRTweetReader
from overt.ingest.formats.crowdtangle import CrowdTangleReader
from overt.ingest.formats.table import TableReader
from overt.ingest.formats.twitter_io import TwitterIOReader
from overt.ingest.sniff import read_head
from tests.conftest import DATA, rows

MESSAGES = DATA / "cnt" / "messages.csv"
RENAMED = DATA / "cnt" / "renamed.csv"
OTHERS = (CooRTweetReader, CrowdTangleReader, TableReader, TwitterIOReader)


def test_sniffing_needs_the_documented_names():
    assert not CNTReader.sniff(read_head(RENAMED))
    for path in (
        *(DATA / "coortweet").glob("*.csv"),
        *(DATA / "crowdtangle").glob("*.csv"),
        DATA / "table" / "posts.csv",
    ):
        assert not CNTReader.sniff(read_head(path)), path


def test_messages(ingest):
    ds = ingest(MESSAGES, format="cnt", max_reject_rate=1)
    posts = {p["post_id"]: p for p in rows(ds.posts)}
    assert set(posts) == {"m1", "m2", "m3"}
    first = posts["m1"]
    assert (first["platform"], first["account_id"], first["kind"]) == ("unknown", "u1", "post")
    assert first["created_at"] == datetime(2020, 11, 27, 4, 26, 10, 518101, tzinfo=UTC)
    # The urls column is used as given (space separated); hashtags still come from the message.
    assert first["urls"] == ["https://example.org/a", "https://example.com/b"]
    assert first["hashtags"] == ["world"]
    assert first["source"] == {"file": str(MESSAGES), "line": 2}
    repost = posts["m2"]
    assert (repost["kind"], repost["repost_of_post_id"], repost["urls"]) == ("repost", "m1", [])
    reply = posts["m3"]
    assert (reply["kind"], reply["reply_to_post_id"], reply["mentions"]) == ("reply", "m1", ["alice"])
    # The toolkit's own sample data writes Python lists; the punctuation is not part of the URL.
    assert reply["urls"] == ["http://example.com/4"]
    accounts = {a["account_id"]: a["handle"] for a in rows(ds.accounts)}
    assert accounts == {"u1": "alice", "u2": "bob", "u3": "carol"}


def test_bad_timestamp_is_rejected_with_its_line(ingest):
    ds = ingest(MESSAGES, format="cnt", max_reject_rate=1)
    assert [(r["line"], r["field"], r["reason"]) for r in rows(ds.rejects)] == [
        (5, "created_at", 'unparseable time "soon" (expected epoch)')
    ]


def test_columns_are_read_by_position(ingest):
    ds = ingest(RENAMED, format="cnt")
    posts = {p["post_id"]: p for p in rows(ds.posts)}
    # Relative seconds, as the toolkit allows, land in January 1970.
    assert posts["x1"]["created_at"] == datetime(1970, 1, 1, tzinfo=UTC)
    assert (posts["x2"]["repost_of_post_id"], posts["x2"]["account_id"]) == ("x1", "u9")


def test_wrong_number_of_columns(tmp_path, ingest):
    path = tmp_path / "seven.csv"
    path.write_text("a,b,c,d,e,f,g\n1,2,3,4,5,6,7\n")
    with pytest.raises(InputError, match=r"needs exactly 8 columns in this order: message_id, .* \(found 7: a, b"):
        ingest(path, format="cnt")
