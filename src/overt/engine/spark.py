"""Apache Spark: the same detector SQL, distributed.

:class:`SparkEngine` has :class:`~overt.engine.DuckDBEngine`'s interface. Every statement goes through
:func:`~overt.engine.transpile` to Spark SQL (with the rewrites that keep DuckDB's meaning); tables are Spark temp
views of one :class:`pyspark.sql.SparkSession`.

**Materialising.** :meth:`SparkEngine.create` checkpoints the result (``localCheckpoint(eager=True)``, or a reliable
``checkpoint`` when the session has a checkpoint directory) and names it. A checkpoint cuts the lineage: the next
step's plan starts from the stored rows instead of re-planning (and, after an executor loss, re-running) every step
before it, which ``cache()`` would keep in the plan. It also pins each step's rows, so a step with a tie-broken
``row_number`` or ``any_value`` is computed once, as on DuckDB. Local checkpoints live in the executors' block
managers (memory, then disk); on a cluster where executors come and go, set ``spark.checkpoint.dir`` (or
``SparkContext.setCheckpointDir``) to a reliable file system and the engine checkpoints there instead.
:meth:`SparkEngine.drop` drops the view and the engine's reference; Spark's context cleaner then frees the blocks
(and, with ``spark.cleaner.referenceTracking.cleanCheckpoints``, a reliable checkpoint's files) once the JVM
collects the RDD. Unpersisting at once was not safe: a task still running after its query returned (most likely
one of a stage adaptive execution no longer needed) failed on the missing blocks (``CHECKPOINT_RDD_BLOCK_ID_NOT_FOUND``,
harmless to the result but logged as an aborted job); a running task keeps its RDD reachable, so the cleaner waits.

**Outputs.** :meth:`SparkEngine.arrow` and :meth:`SparkEngine.write_parquet` collect to the driver as Arrow (a
scan's outputs are single Parquet files: ``edges/<detector>.parquet``, the evidence of kept edges); the driver's
memory (``spark.driver.memory``, ``spark.driver.maxResultSize``) bounds them, not the posts.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from overt.engine import is_remote
from overt.engine._sql import transpile
from overt.errors import OvertError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: The master ``overt scan --engine spark`` uses without ``--spark-master``.
DEFAULT_MASTER = "local[*]"

#: Settings every session gets (the user's ``--spark-conf`` come after and win, except the time zone).
SESSION_CONF: dict[str, str] = {
    # Every timestamp in a scan is UTC (DuckDB runs with TimeZone = 'UTC').
    "spark.sql.session.timeZone": "UTC",
}

#: Defaults for a session the engine starts itself (``--spark-conf`` overrides them).
DEFAULT_CONF: dict[str, str] = {
    "spark.app.name": "overt scan",
    # Adaptive execution coalesces small shuffle partitions and splits skewed joins (an item everyone shares).
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    "spark.sql.adaptive.skewJoin.enabled": "true",
    # Detectors run side by side as concurrent jobs; fair scheduling keeps a long one from starving the others.
    "spark.scheduler.mode": "FAIR",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Dropped tables are freed by the context cleaner when the JVM collects their RDDs: delete reliable
    # checkpoints' files too, and collect every 5 minutes rather than 30 so a long scan's disk use stays bounded.
    "spark.cleaner.referenceTracking.cleanCheckpoints": "true",
    "spark.cleaner.periodicGC.interval": "5min",
}

#: Further defaults in local mode only: no web UI to bind, a driver heap that holds a 10M-post scan.
LOCAL_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.driver.memory": "4g",
    "spark.driver.maxResultSize": "2g",
    "spark.ui.showConsoleProgress": "false",
}

_unique = itertools.count()
_lock = threading.Lock()


class SparkEngineError(OvertError):
    """The Spark engine cannot run as asked (no pyspark, a bad setting)."""


def start_session(
    master: str | None = None, conf: Mapping[str, str] | None = None, *, local_dir: str | None = None
) -> SparkSession:
    """A Spark session for a scan: *master* (default :data:`DEFAULT_MASTER`) with *conf* over the defaults.

    An active session with the same master is reused (``getOrCreate``); settings that only apply when a JVM
    starts (driver memory, packages) are then those it started with.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise SparkEngineError(
            "the Spark engine needs pyspark: pip install 'overt[spark]' (and Java 17 on the PATH)"
        ) from exc
    master = master or DEFAULT_MASTER
    settings = dict(DEFAULT_CONF)
    if master.startswith("local"):
        settings.update(LOCAL_CONF)
        # Spark's 200 shuffle partitions are for clusters; on one machine each costs a task per stage for
        # nothing. Adaptive execution still splits skewed partitions.
        settings["spark.sql.shuffle.partitions"] = str(4 * (os.cpu_count() or 1))
        if local_dir is not None:
            settings["spark.local.dir"] = local_dir
    settings.update(conf or {})
    settings.update(SESSION_CONF)
    builder = SparkSession.builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session: SparkSession = builder.getOrCreate()
    return session


class SparkEngine:
    """Runs detector SQL on Spark over the canonical Parquet dataset.

    Parameters
    ----------
    spark:
        A running session to use (it is left running by :meth:`close`); without one the engine starts its
        own with :func:`start_session` (*master*, *conf*, *local_dir*) and stops it on :meth:`close`.
    """

    name = "spark"
    dialect = "spark"

    def __init__(
        self,
        spark: SparkSession | None = None,
        *,
        master: str | None = None,
        conf: Mapping[str, str] | None = None,
        local_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        running = _running_session() if spark is None else spark
        self.owns_session = running is None
        self.spark: SparkSession
        if running is not None:
            # A running session is used as it is: getOrCreate would overwrite its settings with ours.
            self.spark = running
        else:
            self.spark = start_session(master, conf, local_dir=None if local_dir is None else str(local_dir))
            if self.owns_session:
                # Spark's own INFO/WARN lines would bury the scan's progress on the console.
                self.spark.sparkContext.setLogLevel("ERROR")
        for key, value in SESSION_CONF.items():
            self.spark.conf.set(key, value)
        self.master = self.spark.sparkContext.master
        #: Temp views this engine made (tables, registered Arrow tables, views; not its cursors'), for close().
        self._views: set[str] = set()
        #: Columns holding lists, over all tables of this session, so ``len`` of them becomes ``SIZE``.
        self._lists: set[str] = set()

    # -- the engine interface ----------------------------------------------------------------------------------

    def cursor(self) -> SparkEngine:
        """Another engine on the same session, for running detectors side by side as concurrent Spark jobs.

        It sees the dataset views; the tables it makes are named per detector, and :meth:`close` drops them
        (the session stays).
        """
        other = SparkEngine(self.spark)
        other.owns_session = False
        other._lists = self._lists  # shared: every table's list columns are known to every cursor
        return other

    def version(self) -> str:
        return f"spark {self.spark.version} ({self.master})"

    def attach_dataset(self, dataset_dir: str | os.PathLike[str]) -> None:
        """Expose the dataset's ``posts`` and ``accounts`` Parquet files (a local folder or any Hadoop URI the
        cluster reads: ``s3a://``, ``abfss://``, ``gs://``, ``hdfs://``) as views of those names."""
        local = str(dataset_dir).removeprefix("file://")
        root = str(dataset_dir) if is_remote(dataset_dir) else str(Path(local).resolve())
        for table in ("posts", "accounts"):
            self._keep(table, self.spark.read.parquet(f"{root.rstrip('/')}/{table}.parquet"))

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table (computed outside SQL) queryable as *name*."""
        # One chunk: pyspark 4.3 reads no rows from a table whose first chunks are empty (a concatenation of
        # per-detector tables, some without edges).
        frame = self.spark.createDataFrame(table.combine_chunks()) if table.num_rows else self._empty(table)
        self._keep(name, frame.localCheckpoint(eager=True))

    def arrow_from(self, table: pa.Table, sql: str) -> pa.Table:
        """Run *sql*, where ``{table}`` names the Arrow *table*, and return the result."""
        with _lock:
            name = f"_overt_input_{next(_unique)}"
        self.register(name, table)
        try:
            return self.arrow(sql.format(table=name))
        finally:
            self.drop(name)

    def create(self, name: str, sql: str) -> int:
        """Materialise *sql* as temp view *name* (checkpointed); return its row count."""
        frame = self.spark.sql(self._sql(sql))
        directory = self.spark.sparkContext.getCheckpointDir()
        stored = frame.checkpoint(eager=True) if directory else frame.localCheckpoint(eager=True)
        self._keep(name, stored)
        return int(stored.count())

    def view(self, name: str, sql: str) -> None:
        self._keep(name, self.spark.sql(self._sql(sql)))

    def drop(self, *names: str) -> None:
        for name in names:
            self.spark.catalog.dropTempView(name)
            self._views.discard(name)

    def scalar(self, sql: str) -> Any:
        return self.rows(sql)[0][0]

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.spark.sql(self._sql(sql)).collect()]

    def arrow(self, sql: str) -> pa.Table:
        """The result as Arrow, with DuckDB's types (``string``, ``list``: not Spark's ``large_*`` ones)."""
        table: pa.Table = self.spark.sql(self._sql(sql)).toArrow()
        return table.cast(pa.schema([f.with_type(_small(f.type)) for f in table.schema]))

    def write_parquet(self, sql: str, path: str | os.PathLike[str]) -> None:
        """Collect *sql* to the driver and write it as one Parquet file (row order kept)."""
        pq.write_table(self.arrow(sql), str(path))

    def close(self) -> None:
        """Drop this engine's tables and views; stop the session only if this engine started it."""
        self.drop(*sorted(self._views))
        if self.owns_session:
            self.spark.stop()

    # -- helpers -----------------------------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return transpile(sql, "spark", list_columns=self._lists)

    def _keep(self, name: str, frame: DataFrame) -> None:
        frame.createOrReplaceTempView(name)
        self._views.add(name)
        self._note(frame)

    def _note(self, frame: DataFrame) -> None:
        from pyspark.sql.types import ArrayType

        self._lists.update(f.name for f in frame.schema.fields if isinstance(f.dataType, ArrayType))

    def _empty(self, table: pa.Table) -> DataFrame:
        """An empty DataFrame of *table*'s schema (``createDataFrame`` cannot infer one from no rows)."""
        from pyspark.sql.pandas.types import from_arrow_schema

        return self.spark.createDataFrame([], schema=from_arrow_schema(table.schema))


def _running_session() -> SparkSession | None:
    """The session already running in this process, if any (a notebook's, a test suite's)."""
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is None:
        session = getattr(SparkSession, "_instantiatedSession", None)
    return session


def _small(kind: pa.DataType) -> pa.DataType:
    """*kind* with 32-bit offsets: the Arrow types DuckDB returns (so that results compare and join alike)."""
    if pa.types.is_large_string(kind):
        return pa.string()
    if pa.types.is_large_binary(kind):
        return pa.binary()
    if pa.types.is_large_list(kind) or pa.types.is_list(kind):
        return pa.list_(kind.value_field.with_type(_small(kind.value_type)))
    if pa.types.is_struct(kind):
        return pa.struct([f.with_type(_small(f.type)) for f in kind])
    return kind
