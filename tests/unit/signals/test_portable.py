"""Every query a default signal runs transpiles to Spark SQL (the scale-out issue runs the same SQL on Spark)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from overt import build_dataset
from overt.engine import DuckDBEngine, transpile
from overt.model.schema import ACCOUNTS
from overt.signals import DEFAULT_SIGNALS, make_signal

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "ira-2016-10"


class Recording(DuckDBEngine):
    """An engine that keeps every statement it is asked to run."""

    statements: list[str]

    def create(self, name: str, sql: str) -> int:
        self.statements.append(sql)
        return super().create(name, sql)

    def view(self, name: str, sql: str) -> None:
        self.statements.append(sql)
        super().view(name, sql)

    def scalar(self, sql: str) -> Any:
        self.statements.append(sql)
        return super().scalar(sql)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        self.statements.append(sql)
        return super().rows(sql)

    def arrow(self, sql: str) -> pa.Table:
        self.statements.append(sql)
        return super().arrow(sql)


@pytest.fixture(scope="module")
def ira_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The IRA sample, with made-up creation dates (a third in one week) and bios (some shared), which the sample
    lacks, so that every signal has profiles to query."""
    out = tmp_path_factory.mktemp("ira") / "ds"
    build_dataset(sorted(EXAMPLE.glob("*.csv*")), out)
    accounts = str(out / "accounts.parquet")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    burst = "TIMESTAMPTZ '2014-05-29' + to_days(CAST(hash(account_id) % 7 AS INTEGER))"
    spread = "TIMESTAMPTZ '2010-01-01' + to_days(CAST(hash(account_id) % 2000 AS INTEGER))"
    profiles = con.sql(
        f"""
        SELECT * REPLACE (
            CASE WHEN hash(account_id) % 3 = 0 THEN {burst} ELSE {spread} END AS created_at,
            CASE WHEN hash(account_id) % 4 = 0 THEN 'Proud American. Patriot. Love my country and family'
                 ELSE 'bio number ' || CAST(hash(account_id) % 1000 AS VARCHAR) END AS description)
        FROM read_parquet($p)
        """,
        params={"p": accounts},
    ).to_arrow_table()
    pq.write_table(profiles.cast(ACCOUNTS.schema), accounts)
    return out


@pytest.mark.parametrize("name", DEFAULT_SIGNALS)
def test_every_statement_transpiles_to_spark(name: str, ira_sample: Path) -> None:
    eng = Recording(threads=2)
    eng.statements = []
    eng.attach_dataset(ira_sample)
    try:
        rows = make_signal(name).accounts(eng)
    finally:
        eng.close()
    assert rows.num_rows > 0 and eng.statements, "the signal ran no query on the sample"
    for sql in eng.statements:
        assert transpile(sql, "spark"), sql
