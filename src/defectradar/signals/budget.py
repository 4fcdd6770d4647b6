"""Detector thresholds from a false-alarm budget (issue 15, item 2).

The user says how many false alarms per series-year they accept (``--false-alarms-per-year``,
0.1 by default); each temporal detector's threshold parameter is then set so that, on series
simulated from the in-control null, it raises that many:

* **the null**: independent counts per period with mean ``mean`` and variance
  :math:`m + \\phi m^2` (negative binomial as a Gamma-Poisson mixture; Poisson when
  :math:`\\phi = 0`), ``periods`` periods long, ``n_sim`` series (by default 1000, or 200 where
  each series needs model fits: GLM baselines, ``glr-nb``, Farrington);
* **the detector** runs on each simulated series exactly as it would on a real one from
  ``start`` (by default its ``min_history``): a baseline it estimates from history is estimated
  from the simulated history, an in-control mean it is given (``mu0`` of GLR, ``m`` of CUSUM) is
  the null mean.  A simulated series the detector refuses (an all-zero history) is left out, as
  the scan skips it;
* **the rate**: alarmed periods (every one counts) over scored series-years
  (``(periods - start) / periods per year`` per series);
* **the search**: bisection on the method's monotone threshold parameter (``c_arl`` for GLR,
  ``h`` for CUSUM, ``alpha`` for EARS and Farrington, searched as :math:`z = \\Phi^{-1}(1-\\alpha)`;
  ``gamma``, the entry cost, for Kleinberg's bursts) for the loosest value whose simulated false
  alarms stay within the budget.  Every candidate is scored on the *same* simulated series
  (common random numbers), so the alarm count is a step function of the parameter and the
  bisection is deterministic; the value is rounded (4 significant digits, 3 for ``alpha``)
  towards the strict side.

Where the budget cannot be met inside the parameter's range (EARS with a baseline of zeros
alarms on any count whatever ``z`` is; GLR or CUSUM whose baseline is fitted to the few periods of
their ``min_history``: pass a later ``start``) the strictest value is
returned with a ``note``; where even the loosest value spends less than the budget, the loosest.

Per method:

* **EARS C1/C2/C3** (``compat="surveillance"``): the baseline moments are computed for all
  series at once; the alarm rule is evaluated per candidate :math:`z`.  ``compat="cdc"`` fixes
  the limit (3, or 2 for C3): not calibrated.
* **CUSUM**: the transformed counts once; without ``reset`` the sum does not depend on ``h``,
  with it the sum is re-run per candidate (all series at once).
* **GLR** (Poisson and negative binomial): the chart restarts after each alarm, so its
  statistic depends on ``c_arl``; the statistic of the chart restarted at period ``b`` does not,
  and is computed once per (series, ``b``) (all series at once) and reused by every candidate.
  ``glr-nb`` with ``alpha=None`` estimates :math:`\\alpha` per series by maximum likelihood
  (about 3 s a series); the simulation uses the null's dispersion instead, with a note.
* **Farrington**: the model at a scored period does not depend on ``alpha``; one random scored
  period per simulated series is fitted, and its alarm probability under the null is computed
  exactly (the current count and the three before it are independent of the reference data
  when ``past_periods_not_included >= limit54[1] - 1``, the default), so 200 fits give a smooth
  rate.  Needs ``b`` years of history: series shorter than that cannot be calibrated.
* **bursts**: the Viterbi path of all series at once per candidate ``gamma``.  Bursts are
  retrospective; the rate is that of one fit of the whole series.
* **nb-excess**: its threshold is analytic (:mod:`defectradar.signals.calibrated`); the budget
  is passed as ``false_alarms_per_year``.

Results are cached on (method, the other parameters, freq, periods, mean to 2 significant
digits, dispersion to 2 decimals, budget, start, seed, n_sim): a scan calls this once per
(method, mean level), see :func:`calibrate_methods` and :func:`level_of`.

Examples
--------
>>> params, info = threshold_for_budget("cusum", {}, freq="week", periods=104, mean=5.0,
...                                     dispersion=0.0, budget=0.1, start=52)
>>> info["parameter"], params["h"] == info["value"]
('h', True)
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np
from scipy.stats import norm

from defectradar.errors import InputError
from defectradar.signals.budget_counters import (
    _BurstsCounter,
    _Counter,
    _CusumCounter,
    _EarsCounter,
    _FarringtonCounter,
    _GlrCounter,
)
from defectradar.signals.glr import PERIODS_PER_YEAR
from defectradar.signals.registry import _BUILTIN, detector

#: Mean levels (events per period) a scan calibrates at: half-decades.
LEVELS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0)
#: The simulation is enlarged (up to MAX_SIM_FACTOR x n_sim series) until the budget implies at
#: least this many alarms, so a scan scoring only a few periods per series still gets a stable threshold.
MIN_ALARMS = 20
MAX_SIM_FACTOR = 10
#: Simulated series by default: many where scoring them is cheap, fewer where each needs model fits.
N_SIM_CHEAP, N_SIM_MODEL = 1000, 200
#: Over budget even at the strictest value, alarms are counted only up to this many times the budget.
OVER_BUDGET_COUNTED = 10
_TOLERANCE = 1e-3          # bisection stops when the bracket is this narrow (in z, log c_arl, log h, gamma)


@dataclass(frozen=True)
class _Spec:
    """How a method's threshold parameter is searched: ``u`` grows with strictness."""

    parameter: str
    loose: float
    strict: float
    value: Callable[[float], float]       # u -> parameter value
    u: Callable[[float], float]           # parameter value -> u
    digits: int
    up_is_strict: bool                    # rounding the value up makes the detector stricter


_LOG = dict(value=math.exp, u=math.log, digits=4, up_is_strict=True)
_Z = dict(value=lambda z: float(norm.sf(z)), u=lambda a: float(norm.isf(a)), digits=3, up_is_strict=False)
SPECS = {
    "glr-poisson": _Spec("c_arl", math.log(0.05), math.log(200.0), **_LOG),
    "glr-nb": _Spec("c_arl", math.log(0.05), math.log(200.0), **_LOG),
    "cusum": _Spec("h", math.log(0.05), math.log(200.0), **_LOG),
    "ears-c1": _Spec("alpha", 0.0, 8.0, **_Z),
    "ears-c2": _Spec("alpha", 0.0, 8.0, **_Z),
    "ears-c3": _Spec("alpha", 0.0, 8.0, **_Z),
    "farrington": _Spec("alpha", 0.01, 8.0, **_Z),
    "bursts": _Spec("gamma", 0.0, 50.0, value=float, u=float, digits=4, up_is_strict=True),
}
#: Parameters that change only what is reported, not when the detector alarms.
_REPORTING_ONLY = frozenset({"threshold_last"})


# ----------------------------------------------------------------------------- public API
def level_of(mean: float) -> float:
    """The calibration level (one of :data:`LEVELS`) nearest to ``mean`` on a log scale.

    >>> [level_of(m) for m in (0.01, 0.5, 1.2, 5, 20, 1e4)]
    [0.1, 0.3, 1.0, 3.0, 30.0, 300.0]
    """
    mean = float(mean)
    if not math.isfinite(mean) or mean <= 0:
        return LEVELS[0]
    logs = np.log10(LEVELS)
    return LEVELS[int(np.argmin(np.abs(logs - math.log10(mean))))]


def threshold_for_budget(method: str, params: dict | None, *, freq: str, periods: int, mean: float,
                         dispersion: float, budget: float, start: int | None = None, seed: int = 0,
                         n_sim: int | None = None) -> tuple[dict, dict]:
    """``params`` with ``method``'s threshold parameter set so false alarms per series-year equal ``budget``.

    Parameters
    ----------
    method, params
        A temporal detector (see :mod:`defectradar.signals.registry`) and its other parameters;
        a given in-control mean (``mu0`` of GLR, a number ``m`` of CUSUM, in any form) stands
        for the null mean.
    freq, periods
        Period of the series (``day``, ``week``, ``month``) and the length of a simulated series.
    mean, dispersion
        The null: per-period mean and overdispersion :math:`\\phi` (variance :math:`m + \\phi m^2`,
        0 for Poisson).  ``mean`` is rounded to 2 significant digits, ``dispersion`` to 2 decimals.
    budget
        False alarms per series-year accepted (> 0).
    start
        First scored period of a simulated series (default: the detector's ``min_history``).
    seed, n_sim
        Random seed and number of simulated series (default: 1000 where the detector fits no model
        per series, 200 where it does: GLM baselines, glr-nb, Farrington); raised, up to 10x, so the
        budget implies at least 20 alarms.

    Returns
    -------
    (params, info)
        ``params`` with the threshold parameter set (unchanged when the method cannot be
        calibrated), and ``info``: ``parameter``, ``value``, ``simulated_false_alarms_per_year``,
        ``n_sim``, ``null`` (what was simulated), ``budget``, ``alarms`` and ``series_years``
        (simulated), ``seconds`` and, when the budget could not be met exactly, ``note``.
    """
    params = dict(params or {})
    _check_inputs(method, params, freq, periods, mean, dispersion, budget, start, n_sim)
    key = _params_key(method, params)
    value, info = _calibrated(method, key, freq, int(periods), _round_mean(mean), round(float(dispersion), 2),
                              float(budget), None if start is None else int(start), int(seed),
                              None if n_sim is None else int(n_sim))
    out = dict(params)
    if value is not None:
        out[info["parameter"]] = value
    elif method == "nb-excess":
        out["false_alarms_per_year"] = float(budget)
    return out, copy.deepcopy(info)


def calibrate_methods(methods: Sequence[str], params_by_method: dict[str, dict] | None, *, freq: str, periods: int,
                      means: Sequence[float], dispersion: float, budget: float, start: int | dict | None = None,
                      seed: int = 0, n_sim: int | None = None) -> dict[str, dict[float, tuple[dict, dict]]]:
    """Calibrated parameters per method and mean level: ``{method: {level: (params, info)}}``.

    The levels are those (:func:`level_of`) of the given ``means`` (e.g. each series' mean per
    period); a series then takes the parameters of ``level_of`` its mean.  ``start`` may be a
    dict by method.
    """
    params_by_method = params_by_method or {}
    levels = sorted({level_of(m) for m in means})
    out: dict[str, dict[float, tuple[dict, dict]]] = {}
    for method in methods:
        first = start.get(method) if isinstance(start, dict) else start
        out[method] = {level: threshold_for_budget(method, params_by_method.get(method, {}), freq=freq,
                                                   periods=periods, mean=level, dispersion=dispersion,
                                                   budget=budget, start=first, seed=seed, n_sim=n_sim)
                       for level in levels}
    return out


def clear_cache() -> None:
    """Forget cached calibrations (tests, or after changing a detector's code)."""
    _calibrated.cache_clear()


# ----------------------------------------------------------------------------- checks and keys
def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_inputs(method, params, freq, periods, mean, dispersion, budget, start, n_sim) -> None:
    if not _number(budget) or budget <= 0:
        raise InputError(f"the false-alarm budget must be a positive number of false alarms per series-year "
                         f"(e.g. 0.1), not {budget!r}")
    if freq not in PERIODS_PER_YEAR:
        raise InputError(f"freq must be one of {', '.join(PERIODS_PER_YEAR)}, not {freq!r}")
    if not _number(mean) or mean <= 0:
        raise InputError(f"the null mean must be a positive number of events per period, not {mean!r}")
    if not _number(dispersion) or dispersion < 0:
        raise InputError(f"the null overdispersion must be a number >= 0 (0: Poisson), not {dispersion!r}")
    if not isinstance(periods, int) or isinstance(periods, bool) or periods < 2:
        raise InputError(f"periods must be a whole number >= 2 (the length of a simulated series), not {periods!r}")
    if n_sim is not None and (not isinstance(n_sim, int) or isinstance(n_sim, bool) or n_sim < 1):
        raise InputError(f"n_sim must be a positive whole number of simulated series, not {n_sim!r}")
    det = detector(method, **params)          # unknown method or parameter: InputError naming the choices
    det._validate_params()
    if start is not None and (not isinstance(start, int) or isinstance(start, bool) or not 0 <= start < periods):
        raise InputError(f"start must be a whole number from 0 to periods - 1 ({periods - 1}), not {start!r}")


def _hashable(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_hashable(v) for v in value)
    return value


def _params_key(method: str, params: dict) -> tuple:
    """The parameters that change when the detector alarms, hashable, threshold and given means normalised."""
    spec = SPECS.get(method)
    key = {}
    for name, value in params.items():
        if name in _REPORTING_ONLY or (spec is not None and name == spec.parameter):
            continue
        if name == "mu0" and value is not None:
            value = "given"
        if method == "cusum" and name == "m" and _number(value):
            value = "given"
        key[name] = _hashable(value)
    return tuple(sorted(key.items()))


def _round_mean(mean: float) -> float:
    return float(f"{float(mean):.2g}")


def _round_strict(value: float, digits: int, up: bool) -> float:
    """``value`` to ``digits`` significant digits, rounded up (``up``) or down."""
    if value == 0 or not math.isfinite(value):
        return value
    scale = 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)
    scaled = value / scale
    rounded = math.ceil(scaled - 1e-9) if up else math.floor(scaled + 1e-9)
    return float(f"{rounded * scale:.{digits}g}")


# ----------------------------------------------------------------------------- simulation
def _simulate(mean: float, dispersion: float, n: int, periods: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dispersion > 0:
        rates = rng.gamma(1.0 / dispersion, dispersion * mean, size=(n, periods))
    else:
        rates = np.full((n, periods), mean)
    return rng.poisson(rates).astype(float)


# ----------------------------------------------------------------------------- the search
@lru_cache(maxsize=512)
def _calibrated(method: str, key: tuple, freq: str, periods: int, mean: float, dispersion: float, budget: float,
                start: int | None, seed: int, n_sim: int | None) -> tuple[float | None, dict]:
    began = time.perf_counter()
    params = dict(key)
    if params.get("mu0") == "given":
        params["mu0"] = mean
    if method == "cusum" and params.get("m") == "given":
        params["m"] = mean
    det = detector(method, **params)
    null = {"mean": mean, "dispersion": dispersion, "distribution": "negative binomial" if dispersion else "Poisson",
            "freq": freq, "periods": periods, "seed": seed}
    info = {"method": method, "budget": budget, "null": null}
    if method == "nb-excess":
        info.update(parameter="false_alarms_per_year", value=budget, simulated_false_alarms_per_year=None,
                    n_sim=0, note="nb-excess sets its threshold from the budget analytically")
        return None, info
    spec = SPECS.get(method)
    reason = _cannot_calibrate(method, det, spec)
    if reason:
        info.update(parameter=spec.parameter if spec else None, value=None, simulated_false_alarms_per_year=None,
                    n_sim=0, note=reason)
        return None, info
    if method == "farrington":
        det._cycle = PERIODS_PER_YEAR[freq]
    first = det.min_history() if start is None else start
    if first < det.min_history():
        raise InputError(f"{method} needs {det.min_history()} periods of history before the first scored period; "
                         f"start={first} is too early (leave it out to use {det.min_history()})")
    null["start"] = first
    if first >= periods:
        info.update(parameter=spec.parameter, value=None, simulated_false_alarms_per_year=None, n_sim=0,
                    note=f"{method} needs {first} periods of history and a simulated series has {periods}; "
                         "not calibrated (give longer series)")
        return None, info
    years_per_series = (periods - first) / PERIODS_PER_YEAR[freq]
    if n_sim is None:
        n_sim = N_SIM_MODEL if _fits_models(method, det) else N_SIM_CHEAP
    simulated = n_sim
    if method != "farrington":
        needed = math.ceil(MIN_ALARMS / (budget * years_per_series))
        simulated = max(n_sim, min(needed, MAX_SIM_FACTOR * n_sim))
    counts = _simulate(mean, dispersion, simulated, periods, seed)
    if _fits_glms(method, det):
        # statsmodels resets warning filters when first imported; imported inside the block below,
        # its filters would outrank the "ignore" (see scan.temporal_signals).
        import statsmodels.api  # noqa: F401

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        counter = _counter(method, det, counts, first, mean, dispersion, freq, seed)
        if counter.included == 0:
            info.update(parameter=spec.parameter, value=None, simulated_false_alarms_per_year=None, n_sim=simulated,
                        note=f"{method} could not score any simulated series (e.g. all-zero histories)")
            return None, info
        series_years = counter.included * years_per_series
        target = budget * series_years
        u, note = _bisect(counter, spec, target)
        value = _round_strict(spec.value(u), spec.digits, spec.up_is_strict)
        alarms = counter.alarms(spec.u(value), OVER_BUDGET_COUNTED * target)
        if alarms > target and note is None:     # rounding crossed a step: keep the unrounded value
            value, alarms = spec.value(u), counter.alarms(u)
    null["reference"] = counter.null_reference
    info.update(parameter=spec.parameter, value=value,
                simulated_false_alarms_per_year=round(alarms / series_years, 4), n_sim=simulated,
                alarms=round(alarms, 2), series_years=round(series_years, 2),
                series_excluded=simulated - counter.included, seconds=round(time.perf_counter() - began, 3))
    if spec.parameter == "alpha":
        info["z"] = round(spec.u(value), 4)
    notes = [n for n in (note, *counter.notes) if n]
    if target < MIN_ALARMS / 2:
        notes.append(f"the budget allows only {target:.3g} simulated alarms: the threshold is uncertain; "
                     "raise n_sim or score more periods")
    if notes:
        info["note"] = "; ".join(notes)
    return value, info


def _fits_glms(method: str, det) -> bool:
    if method.startswith("glr"):
        return det.mu0 is None and (det.harmonics > 0 or det.trend)
    return method == "farrington" or (method == "cusum" and det.m == "glm")


def _fits_models(method: str, det) -> bool:
    """Whether the simulation fits a model per series (statsmodels GLMs, or glr-nb's Newton steps)."""
    if method == "glr-nb":
        return True
    if method == "glr-poisson":
        return det.mu0 is None and (det.harmonics > 0 or det.trend)
    return method == "farrington" or (method == "cusum" and det.m == "glm")


def _cannot_calibrate(method: str, det, spec: _Spec | None) -> str | None:
    if spec is None:
        known = method in _BUILTIN
        return (f"{method} has no threshold parameter this calibration knows" if known else
                f"{method} is a plug-in detector; its threshold cannot be calibrated here")
    if method.startswith("ears") and det.compat == "cdc":
        return f"{method} with compat='cdc' has a fixed limit (alpha is not used); not calibrated"
    if method == "bursts" and det.model == "binomial":
        return "bursts with model='binomial' needs denominators, which the count null has none of; not calibrated"
    return None


def _counter(method, det, counts, start, mean, dispersion, freq, seed) -> _Counter:
    if method.startswith("ears"):
        return _EarsCounter(det, counts, start)
    if method == "cusum":
        return _CusumCounter(det, counts, start, mean, freq)
    if method.startswith("glr"):
        return _GlrCounter(det, counts, start, mean, dispersion, freq)
    if method == "bursts":
        return _BurstsCounter(det, counts, start)
    return _FarringtonCounter(det, counts, start, mean, dispersion, freq, seed)


def _bisect(counter: _Counter, spec: _Spec, target: float) -> tuple[float, str | None]:
    """The loosest ``u`` whose alarms stay within ``target`` (and a note when the range ends first)."""
    lo, hi = spec.loose, spec.strict
    strictest = counter.alarms(hi, OVER_BUDGET_COUNTED * target)
    if strictest > target:
        more = "more than " if strictest > OVER_BUDGET_COUNTED * target else ""
        return hi, (f"the budget cannot be met: even {spec.parameter}={_round_strict(spec.value(hi), 4, True):g} "
                    f"gives {more}{strictest:g} simulated false alarms against {target:.3g} allowed")
    if counter.alarms(lo, target) <= target:
        return lo, (f"the budget is not spent: even {spec.parameter}={_round_strict(spec.value(lo), 4, True):g} "
                    "stays within it")
    while hi - lo > _TOLERANCE:
        middle = (lo + hi) / 2
        if counter.alarms(middle, target) <= target:
            hi = middle
        else:
            lo = middle
    return hi, None


__all__ = ["LEVELS", "SPECS", "calibrate_methods", "clear_cache", "level_of", "threshold_for_budget"]
