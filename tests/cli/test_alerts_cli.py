"""``defectradar alerts`` and ``signals scan`` through the shell on a small real store (issue 13):
every method's evidence kept, first_seen the earliest alarm, statistics beside their own
thresholds, ``--status open``, and the reports behind an alert printed literally."""

from __future__ import annotations

import json
import re
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from defectradar.analyses.alerts import record_signals
from defectradar.cli.app import app
from defectradar.signals.alerts import Signal
from defectradar.store import writer

runner = CliRunner()
START = date(2024, 1, 1)                       # a Monday
WEEKS = 30
AS_OF = START + timedelta(weeks=WEEKS) - timedelta(days=1)        # 2024-07-28, a Sunday
GLR_WEEK = START + timedelta(weeks=WEEKS - 3)                     # the spike's first week, 2024-07-08
SCAN_WEEK = START + timedelta(weeks=WEEKS - 1)                    # disproportionality's period, 2024-07-22
HOSTILE = "ELECTRICAL SYSTEM:BATTERY:CABLES melted [bold]x[/] :battery:"


def add_reports(store, rows) -> None:
    """rows: (report_id, created_at, product_id, failure_modes[, text])."""
    table = pa.table({
        "report_id": pa.array([r[0] for r in rows], pa.string()),
        "source": pa.array(["forum"] * len(rows), pa.string()),
        "source_type": pa.array(["csv"] * len(rows), pa.string()),
        "created_at": pa.array([r[1] for r in rows], pa.timestamp("us")),
        "text": pa.array([r[4] if len(r) > 4 else f"complaint {r[0]}" for r in rows], pa.string()),
        "product_id": pa.array([r[2] for r in rows], pa.string()),
        "failure_modes": pa.array([r[3] for r in rows], pa.list_(pa.string())),
        "ingest_run": pa.array(["run"] * len(rows), pa.string()),
        "ingested_at": pa.array([datetime(2024, 9, 1)] * len(rows), pa.timestamp("us")),
    })
    with store.writer() as con:
        writer.append(con, "reports", table)


def spike_world() -> list[tuple]:
    """30 weeks of complaints about 8 products x 5 modes; p1 / wifi, reported every other week
    and far more than other products' wifi, jumps to 8 a week in the last 3 weeks.  A scan as
    of the last day finds both a GLR alarm (week 27) and a disproportionality signal."""
    rows, n = [], 0
    products, modes = [f"p{i}" for i in range(1, 9)], ["wifi", "battery", "screen", "audio", "camera"]
    for w in range(WEEKS):
        day = datetime.combine(START + timedelta(weeks=w), datetime.min.time()) + timedelta(hours=10)
        for pi, product in enumerate(products):
            for mi, mode in enumerate(modes):
                if (product, mode) == ("p1", "wifi"):
                    k = 8 if w >= WEEKS - 3 else (1 if w % 2 == 0 else 0)
                elif mode == "wifi":
                    k = 0 if (w + pi) % 6 else 1
                else:
                    k = 0 if (w + pi + mi) % 2 else 1
                for j in range(k):
                    n += 1
                    text = HOSTILE if (product, mode, w, j) == ("p1", "wifi", WEEKS - 1, 0) else f"complaint {n}"
                    rows.append((f"r{n:04d}", day + timedelta(hours=j + mi), product, [mode], text))
    return rows


@pytest.fixture
def spike_store(store):
    add_reports(store, spike_world())
    return store


# These tests are about alerts and GLR's evidence, written when the scan's default was Poisson GLR
# at a fixed c_arl 6 with a floor of 2; the config keeps that (the calibrated default has tests of
# its own in tests/signals/test_scan_calibration.py).
GLR_CONFIG = Path(tempfile.mkdtemp(prefix="alerts-cli-")) / "glr.yaml"
GLR_CONFIG.write_text("methods: [glr-poisson]\ncalibrate_thresholds: false\nmin_last: 2\nemerging_terms: false\n"
                      "known_issues: false\n",
                      encoding="utf-8")


def _run(store, *args):
    extra = ["--config", str(GLR_CONFIG)] if list(args[:2]) == ["signals", "scan"] else []
    return runner.invoke(app, [*map(str, args), *extra, "--db", store.path], env={"COLUMNS": "250"})


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _p1_wifi(store) -> dict:
    rows = _json(_run(store, "alerts", "list", "--json"))
    return next(r for r in rows if (r["product_id"], r["failure_mode"], r["source"]) == ("p1", "wifi", "reports"))


def test_every_method_keeps_its_evidence_and_first_seen_is_the_earliest(spike_store):
    scanned = _json(_run(spike_store, "signals", "scan", "--as-of", AS_OF, "--json"))
    methods = {s["method"] for s in scanned["signals"] if (s["product_id"], s["failure_mode"]) == ("p1", "wifi")}
    assert methods == {"glr-poisson", "disproportionality"}
    alert = _p1_wifi(spike_store)
    shown = _json(_run(spike_store, "alerts", "show", alert["alert_id"], "--json"))
    by_method = {e["method"]: e for e in shown["events"]}
    assert set(by_method) == {"glr-poisson", "disproportionality"}          # both kept, one event each
    assert by_method["glr-poisson"]["evidence"]["period"] == GLR_WEEK.isoformat()
    assert by_method["disproportionality"]["evidence"]["period"] == SCAN_WEEK.isoformat()
    assert shown["first_seen"] == alert["first_seen"] == GLR_WEEK.isoformat()      # not the later week
    assert {e["method"] for e in shown["latest_evidence"]} == {"glr-poisson", "disproportionality"}
    # The same scan again adds nothing; its evidence is unchanged per method.
    again = _json(_run(spike_store, "signals", "scan", "--as-of", AS_OF, "--json"))
    assert alert["alert_id"] in again["unchanged"] and alert["alert_id"] not in again["updated"]
    assert len(_json(_run(spike_store, "alerts", "show", alert["alert_id"], "--json"))["events"]) == 2


def test_an_existing_alert_learns_an_earlier_first_seen(spike_store):
    """A store written before the fix kept only disproportionality's (later) week as first_seen;
    the next scan records GLR's earlier alarm as an event and the alert reports it."""
    old = Signal("product_mode", "reports", "p1", "wifi", "disproportionality", SCAN_WEEK, 2.5, 2.0,
                 {"n": 37, "expected": 10.0, "eb05": 2.5})
    with spike_store.writer() as con:
        record_signals(con, [old], AS_OF)
        con.execute("UPDATE alert_events SET evidence = json_object('n', 37, 'expected', 10.0, 'eb05', 2.5)")
    before = _p1_wifi(spike_store)
    assert before["first_seen"] == SCAN_WEEK.isoformat()
    _json(_run(spike_store, "signals", "scan", "--as-of", AS_OF, "--json"))
    after = _p1_wifi(spike_store)
    assert after["first_seen"] == GLR_WEEK.isoformat()
    shown = _json(_run(spike_store, "alerts", "show", after["alert_id"], "--json"))
    earlier = [e for e in shown["events"] if e["method"] == "glr-poisson"]
    assert earlier and "earlier than first seen" in earlier[0]["reason"]
    with spike_store.reader() as con:            # the alerts table itself is written once
        assert con.execute("SELECT first_seen FROM alerts WHERE alert_id = ?",
                           [after["alert_id"]]).fetchone()[0] == SCAN_WEEK


def test_each_statistic_is_printed_beside_its_own_threshold(spike_store):
    scanned = _json(_run(spike_store, "signals", "scan", "--as-of", AS_OF, "--json"))
    glr = next(s for s in scanned["signals"] if s["method"] == "glr-poisson" and s["product_id"] == "p1")
    # The source is fixed: GLR's threshold is c_arl (6 in the default scan), its count threshold is kept apart.
    assert glr["threshold"] == 6.0 and glr["statistic"] >= 6.0
    assert glr["evidence"]["rule"] == {"statistic": "GLR", "op": ">=", "threshold": 6, "meaning": "log-likelihood ratio"}
    assert glr["evidence"]["count_threshold"] <= glr["evidence"]["count"]
    disprop = next(s for s in scanned["signals"] if s["method"] == "disproportionality")
    assert disprop["threshold"] == 2.0 and disprop["evidence"]["rule"]["statistic"] == "EB05"

    alert = _p1_wifi(spike_store)
    listed = _run(spike_store, "alerts", "list")
    shown = _run(spike_store, "alerts", "show", alert["alert_id"])
    scan_text = _run(spike_store, "signals", "scan", "--as-of", AS_OF)
    for result in (listed, shown, scan_text):
        assert result.exit_code == 0, result.output
        text = " ".join(result.output.split())
        assert re.search(r"GLR \d+(\.\d)? ≥ 6\b", text), text
        assert re.search(r"EB05 \d\.\d\d ≥ 2", text), text
        assert not re.search(r"\d\.\d{4,}|e[+-]\d\d", text), text          # rounded for people
        assert f"{glr['statistic']:.2f} / " not in text                      # the old "13.34 / 67.00"
    assert "observed vs" in " ".join(shown.output.split())
    assert "GLR" in shown.output and "(log-likelihood ratio)" in shown.output       # named, in full, by show


def test_list_status_open_means_every_status_but_closed(spike_store):
    _json(_run(spike_store, "signals", "scan", "--as-of", AS_OF, "--json"))
    with spike_store.writer() as con:               # two more alerts, for two more statuses
        record_signals(con, [Signal("product_mode", "reports", p, "screen", "ears-c3", SCAN_WEEK, 3.0, 1.96)
                             for p in ("p2", "p3")], AS_OF)
    alerts = _json(_run(spike_store, "alerts", "list", "--json"))
    assert len(alerts) == 3
    closed, acked = alerts[0]["alert_id"], alerts[1]["alert_id"]
    assert _run(spike_store, "alerts", "close", closed, "--by", "qa").exit_code == 0
    assert _run(spike_store, "alerts", "ack", acked, "--by", "qa").exit_code == 0
    open_ = _json(_run(spike_store, "alerts", "list", "--status", "open", "--json"))
    assert {r["alert_id"] for r in open_} == {r["alert_id"] for r in alerts} - {closed}
    assert {r["status"] for r in open_} == {"new", "acknowledged"}
    assert [r["alert_id"] for r in _json(_run(spike_store, "alerts", "list", "--status", "closed", "--json"))] \
        == [closed]
    bad = _run(spike_store, "alerts", "list", "--status", "opened")
    assert bad.exit_code == 2 and "open (every status but closed)" in bad.output and "Traceback" not in bad.output


def test_show_reports_prints_the_texts_literally(spike_store):
    _json(_run(spike_store, "signals", "scan", "--as-of", AS_OF, "--json"))
    alert = _p1_wifi(spike_store)["alert_id"]
    shown = _run(spike_store, "alerts", "show", alert[:8], "--reports", "--limit", "30")
    assert shown.exit_code == 0, shown.output
    flat = shown.output.replace("\n", " ")
    assert "[bold]x[/]" in flat and ":battery:" in flat and "🔋" not in flat
    assert "ELECTRICAL SYSTEM:BATTERY:CABLES" in flat and "forum" in shown.output and "wifi" in shown.output

    data = _json(_run(spike_store, "alerts", "show", alert, "--reports", "--limit", "3", "--json"))
    assert len(data["reports"]) == 3
    assert set(data["reports"][0]) >= {"id", "text", "created_at", "source", "product_id", "failure_modes"}
    assert all(r["product_id"] == "p1" and "wifi" in r["failure_modes"] for r in data["reports"])
    every = _json(_run(spike_store, "alerts", "show", alert, "--reports", "--limit", "200", "--json"))["reports"]
    assert HOSTILE in {r["text"] for r in every}
    assert "reports" not in _json(_run(spike_store, "alerts", "show", alert, "--json"))   # only when asked
    assert "--reports" in _run(spike_store, "alerts", "show", alert).output               # and it says how

    bad = _run(spike_store, "alerts", "show", alert, "--reports", "--limit", "0")
    assert bad.exit_code != 0 and "--limit" in bad.output and "Traceback" not in bad.output
    missing = _run(spike_store, "alerts", "show", "ffffffff", "--reports")
    assert missing.exit_code == 2 and "no alert" in missing.output and "Traceback" not in missing.output


def test_markup_in_product_and_actor_is_printed_literally(store):
    odd = Signal("product_mode", "reports", "[red]p9[/]", ":fire:", "glr-poisson", date(2024, 3, 4), 7.0, 6.0,
                 {"rule": {"statistic": "GLR", "op": ">=", "threshold": 6.0, "meaning": "log-likelihood ratio"},
                  "count": 5.0, "expected": 1.25, "count_threshold": 4.0})
    store.migrate()
    with store.writer() as con:
        key = record_signals(con, [odd], date(2024, 3, 10)).raised[0]
    acted = _run(store, "alerts", "ack", key, "--by", "[b]li[/] :smile:")
    assert acted.exit_code == 0 and "[b]li[/] :smile:" in acted.output
    for result in (_run(store, "alerts", "list"), _run(store, "alerts", "show", key)):
        assert result.exit_code == 0, result.output
        assert "[red]p9[/]" in result.output and ":fire:" in result.output and "🔥" not in result.output
        assert "GLR 7 ≥ 6" in result.output and "5 observed vs 1.25 expected (alarm at 4)" in \
            " ".join(result.output.split())


PHONES = ["Xiaomi 11", "Xiaomi 11 Pro", "Xiaomi 11 Ultra", "Xiaomi 12", "Xiaomi 10", "Redmi K40", "Redmi Note 8",
          "Huawei P40"]
MODE_TEXTS = {"wifi": "wifi keeps dropping", "battery": "battery drains fast", "screen": "screen flickers green",
              "audio": "speaker crackles, no sound", "camera": "camera takes blurry photos"}
PERSONAL = "wifi drops again; call me on 13812345678 or mail li.wei@example.com [bold]x[/] :battery:"


def test_show_reports_after_ingest_prints_tokens_not_personal_data(store, tmp_path):
    """The same world written as a CSV and ingested through the shell: the reports an alert
    shows are the stored ones, whose phone numbers and e-mail addresses ingest replaced."""
    rows = []
    for rid, created, product, modes, text in spike_world():
        phone = PHONES[int(product[1:]) - 1]
        rows.append({"id": rid, "date": created.isoformat(), "product": phone,
                     "text": PERSONAL if text == HOSTILE else MODE_TEXTS[modes[0]]})
    path = tmp_path / "complaints.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    ingested = _run(store, "ingest", path)
    assert ingested.exit_code == 0, ingested.output
    assert _run(store, "signals", "scan", "--as-of", AS_OF, "--json").exit_code == 0
    alerts = _json(_run(store, "alerts", "list", "--status", "open", "--json"))
    alert = next(a for a in alerts if a["product_id"].endswith("xiaomi-11") and a["failure_mode"] == "wifi")
    shown = _run(store, "alerts", "show", alert["alert_id"], "--reports", "--limit", "50")
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.split())
    assert "wifi drops again" in flat and "[bold]x[/]" in flat and ":battery:" in flat and "🔋" not in flat
    assert "13812345678" not in flat and "li.wei@example.com" not in flat
    data = _json(_run(store, "alerts", "show", alert["alert_id"], "--reports", "--limit", "50", "--json"))
    stored = next(r["text"] for r in data["reports"] if r["text"].startswith("wifi drops again"))
    assert "13812345678" not in stored and "li.wei@example.com" not in stored
    assert stored != PERSONAL and stored.endswith("[bold]x[/] :battery:")
