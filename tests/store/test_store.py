"""Migrations, the per-store key, and settings."""

from __future__ import annotations

import stat

import duckdb
import pytest

from defectradar.config import SETTINGS, load_settings
from defectradar.errors import (
    ConfigError,
    SchemaVersionError,
    SecretError,
    StoreMissingError,
)
from defectradar.ingest.pipeline import ingest_file
from defectradar.store import migrate
from defectradar.store.connect import Store
from defectradar.store.keys import key_path, resolve_key


def test_migrations_are_numbered_recorded_and_idempotent(store):
    assert store.migrate() == list(range(1, migrate.latest_version() + 1))
    assert store.migrate() == []
    with store.reader() as con:
        assert migrate.current_version(con) == migrate.latest_version()
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"reports", "devices", "service_events", "sales", "products", "label_events", "quarantine",
            "ingest_runs", "schema_migrations", "store_meta", "sales_current"} <= tables


def test_store_from_a_newer_release_is_refused(store):
    store.migrate()
    con = duckdb.connect(str(store.path))
    con.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
    con.close()
    with pytest.raises(SchemaVersionError, match="newer than this defectradar"):
        with store.reader():
            pass


def test_reader_on_missing_store_explains(store):
    with pytest.raises(StoreMissingError, match="defectradar ingest"):
        with store.reader():
            pass


def test_key_lives_outside_the_database_and_is_private(store, settings, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,created_at,author,text\n1,2022-09-21,someone,hello\n")
    ingest_file(store, path)
    with store.reader() as con:
        store_id = con.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()[0]
    file = key_path(settings, store_id)
    assert file.exists() and not str(file).startswith(str(tmp_path))
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert file.read_text().strip() not in store.path.read_bytes().hex()


def test_wrong_or_missing_key_is_caught_before_writing(store, settings, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,created_at,author,text\n1,2022-09-21,someone,hello\n")
    ingest_file(store, path)
    with pytest.raises(SecretError, match="not the one this store"):
        ingest_file(Store(settings.db, settings.replace(secret="another-secret-of-16+")), path, force=True)
    with store.reader() as con:
        store_id = con.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()[0]
    key_path(settings, store_id).unlink()
    with pytest.raises(SecretError, match="restore that file or set DEFECTRADAR_SECRET"):
        ingest_file(Store(settings.db, settings), path, force=True)


def test_secret_from_environment_gives_reproducible_tokens(tmp_path):
    tokens = []
    for name in ("a", "b"):
        settings = load_settings(db=str(tmp_path / f"{name}.duckdb"), secret="shared-secret-0123456789")
        store = Store(settings.db, settings)
        with store.writer() as con:
            key = resolve_key(con, settings)
        tokens.append(key)
    assert tokens[0] == tokens[1] == b"shared-secret-0123456789"
    short = load_settings(db=str(tmp_path / "c.duckdb"), secret="short")
    with pytest.raises(SecretError, match="at least 16"):
        with Store(short.db, short).writer() as con:
            resolve_key(con, short)


@pytest.mark.parametrize("name,value,message", [
    ("DEFECTRADAR_LOCK_TIMEOUT", "-1", "positive"),
    ("DEFECTRADAR_BATCH_ROWS", "many", "invalid literal"),
    ("DEFECTRADAR_TIMEZONE", "Mars/Olympus", "unknown time zone"),
    ("DEFECTRADAR_MEMORY_LIMIT", "lots", "size such as"),
])
def test_bad_settings_fail_at_start_naming_the_variable(name, value, message):
    with pytest.raises(ConfigError, match=rf"{name}=.*{message}"):
        load_settings(env={name: value})


def test_every_setting_has_help_and_a_valid_default():
    settings = load_settings(env={})
    for setting in SETTINGS:
        assert setting.help and setting.env_var.startswith("DEFECTRADAR_")
        assert hasattr(settings, setting.name)
    assert settings.public_handles and settings.memory_limit == "512MB"
