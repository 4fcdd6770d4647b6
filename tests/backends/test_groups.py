"""Whole groups handed to Python (``map_groups``): the re-cutting of a sorted stream, and the
remedies audit and lemons judged in parts equal to one judgement of every event at once."""

from __future__ import annotations

import pyarrow as pa
import pytest

from defectradar.backends import groups
from defectradar.backends.groups import whole_groups


def _keys(tables) -> list[list]:
    return [t.column("k").to_pylist() for t in tables]


def test_groups_straddling_batches_are_carried_whole():
    table = pa.table({"k": ["a", "a", "a", "b", "b", "c", "d", "d"], "v": range(8)})
    cut = _keys(whole_groups(table.to_batches(max_chunksize=2), "k", min_rows=1))
    assert cut == [["a", "a", "a"], ["b", "b"], ["c"], ["d", "d"]]
    assert sum(cut, []) == table.column("k").to_pylist()        # nothing lost, order kept


def test_min_rows_joins_small_groups_and_one_big_group_stays_whole():
    table = pa.table({"k": ["a"] * 5 + ["b", "c", "c"]})
    # Read until 3 rows are pending; the last group then waits for the next batch.
    assert _keys(whole_groups(table.to_batches(max_chunksize=1), "k", min_rows=3)) == [["a"] * 5, ["b"], ["c", "c"]]
    assert _keys(whole_groups(table.to_batches(max_chunksize=2), "k", min_rows=2)) == [["a"] * 5, ["b"], ["c", "c"]]
    assert _keys(whole_groups(table.to_batches(max_chunksize=3), "k", min_rows=100)) == [table.column("k").to_pylist()]


def test_null_keys_form_one_group_and_empty_batches_are_skipped():
    table = pa.table({"k": [None, None, "a", "a"]})
    batches = [table.slice(0, 1), table.slice(0, 0), table.slice(1, 1), table.slice(2, 1), table.slice(3, 1)]
    assert _keys(whole_groups(batches, "k", min_rows=1)) == [[None, None], ["a", "a"]]
    assert list(whole_groups([], "k")) == []


@pytest.fixture
def small_batches(monkeypatch):
    """Tables of about 50 events: the world's histories are judged in hundreds of parts."""
    monkeypatch.setattr(groups, "BATCH_ROWS", 50)


def test_audit_in_parts_equals_the_audit_of_every_event(simulated_world, small_batches):
    from defectradar.analyses.audit import audit_store
    from defectradar.domain.catalog import builtin_catalog
    from defectradar.query.service_histories import device_count, map_device_histories, service_histories
    from defectradar.remedies.audit import audit_histories
    from defectradar.remedies.rule_book import builtin_rule_book

    store, book, catalog = simulated_world["store"], builtin_rule_book(), builtin_catalog()
    with store.reader() as con:
        whole = audit_histories(service_histories(con), book, catalog, period="month").to_dict()
        parts = list(map_device_histories(con, lambda events: events["device_token"].nunique()))
        in_parts = audit_store(con, book, catalog, period="month").to_dict()
        devices = device_count(con)
    assert len(parts) > 100 and sum(parts) == devices        # each device in exactly one part
    assert whole["shortfalls"] > 0 and in_parts == whole


def test_lemons_in_parts_equal_lemons_of_every_event(simulated_world, small_batches):
    from defectradar.analyses.lemons import find_lemons, lemons_in_store
    from defectradar.query.service_histories import service_histories

    with simulated_world["store"].reader() as con:
        whole = find_lemons(service_histories(con, as_of="2022-12-31"), as_of="2022-12-31").to_dict()
        in_parts = lemons_in_store(con, as_of="2022-12-31").to_dict()
    assert whole["lemons"] and in_parts == whole
