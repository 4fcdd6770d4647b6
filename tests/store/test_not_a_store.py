"""Store.check_path: what is refused, and that checking never unlocks a store this process has open."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from defectradar.errors import UnreadableFileError
from defectradar.store.connect import Store


def _another_process_can_open(path) -> bool:
    code = f"import duckdb; duckdb.connect({str(path)!r}).close()"
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_checking_the_header_never_drops_the_lock_of_an_open_connection(store):
    """DuckDB's POSIX record locks vanish when the process closes *any* descriptor of the file."""
    store.migrate()
    with store.reader():
        assert not _another_process_can_open(store.path)
        assert store.check_path() and Store(store.path, store.settings).check_path()
        assert not _another_process_can_open(store.path)        # still locked: the header was not re-read
    with store.write_session() as session:
        with session.transaction() as con:
            con.execute("SELECT 1")
        assert Store(store.path, store.settings).check_path()
        assert not _another_process_can_open(store.path)
    assert _another_process_can_open(store.path)


def test_check_path_refuses_what_is_not_a_store(tmp_path, settings):
    csv = tmp_path / "a.csv"
    csv.write_text("text\nhello\n")
    with pytest.raises(UnreadableFileError, match="a.csv is not a defectradar store"):
        Store(csv, settings).check_path()
    with pytest.raises(UnreadableFileError, match="is a folder"):
        Store(tmp_path, settings).check_path()
    assert Store(tmp_path / "new.duckdb", settings).check_path() is False
    (tmp_path / "empty").write_bytes(b"")
    assert Store(tmp_path / "empty", settings).check_path() is False


def test_a_foreign_duckdb_is_left_untouched_by_a_writer(tmp_path, settings):
    path = tmp_path / "theirs.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    with pytest.raises(UnreadableFileError, match="not a defectradar store .*it holds t, and no schema_migrations"):
        Store(path, settings).migrate()
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT table_name FROM information_schema.tables").fetchall() == [("t",)]
    con.close()
