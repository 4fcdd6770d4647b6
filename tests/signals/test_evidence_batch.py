"""The records behind many signals, looked up in one pass, equal those looked up one at a time."""

from __future__ import annotations

from datetime import date

from defectradar.analyses import evidence_rules
from defectradar.signals.alerts import Signal


def _signals() -> list[Signal]:
    made = []
    for product in ("xiaomi-11", "xiaomi-11-pro", "iphone-12"):
        for mode in ("wifi", "motherboard", None, "no-such-mode"):
            for week in (date(2021, 8, 2), date(2022, 9, 19), date(2022, 12, 26)):
                for source in ("reports", "service_events"):
                    made.append(Signal(scope="product_mode", source=source, product_id=product, failure_mode=mode,
                                       method="nb-excess", period=week, statistic=1.0, threshold=1.0, evidence={}))
            made.append(Signal(scope="product_mode", source="reports", product_id=product, failure_mode=mode,
                               method="disproportionality", period=date(2022, 12, 31), statistic=1.0,
                               threshold=1.0, evidence={}))
    made.append(Signal(scope="mode", source="reports", product_id=None, failure_mode="wifi", method="nb-excess",
                       period=date(2021, 8, 2), statistic=1.0, threshold=1.0, evidence={}))
    return made


def test_batched_lookup_equals_one_query_per_signal(simulated_world):
    store = simulated_world["store"]
    batched, single = _signals(), _signals()
    as_of = date(2022, 12, 31)
    with store.reader() as con:
        evidence_rules.attach_reports(con, batched, "week", as_of)
        for s in single:
            evidence_rules._attach_one(con, s, "week", as_of, "failures")
    assert [s.evidence["reports"] for s in batched] == [s.evidence["reports"] for s in single]
    assert sum(bool(s.evidence["reports"]) for s in batched) > 20      # the comparison is not of empty lists


def test_trends_of_a_few_products_and_modes_equal_the_whole_store(simulated_world):
    """The scan reads only its signals' products and modes for trending; each (product, mode)
    trend must be what the whole store gives (the daily grid spans the store's days)."""
    from defectradar.analyses.trending import trends_for_store

    store = simulated_world["store"]
    compared = 0
    with store.reader() as con:
        for as_of in (date(2021, 9, 1), date(2022, 9, 25)):
            whole = trends_for_store(con, as_of).trends_
            products = sorted({p for p, _m in whole})[:6]
            modes = ["wifi", "motherboard", "overheating"]
            part = trends_for_store(con, as_of, products=products, modes=modes).trends_
            keys = [k for k in part if k[1] in modes]
            assert [part[k].to_dict() for k in keys] == [whole[k].to_dict() for k in keys]
            compared += len(keys)
    assert compared >= 4
