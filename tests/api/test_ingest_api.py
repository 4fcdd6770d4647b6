"""Ingest over the API: upload by role, follow the job, then see the run and the quarantine."""

from __future__ import annotations


def _weibo_lines(demo_site, n: int = 30) -> bytes:
    lines = (demo_site.world / "weibo.jsonl").read_bytes().splitlines(keepends=True)
    return b"".join(lines[:n])


def test_analyst_uploads_and_the_run_is_listed(demo_site, empty_site):
    data = _weibo_lines(demo_site)
    assert empty_site.api(None).post("/api/v1/ingest", files={"file": ("weibo.jsonl", data)}).status_code == 401
    refused = empty_site.api("viewer").post("/api/v1/ingest", files={"file": ("weibo.jsonl", data)})
    assert refused.status_code == 403
    client = empty_site.api("analyst")
    response = client.post("/api/v1/ingest", files={"file": ("weibo.jsonl", data)}, data={"source_type": "weibo"})
    assert response.status_code == 202
    job = response.json()
    assert job["file_name"] == "weibo.jsonl" and job["actor"] == "analyst"
    assert response.headers["location"].endswith(job["job_id"])
    empty_site.app.state.jobs.wait(job["job_id"])
    done = client.get(f"/api/v1/ingest/jobs/{job['job_id']}").json()
    assert done["status"] == "complete" and done["run_id"] and done["result"]["rows_inserted"] == 30
    assert [j["job_id"] for j in client.get("/api/v1/ingest/jobs").json()["items"]] == [job["job_id"]]
    runs = client.get("/api/v1/ingest/runs").json()["items"]
    assert [r["run_id"] for r in runs] == [done["run_id"]]
    assert len(client.get("/api/v1/reports", params={"limit": 100}).json()["items"]) == 30


def test_upload_rejects_bad_type_and_empty_file(empty_site):
    client = empty_site.api("analyst")
    bad = client.post("/api/v1/ingest", files={"file": ("x.csv", b"a,b\n1,2\n")}, data={"source_type": "telex"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "source_type"
    empty = client.post("/api/v1/ingest", files={"file": ("x.csv", b"")})
    assert empty.status_code == 400 and empty.json()["error"]["field"] == "file"
    missing = client.post("/api/v1/ingest", data={"source_type": "auto"})
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "file"


def test_unknown_job_is_404(demo_site):
    response = demo_site.api("viewer").get("/api/v1/ingest/jobs/feedface")
    assert response.status_code == 404 and response.json()["error"]["field"] == "job_id"


def test_runs_and_quarantine_of_the_demo(demo_site):
    client = demo_site.api("viewer")
    runs = client.get("/api/v1/ingest/runs").json()["items"]
    assert {r["source_type"] for r in runs} >= {"weibo"} and all(r["status"] == "complete" for r in runs)
    quarantined = client.get("/api/v1/ingest/quarantine").json()["items"]
    assert quarantined and quarantined[0]["reason"]
    one_run = client.get("/api/v1/ingest/quarantine", params={"run": quarantined[0]["ingest_run"][:8]}).json()
    assert one_run["items"] and all(r["ingest_run"] == quarantined[0]["ingest_run"] for r in one_run["items"])


def test_empty_store_has_no_runs(empty_site):
    client = empty_site.api("viewer")
    assert client.get("/api/v1/ingest/runs").json() == {"items": [], "next_cursor": None}
    assert client.get("/api/v1/ingest/quarantine").json() == {"items": [], "next_cursor": None}


def test_an_upload_with_unknown_columns_takes_a_mapping(empty_site):
    """As ``ingest --map``: an Open Repair-like file names its text 'problem'.  Without a mapping the
    job fails with a message naming the file as uploaded (not the server's copy); with one it loads."""
    data = ("id,problem,event_date,brand\n"
            + "".join(f"{i},Screen cracked and wifi drops {i},2022-05-{i:02d},Xiaomi\n" for i in range(1, 11))).encode()
    client = empty_site.api("analyst")
    plain = client.post("/api/v1/ingest", files={"file": ("repairs.csv", data)}).json()
    failed = empty_site.app.state.jobs.wait(plain["job_id"]).to_dict()
    assert failed["status"] == "failed" and "no column for text" in failed["message"]
    assert "repairs.csv" in failed["message"] and ".uploads" not in failed["message"]
    mapped = client.post("/api/v1/ingest", files={"file": ("repairs.csv", data)},
                         data={"map": ["text=problem", "created_at=event_date"]}).json()
    done = empty_site.app.state.jobs.wait(mapped["job_id"]).to_dict()
    assert done["status"] == "complete" and done["result"]["rows_inserted"] == 10
    bad = client.post("/api/v1/ingest", files={"file": ("repairs.csv", data)}, data={"map": ["text"]})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "map"
