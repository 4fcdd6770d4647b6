"""``--backend pyspark`` through the real CLI: the same JSON as on the store, and clear errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from defectradar.cli.app import app

runner = CliRunner()


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.spark
@pytest.mark.parametrize("command", [
    ["stats"],
    ["reliability", "weibull", "--product", "xiaomi-11", "--mode", "wifi", "--as-of", "2022-09-30"],
    ["reliability", "mcf", "--product", "xiaomi-11", "--as-of", "2022-09-30"],
    ["reliability", "nevada", "--product", "xiaomi-11", "--as-of", "2022-09-30"],
    ["signals", "trending", "--as-of", "2022-09-30"],
    ["lemons", "--as-of", "2022-09-30"],
    ["remedies", "audit", "--as-of", "2022-09-30", "--limit", "0"],
])
def test_same_json_on_both_backends(command, labelled_world, spark_backend):
    store_db = str(labelled_world["store"].path)
    duck = _json([*command, "--db", store_db, "--json"])
    spark = _json([*command, "--db", str(labelled_world["export"]), "--backend", "pyspark",
                   "--spark-master", "local[2]", "--json"])
    if command == ["stats"]:
        duck.pop("path"), spark.pop("path")
    assert spark == duck


@pytest.mark.spark
def test_scan_on_spark_prints_the_signals_without_recording(labelled_world, spark_backend, tmp_path):
    import shutil

    db = tmp_path / "scan.duckdb"          # the store scan records alerts: a copy
    shutil.copy(labelled_world["store"].path, db)
    duck = _json(["signals", "scan", "--as-of", "2022-09-30", "--db", str(db), "--json"])
    spark = _json(["signals", "scan", "--as-of", "2022-09-30", "--db", str(labelled_world["export"]),
                   "--backend", "pyspark", "--json"])
    assert duck["raised"] and not spark["raised"]
    assert spark["signals"] == duck["signals"] and spark["series_scanned"] == duck["series_scanned"]
    assert any("not recorded" in note for note in spark["notes"])


def test_unknown_backend_is_refused(tmp_path):
    result = runner.invoke(app, ["stats", "--db", str(tmp_path / "x.duckdb"), "--backend", "spork"])
    assert result.exit_code != 0
    assert "--backend 'spork': use one of duckdb, pyspark" in result.output


def test_pyspark_needs_an_export_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DEFECTRADAR_DB", raising=False)
    result = runner.invoke(app, ["stats", "--backend", "pyspark"])
    assert result.exit_code != 0 and "export parquet DIR" in result.output
    result = runner.invoke(app, ["stats", "--backend", "pyspark", "--db", str(tmp_path / "nowhere")])
    assert result.exit_code != 0 and "no such folder" in result.output and "Traceback" not in result.output


@pytest.mark.spark
def test_server_with_the_pyspark_backend(labelled_world, spark_backend, tmp_path):
    """``serve --backend pyspark --spark-data DIR``: the analytic API answers from Spark over the
    export, as the DuckDB server does; pages that need SQL (the overview) still read the store."""
    import shutil

    from tests.web_fixtures import serve_store

    from defectradar.config import load_settings
    from defectradar.store.connect import Store

    def served(backend: str, name: str):
        db = tmp_path / name
        shutil.copy(labelled_world["store"].path, db)
        settings = load_settings(db=str(db), key_dir=str(tmp_path / "keys"), backend=backend,
                                 spark_data=str(labelled_world["export"]), spark_master="local[2]")
        return serve_store(Store(db, settings))

    duck, spark = served("duckdb", "duck.duckdb"), served("pyspark", "spark.duckdb")
    assert spark.app.state.analytic_backend is not None and duck.app.state.analytic_backend is None
    for path in ("/api/v1/reliability/weibull?product=xiaomi-11&mode=wifi&as_of=2022-09-30",
                 "/api/v1/reliability/nevada?product=xiaomi-11&as_of=2022-09-30"):
        a, b = duck.api("viewer").get(path), spark.api("viewer").get(path)
        assert a.status_code == b.status_code == 200, b.text
        assert b.json() == a.json()
    page = spark.browser("viewer").get("/")
    assert page.status_code == 200 and "xiaomi-11" in page.text


def test_server_pyspark_without_an_export_is_refused(tmp_path):
    from defectradar.api.app import create_app
    from defectradar.config import load_settings
    from defectradar.errors import ConfigError
    from defectradar.store.connect import Store

    settings = load_settings(db=str(tmp_path / "s.duckdb"), key_dir=str(tmp_path / "keys"), backend="pyspark")
    with pytest.raises(ConfigError, match="--spark-data DIR"):
        create_app(Store(settings.db, settings))
