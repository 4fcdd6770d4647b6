"""Engines behind the analyses: one :class:`~defectradar.backends.base.Backend` protocol, one
adapter per engine (DuckDB, the default; PySpark over a Parquet export) and the derived views
defined once (:mod:`defectradar.backends.views`).

:func:`as_backend` lets every analysis take either a backend or, as before, an open DuckDB
connection.
"""

from __future__ import annotations

import weakref

from defectradar.backends.base import BACKENDS, Backend, CapabilityError, check_backend_name, require

__all__ = ["BACKENDS", "Backend", "CapabilityError", "as_backend", "check_backend_name", "require"]

# One adapter per DuckDB connection, so Ibis' table schemas are looked up once per connection.
_ADAPTERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def as_backend(source) -> Backend:
    """``source`` as a :class:`Backend`: a backend as it is, a DuckDB connection wrapped."""
    if isinstance(source, Backend):
        return source
    from defectradar.backends.duckdb import DuckDBBackend

    try:
        adapter = _ADAPTERS.get(source)
    except TypeError:              # not weak-referenceable: wrap each time
        return DuckDBBackend(source)
    if adapter is None:
        adapter = DuckDBBackend(source)
        _ADAPTERS[source] = adapter
    return adapter

