"""Remedies over the API: judge a case sent as JSON, audit the store."""

from __future__ import annotations

CASE = {"device": {"product": "小米11", "purchase_date": "2021-10-20", "jurisdiction": "CN", "invoice": True},
        "events": [{"date": "2022-03-02", "type": "repair", "failure_mode": "wifi", "days_out_of_service": 12},
                   {"date": "2022-06-20", "type": "repair", "failure_mode": "wifi", "days_out_of_service": 9},
                   {"date": "2022-10-05", "type": "repair", "failure_mode": "wifi", "days_out_of_service": 14}]}


def test_check_judges_each_step(demo_site):
    response = demo_site.api("viewer").post("/api/v1/remedies/check", json=CASE, params={"as_of": "2023-01-01"})
    assert response.status_code == 200
    body = response.json()
    assert body["device"]["product"] == "xiaomi-11" and len(body["steps"]) == 3
    assert any(step["shortfall"] for step in body["steps"]) and body["summary"]
    zh = demo_site.api("viewer").post("/api/v1/remedies/check", json=CASE, params={"lang": "zh"}).json()
    assert zh["lang"] == "zh"


def test_check_names_the_field_at_fault(demo_site):
    client = demo_site.api("viewer")
    unknown = client.post("/api/v1/remedies/check", json={**CASE, "device": {**CASE["device"], "product": "Nokia 9"}})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["field"] == "device.product" and "Nokia 9" in unknown.json()["error"]["message"]
    early = {**CASE, "events": [{"date": "2020-01-01", "type": "repair"}]}
    assert client.post("/api/v1/remedies/check", json=early).json()["error"]["field"] == "events[0].date"
    assert client.post("/api/v1/remedies/check", json=[1, 2]).status_code == 422
    assert demo_site.api(None).post("/api/v1/remedies/check", json=CASE).status_code == 401


def test_audit_counts_shortfalls(demo_site):
    client = demo_site.api("viewer")
    response = client.get("/api/v1/remedies/audit", params={"period": "year", "limit": 5})
    assert response.status_code == 200 and response.headers["etag"]
    body = response.json()
    assert body["devices"] > 0 and body["events"] > 0 and body["period"] == "year"
    assert all(g["period"].isdigit() for g in body["groups"])
    one = client.get("/api/v1/remedies/audit", params={"product": "xiaomi-11"}).json()
    assert 0 < one["devices"] < body["devices"]


def test_audit_rejects_unknown_product_and_jurisdiction(demo_site):
    client = demo_site.api("viewer")
    product = client.get("/api/v1/remedies/audit", params={"product": "mi-999"})
    assert product.status_code == 400 and product.json()["error"]["field"] == "product"
    place = client.get("/api/v1/remedies/audit", params={"jurisdiction": "Atlantis"})
    assert place.status_code == 400 and place.json()["error"]["field"] == "jurisdiction"


def test_audit_of_an_empty_store(empty_site):
    body = empty_site.api("viewer").get("/api/v1/remedies/audit").json()
    assert body["devices"] == 0 and body["groups"] == []
