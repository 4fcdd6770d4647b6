"""Complaint text is shown escaped: markup in a report never runs in the dashboard."""

from __future__ import annotations

import csv

from tests.web_fixtures import serve_store

from defectradar.config import load_settings
from defectradar.ingest.pipeline import ingest_file
from defectradar.store.connect import Store

HOSTILE = ["<script>alert(1)</script> wifi broken", '"><img src=x onerror=alert(1)> screen broken',
           "<svg onload=alert(1)> battery drains"]


def test_hostile_complaint_text_is_escaped(tmp_path):
    path = tmp_path / "hostile.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_id", "created_at", "product", "text"])
        for i, text in enumerate(HOSTILE):
            writer.writerow([f"h{i}", f"2022-06-0{i + 1} 09:00:00", "Xiaomi 11", text])
    settings = load_settings(db=str(tmp_path / "hostile.duckdb"), lock_timeout=10.0, key_dir=str(tmp_path / "keys"))
    store = Store(settings.db, settings)
    store.migrate()
    result = ingest_file(store, path, source_type="csv")
    assert result.status == "complete", result.message
    site = serve_store(store)
    client = site.browser("viewer")
    listing = client.get("/reports")
    assert listing.status_code == 200
    for raw in ("<script>alert(1)</script>", "<img src=x onerror", "<svg onload"):
        assert raw not in listing.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing.text
    assert "&lt;svg onload=alert(1)&gt;" in listing.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in listing.text or "&quot;&gt;&lt;img" in listing.text
    with store.reader() as con:
        ids = [r for (r,) in con.execute("SELECT report_id FROM reports ORDER BY source_id").fetchall()]
    for report_id in ids:
        detail = client.get(f"/reports/{report_id}")
        assert detail.status_code == 200
        assert "<script>alert" not in detail.text and "<img src=x" not in detail.text and "<svg onload" not in detail.text
    assert "&lt;script&gt;" in client.get(f"/reports/{ids[0]}").text
    assert client.get("/", params={"q": "<script>"}).status_code == 200
    search = client.get("/reports", params={"q": "<script>"})
    assert 'value="&lt;script&gt;"' in search.text and "&lt;script&gt;alert(1)" in search.text
