"""Shared fixtures of the coordination tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One local[2] Spark session for every Spark test (skipped without pyspark); stopped at the end.

    A scan with ``engine="spark"`` finds it running and uses it as it is (and leaves it running).
    """
    pytest.importorskip("pyspark")
    from overt.engine.spark import start_session

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = start_session(
        "local[2]",
        {
            # Tiny fixtures: a handful of shuffle partitions is plenty, and each costs a task per stage.
            "spark.sql.shuffle.partitions": "4",
            "spark.default.parallelism": "2",
            "spark.driver.memory": "1g",
        },
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
