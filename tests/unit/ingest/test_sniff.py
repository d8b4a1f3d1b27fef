"""Format detection across every reader: each fixture is claimed by exactly its own format, and nothing else."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from overt.errors import FormatError, InputError
from overt.ingest.formats import FORMATS, detect_format, reader_class
from overt.ingest.sniff import read_head
from tests.conftest import DATA, head_of

FIXTURES = sorted(p for p in DATA.glob("*/*") if p.suffix != ".toml")
#: Fixtures that only a forced --format reads: CNT reads its columns by position, whatever their names.
NEEDS_FORMAT = {"cnt/renamed.csv"}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_fixture_is_detected_as_its_own_format_only(path: Path):
    expected = path.parent.name
    assert expected in FORMATS
    if expected == "table" or f"{expected}/{path.name}" in NEEDS_FORMAT:  # no reader may claim these
        with pytest.raises(FormatError, match="no known format matches"):
            detect_format(read_head(path))
    else:
        assert detect_format(read_head(path)) == expected


# Inline JSON shapes and the one format that may claim each (None: no format may).
SHAPES: list[tuple[object, str | None]] = [
    ({"did": "did:plc:abc", "time_us": 1725911162329308, "kind": "commit", "commit": {}}, "bluesky"),
    # Fragments of other platforms' shapes: too little for their own readers, and never v1 or v2.
    ({"feed": [{"post": {"uri": "at://did:plc:abc/app.bsky.feed.post/1"}}], "cursor": "x"}, None),
    (
        {"id": "109", "uri": "https://m.example/1", "content": "<p>hi</p>", "account": {"id": "1"}, "reblog": None},
        None,
    ),
    ({"name": "Channel", "type": "public_channel", "id": 1, "messages": []}, "telegram"),
    ({"id": 1, "id_str": "1", "user": {"id_str": "2"}, "created_at": "Wed Oct 10 20:19:24 +0000 2018"}, "twitter-v1"),
    ({"id_str": "1", "created_at": "Wed Oct 10 20:19:24 +0000 2018"}, None),  # no user: not a usable status
    ({"delete": {"note": "not the v1 shape"}}, None),
    ({"id": "1", "author_id": "2", "text": "x", "created_at": "2021-01-01T00:00:00.000Z"}, "x-api-v2"),
    ([{"id": "1", "author_id": "2", "text": "x"}], "x-api-v2"),
    ({"data": {"id": "1", "text": "x"}, "includes": {"users": []}}, "x-api-v2"),
    ({"data": {"id": "1", "text": "x", "author_id": "2"}, "matching_rules": [{"id": "9", "tag": "hk"}]}, "x-api-v2"),
    ({"errors": [{"title": "Not Found", "type": "https://api.twitter.com/2/problems/resource-not-found"}]}, "x-api-v2"),
    ({"data": [{"id": "1", "name": "not a tweet"}]}, None),
    ({"meta": {"result_count": 0}}, None),
    ({"errors": [{"message": "Rate limit exceeded", "code": 88}]}, None),
    ([], None),
    (None, None),
]


@pytest.mark.parametrize(("value", "expected"), SHAPES)
def test_json_shapes_are_claimed_by_their_format_only(value, expected):
    claimed = [name for name in FORMATS if name != "table" and reader_class(name).sniff(head_of(value))]
    assert claimed == ([expected] if expected else [])


@pytest.mark.parametrize("opener", [gzip.open, bz2.open, lzma.open])
def test_compressed_inputs_are_sniffed_through(tmp_path, opener):
    src = DATA / "twitter-io" / "tweets.csv"
    packed = tmp_path / "tweets.csv.z"
    with opener(packed, "wb") as f:
        f.write(src.read_bytes())
    head = read_head(packed)
    assert head.columns is not None and head.columns[:2] == ("tweetid", "userid")
    assert detect_format(head) == "twitter-io"


def test_byte_order_mark_and_delimiters(tmp_path):
    tsv = tmp_path / "x.tsv"
    tsv.write_bytes("\ufeffa\tb;c\n1\t2\n".encode())
    head = read_head(tsv)
    assert (head.delimiter, head.columns) == ("\t", ("a", "b;c"))


def test_parquet_head_gives_its_columns(tmp_path):
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"post_id": ["1"], "account_id": ["a"]}), path)
    assert read_head(path).columns == ("post_id", "account_id")


def test_ambiguous_match_asks_for_format(monkeypatch):
    from overt.ingest.formats.cnt import CNTReader

    monkeypatch.setattr(CNTReader, "sniff", classmethod(lambda cls, head: True))
    with pytest.raises(FormatError, match=r"matches several formats \(twitter-io, cnt\); pass --format"):
        detect_format(read_head(DATA / "twitter-io" / "tweets.csv"))


def test_unreadable_compressed_file(tmp_path):
    broken = tmp_path / "x.csv.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(InputError, match=r"x.csv.gz: cannot be read"):
        read_head(broken)
