from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from overt.errors import MappingError
from overt.ingest.formats.base import ACCOUNT_COLUMNS, LABEL_COLUMNS, LIST_COLUMNS, POST_COLUMNS
from overt.ingest.mapping import load_mapping
from tests.conftest import DATA, rows

TABLE = DATA / "table"
VALID = ", ".join((*POST_COLUMNS, *LIST_COLUMNS, *ACCOUNT_COLUMNS, *LABEL_COLUMNS))


def test_conditional_columns_value_maps_and_lists(ingest):
    ds = ingest(TABLE / "posts.csv", mapping=TABLE / "posts.toml", max_reject_rate=1)
    posts = {p["post_id"]: p for p in rows(ds.posts)}
    assert set(posts) == {"1", "2", "3", "4"}
    original = posts["1"]
    assert (original["kind"], original["repost_of_post_id"], original["created_at"]) == (
        "post",
        None,
        datetime(2021, 6, 1, 0, 35, 27, tzinfo=UTC),
    )
    # Mapped lists are used as given: the text's "#Ignored" is not extracted.
    assert (original["hashtags"], original["urls"]) == (["hk", "freedom"], ["https://example.com/a"])
    retweet = posts["2"]
    assert (retweet["kind"], retweet["repost_of_post_id"], retweet["repost_of_account_id"]) == ("repost", "1", "100")
    assert (retweet["quote_of_post_id"], retweet["reply_to_post_id"], retweet["urls"]) == (None, None, [])
    reply = posts["3"]
    assert (reply["kind"], reply["reply_to_post_id"], reply["reply_to_account_id"]) == ("reply", "1", "100")
    assert reply["repost_of_post_id"] is None
    quote = posts["4"]
    assert (quote["kind"], quote["quote_of_post_id"], quote["lang"]) == ("quote", "1", None)  # NA is missing
    assert quote["urls"] == ["https://example.com/a", "https://example.org/b"]
    assert quote["source"] == {"file": str(TABLE / "posts.csv"), "line": 5}
    labels = {(lab["account_id"], lab["label"], lab["campaign"]) for lab in rows(ds.labels)}
    assert ("100", "organic", "hk-test") in labels


def test_a_mapping_fills_client_like_any_column(tmp_path, ingest):
    path = tmp_path / "posts.csv"
    path.write_text(
        "id,uid,ts,source\n"
        "1,a,2021-06-01T00:00:00Z,Twitter Web App\n"
        "2,a,2021-06-01T00:01:00Z,  dlvr.it \n"
        "3,b,2021-06-01T00:02:00Z,NA\n"
        "4,b,2021-06-01T00:03:00Z,\n"
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[input]\nplatform = "twitter"\nnulls = ["NA"]\n[columns]\npost_id = "id"\naccount_id = "uid"\n'
        'created_at = "ts"\nclient = "source"\n'
    )
    posts = {p["post_id"]: p["client"] for p in rows(ingest(path, mapping=mapping).posts)}
    assert posts == {"1": "Twitter Web App", "2": "dlvr.it", "3": None, "4": None}


def test_broken_rows_land_in_rejects_and_good_rows_stay(ingest):
    ds = ingest(TABLE / "posts.csv", mapping=TABLE / "posts.toml", max_reject_rate=1)
    assert [(r["line"], r["field"], r["reason"]) for r in rows(ds.rejects)] == [
        (6, "created_at", 'unparseable time "not a time" (expected iso)'),
        (7, "kind", 'unknown kind "shared" (expected one of post, repost, reply, quote)'),
    ]
    assert ds.manifest.inputs[0].posts == 4


def test_delimiter_strptime_formats_timezone_and_values(ingest):
    ds = ingest(TABLE / "semicolon.csv", mapping=TABLE / "semicolon.toml")
    posts = {p["post_id"]: p for p in rows(ds.posts)}
    assert posts["a1"]["platform"] == "mastodon"
    # 10:00 in Berlin summer time is 08:00 UTC.
    assert posts["a1"]["created_at"] == datetime(2021, 6, 1, 8, 0, tzinfo=UTC)
    assert (posts["a1"]["hashtags"], posts["a2"]["hashtags"]) == (["x", "y"], [])
    verified = {a["account_id"]: a["verified"] for a in rows(ds.accounts)}
    assert verified == {"u1": True, "u2": False}
    assert ds.manifest.inputs[0].assumed_timezone == "Europe/Berlin"


def test_json_lines_keep_physical_lines(ingest):
    ds = ingest(TABLE / "posts.jsonl", mapping=TABLE / "posts_jsonl.toml", max_reject_rate=1)
    posts = {p["post_id"]: p for p in rows(ds.posts)}
    assert set(posts) == {"1", "2"}
    first = posts["1"]
    assert (first["platform"], first["account_id"], first["text"]) == ("bluesky", "u1", "hi #ignored")
    assert first["created_at"] == datetime(2021, 6, 1, 0, 35, 27, tzinfo=UTC)
    # A JSON array is used as the list; a string is split.
    assert (first["hashtags"], first["urls"]) == (["a", "b"], ["https://example.com/z"])
    assert (posts["2"]["hashtags"], posts["2"]["urls"]) == (["c", "d"], [])
    assert posts["2"]["source"]["line"] == 3  # the blank line 2 is counted, not read
    rejects = [(r["line"], r["reason"], r["raw"]) for r in rows(ds.rejects)]
    assert rejects == [
        (4, "invalid JSON", "{not json"),
        (5, "not a JSON object", "[1, 2]"),
        (6, 'unparseable time "soon" (expected epoch)', '{"id": "3", "uid": "u3", "ts": "soon"}'),
    ]


def test_parquet_rows_are_numbered_from_one(tmp_path, ingest):
    path = tmp_path / "posts.parquet"
    table = pa.table(
        {
            "id": pa.array([7, 8], pa.int64()),
            "uid": pa.array(["u7", None]),
            "ts": pa.array([datetime(2021, 6, 1, 12, tzinfo=UTC)] * 2, pa.timestamp("us", tz="UTC")),
            "tags": pa.array([["One", "two"], []], pa.list_(pa.string())),
        }
    )
    pq.write_table(table, path)
    mapping = tmp_path / "parquet.toml"
    mapping.write_text(
        '[input]\nplatform = "x"\n[columns]\npost_id = "id"\naccount_id = "uid"\ncreated_at = "ts"\n'
        'hashtags = "tags"\n[time]\ncreated_at = { timezone = "Asia/Tokyo" }\n'
    )
    ds = ingest(path, mapping=mapping, max_reject_rate=1)
    [post] = rows(ds.posts)
    # A zoned Parquet timestamp keeps its instant whatever zone the mapping names.
    assert (post["post_id"], post["created_at"], post["hashtags"]) == (
        "7",
        datetime(2021, 6, 1, 12, tzinfo=UTC),
        ["one", "two"],
    )
    assert post["source"]["line"] == 1
    [reject] = rows(ds.rejects)
    assert (reject["line"], reject["field"]) == (2, "account_id")
    assert reject["raw"].startswith('{"id":8,"uid":null,')


def test_account_files(ingest):
    ds = ingest(TABLE / "accounts.csv", mapping=TABLE / "accounts.toml", max_reject_rate=1)
    accounts = {a["account_id"]: a for a in rows(ds.accounts)}
    assert set(accounts) == {"100", "101"}
    assert accounts["100"]["created_at"] == datetime(2010, 5, 1, 3, 45, 34, tzinfo=UTC)
    assert (accounts["100"]["followers"], accounts["100"]["following"], accounts["100"]["verified"]) == (317, 72, False)
    assert (accounts["101"]["handle"], accounts["101"]["following"], accounts["101"]["verified"]) == ("ben", None, True)
    assert ds.posts.count("*").fetchall() == [(0,)]
    assert [(r["line"], r["field"]) for r in rows(ds.rejects)] == [(4, "account_created_at")]
    assert ds.manifest.inputs[0].account_rows == 2


# --- mapping validation: every error names the file, the line and the key ---------------------------------


def _error(tmp_path, text: str) -> str:
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    return str(info.value).replace(str(path), "m.toml")


BASE = '[columns]\nplatform = "p"\npost_id = "id"\naccount_id = "a"\ncreated_at = "t"\n'


def test_toml_syntax_error_has_its_line(tmp_path):
    assert _error(tmp_path, '[columns]\npost_id = "id"\naccount_id = \n') == "m.toml:3: invalid TOML: Invalid value."


def test_unknown_canonical_column(tmp_path):
    message = _error(tmp_path, BASE + 'post_idd = "x"\n')
    assert message == f"m.toml:6: [columns] post_idd: unknown canonical column; valid columns: {VALID}"


def test_required_columns(tmp_path):
    message = _error(tmp_path, '# posts\n[columns]\npost_id = "id"\naccount_id = "a"\n')
    assert message == (
        "m.toml:2: [columns]: missing mapping for platform, created_at (needed for post rows; platform may "
        "also be set as [input] platform)"
    )
    assert load_mapping(_write(tmp_path, '[input]\nentity = "account"\nplatform = "x"\n[columns]\naccount_id = "a"\n'))


def _write(tmp_path, text: str):
    path = tmp_path / "ok.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        (
            'created_at = "yyyy-mm-dd"',
            "m.toml:7: [time] created_at: bad time format 'yyyy-mm-dd': expected iso, epoch, epoch_ms or a "
            "strptime format such as '%Y-%m-%d %H:%M:%S'",
        ),
        (
            'created_at = ["epoch", "iso"]',
            "m.toml:7: [time] created_at: format 'epoch' cannot be combined with other formats",
        ),
        (
            'created_at = { format = "iso", timezone = "Mars/Olympus" }',
            "m.toml:7: [time] created_at: unknown timezone 'Mars/Olympus' (expected an IANA name such as "
            "'Europe/Berlin')",
        ),
        (
            'updated_at = "iso"',
            "m.toml:7: [time] updated_at: unknown time column; expected created_at or account_created_at",
        ),
    ],
)
def test_bad_time_settings(tmp_path, time, expected):
    assert _error(tmp_path, BASE + "[time]\n" + time + "\n") == expected


def test_bad_strptime_directive_is_reported_by_name(tmp_path):
    message = _error(tmp_path, BASE + '[time]\ncreated_at = "%Y-%Q"\n')
    assert message.startswith("m.toml:7: [time] created_at: bad time format '%Y-%Q': ")
    assert "%Q" in message.split(": ", 3)[3]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            'hashtags = { column = "h", split = 3 }',
            "m.toml:6: [columns] hashtags: split must be a separator or 'list', not 3",
        ),
        (
            'text = { column = "x", split = " " }',
            f"m.toml:6: [columns] text: split applies to list columns only ({', '.join(LIST_COLUMNS)})",
        ),
        (
            'text = { column = "x", value = "y" }',
            "m.toml:6: [columns] text: give exactly one of column (a source column) or value (a constant)",
        ),
        (
            'text = { column = "x", if = "y" }',
            "m.toml:6: [columns] text: unknown key 'if'; expected column, value, when or split",
        ),
        (
            'kind = { column = "k", when = { t = 1 } }',
            "m.toml:6: [columns] kind: when t: must be a string or a list of strings, not 1",
        ),
        (
            '[values.kind]\nrt = "repost"',
            "m.toml:6: [values.kind]: kind is not mapped from a source column in [columns]",
        ),
        (
            '[input]\nplatform = "x"',
            "m.toml:7: [input] platform: set either [input] platform or [columns] platform, not both",
        ),
        ('[input]\nentity = "user"', "m.toml:7: [input] entity: must be 'post' or 'account', not 'user'"),
        (
            '[inputs]\nplatform = "x"',
            "m.toml:6: [inputs]: unknown table or key; expected [input], [columns], [values.*] or [time]",
        ),
    ],
)
def test_bad_column_settings(tmp_path, extra, expected):
    assert _error(tmp_path, BASE + extra + "\n") == expected


def test_missing_source_column_names_the_input_and_its_columns(tmp_path, ingest):
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[input]\nplatform = "x"\n[columns]\npost_id = "tweet_id"\naccount_id = "user"\ncreated_at = "when"\n'
    )
    with pytest.raises(MappingError) as info:
        ingest(TABLE / "semicolon.csv", mapping=mapping)
    assert str(info.value) == (
        f"{mapping}:4: [columns] post_id: column 'tweet_id' is not in CSV file {TABLE / 'semicolon.csv'} "
        "(its columns: id, user, when, tags, flag)"
    )


def test_list_from_csv_text_needs_a_split(tmp_path, ingest):
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[input]\nplatform = "x"\n[columns]\npost_id = "id"\naccount_id = "user"\ncreated_at = "when"\n'
        'hashtags = "tags"\n'
    )
    with pytest.raises(MappingError, match=r"m.toml:7: \[columns\] hashtags: a CSV file holds text: add split"):
        ingest(TABLE / "semicolon.csv", mapping=mapping)
