"""Signals over the API: the disproportionality table and one scored count series."""

from __future__ import annotations


def test_disproportionality_table_puts_signals_first(demo_site):
    client = demo_site.api("viewer")
    response = client.get("/api/v1/signals/disproportionality", params={"limit": 5})
    assert response.status_code == 200 and response.headers["etag"]
    body = response.json()
    assert {"items", "next_cursor", "hyperparameters", "as_of"} <= set(body)
    first = body["items"][0]
    assert first["signal"] and {"product", "event", "n", "prr", "ror", "eb05"} <= set(first)
    wifi = client.get("/api/v1/signals/disproportionality",
                      params={"product": "xiaomi-11", "mode": "wifi"}).json()["items"]
    assert [(p["product"], p["event"]) for p in wifi] == [("xiaomi-11", "wifi")] and wifi[0]["n"] > 0


def test_disproportionality_names_an_unknown_product(demo_site):
    response = demo_site.api("viewer").get("/api/v1/signals/disproportionality", params={"product": "mi-999"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "product"
    mode = demo_site.api("viewer").get("/api/v1/signals/series", params={"mode": "no-such-mode"})
    assert mode.status_code == 400 and mode.json()["error"]["field"] == "mode"
    bad = demo_site.api("viewer").get("/api/v1/signals/disproportionality", params={"count": "some"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "count"


def test_series_is_scored_by_the_scan_detector(demo_site):
    client = demo_site.api("viewer")
    body = client.get("/api/v1/signals/series", params={"product": "xiaomi-11", "mode": "wifi"}).json()
    assert body["method"] == "nb-excess" and body["freq"] == "week" and body["prior"]
    assert body["periods"] and any(p["alarm"] for p in body["periods"])
    assert sum(c["count"] for c in body["counts"]) > 0
    monthly = client.get("/api/v1/signals/series", params={"product": "xiaomi-11", "freq": "month",
                                                           "method": "ears-c1"}).json()
    assert monthly["method"] == "ears-c1" and all(p["period"].endswith("-01") for p in monthly["periods"])


def test_series_rejects_unknown_product_and_method(demo_site):
    client = demo_site.api("viewer")
    unknown = client.get("/api/v1/signals/series", params={"product": "mi-999"})
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "product"
    method = client.get("/api/v1/signals/series", params={"method": "magic"})
    assert method.status_code == 422 and method.json()["error"]["field"] == "method"
    budget = client.get("/api/v1/signals/series", params={"method": "cusum", "false_alarms_per_year": 1})
    assert budget.status_code == 400 and budget.json()["error"]["field"] == "false_alarms_per_year"


def test_signals_on_an_empty_store(empty_site):
    client = empty_site.api("viewer")
    table = client.get("/api/v1/signals/disproportionality").json()
    assert table["items"] == [] and table["next_cursor"] is None and table["note"]
    series = client.get("/api/v1/signals/series").json()
    assert series["periods"] == [] and series["note"]
    assert empty_site.api(None).get("/api/v1/signals/series").status_code == 401
