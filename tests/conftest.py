"""Shared fixtures: real stores in temporary folders, keys kept out of the home folder,
and a printed seed for every test that draws random numbers."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from defectradar.config import load_settings
from defectradar.store.connect import Store

REPO = Path(__file__).resolve().parents[1]


def shared_data(folder: str) -> Path:
    """A folder of ../shared/data (real public data, read in place, never copied into the repo).

    Looked for in $DEFECTRADAR_SHARED_DATA, next to the repository, then at /work/shared/data.
    A test that needs it fails (not skips) with a clear message when it is absent.
    """
    candidates = [os.environ.get("DEFECTRADAR_SHARED_DATA"), REPO.parent / "shared" / "data",
                  "/work/shared/data"]
    for base in candidates:
        if base and (Path(base) / folder).is_dir():
            return Path(base) / folder
    pytest.fail(f"shared data folder {folder!r} not found (looked in {candidates}); set "
                "DEFECTRADAR_SHARED_DATA to the folder holding ../shared/data")


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch):
    """Every test gets its own key folder and no inherited DEFECTRADAR_* settings."""
    for name in list(os.environ):
        if name.startswith("DEFECTRADAR_") and name != "DEFECTRADAR_SHARED_DATA":
            monkeypatch.delenv(name)
    monkeypatch.setenv("DEFECTRADAR_KEY_DIR", str(tmp_path_factory.mktemp("keys")))
    # One cache per test session: the built-in classifier is trained once, not per test.
    monkeypatch.setenv("DEFECTRADAR_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture
def settings(tmp_path):
    return load_settings(db=str(tmp_path / "store.duckdb"), lock_timeout=10.0)


@pytest.fixture
def store(settings):
    return Store(settings.db, settings)


@pytest.fixture
def seed(request):
    """A seed printed on failure so a random test can be replayed (PYTEST_SEED overrides)."""
    value = int(os.environ.get("PYTEST_SEED", random.randrange(1 << 30)))
    print(f"seed={value} (rerun with PYTEST_SEED={value})")
    return value


@pytest.fixture
def query(store):
    """Run SQL on the test store (read-only) and return rows as dicts."""

    def run(sql: str, params=None) -> list[dict]:
        with store.reader() as con:
            cursor = con.execute(sql, params or [])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    return run


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    """A CSV file written with Python's csv module (quoting as needed)."""
    import csv
    import io

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.fixture
def csv_file(tmp_path):
    """Factory: csv_file(header, rows, name=..., encoding=...) -> Path."""

    def make(header, rows, name="complaints.csv", encoding="utf-8"):
        return write_csv(tmp_path / name, header, rows, encoding)

    return make


@pytest.fixture(scope="session")
def salmonella():
    """Weekly Salmonella Newport counts, 2004-2012 (470 weeks), the series of the R references."""
    from datetime import date

    import pandas as pd

    from defectradar.core.series import CountSeries

    folder = shared_data("epysurv-salmonella-newport")
    frame = pd.concat([pd.read_csv(folder / f"salmonella_{part}.csv") for part in ("train", "test")])
    periods = [date.fromisoformat(day) for day in frame.iloc[:, 0]]
    return CountSeries(periods, frame["n_cases"].to_numpy(), freq="week", name="Salmonella Newport")


@pytest.fixture(scope="session")
def simulated_world(tmp_path_factory):
    """The default simulated world (seed 2021, scale 1, as ``defectradar simulate`` draws it)
    ingested into a store once per session; its key folder is fixed so tests can pseudonymise
    the truth's IMEIs the same way.  Tests may read it and add alerts, never rewrite facts."""
    from defectradar.demo import DEMO_FILES
    from defectradar.ingest.pipeline import ingest_file
    from defectradar.simulate import simulate_world

    base = tmp_path_factory.mktemp("simworld")
    keys = base / "keys"
    mp = pytest.MonkeyPatch()
    mp.setenv("DEFECTRADAR_KEY_DIR", str(keys))
    world_settings = load_settings(db=str(base / "world.duckdb"), lock_timeout=30.0)
    world_store = Store(world_settings.db, world_settings)
    simulate_world(base / "world", seed=2021, scale=1.0)
    for source_type, name in DEMO_FILES:
        ingest_file(world_store, base / "world" / name, source_type=source_type)
    mp.undo()
    return {"store": world_store, "dir": base / "world", "db": world_settings.db, "keys": str(keys),
            "settings": world_settings}


def store_at_version(path: Path, version: int):
    """A store file with the migrations up to ``version`` applied, as an older release left it;
    returns the open connection (the caller adds rows, then closes or upgrades it)."""
    from datetime import datetime

    import duckdb

    from defectradar.store import migrate

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "applied_at TIMESTAMP NOT NULL)")
    for migration in migrate.available_migrations()[:version]:
        con.execute(migration.sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [migration.version, migration.name, datetime.now()])
    return con
