"""Policies over the API: the rule book's rule sets, one in detail, and the changes between versions."""

from __future__ import annotations


def test_policies_list_and_filter(demo_site):
    client = demo_site.api("viewer")
    body = client.get("/api/v1/policies").json()
    assert set(body) == {"items", "next_cursor"}
    ids = {p["id"] for p in body["items"]}
    assert "xiaomi-11-series-wifi" in ids and "cn-mobile-phone-three-guarantees" in ids
    eu = client.get("/api/v1/policies", params={"jurisdiction": "EU"}).json()["items"]
    assert eu and all(p["jurisdiction"] == "EU" for p in eu)


def test_one_policy_in_chinese(demo_site):
    detail = demo_site.api("viewer").get("/api/v1/policies/xiaomi-11-series-wifi", params={"lang": "zh"}).json()
    assert detail["id"] == "xiaomi-11-series-wifi" and detail["title"].startswith("小米")
    assert detail["versions"] and detail["rules"]


def test_diff_marks_the_downgrade_and_records_nothing(demo_site):
    client = demo_site.api("viewer")
    alerts_before = client.get("/api/v1/alerts", params={"limit": 500}).json()["items"]
    body = client.get("/api/v1/policies/xiaomi-11-series-wifi/diff").json()
    assert body["versions"] == ["2021-08-06", "2022-09-15"] and body["downgrades"] >= 1 and body["alerts"] is None
    assert any(c["downgrade"] for c in body["changes"])
    assert client.get("/api/v1/alerts", params={"limit": 500}).json()["items"] == alerts_before
    window = client.get("/api/v1/policies/xiaomi-11-series-wifi/diff", params={"to": "2022-01-01"}).json()
    assert window["changes"] == [] and window["to"] == "2022-01-01"


def test_unknown_policy_is_404_and_bad_window_400(demo_site):
    client = demo_site.api("viewer")
    missing = client.get("/api/v1/policies/no-such-law/diff")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "rule_set_id"
    window = client.get("/api/v1/policies/xiaomi-11-series-wifi/diff", params={"from": "2023-01-01",
                                                                              "to": "2022-01-01"})
    assert window.status_code == 400 and window.json()["error"]["field"] == "from"
    assert demo_site.api(None).get("/api/v1/policies").status_code == 401


def test_policies_do_not_need_store_rows(empty_site):
    assert empty_site.api("viewer").get("/api/v1/policies").json()["items"]
