"""The server's read cache: a result is reused while the store is unchanged, never after a write,
and a caller changing its copy never changes what the next caller gets."""

from __future__ import annotations

from starlette.requests import Request

from defectradar.api.common import read
from defectradar.store.connect import Store

CALLS = []


def count_reports(con, note: str) -> dict:
    CALLS.append(note)
    return {"reports": con.execute("SELECT count(*) FROM reports").fetchone()[0], "notes": [note]}


def _request(app) -> Request:
    return Request({"type": "http", "app": app, "headers": [], "method": "GET", "path": "/"})


def test_reads_are_reused_until_the_store_changes(empty_site, csv_file):
    from defectradar.ingest.pipeline import ingest_file

    request = _request(empty_site.app)
    CALLS.clear()
    first = read(request, count_reports, "a")
    first["notes"].append("changed by the caller")
    second = read(request, count_reports, "a")
    assert CALLS == ["a"] and second == {"reports": 0, "notes": ["a"]}       # reused, unchanged
    read(request, count_reports, "b")
    assert CALLS == ["a", "b"]                                                # other arguments: read
    store: Store = empty_site.store
    ingest_file(store, csv_file(["id", "created_at", "product", "text"], [[1, "2022-05-01", "Xiaomi 11", "wifi"]]))
    third = read(request, count_reports, "a")
    assert CALLS == ["a", "b", "a"] and third["reports"] == 1                 # the store changed: read again


def test_secret_checks_and_route_closures_are_not_cached(empty_site):
    request = _request(empty_site.app)
    CALLS.clear()

    def inside(con):                      # a function defined in a route: its captured values are unknown
        CALLS.append("inside")
        return 1

    read(request, inside)
    read(request, inside)
    read(request, count_reports, "x", cache=False)
    read(request, count_reports, "x", cache=False)
    assert CALLS == ["inside", "inside", "x", "x"]
    read(request, inside, cache_key=("mine",))
    read(request, inside, cache_key=("mine",))
    assert CALLS.count("inside") == 3
