"""Issue 16: user-supplied text never runs in the browser.

Posts holding a script tag, an attribute break-out with an event handler and an SVG onload are
ingested like any complaint; Chromium then opens every page that shows them, and the test checks
that none of the payloads ran (they would set ``window.__xss`` or open a dialog) while the text
itself is shown, escaped.
"""

from __future__ import annotations

import pytest
from tests.web.browser import LiveServer, launch_chromium, log_in, screenshot
from tests.web_fixtures import serve_store

from defectradar.config import load_settings
from defectradar.ingest.pipeline import ingest_file
from defectradar.store.connect import Store

PAYLOADS = [
    '<script>window.__xss = 1</script> wifi broken',
    '"><img src=x onerror="window.__xss = 2"> 手机发热 \'><b onmouseover=alert(1)>',
    '<svg onload="window.__xss = 3"><script>alert(3)</script></svg> 主板烧了',
]


@pytest.fixture
def hostile_site(tmp_path, csv_file):
    settings = load_settings(db=str(tmp_path / "xss.duckdb"), lock_timeout=10.0, key_dir=str(tmp_path / "keys"))
    store = Store(settings.db, settings)
    rows = [[i, f"2022-05-0{i}", "Xiaomi 11", text] for i, text in enumerate(PAYLOADS, start=1)]
    ingest_file(store, csv_file(["id", "created_at", "product", "text"], rows, name="hostile.csv"))
    site = serve_store(store)
    server = LiveServer(site.app).start()
    yield site, server
    server.stop()


def test_hostile_posts_are_shown_as_text_and_never_run(hostile_site):
    from playwright.sync_api import sync_playwright

    site, server = hostile_site
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        log_in(page, server.url, "viewer", site.accounts["viewer"].password)
        page.goto(f"{server.url}/reports")
        page.wait_for_load_state("networkidle")
        body = page.inner_text("body")
        assert "wifi broken" in body and "手机发热" in body and "主板烧了" in body
        assert "<script>" in body          # shown as text, not parsed as a tag
        links = page.eval_on_selector_all("a[href^='/reports/']", "els => els.map(e => e.getAttribute('href'))")
        for href in sorted(set(links))[:3]:
            page.goto(f"{server.url}{href}")
            page.wait_for_load_state("networkidle")
        screenshot(page, "escaping-report")
        assert page.evaluate("() => window.__xss") is None
        assert dialogs == []
        assert page.eval_on_selector_all("svg[onload], img[onerror], b[onmouseover]", "els => els.length") == 0
        browser.close()
