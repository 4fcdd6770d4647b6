"""Reliability over the API: Weibull, Kaplan-Meier, MCF, Nevada and forecast, each with its chart."""

from __future__ import annotations

import pytest


def test_weibull_fits_and_draws(demo_site):
    response = demo_site.api("viewer").get("/api/v1/reliability/weibull",
                                           params={"product": "xiaomi-11", "mode": "wifi", "at": [365, 730]})
    assert response.status_code == 200 and response.headers["etag"]
    body = response.json()
    assert body["unit"] == "days" and body["shape"] > 1 and body["scale"] > 0 and body["failures"] > 0
    assert [row["age"] for row in body["probability_of_failure"]] == [365, 730]
    assert body["population"]["product"] == "xiaomi-11" and body["chart"]["layer"]


def test_km_compares_groups_by_logrank(demo_site):
    body = demo_site.api("viewer").get("/api/v1/reliability/km",
                                       params={"product": ["xiaomi-11", "xiaomi-10"]}).json()
    assert [g["group"] for g in body["groups"]] == ["xiaomi-11", "xiaomi-10"]
    assert body["logrank"]["p_value"] is not None and body["groups"][0]["rows"][0]["survival"] <= 1
    assert body["chart"] is not None


def test_mcf_gives_a_difference_for_two_groups(demo_site):
    body = demo_site.api("viewer").get("/api/v1/reliability/mcf",
                                       params={"product": ["xiaomi-11", "xiaomi-10"], "bounds": "log"}).json()
    assert body["bounds"] == "log" and body["groups"][0]["repairs"] > 0
    assert body["difference"]["a"] == "xiaomi-11" and body["difference"]["rows"]
    assert body["chart"] is not None


def test_nevada_and_forecast(demo_site):
    client = demo_site.api("viewer")
    nevada = client.get("/api/v1/reliability/nevada", params={"product": "xiaomi-11", "months": 6}).json()
    assert nevada["product"] == "xiaomi-11" and nevada["cells"] and nevada["chart"] is not None
    forecast = client.get("/api/v1/reliability/forecast", params={"product": "xiaomi-11", "months": 3}).json()
    assert forecast["model"]["beta"] > 0 and forecast["chart"] is not None


@pytest.mark.parametrize("path", ["weibull", "km", "mcf", "nevada", "forecast"])
def test_unknown_product_names_the_field(demo_site, path):
    response = demo_site.api("viewer").get(f"/api/v1/reliability/{path}", params={"product": "mi-999"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "product" and "mi-999" in error["message"]


def test_unknown_mode_and_missing_product(demo_site):
    client = demo_site.api("viewer")
    mode = client.get("/api/v1/reliability/weibull", params={"product": "xiaomi-11", "mode": "no-mode"})
    assert mode.status_code == 400 and mode.json()["error"]["field"] == "mode"
    missing = client.get("/api/v1/reliability/weibull")
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "product"


def test_empty_store_says_the_product_has_no_records(empty_site):
    response = empty_site.api("viewer").get("/api/v1/reliability/nevada", params={"product": "xiaomi-11"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "product"
    assert empty_site.api(None).get("/api/v1/reliability/km", params={"product": "x"}).status_code == 401
