"""Nevada cells, claims per 1,000 by age and their Poisson intervals, and the store query behind them."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import write_csv
from defectradar.analyses.warranty import nevada_for_store
from defectradar.core.dates import last_complete_month, months_between
from defectradar.core.identifiers import luhn_valid
from defectradar.core.lifetimes import WarrantyCounts
from defectradar.errors import InputError
from defectradar.ingest.pipeline import ingest_file
from defectradar.query.warranty import warranty_counts
from defectradar.reliability.nevada import nevada_table, poisson_interval

SERVICE = ["device_id", "product", "purchase_date", "event_date", "fault", "action", "parts",
           "days_out_of_service", "data_wiped", "center", "region", "customer_phone"]


def imei(n: int) -> str:
    """A Luhn-valid IMEI numbered ``n``."""
    body = f"35693803{n:06d}"
    return next(body + str(d) for d in range(10) if luhn_valid(body + str(d)))


def build_small_store(store, folder):
    """Three sales months of xiaomi-11 and a handful of service events, worked out by hand.

    Device 1 (bought 2021-01-10; a later record says 2021-01-12, the earliest counts): repair in
    January (age 0), replace in February (age 1), an inspection and a refusal (not claims).
    Device 2 (2021-01-25): Wi-Fi repair in February (age 1).  Device 3 (2021-02-03): refund in
    February (age 0).  Device 4 (2020-12-15, a month without sales): repair in January (unmatched).
    Device 5 (2021-02-10): repair on 2021-03-15 (age 1, in March).  Sales: January 600 + 400,
    February 500, March 200.
    """
    rows = [
        [imei(1), "xiaomi-11", "2021-01-10", "2021-01-20", "screen", "repair"],
        [imei(1), "xiaomi-11", "2021-01-12", "2021-02-05", "screen", "replace"],
        [imei(1), "xiaomi-11", "2021-01-10", "2021-02-10", "screen", "inspect"],
        [imei(1), "xiaomi-11", "2021-01-10", "2021-02-11", "screen", "refused"],
        [imei(2), "xiaomi-11", "2021-01-25", "2021-02-20", "wifi", "repair"],
        [imei(3), "xiaomi-11", "2021-02-03", "2021-02-28", "screen", "refund"],
        [imei(4), "xiaomi-11", "2020-12-15", "2021-01-05", "screen", "repair"],
        [imei(5), "xiaomi-11", "2021-02-10", "2021-03-15", "screen", "repair"],
    ]
    service = write_csv(folder / "service.csv", SERVICE, [r + ["", "1", "false", "", "", ""] for r in rows])
    sales = write_csv(folder / "sales.csv", ["product", "month", "units", "region", "channel"],
                      [["xiaomi-11", "2021-01", "600", "广东", "online"],
                       ["xiaomi-11", "2021-01", "400", "北京", "offline"],
                       ["xiaomi-11", "2021-02", "500", "广东", "online"],
                       ["xiaomi-11", "2021-03", "200", "广东", "online"]])
    ingest_file(store, service)
    ingest_file(store, sales)
    return store


@pytest.fixture
def small_store(store, tmp_path):
    return build_small_store(store, tmp_path)


def _counts(claims, units, last, as_of=None):
    claims = pd.DataFrame(claims, columns=["sales_month", "claim_month", "claims"])
    units = pd.DataFrame(units, columns=["sales_month", "units"])
    return WarrantyCounts("p", None, as_of or last, last, claims, units)


def test_cells_and_rates_by_age_by_hand():
    jan, feb, mar = date(2021, 1, 1), date(2021, 2, 1), date(2021, 3, 1)
    claims = [(jan, jan, 2), (jan, feb, 3), (jan, mar, 4), (feb, mar, 1), (None, feb, 7), (date(2020, 12, 1), jan, 5)]
    counts = _counts(claims, [(jan, 1000), (feb, 500), (mar, 250)], mar)
    table = nevada_table(counts)
    cells = table.cells
    assert cells[["sales_month", "months_in_service", "units", "claims"]].values.tolist() == [
        [jan, 0, 1000, 2], [jan, 1, 1000, 3], [jan, 2, 1000, 4], [feb, 0, 500, 0], [feb, 1, 500, 1], [mar, 0, 250, 0]]
    assert cells["claims_per_1000"].tolist() == pytest.approx([2, 3, 4, 0, 2, 0])
    # By age: age 0 pools all three cohorts, age 1 the two observed through it, age 2 January only.
    by_age = table.by_age
    assert by_age["units"].tolist() == [1750, 1500, 1000]
    assert by_age["claims"].tolist() == [2, 4, 4]
    assert by_age["claims_per_1000"].tolist() == pytest.approx([2 / 1.75, 4 / 1.5, 4.0])
    lower, upper = poisson_interval(np.array([2, 4, 4]))
    assert by_age["upper"].tolist() == pytest.approx((1000 * upper / [1750, 1500, 1000]).tolist())
    assert table.unmatched_claims == 5
    assert table.excluded_claims == {"no_sales_row": 5, "no_purchase_date": 7, "before_sale": 0,
                                     "after_warranty": 0, "outside_shown_cohorts": 0}
    assert table.matrix().loc[feb].tolist()[:2] == [0.0, 2.0] and np.isnan(table.matrix().loc[mar, 1])


def test_warranty_months_and_latest_sales_months():
    jan, feb, mar = date(2021, 1, 1), date(2021, 2, 1), date(2021, 3, 1)
    counts = _counts([(jan, jan, 2), (jan, feb, 3), (jan, mar, 4), (feb, mar, 1)], [(jan, 1000), (feb, 500)], mar)
    limited = nevada_table(counts, warranty_months=2)
    assert limited.cells["months_in_service"].max() == 1
    assert limited.excluded_claims["after_warranty"] == 4 and limited.cells["claims"].sum() == 6
    latest = nevada_table(counts, sales_months=1)
    assert latest.cells["sales_month"].unique().tolist() == [feb]
    assert latest.excluded_claims["outside_shown_cohorts"] == 9 and latest.by_age["claims"].tolist() == [0, 1]
    with pytest.raises(InputError, match="warranty_months"):
        nevada_table(counts, warranty_months=0)


def test_garwood_interval_matches_the_poisson_distribution():
    """Independent source: the defining tail equations under scipy.stats.poisson, and the
    classic table values (Garwood 1936; e.g. Ulm 1990, Am J Epidemiol 131:373) for y = 0 and 5."""
    y = np.array([1, 2, 5, 17, 120])
    lower, upper = poisson_interval(y, alpha=0.05)
    assert stats.poisson.sf(y - 1, lower) == pytest.approx(np.full(5, 0.025), rel=1e-8)   # P(Y >= y | L)
    assert stats.poisson.cdf(y, upper) == pytest.approx(np.full(5, 0.025), rel=1e-8)      # P(Y <= y | U)
    lo, up = poisson_interval(np.array([0, 5]))
    assert lo[0] == 0 and up[0] == pytest.approx(3.689, abs=1e-3)
    assert (lo[1], up[1]) == (pytest.approx(1.6235, abs=1e-4), pytest.approx(11.6683, abs=1e-4))


def test_calendar_helpers():
    assert last_complete_month(date(2022, 6, 30)) == date(2022, 6, 1)
    assert last_complete_month(date(2022, 6, 29)) == date(2022, 5, 1)
    assert last_complete_month(date(2024, 2, 29)) == date(2024, 2, 1)
    assert last_complete_month(date(2022, 1, 5)) == date(2021, 12, 1)
    assert months_between(date(2021, 11, 30), date(2022, 2, 1)) == 3


def test_store_query_counts_claims_by_cohort(small_store):
    with small_store.reader() as con:
        counts = warranty_counts(con, "xiaomi-11")
        table = nevada_for_store(con, "xiaomi-11")
        wifi = nevada_for_store(con, "xiaomi-11", mode="wifi")
        march = nevada_for_store(con, "xiaomi-11", as_of="2021-03-31")
    jan, feb = date(2021, 1, 1), date(2021, 2, 1)
    # Default as_of: the latest event, 2021-03-15; March is incomplete, so it is dropped with its sales.
    assert counts.as_of == date(2021, 3, 15) and counts.last_month == feb
    assert counts.units.values.tolist() == [[jan, 1000], [feb, 500]]
    assert table.cells[["sales_month", "months_in_service", "units", "claims"]].values.tolist() == [
        [jan, 0, 1000, 1], [jan, 1, 1000, 2], [feb, 0, 500, 1]]
    assert table.unmatched_claims == 1                       # device 4, sold in a month with no sales row
    assert wifi.cells["claims"].tolist() == [0, 1, 0]
    assert march.cells["claims"].tolist() == [1, 2, 0, 1, 1, 0]   # Jan ages 0-2, Feb 0-1 (device 5), Mar 0
    assert march.cells["units"].tolist()[-1] == 200


def test_store_query_rejects_unknown_product_mode_and_dates(small_store):
    with small_store.reader() as con:
        with pytest.raises(InputError, match="unknown product 'xiaomi-99'.*closest known ids: .*xiaomi-11"):
            warranty_counts(con, "xiaomi-99")
        with pytest.raises(InputError, match="unknown failure mode 'wfi'.*closest known ids: wifi"):
            warranty_counts(con, "xiaomi-11", mode="wfi")
        with pytest.raises(InputError, match="YYYY-MM-DD"):
            warranty_counts(con, "xiaomi-11", as_of="March 2021")
