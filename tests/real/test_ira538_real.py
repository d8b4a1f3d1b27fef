"""The IRA data in ../shared/data and the sample in examples/, ingested whole: every row accounted for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import rows

pytestmark = pytest.mark.real_data
EXAMPLES = Path(__file__).parent.parent.parent / "examples"


def test_ira_election_window_every_row_accounted_for(shared_data, ingest):
    ds = ingest(shared_data / "ira_538_by_author" / "ira_tweets_2016-09_2016-11.csv.gz")
    record = ds.manifest.inputs[0]
    assert record.format == "ira-538"
    # SOURCE.md: 326,864 rows, 598 authors, publish_date within 2016-09-01..2016-11-30.
    assert record.rows_in == 326_864
    assert record.rows_in == record.posts + record.duplicates + record.rejected
    assert record.rejected == 0
    # Rows identical in every column, the account's tweet counter included: harvested twice.
    assert record.duplicates == 11_819
    assert ds.manifest.tables["accounts"] == 598
    assert (ds.manifest.first_at, ds.manifest.last_at) == ("2016-09-01T00:00:00+00:00", "2016-11-30T23:59:00+00:00")
    kinds = dict(ds.posts.aggregate("kind, count(*)", "kind").fetchall())
    assert kinds == {"repost": 229_352, "post": 85_693}


def test_ira_authors_give_role_labels(shared_data, ingest):
    ds = ingest(shared_data / "ira_538_by_author" / "authors.csv")
    counts = dict(ds.labels.aggregate("label, count(*)", "label").fetchall())
    # SOURCE.md's account_category counts.
    assert counts == {
        "NonEnglish": 1474,
        "RightTroll": 633,
        "LeftTroll": 234,
        "Unknown": 214,
        "Fearmonger": 125,
        "HashtagGamer": 114,
        "NewsFeed": 54,
        "Commercial": 8,
    }
    assert ds.manifest.tables["accounts"] == 2856


def test_readme_sample_dataset(ingest):
    ds = ingest(*sorted((EXAMPLES / "ira-2016-10").glob("*.csv*")))
    assert [i.format for i in ds.manifest.inputs] == ["ira-538", "ira-538"]
    assert ds.manifest.rows_in == 34_426 + 313
    assert ds.manifest.tables["posts"] == 34_273 and ds.manifest.rows_duplicate == 153
    # Every post author is described by the authors file and labelled.
    unlabelled = ds.connection.sql(
        f"SELECT count(DISTINCT account_id) FROM read_parquet('{ds.path}/posts.parquet') "
        f"WHERE account_id NOT IN (SELECT account_id FROM read_parquet('{ds.path}/labels.parquet'))"
    ).fetchall()[0][0]
    assert unlabelled == 0
    sample = rows(ds.posts.filter("kind = 'post' AND len(urls) > 0").order("created_at").limit(1))[0]
    assert sample["domains"] and sample["urls"][0].startswith("https://")
