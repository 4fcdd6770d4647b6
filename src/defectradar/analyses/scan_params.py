"""The parameters a scan gives each method for each series, and the calibration it reports.

Kept apart from :mod:`defectradar.analyses.scan` so the scan reads as what it does; the
back-test (:mod:`defectradar.analyses.backtest`) uses the same functions, so it measures what
the scan would do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from defectradar.core.series import CountSeries
from defectradar.signals.calibrated import METHOD as NB_EXCESS
from defectradar.signals.calibrated import calibrate, pooled_dispersion
from defectradar.signals.exposure import MEAN_PARAMETER
from defectradar.signals.glr import PERIODS_PER_YEAR
from defectradar.signals.registry import detector

if TYPE_CHECKING:
    from defectradar.analyses.scan import ScanConfig

BUDGET_PERIODS = 104              # simulated series length when a method's threshold is set from the budget
BUDGET_LEVEL_PERIODS = 26         # the periods whose mean sets a series' level for that


def method_params(config: "ScanConfig", all_series: dict[tuple, CountSeries],
                  expected: dict[tuple, np.ndarray] | None = None, chosen: dict | None = None):
    """``(method, key) -> (params, prior)``: the scan's parameters of a method for one series.

    nb-excess borrows from the other series of the scope (pooled dispersion, the same mode's
    level in other products: :func:`~defectradar.signals.calibrated.calibrate`) and takes the
    scan's false-alarm budget.  Every other method gets its threshold parameter from the same
    budget (:func:`~defectradar.signals.budget.threshold_for_budget`: simulated from the pooled
    negative binomial null at the series' level) unless ``calibrate_thresholds`` is off.
    ``prior`` says where nb-excess's prior came from (None for other methods); ``chosen``
    collects, per method, the thresholds used (for the scan summary).
    """
    per_series = {}
    if NB_EXCESS in config.methods:
        own = {**config.params.get(NB_EXCESS, {})}
        own.setdefault("false_alarms_per_year", config.false_alarms_per_year)
        per_series = calibrate(all_series, own, exclude_last=config.lookback)
    others = [m for m in config.methods if m != NB_EXCESS]
    dispersion = None
    if others and config.calibrate_thresholds:
        dispersion = pooled_dispersion([s.counts for s in all_series.values()]) or 0.0

    def params_for(method: str, key: tuple) -> tuple[dict, dict | None]:
        if method == NB_EXCESS and key in per_series:
            params = dict(per_series[key])
            return params, params.pop("prior")
        params = dict(config.params.get(method, {}))
        if dispersion is None or key not in all_series:
            return params, None
        from defectradar.signals.budget import level_of, threshold_for_budget

        counts = all_series[key].counts
        level = level_of(float(counts[-BUDGET_LEVEL_PERIODS:].mean()) if len(counts) else 0.0)
        given = {**params, "mu0": [level]} if method in MEAN_PARAMETER and (expected or {}).get(key) is not None \
            else params
        calibrated, info = threshold_for_budget(method, given, freq=config.freq, periods=BUDGET_PERIODS,
                                                mean=level, dispersion=round(dispersion, 2),
                                                budget=config.false_alarms_per_year, start=BUDGET_PERIODS // 2)
        if chosen is not None and info.get("parameter"):
            chosen.setdefault(method, {"parameter": info["parameter"], "values": {}})["values"][level] = \
                info.get("value")
        if info.get("parameter"):
            params[info["parameter"]] = calibrated[info["parameter"]]
        return params, None
    return params_for


def calibration_summary(config: "ScanConfig", series_years: float, thresholds: dict | None = None) -> dict:
    """The false-alarm budget, each method's threshold and the false alarms the budget implies."""
    methods_out = {}
    for method in config.methods:
        if method == NB_EXCESS:
            level = min(0.5, config.false_alarms_per_year / PERIODS_PER_YEAR[config.freq])
            methods_out[method] = {"calibrated": True, "false_alarm_level_per_period": level,
                                   "threshold": {"statistic": "surprise", "value": round(-np.log10(level), 4)}}
        elif (thresholds or {}).get(method):
            found = thresholds[method]
            methods_out[method] = {"calibrated": True, "threshold": {
                "statistic": found["parameter"], "by_level": {f"{level:g}": value for level, value in
                                                             sorted(found["values"].items())}}}
        else:
            rule = detector(method, **config.params.get(method, {})).alarm_rule()
            methods_out[method] = {"calibrated": False, "threshold": {"statistic": rule.statistic,
                                                                      "value": rule.threshold},
                                   "note": "fixed threshold from its parameters, not from the budget"}
    return {"false_alarms_per_year": config.false_alarms_per_year, "series_years": round(series_years, 2),
            "implied_false_alarms": round(config.false_alarms_per_year * series_years, 2),
            "min_count": config.floor(), "min_authors": config.min_authors, "methods": methods_out}


