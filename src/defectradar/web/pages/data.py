"""Data: ingest runs, quarantined rows with their reasons, and uploading a file to ingest
(analyst role), its progress polled by htmx."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from defectradar.accounts import Account
from defectradar.api.common import read
from defectradar.api.jobs import upload_chunks
from defectradar.api.security import requirement
from defectradar.errors import DefectRadarError
from defectradar.ingest.formats import FORMATS
from defectradar.ingest.runs import list_runs
from defectradar.query.stats import quarantined_rows
from defectradar.web.pages.common import is_htmx, see_other
from defectradar.web.rendering import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, job=None, message: str | None = None, status_code: int = 200):
    runs = list_runs(request.app.state.store, 30) if request.app.state.store.exists() else []
    quarantine = read(request, quarantined_rows, None, 100)
    return render(request, "data.html", {"runs": runs, "quarantine": quarantine, "formats": sorted(FORMATS),
                                         "job": job, "message": message,
                                         "jobs": [j.to_dict() for j in request.app.state.jobs.recent(10)]},
                  status_code=status_code)


@router.get("/data")
def data_page(request: Request, job: str | None = None, _: Account = Depends(requirement("viewer"))):
    shown = None
    if job:
        try:
            shown = request.app.state.jobs.get(job).to_dict()
        except DefectRadarError:
            shown = None
    return _page(request, shown)


@router.post("/data/upload")
def upload(request: Request, file: UploadFile = File(...), source_type: str = Form("auto", max_length=64),
           account: Account = Depends(requirement("analyst"))):
    try:
        job = request.app.state.jobs.submit(file.filename or "upload", upload_chunks(file), source_type=source_type,
                                            actor=account.name)
    except DefectRadarError as exc:
        if is_htmx(request):
            return render(request, "fragments/job.html", {"job": None, "message": str(exc)})
        return _page(request, None, str(exc), status_code=getattr(exc, "http_status", 422))
    if is_htmx(request):
        return render(request, "fragments/job.html", {"job": job.to_dict()})
    return see_other(f"/data?job={job.job_id}")


@router.get("/data/jobs/{job_id}")
def job_progress(request: Request, job_id: str, _: Account = Depends(requirement("viewer"))):
    job = request.app.state.jobs.get(job_id)
    return render(request, "fragments/job.html", {"job": job.to_dict()})
