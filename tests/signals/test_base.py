"""The temporal-detector contract: a failed fit leaves nothing half-fitted; back-test helpers."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from defectradar.analyses.backtest import alarms_as_of_each_period
from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.signals.cusum import Cusum
from defectradar.signals.farrington import Farrington
from defectradar.signals.glr import GlrPoisson


def _series(counts, freq="week", step=7):
    start = date(2015, 1, 5)
    return CountSeries([start + timedelta(days=step * i) for i in range(len(counts))], counts, None, freq)


def test_a_failed_refit_does_not_leave_the_old_fit_looking_current():
    det = Cusum().fit(_series(np.r_[np.ones(10), 5.0]), start=5)
    assert len(det.alarm_) == 6
    with pytest.raises(InputError, match="history periods hold no counts"):
        det.fit(_series(np.r_[np.zeros(10), 5.0]), start=5)
    with pytest.raises(InputError, match="not fitted"):
        det.summary


def test_too_short_series_names_the_history_needed():
    with pytest.raises(InputError, match=r"263 periods.* of history .* only 100"):
        Farrington().fit(_series(np.ones(100)))


def test_monthly_farrington_in_a_backtest_uses_twelve_periods_a_year():
    """The back-test lets the detector choose its first period from the series' own frequency."""
    rng = np.random.default_rng(4)
    counts = rng.poisson(5, 84).astype(float)
    counts[-1] = 40
    series = _series(counts, "month", 30)
    alarms, first = alarms_as_of_each_period(Farrington(), series)
    assert first == 5 * 12 + 3                              # b years of 12 months plus w
    assert alarms[-1] and not alarms[:first].any()


def test_prospective_alarms_do_not_depend_on_later_data():
    """Scoring week t from weeks <= t: cutting the series after t changes nothing before it."""
    rng = np.random.default_rng(9)
    counts = rng.poisson(3, 60).astype(float)
    counts[40:44] += 8
    mean = [3.0] * 60
    full, _ = alarms_as_of_each_period(GlrPoisson(mu0=mean[10:], window=13, c_arl=5), _series(counts), 10)
    cut, _ = alarms_as_of_each_period(GlrPoisson(mu0=mean[10:45], window=13, c_arl=5), _series(counts[:45]), 10)
    assert (full[:45] == cut).all() and full[40:44].any()


@pytest.mark.timeout(60)
@pytest.mark.filterwarnings("ignore")              # statsmodels: perfect separation on the sparse history
def test_glr_nb_with_an_almost_zero_mean_finishes():
    """Regression: a baseline of near-zero means (three events in 15 weeks of history) once made
    the negative-binomial root search widen for ever, as exp(kappa) * mu overflowed to NaN."""
    from defectradar.signals.glr import GlrNegBin

    counts = np.zeros(150)
    counts[[3, 15, 16, 18, 20, 21, 23]] = [1, 1, 1, 2, 1, 1, 1]
    counts[60::7] = 1
    counts[140:] = [2, 0, 1, 3, 0, 2, 1, 1, 1, 1]
    with pytest.raises(InputError, match="expected count of 0"):       # a seasonal fit of 0 on 15 weeks
        GlrNegBin(window=13, c_arl=6.0).fit(_series(counts), start=15)
    det = GlrNegBin(window=13, c_arl=6.0, threshold_last=0).fit(_series(counts), start=30)
    assert np.isfinite(det.statistic_).all() and len(det.alarm_) == 120
