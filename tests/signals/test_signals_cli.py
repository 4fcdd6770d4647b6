"""``defectradar signals series|disprop`` on files: the exact JSON fields, and clear errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import shared_data
from defectradar.cli.app import app
from defectradar.signals.contingency import ContingencyTable
from defectradar.signals.disproportionality import analyse
from defectradar.signals.ears import EarsC3
from defectradar.signals.tables import parse_params, series_from_frame

runner = CliRunner()
PAIR_FIELDS = {"product", "event", "n", "expected", "rr", "prr", "prr_lower", "prr_upper", "chi2", "ror",
               "ror_lower", "ror_upper", "ic", "ic025", "ic975", "ebgm", "eb05", "eb95", "signal"}
HYPER_FIELDS = {"alpha1", "beta1", "alpha2", "beta2", "p", "loglik"}


def _invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def salmonella_frame():
    folder = shared_data("epysurv-salmonella-newport")
    frame = pd.concat([pd.read_csv(folder / "salmonella_train.csv"), pd.read_csv(folder / "salmonella_test.csv")])
    return frame.rename(columns={"Unnamed: 0": "week"})


def test_series_json_has_the_documented_fields(salmonella_frame, tmp_path):
    path = tmp_path / "weeks.csv"
    salmonella_frame.to_csv(path, index=False)
    result = _invoke("signals", "series", path, "--method", "ears-c3", "--count-col", "n_cases",
                     "--start", "2011-01-03", "--alpha", "0.01", "--param", "baseline=10", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"method", "params", "periods", "evidence_floor"}
    assert data["evidence_floor"] == 3           # the scan's floor for weekly series: 10 a month, pro rata
    assert data["method"] == "ears-c3" and data["params"]["alpha"] == 0.01 and data["params"]["baseline"] == 10
    assert all(set(p) == {"period", "count", "expected", "threshold", "alarm", "meets_floor"} for p in data["periods"])
    assert all(p["meets_floor"] == (p["count"] >= 3) for p in data["periods"])
    assert data["periods"][0]["period"] == "2011-01-03" and len(data["periods"]) == 105
    # The same numbers as the library on the same series (R agreement is in test_ears.py).
    series = series_from_frame(salmonella_frame, "weeks.csv", "week", "n_cases")
    det = EarsC3(baseline=10, alpha=0.01).fit(series, start=365)
    assert [p["alarm"] for p in data["periods"]] == det.alarm_.tolist()
    assert data["periods"][7]["threshold"] == pytest.approx(det.threshold_[7], rel=1e-6)


def test_series_reads_parquet_and_numbered_rows(salmonella_frame, tmp_path):
    path = tmp_path / "weeks.parquet"
    salmonella_frame[["n_cases"]].to_parquet(path)
    result = _invoke("signals", "series", path, "--method", "cusum", "--count-col", "n_cases", "--start", "366",
                     "--param", "trans=rossi", "--param", "reset=true", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["params"]["trans"] == "rossi" and data["params"]["reset"] is True
    assert len(data["periods"]) == 105


@pytest.mark.parametrize("rows, args, needle", [
    ("date,count\n2021-01-04,1\n2021-01-11,-2\n", [], "row 3, column 'count': -2"),
    ("date,count\n2021-01-04,1\n2021-01-11,x\n", [], "'x' is not a number"),
    ("date,count\n2021-01-04,1\n2021-01-11,2\n", ["--count-col", "cases"], "no column 'cases'"),
    ("when,total\n2021-01-04,1\n", [], "no count column"),
    ("date,count\n2021-01-11,1\n2021-01-04,2\n", [], "not after the row before"),
    ("date,count\n2021-01-04,1\n2021-01-11,2\n", [], "ears-c3 needs 11 periods of history"),
    ("date,count\n2021-01-04,1\n2021-01-11,2\n", ["--start", "2030-01-01"], "nothing would be scored"),
    ("date,count\n2021-01-04,1\n2021-01-11,2\n", ["--param", "bogus"], "name=value"),
    ("date,count\n2021-01-04,1\n2021-01-11,2\n", ["--param", "alpha=2"], "alpha"),
])
def test_series_bad_input_is_one_clear_line(tmp_path, rows, args, needle):
    path = tmp_path / "s.csv"
    path.write_text(rows, encoding="utf-8")
    result = _invoke("signals", "series", path, "--method", "ears-c3", *args)
    assert result.exit_code != 0
    assert needle in result.output and "Traceback" not in result.output


def test_series_unknown_method_and_alpha_it_lacks(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("count\n" + "\n".join(["1"] * 20), encoding="utf-8")
    unknown = _invoke("signals", "series", path, "--method", "shewhart")
    assert unknown.exit_code != 0 and "ears-c1" in unknown.output
    no_alpha = _invoke("signals", "series", path, "--method", "cusum", "--alpha", "0.05")
    assert no_alpha.exit_code != 0 and "no alpha" in no_alpha.output
    too_short = _invoke("signals", "series", path, "--method", "farrington")
    assert too_short.exit_code != 0 and "farrington needs" in too_short.output


@pytest.mark.filterwarnings("ignore::UserWarning")     # ten reports cannot pin the MGPS prior down
def test_disprop_json_fields_and_values(tmp_path):
    rows = pd.DataFrame({"report": [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                         "phone": ["A", "A", "A", "A", "A", "B", "B", "B", "C", "C", "C"],
                         "mode": ["wifi", "wifi", "wifi", "wifi", "heat", "heat", "heat", "wifi", "heat", "heat",
                                  "screen"],
                         "region": ["n", "n", "n", "s", "s", "n", "s", "s", "n", "s", "s"]})
    path = tmp_path / "rows.csv"
    rows.to_csv(path, index=False)
    result = _invoke("signals", "disprop", path, "--id-col", "report", "--product-col", "phone",
                     "--event-col", "mode", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"hyperparameters", "pairs"} and set(data["hyperparameters"]) == HYPER_FIELDS
    assert all(set(p) == PAIR_FIELDS for p in data["pairs"])
    pair = next(p for p in data["pairs"] if (p["product"], p["event"]) == ("A", "wifi"))
    # Hand count: report 1 names A/wifi twice and counts once; A has 4 reports, wifi 4, N = 10.
    assert pair["n"] == 3 and pair["expected"] == pytest.approx(4 * 4 / 10)
    # PRR = (3/4) / (1/6) = 4.5 (a=3, b=1, c=1, d=5)
    assert pair["prr"] == pytest.approx(4.5)
    library = analyse(ContingencyTable.from_rows(rows, "report", "phone", "mode")).to_dict()
    assert data == json.loads(json.dumps(library, default=str))

    stratified = json.loads(_invoke("signals", "disprop", path, "--id-col", "report", "--product-col", "phone",
                                    "--event-col", "mode", "--stratum-col", "region", "--json").stdout)
    pair = next(p for p in stratified["pairs"] if (p["product"], p["event"]) == ("A", "wifi"))
    # E = sum_s n_A(s) n_wifi(s) / N(s): north 2*2/4 + south 2*2/6
    assert pair["expected"] == pytest.approx(2 * 2 / 4 + 2 * 2 / 6)
    shown = _invoke("signals", "disprop", path, "--id-col", "report", "--product-col", "phone", "--event-col", "mode")
    assert shown.exit_code == 0 and "disproportionality" in shown.output


@pytest.mark.parametrize("content, args, needle", [
    ("id,product,event\n1,A,x\n", ["--event-col", "mode"], "no column 'mode' (--event-col)"),
    ("id,product\n1,A\n", [], "'event' (--event-col)"),
    ("id,product,event\n1,A,\n2,B,y\n", [], "event"),
    ("id,product,event\n", [], "empty"),
])
def test_disprop_bad_input(tmp_path, content, args, needle):
    path = tmp_path / "rows.csv"
    path.write_text(content, encoding="utf-8")
    result = _invoke("signals", "disprop", path, *args)
    assert result.exit_code != 0 and needle in result.output and "Traceback" not in result.output


def test_missing_file_and_unreadable_parquet(tmp_path):
    missing = _invoke("signals", "disprop", tmp_path / "nope.csv")
    assert missing.exit_code != 0 and "no such file" in missing.output
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    result = _invoke("signals", "series", broken, "--method", "ears-c1")
    assert result.exit_code != 0 and "Parquet" in result.output


def test_parse_params_reads_json_values():
    assert parse_params(["baseline=7", "reset=True", "m=None", "trans=rossi", "limit54=[5, 4]", "max-iter=3"]) == \
        {"baseline": 7, "reset": True, "m": None, "trans": "rossi", "limit54": [5, 4], "max_iter": 3}


def test_week_numbers_without_dates_are_weekly(tmp_path):
    frame = pd.DataFrame({"count": np.arange(60)})
    series = series_from_frame(frame, "f.csv")
    assert series.freq == "week" and (series.periods[1] - series.periods[0]).days == 7


# --- disprop --event-sep (issue 13) ------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::UserWarning")     # eight reports cannot pin the MGPS prior down
def test_disprop_event_sep_splits_joined_events(tmp_path):
    """Eight reports, some naming several events in one cell (as NHTSA's components do).

    By hand, N = 8; n(A) = 3, n(wifi) = 4 (reports 1, 2, 3, 5), so A/wifi has n = 3 and
    E = 3 * 4 / 8 = 1.5.  C/screen: n = 2 (6, 8), n(C) = 3, n(screen) = 3 (3, 6, 8):
    a = 2, b = 1, c = 1, d = 8 - 3 - 3 + 2 = 4, so PRR = (2/3) / (1/5) = 10/3 and
    ROR = (2 * 4) / (1 * 1) = 8.
    """
    joined = pd.DataFrame({"id": [1, 2, 3, 4, 5, 6, 7, 8], "product": list("AAABBCCC"),
                           "component": ["WIFI,HEAT", "WIFI", "WIFI, SCREEN", "HEAT", "HEAT,WIFI,", "SCREEN",
                                         "HEAT", " HEAT , SCREEN"]})
    path = tmp_path / "joined.csv"
    joined.to_csv(path, index=False)
    result = _invoke("signals", "disprop", path, "--event-col", "component", "--event-sep", ",", "--json")
    assert result.exit_code == 0, result.output
    pairs = {(p["product"], p["event"]): p for p in json.loads(result.stdout)["pairs"]}
    assert {e for _, e in pairs} == {"WIFI", "HEAT", "SCREEN"}                 # split and trimmed
    assert pairs[("A", "WIFI")]["n"] == 3 and pairs[("A", "WIFI")]["expected"] == pytest.approx(1.5)
    screen = pairs[("C", "SCREEN")]
    assert screen["n"] == 2 and screen["expected"] == pytest.approx(9 / 8)
    assert screen["prr"] == pytest.approx(10 / 3) and screen["ror"] == pytest.approx(8.0)

    # The same reports one row per event give the same table.
    exploded = tmp_path / "exploded.csv"
    joined.assign(component=joined["component"].str.split(",")).explode("component") \
        .assign(component=lambda f: f["component"].str.strip()).query("component != ''").to_csv(exploded, index=False)
    plain = _invoke("signals", "disprop", exploded, "--event-col", "component", "--json")
    assert json.loads(plain.stdout) == json.loads(result.stdout)

    unsplit = json.loads(_invoke("signals", "disprop", path, "--event-col", "component", "--json").stdout)
    assert ("A", "WIFI,HEAT") in {(p["product"], p["event"]) for p in unsplit["pairs"]}   # without the option


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_disprop_event_sep_reproduces_the_hand_counted_table(tmp_path):
    """tests/signals/test_signals_cli.py's rows with each report's modes joined in one cell
    (report 1 names A / wifi twice): n = 3, E = 4 * 4 / 10 and PRR = (3/4) / (1/6) = 4.5 still."""
    rows = pd.DataFrame({"report": [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                         "phone": ["A", "A", "A", "A", "A", "B", "B", "B", "C", "C", "C"],
                         "mode": ["wifi", "wifi", "wifi", "wifi", "heat", "heat", "heat", "wifi", "heat", "heat",
                                  "screen"]})
    joined = rows.groupby(["report", "phone"], as_index=False)["mode"].agg(";".join)
    assert joined.loc[0, "mode"] == "wifi;wifi"
    path = tmp_path / "joined.csv"
    joined.to_csv(path, index=False)
    result = _invoke("signals", "disprop", path, "--id-col", "report", "--product-col", "phone", "--event-col", "mode",
                  "--event-sep", ";", "--json")
    assert result.exit_code == 0, result.output
    pair = next(p for p in json.loads(result.stdout)["pairs"] if (p["product"], p["event"]) == ("A", "wifi"))
    assert pair["n"] == 3 and pair["expected"] == pytest.approx(4 * 4 / 10) and pair["prr"] == pytest.approx(4.5)


@pytest.mark.parametrize("content, sep, needle", [
    ("id,product,event\n1,A,\",,\"\n2,B,x\n", ",", "row 2, column 'event': no event between the separators"),
    ("id,product,event\n1,A,x\n", "", "--event-sep is empty"),
])
def test_disprop_event_sep_bad_input_is_one_line(tmp_path, content, sep, needle):
    path = tmp_path / "rows.csv"
    path.write_text(content, encoding="utf-8")
    result = _invoke("signals", "disprop", path, "--event-sep", sep)
    assert result.exit_code != 0 and needle in result.output and "Traceback" not in result.output
