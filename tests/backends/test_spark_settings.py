"""How defectradar sizes the Spark sessions it starts (no Spark needed: the rules are plain
functions)."""

from __future__ import annotations

from defectradar.backends.pyspark import ROWS_PER_PARTITION, _submitted, shuffle_partitions


def test_shuffle_partitions_follow_the_largest_table():
    assert shuffle_partitions({}) == 8                                   # no manifest (a remote URI)
    assert shuffle_partitions({"tables": {"reports": 1_000, "sales": 10}}) == 8
    assert shuffle_partitions({"tables": {"reports": 100_000_000, "alerts": None}}) == 100
    assert shuffle_partitions({"tables": {"reports": 10 * ROWS_PER_PARTITION + 1}}) == 11


def test_spark_submit_is_told_apart_by_its_gateway_variable(monkeypatch):
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    assert not _submitted()
    monkeypatch.setenv("PYSPARK_GATEWAY_PORT", "40123")
    assert _submitted()
