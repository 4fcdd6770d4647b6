"""PRR, chi-square, ROR, IC and BCPNN: hand-computed tables, scipy cross-checks, openEBGM's CAERS PRR.

Sources: Evans et al. (2001) for PRR and its CI; Woolf's CI for the ROR; Norén et al. (2013) for
the shrinkage IC; R package PhViD ``R/BCPNN.R`` (cran/PhViD) for BCPNN; openEBGM vignettes (cran/
openEBGM @ 6e6885cc) for CAERS PRR/RR values.
"""

from __future__ import annotations

import inspect
import json
import math
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from conftest import shared_data
from defectradar.errors import InputError
from defectradar.signals.contingency import ContingencyTable
from defectradar.signals.disproportionality import (
    PAIR_FIELDS,
    Disproportionality,
    analyse,
    bcpnn,
    bcpnn_fdr,
    chi_square,
    information_component,
    prr,
    ror,
)
from defectradar.signals.mgps import MGPS
from defectradar.signals.signal_rules import SignalRules

Z = stats.norm.ppf(0.975)  # 1.959964


def one_pair(a, n_product, n_event, total, **extra) -> ContingencyTable:
    return ContingencyTable.from_counts(pd.DataFrame({"product": ["P"], "event": ["E"], "n": [a],
                                                      "n_product": [n_product], "n_event": [n_event],
                                                      "total": [total], **extra}))


def test_hand_table_prr_ror_chi2_ic():
    """a = 10, b = 90, c = 20, d = 880 (N = 1000; n_product = 100, n_event = 30).

    PRR = (10/100) / (20/900) = 0.1 / 0.0222… = 4.5
    Var ln PRR = 1/10 - 1/100 + 1/20 - 1/900 = 0.138888…; se = 0.372678
    PRR CI = exp(ln 4.5 ± 1.959964 × 0.372678) = (2.167646, 9.341930)
    ROR = 10·880 / (90·20) = 4.888889; se = sqrt(1/10 + 1/90 + 1/20 + 1/880) = 0.402800
    ROR CI = exp(ln 4.888889 ± 1.959964 × 0.402800) = (2.219967, 10.766481)
    chi2 = 1000 (8800 - 1800)² / (100·900·30·970) = 18.709431
    chi2 (Yates) = 1000 (7000 - 500)² / (100·900·30·970) = 16.132111
    E = 100·30/1000 = 3; IC = log2(10.5/3.5) = log2 3 = 1.584963
    IC025/IC975 = log2 of the 2.5 %/97.5 % quantiles of Gamma(10.5, rate 3.5) = 0.554820, 2.341533
    """
    res = Disproportionality().fit(one_pair(10, 100, 30, 1000)).results_.iloc[0]
    se = math.sqrt(1 / 10 - 1 / 100 + 1 / 20 - 1 / 900)
    assert res["prr"] == pytest.approx(4.5)
    assert res["prr_lower"] == pytest.approx(math.exp(math.log(4.5) - Z * se)) == pytest.approx(2.167646, abs=1e-6)
    assert res["prr_upper"] == pytest.approx(math.exp(math.log(4.5) + Z * se)) == pytest.approx(9.341930, abs=1e-6)
    se_ror = math.sqrt(1 / 10 + 1 / 90 + 1 / 20 + 1 / 880)
    assert res["ror"] == pytest.approx(8800 / 1800)
    assert res["ror_lower"] == pytest.approx(math.exp(math.log(8800 / 1800) - Z * se_ror))
    assert res["ror_lower"] == pytest.approx(2.219967, abs=1e-6)
    assert res["ror_upper"] == pytest.approx(10.766481, abs=1e-6)
    assert res["chi2_uncorrected"] == pytest.approx(1000 * 7000**2 / (100 * 900 * 30 * 970)) == pytest.approx(18.709431)
    assert res["chi2"] == pytest.approx(1000 * 6500**2 / (100 * 900 * 30 * 970)) == pytest.approx(16.132111)
    table = [[10, 90], [20, 880]]
    assert res["chi2"] == pytest.approx(stats.chi2_contingency(table, correction=True)[0])
    assert res["chi2_uncorrected"] == pytest.approx(stats.chi2_contingency(table, correction=False)[0])
    assert res["chi2_p"] == pytest.approx(stats.chi2_contingency(table, correction=False)[1])
    assert res["expected"] == pytest.approx(3.0) and res["rr"] == pytest.approx(10 / 3)
    assert res["ic"] == pytest.approx(math.log2(3))
    assert res["ic025"] == pytest.approx(math.log2(stats.gamma.ppf(0.025, 10.5, scale=1 / 3.5)))
    assert res["ic975"] == pytest.approx(math.log2(stats.gamma.ppf(0.975, 10.5, scale=1 / 3.5)))
    assert (res["ic025"], res["ic975"]) == pytest.approx((0.554820, 2.341533), abs=1e-6)


def test_chi_square_matches_scipy_on_random_tables():
    """Yates as scipy.stats.chi2_contingency(correction=True): never corrected past the expected
    counts, so |ad - bc| < N/2 gives 0 (e.g. a, b, c, d = 5, 5, 5, 6)."""
    assert chi_square(5, 5, 5, 6, yates=True) == 0.0
    rng = np.random.default_rng(20240611)
    cells = rng.integers(1, 60, size=(300, 4)).astype(float)
    cells[:40, 0] = rng.integers(0, 3, 40)  # small a, where the correction matters most
    for yates in (True, False):
        ours = chi_square(*cells.T, yates=yates)
        theirs = [stats.chi2_contingency(c.reshape(2, 2), correction=yates)[0] for c in cells]
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_ic_quantiles_match_scipy_gamma():
    """IC025/IC975 = log2(Gamma(a + 0.5, rate E + 0.5).ppf(0.025/0.975)) (Norén et al. 2013)."""
    n = np.array([0, 1, 3, 10, 250])
    e = np.array([0.2, 0.01, 4.0, 2.5, 180.0])
    ic, lo, hi = information_component(n, e)
    np.testing.assert_allclose(ic, np.log2((n + 0.5) / (e + 0.5)))
    np.testing.assert_allclose(lo, np.log2(stats.gamma.ppf(0.025, n + 0.5, scale=1 / (e + 0.5))), rtol=1e-10)
    np.testing.assert_allclose(hi, np.log2(stats.gamma.ppf(0.975, n + 0.5, scale=1 / (e + 0.5))), rtol=1e-10)
    _, lo90, _ = information_component(n, e, confidence=0.90)
    np.testing.assert_allclose(lo90, np.log2(stats.gamma.ppf(0.05, n + 0.5, scale=1 / (e + 0.5))), rtol=1e-10)


def test_bcpnn_follows_phvid():
    """PhViD R/BCPNN.R (MC = FALSE), written out for a = 10, n1. = 100, n.1 = 30, N = 1000:

        p1 <- 1 + n1.; p2 <- 1 + N - n1.; q1 <- 1 + n.1; q2 <- 1 + N - n.1; r1 <- 1 + n11
        r2b <- N - n11 - 1 + (2+N)^2/(q1*p1)
        EICb <- log(2)^(-1) * (digamma(r1) - digamma(r1+r2b) - (digamma(p1) - digamma(p1+p2)
                + digamma(q1) - digamma(q1+q2)))
        VICb <- log(2)^(-2) * (trigamma(r1) - trigamma(r1+r2b) + (trigamma(p1) - trigamma(p1+p2)
                + trigamma(q1) - trigamma(q1+q2)))
        post.H0 <- pnorm(log(RR0), EICb, sqrt(VICb)); LB <- qnorm(0.025, EICb, sqrt(VICb))
    """
    a, n1, m1, total = 10, 100, 30, 1000
    p1, p2, q1, q2, r1 = 1 + n1, 1 + total - n1, 1 + m1, 1 + total - m1, 1 + a
    r2b = total - a - 1 + (2 + total) ** 2 / (q1 * p1)
    dg = special.digamma

    def tg(x):
        return special.polygamma(1, x)

    eic = (dg(r1) - dg(r1 + r2b) - (dg(p1) - dg(p1 + p2) + dg(q1) - dg(q1 + q2))) / math.log(2)
    vic = (tg(r1) - tg(r1 + r2b) + tg(p1) - tg(p1 + p2) + tg(q1) - tg(q1 + q2)) / math.log(2) ** 2
    ic, lb, post_h0 = bcpnn(a, n1, m1, total)
    assert float(ic) == pytest.approx(eic, rel=1e-12)
    assert float(lb) == pytest.approx(stats.norm.ppf(0.025, eic, math.sqrt(vic)), rel=1e-12)
    assert float(post_h0) == pytest.approx(stats.norm.cdf(0, eic, math.sqrt(vic)), rel=1e-10)
    # Independent limit: with large counts E[IC] -> log2(a N / (n1. n.1)) and the variance -> 0.
    big_ic, big_lb, _ = bcpnn(10_000, 100_000, 30_000, 1_000_000)
    assert float(big_ic) == pytest.approx(math.log2(10_000 * 1_000_000 / (100_000 * 30_000)), abs=1e-3)
    assert float(big_ic - big_lb) < 0.05


def test_bcpnn_fdr_is_running_mean_of_sorted_post_h0():
    """PhViD: ``FDR <- cumsum(post.H0[order(post.H0)]) / (1:length(post.H0))``."""
    post = np.array([0.4, 0.01, 0.2, 0.03])
    np.testing.assert_allclose(bcpnn_fdr(post), [(0.01 + 0.03 + 0.2 + 0.4) / 4, 0.01, (0.01 + 0.03 + 0.2) / 3,
                                                 (0.01 + 0.03) / 2])


def test_zero_cells_give_documented_inf_and_nan_without_warnings():
    """c = 0 -> PRR = inf, CI NaN; b·c = 0 with a·d > 0 -> ROR = inf; c + d = 0 -> PRR NaN;
    a = 0 -> PRR = ROR = 0 with NaN CIs; an empty margin -> chi-square NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v, lo, hi = prr([3, 3, 0], [7, 7, 10], [0, 0, 5], [90, 0, 85])
        r, rlo, rhi = ror([3, 3, 0, 3], [0, 7, 10, 0], [5, 0, 5, 0], [90, 90, 85, 0])
        chi = chi_square([3, 3], [0, 7], [0, 0], [0, 0])
    assert v[0] == np.inf and np.isnan(lo[0]) and np.isnan(hi[0])
    assert np.isnan(v[1]) and np.isnan(lo[1])  # c + d = 0: product in every report
    assert v[2] == 0 and np.isnan(lo[2])
    assert r[0] == np.inf and r[1] == np.inf and r[2] == 0 and np.isnan(r[3])
    assert np.isnan(rlo).all() and np.isnan(rhi).all()
    assert np.isnan(chi).all()  # both tables have an empty "not product" row


def test_single_report_pairs_in_caers_are_finite_or_documented():
    """A pair whose event appears in one report only (c = 0): openEBGM prints PRR = Inf
    (``11 UNSPECIFIED VITAMINS / CARDIAC FUNCTION TEST``); ours is +inf and JSON null."""
    table = caers_table()
    res = Disproportionality().fit(table).results_.set_index(["product", "event"])
    row = res.loc[("11 UNSPECIFIED VITAMINS", "CARDIAC FUNCTION TEST")]
    assert row["prr"] == np.inf and np.isnan(row["prr_lower"])
    assert np.isfinite(res[["ic", "ic025", "ic975", "bcpnn_ic", "bcpnn_ic025", "bcpnn_post_h0"]]).all().all()


def caers_table() -> ContingencyTable:
    rows = pd.read_csv(shared_data("openebgm-caers") / "caers.csv")
    return ContingencyTable.from_rows(rows, product_col="var1", event_col="var2")


def test_caers_prr_matches_openebgm():
    """openEBGM vignette "Empirical Bayes Metrics with openEBGM", ``head(processed)``:
    PRR = 27.96, 279.58, Inf, 27.96, 13.11, 19.06 and RR = 27.74, 258.15, 3356.00, 27.74, 13.06,
    18.96 (rounded to 2 decimals by ``processRaw``)."""
    res = Disproportionality().fit(caers_table()).results_.head(6)
    np.testing.assert_array_equal(res["prr"].round(2), [27.96, 279.58, np.inf, 27.96, 13.11, 19.06])
    np.testing.assert_array_equal(res["rr"].round(2), [27.74, 258.15, 3356.00, 27.74, 13.06, 18.96])


def vignette_rows() -> pd.DataFrame:
    """The 17-report ``dat`` of openEBGM's "Processing Raw Data" vignette (as in test_contingency.py)."""
    var1 = ["B", "A", "B", "A", "A", "A", "A", "A", "A", "A", "A", "B", "B", "B", "B", "B", "C"]
    var2 = [1, 1, 2, 1, 1, 1, 2, 2, 1, 2, 2, 2, 1, 2, 1, 2, 1]
    strat2 = [2, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1]
    return pd.DataFrame({"id": range(1, 18), "product": [f"product_{v}" for v in var1],
                         "event": [f"event_{v}" for v in var2], "strat1": "F M M M F F F F M M M M M M M F M".split(),
                         "strat2": [f"age_cat{v}" for v in strat2]})


def test_vignette_example_prr_is_unchanged_by_strata():
    """openEBGM "Processing Raw Data" vignette: PRR = 1.11, 0.89, 0.71, 1.43, 2.00 with and without
    stratification ("Stratification will affect E and RR, but not PRR")."""
    for strata in (None, ["strat1", "strat2"]):
        res = Disproportionality().fit(ContingencyTable.from_rows(vignette_rows(), stratum_col=strata)).results_
        np.testing.assert_array_equal(res["prr"].round(2), [1.11, 0.89, 0.71, 1.43, 2.00])


# ---------------------------------------------------------------------- estimator contract
def test_every_parameter_has_a_constraint_and_is_validated():
    params = set(inspect.signature(Disproportionality.__init__).parameters) - {"self"}
    assert params == set(Disproportionality._parameter_constraints)
    with pytest.raises(InputError, match="parameter confidence=1.5 must be a probability"):
        Disproportionality(confidence=1.5).fit(one_pair(10, 100, 30, 1000))
    with pytest.raises(InputError, match="not fitted"):
        Disproportionality().summary
    with pytest.raises(InputError, match="needs a ContingencyTable"):
        Disproportionality().fit(pd.DataFrame({"n": [1]}))


def test_to_dict_is_json_safe():
    fitted = Disproportionality().fit(one_pair(3, 3, 5, 50))  # b = 0: ROR = inf
    data = fitted.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert data["pairs"][0]["ror"] is None and '"ror": null' in text
    assert isinstance(fitted.summary, pd.DataFrame)


# ---------------------------------------------------------------------- analyse()
def test_analyse_json_shape_is_the_public_interface():
    """``to_dict()`` must give exactly {"hyperparameters": {alpha1, beta1, alpha2, beta2, p, loglik},
    "pairs": [{product, event, n, expected, rr, prr, …, eb95, signal}]}; chi2 is the Yates value,
    rr = n/expected; inf/NaN -> null.  Hyperparameters are openEBGM's full-data autoHyper
    estimates (vignette "Hyperparameter Estimation": 3.25596685 0.39998994 2.02376139 1.90614108
    0.06530755, minimum 4162.456), within optimiser tolerance."""
    result = analyse(caers_table())
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert list(data) == ["hyperparameters", "pairs"]
    assert list(data["hyperparameters"]) == ["alpha1", "beta1", "alpha2", "beta2", "p", "loglik"]
    assert data["hyperparameters"]["loglik"] == pytest.approx(-4162.456, abs=0.01)
    assert [data["hyperparameters"][k] for k in ("alpha1", "beta1", "alpha2", "beta2", "p")] == pytest.approx(
        [3.25596685, 0.39998994, 2.02376139, 1.90614108, 0.06530755], rel=2e-3)
    assert len(data["pairs"]) == 17189
    assert all(list(p) == PAIR_FIELDS for p in data["pairs"])
    first = data["pairs"][0]
    assert first["product"] == "1-PHENYLALANINE" and first["n"] == 1
    assert first["rr"] == pytest.approx(1 / first["expected"])
    assert data["pairs"][2]["prr"] is None  # Inf in openEBGM
    pairs = result.pairs
    np.testing.assert_array_equal(pairs["chi2"], chi_square(*caers_table().cells(), yates=True))
    assert isinstance(first["signal"], bool)
    assert pairs["signal"].sum() == len(result.signals) > 0


def test_analyse_reuses_a_fitted_prior_and_applies_rules():
    table = caers_table()
    prior = MGPS().fit(table)
    result = analyse(table, rules=SignalRules(evans=False, ror=False, ic=False), mgps=prior)
    assert result.mgps is prior
    # Only the EB05 rule is on: the openEBGM vignette counts 131 pairs with QUANT_05 >= 2.
    assert int(result.pairs["signal"].sum()) == 131
    assert (result.pairs.loc[result.pairs["signal"], "eb05"] >= 2).all()
    with pytest.raises(InputError, match="rules must be a SignalRules"):
        analyse(table, rules={"ebgm": True})


def test_large_table_runs_in_seconds():
    """200,000 pairs scored end to end (squashed prior) well within a CI budget; seed 7 (fixed)."""
    rng = np.random.default_rng(7)
    size = 200_000
    n_product, n_event = rng.integers(1, 2000, size), rng.integers(1, 5000, size)
    expected = n_product * n_event / 200_000
    lam = np.where(rng.random(size) < 0.1, rng.gamma(2.0, 1 / 0.5, size), rng.gamma(5.0, 1 / 5.0, size))
    n = np.minimum(rng.poisson(lam * expected), np.minimum(n_product, n_event))
    frame = pd.DataFrame({"product": np.arange(size), "event": 0, "n": n, "n_product": n_product,
                          "n_event": n_event, "total": 200_000})[n > 0]
    start = time.perf_counter()
    result = analyse(ContingencyTable.from_counts(frame), mgps=MGPS(squash=True))
    elapsed = time.perf_counter() - start
    assert result.mgps.converged_
    assert elapsed < 60, f"analyse took {elapsed:.1f} s"
