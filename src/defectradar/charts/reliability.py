"""Field-reliability charts as Vega-Lite specs (Altair): Weibull, Kaplan-Meier, MCF, Nevada, forecast.

The builders take plain data frames and dicts, not estimator objects, so the same functions
serve the CLI, reports and the dashboard whatever produced the numbers. Every chart carries its
data inline (rows in the spec's ``datasets``): a spec never points at a URL, so it renders
offline and can be saved or embedded as one self-contained object. Missing values (NaN, None, inf) are
dropped from the layer that cannot draw them: a row without bounds keeps its point or step
but leaves a gap in the confidence band.

Weibull probability paper
-------------------------
Vega-Lite has no Weibull scale, so the plot draws the linearising transform itself. For
:math:`F(t) = 1 - \\exp(-(t/\\eta)^\\beta)`,

.. math::  y' = \\ln(-\\ln(1 - F)) = \\beta \\ln t - \\beta \\ln \\eta,

a straight line against :math:`\\ln t` (W. Nelson, *Applied Life Data Analysis*, Wiley 1982,
ch. 3). The y axis is linear in :math:`y'`; its ticks sit at :math:`y'(F)` for round values of
:math:`F` and their labels map back with :math:`F = 1 - \\exp(-\\exp(y'))`. The characteristic
life :math:`t = \\eta` is where :math:`F = 1 - e^{-1} \\approx 63.2\\%`, i.e. :math:`y' = 0`.

Examples
--------
>>> import pandas as pd
>>> points = pd.DataFrame({"time": [30, 90, 200], "unreliability": [0.01, 0.03, 0.08], "group": "screen"})
>>> chart = weibull_probability_chart(points, {"screen": {"shape": 1.2, "scale": 2500.0}})
>>> chart.to_dict()["title"]
'Weibull probability plot'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from defectradar.errors import InputError

WIDTH = 520
HEIGHT = 340
BAND_OPACITY = 0.2
#: Unreliabilities labelled on the Weibull axis; those inside the plotted range are shown.
WEIBULL_TICKS: tuple[float, ...] = (
    0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
    0.1, 0.2, 0.5, 0.632, 0.9, 0.99, 0.999,
)  # fmt: skip
#: Vega expression turning a tick's y' back into "F %" (3 significant digits: 0.1%, 63.2%, 99%).
WEIBULL_LABEL_EXPR = "format((1 - exp(-exp(datum.value))) * 100, '.3~r') + '%'"
FIT_LINE_POINTS = 25  # the fitted line is straight on this paper; extra vertices only feed tooltips
OBSERVED_COLOUR = "#4c78a8"
FORECAST_COLOUR = "#f58518"


def age_title(time_unit: str) -> str:
    """The title of an age axis: "Time in service (days)" for calendar time, "Age in service
    (miles)" for a usage scale (distance, cycles, or a unit named after a column).

    >>> age_title("days"), age_title("miles")
    ('Time in service (days)', 'Age in service (miles)')
    """
    from defectradar.core.lifetimes import TIME_UNITS

    return f"{'Time' if time_unit in TIME_UNITS else 'Age'} in service ({time_unit})"


def weibull_y(unreliability: Any) -> Any:
    """The Weibull probability-paper ordinate :math:`y' = \\ln(-\\ln(1 - F))` for :math:`0 < F < 1`.

    >>> round(float(weibull_y(1 - np.exp(-1))), 12)
    0.0
    """
    f = np.asarray(unreliability, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(-np.log1p(-f))


def weibull_probability_chart(
    points: pd.DataFrame,
    fits: Mapping[Any, Mapping[str, float]] | None = None,
    *,
    title: str = "Weibull probability plot",
    time_unit: str = "days",
) -> alt.LayerChart:
    """Weibull probability plot: non-parametric estimates as points, fitted Weibull lines.

    Parameters
    ----------
    points : DataFrame
        Columns ``time`` (> 0, in ``time_unit``), ``unreliability`` (the estimate of
        :math:`F(t)`, e.g. 1 - Kaplan-Meier or median ranks) and optionally ``group``.
        Rows with :math:`F \\le 0`, :math:`F \\ge 1` or :math:`t \\le 0` have no place on
        the paper and are left out.
    fits : dict, optional
        ``group -> {"shape": beta, "scale": eta}``; each draws
        :math:`F(t) = 1 - \\exp(-(t/\\eta)^\\beta)` over the time range of that group's
        points (of all points for a group without points).
    title, time_unit : str
        Chart title; unit of ``time`` shown in the x axis title.

    Returns
    -------
    alt.LayerChart
        x: time on a log scale; y: :math:`y' = \\ln(-\\ln(1-F))` labelled in % of F.
    """
    frame = _frame(points, "Weibull points", ["time", "unreliability"])
    frame = frame.assign(group=_groups(frame), time=_numeric(frame["time"]),
                         unreliability=_numeric(frame["unreliability"]))
    on_paper = (frame["time"] > 0) & (frame["unreliability"] > 0) & (frame["unreliability"] < 1)
    frame = frame.loc[on_paper, ["group", "time", "unreliability"]]
    if frame.empty:
        raise InputError("nothing to plot: no point with time > 0 and 0 < unreliability < 1 in the Weibull points")
    frame = frame.assign(weibull_y=weibull_y(frame["unreliability"]))
    lines = _weibull_lines(frame, fits or {})

    plotted = pd.concat([frame["unreliability"], lines["unreliability"]]) if not lines.empty else frame["unreliability"]
    domain, ticks = _weibull_axis(plotted.to_numpy())
    groups = sorted(set(frame["group"]) | set(lines["group"] if not lines.empty else []))
    colour = _group_colour(groups)
    x = alt.X("time:Q", title=f"{age_title(time_unit)[:-1]}, log scale)", scale=alt.Scale(type="log"))
    y = alt.Y(
        "weibull_y:Q",
        title="Unreliability F(t), Weibull scale",
        scale=alt.Scale(domain=domain, zero=False, nice=False),
        axis=alt.Axis(values=ticks, labelExpr=WEIBULL_LABEL_EXPR),
    )
    estimate = alt.Chart().mark_point(filled=True, size=40).encode(
        x=x, y=y, color=colour,
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("time:Q", title=f"Age ({time_unit})"),
                 alt.Tooltip("unreliability:Q", title="Unreliability", format=".3%")],
    )
    layers: list[tuple[alt.Chart, pd.DataFrame]] = [(estimate, frame)]
    if not lines.empty:
        fitted = alt.Chart().mark_line(clip=True).encode(
            x=x, y=y, color=colour, detail="group:N",
            tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("shape:Q", title="Shape β", format=".3f"),
                     alt.Tooltip("scale:Q", title=f"Scale η ({time_unit})", format=",.1f"),
                     alt.Tooltip("time:Q", title=f"Age ({time_unit})", format=",.0f"),
                     alt.Tooltip("unreliability:Q", title="Fitted F(t)", format=".3%")],
        )
        layers.insert(0, (fitted, lines))
    return _layered(layers, title=title, width=WIDTH, height=HEIGHT)


def km_chart(
    tables: Mapping[Any, pd.DataFrame] | pd.DataFrame,
    *,
    title: str = "Kaplan-Meier survival",
    time_unit: str = "days",
) -> alt.LayerChart:
    """Kaplan-Meier survival steps with a shaded confidence band per group.

    Parameters
    ----------
    tables : dict or DataFrame
        ``group -> DataFrame[time, survival, lower, upper]`` (a bare frame is one group,
        ``"all"``). The estimate is a right-continuous step function, so both the curve and
        the band use step-after interpolation: :math:`\\hat S(t)` holds from each time to the next.
    title, time_unit : str
        Chart title; unit of ``time`` shown in the x axis title.
    """
    return _step_band_chart(tables, "survival", what="Kaplan-Meier tables", title=title,
                            x_title=age_title(time_unit), y_title="Survival probability S(t)",
                            y_format=".1~%", zero=False)


def mcf_chart(
    tables: Mapping[Any, pd.DataFrame] | pd.DataFrame,
    *,
    title: str = "Mean cumulative function of repairs",
    time_unit: str = "days",
) -> alt.LayerChart:
    """Mean cumulative function (repairs per device so far) as steps with its bounds per group.

    Parameters
    ----------
    tables : dict or DataFrame
        ``group -> DataFrame[time, mcf, lower, upper]`` (a bare frame is one group, ``"all"``).
        The MCF of Nelson (2003) jumps at each repair time and is flat in between, hence
        step-after interpolation for the curve and its bounds.
    title, time_unit : str
        Chart title; unit of ``time`` shown in the x axis title.
    """
    return _step_band_chart(tables, "mcf", what="MCF tables", title=title,
                            x_title=age_title(time_unit),
                            y_title="Mean cumulative repairs per device", y_format=",.3~f", zero=True)


def nevada_heatmap(
    cells: pd.DataFrame,
    *,
    title: str = "Nevada chart: claims per 1,000 units",
) -> alt.Chart:
    """Claims per 1,000 units by sales month (rows) and months in service (columns).

    Older sales months have been in service longer, so observed cells form the triangle of a
    classic Nevada chart (oldest month on top, longest row). Cells without a rate (no units)
    are left blank.

    Parameters
    ----------
    cells : DataFrame
        Columns ``sales_month`` (date, timestamp or ``"YYYY-MM"`` text), ``months_in_service``,
        ``units``, ``claims``, ``claims_per_1000``.
    title : str
        Chart title.
    """
    frame = _frame(cells, "Nevada cells", ["sales_month", "months_in_service", "units", "claims", "claims_per_1000"])
    frame = frame.assign(
        sales_month=_month_labels(frame["sales_month"], "sales_month", "%Y-%m"),
        months_in_service=_numeric(frame["months_in_service"]),
        units=_numeric(frame["units"]), claims=_numeric(frame["claims"]),
        claims_per_1000=_numeric(frame["claims_per_1000"]),
    ).dropna(subset=["sales_month", "months_in_service", "claims_per_1000"])
    if frame.empty:
        raise InputError("nothing to plot: no Nevada cell has a sales month, months in service and a claim rate")
    frame["months_in_service"] = frame["months_in_service"].astype(int)
    frame = frame.sort_values(["sales_month", "months_in_service"])
    chart = alt.Chart().mark_rect(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("months_in_service:O", title="Months in service (months)", sort="ascending",
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("sales_month:O", title="Sales month", sort="ascending"),
        color=alt.Color("claims_per_1000:Q", title="Claims per 1,000 units", scale=alt.Scale(scheme="orangered")),
        tooltip=[alt.Tooltip("sales_month:N", title="Sales month"),
                 alt.Tooltip("months_in_service:O", title="Months in service"),
                 alt.Tooltip("units:Q", title="Units sold", format=",.0f"),
                 alt.Tooltip("claims:Q", title="Claims", format=",.0f"),
                 alt.Tooltip("claims_per_1000:Q", title="Claims per 1,000", format=",.2f")],
    ).properties(title=title, width=alt.Step(16), height=alt.Step(16))
    chart.data = _inline(frame)
    return chart


def forecast_chart(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    *,
    title: str = "Claims per month: observed and forecast",
) -> alt.LayerChart:
    """Observed claims per month and the forecast with its interval band.

    Parameters
    ----------
    history : DataFrame
        Columns ``month`` (first of month: date, timestamp or ``"YYYY-MM"``) and ``claims``.
    forecast : DataFrame
        Columns ``month``, ``expected``, ``lower``, ``upper``; months without both bounds are
        drawn without a band. Either frame may be empty, not both.
    title : str
        Chart title.
    """
    observed = _frame(history, "history", ["month", "claims"], allow_empty=True)
    expected = _frame(forecast, "forecast", ["month", "expected", "lower", "upper"], allow_empty=True)
    observed = pd.DataFrame({
        "month": _month_labels(observed["month"], "month", "%Y-%m-01"),
        "claims": _numeric(observed["claims"]), "series": "observed",
    })
    expected = pd.DataFrame({
        "month": _month_labels(expected["month"], "month", "%Y-%m-01"),
        "claims": _numeric(expected["expected"]), "lower": _numeric(expected["lower"]),
        "upper": _numeric(expected["upper"]), "series": "forecast",
    })
    series = pd.concat([observed.dropna(subset=["month", "claims"]), expected.dropna(subset=["month", "claims"])])
    if series.empty:
        raise InputError("nothing to plot: the claims history and the forecast are both empty")
    series["label"] = series["month"].str.slice(0, 7)
    band = expected.dropna(subset=["month", "lower", "upper"]).assign(label=lambda f: f["month"].str.slice(0, 7))

    # UTC throughout: "2021-03-01" parses as UTC midnight, and a local-time axis would show
    # February west of Greenwich.
    x = alt.X("month:T", title="Month", scale=alt.Scale(type="utc"), axis=alt.Axis(format="%b %Y", labelAngle=0))
    colour = alt.Color("series:N", legend=alt.Legend(title=None, symbolType="stroke", symbolStrokeWidth=2),
                       scale=alt.Scale(domain=["observed", "forecast"], range=[OBSERVED_COLOUR, FORECAST_COLOUR]))
    tooltip = [alt.Tooltip("label:N", title="Month"), alt.Tooltip("series:N", title="Series"),
               alt.Tooltip("claims:Q", title="Claims", format=",.1f")]
    y = alt.Y("claims:Q", title="Claims per month (count)")
    line = alt.Chart().mark_line(point=True).encode(
        x=x, y=y, color=colour,
        strokeDash=alt.StrokeDash("series:N", title=None,
                                  scale=alt.Scale(domain=["observed", "forecast"], range=[[1, 0], [6, 4]])),
        tooltip=tooltip,
    )
    layers: list[tuple[alt.Chart, pd.DataFrame]] = [(line, series)]
    if not band.empty:
        area = alt.Chart().mark_area(opacity=BAND_OPACITY, color=FORECAST_COLOUR).encode(
            x=x, y=alt.Y("lower:Q", title="Claims per month (count)"), y2="upper:Q",
            tooltip=[alt.Tooltip("label:N", title="Month"),
                     alt.Tooltip("lower:Q", title="Lower bound", format=",.1f"),
                     alt.Tooltip("upper:Q", title="Upper bound", format=",.1f")],
        )
        layers.insert(0, (area, band))
    return _layered(layers, title=title, width=WIDTH + 40, height=HEIGHT - 40)


# --- shared pieces ---------------------------------------------------------------------------


def _step_band_chart(
    tables: Mapping[Any, pd.DataFrame] | pd.DataFrame,
    value: str,
    *,
    what: str,
    title: str,
    x_title: str,
    y_title: str,
    y_format: str,
    zero: bool,
) -> alt.LayerChart:
    """Step-after curves of ``value`` against ``time`` per group, with a lower-upper band each."""
    if isinstance(tables, pd.DataFrame):
        tables = {"all": tables}
    if not isinstance(tables, Mapping):
        raise InputError(f"{what} must be a dict of group -> DataFrame, not a {type(tables).__name__}")
    curves, bands = [], []
    for group, table in tables.items():
        frame = _frame(table, f"{what}[{group!r}]", ["time", value], allow_empty=True)
        lower = _numeric(frame["lower"]) if "lower" in frame else np.nan
        upper = _numeric(frame["upper"]) if "upper" in frame else np.nan
        frame = pd.DataFrame({"group": str(group), "time": _numeric(frame["time"]), value: _numeric(frame[value]),
                              "lower": lower, "upper": upper})
        curves.append(frame.dropna(subset=["time", value]))
        bands.append(frame.dropna(subset=["time", "lower", "upper"]))
    curve = pd.concat(curves) if curves else pd.DataFrame()
    if curve.empty:
        raise InputError(f"nothing to plot: the {what} hold no row with a time and a {value} value")
    band = pd.concat(bands)
    curve = curve.sort_values(["group", "time"], kind="stable")
    colour = _group_colour(sorted(curve["group"].unique()))
    x = alt.X("time:Q", title=x_title)
    y_scale = alt.Scale(zero=zero)
    line = alt.Chart().mark_line(interpolate="step-after").encode(
        x=x, y=alt.Y(f"{value}:Q", title=y_title, scale=y_scale, axis=alt.Axis(format=y_format)), color=colour,
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("time:Q", title=x_title),
                 alt.Tooltip(f"{value}:Q", title=y_title, format=y_format),
                 alt.Tooltip("lower:Q", title="Lower bound", format=y_format),
                 alt.Tooltip("upper:Q", title="Upper bound", format=y_format)],
    )
    layers: list[tuple[alt.Chart, pd.DataFrame]] = [(line, curve)]
    if not band.empty:
        area = alt.Chart().mark_area(
            interpolate="step-after", opacity=BAND_OPACITY,
        ).encode(
            x=x, y=alt.Y("lower:Q", title=y_title, scale=y_scale, stack=None), y2="upper:Q", color=colour,
            detail="group:N",
        )
        layers.insert(0, (area, band.sort_values(["group", "time"], kind="stable")))
    return _layered(layers, title=title, width=WIDTH, height=HEIGHT)


def _weibull_lines(points: pd.DataFrame, fits: Mapping[Any, Mapping[str, float]]) -> pd.DataFrame:
    """Fitted CDFs sampled log-evenly over each group's time range (all points' for a group without)."""
    if not isinstance(fits, Mapping):
        raise InputError(f"Weibull fits must be a dict of group -> {{'shape', 'scale'}}, not a {type(fits).__name__}")
    rows = []
    for group, params in fits.items():
        group = str(group)
        shape, scale = _fit_parameter(params, group, "shape"), _fit_parameter(params, group, "scale")
        times = points.loc[points["group"] == group, "time"]
        if times.empty:
            times = points["time"]
        grid = np.geomspace(times.min(), times.max(), FIT_LINE_POINTS) if times.max() > times.min() else times.to_numpy()
        unreliability = -np.expm1(-((grid / scale) ** shape))
        rows.append(pd.DataFrame({"group": group, "time": grid, "unreliability": unreliability,
                                  "weibull_y": shape * (np.log(grid) - np.log(scale)), "shape": shape, "scale": scale}))
    lines = pd.concat(rows) if rows else pd.DataFrame(columns=["group", "time", "unreliability", "weibull_y"])
    return lines.loc[(lines["unreliability"] > 0) & (lines["unreliability"] < 1)] if not lines.empty else lines


def _fit_parameter(params: Mapping[str, float], group: str, name: str) -> float:
    try:
        number = float(params[name])
    except (KeyError, TypeError, ValueError):
        raise InputError(f"Weibull fit for group {group!r} needs a numeric {name!r}: pass {{'shape': ..., 'scale': ...}}")
    if not np.isfinite(number) or number <= 0:
        raise InputError(f"Weibull fit for group {group!r} has {name}={number}: it must be a positive number")
    return number


def _weibull_axis(unreliability: np.ndarray) -> tuple[list[float], list[float]]:
    """y' domain from the tick at or below the smallest F to the tick at or above the largest, and its ticks."""
    f = np.clip(unreliability[np.isfinite(unreliability)], 1e-9, 1 - 1e-12)
    low, high = float(f.min()), float(f.max())
    below = [t for t in WEIBULL_TICKS if t <= low]
    above = [t for t in WEIBULL_TICKS if t >= high]
    low = below[-1] if below else low
    high = above[0] if above else high
    ticks = [t for t in WEIBULL_TICKS if low <= t <= high]
    return [float(weibull_y(low)), float(weibull_y(high))], [float(weibull_y(t)) for t in ticks]


def _group_colour(groups: Sequence[str]) -> alt.Color:
    # Full-opacity symbols: otherwise the legend takes the faint colour of the confidence bands.
    legend = None if len(groups) <= 1 else alt.Legend(title="Group", symbolOpacity=1)
    return alt.Color("group:N", legend=legend, scale=alt.Scale(domain=list(groups)))


def _frame(data: Any, what: str, required: Iterable[str], *, allow_empty: bool = False) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"the {what} must be a pandas DataFrame, not a {type(data).__name__}")
    missing = [column for column in required if column not in data.columns]
    if missing:
        raise InputError(f"the {what} lack column(s) {', '.join(missing)}; expected {', '.join(required)}")
    if data.empty and not allow_empty:
        raise InputError(f"nothing to plot: the {what} are empty")
    return data.reset_index(drop=True)


def _groups(frame: pd.DataFrame) -> pd.Series:
    if "group" not in frame.columns:
        return pd.Series("all", index=frame.index)
    return frame["group"].fillna("unknown").astype(str)


def _numeric(values: pd.Series) -> pd.Series:
    """Numbers as float with NaN for anything missing, non-numeric or infinite."""
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").astype(float)
    return numbers.where(np.isfinite(numbers))


def _month_labels(values: pd.Series, column: str, fmt: str) -> pd.Series:
    """Months as text in ``fmt`` (ISO, so the spec stays JSON and sorts as text); missing stays NaN."""
    if isinstance(values.dtype, pd.PeriodDtype):
        values = values.dt.to_timestamp()
    try:
        stamps = pd.to_datetime(values, errors="raise")
    except (ValueError, TypeError) as exc:
        raise InputError(f"column {column!r} holds a value that is not a month ({exc}); use dates like 2021-03-01") from exc
    return stamps.dt.strftime(fmt).where(stamps.notna())


def _layered(layers: Sequence[tuple[alt.Chart, pd.DataFrame]], **properties: Any) -> alt.LayerChart:
    """Layer the charts (bottom first) with ``properties``, then give each layer its rows."""
    layered = alt.layer(*(chart for chart, _ in layers)).properties(**properties)
    for layer, (_, frame) in zip(layered.layer, layers, strict=True):
        layer.data = _inline(frame)
    return layered


def _inline(frame: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Inline data for ``alt.Chart``, attached as the last step of building a chart.

    Altair deep-copies a chart, rows included, at every ``mark_*``/``encode``/``properties``
    call and validates ``alt.Data`` objects as they are made, at milliseconds per row (every
    ``anyOf`` branch of the inline-data schema reports an error per row). A plain dict set
    once avoids both; :func:`~defectradar.charts.render.chart_spec` validates the finished
    chart on a copy with the rows trimmed. Altair moves the rows to the spec's top-level
    ``datasets``; they stay inline either way.
    """
    return {"values": _records(frame)}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts: Python scalars, None for missing values."""
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict(orient="records")
