"""``export parquet``: every fact table round-trips through Parquet; accounts never leave the store."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from defectradar.accounts import create_user
from defectradar.cli.app import app
from defectradar.errors import InputError
from defectradar.ingest.pipeline import ingest_file
from defectradar.store.export import NEVER_EXPORTED, export_parquet

runner = CliRunner()


@pytest.fixture
def filled(store, csv_file):
    ingest_file(store, csv_file(["id", "created_at", "product", "text"],
                                [[i, f"2022-05-{i:02d}", "Xiaomi 11", f"wifi 断流 {i}"] for i in range(1, 21)]))
    create_user(store, "lin", "admin")
    return store


def test_every_fact_table_round_trips(filled, tmp_path):
    result = export_parquet(filled, tmp_path / "out")
    assert result.tables["reports"] == 20 and not set(result.tables) & NEVER_EXPORTED
    with filled.reader() as con:
        for table, rows in result.tables.items():
            assert pq.read_table(tmp_path / "out" / result.files[table]).num_rows == rows
            assert con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == rows
        stored = con.execute("SELECT report_id, text, failure_modes FROM reports ORDER BY report_id").fetchall()
    back = pq.read_table(tmp_path / "out" / "reports.parquet").to_pandas().sort_values("report_id")
    assert [(r, t, list(m)) for r, t, m in back[["report_id", "text", "failure_modes"]].itertuples(index=False)] \
        == [(r, t, list(m)) for r, t, m in stored]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["tables"] == result.tables and manifest["schema_version"] == result.schema_version
    assert not (tmp_path / "out" / "users.parquet").exists()
    assert b"scrypt$" not in b"".join(p.read_bytes() for p in (tmp_path / "out").iterdir())


def test_a_folder_in_use_and_secret_tables_are_refused(filled, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        export_parquet(filled, tmp_path / "busy")
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"
    with pytest.raises(InputError, match="never exported"):
        export_parquet(filled, tmp_path / "x", ["users"])
    with pytest.raises(InputError, match="tables that can be"):
        export_parquet(filled, tmp_path / "x", ["nosuch"])
    assert not (tmp_path / "x").exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_parquet_command(filled, tmp_path):
    out = tmp_path / "spark"
    result = runner.invoke(app, ["export", "parquet", str(out), "--table", "reports", "--db", str(filled.path),
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tables"] == {"reports": 20}
    again = runner.invoke(app, ["export", "parquet", str(out), "--db", str(filled.path)])
    assert again.exit_code == 2 and "--replace" in again.output
    replaced = runner.invoke(app, ["export", "parquet", str(out), "--db", str(filled.path), "--replace"])
    assert replaced.exit_code == 0 and (out / "sales.parquet").exists()
