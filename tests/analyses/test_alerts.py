"""Alerts keep one id per signal across scans; their lifecycle is append-only."""

from __future__ import annotations

from datetime import date

import pytest

from defectradar.analyses.alerts import list_alerts, record_signals, show_alert, transition
from defectradar.errors import InputError
from defectradar.signals.alerts import Signal


def _signal(period=date(2021, 3, 1), statistic=5.0, method="ears-c3", mode="wifi"):
    return Signal("product_mode", "reports", "xiaomi-11", mode, method, period, statistic, 3.0,
                  {"counts": [1, 2, 9], "reports": ["r1", "r2"]})


def test_same_signal_keeps_one_alert_across_scans(store):
    store.migrate()
    with store.writer() as con:
        first = record_signals(con, [_signal()], date(2021, 3, 7))
    with store.writer() as con:
        same = record_signals(con, [_signal()], date(2021, 3, 7))
    with store.writer() as con:
        later = record_signals(con, [_signal(date(2021, 3, 8), 7.0), _signal(date(2021, 3, 8), 2.0, "cusum")],
                               date(2021, 3, 14))
    assert len(first.raised) == 1 and same.unchanged == first.raised and later.updated == first.raised
    with store.reader() as con:
        rows = list_alerts(con)
        detail = show_alert(con, first.raised[0][:6])
    # Every method keeps its evidence: one event per method and scan (issue 13).
    assert len(rows) == 1 and rows[0]["status"] == "new" and rows[0]["evidence_count"] == 3
    assert rows[0]["last_method"] == "ears-c3" and rows[0]["last_statistic"] == 7.0       # the stronger method
    assert [e["method"] for e in rows[0]["latest_evidence"]] == ["cusum", "ears-c3"]     # strongest last
    assert [e["kind"] for e in detail["events"]] == ["raised", "evidence", "evidence"]
    assert detail["last_evidence"]["reports"] == ["r1", "r2"]


def test_lifecycle_and_reopening(store):
    store.migrate()
    with store.writer() as con:
        alert = record_signals(con, [_signal()], date(2021, 3, 7)).raised[0]
    assert transition(store, alert, "acknowledged", "li", "seen")["to"] == "acknowledged"
    assert transition(store, alert[:8], "investigating", "li")["to"] == "investigating"
    with pytest.raises(InputError, match="cannot be acknowledged"):
        transition(store, alert, "acknowledged", "li")
    transition(store, alert, "closed", "wang", "supplier fixed the batch")
    with store.writer() as con:
        again = record_signals(con, [_signal(date(2021, 6, 1))], date(2021, 6, 6))
    assert again.reopened == [alert]
    with store.reader() as con:
        detail = show_alert(con, alert)
    assert [e["kind"] for e in detail["events"]] == ["raised", "acknowledged", "investigating", "closed", "reopened"]
    assert detail["status"] == "new" and detail["events"][3]["reason"] == "supplier fixed the batch"
    with pytest.raises(InputError, match="no alert"):
        transition(store, "ffff", "closed", "li")
    with pytest.raises(InputError, match="unknown action"):
        transition(store, alert, "explode", "li")
