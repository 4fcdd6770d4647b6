"""Every dashboard page renders on the demo store (with real content) and on an empty store
(with its empty state, never an error page); anonymous visitors are sent to log in."""

from __future__ import annotations

import re

import pytest

from defectradar.analyses.alerts import list_alerts

PAGES = ["/", "/alerts", "/reports", "/products", "/devices", "/remedies", "/data"]


def _ids(site) -> dict:
    with site.store.reader() as con:
        alert = list_alerts(con, "open", 1)[0]["alert_id"]
        report = con.execute("SELECT report_id FROM reports_labelled WHERE product_id = 'xiaomi-11' "
                             "ORDER BY report_id LIMIT 1").fetchone()[0]
        device = con.execute("SELECT device_token FROM service_events WHERE product_id = 'xiaomi-11' "
                             "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    return {"alert": alert, "report": report, "device": device}


@pytest.fixture(scope="module")
def viewer(demo_site):
    return demo_site.browser("viewer")


def _chart_specs(html: str) -> list[str]:
    return re.findall(r'<script type="application/json" id="([\w-]+)-spec">', html)


@pytest.mark.parametrize("path", PAGES + ["/products/xiaomi-11", "/alerts/x", "/devices/x", "/reports/x"])
def test_anonymous_is_sent_to_log_in(demo_site, path):
    response = demo_site.api(None).get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_overview_on_the_demo(viewer):
    page = viewer.get("/")
    assert page.status_code == 200
    assert "xiaomi-11" in page.text
    assert {"heatmap", "volume"} <= set(_chart_specs(page.text))
    assert 'data-download="png"' in page.text and 'data-download="csv"' in page.text
    rate = viewer.get("/", params={"value": "per_10k", "as_of": "2022-10-01", "days": 180})
    assert rate.status_code == 200 and 'value="2022-10-01"' in rate.text


def test_overview_refuses_a_bad_day(viewer):
    assert viewer.get("/", params={"as_of": "not-a-day"}).status_code in (400, 422)


def test_alerts_list_and_detail(demo_site, viewer):
    ids = _ids(demo_site)
    listing = viewer.get("/alerts")
    assert listing.status_code == 200 and f'/alerts/{ids["alert"]}' in listing.text
    assert viewer.get("/alerts", params={"status": "closed"}).status_code == 200
    detail = viewer.get(f"/alerts/{ids['alert']}")
    assert detail.status_code == 200
    assert "series" in _chart_specs(detail.text)
    assert 'id="history-table"' in detail.text and 'id="records-table"' in detail.text
    assert "hx-post" not in detail.text                 # a viewer is offered no actions


def test_unknown_alert_is_an_error_page_not_a_crash(viewer):
    page = viewer.get("/alerts/zzzzzzzz")
    assert page.status_code in (400, 404) and "<html" in page.text


def test_reports_search_and_filters(demo_site, viewer):
    page = viewer.get("/reports")
    assert page.status_code == 200 and "xiaomi-11" in page.text and 'id="reports-table"' in page.text
    filtered = viewer.get("/reports", params={"product": "xiaomi-11", "mode": "wifi", "since": "2021-01-01",
                                              "until": "2022-12-31", "source": "weibo"})
    assert filtered.status_code == 200 and "xiaomi-11" in filtered.text
    chinese = viewer.get("/reports", params={"q": "小米"})
    assert chinese.status_code == 200
    nothing = viewer.get("/reports", params={"q": "zzzqqq-nothing-matches"})
    assert nothing.status_code == 200 and 'class="empty"' in nothing.text
    fragment = viewer.get("/reports", params={"q": "wifi"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<div id="report-rows">')
    assert viewer.get("/reports", params={"severity": "safety"}).status_code == 200


def test_report_detail(demo_site, viewer):
    report = _ids(demo_site)["report"]
    page = viewer.get(f"/reports/{report}")
    assert page.status_code == 200 and report[:12] in page.text and "xiaomi-11" in page.text
    assert 'action="/reports/' not in page.text          # no relabel form for a viewer


def test_products(viewer):
    listing = viewer.get("/products")
    assert listing.status_code == 200 and "/products/xiaomi-11" in listing.text
    page = viewer.get("/products/xiaomi-11")
    assert page.status_code == 200
    assert {"weibull", "km", "mcf", "nevada", "forecast"} <= set(_chart_specs(page.text))
    assert 'id="modes-table"' in page.text and 'id="lemons-table"' in page.text
    assert viewer.get("/products/xiaomi-11", params={"mode": "wifi"}).status_code == 200


def test_unknown_product_says_so(viewer):
    page = viewer.get("/products/no-such-phone")
    assert page.status_code == 200 and 'class="message"' in page.text


def test_device_timeline_in_both_languages(demo_site, viewer):
    device = _ids(demo_site)["device"]
    lookup = viewer.get("/devices", params={"token": device}, follow_redirects=False)
    assert lookup.status_code == 303 and lookup.headers["location"] == f"/devices/{device}"
    prefix = viewer.get("/devices", params={"token": device[:6]})
    assert prefix.status_code == 200 and device in prefix.text
    english = viewer.get(f"/devices/{device}", params={"lang": "en"})
    assert english.status_code == 200 and 'id="timeline-table"' in english.text and "xiaomi-11" in english.text
    assert "cn-phone." in english.text                   # the rules behind each step
    chinese = viewer.get(f"/devices/{device}", params={"lang": "zh"})
    assert chinese.status_code == 200 and "修理" in chinese.text
    viewer.get("/", params={"lang": "en"})


def test_remedies_show_the_xiaomi_downgrade(viewer):
    page = viewer.get("/remedies")
    assert page.status_code == 200
    assert "xiaomi-11-series-wifi" in page.text and "2022-09-15" in page.text
    assert 'id="diff-table"' in page.text and "badge new" in page.text     # the downgrade marked
    assert 'id="shortfalls-table"' in page.text
    other = viewer.get("/remedies", params={"policy": "eu-2019-771-sale-of-goods"})
    assert other.status_code == 200


def test_data_page(viewer):
    page = viewer.get("/data")
    assert page.status_code == 200 and 'id="runs-table"' in page.text
    assert 'action="/data/upload"' not in page.text          # a viewer cannot upload


@pytest.mark.parametrize("path", PAGES + ["/products/xiaomi-11", "/devices?token=dev_nothing"])
def test_every_page_has_an_empty_state_on_an_empty_store(empty_site, path):
    client = empty_site.browser("viewer")
    page = client.get(path)
    assert page.status_code == 200, page.text[-500:]
    assert 'class="empty"' in page.text or 'class="message"' in page.text


def test_empty_overview_says_how_to_get_data(empty_site):
    page = empty_site.browser("viewer").get("/")
    assert "defectradar demo" in page.text


def test_pages_in_chinese(demo_site, viewer):
    page = viewer.get("/", params={"lang": "zh"})
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text and "总览" in page.text
    viewer.get("/", params={"lang": "en"})
