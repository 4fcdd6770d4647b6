"""The store's tables as Parquet files, for engines that read Parquet (Spark, Polars, another DuckDB).

``export_parquet(store, folder)`` writes one ``<table>.parquet`` per fact table and a
``manifest.json`` (schema version, rows per table, when), reading the store once, read-only.
Derived views (``reports_labelled`` and the like) are not written: they are defined over the
tables and an engine rebuilds them.  Accounts (``users``: password and key hashes) and the
store's own bookkeeping (``schema_migrations``, ``store_meta``: the key fingerprint) are never
exported.

Files are written into a temporary folder beside the target and moved into place when all are
done, so a failed export never leaves a half-written folder that looks complete.

Examples
--------
>>> result = export_parquet(store, "export/")          # doctest: +SKIP
>>> result.tables["reports"]                            # doctest: +SKIP
120000
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from defectradar.errors import InputError
from defectradar.progress import Progress
from defectradar.store.connect import Store
from defectradar.store.migrate import latest_version

NEVER_EXPORTED = frozenset({"users", "schema_migrations", "store_meta"})


@dataclass
class ExportResult:
    folder: str
    schema_version: int
    tables: dict[str, int] = field(default_factory=dict)     # table -> rows written
    files: dict[str, str] = field(default_factory=dict)      # table -> file name

    def to_dict(self) -> dict:
        return asdict(self)


def exportable_tables(con) -> list[str]:
    """The store's base tables that an export writes (views, accounts and bookkeeping left out)."""
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
                       "AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()
    return [name for (name,) in rows if name not in NEVER_EXPORTED]


def export_parquet(store: Store, folder: str | os.PathLike[str], tables: list[str] | None = None, *,
                   replace: bool = False, progress: Progress | None = None) -> ExportResult:
    """Write the store's tables (all exportable ones, or ``tables``) as Parquet into ``folder``.

    Raises
    ------
    InputError
        When ``folder`` exists and is not empty (unless ``replace``), is a file, or a table asked
        for is not one the store can export.
    """
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} is a file; give a folder to export into")
    if target.is_dir() and any(target.iterdir()) and not replace:
        raise InputError(f"{target} is not empty; give a new folder, or --replace to overwrite it")
    with store.reader() as con:
        available = exportable_tables(con)
        chosen = available if not tables else list(dict.fromkeys(tables))
        unknown = [t for t in chosen if t not in available]
        if unknown:
            refused = [t for t in unknown if t in NEVER_EXPORTED]
            why = (f"{', '.join(refused)} is never exported (accounts and bookkeeping); " if refused else "")
            raise InputError(f"cannot export {', '.join(unknown)}: {why}tables that can be: {', '.join(available)}")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            result = ExportResult(folder=str(target), schema_version=latest_version())
            if progress:
                progress.start("export", len(chosen))
            for done, table in enumerate(chosen, start=1):
                name = f"{table}.parquet"
                # Identifiers come from the store's own catalogue (checked above), never from free text.
                path = str(staging / name).replace("'", "''")
                con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
                result.tables[table] = con.execute(f"SELECT count(*) FROM \"{table}\"").fetchone()[0]
                result.files[table] = name
                if progress:
                    progress.update(done)
            manifest = {**result.to_dict(), "folder": None,
                        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        "store": str(store.path)}
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            if progress:
                progress.finish()
    return result
