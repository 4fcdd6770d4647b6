"""Writes from the dashboard: alert lifecycle actions and relabels need the analyst role and the
form's CSRF token; an analyst's action changes the store; an upload is ingested with progress."""

from __future__ import annotations

import re

import pytest

from defectradar.analyses.alerts import list_alerts, show_alert


def _new_alert(site) -> str:
    with site.store.reader() as con:
        return [a for a in list_alerts(con, None, 100) if a["status"] == "new"][0]["alert_id"]


def _report(site, offset: int = 0) -> str:
    with site.store.reader() as con:
        return con.execute("SELECT report_id FROM reports_labelled ORDER BY report_id LIMIT 1 OFFSET ?",
                           [offset]).fetchone()[0]


def _status(site, alert: str) -> str:
    with site.store.reader() as con:
        return show_alert(con, alert)["status"]


def test_viewer_cannot_act_on_an_alert(demo_site):
    alert = _new_alert(demo_site)
    viewer = demo_site.browser("viewer")
    response = viewer.post(f"/alerts/{alert}/action", data={"action": "acknowledge", "csrf_token": viewer.csrf})
    assert response.status_code == 403
    assert _status(demo_site, alert) == "new"


def test_action_without_csrf_token_is_refused(demo_site):
    alert = _new_alert(demo_site)
    analyst = demo_site.browser("analyst")
    assert analyst.post(f"/alerts/{alert}/action", data={"action": "acknowledge"}).status_code == 403
    assert analyst.post(f"/alerts/{alert}/action",
                        data={"action": "acknowledge", "csrf_token": "forged"}).status_code == 403
    assert _status(demo_site, alert) == "new"


def test_analyst_moves_an_alert_through_its_lifecycle(demo_site):
    alert = _new_alert(demo_site)
    analyst = demo_site.browser("analyst")
    page = analyst.get(f"/alerts/{alert}")
    assert f'hx-post="/alerts/{alert}/action"' in page.text and 'name="csrf_token"' in page.text
    plain = analyst.post(f"/alerts/{alert}/action", data={"action": "acknowledge", "csrf_token": analyst.csrf},
                         follow_redirects=False)
    assert plain.status_code == 303 and _status(demo_site, alert) == "acknowledged"
    fragment = analyst.post(f"/alerts/{alert}/action", headers={"HX-Request": "true"},
                            data={"action": "investigate", "csrf_token": analyst.csrf})
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<section class="card" id="lifecycle">')
    assert _status(demo_site, alert) == "investigating"
    no_reason = analyst.post(f"/alerts/{alert}/action", headers={"HX-Request": "true"},
                             data={"action": "close", "csrf_token": analyst.csrf})
    assert "message bad" in no_reason.text and _status(demo_site, alert) == "investigating"
    closed = analyst.post(f"/alerts/{alert}/action", headers={"X-CSRF-Token": analyst.csrf, "HX-Request": "true"},
                          data={"action": "close", "reason": "known <b>issue</b>"})
    assert closed.status_code == 200 and _status(demo_site, alert) == "closed"
    assert "known &lt;b&gt;issue&lt;/b&gt;" in closed.text
    reopened = analyst.post(f"/alerts/{alert}/action", data={"action": "reopen", "csrf_token": analyst.csrf})
    assert reopened.status_code == 200 and _status(demo_site, alert) == "new"


def test_viewer_cannot_relabel(demo_site):
    report = _report(demo_site)
    viewer = demo_site.browser("viewer")
    response = viewer.post(f"/reports/{report}/label", data={"failure_modes": ["battery"], "modes_shown": "1",
                                                             "csrf_token": viewer.csrf})
    assert response.status_code == 403


def test_relabel_without_csrf_token_is_refused(demo_site):
    report = _report(demo_site)
    analyst = demo_site.browser("analyst")
    response = analyst.post(f"/reports/{report}/label", data={"failure_modes": ["battery"], "modes_shown": "1"})
    assert response.status_code == 403


def test_analyst_relabels_a_report(demo_site):
    report = _report(demo_site, 3)
    analyst = demo_site.browser("analyst")
    assert f'hx-post="/reports/{report}/label"' in analyst.get(f"/reports/{report}").text
    response = analyst.post(f"/reports/{report}/label", headers={"HX-Request": "true"},
                            data={"failure_modes": ["battery", "display"], "modes_shown": "1",
                                  "reason": "reads as a battery fault", "csrf_token": analyst.csrf})
    assert response.status_code == 200 and "message good" in response.text
    with demo_site.store.reader() as con:
        modes = con.execute("SELECT failure_modes, label_source FROM reports_labelled WHERE report_id = ?",
                            [report]).fetchone()
        events = con.execute("SELECT analyst, reason FROM label_events WHERE report_id = ?", [report]).fetchall()
    assert sorted(modes[0]) == ["battery", "display"] and modes[1] == "analyst"
    assert ("analyst", "reads as a battery fault") in events
    unknown = analyst.post(f"/reports/{report}/label", headers={"HX-Request": "true"},
                           data={"failure_modes": ["not-a-mode"], "modes_shown": "1", "csrf_token": analyst.csrf})
    assert "message bad" in unknown.text


CSV = ("source_id,created_at,product,text\n"
       "u1,2022-05-01 10:00:00,Xiaomi 11,wifi keeps dropping after the update\n"
       "u2,2022-05-02 11:00:00,Xiaomi 11,screen flickers\n")


def test_viewer_cannot_upload(empty_site):
    viewer = empty_site.browser("viewer")
    response = viewer.post("/data/upload", data={"csrf_token": viewer.csrf, "source_type": "auto"},
                           files={"file": ("complaints.csv", CSV.encode(), "text/csv")})
    assert response.status_code == 403


def test_upload_without_csrf_token_is_refused(empty_site):
    analyst = empty_site.browser("analyst")
    response = analyst.post("/data/upload", data={"source_type": "auto"},
                            files={"file": ("complaints.csv", CSV.encode(), "text/csv")})
    assert response.status_code == 403


def test_analyst_uploads_a_file_and_follows_its_progress(empty_site):
    analyst = empty_site.browser("analyst")
    assert 'action="/data/upload"' in analyst.get("/data").text
    response = analyst.post("/data/upload", headers={"HX-Request": "true"},
                            data={"csrf_token": analyst.csrf, "source_type": "csv"},
                            files={"file": ("complaints.csv", CSV.encode(), "text/csv")})
    assert response.status_code == 200
    job_id = re.search(r'hx-get="/data/jobs/([0-9a-f]+)"', response.text).group(1)
    job = empty_site.app.state.jobs.wait(job_id, timeout=120)
    assert job.status == "complete", job.message
    fragment = analyst.get(f"/data/jobs/{job_id}")
    assert fragment.status_code == 200 and "complete" in fragment.text and "hx-get" not in fragment.text
    page = analyst.get("/data")
    assert "complaints.csv" in page.text and 'id="runs-table"' in page.text
    assert "wifi keeps dropping" in analyst.get("/reports").text


@pytest.mark.parametrize("content", [b""])
def test_empty_upload_is_explained(empty_site, content):
    analyst = empty_site.browser("analyst")
    response = analyst.post("/data/upload", data={"csrf_token": analyst.csrf, "source_type": "auto"},
                            files={"file": ("empty.csv", content, "text/csv")})
    assert response.status_code == 400 and "empty" in response.text
