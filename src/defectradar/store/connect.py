"""Opening the store safely from several processes.

DuckDB lets one process hold a database file for writing, or several hold it read-only,
never both.  defectradar therefore never keeps the file open longer than one unit of work:

* a **reader** (``stats``, the web server, an analysis) opens the file read-only for one
  query burst and closes it;
* a **writer** (``ingest``) keeps its connection across batch transactions, but after each
  commit looks for waiting readers: a reader that finds the file held leaves a marker in
  ``<db>.waiting/`` and the writer, seeing it, closes the file until the reader is in;
* whoever finds the file held retries with back-off for up to ``lock_timeout`` seconds, then
  fails with :class:`~defectradar.errors.StoreBusyError` naming the holder.

Writers additionally take an advisory lock on ``<db>.lock`` for a whole ingest run, so two
ingests never interleave batches (readers ignore it).  This keeps one writer at a time, as
ARCHITECTURE.md asks, without a server process.

Every connection first makes sure the path is a store or nothing yet (:meth:`Store.check_path`):
DuckDB 2 opens a CSV file as an in-memory database, so without the check ``--db data.csv``
"stored" an ingest in memory and reported success.  A folder, a device, a file that is not a
DuckDB database, or a DuckDB database with tables but no defectradar schema is refused before
anything is written, with one line naming it.
"""

from __future__ import annotations

import fcntl
import os
import random
import re
import stat
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from defectradar.config import Settings
from defectradar.errors import StoreBusyError, StoreError, StoreMissingError, UnreadableFileError
from defectradar.store import migrate

_LOCK_CONFLICT = re.compile(r"Could not set lock|Conflicting lock|database is locked", re.I)
_HOLDER_PID = re.compile(r"PID (\d+)")
#: Bytes 8-11 of every DuckDB database file (after an 8-byte checksum of the header).
DUCKDB_MAGIC = b"DUCK"
_MAGIC_AT = 8
_NOT_A_STORE_FIX = "point --db (or DEFECTRADAR_DB) at a defectradar store, or at a new file name to create one"
# Connections this process holds, per file (device, inode).  DuckDB locks its file with POSIX
# record locks, which the kernel drops for the whole process when *any* descriptor of that file
# is closed; so the header is read only while this process holds no connection to the file
# (one it holds was checked before it opened), and never while one is being opened.
_HELD: Counter[tuple[int, int]] = Counter()
_HELD_LOCK = threading.Lock()


def _describe_holder(message: str) -> str:
    match = _HOLDER_PID.search(message)
    return f"process {match.group(1)}" if match else "another process"


class Store:
    """A defectradar store: one DuckDB file plus its advisory lock file.

    Parameters
    ----------
    path
        The DuckDB file (created on first write).
    settings
        Validated settings; ``lock_timeout`` and ``memory_limit`` are used here.

    Examples
    --------
    >>> store = Store("defectradar.duckdb", load_settings())      # doctest: +SKIP
    >>> with store.reader() as con:                                # doctest: +SKIP
    ...     con.execute("SELECT count(*) FROM reports").fetchone()
    """

    def __init__(self, path: str | os.PathLike[str], settings: Settings) -> None:
        self.path = Path(path)
        self.settings = settings
        self._migrated = False
        self._held: dict[int, tuple[int, int]] = {}     # id(connection) -> its file, while open

    # -- connections -------------------------------------------------------------------
    @property
    def _waiting_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".waiting")

    # -- is it a store? -----------------------------------------------------------------------
    def check_path(self) -> bool:
        """Refuse a path that is not a store; True when a file is there (False: a new store, or empty).

        Reads at most the first 12 bytes, and only while this process holds no connection to the
        file (see ``_HELD``); never writes.  An empty (0-byte) file, as ``mktemp`` leaves,
        counts as no store yet.
        """
        path = self.path
        try:
            info = path.stat()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StoreError(f"cannot open store {path}: {exc.strerror or exc}") from None
        if stat.S_ISDIR(info.st_mode):
            raise UnreadableFileError(f"--db {path} is a folder, not a store file; point --db (or DEFECTRADAR_DB) "
                                      f"at a file in it, such as {path / 'defectradar.duckdb'}")
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFileError(f"--db {path} is not a regular file (a device or a pipe); {_NOT_A_STORE_FIX}")
        if info.st_size == 0:
            return False
        with _HELD_LOCK:
            if not _HELD[(info.st_dev, info.st_ino)]:
                try:
                    with open(path, "rb") as handle:
                        head = handle.read(_MAGIC_AT + len(DUCKDB_MAGIC))
                except OSError as exc:
                    raise StoreError(f"cannot open store {path}: {exc.strerror or exc}") from None
                if head[_MAGIC_AT:] != DUCKDB_MAGIC:
                    raise UnreadableFileError(f"--db {path} is not a defectradar store (not a DuckDB database; left "
                                              f"as it is); {_NOT_A_STORE_FIX}")
        return True

    def _open(self, read_only: bool, config: dict) -> duckdb.DuckDBPyConnection:
        """``duckdb.connect``, counted in ``_HELD`` until :meth:`_close` (so no header read unlocks it)."""
        with _HELD_LOCK:
            con = duckdb.connect(str(self.path), read_only=read_only, config=config)
            try:
                info = self.path.stat()
            except OSError:
                return con
            self._held[id(con)] = (info.st_dev, info.st_ino)
            _HELD[(info.st_dev, info.st_ino)] += 1
            return con

    def _close(self, con: duckdb.DuckDBPyConnection) -> None:
        try:
            con.close()            # may checkpoint for a while: outside the lock, still counted as held
        finally:
            key = self._held.pop(id(con), None)
            if key is not None:
                with _HELD_LOCK:
                    _HELD[key] -= 1
                    if not _HELD[key]:
                        del _HELD[key]

    def _refuse_foreign(self, con: duckdb.DuckDBPyConnection) -> None:
        """Refuse a DuckDB database that holds tables but no defectradar schema (someone else's)."""
        names = [row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
            "ORDER BY table_name").fetchall()]
        if names and "schema_migrations" not in names:
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            raise UnreadableFileError(f"--db {self.path} is a DuckDB database but not a defectradar store (it holds "
                                      f"{shown}, and no schema_migrations; left as it is); {_NOT_A_STORE_FIX}")

    def _start_in_empty_file(self) -> None:
        """DuckDB will not start a database in an existing empty file: remove it first.

        Only while no process holds it (DuckDB locks the file it opens), so a store another
        process is creating this instant is never removed under it.
        """
        try:
            with open(self.path, "rb+") as handle:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if os.fstat(handle.fileno()).st_size == 0:
                    self.path.unlink()
        except (BlockingIOError, FileNotFoundError):
            pass
        except OSError as exc:
            raise StoreError(f"cannot create store {self.path}: {exc.strerror or exc}") from None

    def _prepare_to_write(self) -> None:
        """Check the path and make its folder, before a writer touches anything."""
        if not self.check_path() and self.path.exists():
            self._start_in_empty_file()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create store {self.path}: {exc.strerror or exc}; point --db at a folder "
                             "you can write to") from None

    def _connect(self, read_only: bool, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
        if read_only:
            self.check_path()
        else:
            self._prepare_to_write()
        deadline = time.monotonic() + self.settings.lock_timeout
        delay = 0.005
        config = {"memory_limit": memory_limit or self.settings.memory_limit}
        marker: Path | None = None
        try:
            while True:
                try:
                    return self._open(read_only, config)
                except duckdb.IOException as exc:
                    message = str(exc)
                    if not _LOCK_CONFLICT.search(message):
                        raise StoreError(f"cannot open store {self.path}: {message}") from None
                    if time.monotonic() >= deadline:
                        raise StoreBusyError(
                            f"store {self.path} is busy: {_describe_holder(message)} has held it for "
                            f"over {self.settings.lock_timeout:g} s; try again later or raise "
                            "DEFECTRADAR_LOCK_TIMEOUT"
                        ) from None
                except duckdb.Error as exc:
                    raise StoreError(f"cannot open store {self.path}: {exc}") from None
                if marker is None and read_only:
                    marker = self._announce_waiting()
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.1)
        finally:
            if marker is not None:
                marker.unlink(missing_ok=True)

    def _announce_waiting(self) -> Path | None:
        """Leave a marker so a writer between transactions lets this reader in."""
        try:
            self._waiting_dir.mkdir(exist_ok=True)
            marker = self._waiting_dir / f"{os.getpid()}-{threading.get_ident()}"
            marker.touch()
            return marker
        except OSError:
            return None  # read-only folder: fall back to plain retrying

    def readers_waiting(self) -> bool:
        """True while a live reader process is waiting for the file (stale markers are removed)."""
        try:
            entries = list(self._waiting_dir.iterdir())
        except OSError:
            return False
        live = False
        for entry in entries:
            try:
                os.kill(int(entry.name.split("-", 1)[0]), 0)
                live = True
            except (ValueError, ProcessLookupError):
                entry.unlink(missing_ok=True)
            except PermissionError:
                live = True
        return live

    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for a short burst of queries."""
        if not self.check_path():
            raise StoreMissingError(
                f"no store at {self.path}; create one with `defectradar ingest FILE` or "
                "`defectradar demo`, or point --db / DEFECTRADAR_DB at an existing store"
            )
        con = self._connect(read_only=True)
        try:
            version = migrate.check_version(con, str(self.path))
            if version == 0:
                self._refuse_foreign(con)
            if version < migrate.latest_version():
                raise StoreError(
                    f"store {self.path} has schema version {version}, this release needs "
                    f"{migrate.latest_version()}; run `defectradar migrate` to upgrade it"
                )
            yield con
        finally:
            self._close(con)

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection for one transaction; commits on success, rolls back on error."""
        with self.write_session(memory_limit=self.settings.memory_limit) as session:
            with session.transaction() as con:
                yield con

    @contextmanager
    def write_session(self, memory_limit: str | None = None) -> Iterator["WriteSession"]:
        """One connection for many short transactions (an ingest run), yielding to readers.

        ``memory_limit`` defaults to ``ingest_memory_limit``: appends need little memory.
        """
        session = WriteSession(self, memory_limit or self.settings.ingest_memory_limit)
        try:
            yield session
        finally:
            session.close()

    def migrate(self) -> list[int]:
        """Create the store or bring its schema up to date; return versions applied."""
        con = self._connect(read_only=False)
        try:
            self._refuse_foreign(con)
            applied = migrate.upgrade(con, str(self.path))
            self._migrated = True
            return applied
        finally:
            self._close(con)

    # -- one writer at a time --------------------------------------------------------------
    @contextmanager
    def exclusive_writer(self, on_wait=None) -> Iterator[None]:
        """Hold the advisory writer lock for a whole multi-transaction job (an ingest run)."""
        self._prepare_to_write()
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            handle = open(lock_path, "a+")
        except OSError as exc:
            raise StoreError(f"cannot create store {self.path}: {exc.strerror or exc} ({lock_path}); point --db at "
                             "a folder you can write to") from None
        deadline = time.monotonic() + self.settings.lock_timeout
        warned = False
        try:
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    if time.monotonic() >= deadline:
                        raise StoreBusyError(
                            f"store {self.path} is being written by {holder}; waited "
                            f"{self.settings.lock_timeout:g} s. Try again when it finishes or raise "
                            "DEFECTRADAR_LOCK_TIMEOUT"
                        ) from None
                    if on_wait and not warned:
                        on_wait(holder)
                        warned = True
                    time.sleep(0.2)
            handle.seek(0)
            handle.truncate()
            handle.write(f"process {os.getpid()}")
            handle.flush()
            yield
        finally:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            finally:
                handle.close()


class WriteSession:
    """A writer's connection kept across transactions; closed whenever a reader is waiting.

    Keeping the file open avoids a checkpoint per batch (it roughly halves bulk ingest time);
    checking for waiting readers after each commit keeps ``stats`` and the dashboard
    responsive during long ingests.
    """

    #: How long the writer stays away once it has let a reader in, at most.
    YIELD_SECONDS = 2.0

    def __init__(self, store: Store, memory_limit: str) -> None:
        self.store = store
        self.memory_limit = memory_limit
        self._con: duckdb.DuckDBPyConnection | None = None

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._con is None:
            self._con = self.store._connect(read_only=False, memory_limit=self.memory_limit)
            if not self.store._migrated:
                try:
                    self.store._refuse_foreign(self._con)
                except BaseException:
                    self.close()
                    raise
                migrate.upgrade(self._con, str(self.store.path))
                self.store._migrated = True
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        if self.store.readers_waiting():
            self._yield_to_readers()

    def _yield_to_readers(self) -> None:
        self.close()
        deadline = time.monotonic() + self.YIELD_SECONDS
        while self.store.readers_waiting() and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        if self._con is not None:
            self.store._close(self._con)
            self._con = None
