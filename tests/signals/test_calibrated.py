"""nb-excess: the scan's default detector (signals/calibrated.py).

What must hold:

* the tail probabilities are those of the negative binomial / Poisson (checked against R's
  ``pnbinom`` / ``ppois``, an independent implementation; values in :data:`R_TAILS`);
* calibration: on series drawn from an overdispersed null, the false alarms per series-year
  are about the budget (the point of the method), and a Poisson null with a fixed threshold
  raises several times more on the same series;
* short and all-zero histories are scored against a prior, not refused;
* a step change alarms once (the restart), a slow rise is seen by the longer spans;
* the pooled dispersion is the median of the per-series one-step estimates.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.signals.calibrated import (
    NbExcess,
    _block_size,
    _tail,
    _upper_tail,
    calibrate,
    pooled_dispersion,
    rate_ratio_score,
    series_dispersion,
)
from defectradar.signals.glr import GlrPoisson
from defectradar.signals.registry import detector


def _weeks(n: int) -> list[date]:
    return [date(2024, 1, 1) + timedelta(weeks=i) for i in range(n)]


def _r_reference():
    """The values R 4.2.2 gives (``pnbinom(x - 1, size = r, mu = m, lower.tail = FALSE)``, ``ppois``
    for r = inf), written by ``Rscript tests/signals/reference/nb_tails.R`` to nb_tails.csv, e.g.
    x 8, m 2, r 5: 0.0068705008876002206; x 12, m 3, Poisson: 7.1386628974206605e-05."""
    from pathlib import Path

    path = Path(__file__).parent / "reference" / "nb_tails.csv"
    rows = [line.split(",") for line in path.read_text().splitlines()[1:] if line.strip()]
    return [(int(x), float(m), float(r), float(p)) for x, m, r, p in rows]


def test_tails_match_r():
    """The upper tails equal R's pnbinom/ppois (tests/signals/reference/nb_tails.csv, made by
    tests/signals/reference/nb_tails.R)."""
    for x, m, r, expected in _r_reference():
        got = _upper_tail(np.array([float(x)]), np.array([m]), np.array([r]))[0]
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-15), (x, m, r)
        assert _tail(float(x), m, r) == pytest.approx(expected, rel=1e-9, abs=1e-15), (x, m, r)


def test_false_alarms_per_series_year_are_about_the_budget():
    """On 300 weekly series of 3 years from an overdispersed null (NB, phi = 0.3) with mean
    levels from 1 to 20, nb-excess at a budget of 0.1 per series-year raises 0.03-0.2 false
    alarms per series-year; Poisson GLR with the old fixed threshold raises several times more."""
    rng = np.random.default_rng(11)
    periods = _weeks(156)
    nb_alarms = glr_alarms = 0
    series_years = 0.0
    start = 26
    for i in range(300):
        mean = float(np.exp(rng.uniform(0, np.log(20))))
        lam = rng.gamma(1 / 0.3, 0.3 * mean, size=len(periods))
        counts = rng.poisson(lam)
        series = CountSeries(periods, counts)
        nb = NbExcess(false_alarms_per_year=0.1, prior_dispersion=0.3).fit(series, start=start)
        nb_alarms += int(nb.alarm_.sum())
        glr = GlrPoisson(window=13, c_arl=6.0).fit(series, start=start)
        glr_alarms += int(glr.alarm_.sum())
        series_years += (len(periods) - start) / 52
    nb_rate, glr_rate = nb_alarms / series_years, glr_alarms / series_years
    assert 0.03 <= nb_rate <= 0.2, nb_rate
    assert glr_rate > 3 * nb_rate, (glr_rate, nb_rate)


def test_a_higher_budget_alarms_more():
    rng = np.random.default_rng(3)
    series = CountSeries(_weeks(200), rng.negative_binomial(3, 3 / (3 + 6), size=200))
    low = NbExcess(false_alarms_per_year=0.05).fit(series, start=20).alarm_.sum()
    high = NbExcess(false_alarms_per_year=5.0).fit(series, start=20).alarm_.sum()
    assert high > low


def test_all_zero_history_is_scored_against_the_prior():
    """A new product: zeros, then complaints. With a prior from similar series the first
    periods are scored (no refusal); a surge far above the prior alarms."""
    counts = [0] * 20 + [1, 0, 2, 15, 20]
    series = CountSeries(_weeks(len(counts)), counts)
    det = NbExcess(prior_mean=0.5).fit(series, start=0)
    assert det.min_history() == 0
    assert np.isfinite(det.expected_[20])                      # the first event is scored against the prior
    assert det.alarm_[23]                                       # 15 against a level of about 1
    assert not det.alarm_[:23].any()
    with pytest.raises(InputError):
        GlrPoisson().fit(CountSeries(_weeks(8), [0] * 8), start=4)   # what the old default did with no history
    assert "similar series" in det.prior_description()


def test_step_change_alarms_once_and_slow_rise_is_seen_by_long_spans():
    steady = [5, 4, 6, 5, 5, 4, 6, 5, 5, 6, 4, 5]
    step = CountSeries(_weeks(24), steady + [20] * 12)
    det = NbExcess(dispersion=0.05).fit(step, start=12)
    assert det.alarm_.sum() == 1 and det.alarm_[0]             # restart: the new level is the reference
    no_restart = NbExcess(dispersion=0.05, restart=False).fit(step, start=12)
    assert no_restart.alarm_.sum() > 1

    rise = CountSeries(_weeks(40), [5] * 26 + [6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13])
    single = NbExcess(dispersion=0.05, spans=[1]).fit(rise, start=26)
    spans = NbExcess(dispersion=0.05).fit(rise, start=26)
    first_single = np.flatnonzero(single.alarm_)
    first_spans = np.flatnonzero(spans.alarm_)
    assert first_spans.size and (not first_single.size or first_spans[0] < first_single[0])
    assert spans.span_[first_spans[0]] > 1


def test_block_size_is_poisson_without_overdispersion():
    assert _block_size(3.0, 0.0, 0.0, 4) == float("inf")
    # Var of a sum of 2 NB(mean 3, phi 0.5) periods with a known level: 2*3 + 2*0.5*9 = 15.
    r = _block_size(3.0, 0.5, 0.0, 2)
    assert 6 + 36 / r == pytest.approx(15.0)


def test_dispersion_estimates():
    rng = np.random.default_rng(5)
    phi = 0.4
    histories = [rng.poisson(rng.gamma(1 / phi, phi * 10, size=300)) for _ in range(30)]
    pooled = pooled_dispersion(histories, window=26)
    assert 0.25 < pooled < 0.6                                   # one-step estimate near the truth
    assert series_dispersion(np.zeros(50), 12) is None          # no events: nothing to estimate
    assert series_dispersion(np.array([0, 0, 3, 2]), 12) is None  # too short


def test_calibrate_borrows_from_the_same_mode():
    weeks = _weeks(30)
    series = {("a", "wifi"): CountSeries(weeks, [4] * 30), ("b", "wifi"): CountSeries(weeks, [6] * 30),
              ("c", "wifi"): CountSeries(weeks, [0] * 30), ("a", "battery"): CountSeries(weeks, [40] * 30)}
    params = calibrate(series, {"false_alarms_per_year": 0.2})
    assert params[("c", "wifi")]["prior_mean"] == pytest.approx(5.0)     # median of a and b, not battery
    assert "wifi" in params[("c", "wifi")]["prior"]["from"]
    assert params[("c", "wifi")]["false_alarms_per_year"] == 0.2
    lone = calibrate({("z", "camera"): CountSeries(weeks, [1] * 30), **series})
    assert "other series" in lone[("z", "camera")]["prior"]["from"]


def test_score_ranks_big_excesses_above_small_ones():
    assert rate_ratio_score(40, 10)["score"] > rate_ratio_score(4, 0.5)["score"] > rate_ratio_score(3, 3)["score"]
    low, high = rate_ratio_score(40, 10)["interval"]
    assert low < rate_ratio_score(40, 10)["rate_ratio"] < high
    assert rate_ratio_score(3, None) == {}


def test_bad_parameters_are_named():
    series = CountSeries(_weeks(10), [1] * 10)
    with pytest.raises(InputError, match="false_alarms_per_year"):
        detector("nb-excess", false_alarms_per_year=0).fit(series)
    with pytest.raises(InputError, match="spans"):
        detector("nb-excess", spans=[0]).fit(series)
    with pytest.raises(InputError, match="mu0"):
        NbExcess(mu0=[1.0, 2.0]).fit(series, start=2)
