"""Reports over the API: filtered pages, search in Chinese and English, one report, relabel by role."""

from __future__ import annotations


def test_report_list_pages_with_report_ids(demo_site):
    client = demo_site.api("viewer")
    first = client.get("/api/v1/reports", params={"limit": 3})
    assert first.status_code == 200 and first.headers["etag"]
    body = first.json()
    assert set(body) == {"items", "next_cursor"} and len(body["items"]) == 3 and body["next_cursor"]
    assert all(len(item["report_id"]) == 32 for item in body["items"])
    second = client.get("/api/v1/reports", params={"limit": 3, "cursor": body["next_cursor"]}).json()
    assert {r["report_id"] for r in second["items"]}.isdisjoint(r["report_id"] for r in body["items"])
    again = client.get("/api/v1/reports", params={"limit": 3}, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_search_finds_chinese_and_english_text(demo_site):
    client = demo_site.api("viewer")
    chinese = client.get("/api/v1/reports", params={"q": "WiFi打不开", "limit": 5}).json()["items"]
    assert chinese and all("wifi打不开" in (r["text"] + (r["title"] or "")).lower() for r in chinese)
    english = client.get("/api/v1/reports", params={"q": "wifi posts", "limit": 5}).json()["items"]
    assert english and all("wifi" in r["text"].lower() and "posts" in r["text"].lower() for r in english)


def test_filters_combine(demo_site):
    client = demo_site.api("viewer")
    items = client.get("/api/v1/reports", params={"product": "xiaomi-11", "mode": "wifi", "source": "weibo",
                                                  "since": "2022-01-01", "until": "2022-12-31",
                                                  "limit": 50}).json()["items"]
    assert items
    for r in items:
        assert r["product_id"] == "xiaomi-11" and "wifi" in r["failure_modes"] and r["source"] == "weibo"
        assert "2022-01-01" <= r["created_at"][:10] <= "2022-12-31"
    safety = client.get("/api/v1/reports", params={"severity": "safety"}).json()["items"]
    assert safety and all(r["severity"] == "safety" for r in safety)


def test_unknown_product_and_bad_dates_name_the_field(demo_site):
    client = demo_site.api("viewer")
    unknown = client.get("/api/v1/reports", params={"product": "no-such-phone"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["field"] == "product" and "no-such-phone" in unknown.json()["error"]["message"]
    mode = client.get("/api/v1/reports", params={"mode": "no-such-mode"})
    assert mode.status_code == 400 and mode.json()["error"]["field"] == "mode"
    reversed_ = client.get("/api/v1/reports", params={"since": "2022-06-01", "until": "2022-01-01"})
    assert reversed_.status_code == 400 and reversed_.json()["error"]["field"] == "since"
    not_a_date = client.get("/api/v1/reports", params={"since": "yesterday"})
    assert not_a_date.status_code == 422 and not_a_date.json()["error"]["field"] == "since"


def test_one_report_with_its_labels_and_404_for_unknown(demo_site):
    client = demo_site.api("viewer")
    report_id = client.get("/api/v1/reports", params={"mode": "wifi", "limit": 1}).json()["items"][0]["report_id"]
    detail = client.get(f"/api/v1/reports/{report_id[:10]}").json()
    assert detail["report"]["report_id"] == report_id
    assert "wifi" in [m["mode"] for m in detail["failure_modes"]] and detail["labelled_by"]["by"]
    missing = client.get("/api/v1/reports/ffffffffffff")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "report_id"


def test_relabel_needs_analyst(demo_site):
    row = demo_site.api("viewer").get("/api/v1/reports", params={"mode": "wifi", "limit": 1}).json()["items"][0]
    url = f"/api/v1/reports/{row['report_id']}/labels"
    body = {"failure_modes": row["failure_modes"], "reason": "checked, labels stand"}   # changes nothing
    assert demo_site.api(None).post(url, json=body).status_code == 401
    refused = demo_site.api("viewer").post(url, json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    done = demo_site.api("analyst").post(url, json=body)
    assert done.status_code == 200
    assert done.json()["fields"] == {"failure_modes": sorted(row["failure_modes"])}
    assert done.json()["analyst"] == "analyst"
    detail = demo_site.api("viewer").get(f"/api/v1/reports/{row['report_id']}").json()
    assert detail["corrections"][-1]["analyst"] == "analyst"


def test_relabel_rejects_unknown_modes_products_and_ids(demo_site):
    client = demo_site.api("analyst")
    report_id = client.get("/api/v1/reports", params={"limit": 1}).json()["items"][0]["report_id"]
    url = f"/api/v1/reports/{report_id}/labels"
    bad_mode = client.post(url, json={"failure_modes": ["not-a-mode"]})
    assert bad_mode.status_code == 400 and bad_mode.json()["error"]["field"] == "failure_modes"
    bad_product = client.post(url, json={"product_id": "no-such-phone"})
    assert bad_product.status_code == 400 and bad_product.json()["error"]["field"] == "product_id"
    assert "no-such-phone" in bad_product.json()["error"]["message"]
    empty = client.post(url, json={})
    assert empty.status_code == 400 and empty.json()["error"]["field"] == "failure_modes"
    bad_type = client.post(url, json={"failure_modes": "wifi"})
    assert bad_type.status_code == 422 and bad_type.json()["error"]["field"] == "failure_modes"
    missing = client.post("/api/v1/reports/ffffffffffff/labels", json={"product_id": "none"})
    assert missing.status_code == 404


def test_empty_store_lists_no_reports(empty_site):
    client = empty_site.api("viewer")
    assert client.get("/api/v1/reports").json() == {"items": [], "next_cursor": None}
    assert client.get("/api/v1/reports", params={"q": "wifi"}).json()["items"] == []
    assert client.get("/api/v1/reports/abcdef").status_code == 404
    assert empty_site.api(None).get("/api/v1/reports").status_code == 401
