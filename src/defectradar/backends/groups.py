"""Per-group work the engine cannot express as a group-by: whole groups handed to Python.

Judging a device's service history under the dated rule sets (the remedies audit, the lemons)
is a Python function of the device's whole history, not an aggregate.  Pulling every event to
the driver would defeat a cluster, so each backend runs such a function where the rows are:
:meth:`~defectradar.backends.base.Backend.map_groups` gives it Arrow tables holding whole groups
(every row of a key together, sorted), and only what it returns (one picklable *part* per
table) comes back.

- DuckDB streams the rows sorted by key and calls the function in this process, one table
  at a time, so memory holds one batch of devices, never the whole history table.
- Spark shuffles by key (``repartition``), sorts within partitions and runs the function in
  the executors' Python workers (``mapInArrow``); each part travels back pickled.

:func:`whole_groups` is the one piece both share: Arrow batches are cut by size, not by key,
so it carries a group that straddles two batches into the next table.  Written here because
neither pyarrow nor Spark re-cuts a sorted stream at key boundaries (Spark's ``applyInPandas``
does, but calls Python once per group: a million devices would be a million calls).
"""

from __future__ import annotations

from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

#: Rows per table a group function sees (a table may hold more when one group is larger).
BATCH_ROWS = 100_000


def whole_groups(batches: Iterable[pa.RecordBatch | pa.Table], key: str,
                 min_rows: int = BATCH_ROWS) -> Iterator[pa.Table]:
    """Re-cut a stream sorted by ``key`` into tables in which no group is split between two
    tables: rows are read until ``min_rows`` are pending, then all but the last group (which
    may go on in the next batch) are handed out, so a table holds up to about ``min_rows``
    rows plus one batch, or one whole group however large.

    >>> batches = pa.table({"k": ["a", "a", "b", "b", "c"]}).to_batches(max_chunksize=3)
    >>> [t.column("k").to_pylist() for t in whole_groups(batches, "k", min_rows=1)]
    [['a', 'a'], ['b', 'b'], ['c']]
    """
    pending: list[pa.Table] = []
    rows = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch]))
        rows += batch.num_rows
        if rows < min_rows:
            continue
        table = pa.concat_tables(pending)
        cut = _last_group_start(table.column(key))
        if cut == 0:                   # one group so far: keep reading
            pending, rows = [table], table.num_rows
            continue
        yield table.slice(0, cut)
        rest = table.slice(cut)
        pending, rows = [rest], rest.num_rows
    if rows:
        yield pa.concat_tables(pending)


def _last_group_start(keys: pa.ChunkedArray) -> int:
    """Where the last key's rows begin (the stream is sorted, so they are a suffix)."""
    last = keys[len(keys) - 1]
    same = pc.is_null(keys) if not last.is_valid else pc.fill_null(pc.equal(keys, last), False)
    return len(keys) - int(pc.sum(same).as_py() or 0)

