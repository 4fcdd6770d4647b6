"""Report count series and exposure from a real store: counts, zero fill, unnesting, as_of,
ISO weeks, effective labels and units-in-service arithmetic."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest

from defectradar.core.dates import period_start
from defectradar.errors import InputError
from defectradar.ingest.pipeline import ingest_file
from defectradar.query.series import exposure_series, report_series, series_for_store
from defectradar.store import writer

NOW = datetime(2024, 6, 1)


def add_reports(store, rows):
    """rows: (report_id, created_at, product_id, failure_modes[, source])."""
    table = pa.table({
        "report_id": pa.array([r[0] for r in rows], pa.string()),
        "source": pa.array([r[4] if len(r) > 4 else "csv" for r in rows], pa.string()),
        "source_type": pa.array(["csv"] * len(rows), pa.string()),
        "created_at": pa.array([r[1] for r in rows], pa.timestamp("us")),
        "text": pa.array(["text"] * len(rows), pa.string()),
        "product_id": pa.array([r[2] for r in rows], pa.string()),
        "failure_modes": pa.array([r[3] for r in rows], pa.list_(pa.string())),
        "ingest_run": pa.array(["run"] * len(rows), pa.string()),
        "ingested_at": pa.array([NOW] * len(rows), pa.timestamp("us")),
    })
    with store.writer() as con:
        writer.append(con, "reports", table)


def add_sales(store, rows, ingested_at=NOW):
    """rows: (sales_id, product_id, month, units, region)."""
    table = pa.table({
        "sales_id": pa.array([r[0] for r in rows], pa.string()),
        "product_raw": pa.array([r[1] for r in rows], pa.string()),
        "product_id": pa.array([r[1] for r in rows], pa.string()),
        "month": pa.array([r[2] for r in rows], pa.date32()),
        "region": pa.array([r[4] for r in rows], pa.string()),
        "units": pa.array([r[3] for r in rows], pa.int64()),
        "source": pa.array(["sales"] * len(rows), pa.string()),
        "ingest_run": pa.array(["run"] * len(rows), pa.string()),
        "ingested_at": pa.array([ingested_at] * len(rows), pa.timestamp("us")),
    })
    with store.writer() as con:
        writer.append(con, "sales", table)


def as_dicts(frame):
    return frame.to_dict("records")


def test_ingested_reports_count_per_day_with_zero_fill(store, csv_file):
    path = csv_file(["id", "created_at", "author", "product", "text"], [
        ["1", "2024-03-01 10:00:00", "a", "小米11", "wifi 断了"],
        ["2", "2024-03-01 18:00:00", "b", "小米11", "wifi again"],
        ["3", "2024-03-04 09:00:00", "c", "小米11", "screen"],
        ["4", "2024-03-02 09:00:00", "d", "Mi 11 Pro", "battery"],
    ])
    assert ingest_file(store, path, classifier=False, tz="UTC").rows_inserted == 4
    with store.reader() as con:
        frame = report_series(con, freq="day", by=("product",))
    rows = {(r["product_id"], r["period"]): r["reports"] for r in as_dicts(frame)}
    days = [date(2024, 3, d) for d in (1, 2, 3, 4)]
    assert [rows[("xiaomi-11", d)] for d in days] == [2, 0, 0, 1]
    assert [rows[("xiaomi-11-pro", d)] for d in days] == [0, 1, 0, 0]
    assert len(rows) == 8                       # both products share one calendar


def test_modes_are_unnested_and_each_report_counts_once_per_mode(store):
    add_reports(store, [
        ("r1", datetime(2024, 3, 1, 9), "p1", ["wifi", "battery"]),
        ("r2", datetime(2024, 3, 1, 10), "p1", ["wifi", "wifi"]),       # a repeated mode counts once
        ("r3", datetime(2024, 3, 2, 10), "p1", []),                      # no mode: not in mode series
        ("r4", datetime(2024, 3, 2, 11), "p1", None),
        ("r5", datetime(2024, 3, 3, 11), "p2", ["battery"]),
    ])
    with store.reader() as con:
        by_mode = report_series(con, freq="day", by=("product", "mode"))
        by_product = report_series(con, freq="day", by=("product",))
        wifi_only = report_series(con, freq="day", by=("product",), mode="wifi")
    counts = {(r["product_id"], r["failure_mode"], r["period"]): r["reports"] for r in as_dicts(by_mode)}
    assert counts[("p1", "wifi", date(2024, 3, 1))] == 2
    assert counts[("p1", "battery", date(2024, 3, 1))] == 1
    assert counts[("p2", "battery", date(2024, 3, 3))] == 1
    assert {(p, m) for p, m, _ in counts} == {("p1", "wifi"), ("p1", "battery"), ("p2", "battery")}
    assert sum(counts.values()) == 4
    assert by_product.groupby("product_id")["reports"].sum().to_dict() == {"p1": 4, "p2": 1}
    assert wifi_only[["product_id", "reports"]].values.tolist() == [["p1", 2]]   # r1 and r2 on 1 March


def test_as_of_cuts_at_the_end_of_the_day_and_extends_the_calendar(store):
    add_reports(store, [
        ("a", datetime(2024, 3, 1, 12), "p1", ["wifi"]),
        ("b", datetime(2024, 3, 5, 23, 59, 59), "p1", ["wifi"]),
        ("c", datetime(2024, 3, 6, 0, 0, 0), "p1", ["wifi"]),
    ])
    with store.reader() as con:
        cut = report_series(con, freq="day", by=("product",), as_of=date(2024, 3, 5))
        later = report_series(con, freq="day", by=("product",), as_of="2024-03-09")
    assert cut["period"].tolist() == [date(2024, 3, d) for d in range(1, 6)]
    assert cut["reports"].tolist() == [1, 0, 0, 0, 1]
    assert later["period"].iloc[-1] == date(2024, 3, 9) and later["reports"].sum() == 3


def test_weeks_start_on_monday(store):
    # 2024-03-03 is a Sunday, 2024-03-04 a Monday.
    add_reports(store, [
        ("a", datetime(2024, 2, 26, 0, 0), "p1", ["wifi"]),
        ("b", datetime(2024, 3, 3, 23, 0), "p1", ["wifi"]),
        ("c", datetime(2024, 3, 4, 0, 0), "p1", ["wifi"]),
        ("d", datetime(2024, 3, 20, 8, 0), "p1", ["wifi"]),
    ])
    with store.reader() as con:
        weekly = report_series(con, freq="week", by=())
    assert weekly["period"].tolist() == [date(2024, 2, 26), date(2024, 3, 4), date(2024, 3, 11), date(2024, 3, 18)]
    assert all(p.isoweekday() == 1 for p in weekly["period"])
    assert weekly["reports"].tolist() == [2, 1, 0, 1]


def test_start_source_and_month_options(store):
    add_reports(store, [
        ("a", datetime(2024, 1, 15), "p1", ["wifi"], "weibo"),
        ("b", datetime(2024, 2, 10), "p1", ["wifi"], "weibo"),
        ("c", datetime(2024, 2, 11), "p1", ["wifi"], "heimao"),
        ("d", datetime(2024, 4, 1), "p1", ["wifi"], "weibo"),
    ])
    with store.reader() as con:
        monthly = report_series(con, freq="month", by=("source",), start="2024-02-20")
        weibo = report_series(con, freq="month", by=(), source="weibo")
    rows = {(r["source"], r["period"]): r["reports"] for r in as_dicts(monthly)}
    assert rows == {("heimao", date(2024, 2, 1)): 1, ("heimao", date(2024, 3, 1)): 0, ("heimao", date(2024, 4, 1)): 0,
                    ("weibo", date(2024, 2, 1)): 1, ("weibo", date(2024, 3, 1)): 0, ("weibo", date(2024, 4, 1)): 1}
    assert weibo["reports"].tolist() == [1, 1, 0, 1]


def test_series_read_the_effective_labels(store):
    add_reports(store, [("a", datetime(2024, 3, 1), "p1", ["wifi"]), ("b", datetime(2024, 3, 1), "p1", ["wifi"])])
    with store.writer() as con:
        con.execute("INSERT INTO label_events VALUES ('e1', 'a', 'failure_modes', ?, 'ana', NULL, ?)",
                    [json.dumps(["screen"]), NOW])
    with store.reader() as con:
        frame = report_series(con, freq="day", by=("mode",))
    assert dict(zip(frame["failure_mode"], frame["reports"])) == {"screen": 1, "wifi": 1}


def test_counts_match_a_plain_python_count(store, seed):
    rng = random.Random(seed)
    rows = []
    for i in range(300):
        created = datetime(2024, 1, 1) + timedelta(minutes=rng.randrange(60 * 24 * 70))
        modes = rng.sample(["wifi", "battery", "screen"], rng.randrange(0, 3))
        rows.append((f"r{i}", created, rng.choice(["p1", "p2"]), modes))
    add_reports(store, rows)
    as_of = date(2024, 2, 20)
    expected = Counter()
    for _, created, product, modes in rows:
        if created.date() <= as_of:
            for m in set(modes):
                expected[(product, m, period_start(created.date(), "week"))] += 1
    with store.reader() as con:
        frame = report_series(con, freq="week", by=("product", "mode"), as_of=as_of)
    got = {(r["product_id"], r["failure_mode"], r["period"]): r["reports"] for r in as_dicts(frame)}
    assert {k: v for k, v in got.items() if v} == dict(expected)
    assert max(p for _, _, p in got) == period_start(as_of, "week")


def test_exposure_is_units_sold_in_the_service_window(store):
    add_sales(store, [("s1", "p1", date(2024, 1, 1), 100, "north"), ("s2", "p1", date(2024, 2, 1), 30, "north"),
                      ("s3", "p1", date(2024, 2, 1), 20, "south"), ("s4", "p2", date(2024, 1, 1), 999, "north")])
    # A corrected February figure for the north replaces the first (sales_current: latest wins).
    add_sales(store, [("s5", "p1", date(2024, 2, 1), 40, "north")], ingested_at=NOW + timedelta(days=1))
    with store.reader() as con:
        monthly = exposure_series(con, "p1", freq="month", service_months=2)
        weekly = exposure_series(con, "p1", freq="week", as_of="2024-01-31", service_months=2)
        missing = exposure_series(con, "nothing", freq="month")
    assert dict(zip(monthly["period"], monthly["units_in_service"])) == {
        date(2024, 1, 1): 100, date(2024, 2, 1): 160, date(2024, 3, 1): 60}
    # Weeks take the month of their Monday; February sales are not known on 31 January.
    assert weekly["period"].tolist() == [date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 15),
                                         date(2024, 1, 22), date(2024, 1, 29)]
    assert weekly["units_in_service"].tolist() == [100] * 5
    assert missing.empty


def test_exposure_on_given_periods_before_and_after_service(store):
    add_sales(store, [("s1", "p1", date(2024, 3, 1), 10, None), ("s2", "p1", date(2024, 5, 1), 5, None)])
    periods = [date(2024, m, 1) for m in range(1, 10)]
    with store.reader() as con:
        frame = exposure_series(con, "p1", freq="month", service_months=3, periods=periods)
    assert frame["units_in_service"].tolist() == [0, 0, 10, 10, 15, 5, 5, 0, 0]


def test_series_for_store_adds_exposure_where_known(store):
    add_reports(store, [("a", datetime(2024, 3, 4), "p1", ["wifi"]), ("b", datetime(2024, 3, 12), "p1", ["wifi"]),
                        ("c", datetime(2024, 3, 12), "p2", ["wifi"])])
    add_sales(store, [("s1", "p1", date(2024, 2, 1), 500, None), ("s2", "p1", date(2024, 3, 1), 300, None)])
    with store.reader() as con:
        series = series_for_store(con, freq="week", by=("product", "mode"), as_of="2024-03-20")
        total = series_for_store(con, freq="week", by=(), as_of="2024-03-20")
    assert set(series) == {("p1", "wifi"), ("p2", "wifi")}
    p1 = series[("p1", "wifi")]
    assert p1.periods == [date(2024, 3, 4), date(2024, 3, 11), date(2024, 3, 18)]
    assert p1.counts.tolist() == [1, 1, 0] and p1.denominators.tolist() == [800, 800, 800]
    assert p1.freq == "week" and p1.meta["partial_last"] and p1.meta["key"] == {"product_id": "p1",
                                                                                "failure_mode": "wifi"}
    assert series[("p2", "wifi")].denominators is None
    assert total[()].counts.tolist() == [1, 2, 0] and total[()].denominators is None


@pytest.mark.parametrize("kwargs, message", [
    ({"freq": "hour"}, "freq='hour'"),
    ({"by": ("colour",)}, "by='colour'"),
    ({"as_of": "last tuesday"}, "YYYY-MM-DD"),
])
def test_bad_arguments_say_what_is_accepted(store, kwargs, message):
    add_reports(store, [("a", datetime(2024, 3, 4), "p1", ["wifi"])])
    with store.reader() as con, pytest.raises(InputError, match=message):
        report_series(con, **kwargs)


def test_bad_service_months(store):
    add_reports(store, [("a", datetime(2024, 3, 4), "p1", ["wifi"])])
    with store.reader() as con, pytest.raises(InputError, match="service_months"):
        exposure_series(con, "p1", service_months=0)
