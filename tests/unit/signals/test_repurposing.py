"""repurposing: silence, then another language or topic; and accounts created long before their first post."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from overt import build_dataset
from overt.engine import DuckDBEngine
from overt.signals import SIGNALS, make_signal
from overt.signals.repurposing import Repurposing

from .conftest import Engine, at


def run(
    account: str, start: str, n: int, lang: str, text: str, tags: list[str], hours: float = 24
) -> list[dict[str, Any]]:
    """*n* posts of *account*, one every *hours* from *start*, each with *lang*, *text* and *tags*."""
    t0 = at(start)
    return [
        {
            "account_id": account,
            "post_id": f"{account}-{start}-{i}",
            "created_at": t0 + timedelta(hours=i * hours),
            "lang": lang,
            "text": text,
            "hashtags": tags,
        }
        for i in range(n)
    ]


# Background posts so that document frequencies are not all taken from the accounts under test.
BACKGROUND = [
    {"account_id": f"bg{i}", "post_id": f"bg{i}", "created_at": at("2015-01-01 00:00"), "text": f"noise{i} words"}
    for i in range(30)
]

FITNESS = "morning workout protein shake gains"
POLITICS = "election ballot senate candidate debate"


def by_account(eng: Any, **params: Any) -> dict[str, dict[str, Any]]:
    table = Repurposing(**params).accounts(eng)
    assert table.schema == SIGNALS
    return {r["account_id"]: r | {"details": json.loads(r["details"])} for r in table.to_pylist()}


def test_a_return_in_another_language_after_a_long_silence_scores_fully(engine: Engine) -> None:
    eng = engine(
        posts=BACKGROUND
        + run("ru2en", "2015-01-01 09:00", 10, "ru", "привет мир новости", ["новости"])
        + run("ru2en", "2015-07-30 09:00", 10, "en", "hello world news", ["news"])
    )
    row = by_account(eng)["ru2en"]
    gap = row["details"]["gap"]
    # last Russian post 2015-01-10, first English one 2015-07-30: 201 days, at least twice the 90-day minimum
    assert (gap["from"], gap["to"], gap["days"]) == ("2015-01-10", "2015-07-30", 201.0)
    assert (gap["before_posts"], gap["after_posts"]) == (10, 10)
    assert gap["language_change"] == 1.0
    assert row["score"] == 1.0 and row["value"] == 201.0
    assert row["details"]["component"] == "dormancy"
    assert row["evidence"].startswith("silent 2015-01-10 → 2015-07-30 (201 days); before: 100% ru")
    assert "after: 100% en" in row["evidence"]


def test_a_return_on_another_topic_scores_the_topic_weight(engine: Engine) -> None:
    eng = engine(
        posts=BACKGROUND
        + run("gym2pol", "2015-01-01 09:00", 10, "en", FITNESS, ["fitness", "gym"])
        + run("gym2pol", "2015-07-30 09:00", 10, "en", POLITICS, ["maga", "vote"])
        + run("steady", "2015-01-01 09:00", 10, "en", FITNESS, ["fitness", "gym"])
        + run("steady", "2015-07-30 09:00", 10, "en", FITNESS, ["fitness", "gym"])
    )
    rows = by_account(eng)
    gap = rows["gym2pol"]["details"]["gap"]
    assert gap["language_change"] == 0.0
    assert gap["topic_similarity"] == 0.0 and gap["topic_similarity_within"] == pytest.approx(1.0)
    # topic change 1, weighted 0.7; the silence counts fully
    assert rows["gym2pol"]["score"] == pytest.approx(0.7)
    assert "#maga" in rows["gym2pol"]["evidence"] and "topic similarity 0.00 across" in rows["gym2pol"]["evidence"]
    # the same topics after the silence: no change
    assert rows["steady"]["details"]["gap"]["topic_similarity"] == pytest.approx(1.0)
    assert rows["steady"]["score"] == 0.0


def test_the_change_counts_in_proportion_to_the_silence_below_twice_the_minimum(engine: Engine) -> None:
    eng = engine(
        posts=run("a", "2015-01-01 09:00", 10, "ru", "x", [])
        + run("a", "2015-05-20 09:00", 10, "en", "y", [])  # 130 days after the last Russian post
    )
    row = by_account(eng)["a"]
    assert row["details"]["gap"]["days"] == 130.0
    assert row["score"] == pytest.approx(130 / 180, abs=1e-4)


def test_no_long_silence_scores_zero_with_the_longest_gap(engine: Engine) -> None:
    eng = engine(
        posts=run("busy", "2015-01-01 09:00", 6, "en", "a", []) + run("busy", "2015-02-10 09:00", 6, "ru", "b", [])
    )
    row = by_account(eng)["busy"]
    assert row["score"] == 0.0
    assert row["value"] == 35.0  # 2015-01-06 to 2015-02-10
    assert row["evidence"] == "no silence of 90+ days in 12 posts (2015-01-01 to 2015-02-15; longest 35 days)"


def test_a_silence_without_enough_posts_on_one_side_is_not_assessed(engine: Engine) -> None:
    eng = engine(
        posts=run("late", "2015-01-01 09:00", 10, "en", "a", []) + run("late", "2015-09-01 09:00", 2, "ru", "b", [])
    )
    row = by_account(eng)["late"]
    assert row["score"] is None and row["details"]["gap"] is None
    assert "longest silence 234 days, without 5 posts on each side" in row["evidence"]
    assert by_account(eng, min_side_posts=2)["late"]["score"] == 1.0


def test_an_account_created_long_before_its_first_post_is_aged(engine: Engine) -> None:
    eng = engine(
        posts=[
            {"account_id": "early", "post_id": "e", "created_at": at("2014-01-01 00:00")},
            *run("aged", "2016-01-01 09:00", 3, "en", "hi", []),
            *run("old", "2016-01-01 09:00", 3, "en", "hi", []),
            *run("fresh", "2016-01-01 09:00", 3, "en", "hi", []),
        ],
        accounts=[
            {"account_id": "aged", "created_at": at("2015-01-01 09:00")},  # 365 days before its first post
            {"account_id": "old", "created_at": at("2010-01-01 09:00")},  # before the data begins: cannot tell
            {"account_id": "fresh", "created_at": at("2015-12-20 09:00")},
        ],
    )
    rows = by_account(eng)
    assert rows["aged"]["details"]["aged_days"] == 365.0
    assert rows["aged"]["score"] == pytest.approx(0.5)  # aged_weight x min(1, 365 / 360)
    assert rows["aged"]["value"] == 365.0
    assert rows["aged"]["evidence"].startswith("created 2015-01-01, first post 2016-01-01 (365 days later)")
    assert rows["old"]["score"] is None and rows["old"]["details"]["aged_days"] is None
    assert rows["fresh"]["score"] == 0.0 and rows["fresh"]["details"]["aged_days"] == 12.0


def test_too_few_posts_give_null(engine: Engine) -> None:
    row = by_account(engine(posts=run("few", "2015-01-01 09:00", 3, "en", "a", [])))["few"]
    assert row["score"] is None and row["evidence"] == "only 3 posts (needs 10 around a silence)"


def test_no_posts_gives_an_empty_table(engine: Engine) -> None:
    table = make_signal("repurposing").accounts(engine(accounts=[{"account_id": "nobody"}]))
    assert table.schema == SIGNALS and table.num_rows == 0


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="min_gap_days"):
        Repurposing(min_gap_days=0)
    with pytest.raises(ValueError, match="topic_weight"):
        Repurposing(topic_weight=1.5)


@pytest.mark.real_data
def test_ira_accounts_that_changed_language_after_a_silence(shared_data: Path, tmp_path: Path) -> None:
    """Two accounts of the IRA sample (50 random tweets per author, 2012-2018) with a long silence."""
    source = shared_data / "ira_538_by_author" / "ira_tweets_sample50_per_author.csv.gz"
    subset = tmp_path / "two.csv"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{source}', all_varchar = true) "
        f"WHERE lower(author_id) IN ('komarova6969', 'elpasotopnews')) TO '{subset}' (HEADER)"
    )
    con.close()
    build_dataset([subset], tmp_path / "d")
    eng = DuckDBEngine()
    eng.attach_dataset(tmp_path / "d")
    try:
        rows = by_account(eng)
    finally:
        eng.close()
    # English local news ("#news #local") until June 2015, Russian from March 2016
    row = rows["komarova6969"]
    gap = row["details"]["gap"]
    assert (gap["from"], gap["to"]) == ("2015-06-21", "2016-03-01")
    assert gap["before_langs"] == {"en": 1.0} and gap["after_langs"]["ru"] > 0.8
    assert row["score"] > 0.8
    # a local-news feed silent for three months comes back with local news: no sign
    news = rows["elpasotopnews"]
    assert news["details"]["gap"]["days"] > 90 and news["score"] < 0.2
