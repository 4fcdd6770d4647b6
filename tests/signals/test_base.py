"""The temporal-detector contract: a failed fit leaves nothing half-fitted; back-test helpers."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from defectradar.errors import InputError
from defectradar.signals.backtest import alarms_as_of_each_period
from defectradar.signals.base import CountSeries
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
