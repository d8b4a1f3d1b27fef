"""Behaviour of the ingest pipeline shared by every format: accounting, rejects, lines, atomic writes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overt import build_dataset, read_dataset
from overt.errors import DatasetError, FormatError, InputError, RejectRateError
from tests.conftest import DATA, rows

TWEETS = DATA / "twitter-io" / "tweets.csv"
HEADER = (TWEETS.read_text().splitlines()[0]).split(",")


def _tweet(tweetid: str, userid: str = "u1", time: str = "2016-10-01 12:00", text: str = "hello") -> dict[str, str]:
    row = dict.fromkeys(HEADER, "")
    row.update(tweetid=tweetid, userid=userid, tweet_time=time, tweet_text=text, is_retweet="false")
    return row


def _write(path: Path, records: list[dict[str, str] | str]) -> Path:
    """Write a twitter-io CSV; a str record is written verbatim (to break the CSV structure on purpose)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER, lineterminator="\n")
    writer.writeheader()
    for record in records:
        if isinstance(record, str):
            buffer.write(record + "\n")
        else:
            writer.writerow(record)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_structural_rejects_keep_their_lines_and_shift_later_rows(tmp_path, ingest):
    src = _write(
        tmp_path / "t.csv",
        [
            _tweet("1"),
            "2,u1,too,many,columns" + ",x" * 40,
            _tweet("3"),
            _tweet("4", text="two\nlines"),
            "5,u1,also,too,many" + ",x" * 40,
            _tweet("6"),
        ],
    )
    ds = ingest(src, format="twitter-io", max_reject_rate=1)
    lines = {p["post_id"]: p["source"]["line"] for p in rows(ds.posts)}
    assert lines == {"1": 2, "3": 4, "4": 5, "6": 7}
    rejects = rows(ds.rejects.order("line"))
    assert [r["line"] for r in rejects] == [3, 6]
    assert all(r["reason"].startswith("too many columns") for r in rejects)
    assert rejects[0]["raw"].startswith("2,u1,too,many,columns")
    assert ds.manifest.inputs[0].rows_in == 6


def test_field_rejects_name_field_and_reason(tmp_path, ingest):
    src = _write(
        tmp_path / "t.csv",
        [
            _tweet("1"),
            _tweet("2", time="yesterday"),
            _tweet("", text="no id"),
            _tweet("4", userid=""),
            {**_tweet("5"), "follower_count": "many"},
        ],
    )
    ds = ingest(src, format="twitter-io", max_reject_rate=1)
    got = {(r["line"], r["field"]) for r in rows(ds.rejects)}
    assert got == {(3, "created_at"), (4, "post_id"), (5, "account_id"), (6, "followers")}
    reason = rows(ds.rejects.filter("field = 'created_at'"))[0]["reason"]
    assert reason.startswith('unparseable time "yesterday" (expected %Y-%m-%d %H:%M:%S')
    assert [p["post_id"] for p in rows(ds.posts)] == ["1"]


def test_reject_rate_threshold_fails_and_writes_nothing(tmp_path):
    src = _write(tmp_path / "t.csv", [_tweet(str(i)) for i in range(97)] + [_tweet("", text="x")] * 3)
    out = tmp_path / "out"
    with pytest.raises(RejectRateError, match=r"3 of 100 rows rejected \(3.00%\), more than --max-reject-rate 2.00%"):
        build_dataset([src], out, format="twitter-io", max_reject_rate=0.02)
    assert not out.exists()
    assert not list(tmp_path.glob(".out.partial-*"))  # the temporary folder is gone too
    manifest = build_dataset([src], out, format="twitter-io", max_reject_rate=0.03)
    assert (manifest.tables["posts"], manifest.rows_rejected) == (97, 3)


def test_duplicates_across_inputs_are_counted_and_kept_once(tmp_path, ingest):
    a = _write(tmp_path / "a.csv", [_tweet("1"), _tweet("2")])
    b = _write(tmp_path / "b.csv", [_tweet("2"), _tweet("3")])
    ds = ingest(a, b, format="twitter-io")
    assert sorted(p["post_id"] for p in rows(ds.posts)) == ["1", "2", "3"]
    kept = rows(ds.posts.filter("post_id = '2'"))[0]["source"]
    assert kept == {"file": str(a), "line": 3}  # the first input wins
    dup = rows(ds.rejects)[0]
    assert (dup["file"], dup["line"]) == (str(b), 2)
    assert dup["reason"] == f"duplicate post id 2 (kept the row at {a}:3)"
    assert ds.manifest.rows_duplicate == 1 and ds.manifest.rows_rejected == 0
    assert [i.duplicates for i in ds.manifest.inputs] == [0, 1]


def test_manifest_records_inputs_and_assumed_zone(ingest):
    ds = ingest(TWEETS, format="twitter-io", timezone="Europe/Moscow")
    record = ds.manifest.inputs[0]
    assert record.format == "twitter-io" and record.assumed_timezone == "Europe/Moscow"
    assert record.size == TWEETS.stat().st_size and len(record.sha256) == 64
    # 12:00 in Moscow (UTC+3) is 09:00 UTC.
    assert ds.manifest.first_at == "2016-10-01T09:00:00+00:00"
    assert ds.manifest.platforms == ["twitter"]


def test_existing_output_is_not_overwritten_without_asking(tmp_path):
    out = tmp_path / "out"
    build_dataset([TWEETS], out, format="twitter-io")
    with pytest.raises(InputError, match="already exists"):
        build_dataset([TWEETS], out, format="twitter-io")
    build_dataset([TWEETS], out, format="twitter-io", overwrite=True)
    assert read_dataset(out).manifest.tables["posts"] == 4


def _file(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("setup", "error", "message"),
    [
        (lambda d: d / "missing.csv", InputError, "missing.csv: no such file"),
        (lambda d: d, InputError, "is a directory"),
        (lambda d: _file(d / "empty.csv", ""), InputError, "the file is empty"),
        (
            lambda d: _file(d / "x.csv", "a,b\n1,2\n"),
            FormatError,
            r"x.csv: no known format matches this file \(CSV columns a, b\)",
        ),
    ],
)
def test_unusable_inputs_raise_clear_errors(tmp_path, setup, error, message):
    with pytest.raises(error, match=message):
        build_dataset([setup(tmp_path)], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_missing_required_column_names_file_and_columns(tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("tweetid,userid,tweet_text\n1,u,hi\n")
    with pytest.raises(InputError, match=r"t.csv: missing column\(s\) tweet_time required by format 'twitter-io'"):
        build_dataset([src], tmp_path / "out", format="twitter-io")


def test_read_dataset_rejects_non_datasets(tmp_path):
    with pytest.raises(DatasetError, match="not a dataset folder"):
        read_dataset(tmp_path)


def test_dataset_conversions(ingest):
    ds = ingest(TWEETS, format="twitter-io")
    assert ds.arrow("posts").schema.field("created_at").type.tz == "UTC"
    assert len(ds.to_pandas("posts")) == 4
    assert ds.to_polars("accounts").height == 3
    assert "posts=4" in repr(ds)
    with pytest.raises(DatasetError, match="has no labels"):
        ingest(DATA / "ira-538" / "by_author.csv", format="ira-538").labels  # noqa: B018


_row = st.fixed_dictionaries(
    {
        "tweetid": st.one_of(st.sampled_from(["", "7"]), st.integers(1, 40).map(str)),
        "tweet_time": st.sampled_from(["2016-10-01 12:00", "2016-10-01 12:00:59", "bad", "", "2016-13-40 99:99"]),
        # A bare CR is a line break to DuckDB (as in old Mac files), and csv.writer leaves it unquoted.
        "tweet_text": st.text(
            st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\r"), max_size=30
        ),
        "follower_count": st.sampled_from(["", "5", "5.0", "x"]),
    }
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(_row, st.just("BROKEN")), min_size=1, max_size=25))
def test_every_row_is_a_post_or_a_reject_never_both_never_neither(tmp_path_factory, records):
    work = tmp_path_factory.mktemp("prop")
    written: list[dict[str, str] | str] = [
        "x,y" + ",z" * 40 if r == "BROKEN" else {**_tweet(r["tweetid"]), **r, "userid": "u"} for r in records
    ]
    src = _write(work / "t.csv", written)
    build_dataset([src], work / "out", format="twitter-io", max_reject_rate=1)
    ds = read_dataset(work / "out")
    post_lines = [p["source"]["line"] for p in rows(ds.posts)]
    reject_lines = [r["line"] for r in rows(ds.rejects)]
    assert sorted(post_lines + reject_lines) == list(range(2, len(records) + 2))
    assert ds.manifest.rows_in == len(records)


def test_consecutive_structural_rejects_shift_lines_by_all_of_them(tmp_path, ingest):
    broken = "x,y" + ",z" * 40
    src = _write(tmp_path / "t.csv", [broken, broken, _tweet("1"), broken, broken, broken, _tweet("2")])
    ds = ingest(src, format="twitter-io", max_reject_rate=1)
    assert {p["post_id"]: p["source"]["line"] for p in rows(ds.posts)} == {"1": 4, "2": 8}
    assert [r["line"] for r in rows(ds.rejects.order("line"))] == [2, 3, 5, 6, 7]


def test_mapping_count_must_match_inputs(tmp_path):
    mapping = DATA / "table" / next(p.name for p in (DATA / "table").glob("*.toml"))
    with pytest.raises(InputError, match="Got 2 mappings for 3 inputs: give one mapping for every input"):
        build_dataset([TWEETS] * 3, tmp_path / "out", mapping=[mapping, mapping])
