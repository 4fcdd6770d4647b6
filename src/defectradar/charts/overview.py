"""Overview and alert charts as Vega-Lite specs (Altair): the product x failure-mode heat map,
complaint and repair volume with alarm markers, and one alert's series against its expected values.

Like :mod:`defectradar.charts.reliability`, every builder takes plain rows (lists of dicts or
data frames, as the query functions return them), carries its data inline and knows nothing of
the web: the dashboard embeds the specs, the CLI or a report may save them.

Examples
--------
>>> cells = [{"product_id": "xiaomi-11", "failure_mode": "wifi", "reports": 12, "per_10k": 6.6, "score": 2.1}]
>>> product_mode_heatmap(cells).to_dict()["mark"]["type"]
'rect'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from defectradar.charts.reliability import _layered
from defectradar.errors import InputError

#: What a heat map cell can show: complaints, or complaints per 10,000 units in service.
HEATMAP_VALUES = {"reports": "Complaints", "per_10k": "Complaints per 10,000 units in service"}
VOLUME_COLOURS = {"complaints": "#4c78a8", "repairs": "#72b7b2"}
ALARM_COLOUR = "#b3261e"


def _frame(rows: Any, columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows) if not isinstance(rows, pd.DataFrame) else rows)
    for column in columns:
        if column not in frame:
            frame[column] = None
    return frame


def product_mode_heatmap(cells: Any, *, value: str = "reports", title: str | None = None) -> alt.LayerChart:
    """Products down, failure modes across; each cell's text is its complaints (or rate per
    10,000 units in service) and its colour the strongest alert score on it (grey: no alert).

    Parameters
    ----------
    cells : rows of ``product_id, failure_mode, reports, per_10k`` and optionally ``score``
        (the RR05/EB05 of an alert on the pair) and ``units_in_service``.
    value : ``reports`` or ``per_10k``
        What the cell says; the tooltip has both.
    """
    if value not in HEATMAP_VALUES:
        raise InputError(f"value={value!r}: use one of {', '.join(HEATMAP_VALUES)}")
    frame = _frame(cells, ["product_id", "failure_mode", "reports", "per_10k", "score", "units_in_service"])
    if frame.empty:
        raise InputError("nothing to plot: no product x failure mode has complaints")
    frame["shown"] = pd.to_numeric(frame[value], errors="coerce")
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce")
    frame["label"] = frame["shown"].map(lambda v: "" if pd.isna(v) else f"{v:,.3g}")
    x = alt.X("failure_mode:N", title="Failure mode", sort="ascending", axis=alt.Axis(labelAngle=-40))
    y = alt.Y("product_id:N", title="Product", sort="ascending")
    tooltip = [alt.Tooltip("product_id:N", title="Product"), alt.Tooltip("failure_mode:N", title="Failure mode"),
               alt.Tooltip("reports:Q", title="Complaints", format=",.0f"),
               alt.Tooltip("units_in_service:Q", title="Units in service", format=",.0f"),
               alt.Tooltip("per_10k:Q", title="Per 10,000 units", format=",.2f"),
               alt.Tooltip("score:Q", title="Alert score", format=".2f")]
    base = alt.Chart().mark_rect(stroke="white", strokeWidth=1, color="#e8ebf0").encode(x=x, y=y, tooltip=tooltip)
    layers = [(base, frame)]
    scored = frame.dropna(subset=["score"])
    if not scored.empty:           # a cell with an alert on it: coloured by the alert's score
        rect = alt.Chart().mark_rect(stroke="white", strokeWidth=1).encode(
            x=x, y=y, tooltip=tooltip,
            color=alt.Color("score:Q", title="Alert score (RR05/EB05)",
                            scale=alt.Scale(scheme="orangered", domainMin=0)))
        layers.append((rect, scored))
    text = alt.Chart().mark_text(fontSize=11).encode(x=x, y=y, text="label:N", tooltip=tooltip)
    layers.append((text, frame))
    return _layered(layers, title=title or HEATMAP_VALUES[value],
                    width=alt.Step(44), height=alt.Step(26))


def volume_chart(volume: Any, markers: Any = (), *, title: str = "Complaints and repairs per week"
                 ) -> alt.LayerChart:
    """Weekly complaint and repair counts as lines, with a rule at each alarm (raised or reopened).

    Parameters
    ----------
    volume : rows of ``week, kind, count`` (``kind`` complaints or repairs)
    markers : rows of ``day, product_id, failure_mode, source`` (alerts raised that day)
    """
    frame = _frame(volume, ["week", "kind", "count"])
    if frame.empty:
        raise InputError("nothing to plot: no complaints or repairs in the period")
    frame["week"] = pd.to_datetime(frame["week"]).dt.strftime("%Y-%m-%d")
    x = alt.X("week:T", title="Week")
    lines = alt.Chart().mark_line(point=True).encode(
        x=x, y=alt.Y("count:Q", title="Per week"),
        color=alt.Color("kind:N", title="", scale=alt.Scale(domain=list(VOLUME_COLOURS),
                                                            range=list(VOLUME_COLOURS.values()))),
        tooltip=[alt.Tooltip("week:T", title="Week"), alt.Tooltip("kind:N", title="What"),
                 alt.Tooltip("count:Q", title="Count", format=",.0f")])
    layers = [(lines, frame)]
    marks = _frame(markers, ["day", "product_id", "failure_mode", "source"])
    if not marks.empty:
        marks["day"] = pd.to_datetime(marks["day"]).dt.strftime("%Y-%m-%d")
        marks["what"] = (marks["product_id"].fillna("(all)") + " / " + marks["failure_mode"].fillna("(all)")
                         + " (" + marks["source"].fillna("") + ")")
        rules = alt.Chart().mark_rule(color=ALARM_COLOUR, strokeDash=[4, 3], strokeWidth=1.5).encode(
            x=alt.X("day:T"), tooltip=[alt.Tooltip("day:T", title="Alarm"), alt.Tooltip("what:N", title="Alert")])
        layers.append((rules, marks))
    return _layered(layers, title=title, width="container", height=260)


def alert_series_chart(series: dict, *, count_threshold: float | None = None,
                       title: str = "Counts, expected values and the alarm threshold") -> alt.LayerChart:
    """One alert's series: observed counts as bars, the expected count as a line, and the count
    that would alarm as a dashed rule (when known).

    Parameters
    ----------
    series : ``{"periods": [...], "counts": [...], "expected": [...]}`` as an alert's evidence
        records it; ``expected`` may cover only the last periods (aligned at the end).
    count_threshold : the count at which the latest period would alarm.
    """
    periods = list(series.get("periods") or [])
    counts = list(series.get("counts") or [])
    expected = list(series.get("expected") or [])
    if not periods or len(counts) != len(periods):
        raise InputError("nothing to plot: the alert's evidence holds no series of counts")
    pad = len(periods) - len(expected)
    expected = ([None] * pad + expected) if pad >= 0 else expected[-len(periods):]
    frame = pd.DataFrame({"period": periods, "count": counts, "expected": expected})
    x = alt.X("period:T", title="Period")
    bars = alt.Chart().mark_bar(color="#4c78a8", opacity=0.8).encode(
        x=x, y=alt.Y("count:Q", title="Count"),
        tooltip=[alt.Tooltip("period:T", title="Period"), alt.Tooltip("count:Q", title="Count"),
                 alt.Tooltip("expected:Q", title="Expected", format=".3g")])
    layers = [(bars, frame)]
    line_rows = frame.dropna(subset=["expected"])
    if not line_rows.empty:
        line = alt.Chart().mark_line(color="#f58518", point=True).encode(
            x=x, y=alt.Y("expected:Q"), tooltip=[alt.Tooltip("period:T", title="Period"),
                                                 alt.Tooltip("expected:Q", title="Expected", format=".3g")])
        layers.append((line, line_rows))
    if count_threshold is not None and count_threshold == count_threshold:
        rule = alt.Chart().mark_rule(color=ALARM_COLOUR, strokeDash=[6, 4]).encode(
            y=alt.Y("threshold:Q"), tooltip=[alt.Tooltip("threshold:Q", title="Alarm at", format=".3g")])
        layers.append((rule, pd.DataFrame({"threshold": [float(count_threshold)]})))
    return _layered(layers, title=title, width="container", height=240)


__all__ = ["alert_series_chart", "product_mode_heatmap", "volume_chart"]
