"""Uploads to ingest, run in the background with their progress visible to the API and the Data page.

An uploaded file is saved under ``<store>.uploads/`` (beside the store, never in it) and
ingested by :func:`defectradar.ingest.pipeline.ingest_file`, the same call as the CLI's, on
a worker thread; one upload ingests at a time (the store has one writer).  A job's progress
(bytes read of the file, rows so far) and its :class:`IngestResult` are kept in memory; the
run itself is recorded in the store as every ingest is, so ``runs list`` shows it too.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from defectradar.errors import DefectRadarError, InputError, NotFoundError
from defectradar.store.connect import Store

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
CHUNK = 1 << 20


def upload_chunks(upload):
    """The bytes of an uploaded file (FastAPI's ``UploadFile``), a megabyte at a time."""
    while True:
        chunk = upload.file.read(CHUNK)
        if not chunk:
            return
        yield chunk


@dataclass
class IngestJob:
    job_id: str
    file_name: str
    source_type: str
    actor: str
    mapping: dict = field(default_factory=dict)
    status: str = "queued"            # queued | running | complete | skipped | empty | failed
    total_bytes: int = 0
    done_bytes: int = 0
    rows: int = 0
    started: float = field(default_factory=time.time)
    finished: float | None = None
    result: dict | None = None
    message: str | None = None

    def to_dict(self) -> dict:
        share = (self.done_bytes / self.total_bytes) if self.total_bytes else (1.0 if self.finished else 0.0)
        return {"job_id": self.job_id, "file_name": self.file_name, "source_type": self.source_type,
                "actor": self.actor, "status": self.status, "progress": round(min(share, 1.0), 4),
                "rows": self.rows, "run_id": (self.result or {}).get("run_id"), "result": self.result,
                "message": self.message, "started": self.started, "finished": self.finished}


def _as_uploaded(message: str | None, path: Path, file_name: str) -> str | None:
    """A message naming the file as the user uploaded it, not as the server stored it."""
    return None if message is None else message.replace(str(path), file_name)


class _JobProgress:
    """The ingest's :class:`~defectradar.progress.Progress`, writing into the job."""

    def __init__(self, job: IngestJob) -> None:
        self.job = job

    def start(self, label: str, total: int) -> None:
        self.job.total_bytes = total

    def update(self, done: int, rows: int | None = None) -> None:
        self.job.done_bytes = done
        if rows is not None:
            self.job.rows = rows

    def finish(self) -> None:
        pass


class IngestJobs:
    """The server's ingest queue: one worker thread, jobs kept for the server's lifetime (last 200)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.folder = store.path.with_name(store.path.name + ".uploads")
        self._jobs: dict[str, IngestJob] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")

    def submit(self, file_name: str, chunks, *, source_type: str = "auto", actor: str,
               mapping: dict[str, str] | None = None) -> IngestJob:
        """Save the upload (an iterable of byte chunks) and queue its ingest; returns the job at once."""
        from defectradar.ingest.formats import FORMATS

        if source_type != "auto" and source_type not in FORMATS:
            exc = InputError(f"unknown type {source_type!r}; use auto or one of {', '.join(sorted(FORMATS))}")
            exc.field = "source_type"
            raise exc
        job = IngestJob(job_id=secrets.token_hex(8), file_name=Path(file_name or "upload").name,
                        source_type=source_type, actor=actor, mapping=dict(mapping or {}))
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{job.job_id}-{_SAFE_NAME.sub('_', job.file_name)[-120:]}"
        size = 0
        with open(target, "wb") as handle:
            for chunk in chunks:
                size += len(chunk)
                handle.write(chunk)
        if size == 0:
            target.unlink(missing_ok=True)
            exc = InputError(f"the uploaded file {job.file_name!r} is empty; choose a file with rows")
            exc.field = "file"
            raise exc
        job.total_bytes = size
        with self._lock:
            self._jobs[job.job_id] = job
            if len(self._jobs) > 200:
                for old in list(self._jobs)[:-200]:
                    del self._jobs[old]
        self._pool.submit(self._run, job, target)
        return job

    def _run(self, job: IngestJob, path: Path) -> None:
        from defectradar.ingest.pipeline import ingest_file

        job.status = "running"
        try:
            result = ingest_file(self.store, path, source_type=job.source_type, progress=_JobProgress(job),
                                 actor=job.actor, mapping=job.mapping or None)
            job.result = result.to_dict()
            job.result["path"] = job.file_name          # not the server's folder
            job.status, job.message = result.status, _as_uploaded(result.message, path, job.file_name)
        except DefectRadarError as exc:
            job.status, job.message = "failed", _as_uploaded(str(exc), path, job.file_name)
        except Exception as exc:  # noqa: BLE001 - a job must end with a status, whatever happened
            job.status, job.message = "failed", f"unexpected error: {type(exc).__name__}; it is logged"
            import logging

            logging.getLogger("defectradar.server").exception("ingest job %s failed", job.job_id)
        finally:
            job.finished = time.time()

    def get(self, job_id: str) -> IngestJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no upload job {job_id!r} on this server (jobs are kept until it restarts); "
                                "see GET /api/v1/ingest/runs for every run in the store")
        return job

    def recent(self, limit: int = 20) -> list[IngestJob]:
        with self._lock:
            return list(self._jobs.values())[-limit:][::-1]

    def wait(self, job_id: str, timeout: float = 60.0) -> IngestJob:
        """Block until a job ends (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        job = self.get(job_id)
        while job.finished is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return job
