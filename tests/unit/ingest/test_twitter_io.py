from __future__ import annotations

from datetime import UTC, datetime

from overt.ingest.formats.twitter_io import campaign_of
from tests.conftest import DATA, rows

TWEETS = DATA / "twitter-io" / "tweets.csv"
USERS = DATA / "twitter-io" / "users.csv"


def test_campaign_from_archive_file_names(tmp_path):
    assert campaign_of(tmp_path / "china_082019_1_tweets_csv_hashed.csv") == "china_082019_1"
    assert campaign_of(tmp_path / "ira_users_csv_hashed.csv.gz") == "ira"


def test_posts_map_every_field(ingest):
    ds = ingest(TWEETS, format="twitter-io")
    posts = {p["post_id"]: p for p in rows(ds.posts)}
    assert set(posts) == {"1001", "1002", "1003", "1004"}
    first = posts["1001"]
    assert first["account_id"] == "a1b2"
    assert first["created_at"] == datetime(2016, 10, 1, 12, 0, tzinfo=UTC)
    assert first["kind"] == "post"
    # The archive's own lists are used: utm_ parameters dropped, www. dropped, domain derived.
    assert first["urls"] == ["https://example.com/story?id=7"]
    assert first["domains"] == ["example.com"]
    assert first["hashtags"] == ["election2016"]
    assert first["mentions"] == ["c3d4"]
    assert first["source"] == {"file": str(TWEETS), "line": 2}
    assert first["client"] == "Twitter Web Client"  # tweet_client_name, as given
    retweet = posts["1002"]
    assert (retweet["kind"], retweet["repost_of_post_id"], retweet["repost_of_account_id"]) == (
        "repost",
        "1001",
        "a1b2",
    )
    assert retweet["created_at"] == datetime(2016, 10, 1, 12, 0, 30, tzinfo=UTC)
    assert retweet["client"] == "Twitter for Android"
    reply = posts["1003"]
    assert (reply["kind"], reply["reply_to_post_id"], reply["reply_to_account_id"]) == (
        "reply",
        "1001",
        "a1b2",
    )
    assert reply["text"] == '@anna_news agreed, "fully"\nand more'
    assert reply["source"]["line"] == 4  # a quoted value over two physical lines counts once
    quote = posts["1004"]
    assert (quote["kind"], quote["quote_of_post_id"]) == ("quote", "1001")
    assert quote["hashtags"] == ["выборы"]
    assert quote["source"]["line"] == 5


def test_users_file_gives_profiles_and_wins_over_tweet_rows(ingest):
    ds = ingest(TWEETS, USERS, format="twitter-io")
    accounts = {a["account_id"]: a for a in rows(ds.accounts)}
    assert set(accounts) == {"a1b2", "c3d4", "e5f6", "g7h8"}
    # Profile fields come from the users file first, else from the latest tweet.
    assert accounts["a1b2"]["description"] == "Independent news, every day"
    assert accounts["a1b2"]["followers"] == 130
    assert accounts["c3d4"]["followers"] == 11  # the later of its two tweets
    assert accounts["c3d4"]["created_at"] == datetime(2016, 9, 30, tzinfo=UTC)
    assert accounts["g7h8"]["handle"] == "gina"
    labels = {(lab["account_id"], lab["label"], lab["campaign"]) for lab in rows(ds.labels)}
    assert ("g7h8", "io", "users") in labels
    assert ("e5f6", "io", "tweets") in labels
    assert ds.manifest.inputs[1].account_rows == 2
