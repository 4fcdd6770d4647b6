"""The PySpark backend: the store's tables as Parquet, read by Apache Spark.

``defectradar export parquet DIR`` writes the tables; this backend reads that folder (a local
path or any Hadoop-compatible URI such as ``hdfs://`` or ``s3a://``, as Spark resolves it),
registers each table as a temporary view and gives the analyses the same Ibis tables as the
DuckDB backend, with the derived views built from :mod:`defectradar.backends.views`.  Spark
reads; facts are appended through the DuckDB store's writer and exported again (no
``write`` capability), so alerts are not recorded from a Spark scan.

A session is started when none is given: ``master`` ``local[*]`` by default (every core of
this machine), or a cluster URL (``spark://host:7077``, ``yarn``, ``k8s://...``).  On a local
master Spark binds to ``SPARK_LOCAL_IP`` (127.0.0.1 unless set), so it never listens on the
network by accident.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from defectradar.backends.base import CapabilityError
from defectradar.errors import InputError

APP_NAME = "defectradar"


def _is_local_path(location: str) -> bool:
    return "://" not in location or location.startswith("file://")


def spark_session(master: str = "local[*]", app_name: str = APP_NAME, config: dict | None = None):
    """A Spark session (the active one when it matches, else a new one).

    Raises
    ------
    CapabilityError
        When pyspark is not installed or Java cannot start, with how to fix it.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise CapabilityError("the pyspark backend needs pyspark (and Java 17): "
                              "pip install 'defectradar[spark]' and apt-get install openjdk-17-jre-headless") from None
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # Python workers run this interpreter (the one with defectradar installed), not the
        # first python3 on the PATH.  On a cluster the executors need the package installed
        # (docs/scaling.md).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder
    if not _submitted():
        # Under spark-submit (which starts the JVM first and says so in this variable) the master,
        # memory and executors come from its command line; here they come from --spark-master.
        builder = builder.master(master)
    builder = (builder.appName(app_name)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")     # our own progress goes to stderr
               # Timestamps are UTC without zone in every table (0001_initial.sql).
               .config("spark.sql.session.timeZone", "UTC"))
    if "DEFECTRADAR_SPARK_PARTITIONS" in os.environ:
        builder = builder.config("spark.sql.shuffle.partitions", os.environ["DEFECTRADAR_SPARK_PARTITIONS"])
    elif not _submitted():
        builder = builder.config("spark.sql.shuffle.partitions", "8")     # PySparkBackend sizes it to the export
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:    # Java missing or failing: py4j raises plain exceptions
        raise CapabilityError(f"Spark did not start ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
                              "check that Java 17 is installed (java -version) and JAVA_HOME") from None
    session.sparkContext.setLogLevel(os.environ.get("DEFECTRADAR_SPARK_LOG_LEVEL", "ERROR"))
    return session


#: Rows a shuffle partition should hold (the default partitions follow the export's size).
ROWS_PER_PARTITION = 1_000_000


def shuffle_partitions(manifest: dict, minimum: int = 8) -> int:
    """Shuffle partitions for a session over the export: ``minimum`` (8: few queries' fixed
    cost on one machine) or one per :data:`ROWS_PER_PARTITION` rows of its largest table.

    Why: the derived views are cached per shuffle partition, and a partition of 12 million
    labelled reports (100M reports in 8 partitions) did not fit the memory of a 6 GB driver
    ("No enough memory for aggregation"); a million rows keeps each cached block a small part
    of an executor's memory.
    """
    rows = max((int(n or 0) for n in (manifest.get("tables") or {}).values()), default=0)
    return max(minimum, -(-rows // ROWS_PER_PARTITION))


def _submitted() -> bool:
    """Whether spark-submit started this process (it starts the JVM first and says so in this
    variable): then its command line sets the master, memory and partitions, not defectradar."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def _active_session():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()


def read_manifest(location: str) -> dict:
    """The export's ``manifest.json`` (tables and rows), read locally when the path is local."""
    if not _is_local_path(location):
        return {}
    folder = Path(location.removeprefix("file://"))
    manifest = folder / "manifest.json"
    if not folder.is_dir():
        raise InputError(f"--data {location}: no such folder; write one with `defectradar export parquet DIR`")
    if not manifest.is_file():
        raise InputError(f"--data {location} has no manifest.json: it is not an `defectradar export parquet` folder")
    try:
        return json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{manifest} cannot be read ({exc}); export the store again") from None


class PySparkBackend:
    """A :class:`~defectradar.backends.base.Backend` over a Parquet export read by Spark.

    Parameters
    ----------
    location
        The export folder (``export parquet DIR``), local or a Hadoop-compatible URI.
    master
        Spark master URL when no ``session`` is given.
    session
        An existing ``SparkSession`` to use (then :meth:`close` leaves it running).
    config
        Spark settings for a new session (``{"spark.driver.memory": "4g"}``).

    Examples
    --------
    >>> backend = PySparkBackend("export/", master="local[2]")     # doctest: +SKIP
    >>> backend.table("reports_labelled").count().execute()        # doctest: +SKIP
    """

    name = "pyspark"
    capabilities = frozenset({"text_search"})

    def __init__(self, location: str, master: str = "local[*]", session=None, config: dict | None = None) -> None:
        import ibis

        self.location = str(location).rstrip("/")
        self.manifest = read_manifest(self.location)
        if session is None:
            # A session already running in this process (a notebook's, a test's) is reused and
            # left running; one started here is stopped by close().
            session, started = _active_session(), False
            if session is None:
                session, started = spark_session(master, config=config), True
        else:
            started = False
        self._own_session = started
        self.session = session
        if started and "DEFECTRADAR_SPARK_PARTITIONS" not in os.environ and not _submitted():
            self.session.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions(self.manifest)))
        self.ibis = ibis.pyspark.connect(self.session)
        self._registered: set[str] = set()
        self._views: dict = {}
        files = self.manifest.get("files") or {}
        self.tables = sorted(files) if files else []
        self._files = files

    def _path(self, name: str) -> str:
        return f"{self.location}/{self._files.get(name, name + '.parquet')}"

    def raw_table(self, name: str):
        if name not in self._registered:
            if self._files and name not in self._files:
                raise InputError(f"the export at {self.location} has no table {name!r} (it has "
                                 f"{', '.join(self.tables)}); export the store again with every table")
            self.session.read.parquet(self._path(name)).createOrReplaceTempView(name)
            self._registered.add(name)
        return self.ibis.table(name)

    def table(self, name: str):
        """A fact table, or a derived view computed once and kept by Spark (memory, spilling to
        disk) for the backend's life: an analysis reads the labelled views dozens of times, and
        recomputing their joins each time made a scan of a million reports take minutes."""
        from defectradar.backends.views import DEFINITIONS

        if name not in DEFINITIONS:
            return self.raw_table(name)
        if name not in self._views:
            self._views[name] = DEFINITIONS[name](self.raw_table).cache()
        return self._views[name]

    @contextmanager
    def cached(self, expr) -> Iterator:
        """``expr`` computed once and kept by Spark (``persist``) for the block."""
        cached = expr.cache()
        try:
            yield cached
        finally:
            cached.release()

    def frame(self, expr):
        """``expr`` as a Spark DataFrame (for the work Ibis does not express)."""
        self.ibis._run_pre_execute_hooks(expr)           # registers in-memory tables and UDFs
        return self.session.sql(self.ibis.compile(expr))

    def map_groups(self, expr, key: str, order: tuple[str, ...], fn) -> Iterator:
        """``fn`` over whole groups of ``expr`` in the executors: the rows are shuffled by
        ``key``, sorted within each partition, handed to ``fn`` as Arrow tables (``mapInArrow``)
        and only ``fn``'s parts come back, pickled, one partition at a time.  ``fn`` travels to
        the executors pickled: on a cluster, defectradar must be installed on the workers."""
        import pickle

        from defectradar.backends.groups import whole_groups

        def run(batches):
            import pyarrow as pa

            for table in whole_groups(batches, key):
                part = pickle.dumps(fn(table), protocol=pickle.HIGHEST_PROTOCOL)
                yield pa.RecordBatch.from_arrays([pa.array([part], pa.binary())], names=["part"])

        frame = self.frame(expr)
        shuffled = frame.repartition(key).sortWithinPartitions(key, *order)
        for row in shuffled.mapInArrow(run, "part binary").toLocalIterator():
            yield pickle.loads(row.part)

    def has_table(self, name: str) -> bool:
        from defectradar.backends.views import DEFINITIONS

        return name in DEFINITIONS or name in self._files

    @property
    def con(self):
        raise CapabilityError("raw SQL is DuckDB's: the pyspark backend answers Ibis expressions only; "
                              "run this with --backend duckdb")

    def close(self) -> None:
        for view in self._views.values():
            view.release()
        self._views.clear()
        if self._own_session:
            self.session.stop()


def enrich_reports_on_spark(backend: PySparkBackend, classifier, table: str = "reports"):
    """The understanding columns of every report, computed on Spark: the reports' Arrow record
    batches go through :func:`defectradar.text.enrich.enrich_reports` (the function ingest runs
    on each batch locally) with ``mapInArrow``, so the labels are the same on every engine.

    Returns a Spark DataFrame with the columns of ``table``; write it with
    ``.write.parquet(...)`` (the backend itself never writes).  The classifier travels to the
    executors pickled, built-in model included.
    """
    import pyarrow as pa

    from defectradar.text.enrich import enrich_reports

    frame = backend.session.read.parquet(backend._path(table))
    schema = frame.schema

    def enrich(batches):
        for batch in batches:
            enriched = enrich_reports(pa.Table.from_batches([batch]), classifier)
            yield from enriched.to_batches()

    return frame.mapInArrow(enrich, schema)
