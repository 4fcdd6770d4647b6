"""Ingest: upload a file to ingest in the background, follow its job, list runs and quarantined rows.

An upload answers 202 at once with its job; ``GET /ingest/jobs/{job_id}`` shows its progress
and, when it ends, the ingest's result (the same as ``defectradar ingest --json``).  The file
streams to disk in chunks (the body limit for uploads is ``max_upload_bytes``).
"""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from defectradar.accounts import Account
from defectradar.api.common import decode_cursor, json_with_etag, page, read
from defectradar.api.jobs import upload_chunks
from defectradar.api.security import requirement
from defectradar.core.numbers import json_ready
from defectradar.errors import InputError

router = APIRouter(prefix="/ingest", tags=["ingest"])


@router.post("", status_code=202, summary="Upload a file to ingest (analyst); answers at once with its job")
def ingest_upload(request: Request, file: UploadFile = File(..., description="CSV, JSON lines or Parquet."),
                  source_type: str = Form("auto", max_length=60, description="auto, or a format name "
                                          "(see docs/formats.md)."),
                  map: list[str] = Form([], description="field=column for a file whose column names are not "
                                        "recognised, as `ingest --map` (repeat), e.g. text=problem."),
                  account: Account = Depends(requirement("analyst"))):
    from defectradar.api.common import field_error
    from defectradar.ingest.fields import parse_mapping

    try:
        mapping = parse_mapping(map)
    except InputError as exc:
        raise field_error("map", str(exc).replace("--map", "map")) from None
    job = request.app.state.jobs.submit(file.filename or "upload", upload_chunks(file), source_type=source_type,
                                        actor=account.name, mapping=mapping)
    body = json_ready(job.to_dict())
    return JSONResponse(body, status_code=202, headers={"Location": f"/api/v1/ingest/jobs/{job.job_id}"})


@router.get("/jobs", summary="This server's recent upload jobs, newest first")
def ingest_jobs(request: Request, limit: int = Query(20, ge=1, le=200),
                _: Account = Depends(requirement("viewer"))) -> dict:
    jobs = request.app.state.jobs.recent(limit)
    return {"items": [json_ready(job.to_dict()) for job in jobs], "next_cursor": None}


@router.get("/jobs/{job_id}", summary="One upload job: status, progress, and the ingest's result when done")
def ingest_job(request: Request, job_id: str, _: Account = Depends(requirement("viewer"))) -> dict:
    from defectradar.api.params import not_found
    from defectradar.errors import NotFoundError

    try:
        job = request.app.state.jobs.get(job_id)
    except NotFoundError as exc:
        raise not_found("job_id", str(exc)) from None
    return json_ready(job.to_dict())


@router.get("/runs", summary="Ingest runs in the store, newest first (uploads and CLI ingests alike)")
def ingest_runs(request: Request, limit: int = Query(50, ge=1, le=500), cursor: Optional[str] = None,
                _: Account = Depends(requirement("viewer"))):
    from defectradar.ingest.runs import list_runs

    offset = decode_cursor(cursor)
    rows = list_runs(request.app.state.store, offset + limit + 1)
    return json_with_etag(request, page(rows[offset:], offset, limit))


@router.get("/quarantine", summary="Rows that could not be ingested: file, row, field and why")
def ingest_quarantine(request: Request,
                      run: Optional[str] = Query(None, max_length=64, description="Only this ingest run (id or "
                                                 "its start)."),
                      limit: int = Query(50, ge=1, le=1000), cursor: Optional[str] = None,
                      _: Account = Depends(requirement("viewer"))):
    from defectradar.query.stats import quarantined_rows

    offset = decode_cursor(cursor)
    rows = read(request, quarantined_rows, run, offset + limit + 1)
    return json_with_etag(request, page(rows[offset:], offset, limit))
