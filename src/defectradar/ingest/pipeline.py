"""Ingest one file into the store: detect, read, normalise, append, account for every row.

Crash safety: each batch is one transaction holding its rows, its quarantined rows and the
run's counters, so after a ``kill -9`` the store holds whole batches only and the counters
match them.  Rerunning the same file re-reads it; rows already stored are recognised by key
and skipped, so the rerun completes the data with neither duplicates nor gaps.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from queue import Full, Queue
from typing import Callable, Iterator

import defectradar.ingest.announcements  # noqa: F401
import defectradar.ingest.generic  # noqa: F401 - registers the built-in formats
import defectradar.ingest.nhtsa  # noqa: F401
import defectradar.ingest.nhtsa_recalls  # noqa: F401
import defectradar.ingest.weibo  # noqa: F401
from defectradar.core.dates import utc_now
from defectradar.domain.catalog import Catalog, load_catalog
from defectradar.errors import DefectRadarError, IngestAccountingError, InputError, UnreadableFileError
from defectradar.ingest import runs
from defectradar.ingest.context import IngestContext, Normalised, scrub_free_columns
from defectradar.ingest.fields import brand_and_model
from defectradar.ingest.formats import (
    ReadOptions,
    detect_format,
    get_format,
    take_sample,
)
from defectradar.ingest.pseudonymise import Pseudonymiser
from defectradar.ingest.reading import RawBatch
from defectradar.ingest.value_maps import ValueMaps
from defectradar.progress import Progress
from defectradar.store import writer
from defectradar.store.connect import Store
from defectradar.store.keys import resolve_key
from defectradar.text.classifier import ComplaintClassifier

DATE_ORDERS = ("mdy", "dmy")


@dataclass
class IngestResult:
    """What one file's ingest did."""

    path: str
    run_id: str | None
    source_type: str | None
    source: str | None
    status: str            # complete | skipped | empty | failed
    rows_read: int = 0
    rows_inserted: int = 0
    rows_duplicate: int = 0
    rows_quarantined: int = 0
    # Rows merged into another row's report (the NHTSA flat file's further rows of a complaint):
    # rows_read = rows_inserted + rows_duplicate + rows_quarantined + rows_merged.
    rows_merged: int = 0
    originals_added: int = 0   # posts stored from inside reposts (not rows of the file)
    seconds: float = 0.0
    message: str | None = None
    replaced: list[dict] = field(default_factory=list)   # earlier runs undone by --replace, with rows removed

    def to_dict(self) -> dict:
        return asdict(self)


def file_digest(path: Path) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


def _check_readable(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise UnreadableFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise UnreadableFileError(f"{path}: cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(mode):
        raise UnreadableFileError(f"{path}: is a folder; name the files inside it")
    if not stat.S_ISREG(mode):
        # A pipe would hang ingest until its writer quits, /dev/zero never ends, and neither
        # can be hashed first or re-read on a rerun.
        raise UnreadableFileError(f"{path}: is not a regular file (a pipe, device or socket); save the data "
                                  "to a file and ingest that")
    if not os.access(path, os.R_OK):
        raise UnreadableFileError(f"{path}: permission denied")


def ingest_file(store: Store, path: str | os.PathLike[str], *, source_type: str = "auto",
                mapping: dict[str, str] | None = None, source: str | None = None,
                tz: str | None = None, encoding: str | None = None, date_order: str | None = None,
                force: bool = False, catalog: Catalog | None = None,
                classifier: ComplaintClassifier | None | bool = True,
                progress: Progress | None = None, value_maps: ValueMaps | None = None,
                sheet: str | None = None, replace_earlier: bool = False,
                actor: str | None = None) -> IngestResult:
    """Ingest one file; see ``docs/formats.md`` for what each ``source_type`` expects.

    Parameters
    ----------
    store
        The store to append to (created on first use).
    source_type
        ``auto`` (detect from content) or a registered format name.
    mapping
        ``{our field: file column}`` for files whose column names we do not recognise.
    source
        Name recorded as the rows' source (default: the format's, e.g. ``weibo``).
    tz
        Zone of times written without one (default: the format's, else ``DEFECTRADAR_TIMEZONE``).
    force
        Re-read a file already ingested with the same options (normally skipped at once), or
        ingest a file already ingested with other options beside the earlier run (normally
        refused: its rows would be stored twice).
    value_maps
        The file's own words for our fields' values (``--value-map``), applied before reading.
    sheet
        The sheet of an Excel workbook to read (default: the first).
    replace_earlier
        Undo every earlier run of the same file (same content and source) first, recording
        who (``actor``) did it, then ingest (``--replace``).
    classifier
        What fills product, failure modes and the other understanding columns: True for the
        built-in classifier, a :class:`ComplaintClassifier`, or False/None to store raw rows
        only (``reclassify`` can label them later).

    Raises
    ------
    InputError
        The file cannot be read or its format is unknown, or it was ingested before with other
        options; nothing was written for it.
    """
    started = time.monotonic()
    path = Path(path)
    _check_readable(path)
    if date_order is not None and date_order not in DATE_ORDERS:
        raise InputError(f"--date-order must be one of {', '.join(DATE_ORDERS)}")
    settings = store.settings
    sample = take_sample(path, encoding, sheet)
    if sample.is_empty:
        return IngestResult(str(path), None, None, source, "empty", message="file is empty; nothing to ingest")
    fmt = get_format(source_type) if source_type != "auto" else detect_format(sample)
    source = source or fmt.default_source
    zone = tz or fmt.default_timezone or settings.timezone
    options = {"mapping": dict(sorted((mapping or {}).items())), "timezone": zone,
               "date_order": date_order, "encoding": sample.encoding.name}
    value_maps = value_maps or ValueMaps()
    if value_maps:      # only when given, so runs before value maps existed still compare equal
        options["value_maps"] = value_maps.to_options()
    if sheet:
        options["sheet"] = sheet
    catalog = catalog or load_catalog(settings.catalog)
    if classifier is True:
        from defectradar.text.loading import build_classifier  # scikit-learn only when texts are read

        classifier = build_classifier(settings, catalog=catalog)
    result = IngestResult(str(path), None, fmt.name, source, "running")
    # Hash the file on the second core while the first batches are read and normalised:
    # the hash decides whether the file was ingested before, but reading need not wait for it.
    digest = Future()
    threading.Thread(target=_digest_into, args=(path, digest), daemon=True).start()
    with store.exclusive_writer(), store.write_session() as session:
        with session.transaction() as con:
            key = resolve_key(con, settings)
            writer.sync_products(con, catalog, utc_now())
        pseudonymiser = Pseudonymiser(key, settings.public_handles,
                                      default_region=fmt.default_phone_region or settings.phone_region)
        # A --map column name may be data (a file without a header row): the run record keeps
        # it redacted, the same way every time, so reruns still match.
        options["mapping"] = {name: pseudonymiser.redact(column) for name, column in options["mapping"].items()}
        if "value_maps" in options:
            options["value_maps"] = {name: {pseudonymiser.redact(k): v for k, v in values.items()}
                                     for name, values in options["value_maps"].items()}
        ctx = IngestContext(settings=settings, pseudonymiser=pseudonymiser,
                            catalog=catalog, source=source, source_type=fmt.name, timezone=zone,
                            run_id=str(uuid.uuid4()), now=utc_now(), date_order=date_order,
                            classifier=classifier or None)
        meter = _Meter(progress, path.name, path.stat().st_size)
        batches = fmt.read(sample, ReadOptions(mapping=mapping or {}, batch_rows=settings.batch_rows,
                                                max_record_lines=settings.max_record_lines, sheet=sheet,
                                                progress=meter.read if progress else None))
        ready = prefetch(_shaped(batches, value_maps, path), lambda b: fmt.normalise(b, ctx))
        try:
            file_hash, size = digest.result()
            run = writer.RunRecord(ctx.run_id, fmt.name, source, str(path.resolve()), file_hash, size,
                                   options, sample.encoding.name)
            with session.transaction() as con:
                earlier = None if force or replace_earlier else writer.completed_run(
                    con, file_hash, fmt.name, source, options)
            if not earlier:
                # A wrong --map or an unknown layout is the answer, not "ingested before with other
                # options": the first batch is read before earlier runs are compared.
                ready = _first_read(ready)
            with session.transaction() as con:
                undo = [] if earlier else runs.check_earlier_runs(con, path, file_hash, source, options,
                                                                   replace=replace_earlier, force=force)
                for old in undo:   # in the run's first transaction: replaced and started together
                    removed = writer.undo_run(con, old["run_id"], actor=actor or runs.current_user(), now=utc_now(),
                                              detail=f"replaced by run {run.run_id[:8]} (ingest --replace)")
                    result.replaced.append({"run_id": old["run_id"], "removed": removed})
                writer.start_run(con, run, utc_now(), status="skipped" if earlier else "running",
                                 message=f"already ingested in run {earlier}" if earlier else None)
            result.run_id = run.run_id
            if earlier:
                result.status = "skipped"
                result.message = f"already ingested in run {earlier}; nothing to do (--force re-reads it)"
                return result
            _consume(session, ready, ctx, fmt, run, result, meter)
        finally:
            ready.close()
            ctx.scratch.close()
            result.seconds = time.monotonic() - started
    result.status = "complete"
    if result.rows_read >= 20 and result.rows_quarantined > result.rows_read / 2:
        result.message = ("most rows were quarantined: check the column mapping (--map), --tz and "
                          "--date-order, then see `defectradar quarantine list`")
    return result


class _first_read:
    """The batches of ``ready`` with the first one read now: an :class:`InputError` there (a
    column --map names that the file lacks, a layout no reader knows) is raised at once, before
    the run is recorded; any other failure waits for the run to record it."""

    def __init__(self, ready: prefetch):
        self._ready, self._items = ready, iter(ready)
        self._head: list = []
        self._error: BaseException | None = None
        try:
            self._head.append(next(self._items))
        except StopIteration:
            pass
        except InputError:
            raise
        except BaseException as exc:  # noqa: BLE001 - re-raised while the run is consumed
            self._error = exc

    def __iter__(self):
        yield from self._head
        if self._error is not None:
            raise self._error
        yield from self._items

    def close(self) -> None:
        self._ready.close()


def _digest_into(path: Path, future: Future) -> None:
    try:
        future.set_result(file_digest(path))
    except BaseException as exc:  # noqa: BLE001 - re-raised by the waiting thread
        future.set_exception(exc)


class _Meter:
    """One progress display fed from two threads: bytes as the reader consumes them (before a
    batch is complete; a file under ``batch_rows`` rows is one batch) and rows as they are
    written.  Bytes never go backwards (a reader that starts over, such as the careful CSV
    reader, is only heard once it passes the furthest point)."""

    def __init__(self, progress: Progress | None, label: str, size: int):
        self.progress, self.label, self.size = progress, label, size
        self._lock = threading.Lock()
        self._bytes = 0
        self._rows: int | None = None

    def start(self) -> None:
        if self.progress:
            self.progress.start(self.label, self.size)

    def read(self, done: int) -> None:
        with self._lock:
            if done <= self._bytes:
                return
            self._bytes = min(done, self.size)
            self.progress.update(self._bytes, self._rows)

    def written(self, done: int, rows: int) -> None:
        if not self.progress:
            return
        with self._lock:
            self._bytes, self._rows = max(self._bytes, min(done, self.size)), rows
            self.progress.update(self._bytes, rows)

    def finish(self) -> None:
        if self.progress:
            self.progress.finish()


def _shaped(batches: Iterator[RawBatch], value_maps: ValueMaps, path: Path) -> Iterator[RawBatch]:
    """Batches with the file's words mapped to ours (``--value-map``) and brand + model joined
    into the product name; a value map for a field the file lacks is refused."""
    checked = False
    for batch in batches:
        if value_maps and not checked and not batch.embedded:
            value_maps.check_fields(batch.table.column_names, path.name)
            checked = True
        table = value_maps.apply(batch.table) if value_maps else batch.table
        yield replace(batch, table=brand_and_model(table))


def _consume(session, ready, ctx: IngestContext, fmt, run: writer.RunRecord, result: IngestResult,
             meter: _Meter) -> None:
    """Write each normalised batch in its own transaction; mark the run complete or failed."""
    meter.start()
    try:
        for batch, normalised in ready:
            with session.transaction() as con:
                _write_batch(con, ctx, fmt, run, batch, normalised, result)
            meter.written(batch.bytes_done, result.rows_inserted + result.rows_duplicate)
        with session.transaction() as con:
            writer.finish_run(con, run.run_id, "complete", utc_now())
    except BaseException as exc:
        result.status = "failed"
        result.message = str(exc) if isinstance(exc, DefectRadarError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, KeyboardInterrupt):
            result.message = "interrupted"
        with session.transaction() as con:
            writer.finish_run(con, run.run_id, "failed", utc_now(), result.message)
        raise
    finally:
        meter.finish()


_DONE = object()


class prefetch:
    """Read batches in one thread and normalise them in a small pool while the caller writes.

    Parsing, normalising and DuckDB writes are mostly native code that releases the GIL, so
    they overlap on several cores.  Results come back in file order; at most ``depth`` batches
    are in flight, which bounds memory.  The work starts at once; :meth:`close` stops it.
    """

    def __init__(self, batches: Iterator[RawBatch], work: Callable[[RawBatch], Normalised],
                 workers: int | None = None, depth: int = 2):
        # One core reads and writes; normalisers get half of the rest (measured: on 2 cores a
        # second normaliser only adds contention).
        workers = workers or max(1, min(4, (os.cpu_count() or 2) // 2))
        self._batches = batches
        self._work = work
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest-normalise")
        self._queue: Queue = Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="ingest-reader", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            for batch in self._batches:
                if not self._put((batch, self._pool.submit(self._work, batch))):
                    return
            self._put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            self._put(exc)
        finally:
            close = getattr(self._batches, "close", None)
            if close:
                close()

    def __iter__(self) -> Iterator[tuple[RawBatch, Normalised]]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            batch, future = item
            yield batch, future.result()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._pool.shutdown(wait=True, cancel_futures=True)


def _write_batch(con, ctx: IngestContext, fmt, run: writer.RunRecord, batch: RawBatch,
                 normalised: Normalised, result: IngestResult) -> None:
    primary = {"reports": "reports", "service_events": "service_events", "sales": "sales", "recalls": "recalls",
               "announcements": "announcements"}[fmt.target]
    tables = {name: scrub_free_columns(rows, ctx.pseudonymiser) for name, rows in normalised.tables.items()}
    if batch.embedded:
        # Originals found inside reposts: stored when new, never rows of the file, and one we
        # cannot use is left out (the repost still names it), so nothing is quarantined.
        added = writer.append(con, "reports", tables["reports"])
        writer.add_originals(con, run.run_id, added)
        result.originals_added += added
        return
    offered = tables[primary].num_rows if primary in tables else 0
    if offered + len(normalised.rejections) + batch.merged != batch.rows_read:
        raise IngestAccountingError(
            f"{run.path}: a batch of {batch.rows_read:,} rows came out as {offered:,} rows to store, "
            f"{len(normalised.rejections):,} refused and {batch.merged:,} merged into others; rows would be "
            "lost, so the run is stopped (please report it)")
    quarantine = writer.quarantine_rows(normalised.rejections, run_id=run.run_id, source_type=fmt.name,
                                        path=run.path, file_hash=run.file_hash, now=ctx.now)
    inserted = 0
    # A stored report these rows add components to (a complaint's rows in a later file) takes them
    # in: the rows are merged, not duplicates.
    merged = writer.merge_into_stored_reports(con, tables[primary]) if fmt.merges_rows and primary in tables else 0
    for table_name, rows in tables.items():
        count = writer.append(con, table_name, rows)
        if table_name == primary:
            inserted = count
    writer.append(con, "quarantine", quarantine)
    duplicate = offered - inserted - merged
    writer.add_counts(con, run.run_id, batch.rows_read, inserted, duplicate, len(normalised.rejections),
                      batch.merged + merged)
    result.rows_read += batch.rows_read
    result.rows_inserted += inserted
    result.rows_duplicate += duplicate
    result.rows_quarantined += len(normalised.rejections)
    result.rows_merged += batch.merged + merged


__all__ = ["IngestResult", "ingest_file"]
