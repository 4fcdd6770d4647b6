"""``reliability nevada|forecast`` through the real shell: JSON fields, tables and bad input."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from conftest import write_csv
from defectradar.analyses.warranty import backtest_forecast
from defectradar.cli import warranty
from defectradar.cli.common import new_app
from defectradar.core.identifiers import luhn_valid
from defectradar.ingest.pipeline import ingest_file

runner = CliRunner()
SERVICE = ["device_id", "product", "purchase_date", "event_date", "fault", "action", "parts",
           "days_out_of_service", "data_wiped", "center", "region", "customer_phone"]


def _app():
    app = new_app("reliability")
    warranty.register(app)
    return app


def _invoke(*args):
    return runner.invoke(_app(), [str(a) for a in args])


def _imei(n: int) -> str:
    body = f"35693803{n:06d}"
    return next(body + str(d) for d in range(10) if luhn_valid(body + str(d)))


@pytest.fixture
def small_db(store, tmp_path):
    """January (1,000 units) and February (500) of xiaomi-11; claims at ages 0, 1 and 0, one inspection,
    one claim of a month without sales, one claim in the incomplete March."""
    rows = [[_imei(1), "2021-01-10", "2021-01-20", "screen", "repair"],
            [_imei(1), "2021-01-10", "2021-02-05", "screen", "replace"],
            [_imei(1), "2021-01-10", "2021-02-10", "screen", "inspect"],
            [_imei(2), "2021-01-25", "2021-02-20", "wifi", "repair"],
            [_imei(3), "2021-02-03", "2021-02-28", "screen", "refund"],
            [_imei(4), "2020-12-15", "2021-01-05", "screen", "repair"],
            [_imei(5), "2021-02-10", "2021-03-15", "screen", "repair"]]
    service = write_csv(tmp_path / "service.csv", SERVICE,
                        [[r[0], "xiaomi-11", *r[1:], "", "1", "false", "", "", ""] for r in rows])
    sales = write_csv(tmp_path / "sales.csv", ["product", "month", "units", "region"],
                      [["xiaomi-11", "2021-01", "1000", "广东"], ["xiaomi-11", "2021-02", "500", "广东"]])
    ingest_file(store, service)
    ingest_file(store, sales)
    return store.path


def test_nevada_json_has_the_documented_fields(small_db):
    result = _invoke("nevada", "--product", "xiaomi-11", "--db", small_db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"product", "mode", "as_of", "cells", "by_age", "unmatched_claims"} <= set(data)
    assert (data["product"], data["mode"], data["as_of"]) == ("xiaomi-11", None, "2021-03-15")
    assert all(set(c) == {"sales_month", "months_in_service", "units", "claims", "claims_per_1000"}
               for c in data["cells"])
    assert [(c["sales_month"], c["months_in_service"], c["claims"]) for c in data["cells"]] == [
        ("2021-01-01", 0, 1), ("2021-01-01", 1, 2), ("2021-02-01", 0, 1)]
    assert all(set(a) == {"months_in_service", "units", "claims", "claims_per_1000", "lower", "upper"}
               for a in data["by_age"])
    # 2 claims at age 0 over 1,500 units
    assert data["by_age"][0]["claims_per_1000"] == pytest.approx(2 / 1.5, rel=1e-5)
    assert data["unmatched_claims"] == 1


def test_nevada_table_and_options(small_db):
    result = _invoke("nevada", "--product", "xiaomi-11", "--db", small_db, "--mode", "wifi", "--as-of", "2021-02-28")
    assert result.exit_code == 0, result.output
    assert "xiaomi-11 / wifi" in result.stdout and "2021-01" in result.stdout and "by age" in result.stdout
    latest = json.loads(_invoke("nevada", "--product", "xiaomi-11", "--db", small_db, "--months", "1",
                                "--warranty-months", "1", "--json").stdout)
    assert [c["sales_month"] for c in latest["cells"]] == ["2021-02-01"]
    assert latest["excluded_claims"]["outside_shown_cohorts"] == 1          # January's age-0 repair


def test_forecast_json_and_table(small_db):
    result = _invoke("forecast", "--product", "xiaomi-11", "--db", small_db, "--months", "3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"product", "mode", "as_of", "model", "months", "total"} <= set(data)
    assert {"beta", "eta"} <= set(data["model"])
    assert [m["month"] for m in data["months"]] == ["2021-03", "2021-04", "2021-05"]   # March was incomplete
    assert all(set(m) == {"month", "expected", "lower", "upper"} for m in data["months"])
    assert data["total"]["expected"] == pytest.approx(sum(m["expected"] for m in data["months"]), rel=1e-5)
    table = _invoke("forecast", "--product", "xiaomi-11", "--db", small_db)
    assert table.exit_code == 0 and "total" in table.stdout and "no new sales" in table.stdout


def test_forecast_far_beyond_the_data_is_warned(small_db):
    """Two observed months in service; forecasting to the fifth extrapolates the power law."""
    far = _invoke("forecast", "--product", "xiaomi-11", "--db", small_db, "--months", "3", "--json")
    assert far.exit_code == 0, far.output
    warning = "the forecast reaches 5 months in service, but the data only reach 2"
    assert warning in far.stderr.replace("\n", " ")
    assert any(w.startswith(warning) for w in json.loads(far.stdout)["warnings"])
    near = _invoke("forecast", "--product", "xiaomi-11", "--db", small_db, "--months", "1", "--json")
    assert "warning" not in near.stderr and json.loads(near.stdout)["warnings"] == []


@pytest.mark.parametrize("args, message", [
    (["forecast", "--product", "xiaomi-99"], "unknown product 'xiaomi-99'"),
    (["forecast", "--product", "xiaomi-12"], "no sales in the store"),
    (["nevada", "--product", "xiaomi-11", "--mode", "wfi"], "unknown failure mode 'wfi'"),
    (["nevada", "--product", "xiaomi-11", "--as-of", "2021/02/30"], "YYYY-MM-DD"),
    (["forecast", "--product", "xiaomi-11", "--as-of", "2021-01-31"], "only one month in service"),
    (["forecast", "--product", "xiaomi-11", "--as-of", "2021-01-20"], "no cohort with sales is observed by 2020-12"),
])
def test_bad_input_gets_one_clear_line(small_db, args, message):
    result = _invoke(*args, "--db", small_db)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_months_zero_is_refused_by_the_shell(small_db):
    result = _invoke("forecast", "--product", "xiaomi-11", "--db", small_db, "--months", "0")
    assert result.exit_code == 2 and "--months" in result.output


def test_forecast_on_the_simulated_world_matches_the_library(simulated_world):
    result = _invoke("forecast", "--product", "xiaomi-11", "--db", simulated_world["db"], "--as-of", "2022-06-30",
                     "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    with simulated_world["store"].reader() as con:
        backtest = backtest_forecast(con, "xiaomi-11", date(2022, 6, 30), months=6)
    assert [m["expected"] for m in data["months"]] == pytest.approx(backtest["expected"].tolist(), rel=1e-5)
    assert 1 < data["model"]["beta"] < 3            # claims per unit accelerate with age (Wi-Fi wear-out)


def test_plot_writes_the_charts(small_db, tmp_path):
    for command, name in (("nevada", "nevada.json"), ("forecast", "forecast.svg")):
        path = tmp_path / name
        result = _invoke(command, "--product", "xiaomi-11", "--db", small_db, "--plot", path)
        assert result.exit_code == 0, result.output
        assert path.stat().st_size > 0 and "chart written" in result.stderr
    assert "claims_per_1000" in (tmp_path / "nevada.json").read_text(encoding="utf-8")
