"""Lifetimes and repair histories built from the store: sales cohorts as the units at risk,
claims as failures, nothing dropped silently."""

from __future__ import annotations

import json

import pytest

from defectradar.errors import InputError
from defectradar.query.reliability import latest_event_date, lifetimes_for_store, recurrences_for_store


def _sql(world, sql, params=None):
    with world["store"].reader() as con:
        return con.execute(sql, params or []).fetchall()


def test_units_are_the_units_sold_and_failures_the_devices_that_claimed(simulated_world):
    with simulated_world["store"].reader() as con:
        data, info = lifetimes_for_store(con, "xiaomi-11", "wifi")
    sold = _sql(simulated_world, "SELECT sum(units) FROM sales_current WHERE product_id = 'xiaomi-11'")[0][0]
    claimed = _sql(simulated_world, "SELECT count(DISTINCT device_token) FROM service_events WHERE product_id = "
                   "'xiaomi-11' AND failure_mode = 'wifi' AND action IN ('repair', 'replace', 'refund')")[0][0]
    assert info.units == sold
    assert data.failures == claimed == info.devices_with_claims
    excess = sum(v for k, v in info.skipped.items() if "beyond" in k)
    assert data.n == pytest.approx(sold + excess + _outside(info), abs=1e-6)
    assert info.as_of.isoformat() == "2022-12-31"
    assert data.time.max() <= (info.as_of - __import__("datetime").date(2020, 12, 1)).days


def _outside(info) -> int:
    return sum(int(n.split()[0]) for n in info.notes if "months without a sales row" in n)


def test_as_of_cuts_claims_and_ages(simulated_world):
    with simulated_world["store"].reader() as con:
        early, info = lifetimes_for_store(con, "xiaomi-11", "wifi", as_of="2021-12-31")
        late, _ = lifetimes_for_store(con, "xiaomi-11", "wifi")
    assert early.failures < late.failures
    assert early.time.max() <= 365
    assert info.as_of.isoformat() == "2021-12-31"


def test_devices_population_says_it_is_conditional(simulated_world):
    with simulated_world["store"].reader() as con:
        data, info = lifetimes_for_store(con, "xiaomi-11", "wifi", population="devices")
    assert info.population == "devices"
    assert any("conditional" in note for note in info.notes)
    assert data.n < 36070                 # only devices that came in for something
    json.dumps(info.to_dict())


def test_repair_histories_end_at_a_replacement(simulated_world):
    with simulated_world["store"].reader() as con:
        data, info = recurrences_for_store(con, "xiaomi-11", "wifi")
    claims = _sql(simulated_world, "SELECT count(*) FROM service_events WHERE product_id = 'xiaomi-11' AND "
                  "failure_mode = 'wifi' AND action IN ('repair', 'replace', 'refund')")[0][0]
    assert info.claims == claims
    assert len(data.event_time) == claims - sum(v for k, v in info.skipped.items() if k.startswith("claims"))
    # a device exchanged under the Wi-Fi policy leaves the field on the exchange day
    replaced = _sql(simulated_world, """
        SELECT e.device_token, e.date - d.purchase_date FROM service_events e
        JOIN (SELECT device_token, min(purchase_date) AS purchase_date FROM devices GROUP BY 1) d USING (device_token)
        WHERE e.product_id = 'xiaomi-11' AND e.failure_mode = 'wifi' AND e.action = 'replace' LIMIT 20""")
    assert replaced
    ids = list(data.unit_ids)
    for token, age in replaced:
        assert data.unit_end[ids.index(token)] == age


def test_unknown_product_lists_the_known_ones(simulated_world):
    with simulated_world["store"].reader() as con:
        # difflib's closest ids (xiaomi-9 is the catalog's, without records) and the ids with records
        with pytest.raises(InputError, match=r"unknown product 'mi-99'.*closest known ids: [^(]*xiaomi-9\b"
                                             r".*ids with records: .*xiaomi-11"):
            lifetimes_for_store(con, "mi-99")
        with pytest.raises(InputError, match="population='everyone'"):
            lifetimes_for_store(con, "xiaomi-11", population="everyone")
        with pytest.raises(InputError, match="unknown failure mode 'no-such-mode'.*known ids: .*wifi"):
            recurrences_for_store(con, "xiaomi-11", "no-such-mode")
        assert latest_event_date(con).isoformat() == "2022-12-31"


def test_empty_store_says_what_to_ingest(store):
    store.migrate()
    with store.reader() as con:
        with pytest.raises(InputError, match="no service events"):
            latest_event_date(con)
