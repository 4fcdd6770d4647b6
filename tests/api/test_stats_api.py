"""Store statistics over the API."""

from __future__ import annotations


def test_stats_count_the_demo(demo_site):
    response = demo_site.api("viewer").get("/api/v1/stats", params={"runs": 2})
    assert response.status_code == 200 and response.headers["etag"]
    body = response.json()
    assert body["tables"]["reports"] > 0 and body["by_source"]["reports"]["weibo"] > 0
    assert len(body["runs"]) == 2 and body["quarantined"] >= 1
    assert demo_site.api("viewer").get("/api/v1/stats", params={"runs": -1}).json()["error"]["field"] == "runs"


def test_stats_of_an_empty_store(empty_site):
    body = empty_site.api("viewer").get("/api/v1/stats").json()
    assert body["tables"]["reports"] == 0 and body["runs"] == []
    assert empty_site.api(None).get("/api/v1/stats").status_code == 401
