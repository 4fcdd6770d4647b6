"""Products over the API: the catalog's and the store's, one by id, 404 for an unknown id."""

from __future__ import annotations


def test_products_list_marks_catalog_and_store(demo_site):
    client = demo_site.api("viewer")
    body = client.get("/api/v1/products", params={"limit": 500}).json()
    assert set(body) == {"items", "next_cursor"}
    by_id = {p["product_id"]: p for p in body["items"]}
    assert by_id["xiaomi-11"]["in_catalog"] and by_id["xiaomi-11"]["in_store"]
    assert by_id["xiaomi-11"]["name_zh"] == "小米11"
    first = client.get("/api/v1/products", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    xiaomi = client.get("/api/v1/products", params={"brand": "xiaomi", "in_store": True}).json()["items"]
    assert xiaomi and all(p["brand"] == "Xiaomi" and p["in_store"] for p in xiaomi)


def test_one_product_and_unknown_product(demo_site):
    client = demo_site.api("viewer")
    assert client.get("/api/v1/products/xiaomi-11").json()["brand"] == "Xiaomi"
    missing = client.get("/api/v1/products/xiaomi-99x")
    assert missing.status_code == 404
    assert missing.json()["error"]["field"] == "product_id" and "xiaomi-99x" in missing.json()["error"]["message"]


def test_products_need_a_login_and_an_empty_store_still_has_its_catalog(empty_site):
    assert empty_site.api(None).get("/api/v1/products").status_code == 401
    items = empty_site.api("viewer").get("/api/v1/products", params={"limit": 1000}).json()["items"]
    assert items and not any(p["in_store"] for p in items)
