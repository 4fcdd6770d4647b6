"""Issue 15 through the shell: the scan's calibrated default, its evidence rules and ranking.

A store of weekly Wi-Fi complaints for five products: p1-p4 with a steady 1-3 a week for 30
weeks; in the last week p1 surges (15 reports by 15 authors), p2 surges as much but from one
author, and p5, a new product with no history, starts with 12 reports by 12 authors.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from tests.signals.test_store_signals_cli import _run

from defectradar.store import writer

START = datetime(2024, 1, 1, 10)
AS_OF = "2024-07-28"          # the Sunday ending week 30


def _add(store, rows) -> None:
    """rows: (report_id, created_at, product_id, author)."""
    n = len(rows)
    table = pa.table({
        "report_id": pa.array([r[0] for r in rows], pa.string()),
        "source": pa.array(["forum"] * n, pa.string()),
        "source_type": pa.array(["csv"] * n, pa.string()),
        "created_at": pa.array([r[1] for r in rows], pa.timestamp("us")),
        "text": pa.array([f"wifi complaint {r[0]}" for r in rows], pa.string()),
        "product_id": pa.array([r[2] for r in rows], pa.string()),
        "failure_modes": pa.array([["wifi"]] * n, pa.list_(pa.string())),
        "author_token": pa.array([r[3] for r in rows], pa.string()),
        "ingest_run": pa.array(["run"] * n, pa.string()),
        "ingested_at": pa.array([datetime(2024, 9, 1)] * n, pa.timestamp("us")),
    })
    with store.writer() as con:
        writer.append(con, "reports", table)


@pytest.fixture
def surges(store):
    rng = np.random.default_rng(4)
    rows = []
    for product in ("p1", "p2", "p3", "p4"):
        for week in range(30):
            for j in range(int(rng.integers(1, 4))):
                rows.append((f"{product}-{week}-{j}", START + timedelta(weeks=week, hours=j), product,
                             f"{product}-author-{week}-{j}"))
    last = START + timedelta(weeks=30)
    rows += [(f"p1-s{j}", last + timedelta(hours=j), "p1", f"p1-surge-{j}") for j in range(15)]
    rows += [(f"p2-s{j}", last + timedelta(hours=j), "p2", "one-angry-owner") for j in range(15)]
    rows += [(f"p5-s{j}", last + timedelta(hours=j), "p5", f"p5-author-{j}") for j in range(12)]
    _add(store, rows)
    return store


def _scan(store, *extra):
    result = _run("signals", "scan", "--as-of", "2024-08-04", "--json", *extra, db=store.path)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_default_scan_is_calibrated_ranked_and_needs_several_authors(surges):
    data = _scan(surges)
    cal = data["calibration"]
    assert cal["false_alarms_per_year"] == 0.1 and cal["min_authors"] == 3 and cal["min_count"] == 3
    assert cal["methods"]["nb-excess"]["calibrated"] is True
    assert cal["implied_false_alarms"] == pytest.approx(0.1 * cal["series_years"], abs=0.01)
    temporal = [s for s in data["signals"] if s["method"] == "nb-excess"]
    found = {s["product_id"] for s in temporal}
    assert "p1" in found and "p5" in found
    assert "p2" not in found                                  # 15 reports, one author: kept out
    assert any("min_authors=3" in n and "p2/wifi" in n for n in data["notes"])
    p1 = next(s for s in temporal if s["product_id"] == "p1")
    assert p1["evidence"]["authors"] == 15 and p1["evidence"]["largest_author_share"] == pytest.approx(1 / 15, abs=1e-3)
    assert p1["evidence"]["false_alarms_per_year"] == 0.1 and p1["evidence"]["tail_probability"] <= 0.1 / 52
    # The new product is scored from the same mode in the other products, and says so.
    p5 = next(s for s in temporal if s["product_id"] == "p5")
    assert "wifi" in p5["evidence"]["prior"]["from"] and p5["evidence"]["prior"]["mean"] > 0
    scores = [s["evidence"].get("score") or 0 for s in data["signals"]]
    assert scores == sorted(scores, reverse=True)              # strongest first
    assert all(s["evidence"]["score"] > 1 for s in temporal)


def test_budget_sets_the_threshold_and_alerts_rank_by_score(surges):
    strict = _scan(surges, "--false-alarms-per-year", "0.01")
    loose = _scan(surges, "--false-alarms-per-year", "20")
    limit = lambda d: d["calibration"]["methods"]["nb-excess"]["threshold"]["value"]  # noqa: E731
    assert limit(strict) > limit(loose)
    assert len(loose["signals"]) >= len(strict["signals"])
    top = _run("alerts", "list", "--top", "1", "--json", db=surges.path)
    assert top.exit_code == 0, top.output
    rows = json.loads(top.stdout)
    everything = json.loads(_run("alerts", "list", "--json", db=surges.path).stdout)
    assert len(rows) == 1 and rows[0]["score"] == max(r["score"] or 0 for r in everything)
    shown = _run("alerts", "list", "--top", "2", db=surges.path)
    assert "strongest first" in shown.output and "score" in shown.output
    bad = _run("signals", "scan", "--false-alarms-per-year", "0", db=surges.path)
    assert bad.exit_code != 0 and "Traceback" not in bad.output


def test_series_without_method_runs_the_scan_default(tmp_path):
    path = tmp_path / "weeks.csv"
    counts = [0] * 10 + [2, 1, 3, 2, 2, 1, 2, 3, 2, 14]
    weeks = [(datetime(2024, 1, 1) + timedelta(weeks=i)).date().isoformat() for i in range(len(counts))]
    path.write_text("week,count\n" + "".join(f"{w},{c}\n" for w, c in zip(weeks, counts)))
    result = _run("signals", "series", path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["method"] == "nb-excess" and data["params"]["false_alarms_per_year"] == 0.1
    assert "own history" in data["prior"]
    assert data["periods"][-1]["alarm"] is True and data["periods"][-1]["meets_floor"] is True
    shown = _run("signals", "series", path)
    assert "prior:" in shown.output and "ALARM" in shown.output
    refused = _run("signals", "series", path, "--method", "cusum", "--false-alarms-per-year", "1")
    assert refused.exit_code != 0 and "fixed threshold" in refused.output


def _announced_mi11_store(store, tmp_path, unannounced_surge: bool) -> None:
    """Xiaomi announces a Wi-Fi exchange for the Mi 11 in week 26 and its complaints rise after it;
    p3 stays flat; with ``unannounced_surge``, p1 surges in week 30 with no announcement."""
    rows = [(f"x-{w}-{j}", START + timedelta(weeks=w, hours=j), "xiaomi-11", f"x-{w}-{j}")
            for w in range(31) for j in range(2 if w < 27 else 10)]
    if unannounced_surge:
        rows += [(f"p1-{w}-{j}", START + timedelta(weeks=w, hours=j), "p1", f"p1-{w}-{j}")
                 for w in range(31) for j in range(2 if w < 30 else 15)]
    rows += [(f"p3-{w}-{j}", START + timedelta(weeks=w, hours=j), "p3", f"p3-{w}-{j}")
             for w in range(31) for j in range(2)]
    _add(store, rows)
    path = tmp_path / "announcements.csv"
    announced = (START + timedelta(weeks=26)).date().isoformat()
    path.write_text(f"product,brand,failure_mode,date,kind,reference,text\n"
                    f"Mi 11,Xiaomi,wifi,{announced},exchange-programme,XM-1,Wi-Fi exchange\n")
    assert _run("ingest", path, "--type", "announcements", db=store.path).exit_code == 0


def test_a_surge_after_an_announcement_is_known_not_new(store, tmp_path):
    """Xiaomi announces a Wi-Fi exchange for the Mi 11 in week 26; complaints then rise (the
    follow-on). The scan reports the rise as known, raises no alert; p1's unannounced surge
    in the same store is raised."""
    _announced_mi11_store(store, tmp_path, unannounced_surge=True)
    data = _scan(store)
    assert {s["product_id"] for s in data["signals"] if s["method"] == "nb-excess"} == {"p1"}
    known = [s for s in data["known"] if s["product_id"] == "xiaomi-11"]
    assert known and known[0]["evidence"]["known_issue"]["reference"] == "XM-1"
    alerts = json.loads(_run("alerts", "list", "--json", db=store.path).stdout)
    assert "xiaomi-11" not in {a["product_id"] for a in alerts}
    shown = _run("signals", "scan", "--as-of", "2024-08-04", db=store.path)
    assert "follow a known issue" in shown.output and "XM-1" in shown.output


def test_a_scan_with_only_known_follow_ons_still_names_them(store, tmp_path):
    """The scan's summary lists known follow-ons even when there is no new signal to show."""
    _announced_mi11_store(store, tmp_path, unannounced_surge=False)
    shown = _run("signals", "scan", "--as-of", "2024-08-04", db=store.path)
    assert "0 signals" in shown.output and "follow a known issue" in shown.output and "XM-1" in shown.output
