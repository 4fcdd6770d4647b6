"""MGPS / EBGM against openEBGM's published CAERS results, plus simulation from a known prior.

Source: R package openEBGM (cran/openEBGM @ 6e6885cc, the version the CAERS fixture comes from),
vignettes "Hyperparameter Estimation with openEBGM" (inst/doc/vignette03-hyperparameterEstimation
.html), "Empirical Bayes Metrics with openEBGM" (vignette04-posteriorCalculation.html) and
"openEBGM Objects and Class Functions" (vignette05-openEBGMObject.html).  The R code and printed
output used are quoted in each test.  openEBGM rounds EBGM and quantiles to 2 decimals (its
bisection stops at a half-width of 0.005), so those are compared to within 0.01.
"""

from __future__ import annotations

import inspect
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats

from conftest import shared_data
from defectradar.errors import InputError
from defectradar.signals.contingency import ContingencyTable
from defectradar.signals.mgps import MGPS, MGPSConvergenceWarning, auto_squash, negloglik, squash_data

FIELDS = ["alpha1", "beta1", "alpha2", "beta2", "p"]
SIM_SEED = 20240611  # fixed; printed by the simulation tests


@pytest.fixture(scope="module")
def processed() -> pd.DataFrame:
    """``processRaw(caers)``: 17,189 pairs with N and E."""
    rows = pd.read_csv(shared_data("openebgm-caers") / "caers.csv")
    return ContingencyTable.from_rows(rows, product_col="var1", event_col="var2").pairs


def assert_hyper(model: MGPS, published, minimum, rel=2e-3):
    """Hyperparameters within 0.2 % (the likelihood is flat in alpha1: openEBGM's own starting
    points disagree by ~0.5 % there) and the log-likelihood within 0.01."""
    assert model.theta_ == pytest.approx(published, rel=rel)
    assert model.loglik_ == pytest.approx(-minimum, abs=0.01)
    assert model.converged_


# ---------------------------------------------------------------------- squashing
def test_squash_data_defaults_match_vignette(processed):
    """Vignette "Hyperparameter Estimation":

        squashed <- squashData(processed) #Using defaults
        head(squashed)   #   N            E weight  (six rows: 1 0.0002979738 50)
        nrow(processed)  # [1] 17189
        nrow(squashed)   # [1] 1568
    """
    squashed = squash_data(processed)
    assert len(squashed) == 1568
    assert squashed.head(6)["n"].tolist() == [1] * 6
    assert squashed.head(6)["weight"].tolist() == [50] * 6
    np.testing.assert_allclose(squashed.head(6)["expected"], 0.0002979738, rtol=0, atol=5e-11)
    # Squashing keeps the number of pairs and the sum of E (bins are replaced by their means).
    assert squashed["weight"].sum() == len(processed)
    assert (squashed["weight"] * squashed["expected"]).sum() == pytest.approx(processed["expected"].sum())


def test_auto_squash_matches_vignette_ftable(processed):
    """Vignette "Hyperparameter Estimation": ``ftable(autoSquash(processed)[, c("N", "weight")])``

        weight   1   2   3   6   8  31
        N=1    100   0   0   1   0 514
        N=2     75   0   1   0  79   0
        N=3     51  71   0   0   0   0
        N=4..54: 80 41 31 17 20 14 6 7 3 3 2 4 2 5 1 2 1 1 1 1 1 1 1 (weight 1 only)
    """
    squashed = auto_squash(processed)
    table = pd.crosstab(squashed["n"], squashed["weight"])
    assert table.loc[1].to_dict() == {1: 100, 2: 0, 3: 0, 6: 1, 8: 0, 31: 514}
    assert table.loc[2].to_dict() == {1: 75, 2: 0, 3: 1, 6: 0, 8: 79, 31: 0}
    assert table.loc[3].to_dict() == {1: 51, 2: 71, 3: 0, 6: 0, 8: 0, 31: 0}
    singles = {4: 80, 5: 41, 6: 31, 7: 17, 8: 20, 9: 14, 10: 6, 11: 7, 12: 3, 13: 3, 14: 2, 16: 4, 17: 2, 18: 5,
               19: 1, 21: 2, 22: 1, 23: 1, 24: 1, 27: 1, 28: 1, 42: 1, 53: 1, 54: 1}
    assert table.loc[4:, 1].to_dict() == singles
    assert table.loc[4:].drop(columns=1).to_numpy().sum() == 0


def test_squash_refuses_as_openebgm_does(processed):
    with pytest.raises(InputError, match="not enough to squash"):
        squash_data(processed, count=40)
    once = squash_data(processed)
    with pytest.raises(InputError, match="already been squashed"):
        squash_data(once)
    with pytest.raises(InputError, match="reduce bin_size"):
        squash_data(processed, count=1, bin_size=1000)


# ---------------------------------------------------------------------- hyperparameters
def test_hyperparameters_full_data(processed):
    """Vignette "Hyperparameter Estimation", ``autoHyper(data = processed, theta_init = theta_init,
    squashed = FALSE)`` (nlminb, three starts):

        alpha1     beta1      alpha2     beta2      P
        3.25596685 0.39998994 2.02376139 1.90614108 0.06530755      minimum 4162.456
    """
    model = MGPS().fit(processed[["n", "expected"]])
    assert_hyper(model, [3.25596685, 0.39998994, 2.02376139, 1.90614108, 0.06530755], 4162.456)


def test_hyperparameters_squashed_twice(processed):
    """Vignette "Hyperparameter Estimation":

        squashed2 <- squashData(squashed, count = 2, bin_size = 10, keep_pts = 50)
        hyper_estimates_squashed <- autoHyper(data = squashed2, theta_init = theta_init)
        3.25374319 0.39988512 2.02611022 1.90806892 0.06534614      minimum 4161.93

    and, with five starting points, vignette "Empirical Bayes Metrics":
        3.25379356 0.39988854 2.02612692 1.90807970 0.06534557
    """
    squashed2 = squash_data(squash_data(processed), count=2, bin_size=10, keep_pts=50)
    model = MGPS().fit(squashed2)
    assert_hyper(model, [3.25374319, 0.39988512, 2.02611022, 1.90806892, 0.06534614], 4161.93)
    assert model.theta_ == pytest.approx([3.25379356, 0.39988854, 2.02612692, 1.90807970, 0.06534557], rel=2e-3)


def test_hyperparameters_squashed_once_match_nlm(processed):
    """Vignette "Hyperparameter Estimation", ``stats::nlm(negLLsquash, p = theta_init, ni = squashed$N,
    ei = squashed$E, wi = squashed$weight, N_star = 1)`` on ``squashData(processed)``:

        $minimum  4162.496
        $estimate 3.25086926 0.39971401 2.02581887 1.90806636 0.06539159
    """
    model = MGPS().fit(squash_data(processed))
    assert_hyper(model, [3.25086926, 0.39971401, 2.02581887, 1.90806636, 0.06539159], 4162.496)
    theta = [3.25086926, 0.39971401, 2.02581887, 1.90806636, 0.06539159]
    sq = squash_data(processed)
    value = negloglik(theta, sq["n"].to_numpy(float), sq["expected"].to_numpy(float), sq["weight"].to_numpy(float))
    assert value == pytest.approx(4162.496, abs=0.001)  # openEBGM's negLLsquash at its own estimate


def test_squash_option_uses_auto_squash(processed):
    """``MGPS(squash=True)`` squashes with openEBGM's autoSquash defaults; the prior barely moves."""
    model = MGPS(squash=True).fit(processed)
    assert model.n_points_ < 1000
    assert model.theta_ == pytest.approx([3.25596685, 0.39998994, 2.02376139, 1.90614108, 0.06530755], rel=0.03)


def test_analytic_gradient_matches_finite_differences(processed):
    n, e = processed["n"].to_numpy(float), processed["expected"].to_numpy(float)
    w = np.ones_like(n)
    for n_star, keep in ((1, n >= 1), (0, n >= 0), (2, n >= 2), (3, n >= 3)):
        theta = np.array([0.2, 0.1, 2.0, 4.0, 1 / 3])
        _, grad = negloglik(theta, n[keep], e[keep], w[keep], n_star, gradient=True)
        numeric = optimize.approx_fprime(theta, lambda t: negloglik(t, n[keep], e[keep], w[keep], n_star), 1e-7)
        np.testing.assert_allclose(grad, numeric, rtol=1e-4)


# ---------------------------------------------------------------------- posterior
THETA_HAT = [3.25379356, 0.39988854, 2.02612692, 1.90807970, 0.06534557]  # vignette "Empirical Bayes Metrics"


def fixed_prior(theta) -> MGPS:
    model = MGPS()
    model.alpha1_, model.beta1_, model.alpha2_, model.beta2_, model.p_ = theta
    model.loglik_, model.converged_ = float("nan"), True
    return model


def test_qn_matches_vignette(processed):
    """Vignette "Empirical Bayes Metrics": ``qn <- Qn(theta_hat, N = processed$N, E = processed$E)``

        head(qn)    # 0.2819737 0.3409653 0.3482317 0.2819737 0.2226356 0.2556670
        summary(qn) # Min 0.0001205 1st Qu 0.2340248 Median 0.3089649 Mean 0.2846021 3rd Qu 0.3397685 Max 0.9999997
    """
    qn = fixed_prior(THETA_HAT).qn(processed["n"], processed["expected"])
    np.testing.assert_allclose(qn[:6], [0.2819737, 0.3409653, 0.3482317, 0.2819737, 0.2226356, 0.2556670], atol=5e-8)
    assert qn.min() == pytest.approx(0.0001205, abs=5e-8)
    assert np.median(qn) == pytest.approx(0.3089649, abs=5e-8)
    assert qn.mean() == pytest.approx(0.2846021, abs=5e-8)
    assert qn.max() == pytest.approx(0.9999997, abs=5e-8)


def test_ebgm_and_quantiles_match_vignette(processed):
    """Vignette "Empirical Bayes Metrics" (``ebgm()`` and ``quantBisect(5 / 95, …)``):

        head(processed)      ebgm QUANT_05 QUANT_95
        1-PHENYLALANINE / HEART RATE INCREASED   2.23  0.49  13.85
        11 UNSPECIFIED VITAMINS / ASTHMA         2.58  0.52  15.78
        … / CARDIAC FUNCTION TEST                2.63  0.52  16.02
        … / CHEST PAIN                           2.23  0.49  13.85
        … / DYSPNOEA                             1.92  0.47  11.77
        … / HYPERSENSITIVITY                     2.09  0.48  12.95
        head(suspicious, 5)                      QUANT_05 ebgm QUANT_95
        REUMOFAN PLUS / WEIGHT INCREASED         15.68 23.26 33.48
        HYDROXYCUT REGULAR RAPID RELEASE CAPLETS / EMOTIONAL DISTRESS 11.65 16.78 23.55
        REUMOFAN PLUS / IMMOBILE                 10.16 18.28 30.83
        HYDROXYCUT HARDCORE CAPSULES / CARDIO-RESPIRATORY DISTRESS 9.00 15.25 24.52
        HYDROXYCUT REGULAR RAPID RELEASE CAPLETS / INJURY 8.98 14.28 21.78
        nrow(suspicious)  # 131 pairs with QUANT_05 >= 2
    """
    post = fixed_prior(THETA_HAT).posterior(processed["n"], processed["expected"])
    np.testing.assert_allclose(post.ebgm[:6], [2.23, 2.58, 2.63, 2.23, 1.92, 2.09], atol=0.005 + 1e-9)
    np.testing.assert_allclose(post.eb05[:6], [0.49, 0.52, 0.52, 0.49, 0.47, 0.48], atol=0.01)
    np.testing.assert_allclose(post.eb95[:6], [13.85, 15.78, 16.02, 13.85, 11.77, 12.95], atol=0.01)
    scores = processed.assign(ebgm=post.ebgm, eb05=post.eb05, eb95=post.eb95).set_index(["product", "event"])
    top = scores.loc[[
        ("REUMOFAN PLUS", "WEIGHT INCREASED"), ("HYDROXYCUT REGULAR RAPID RELEASE CAPLETS", "EMOTIONAL DISTRESS"),
        ("REUMOFAN PLUS", "IMMOBILE"), ("HYDROXYCUT HARDCORE CAPSULES", "CARDIO-RESPIRATORY DISTRESS"),
        ("HYDROXYCUT REGULAR RAPID RELEASE CAPLETS", "INJURY")]]
    np.testing.assert_allclose(top["eb05"], [15.68, 11.65, 10.16, 9.00, 8.98], atol=0.01)
    np.testing.assert_allclose(top["ebgm"], [23.26, 16.78, 18.28, 15.25, 14.28], atol=0.005 + 1e-9)
    np.testing.assert_allclose(top["eb95"], [33.48, 23.55, 30.83, 24.52, 21.78], atol=0.01)
    assert int((scores["eb05"].round(2) >= 2).sum()) == 131


def test_end_to_end_counts_match_openebgm_object_vignette(processed):
    """Vignette "openEBGM Objects": hyperparameters from ``autoHyper(squashData(proc), theta_init)``
    (five starts), then ``ebScores``: "There were 131 var1-var2 pairs with a QUANT_05 greater than 2"
    and "556 var1-var2 pairs with an EBGM score greater than 3"; top EBGM: REUMOFAN PLUS / WEIGHT
    INCREASED 23.26, REUMOFAN PLUS / IMMOBILE 18.28, EMERGEN-C … / COUGH 16.03."""
    model = MGPS().fit(squash_data(processed))
    post = model.posterior(processed["n"], processed["expected"])
    assert int((post.eb05.round(2) >= 2).sum()) == 131
    assert int((post.ebgm.round(2) > 3).sum()) == 556
    top = np.sort(post.ebgm)[::-1][:5]
    np.testing.assert_allclose(top, [23.26, 18.28, 16.78, 16.03, 15.63], rtol=0.01)


def test_posterior_definitions():
    """EB05/EB95 are where the posterior mixture CDF is 0.05/0.95; EBGM = exp(E[ln λ | n]) by
    numerical integration of ln λ against the posterior density."""
    theta = [3.2, 0.4, 2.0, 1.9, 0.07]
    model = fixed_prior(theta)
    n, e = np.array([0, 1, 4, 30]), np.array([0.02, 0.5, 0.3, 12.0])
    post = model.posterior(n, e)
    q = model.qn(n, e)
    for i in range(len(n)):
        comps = [stats.gamma(theta[0] + n[i], scale=1 / (theta[1] + e[i])),
                 stats.gamma(theta[2] + n[i], scale=1 / (theta[3] + e[i]))]

        def cdf(x):
            return q[i] * comps[0].cdf(x) + (1 - q[i]) * comps[1].cdf(x)

        assert cdf(post.eb05[i]) == pytest.approx(0.05, abs=1e-10)
        assert cdf(post.eb95[i]) == pytest.approx(0.95, abs=1e-10)
        mean_log = sum(w * integrate.quad(lambda x, c=c: math.log(x) * c.pdf(x), 0, np.inf, limit=200)[0]
                       for w, c in zip((q[i], 1 - q[i]), comps))
        assert post.ebgm[i] == pytest.approx(math.exp(mean_log), rel=1e-6)
    np.testing.assert_allclose(model.quantile(0.05, n, e), post.eb05)


# ---------------------------------------------------------------------- simulation
def simulate(seed: int, size: int, theta, n_star: int = 0) -> pd.DataFrame:
    """Pairs drawn from the model the likelihood describes.

    Each pair picks prior component 1 with probability P, draws λ from that gamma and
    N ~ Poisson(λ E); for ``n_star > 0`` λ and N are redrawn (same component) until N >= n_star,
    which is openEBGM's model: each negative binomial truncated below N* *before* mixing, so P is
    the mixing fraction among the listed pairs.  (Filtering draws from the untruncated prior
    instead would change the mixing fraction with E, a different model.)
    """
    rng = np.random.default_rng(seed)
    expected = np.maximum(rng.lognormal(0.0, 1.2, size), 0.05)
    first = rng.random(size) < theta[4]
    lam = np.empty(size)
    n = np.zeros(size, dtype=int)
    todo = np.arange(size)
    while todo.size:
        one = first[todo]
        lam[todo] = np.where(one, rng.gamma(theta[0], 1 / theta[1], todo.size),
                             rng.gamma(theta[2], 1 / theta[3], todo.size))
        n[todo] = rng.poisson(lam[todo] * expected[todo])
        todo = todo[n[todo] < n_star]
    return pd.DataFrame({"n": n, "expected": expected, "lam": lam})


THETA_SIM = [2.0, 0.5, 5.0, 5.0, 0.1]  # component 1 has prior mean 4, component 2 mean 1


@pytest.mark.parametrize("n_star, squash", [(1, False), (1, True), (0, False), (2, False)])
def test_recovers_simulated_prior(n_star, squash):
    """40,000 pairs from the prior θ = (2.0, 0.5, 5.0, 5.0, 0.1), truncated below n_star as the
    likelihood assumes: the fit recovers the component means α/β (4 and 1) within 20 %, α2 and β2
    within 20 %, P within 0.03, and the true θ is no more likely than the estimate.  α1 and β1 get
    50 %: the high-λ component holds 10 % of pairs and its shape is weakly identified (across
    seeds 100-104 the estimates of α1 ranged over 1.5-3.2 with α1/β1 within 15 % of 4).
    n_star = 0 is openEBGM's ``negLLzero`` (zero counts listed), n_star = 2 truncates below 2."""
    seed = SIM_SEED + n_star
    print(f"seed={seed}")
    data = simulate(seed, 40_000, THETA_SIM, n_star)
    model = MGPS(n_star=n_star, squash=squash).fit(data[["n", "expected"]])
    assert model.converged_
    a1, b1, a2, b2, p = model.theta_
    assert [a1 / b1, a2 / b2] == pytest.approx([4.0, 1.0], rel=0.2)
    assert [a2, b2] == pytest.approx([5.0, 5.0], rel=0.2)
    assert [a1, b1] == pytest.approx([2.0, 0.5], rel=0.5)
    assert p == pytest.approx(THETA_SIM[4], abs=0.03)
    if not squash:
        n, e = data["n"].to_numpy(float), data["expected"].to_numpy(float)
        assert model.loglik_ >= -negloglik(THETA_SIM, n, e, np.ones(len(n)), n_star)


def test_credible_intervals_cover_the_simulated_truth():
    """Simulation check of the 90 % interval [EB05, EB95] with every pair listed (n_star = 0, where
    openEBGM's Qn is the exact posterior weight): it holds the true λ of about 90 % of pairs
    (Monte Carlo standard error ~0.2 % for 20,000 pairs)."""
    print(f"seed={SIM_SEED + 10}")
    data = simulate(SIM_SEED + 10, 20_000, THETA_SIM)
    model = MGPS(n_star=0).fit(data[["n", "expected"]])
    post = model.posterior(data["n"], data["expected"])
    covered = ((post.eb05 <= data["lam"]) & (data["lam"] <= post.eb95)).mean()
    assert 0.88 <= covered <= 0.92


# ---------------------------------------------------------------------- contract and bad input
def test_every_parameter_has_a_constraint():
    params = set(inspect.signature(MGPS.__init__).parameters) - {"self"}
    assert params == set(MGPS._parameter_constraints)


@pytest.mark.parametrize("params, message", [
    ({"n_star": -1}, "n_star=-1 must be a whole number >= 0"),
    ({"squash": "yes"}, "squash='yes' must be True or False"),
    ({"theta_init": [(0.2, 0.1, 2, 4, 1.5)]}, "theta_init=.* must be rows of five positive numbers"),
    ({"param_limit": 0}, "param_limit=0 must be a positive number"),
    ({"squash_super_pts": (50, 75)}, "one more entry than squash_cut_offs"),
])
def test_bad_parameters(params, message):
    with pytest.raises(InputError, match=message):
        MGPS(**params).fit(pd.DataFrame({"n": [1, 2], "expected": [0.5, 1.0]}))


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame({"n": [1, 2]}), "missing column 'expected'"),
    (pd.DataFrame({"n": [1, -2], "expected": [1.0, 1.0]}), "whole numbers >= 0"),
    (pd.DataFrame({"n": [1, 2], "expected": [1.0, 0.0]}), "expected counts must be positive"),
    (pd.DataFrame({"n": [0, 0], "expected": [1.0, 1.0]}), "no pairs with n >= n_star"),
])
def test_bad_fit_input(frame, message):
    with pytest.raises(InputError, match=message):
        MGPS().fit(frame)


def test_posterior_input_and_unfitted_model():
    with pytest.raises(InputError, match="not fitted"):
        MGPS().posterior([1], [1.0])
    with pytest.raises(InputError, match="2 counts but 1 expected"):
        fixed_prior(THETA_HAT).posterior([1, 2], [1.0])


def test_inconsistent_starts_warn():
    """Twenty identical pairs cannot determine five hyperparameters: the estimate sits on a bound and
    the fit says so (openEBGM autoHyper would stop with "consistent convergence failed")."""
    with pytest.warns(MGPSConvergenceWarning, match="did not converge consistently"):
        model = MGPS().fit(pd.DataFrame({"n": [1] * 20, "expected": [1.0] * 20}))
    assert not model.converged_


def test_summary_and_to_dict(processed):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = MGPS(squash=True).fit(processed)
    assert list(model.summary.index) == FIELDS
    data = json.loads(json.dumps(model.to_dict(), allow_nan=False))
    assert list(data["hyperparameters"]) == FIELDS + ["loglik"]
    assert data["params"]["theta_init"][0] == pytest.approx([0.2, 0.1, 2.0, 4.0, 1 / 3])
    assert len(model.starts_) == 5 and model.starts_["chosen"].sum() == 1
