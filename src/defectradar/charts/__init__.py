"""Charts as Vega-Lite specs (built with Altair), and their rendering to PNG, SVG, HTML or JSON.

The dashboard embeds the specs; reports and the CLI save them with :func:`save_chart`.
"""

from defectradar.charts.reliability import (
    forecast_chart,
    km_chart,
    mcf_chart,
    nevada_heatmap,
    weibull_probability_chart,
)
from defectradar.charts.render import CHART_FORMATS, chart_spec, save_chart

__all__ = [
    "CHART_FORMATS",
    "chart_spec",
    "forecast_chart",
    "km_chart",
    "mcf_chart",
    "nevada_heatmap",
    "save_chart",
    "weibull_probability_chart",
]
