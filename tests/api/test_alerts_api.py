"""Alerts over the API: ranked list in pages, one alert with its reports, transitions by role."""

from __future__ import annotations


def test_alert_list_pages_and_detail(demo_site):
    client = demo_site.api("viewer")
    first = client.get("/api/v1/alerts", params={"limit": 2})
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"items", "next_cursor"} and len(body["items"]) == 2 and body["next_cursor"]
    second = client.get("/api/v1/alerts", params={"limit": 2, "cursor": body["next_cursor"]}).json()
    assert {a["alert_id"] for a in second["items"]}.isdisjoint(a["alert_id"] for a in body["items"])
    alert = body["items"][0]["alert_id"]
    detail = client.get(f"/api/v1/alerts/{alert}").json()
    assert detail["alert_id"] == alert and detail["events"] and isinstance(detail["reports"], list)


def test_alert_list_answers_304_to_its_etag(demo_site):
    client = demo_site.api("viewer")
    first = client.get("/api/v1/alerts")
    again = client.get("/api/v1/alerts", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content


def test_a_bad_cursor_names_the_field(demo_site):
    response = demo_site.api("viewer").get("/api/v1/alerts", params={"cursor": "not-ours"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "cursor"


def test_viewer_cannot_act_on_an_alert_and_analyst_can(demo_site):
    alert = demo_site.api("viewer").get("/api/v1/alerts", params={"status": "new", "limit": 1}).json()["items"][0]
    refused = demo_site.api("viewer").post(f"/api/v1/alerts/{alert['alert_id']}/transitions",
                                           json={"action": "acknowledge"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    done = demo_site.api("analyst").post(f"/api/v1/alerts/{alert['alert_id']}/transitions",
                                         json={"action": "acknowledge", "reason": "seen"})
    assert done.status_code == 200 and done.json()["to"] == "acknowledged" and done.json()["by"] == "analyst"


def test_no_key_is_401_and_a_wrong_key_too(demo_site):
    assert demo_site.api(None).get("/api/v1/alerts").status_code == 401
    client = demo_site.api(None)
    client.headers["Authorization"] = "Bearer dr_wrong"
    response = client.get("/api/v1/alerts")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_health_needs_no_key(empty_site):
    assert empty_site.api(None).get("/health").json()["status"] == "ok"
    assert empty_site.api(None).get("/api/v1/health").status_code == 200


def test_empty_store_lists_no_alerts(empty_site):
    assert empty_site.api("viewer").get("/api/v1/alerts").json() == {"items": [], "next_cursor": None}
