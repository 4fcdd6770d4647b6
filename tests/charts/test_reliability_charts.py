"""Reliability charts: valid Vega-Lite with inline data, rendered offline to PNG/SVG/HTML/JSON."""

from __future__ import annotations

import json
import math

import altair as alt
import jsonschema
import numpy as np
import pandas as pd
import pytest

from defectradar.charts import (
    chart_spec,
    forecast_chart,
    km_chart,
    mcf_chart,
    nevada_heatmap,
    save_chart,
    weibull_probability_chart,
)
from defectradar.errors import InputError


def weibull_points() -> pd.DataFrame:
    return pd.DataFrame({
        "time": [30.0, 90.0, 200.0, 400.0, 50.0, 150.0, 0.0, 10.0, 20.0],
        "unreliability": [0.01, 0.1, 0.3, 0.632, 0.02, 0.05, 0.1, 0.0, 1.0],
        "group": ["screen"] * 4 + ["battery"] * 5,
    })


WEIBULL_FITS = {"screen": {"shape": 1.5, "scale": 400.0}, "battery": {"shape": 1.1, "scale": 2500.0}}


def km_tables() -> dict[str, pd.DataFrame]:
    return {
        "screen": pd.DataFrame({"time": [0, 40, 120, 300], "survival": [1.0, 0.98, 0.95, 0.90],
                                "lower": [1.0, np.nan, 0.92, 0.85], "upper": [1.0, 0.99, 0.97, 0.94]}),
        "battery": pd.DataFrame({"time": [0, 60, 200], "survival": [1.0, 0.97, 0.93],
                                 "lower": [1.0, 0.95, None], "upper": [1.0, 0.99, None]}),
    }


def mcf_tables() -> dict[str, pd.DataFrame]:
    return {"all": pd.DataFrame({"time": [0, 30, 90, 180], "mcf": [0.0, 0.01, 0.03, 0.07],
                                 "lower": [0.0, 0.005, 0.02, np.nan], "upper": [0.0, 0.02, 0.045, np.nan]})}


def nevada_cells() -> pd.DataFrame:
    rows = []
    for i, month in enumerate(pd.date_range("2021-03-01", periods=4, freq="MS")):
        for k in range(4 - i):
            units, claims = 1000 + 100 * i, 2 + k
            rows.append((month, k, units, claims, 1000 * claims / units))
    return pd.DataFrame(rows, columns=["sales_month", "months_in_service", "units", "claims", "claims_per_1000"])


def claims_history() -> pd.DataFrame:
    return pd.DataFrame({"month": pd.date_range("2021-03-01", periods=6, freq="MS"), "claims": [5, 7, 6, 9, 8, 10]})


def claims_forecast() -> pd.DataFrame:
    return pd.DataFrame({"month": ["2021-09", "2021-10", "2021-11"], "expected": [10.5, 11.0, 11.6],
                         "lower": [8.0, 8.2, None], "upper": [13.0, 13.9, None]})


BUILDERS = {
    "weibull": (lambda: weibull_probability_chart(weibull_points(), WEIBULL_FITS, title="Weibull check"), "Weibull check"),
    "km": (lambda: km_chart(km_tables(), title="Survival check"), "Survival check"),
    "mcf": (lambda: mcf_chart(mcf_tables(), title="MCF check"), "MCF check"),
    "nevada": (lambda: nevada_heatmap(nevada_cells(), title="Nevada check"), "Nevada check"),
    "forecast": (lambda: forecast_chart(claims_history(), claims_forecast(), title="Forecast check"), "Forecast check"),
}


def _keys(node) -> set[str]:
    if isinstance(node, dict):
        return set(node) | set().union(*(_keys(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_keys(value) for value in node))
    return set()


def _layer_values(spec: dict, mark: str) -> list[dict]:
    """The inline rows of the (first) layer drawing ``mark``: its ``values``, or its named dataset."""
    for layer in spec.get("layer", [spec]):
        if layer["mark"]["type"] == mark:
            data = layer["data"]
            return data["values"] if "values" in data else spec["datasets"][data["name"]]
    raise AssertionError(f"no {mark} layer")


@pytest.mark.parametrize("name", list(BUILDERS))
def test_spec_is_valid_vega_lite_with_inline_data(name):
    build, title = BUILDERS[name]
    spec = chart_spec(build())  # to_dict() validates against the Vega-Lite schema
    assert spec["title"] == title
    assert "url" not in _keys(spec)
    assert {"values", "datasets"} & set(_keys(spec))
    marks = [layer["mark"]["type"] for layer in spec.get("layer", [spec])]
    assert all(_layer_values(spec, mark) for mark in marks)  # every layer has its rows inline
    json.dumps(spec, allow_nan=False)  # JSON-safe: NaN/None bounds became null or were dropped
    rebuilt = (alt.LayerChart if "layer" in spec else alt.Chart).from_dict(spec)  # from_dict validates again
    assert "url" not in _keys(rebuilt.to_dict())


@pytest.mark.parametrize("name", list(BUILDERS))
def test_renders_png_svg_json(name, tmp_path):
    build, title = BUILDERS[name]
    chart = build()
    png = save_chart(chart, tmp_path / f"{name}.png")
    assert png == tmp_path / f"{name}.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    svg = save_chart(chart, tmp_path / f"{name}.SVG").read_text(encoding="utf-8")
    assert "<svg" in svg and title in svg
    assert json.loads(save_chart(chart, tmp_path / f"{name}.json").read_text()) == chart_spec(chart)


def test_html_is_self_contained(tmp_path):
    html = save_chart(km_chart(km_tables(), title="Offline page"), tmp_path / "km.html").read_text(encoding="utf-8")
    assert "Offline page" in html
    assert "vegaEmbed" in html
    assert "<script src" not in html.replace("'", '"').lower()  # the JS bundle is inline, nothing loads from a CDN
    assert "cdn.jsdelivr" not in html


def test_weibull_transform_puts_characteristic_life_at_zero(tmp_path):
    chart = weibull_probability_chart(weibull_points(), WEIBULL_FITS)
    spec = chart_spec(chart)
    points = _layer_values(spec, "point")
    at_632 = next(row for row in points if row["unreliability"] == 0.632)
    assert abs(at_632["weibull_y"]) < 1e-3  # ln(-ln(0.368)) = -3.3e-4
    at_10 = next(row for row in points if row["unreliability"] == 0.1)
    assert at_10["weibull_y"] == pytest.approx(-2.250367, abs=1e-6)  # ln(-ln 0.9), by hand
    # Off-paper rows (t = 0, F = 0, F = 1) are dropped, the rest kept.
    assert len(points) == 6
    # The fitted line obeys y' = ln(-ln(1 - F)) with F = 1 - exp(-(t/eta)^beta).
    line = _layer_values(spec, "line")
    for row in line:
        fit = WEIBULL_FITS[row["group"]]
        assert row["unreliability"] == pytest.approx(1 - math.exp(-((row["time"] / fit["scale"]) ** fit["shape"])))
        assert row["weibull_y"] == pytest.approx(math.log(-math.log(1 - row["unreliability"])))
    # Axis ticks are y' of round F values, labelled back in % by the real renderer.
    y_axis = spec["layer"][0]["encoding"]["y"]["axis"]
    assert any(abs(value) < 1e-3 for value in y_axis["values"])
    svg = save_chart(chart, tmp_path / "weibull.svg").read_text(encoding="utf-8")
    assert ">63.2%<" in svg and ">10%<" in svg and ">1%<" in svg


def test_weibull_rejects_bad_fit_and_off_paper_points():
    with pytest.raises(InputError, match="shape"):
        weibull_probability_chart(weibull_points(), {"screen": {"shape": -1, "scale": 10}})
    off_paper = pd.DataFrame({"time": [0.0, 5.0], "unreliability": [0.1, 1.0], "group": "x"})
    with pytest.raises(InputError, match="nothing to plot"):
        weibull_probability_chart(off_paper, {})


def test_band_leaves_out_rows_without_bounds():
    spec = chart_spec(km_chart(km_tables()))
    curve, band = _layer_values(spec, "line"), _layer_values(spec, "area")
    assert len(curve) == 7  # every estimate is drawn
    assert {(row["group"], row["time"]) for row in band} == {
        ("screen", 0), ("screen", 120), ("screen", 300), ("battery", 0), ("battery", 60)}
    assert spec["layer"][1]["mark"]["interpolate"] == "step-after"
    assert spec["layer"][0]["mark"]["interpolate"] == "step-after"


def test_nevada_cells_form_a_triangle_with_full_tooltips():
    spec = chart_spec(nevada_heatmap(nevada_cells()))
    cells = _layer_values(spec, "rect")
    assert len(cells) == 4 + 3 + 2 + 1
    per_month = pd.DataFrame(cells).groupby("sales_month")["months_in_service"].max().to_dict()
    assert per_month == {"2021-03": 3, "2021-04": 2, "2021-05": 1, "2021-06": 0}
    tooltip_fields = {item["field"] for item in spec["encoding"]["tooltip"]}
    assert tooltip_fields == {"sales_month", "months_in_service", "units", "claims", "claims_per_1000"}


def test_forecast_months_read_in_utc_and_band_skips_missing_bounds(tmp_path):
    chart = forecast_chart(claims_history(), claims_forecast())
    spec = chart_spec(chart)
    assert [row["month"] for row in _layer_values(spec, "area")] == ["2021-09-01", "2021-10-01"]
    assert all(layer["encoding"]["x"]["scale"]["type"] == "utc" for layer in spec["layer"])
    svg = save_chart(chart, tmp_path / "forecast.svg").read_text(encoding="utf-8")
    assert "Mar 2021" in svg and "Feb 2021" not in svg  # no local-time shift (fails west of UTC without utc)


@pytest.mark.parametrize("build", [
    lambda: weibull_probability_chart(weibull_points().iloc[:0], {}),
    lambda: km_chart({}),
    lambda: km_chart({"screen": km_tables()["screen"].iloc[:0]}),
    lambda: mcf_chart({"all": pd.DataFrame(columns=["time", "mcf", "lower", "upper"])}),
    lambda: nevada_heatmap(nevada_cells().iloc[:0]),
    lambda: forecast_chart(claims_history().iloc[:0], claims_forecast().iloc[:0]),
], ids=["weibull", "km-no-groups", "km-empty", "mcf", "nevada", "forecast"])
def test_empty_input_is_an_input_error(build):
    with pytest.raises(InputError, match="nothing to plot"):
        build()


def test_missing_column_is_named():
    with pytest.raises(InputError, match="claims_per_1000"):
        nevada_heatmap(nevada_cells().drop(columns="claims_per_1000"))


def test_save_chart_rejects_bad_suffix_and_missing_folder(tmp_path):
    chart = mcf_chart(mcf_tables())
    with pytest.raises(InputError, match=r"\.png, \.svg, \.html, \.json"):
        save_chart(chart, tmp_path / "chart.pdf")
    with pytest.raises(InputError, match="does not exist"):
        save_chart(chart, tmp_path / "missing" / "chart.png")
    assert list(tmp_path.iterdir()) == []


def test_chart_spec_validates_charts_with_many_rows():
    """The schema check runs on a trimmed copy, so it must still catch a broken chart with big data."""
    times = np.arange(6000, dtype=float)
    table = pd.DataFrame({"time": times, "survival": 1 - times / 1e5, "lower": 0.9, "upper": 1.0})
    chart = km_chart({"big": table})
    assert len(_layer_values(chart_spec(chart), "line")) == 6000
    chart.layer[1].mark = "lines"  # attribute assignment skips Altair's eager checks
    with pytest.raises(jsonschema.ValidationError):
        chart_spec(chart)
