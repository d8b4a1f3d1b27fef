"""automation: regular gaps, clock-bound seconds, bursts, volume and no sleep."""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import accumulate, cycle, islice
from typing import Any

import pytest

from overt.signals import SIGNALS, make_signal
from overt.signals.automation import Automation

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
