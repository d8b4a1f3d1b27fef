from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import DATA, rows

BY_AUTHOR = DATA / "ira-538" / "by_author.csv"
AUTHORS = DATA / "ira-538" / "authors.csv"
ORIGINAL = DATA / "ira-538" / "original.csv"


def test_by_author_tweets_with_authors_file(ingest):
    ds = ingest(BY_AUTHOR, AUTHORS, format="ira-538")
    posts = rows(ds.posts.order("source.line"))
    # Rows 3 and 4 are identical in every column (harvested twice): one is a duplicate. Row 2 differs only in
    # the account's tweet counter `updates`, so it is a different tweet with the same text and minute.
    assert [p["source"]["line"] for p in posts] == [2, 3, 4, 6]
    assert ds.manifest.rows_duplicate == 1
    dup = rows(ds.rejects)
    assert len(dup) == 1 and dup[0]["line"] == 5 and dup[0]["reason"].startswith("duplicate post id ira538:")
    assert dup[0]["reason"].endswith(f"(kept the row at {BY_AUTHOR}:4)")
    first, retweet = posts[0], posts[1]
    assert first["account_id"] == "ten_gop" and first["kind"] == "post"
    assert first["created_at"] == datetime(2016, 10, 1, 12, 0, tzinfo=UTC)
    assert first["hashtags"] == ["maga"] and first["urls"] == ["https://t.co/abc"]
    assert retweet["kind"] == "repost" and retweet["repost_of_account_id"] == "pamela_moore13"
    assert posts[3]["kind"] == "quote"
    labels = {(lab["account_id"], lab["label"], lab["campaign"]) for lab in rows(ds.labels)}
    assert labels == {("ten_gop", "RightTroll", "ira"), ("pamela_moore13", "RightTroll", "ira")}
    accounts = {a["account_id"]: a for a in rows(ds.accounts)}
    assert accounts["ten_gop"]["handle"] == "TEN_GOP"  # from authors.csv, which wins over tweet rows
    assert accounts["ten_gop"]["followers"] == 5000


def test_original_layout_keeps_tweet_ids_and_row_labels(ingest):
    ds = ingest(ORIGINAL, format="ira-538")
    posts = {p["post_id"]: p for p in rows(ds.posts)}
    assert set(posts) == {"780000000000000001", "780000000000000002"}
    assert posts["780000000000000002"]["kind"] == "repost"
    assert posts["780000000000000001"]["created_at"] == datetime(2016, 10, 1, 12, 0, tzinfo=UTC)
    assert {(lab["account_id"], lab["label"]) for lab in rows(ds.labels)} == {("ten_gop", "RightTroll")}
