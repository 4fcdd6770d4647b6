"""After-sales records and monthly sales: devices, events and exposure."""

from __future__ import annotations

import json

from defectradar.ingest.pipeline import ingest_file

SERVICE = ["device_id", "product", "purchase_date", "event_date", "fault", "action", "parts",
           "days_out_of_service", "data_wiped", "center", "region", "customer_phone"]


def test_service_records_make_devices_and_events(store, csv_file, query):
    path = csv_file(SERVICE, [
        ["490154203237518", "小米11", "2021-03-01", "2021-09-10", "WiFi无法打开", "维修", "mainboard;wifi module",
         "7", "是", "北京朝阳服务中心", "北京", "13812345678"],
        ["49-015420-323751-8", "Xiaomi 11", "2021-03-01", "2022-01-05", "wifi", "exchange", "", "1", "false",
         "北京朝阳服务中心", "北京", "13812345678"],
        ["356938035643809", "iPhone 13", "2021-10-01", "2021-09-01", "screen", "repair", "", "", "", "", "", ""],
        ["356938035643809", "iPhone 13", "2021-10-01", "2022-01-01", "screen", "fixed it", "", "", "", "", "", ""],
        ["", "iPhone 13", "2021-10-01", "2022-01-01", "screen", "repair", "", "", "", "", "", ""],
        ["356938035643809", "iPhone 13", "2021-10-01", "2022-01-03", "screen", "repair", "", "-2", "maybe", "", "", ""],
    ], name="service.csv")
    result = ingest_file(store, path)
    assert result.source_type == "service-records"
    assert (result.rows_read, result.rows_inserted, result.rows_quarantined) == (6, 2, 4)
    events = query("SELECT * FROM service_events ORDER BY date")
    assert [e["action"] for e in events] == ["repair", "replace"]
    assert events[0]["device_token"] == events[1]["device_token"]       # same IMEI written two ways
    assert events[0]["parts"] == ["mainboard", "wifi module"] and events[0]["data_wiped"] is True
    assert [e["failure_mode"] for e in events] == ["wifi", "wifi"]   # an id, and a fault text read by the rules
    assert events[0]["product_id"] == "xiaomi-11"
    assert json.loads(events[0]["extra"])["customer_phone"].startswith("tel_")
    devices = query("SELECT * FROM devices")
    assert len(devices) == 1 and str(devices[0]["purchase_date"]) == "2021-03-01"
    reasons = sorted(r["reason"] for r in query("SELECT reason FROM quarantine"))
    assert any("before purchase_date" in r for r in reasons)
    assert any("not one of inspect, repair, replace, refund, refused" in r for r in reasons)
    assert "device_id is empty" in reasons
    assert any("below 0" in r or "yes/no" in r for r in reasons)
    assert ingest_file(store, path, force=True).rows_inserted == 0


def test_sales_and_corrections(store, csv_file, query):
    first = csv_file(["product", "month", "units", "region"],
                     [["小米11", "2021-01", "120,000", "广东"], ["小米11", "2021年2月", "80000", "广东"],
                      ["小米11", "2021-13", "5", "广东"], ["小米11", "2021-03", "-4", "广东"]], name="sales.csv")
    result = ingest_file(store, first)
    assert (result.source_type, result.rows_inserted, result.rows_quarantined) == ("sales", 2, 2)
    corrected = csv_file(["product", "month", "units", "region"], [["小米11", "2021-01", "125000", "广东"]],
                         name="sales_fix.csv")
    ingest_file(store, corrected)
    current = query("SELECT month, units FROM sales_current ORDER BY month")
    assert [(str(r["month"]), r["units"]) for r in current] == [("2021-01-01", 125000), ("2021-02-01", 80000)]
    assert query("SELECT count(*) n FROM sales")[0]["n"] == 3                # history kept
    assert query("SELECT DISTINCT product_id FROM sales")[0]["product_id"] == "xiaomi-11"
