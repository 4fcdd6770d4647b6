"""The DuckDB backend: the embedded store file (the default engine).

Locking and migrations belong to :class:`~defectradar.store.connect.Store`, which hands out
short read-only connections and one writer at a time; this adapter wraps one such connection
so analyses see the :class:`~defectradar.backends.base.Backend` protocol.  Derived views are
the store's SQL views, which the migrations install compiled from
:mod:`defectradar.backends.views` (one definition for every engine).
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from typing import Iterator

import duckdb

_CACHE_IDS = itertools.count()


class DuckDBBackend:
    """A :class:`~defectradar.backends.base.Backend` over one open DuckDB connection.

    Examples
    --------
    >>> with DuckDBBackend.reading(store) as backend:              # doctest: +SKIP
    ...     backend.table("reports_labelled").count().execute()
    """

    name = "duckdb"
    capabilities = frozenset({"write", "sql", "alerts", "text_search"})

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._ibis = None
        self._tables: dict = {}

    @classmethod
    @contextmanager
    def reading(cls, store) -> Iterator["DuckDBBackend"]:
        """A backend over a read-only connection of ``store``, closed at the end of the block."""
        with store.reader() as con:
            yield cls(con)

    @property
    def ibis(self):
        """The Ibis DuckDB backend over the connection (Ibis loads on first use: it costs
        half a second, which commands that never query should not pay)."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    def raw_table(self, name: str):
        return self.ibis.table(name)

    def table(self, name: str):
        # Looked up once per connection: each lookup asks the catalogue for the schema, and a
        # scan asks for the labelled view hundreds of times.
        if name not in self._tables:
            from defectradar.backends.views import DEFINITIONS

            if name in DEFINITIONS and not self.has_table(name):
                self._tables[name] = DEFINITIONS[name](self.raw_table)   # a store from before the views
            else:
                self._tables[name] = self.ibis.table(name)
        return self._tables[name]

    @contextmanager
    def cached(self, expr) -> Iterator:
        """``expr`` computed once into a temporary table, as an Ibis table for the block.
        (Ibis' own ``cache()`` leaves a finaliser that this DuckDB release rejects.)"""
        import ibis

        name = f"_cached_{next(_CACHE_IDS)}"
        self.con.execute(f"CREATE TEMP TABLE {name} AS {ibis.to_sql(expr, dialect='duckdb')}")
        try:
            yield self.ibis.table(name)
        finally:
            self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def map_groups(self, expr, key: str, order: tuple[str, ...], fn) -> Iterator:
        """``fn`` over whole groups of ``expr``, streamed sorted by ``key`` and ``order`` and run
        in this process, one table of about :data:`~defectradar.backends.groups.BATCH_ROWS`
        rows at a time."""
        from defectradar.backends.groups import BATCH_ROWS, whole_groups

        # Ibis' own to_pyarrow_batches calls a cursor method DuckDB 2 renamed, hence the relation.
        relation = self.ibis._to_duckdb_relation(expr.order_by([key, *order]))
        stream = getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch
        for table in whole_groups(stream(BATCH_ROWS), key, min_rows=BATCH_ROWS):
            yield fn(table)

    def has_table(self, name: str) -> bool:
        rows = self.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
                                "AND table_catalog = current_database()", [name]).fetchall()
        return bool(rows[0][0])

    def close(self) -> None:
        """The connection belongs to whoever opened it (the store's reader); nothing to release."""


VIEWS_META_KEY = "derived_views"


def _definitions_fingerprint() -> str:
    """What the installed views were compiled from: the definitions' source and Ibis' version
    (read without importing Ibis, so a store whose views are current opens as fast as before)."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version
    from pathlib import Path

    source = (Path(__file__).with_name("views.py")).read_bytes()
    try:
        ibis_version = version("ibis-framework")
    except PackageNotFoundError:
        ibis_version = "?"
    return hashlib.sha256(source + ibis_version.encode()).hexdigest()[:16]


def install_views(con: duckdb.DuckDBPyConnection, force: bool = False) -> bool:
    """Create (or replace) the store's derived views as DuckDB SQL compiled from
    :mod:`defectradar.backends.views`, unless the installed ones are already from the same
    definitions.  Returns whether views were (re)installed.  Runs inside the caller's
    transaction (the migrations')."""
    fingerprint = _definitions_fingerprint()
    rows = con.execute("SELECT value FROM store_meta WHERE key = ?", [VIEWS_META_KEY]).fetchall()
    if rows and rows[0][0] == fingerprint and not force:
        return False
    import ibis

    from defectradar.backends.views import DEFINITIONS

    ib = ibis.duckdb.from_connection(con)
    for name, define in DEFINITIONS.items():
        sql = ibis.to_sql(define(ib.table), dialect="duckdb")
        con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {sql}')
    con.execute("INSERT OR REPLACE INTO store_meta VALUES (?, ?)", [VIEWS_META_KEY, fingerprint])
    return True
