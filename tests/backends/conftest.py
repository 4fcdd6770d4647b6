"""The backends' shared fixtures: one simulated world, analyst corrections and a relabelling on
top, read by DuckDB (the store) and by Spark ``local[2]`` (its ``export parquet`` copy).

Spark binds to 127.0.0.1 (``SPARK_LOCAL_IP``) and starts once per session; the tests that use it
are marked ``spark`` (``make test`` runs them; ``-m "not spark"`` leaves them out on a machine
without Java).
"""

from __future__ import annotations

import os
import shutil

import pytest

from defectradar.config import load_settings
from defectradar.store.connect import Store


@pytest.fixture(scope="session")
def labelled_world(simulated_world, tmp_path_factory):
    """A copy of the simulated world with machine relabels and analyst corrections (so every
    branch of the effective-label views is exercised), and its Parquet export."""
    from defectradar.labelling import reclassify, record_correction
    from defectradar.store.export import export_parquet
    from defectradar.text.classifier import ComplaintClassifier

    base = tmp_path_factory.mktemp("backends")
    db = base / "world.duckdb"
    shutil.copy(simulated_world["db"], db)
    settings = load_settings(db=str(db), lock_timeout=30.0)
    store = Store(db, settings)
    with store.reader() as con:
        rows = con.execute("SELECT report_id FROM reports_labelled WHERE product_id IS NOT NULL "
                           "AND len(failure_modes) > 0 ORDER BY report_id LIMIT 40").fetchall()
    ids = [r[0] for r in rows]
    # Half the reports relabelled by a classifier run (report_labels), a few corrected by an analyst.
    reclassify(store, ComplaintClassifier(model=None))   # rules only: fast, and differs from ingest
    record_correction(store, ids[0], analyst="lin", failure_modes=["battery", "wifi"])
    record_correction(store, ids[1], analyst="lin", failure_modes=[])
    record_correction(store, ids[2], analyst="lin", product_id="none")
    record_correction(store, ids[3], analyst="lin", product_id="xiaomi-11-ultra", severity="safety")
    record_correction(store, ids[3], analyst="wu", severity="none")
    export = base / "export"
    export_parquet(store, export)
    return {"store": store, "export": export, "ids": ids}


@pytest.fixture(scope="session")
def spark_backend(labelled_world):
    """A Spark ``local[2]`` session over the export (one per test session)."""
    pytest.importorskip("pyspark", reason="the pyspark backend needs pyspark (pip install -e '.[dev]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail("the pyspark backend needs Java 17: apt-get install openjdk-17-jre-headless (.ci/run does)")
    from defectradar.backends.pyspark import PySparkBackend

    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    backend = PySparkBackend(str(labelled_world["export"]), master="local[2]")
    yield backend
    backend.close()


@pytest.fixture
def duckdb_con(labelled_world):
    with labelled_world["store"].reader() as con:
        yield con
