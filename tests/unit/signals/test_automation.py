"""automation: regular gaps, clock-bound seconds, bursts, volume and no sleep."""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import accumulate, cycle, islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from overt.signals import SIGNALS, make_signal
from overt.signals.automation import Automation, client_kind

from .conftest import Engine, at

#: Gaps (seconds) of a person: bursts, pauses and nights, none a round period.
HUMAN_GAPS = (13, 247, 7, 3671, 45, 913, 31, 28_417, 122, 1_877, 9, 611, 53_203, 77, 389)


def timeline(
    account: str, start: str, gaps: list[int] | tuple[int, ...], file: str = "fixture"
) -> list[dict[str, Any]]:
    """Posts of *account*: the first at *start*, then one after each of *gaps* seconds."""
    t0 = at(start)
    return [
        {
            "account_id": account,
            "post_id": f"{account}{i}",
            "created_at": t0 + timedelta(seconds=s),
            "source": {"file": file, "line": i + 1},
        }
        for i, s in enumerate(accumulate([0, *gaps]))
    ]


def human(account: str, n: int = 45, start: str = "2024-03-04 08:00:05") -> list[dict[str, Any]]:
    return timeline(account, start, list(islice(cycle(HUMAN_GAPS), n - 1)))


def by_account(eng: Any, **params: Any) -> dict[str, dict[str, Any]]:
    table = Automation(**params).accounts(eng)
    assert table.schema == SIGNALS
    return {r["account_id"]: r | {"details": json.loads(r["details"])} for r in table.to_pylist()}


def test_a_metronome_scores_fully_and_a_person_does_not(engine: Engine) -> None:
    eng = engine(posts=timeline("cron", "2024-03-04 12:00:07", [300] * 39) + human("person"))
    rows = by_account(eng)
    cron = rows["cron"]
    assert cron["score"] == 1.0 and cron["value"] == 0.0
    assert cron["details"]["components"]["regularity"] == 1.0
    assert (cron["details"]["period_s"], cron["details"]["period_share"]) == (300, 1.0)
    assert cron["evidence"] == (
        "median gap 5 min with CV 0.00 (scheduled); 100% of gaps at whole multiples of 5 min (chance 2%); "
        "100% of posts at second :07"
    )
    person = rows["person"]
    assert person["value"] > 1  # people post in bursts and pauses
    assert person["score"] == 0.0
    assert person["evidence"].endswith("no sign of automation in 45 posts")


def test_posts_at_second_zero_are_a_clock_sign_only_where_the_data_has_seconds(engine: Engine) -> None:
    minutes = [g - g % 60 + 60 for g in islice(cycle(HUMAN_GAPS), 39)]  # irregular whole minutes
    eng = engine(
        posts=timeline("zero", "2024-03-04 08:00:00", minutes, file="api.jsonl")
        + timeline("mixed", "2024-03-04 08:00:00", minutes, file="mixed.csv")
        + timeline("mixed_other", "2024-03-04 08:00:13", [61] * 5, file="mixed.csv")
    )
    rows = by_account(eng)
    # api.jsonl never has seconds: its timestamps are minute-resolution, the second clock is skipped
    zero = rows["zero"]["details"]
    assert zero["top_second"] is None and zero["resolution_s"] == 60
    assert zero["components"]["clock"] < 0.5
    # in a file that has seconds elsewhere, posting at :00 every time is the clock sign
    mixed = rows["mixed"]["details"]
    assert (mixed["top_second"], mixed["top_second_share"]) == (0, 1.0)
    assert mixed["second_entropy"] == 0.0
    assert mixed["components"]["clock"] == 1.0
    assert "100% of posts at second :00" in rows["mixed"]["evidence"]


def test_repeated_bursts_score_and_a_single_spree_counts_a_third(engine: Engine) -> None:
    burst = [2] * 11  # 12 posts within 22 seconds
    gaps = [*burst, 7_200, *burst, 7_200, *burst]  # three bursts, two hours apart
    eng = engine(
        posts=timeline("bot", "2024-03-04 08:00:03", [*gaps, 7_200, *islice(cycle(HUMAN_GAPS), 20)])
        + timeline("spree", "2024-03-04 08:00:03", [*burst, 7_200, *islice(cycle(HUMAN_GAPS), 30)])
    )
    rows = by_account(eng)
    bot = rows["bot"]["details"]
    assert (bot["burst_posts"], bot["burst_windows"], bot["max_in_window"]) == (36, 3, 12)
    assert bot["components"]["bursts"] == 1.0  # 36 of 57 posts in bursts, three times
    spree = rows["spree"]["details"]
    assert (spree["burst_posts"], spree["burst_windows"]) == (12, 1)
    # 12 of 43 posts: ramp((0.279 - 0.05) / 0.45), and one spree only: a third of it
    assert spree["components"]["bursts"] == pytest.approx(((12 / 43 - 0.05) / 0.45) / 3, abs=1e-4)


def test_volume_is_the_median_of_posts_per_active_day(engine: Engine) -> None:
    # 200 posts a day, within about 10 hours (so not sleepless), for three days
    day = [180 + (i * 7) % 11 for i in range(199)]
    posts = [
        p | {"account_id": "volume", "post_id": f"d{d}-{p['post_id']}"}
        for d in range(3)
        for p in timeline("p", f"2024-03-0{4 + d} 06:00:01", day)
    ]
    row = by_account(engine(posts=posts))["volume"]["details"]
    assert (row["posts_per_day"], row["active_days"]) == (200, 3)
    assert row["components"]["volume"] == pytest.approx(0.5)  # (200 - 100) / (300 - 100)
    assert row["components"]["sleepless"] == 0.0  # 10-11 hours a day


def test_posting_every_hour_of_busy_days_is_sleepless(engine: Engine) -> None:
    gaps = list(islice(cycle([1_200, 1_500, 900]), 3 * 24 * 3 - 1))  # about three posts an hour, three days
    row = by_account(engine(posts=timeline("owl", "2024-03-04 00:00:09", gaps)))["owl"]
    details = row["details"]
    assert details["busy_days"] >= 3
    assert details["hours_per_busy_day"] == 24
    assert details["components"]["sleepless"] == 1.0
    assert "active 24 h/day" in row["evidence"]


def test_too_few_posts_give_null_and_one_instant_gives_no_cv(engine: Engine) -> None:
    eng = engine(posts=human("few", n=10) + timeline("instant", "2024-03-04 08:00:00", [0] * 39))
    rows = by_account(eng)
    assert rows["few"]["score"] is None and rows["few"]["evidence"] == "only 10 posts (needs 30)"
    instant = rows["instant"]
    assert instant["value"] is None and instant["details"]["components"]["regularity"] == 0.0
    assert instant["evidence"].startswith("all 40 posts at one")


def test_no_posts_gives_an_empty_table(engine: Engine) -> None:
    table = make_signal("automation").accounts(engine(accounts=[{"account_id": "nobody"}]))
    assert table.schema == SIGNALS and table.num_rows == 0


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="volume_from"):
        Automation(volume_from=300, volume_full=100)
    with pytest.raises(ValueError, match="min_posts"):
        Automation(min_posts=1)
    with pytest.raises(ValueError, match="min_client_posts"):
        Automation(min_client_posts=0)


def via(posts: list[dict[str, Any]], *clients: tuple[str | None, int]) -> list[dict[str, Any]]:
    """*posts* with their ``client`` set: the first n1 posts from client 1, the next n2 from client 2, ..."""
    names = [name for name, n in clients for _ in range(n)]
    assert len(names) == len(posts)
    return [p | {"client": name} for p, name in zip(posts, names, strict=True)]


def test_posts_via_an_automation_service_score_and_name_it(engine: Engine) -> None:
    eng = engine(
        posts=via(human("feed", n=140), ("dlvr.it", 87), ("Twitter for Android", 53))
        + via(human("phone"), ("Twitter for iPhone", 40), (None, 3), ("  ", 2))
    )
    rows = by_account(eng)
    feed = rows["feed"]
    details = feed["details"]
    assert (details["client_posts"], details["top_client"], details["top_client_share"]) == (140, "dlvr.it", 0.6214)
    assert (details["automation_share"], details["scheduling_share"]) == (0.6214, 0.0)
    assert details["services"] == {"dlvr.it": 87}
    # 62% is past the 60% where the component is full
    assert details["components"]["client"] == 1.0
    assert (feed["score"], details["component"]) == (1.0, "client")
    assert feed["evidence"].endswith("; 62% of 140 posts via dlvr.it (automation service)")
    assert max(v for c, v in details["components"].items() if c != "client") == 0.0  # a person's timing
    # An ordinary app is the account's top client, and no sign: blanks and nulls are not clients.
    phone = rows["phone"]
    assert (phone["details"]["top_client"], phone["details"]["client_posts"]) == ("Twitter for iPhone", 40)
    assert phone["details"]["components"]["client"] == 0.0
    assert phone["score"] == 0.0 and phone["details"]["services"] == {}


def test_scheduling_services_count_half(engine: Engine) -> None:
    eng = engine(
        posts=via(human("brand", n=40), ("Hootsuite Inc.", 40))
        + via(human("mixed", n=40), ("Buffer", 12), ("IFTTT", 8), ("Twitter for iPhone", 20))
        + via(human("ads", n=40), ("Twitter for Advertisers.", 4), ("TweetDeck", 36))
    )
    rows = by_account(eng)
    brand = rows["brand"]
    # all scheduled: half of the full ramp
    assert brand["details"]["components"]["client"] == 0.5 and brand["score"] == 0.5
    assert brand["details"]["scheduling_share"] == 1.0
    assert "100% of 40 posts via Hootsuite Inc. (scheduling service)" in brand["evidence"]
    mixed = rows["mixed"]
    # automation 20%: ramp 0.2; automation and scheduling 50%: ramp 0.8, half of it 0.4; the larger counts
    assert mixed["details"]["components"]["client"] == pytest.approx(0.4)
    assert (mixed["details"]["automation_share"], mixed["details"]["scheduling_share"]) == (0.2, 0.3)
    assert mixed["evidence"].endswith(
        "30% of 40 posts via Buffer (scheduling service), 20% via IFTTT (automation service)"
    )
    # 10% via the ads composer is where the ramp starts; TweetDeck is an ordinary app
    ads = rows["ads"]["details"]
    assert (ads["top_client"], ads["services"]) == ("TweetDeck", {"Twitter for Advertisers.": 4})
    assert ads["components"]["client"] == 0.0


def test_client_component_needs_enough_posts_with_a_client(engine: Engine) -> None:
    eng = engine(posts=via(human("sparse", n=40), ("dlvr.it", 5), (None, 35)))
    details = by_account(eng)["sparse"]["details"]
    assert (details["client_posts"], details["top_client"], details["automation_share"]) == (5, "dlvr.it", 1.0)
    assert "client" not in details["components"]  # 5 posts with a client, 10 needed
    assert by_account(eng, min_client_posts=5)["sparse"]["details"]["components"]["client"] == 1.0


def test_datasets_without_a_client_column_still_score(tmp_path: Path) -> None:
    from overt.engine import DuckDBEngine
    from overt.model.schema import POSTS

    schema = pa.schema([f for f in POSTS.schema if f.name != "client"])
    posts = [
        {"platform": "test", "kind": "post", "source": {"file": "old", "line": 1}} | p
        for p in timeline("cron", "2024-03-04 12:00:07", [300] * 39)
    ]
    pq.write_table(pa.Table.from_pylist(posts, schema=schema), tmp_path / "posts.parquet")
    pq.write_table(pa.table({"platform": ["test"], "account_id": ["cron"]}), tmp_path / "accounts.parquet")
    eng = DuckDBEngine()
    try:
        eng.attach_dataset(tmp_path)
        row = by_account(eng)["cron"]
    finally:
        eng.close()
    assert row["score"] == 1.0 and "client" not in row["details"]["components"]
    assert (row["details"]["client_posts"], row["details"]["top_client"]) == (0, None)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("dlvr.it", "automation"),
        ("IFTTT", "automation"),
        ("twitterfeed", "automation"),
        ("Cheap Bots, Done Quick!", "automation"),
        ("Hootsuite Inc.", "scheduling"),
        ("Twitter for Advertisers (legacy)", "scheduling"),
        ("SocialFlow", "scheduling"),
        ("Twitter Web App", None),
        ("Twitter for iPhone", None),
        ("TweetDeck", None),
        ("Tweetbot for iΟS", None),
        ("Instagram", None),
    ],
)
def test_client_kinds(name: str, kind: str | None) -> None:
    assert client_kind(name) == kind
