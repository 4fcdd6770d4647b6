"""Numbered schema migrations.

Migrations are the SQL files ``migrations/NNNN_name.sql`` shipped with the package, applied
in order inside one transaction each; ``schema_migrations`` records which ran and when.
A store written by a newer release (a version we do not know) is refused rather than
silently misread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import duckdb

from defectradar.core.dates import utc_now
from defectradar.errors import SchemaVersionError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    """Every migration shipped with this release, in version order."""
    found = []
    for entry in resources.files("defectradar.store.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration numbers must run 1, 2, 3 ... without gaps; found {versions}")
    return found


def latest_version() -> int:
    return len(available_migrations())


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in the store, 0 for an empty file."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def check_version(con: duckdb.DuckDBPyConnection, path: str) -> int:
    """Refuse a store from a newer release; return its version."""
    version = current_version(con)
    if version > latest_version():
        raise SchemaVersionError(
            f"{path} has schema version {version}, newer than this defectradar understands "
            f"({latest_version()}); upgrade defectradar to read it"
        )
    return version


def upgrade(con: duckdb.DuckDBPyConnection, path: str) -> list[int]:
    """Apply every migration the store lacks; return the versions applied."""
    version = check_version(con, path)
    applied = []
    if version == 0:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
    for migration in available_migrations():
        if migration.version <= version:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [migration.version, migration.name, utc_now()],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    _install_views(con, force=bool(applied))
    return applied


def _install_views(con: duckdb.DuckDBPyConnection, force: bool) -> None:
    """The derived views, compiled from their one Ibis definition (backends/views.py); again
    after any migration (a column added to a table must reach the views that select it)."""
    from defectradar.backends.duckdb import install_views

    con.execute("BEGIN TRANSACTION")
    try:
        install_views(con, force=force)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
