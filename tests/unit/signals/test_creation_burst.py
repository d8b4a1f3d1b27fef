"""creation_burst: accounts created together, against the dataset's own base rate."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from typing import Any

import pytest

from overt.engine import transpile
from overt.signals import make_signal
from overt.signals.base import CLUSTER_SIGNALS, SIGNALS
from overt.signals.creation_burst import CreationBurst, _span_chance

from .conftest import Engine

START = date(2020, 1, 1)


def day(offset: int) -> str:
    return f"{START + timedelta(days=offset)} 12:00"


def baseline(n: int = 30, step: int = 10, prefix: str = "b") -> list[dict[str, Any]]:
    """*n* accounts, one every *step* days from 2020-01-01."""
    return [{"account_id": f"{prefix}{i:02d}", "created_at": day(i * step)} for i in range(n)]


def batch(n: int = 6, offset: int = 166, prefix: str = "x") -> list[dict[str, Any]]:
    """*n* accounts created on one day (2020-06-15 by default: no baseline account within ±3 days)."""
    return [{"account_id": f"{prefix}{i}", "created_at": day(offset)} for i in range(n)]


def by_id(table: Any) -> dict[str, dict[str, Any]]:
    return {r["account_id"]: r | {"details": json.loads(r["details"])} for r in table.to_pylist()}


def test_a_batch_scores_with_hand_computed_numbers(engine: Engine) -> None:
    rows = by_id(CreationBurst().accounts(engine(accounts=baseline() + batch())))
    x = rows["x0"]
    assert x["details"]["observed"] == 5
    # Ring = the whole range (days 0..290, 291 days) minus the 3-day window: 288 days holding the 30 baseline
    # accounts; the overall rate (36 - 1) / 291 enters with a weight of 30 days.
    rate = (30 + 30 * 35 / 291) / (288 + 30)
    assert x["details"]["expected"] == pytest.approx(3 * rate, abs=1e-4)
    lam = 3 * rate
    p = 1 - sum(math.exp(-lam) * lam**k / math.factorial(k) for k in range(5))
    assert x["details"]["p_value"] == pytest.approx(p, rel=1e-6)
    assert x["details"]["days_tested"] == 31
    q = p * 31
    assert x["score"] == pytest.approx(0.5 * min(1, -math.log10(q) / 4), rel=1e-6)
    assert 0.3 < x["score"] <= 0.5
    assert x["value"] == pytest.approx(-math.log10(p), abs=1e-3)
    assert x["evidence"].startswith("created 2020-06-15; 5 other accounts created within ±1 day(s) (expected 0.3")
    # The baseline accounts have nobody within a day: no burst.
    assert rows["b05"]["score"] == 0.0
    assert rows["b05"]["evidence"].endswith("no burst")
    assert SIGNALS.equals(CreationBurst().accounts(engine(accounts=baseline() + batch())).schema)


def test_a_growth_period_is_not_a_burst(engine: Engine) -> None:
    # One account a day for 100 days, then five a day for 100 days: a platform taking off, not a batch.
    accounts = [{"account_id": f"s{i}", "created_at": day(i)} for i in range(100)]
    accounts += [{"account_id": f"f{i}_{j}", "created_at": day(100 + i)} for i in range(100) for j in range(5)]
    table = CreationBurst().accounts(engine(accounts=accounts))
    assert table.num_rows == 600
    assert max(table.column("score").to_pylist()) == 0.0


def test_a_big_day_below_min_ratio_is_a_wave_not_a_batch(engine: Engine) -> None:
    # 100 accounts a day for 60 days, 300 on day 30: overwhelmingly significant for a Poisson count, but under
    # three times the base rate, as sign-up waves after news are.
    accounts = [{"account_id": f"d{d}_{i}", "created_at": day(d)} for d in range(60) for i in range(100)]
    accounts += [{"account_id": f"w{i}", "created_at": day(30)} for i in range(200)]
    eng = engine(accounts=accounts)
    wave = by_id(CreationBurst().accounts(eng))["w0"]
    assert wave["details"]["observed"] == 499
    # 5,700 accounts in the 57 ring days, and the overall rate 6,199 / 60 with a weight of 30 days.
    assert wave["details"]["expected"] == pytest.approx(3 * (5700 + 30 * 6199 / 60) / (57 + 30), abs=1e-3)
    assert wave["details"]["p_value"] < 1e-15
    assert wave["score"] == 0.0
    assert by_id(CreationBurst(min_ratio=1.5).accounts(eng))["w0"]["score"] == 0.5


def test_too_few_dated_accounts_give_null_scores(engine: Engine) -> None:
    table = CreationBurst().accounts(engine(accounts=[*baseline(n=10), {"account_id": "nodate"}]))
    assert table.num_rows == 10  # the account without created_at is not assessed at all
    assert set(table.column("score").to_pylist()) == {None}
    assert "too few for a base rate (need 20 over 30 days)" in table.column("evidence")[0].as_py()


def test_platforms_have_their_own_base_rate(engine: Engine) -> None:
    other = [{"platform": "other", "account_id": f"o{i}", "created_at": day(166)} for i in range(3)]
    rows = by_id(CreationBurst().accounts(engine(accounts=baseline() + batch() + other)))
    # The three accounts on another platform on the batch's day count neither for the batch nor as a base rate.
    assert rows["x0"]["details"]["observed"] == 5
    assert rows["o0"]["score"] is None


def test_no_accounts_or_no_dates(engine: Engine) -> None:
    assert CreationBurst().accounts(engine()).num_rows == 0
    assert CreationBurst().accounts(engine(accounts=[{"account_id": "a", "handle": "a"}])).num_rows == 0
    assert CreationBurst().clusters(engine(accounts=baseline())) is None


def test_first_post_after_creation_is_a_detail(engine: Engine) -> None:
    posts = [{"account_id": "x0", "created_at": day(169)}, {"account_id": "b00", "created_at": day(400)}]
    rows = by_id(CreationBurst().accounts(engine(posts=posts, accounts=baseline() + batch())))
    assert rows["x0"]["details"]["first_post_after_days"] == 3
    assert rows["x0"]["evidence"].endswith("first post in the data 3 day(s) after creation")
    assert rows["b00"]["details"]["first_post_after_days"] == 400
    assert "first post" not in rows["b00"]["evidence"]  # more than young_days after creation
    assert rows["b01"]["details"]["first_post_after_days"] is None


def test_a_cluster_created_together(engine: Engine) -> None:
    clusters = {f"x{i}": 0 for i in range(6)} | {f"b{i:02d}": 1 for i in range(0, 30, 5)}
    eng = engine(accounts=baseline() + batch(), clusters=clusters)
    table = CreationBurst().clusters(eng)
    assert table is not None and CLUSTER_SIGNALS.equals(table.schema)
    rows = {r["cluster"]: r | {"details": json.loads(r["details"])} for r in table.to_pylist()}
    assert rows[0]["value"] == 1.0
    assert rows[0]["evidence"].startswith("6 of 6 dated members created within 7 days (2020-06-15 to 2020-06-21)")
    # Hand computation: the 7-day span from the batch's day holds the 6 batch accounts and the baseline account
    # of day 170; so does the span starting at day 160. p = 6 * sum_d w_d P(Bin(5, pi_d) >= 5).
    pi = 6 / 35
    assert rows[0]["details"]["p_value"] == pytest.approx(6 * (6 / 36 + 1 / 36) * pi**5, rel=1e-6)
    assert rows[0]["score"] > 0.5
    # Members 50 days apart: nothing unusual.
    assert rows[1]["value"] == pytest.approx(1 / 6, abs=1e-4)
    assert rows[1]["score"] == 0.0
    # Per account, the in-cluster count raises the batch above the dataset-wide cap.
    accounts = by_id(CreationBurst().accounts(eng))
    assert accounts["x0"]["details"]["cluster_in_window"] == 5
    assert accounts["x0"]["details"]["cluster_others"] == 5
    assert accounts["x0"]["details"]["cluster_p_value"] == pytest.approx((5 / 35) ** 5, rel=1e-6)
    assert accounts["x0"]["score"] > 0.5
    assert "5 of them in its cluster, of 5 other dated members" in accounts["x0"]["evidence"]
    assert accounts["b00"]["score"] == 0.0


def test_small_clusters_are_not_assessed(engine: Engine) -> None:
    table = CreationBurst().clusters(engine(accounts=baseline() + batch(), clusters={"x0": 0, "x1": 0}))
    assert table is not None and table.num_rows == 0


def test_span_chance_matches_a_direct_count() -> None:
    # Two days, 10 accounts each, 30 days apart; 3 accounts drawn; chance that all 3 fall within 7 days.
    import numpy as np

    days, counts = np.array([0, 30]), np.array([10.0, 10.0])
    pi = 9 / 19  # the other accounts of the same day
    assert _span_chance(days, counts, 7, 3, 3) == pytest.approx(3 * pi**2)
    assert _span_chance(days, counts, 7, 3, 1) == 1.0


def test_registered_and_validated() -> None:
    assert isinstance(make_signal("creation_burst", window_days=2), CreationBurst)
    with pytest.raises(ValueError, match="baseline_days"):
        CreationBurst(window_days=5, baseline_days=5)
    with pytest.raises(ValueError, match="cluster_spans"):
        CreationBurst(cluster_spans=(0,))
    with pytest.raises(ValueError, match="dataset_max_score"):
        CreationBurst(dataset_max_score=2)


def test_sql_transpiles_to_spark() -> None:
    assert transpile(CreationBurst().days_sql(), "spark")


@pytest.mark.real_data
def test_ira_batch_in_the_state_troll_sample(trolls: Any) -> None:
    eng = trolls("ru")
    rows = by_id(CreationBurst().accounts(eng))
    # IRA accounts registered on 29-30 May 2014 (OnlineMemphis, Politweecs, ...).
    assert rows["OnlineMemphis"]["details"]["created"] == "2014-05-29"
    assert rows["OnlineMemphis"]["details"]["observed"] >= 8
    assert rows["OnlineMemphis"]["score"] > 0.4
