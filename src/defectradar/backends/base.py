"""What every engine behind defectradar offers: the :class:`Backend` protocol.

An analysis asks a backend for tables (fact tables and the derived views of
:mod:`defectradar.backends.views`) as Ibis expressions, builds its counting on them, and gets
back only per-group results.  Nothing in an analysis names an engine; what differs between
engines lives in one adapter module each (``duckdb.py``, ``pyspark.py``), and what an engine
cannot do is stated in its :attr:`Backend.capabilities`, so a command can refuse it up front
with a message, instead of failing half way.

Capabilities
------------
``write``
    Facts can be appended (through the store's writer).  The Spark backend reads an export.
``sql``
    Raw SQL reaches the engine's own connection (``backend.con``); only the DuckDB backend's
    SQL views, the dashboard's page queries and bookkeeping use it.
``alerts``
    Alerts and their lifecycle can be recorded (a scan that raises alerts needs it).
``text_search``
    Full-text style filters over report text.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from defectradar.errors import InputError

#: The engines ``--backend`` accepts.
BACKENDS = ("duckdb", "pyspark")


class CapabilityError(InputError):
    """The backend cannot do what was asked; the message says which backend can."""


@runtime_checkable
class Backend(Protocol):
    """An engine holding the store's tables.

    Attributes
    ----------
    name
        ``duckdb`` or ``pyspark``.
    capabilities
        What the engine can do beyond reading tables (see the module docstring).
    """

    name: str
    capabilities: frozenset[str]

    def table(self, name: str):
        """A fact table or a derived view, as an Ibis table expression."""

    def raw_table(self, name: str):
        """A stored table as the engine holds it (no derived views)."""

    def cached(self, expr):
        """A context manager: ``expr`` computed once and held by the engine for the block, as an
        Ibis table (for an intermediate result several group-bys read)."""

    def has_table(self, name: str) -> bool:
        """Whether the engine holds a table or view of that name."""

    def map_groups(self, expr, key: str, order: tuple[str, ...], fn):
        """``fn(table)`` run where the rows are, on pyarrow tables of ``expr`` that each hold whole
        groups of ``key`` (sorted by ``key`` then ``order``); yields what ``fn`` returns, one
        picklable part per table, in no set order (:mod:`defectradar.backends.groups`)."""

    def close(self) -> None:
        """Release what the backend opened (a Spark session it started, a connection it owns)."""


def require(backend: Backend, capability: str, what: str) -> None:
    """Refuse ``what`` on a backend without ``capability``, naming the backend that has it."""
    if capability not in backend.capabilities:
        raise CapabilityError(
            f"{what} needs the {capability!r} capability, which the {backend.name} backend lacks; "
            "run it with --backend duckdb on the store (Spark reads an `export parquet` copy)")


def check_backend_name(name: str) -> str:
    if name not in BACKENDS:
        raise InputError(f"--backend {name!r}: use one of {', '.join(BACKENDS)}")
    return name
