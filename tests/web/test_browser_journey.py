"""Issue 16: an analyst's journey through the dashboard in Chromium, on the demo store.

Log in, open the overview (charts drawn), follow the strongest alert to its detail and a report
behind it, acknowledge the alert, relabel the report, open a device's timeline, download a
chart (PNG and SVG) and a table (CSV), and switch to Chinese. Screenshots of each step are
saved with the test output (``test-output/screenshots``).
"""

from __future__ import annotations

import pytest
from tests.web.browser import LiveServer, launch_chromium, log_in, screenshot


@pytest.fixture(scope="module")
def live(demo_site):
    server = LiveServer(demo_site.app).start()
    yield demo_site, server
    server.stop()


def _charts_drawn(page, expected: int) -> None:
    page.wait_for_function(f"document.querySelectorAll('.chart[data-ready]').length >= {expected}", timeout=30_000)


def test_analyst_journey(live, tmp_path):
    from playwright.sync_api import sync_playwright

    site, server = live
    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        problems = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

        log_in(page, server.url, "analyst", site.accounts["analyst"].password)
        _charts_drawn(page, 2)                       # heat map and volume
        assert page.locator("#heatmap svg").count() == 1
        screenshot(page, "01-overview")

        # The strongest open alert that is still new, to its detail page.
        page.goto(f"{server.url}/alerts?status=new")
        page.locator("table a[href^='/alerts/']").first.click()
        page.wait_for_url(f"{server.url}/alerts/*")
        alert_id = page.url.rsplit("/", 1)[1]
        screenshot(page, "02-alert")
        page.fill("#lifecycle input[name=reason]", "seen in the browser test")
        page.click("#lifecycle button[value=acknowledge]")
        page.wait_for_selector("#lifecycle .badge.acknowledged")
        status = site.api("viewer").get(f"/api/v1/alerts/{alert_id}").json()["status"]
        assert status == "acknowledged"
        screenshot(page, "03-alert-acknowledged")

        # A report behind an alert (complaint alerts link their reports), relabelled.
        page.goto(f"{server.url}/reports?product=xiaomi-11&mode=wifi")
        page.locator("a[href^='/reports/']").first.click()
        page.wait_for_url(f"{server.url}/reports/*")
        report_id = page.url.rsplit("/", 1)[1]
        for box in page.locator("form.relabel input[name=failure_modes]:checked").all():
            box.uncheck()
        page.check("form.relabel input[name=failure_modes][value=battery]")
        page.fill("form.relabel input[name=reason]", "browser test relabel")
        page.click("form.relabel button[type=submit]")
        page.wait_for_function("document.querySelector('.label-mode') && "
                               "[...document.querySelectorAll('.label-mode')].some(e => e.textContent.includes('battery'))")
        labels = site.api("viewer").get(f"/api/v1/reports/{report_id}").json()
        assert "battery" in str(labels)
        screenshot(page, "04-report-relabelled")

        # A device's timeline, from the lookup list.
        page.goto(f"{server.url}/devices")
        page.locator("a[href^='/devices/']").first.click()
        page.wait_for_url(f"{server.url}/devices/*")
        assert page.locator("#timeline-table tr").count() > 1
        screenshot(page, "05-device")

        # Downloads: a chart as PNG and SVG, a table as CSV.
        page.goto(f"{server.url}/products/xiaomi-11")
        _charts_drawn(page, 3)
        for kind, magic in (("png", b"\x89PNG"), ("svg", b"<svg")):
            with page.expect_download() as info:
                page.click(f"button[data-download={kind}][data-target=weibull]")
            path = tmp_path / f"chart.{kind}"
            info.value.save_as(path)
            assert path.read_bytes()[:64].lstrip().startswith(magic)
        with page.expect_download() as info:
            page.locator("button[data-download=csv]").first.click()
        csv_path = tmp_path / "table.csv"
        info.value.save_as(csv_path)
        assert csv_path.read_text(encoding="utf-8-sig").count("\n") >= 2
        screenshot(page, "06-product")

        # Chinese, on a phone-sized screen.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{server.url}/?lang=zh")
        assert "总览" in page.inner_text("header")
        screenshot(page, "07-overview-zh-phone")
        assert not problems, problems
        browser.close()
