"""The offline API reference at /docs: every operation, escaped, no script, behind a login."""

from __future__ import annotations

from defectradar.api.docs import render_reference


def test_docs_list_every_operation(demo_site):
    response = demo_site.api("viewer").get("/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<script" not in page and "cdn" not in page.lower()
    spec = demo_site.app.openapi()
    for path, item in spec["paths"].items():
        assert f"<code>{path}</code>" in page
    assert "/api/v1/reports/{report_id}/labels" in page and "failure_modes" in page and "q</code>" in page


def test_docs_need_a_login(demo_site):
    response = demo_site.api(None).get("/docs")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


def test_docs_escape_what_the_spec_says():
    spec = {"info": {"title": "<b>x</b>", "version": "1"},
            "paths": {"/a": {"get": {"summary": "<script>alert(1)</script>", "tags": ["t"],
                                     "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"},
                                                     "description": "<img src=x>"}],
                                     "responses": {"200": {}}}}}}
    page = render_reference(spec, "/openapi.json")
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "<img src" not in page
