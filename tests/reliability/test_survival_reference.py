"""Reliability estimators against R ``survival`` 3.5.3 (R 4.2.2), and lifelines as a second check.

Reference values: ``reference/{aml,lung,valveseat}.json``, written by
``reference/make_reference.R`` from the survival package's own data sets (each JSON file carries
its data, so no R is needed here).  The key calls in that script::

    ctl <- survreg.control(rel.tolerance = 1e-13, maxiter = 200)   # MLE to ~1e-10
    fit <- survreg(Surv(time, event) ~ 1, data = d, dist = "weibull", control = ctl)  # [, weights = w]
    shape <- 1 / fit$scale; scale <- exp(coef(fit)); fit$loglik[2]; V <- vcov(fit)
    scale_ci <- exp(coef(fit) + c(-1, 1) * qnorm(0.975) * sqrt(V[1, 1]))
    shape_ci <- sort(exp(-(log(fit$scale) + c(-1, 1) * qnorm(0.975) * sqrt(V[2, 2]))))
    b10 <- scale * (-log(0.9))^(1 / shape); pweibull(ages, shape, scale)
    survfit(Surv(time, event) ~ 1, data = d, conf.type = ct)        # ct = "log", "log-log", "plain"
    survdiff(Surv(time, status) ~ x, data = aml)                     # and ~ sex on lung
    ## valveSeat, counting-process form as in vignette("survival"), section "Repeated events":
    vdata <- with(valveSeat, data.frame(id = id, time2 = time, status = status))
    first <- !duplicated(vdata$id)
    vdata$time1 <- ifelse(first, 0, c(0, vdata$time2[-nrow(vdata)]))
    double <- which(vdata$time1 == vdata$time2)           # engines 328 (day 653), 402 (day 139)
    vdata$time1[double] <- vdata$time1[double] - .01
    vdata$time2[double - 1] <- vdata$time1[double]
    fit <- survfit(Surv(time1, time2, status) ~ 1, data = vdata, id = id, robust = TRUE)
    fit$cumhaz; fit$std.chaz      # Nelson MCF and its infinitesimal-jackknife (robust) se

The 0.01-day shift splits a tied pair of repairs at t into t - 0.01 and t with the same risk set,
so the Nelson steps and each engine's influence terms add up to the same totals at t; the script
drops the t - 0.01 rows and adds their event into t.  It also computes Nelson's MCF and the
Lawless & Nadeau (1995) variance by hand with the ties kept,
``Var(t) = sum_i [sum_{t_k <= t} delta_i(t_k) (n_ik - d_k / r_k) / r_k]^2``, and survfit agrees
to 5e-16.  The risk set at t_k counts every engine whose end of observation is >= t_k (an
engine retired on the day of another engine's repair is still at risk).

R's ``vcov`` is of (Intercept, Log(scale)) = (log scale, log sigma) with sigma = 1 / shape, so
``var(log shape) = var(log sigma)`` and ``cov(log shape, log scale) = -cov(Intercept, log sigma)``;
the JSON also carries that 2x2 already rearranged as ``cov_log_shape_log_scale``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter, WeibullFitter

from defectradar.reliability import (
    KaplanMeier,
    LifetimeData,
    MeanCumulativeFunction,
    RecurrenceData,
    WeibullModel,
    compare_mcf,
    logrank,
)

REFERENCE = Path(__file__).parent / "reference"
#: Weibull point estimates: R's Newton-Raphson and our optimiser each stop near the optimum;
#: the log-likelihood is flat there, so the estimates agree to ~1e-7 and 1e-5 is a safe margin.
RTOL_MLE = 1e-5
#: Wald intervals, B10, F(t) and the covariance: functions of the estimates and of the Hessian
#: (numerical or analytic), which carry the optimiser's error amplified by a factor of a few.
RTOL_INTERVAL = 1e-4
#: Kaplan-Meier, Greenwood, log-rank: closed-form arithmetic on counts, exact to rounding.
ATOL_EXACT = 1e-10
#: MCF and its robust se: sums of ratios of counts.
RTOL_MCF = 1e-8


def _load(name: str) -> dict:
    return json.loads((REFERENCE / name).read_text())


def _arr(values) -> np.ndarray:
    """JSON list with ``null`` for R's ``NA`` -> float array with NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


AML = _load("aml.json")
LUNG = _load("lung.json")
VALVE = _load("valveseat.json")


def _lifetime(source: dict, subset: str) -> LifetimeData:
    """Our LifetimeData for one reference case: ``all``, a group/sex value, or ``weighted``."""
    if subset == "weighted":
        d = source["weighted"]["data"]
        return LifetimeData.from_arrays(_arr(d["time"]), np.array(d["event"]), weight=_arr(d["w"]))
    d = source["data"]
    time, event = _arr(d["time"]), np.array(d["event"])
    if subset == "all":
        return LifetimeData.from_arrays(time, event)
    labels = np.array(d["group"] if "group" in d else d["sex"])
    keep = labels == subset
    return LifetimeData.from_arrays(time[keep], event[keep])


WEIBULL_CASES = [
    ("aml", "all"), ("aml", "Maintained"), ("aml", "Nonmaintained"),
    ("lung", "all"), ("lung", "male"), ("lung", "female"), ("lung", "weighted"),
]


def _weibull_reference(dataset: str, subset: str) -> dict:
    source = AML if dataset == "aml" else LUNG
    return source["weighted"]["weibull"] if subset == "weighted" else source["weibull"][subset]


def _source(dataset: str) -> dict:
    return AML if dataset == "aml" else LUNG


# ----------------------------------------------------------------------------- the reference itself
def test_reference_cross_checks_hold():
    """The R script's own cross-checks, so a regenerated reference cannot silently drift.

    Source: ``make_reference.R`` -- survreg's ``fit$loglik[2]`` against
    ``sum(dweibull(log = TRUE)) + sum(pweibull(lower.tail = FALSE, log.p = TRUE))`` (so the
    reference log-likelihood is on the time scale); survfit's ``cumhaz``/``std.chaz`` against the
    hand-written Nelson MCF and Lawless-Nadeau variance; the frequency-weighted lung fits
    (``weights = w``) against the unweighted ones.
    """
    for source in (AML, LUNG):
        for ref in source["weibull"].values():
            assert ref["loglik"] == pytest.approx(ref["loglik_by_hand"], rel=1e-12)
    for m in (VALVE["mcf"], VALVE["groups"]["a"], VALVE["groups"]["b"]):
        np.testing.assert_allclose(m["mcf"], m["mcf_by_hand"], rtol=1e-12)
        np.testing.assert_allclose(m["se"], m["se_by_hand"], rtol=1e-12)
    unweighted, weighted = LUNG["weibull"]["all"], LUNG["weighted"]["weibull"]
    for key in ("shape", "scale", "loglik", "n", "failures"):
        assert weighted[key] == pytest.approx(unweighted[key], rel=1e-10)
    for key, values in LUNG["survfit"]["log"].items():
        np.testing.assert_allclose(_arr(LUNG["weighted"]["survfit"]["log"][key]), _arr(values), rtol=1e-12)


# ------------------------------------------------------------------------------------------ Weibull
@pytest.mark.parametrize(("dataset", "subset"), WEIBULL_CASES)
def test_weibull_matches_survreg(dataset, subset):
    """Shape, scale, log-likelihood, counts.

    Source: R survival 3.5.3, ``survreg(Surv(time, event) ~ 1, dist = "weibull")`` on aml (all,
    per ``x``) and lung (all, per sex, and the frequency-weighted rows with ``weights = w``);
    ``shape = 1 / fit$scale``, ``scale = exp(coef(fit))``, ``fit$loglik[2]``.
    """
    ref = _weibull_reference(dataset, subset)
    w = WeibullModel(confidence=0.95).fit(_lifetime(_source(dataset), subset))
    assert w.shape_ == pytest.approx(ref["shape"], rel=RTOL_MLE)
    assert w.scale_ == pytest.approx(ref["scale"], rel=RTOL_MLE)
    assert w.loglik_ == pytest.approx(ref["loglik"], rel=RTOL_MLE)
    assert w.n_ == pytest.approx(ref["n"])
    assert w.failures_ == pytest.approx(ref["failures"])


@pytest.mark.parametrize(("dataset", "subset"), WEIBULL_CASES)
def test_weibull_intervals_match_survreg_wald(dataset, subset):
    """95% Wald intervals on the log scale, covariance of (log shape, log scale), B10, F(t).

    Source: R survival 3.5.3, from the same ``survreg`` fit: ``V <- vcov(fit)``;
    ``exp(coef(fit) + c(-1, 1) * qnorm(0.975) * sqrt(V[1, 1]))``;
    ``sort(exp(-(log(fit$scale) + c(-1, 1) * qnorm(0.975) * sqrt(V[2, 2]))))``;
    ``scale * (-log(0.9))^(1 / shape)``; ``pweibull(ages, shape, scale)`` at 12/24/48 weeks (aml)
    and 180/365/730 days (lung).
    """
    ref = _weibull_reference(dataset, subset)
    w = WeibullModel(confidence=0.95).fit(_lifetime(_source(dataset), subset))
    np.testing.assert_allclose(w.scale_ci_, ref["scale_ci"], rtol=RTOL_INTERVAL)
    np.testing.assert_allclose(w.shape_ci_, ref["shape_ci"], rtol=RTOL_INTERVAL)
    np.testing.assert_allclose(np.asarray(w.cov_log_, dtype=float), ref["cov_log_shape_log_scale"],
                               rtol=RTOL_INTERVAL, atol=1e-9)
    assert w.b10_ == pytest.approx(ref["b10"], rel=RTOL_INTERVAL)
    got = [w.probability_of_failure(age) for age in ref["ages"]]
    np.testing.assert_allclose(got, ref["probability_of_failure"], rtol=RTOL_INTERVAL)


# ------------------------------------------------------------------------------------- Kaplan-Meier
KM_CASES = [
    ("aml", "all", "log"), ("aml", "all", "log-log"), ("aml", "all", "plain"),
    ("aml", "Maintained", "log"), ("aml", "Nonmaintained", "log"),
    ("lung", "all", "log"), ("lung", "weighted", "log"),
]


def _km_reference(dataset: str, subset: str, conf_type: str) -> dict:
    source = _source(dataset)
    if subset == "all":
        return source["survfit"][conf_type]
    if subset == "weighted":
        return source["weighted"]["survfit"][conf_type]
    return source["survfit_by_group"][subset][conf_type]


@pytest.mark.parametrize(("dataset", "subset", "conf_type"), KM_CASES)
def test_kaplan_meier_matches_survfit(dataset, subset, conf_type):
    """Every row: time, at risk, events, censored, survival and the 95% band.

    Source: R survival 3.5.3, ``survfit(Surv(time, event) ~ 1, conf.type = ct)`` (aml all with
    ct = "log", "log-log", "plain"; aml per ``x`` and lung with "log"; lung's frequency-weighted
    rows with ``weights = w``); columns ``time, n.risk, n.event, n.censor, surv, lower, upper``.
    survfit caps the "log" upper bound at 1 and floors "plain" at 0.
    """
    ref = _km_reference(dataset, subset, conf_type)
    km = KaplanMeier(confidence=0.95, conf_type=conf_type).fit(_lifetime(_source(dataset), subset))
    table = km.table_
    assert len(table) == len(ref["time"])
    pairs = {"time": "time", "at_risk": "n_risk", "events": "n_event", "censored": "n_censor",
             "survival": "surv", "lower": "lower", "upper": "upper"}
    for ours, theirs in pairs.items():
        np.testing.assert_allclose(table[ours].to_numpy(dtype=float), _arr(ref[theirs]),
                                   rtol=0, atol=ATOL_EXACT, equal_nan=True, err_msg=ours)


@pytest.mark.parametrize(("dataset", "factor"), [("aml", "group"), ("lung", "sex")])
def test_logrank_matches_survdiff(dataset, factor):
    """Two-group log-rank chi-square, df and p-value.

    Source: R survival 3.5.3, ``survdiff(Surv(time, status) ~ x, data = aml)`` and
    ``survdiff(Surv(time, status - 1) ~ sex, data = lung)``; ``p = pchisq(chisq, df, lower = FALSE)``.
    """
    source = _source(dataset)
    ref = source["survdiff"]
    result = logrank({g: _lifetime(source, g) for g in ref["groups"]})
    assert result.statistic == pytest.approx(ref["chisq"], rel=1e-10)
    assert result.df == ref["df"]
    assert result.p_value == pytest.approx(ref["p"], rel=1e-8)


# ------------------------------------------------------------------------------- recurrent events
def _recurrence(subset: str) -> RecurrenceData:
    d = VALVE["data"]
    unit, time, status = np.array(d["id"]), _arr(d["time"]), np.array(d["status"])
    keep = {"all": np.ones(len(unit), bool), "a": unit < 400, "b": unit >= 400}[subset]
    return RecurrenceData.from_arrays(unit[keep], time[keep], status[keep])


def _mcf_reference(subset: str) -> dict:
    return VALVE["mcf"] if subset == "all" else VALVE["groups"][subset]


@pytest.mark.parametrize("bounds", ["normal", "log"])
@pytest.mark.parametrize("subset", ["all", "a", "b"])
def test_mcf_matches_survfit_robust(subset, bounds):
    """Nelson's MCF, its Lawless-Nadeau se, and the 95% normal / log bounds at each event time.

    Source: R survival 3.5.3, ``survfit(Surv(time1, time2, status) ~ 1, data = vdata, id = id,
    robust = TRUE)`` on valveSeat in counting-process form (all engines; a: id < 400; b:
    id >= 400): ``cumhaz`` = MCF, ``std.chaz`` = robust se (equal to the hand-written
    Lawless-Nadeau sum); bounds ``mcf +- qnorm(0.975) * se`` and ``mcf * exp(+-qnorm(0.975) * se / mcf)``.
    """
    ref = _mcf_reference(subset)
    m = MeanCumulativeFunction(confidence=0.95, bounds=bounds).fit(_recurrence(subset))
    table = m.table_
    assert len(table) == len(ref["time"])
    np.testing.assert_array_equal(table["time"].to_numpy(dtype=float), ref["time"])
    np.testing.assert_array_equal(table["at_risk"].to_numpy(dtype=float), ref["n_risk"])
    np.testing.assert_array_equal(table["events"].to_numpy(dtype=float), ref["n_event"])
    np.testing.assert_allclose(table["mcf"], ref["mcf"], rtol=RTOL_MCF)
    np.testing.assert_allclose(table["se"], ref["se"], rtol=RTOL_MCF)
    np.testing.assert_allclose(table["lower"], ref[f"{bounds}_lower"], rtol=RTOL_MCF, atol=1e-12)
    np.testing.assert_allclose(table["upper"], ref[f"{bounds}_upper"], rtol=RTOL_MCF)


def test_compare_mcf_matches_difference_of_survfit_fits():
    """Difference of two independent MCFs at the pooled event times, se = sqrt(se_a^2 + se_b^2).

    Source: arithmetic on the two R survival 3.5.3 fits above (engines id < 400 vs id >= 400),
    each evaluated as a right-continuous step function (0 before its first event); 95% normal
    bounds ``difference +- qnorm(0.975) * se``.  Compared where both groups are still under
    observation (t <= 614, group b's last day).  Later pooled times (group a's repairs on days
    621-653) would need group b's MCF past its follow-up, which is not estimable: there the
    comparison must be absent or missing, not a carried-forward number.
    """
    ref = pd.DataFrame({k: VALVE["compare"][k] for k in ("time", "difference", "se", "lower", "upper",
                                                          "both_observed")})
    a = MeanCumulativeFunction(confidence=0.95, bounds="normal").fit(_recurrence("a"))
    b = MeanCumulativeFunction(confidence=0.95, bounds="normal").fit(_recurrence("b"))
    ours = compare_mcf(a, b)
    expected = ref[ref["both_observed"]]
    got = ours.set_index("time").reindex(expected["time"])
    assert not got["difference"].isna().any(), "compare_mcf is missing pooled event times"
    for column in ("difference", "se", "lower", "upper"):
        np.testing.assert_allclose(got[column].to_numpy(dtype=float), expected[column].to_numpy(),
                                   rtol=RTOL_MCF, atol=1e-12, err_msg=column)
    last_common = expected["time"].max()
    beyond = ref[~ref["both_observed"]]
    assert (beyond["time"] > last_common).all() and len(beyond) == 5
    extrapolated = ours[ours["time"] > last_common]
    assert extrapolated["difference"].isna().all(), "compare_mcf extrapolates an MCF past its follow-up"


# --------------------------------------------------------------- lifelines, a second implementation
@pytest.mark.parametrize("subset", ["all", "Maintained", "Nonmaintained"])
def test_lifelines_weibull_agrees_with_survreg(subset):
    """lifelines 0.30 WeibullFitter on aml reproduces R, so the reference is not R-specific.

    Source: R survival 3.5.3, ``survreg(Surv(time, status) ~ 1, data = aml, dist = "weibull")``;
    lifelines ``lambda_`` = scale, ``rho_`` = shape, ``variance_matrix_`` is of (lambda_, rho_)
    and maps to the log scale by the Jacobian diag(1 / lambda_, 1 / rho_) at the optimum.
    """
    ref = AML["weibull"][subset]
    d = AML["data"]
    keep = np.ones(len(d["time"]), bool) if subset == "all" else np.array(d["group"]) == subset
    wf = WeibullFitter().fit(_arr(d["time"])[keep], np.array(d["event"])[keep])
    assert wf.rho_ == pytest.approx(ref["shape"], rel=RTOL_MLE)
    assert wf.lambda_ == pytest.approx(ref["scale"], rel=RTOL_MLE)
    assert wf.log_likelihood_ == pytest.approx(ref["loglik"], rel=RTOL_MLE)
    v = wf.variance_matrix_.loc[["rho_", "lambda_"], ["rho_", "lambda_"]].to_numpy()
    jac = np.diag([1 / wf.rho_, 1 / wf.lambda_])
    np.testing.assert_allclose(jac @ v @ jac, ref["cov_log_shape_log_scale"], rtol=RTOL_INTERVAL)


def test_lifelines_kaplan_meier_agrees_with_survfit():
    """lifelines 0.30 KaplanMeierFitter on aml: survival, at-risk counts and the log-log band.

    Source: R survival 3.5.3, ``survfit(Surv(time, status) ~ 1, data = aml, conf.type = "log-log")``
    (lifelines' default band is the same "exponential Greenwood" log-log interval).
    """
    ref = AML["survfit"]["log-log"]
    d = AML["data"]
    kmf = KaplanMeierFitter(alpha=0.05).fit(_arr(d["time"]), np.array(d["event"]))
    times = _arr(ref["time"])
    np.testing.assert_allclose(kmf.survival_function_.loc[times].iloc[:, 0], _arr(ref["surv"]),
                               rtol=0, atol=ATOL_EXACT)
    band = kmf.confidence_interval_.loc[times]
    np.testing.assert_allclose(band.iloc[:, 0], _arr(ref["lower"]), rtol=0, atol=ATOL_EXACT)
    np.testing.assert_allclose(band.iloc[:, 1], _arr(ref["upper"]), rtol=0, atol=ATOL_EXACT)
    table = kmf.event_table.loc[times]
    np.testing.assert_array_equal(table["at_risk"], ref["n_risk"])
    np.testing.assert_array_equal(table["observed"], ref["n_event"])
    np.testing.assert_array_equal(table["censored"], ref["n_censor"])
