"""Kleinberg bursts: the DP against brute-force enumeration, thresholds, planted bursts, errors.

The independent check is an exhaustive search over all ``k**T`` state sequences of tiny
series, with costs computed from ``scipy.stats`` log-pmfs rather than the module's own
formulas.  ``pybursts`` (PyPI 0.1.1) was considered as a second reference and left out: it
implements only Kleinberg's continuous (exponential gap) model, not the batched binomial one,
and fails under numpy 2 (it indexes with floats).
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats

from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.signals.bursts import KleinbergBursts


def days(n: int) -> list[date]:
    return [date(2024, 1, 1) + timedelta(i) for i in range(n)]


def brute_force(counts, totals, s, gamma, k):
    """Every state sequence, scored from scipy's log-pmfs; returns (best cost, all best paths)."""
    counts = np.asarray(counts)
    n = len(counts)
    if totals is None:
        base = counts.mean()
        cost = lambda i, t: -stats.poisson.logpmf(counts[t], base * s**i)  # noqa: E731
    else:
        totals = np.asarray(totals)
        base = counts.sum() / totals.sum()
        cost = lambda i, t: -stats.binom.logpmf(counts[t], totals[t], min(base * s**i, 1 - 1e-9))  # noqa: E731
    table = [[cost(i, t) for i in range(k)] for t in range(n)]
    results = []
    for path in itertools.product(range(k), repeat=n):
        total, previous = 0.0, 0
        for t, state in enumerate(path):
            total += gamma * max(state - previous, 0) * math.log(n) + table[t][state]
            previous = state
        results.append((total, path))
    best = min(c for c, _ in results)
    return best, [p for c, p in results if c <= best + 1e-9]


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("with_totals", [True, False])
def test_dynamic_programme_matches_brute_force(seed, k, with_totals):
    rng = np.random.default_rng(seed)
    for trial in range(15):
        n = int(rng.integers(2, 8 if k == 2 else 6))
        totals = rng.integers(5, 60, n) if with_totals else None
        rates = np.where(rng.random(n) < 0.3, 0.4, 0.08)
        counts = rng.binomial(totals, rates) if with_totals else rng.poisson(rates * 40)
        if counts.sum() == 0:
            counts[0] = 1
        s, gamma = float(rng.choice([1.5, 2.0, 3.0])), float(rng.choice([0.0, 0.5, 1.0, 2.0]))
        detector = KleinbergBursts(s=s, gamma=gamma, n_states=k).fit(CountSeries(days(n), counts, totals, "day"))
        best, paths = brute_force(counts, totals, s, gamma, k)
        context = f"trial {trial}: counts={counts.tolist()} totals={totals} s={s} gamma={gamma}"
        assert detector.cost_ == pytest.approx(best, rel=1e-9, abs=1e-9), context
        assert tuple(detector.states_.tolist()) in paths, context


def test_reported_cost_includes_binomial_coefficient():
    counts, totals = [3, 0, 7], [10, 10, 10]
    detector = KleinbergBursts(gamma=0.0).fit(CountSeries(days(3), counts, totals, "day"))
    p0 = 10 / 30
    expected = sum(-stats.binom.logpmf(r, 10, p0 * 2 ** int(q)) for r, q in zip(counts, detector.states_))
    assert detector.cost_ == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("with_totals", [True, False])
def test_threshold_is_where_the_burst_state_becomes_cheaper(with_totals):
    totals = np.array([200, 500, 1000, 50]) if with_totals else None
    counts = np.array([4, 9, 30, 1])
    detector = KleinbergBursts(s=2.5).fit(CountSeries(days(4), counts, totals, "day"))
    base = counts.sum() / totals.sum() if with_totals else counts.mean()
    for t, threshold in enumerate(detector.threshold_):
        r = int(threshold)

        def saving(x):  # cost of state 0 minus cost of state 1, from scipy
            if with_totals:
                return stats.binom.logpmf(x, totals[t], base * 2.5) - stats.binom.logpmf(x, totals[t], base)
            return stats.poisson.logpmf(x, base * 2.5) - stats.poisson.logpmf(x, base)

        assert saving(r) > 0 and saving(r - 1) <= 0, f"period {t}: threshold {r}"
    if with_totals:
        assert detector.expected_ == pytest.approx(base * totals)
    else:
        assert detector.expected_ == pytest.approx(np.full(4, counts.mean()))


def test_without_transition_cost_the_state_follows_the_threshold(seed):
    rng = np.random.default_rng(seed)
    totals = rng.integers(50, 400, 60)
    counts = rng.binomial(totals, rng.choice([0.02, 0.08], 60))
    detector = KleinbergBursts(gamma=0.0).fit(CountSeries(days(60), counts, totals, "day"))
    assert detector.alarm_.tolist() == (counts >= detector.threshold_).tolist()


def test_planted_binomial_burst_is_found(seed):
    rng = np.random.default_rng(seed)
    n = 80
    totals = rng.integers(2000, 3000, n)
    rates = np.full(n, 0.01)
    rates[40:48] = 0.05
    counts = rng.binomial(totals, rates)
    detector = KleinbergBursts().fit(CountSeries(days(n), counts, totals, "day"))
    flagged = set(np.flatnonzero(detector.alarm_).tolist())
    assert flagged <= set(range(39, 49)), f"alarms outside the burst: {sorted(flagged)}"
    assert len(flagged & set(range(40, 48))) >= 7, f"burst periods missed: {sorted(flagged)}"
    assert detector.model_ == "binomial"
    assert detector.bursts_[0]["level"] == 1 and detector.bursts_[0]["periods"] == len(flagged)


def test_stronger_burst_reaches_a_higher_state_and_levels_nest():
    counts = [10, 11, 9, 10, 40, 160, 150, 40, 10, 9, 11, 10]
    detector = KleinbergBursts(n_states=4).fit(CountSeries(days(12), counts, None, "day"))
    states = detector.statistic_.astype(int).tolist()
    assert states[:4] == [0, 0, 0, 0] and states[-4:] == [0, 0, 0, 0]
    assert max(states) == max(states[5:7]) >= 2
    levels = {b["level"]: b for b in detector.bursts_}
    assert set(levels) == set(range(1, max(states) + 1))
    for level in range(2, max(states) + 1):  # each level lies inside the one below it
        assert levels[level - 1]["start"] <= levels[level]["start"] <= levels[level]["end"] <= levels[level - 1]["end"]


def test_high_gamma_suppresses_short_bursts():
    counts = [5, 4, 6, 5, 14, 5, 4, 6, 5, 5]
    assert KleinbergBursts(gamma=0.0).fit(CountSeries(days(10), counts, None, "day")).alarm_[4]
    assert not KleinbergBursts(gamma=5.0).fit(CountSeries(days(10), counts, None, "day")).alarm_.any()


def test_history_baseline_and_scored_periods():
    counts = np.array([2, 3, 2, 3, 20, 21, 20, 21])
    totals = np.full(8, 100)
    series = CountSeries(days(8), counts, totals, "day")
    whole = KleinbergBursts(s=3.0).fit(series, start=4)
    history = KleinbergBursts(s=3.0, baseline="history").fit(series, start=4)
    assert history.base_rate_ == pytest.approx(10 / 400)
    assert whole.base_rate_ == pytest.approx(92 / 800)
    # Against the quiet history the plateau is a burst; with the whole series as baseline the
    # plateau raises its own base rate (state 1 would need 22 of 100) and is not.
    assert len(history.alarm_) == 4 and history.alarm_.all()
    assert whole.threshold_.tolist() == [22.0] * 4 and not whole.alarm_.any()
    assert history.summary["period"].tolist() == series.periods[4:]


def test_poisson_with_exposure_scales_the_expected_count():
    totals = np.array([100, 100, 1000, 1000, 1000, 100])
    counts = np.array([1, 2, 15, 14, 16, 1])
    detector = KleinbergBursts(model="poisson").fit(CountSeries(days(6), counts, totals, "day"))
    assert detector.model_ == "poisson"
    assert detector.expected_ == pytest.approx(49 / 3300 * totals)
    assert not detector.alarm_.any()          # the rise follows the exposure, not a burst


def test_all_zero_series_has_no_burst():
    detector = KleinbergBursts().fit(CountSeries(days(5), [0] * 5, None, "day"))
    assert not detector.alarm_.any() and detector.threshold_.tolist() == [1.0] * 5


def test_every_parameter_is_validated():
    assert set(KleinbergBursts._parameter_constraints) == set(KleinbergBursts().get_params())
    series = CountSeries(days(3), [1, 2, 3], None, "day")
    for name, bad in [("s", 1.0), ("gamma", -1.0), ("n_states", 1), ("model", "gauss"), ("baseline", "x")]:
        with pytest.raises(InputError, match=name):
            KleinbergBursts(**{name: bad}).fit(series)


@pytest.mark.parametrize("counts, totals, kwargs, message", [
    ([1, 2, 3], None, {"model": "binomial"}, "needs denominators"),
    ([1, 5, 3], [10, 4, 10], {}, "out of only 4"),
    ([1, 5, 3], [10, 0, 10], {}, "denominator of 0"),
    ([1, 5, 3], [10, 10, 10], {"baseline": "history"}, "start > 0"),
])
def test_bad_input_says_how_to_fix_it(counts, totals, kwargs, message):
    with pytest.raises(InputError, match=message):
        KleinbergBursts(**kwargs).fit(CountSeries(days(3), counts, totals, "day"))


def test_history_without_events_is_refused():
    with pytest.raises(InputError, match="hold no events"):
        KleinbergBursts(baseline="history").fit(CountSeries(days(4), [0, 0, 3, 4], None, "day"), start=2)


def test_to_dict_is_json_safe():
    detector = KleinbergBursts(n_states=3).fit(CountSeries(days(6), [1, 1, 9, 9, 1, 1], [50] * 6, "day"))
    out = json.loads(json.dumps(detector.to_dict()))
    assert out["method"] == "bursts" and out["model"] == "binomial"
    assert [p["state"] for p in out["periods"]] == detector.statistic_.astype(int).tolist()
    assert out["bursts"] and out["bursts"][0]["start"] == "2024-01-03"
    assert len(out["rates"]) == 3 and out["rates"][1] == pytest.approx(2 * out["rates"][0], rel=1e-5)


def test_declared_retrospective_for_backtests():
    """Back-tests (``backtest.alarms_as_of_each_period``) refit a detector that declares
    ``retrospective = True`` on the series cut at each period; bursts must declare it, because the
    whole series' answer for a period uses hindsight: here period 5 is in the burst only once
    the later periods are seen."""
    assert KleinbergBursts.retrospective is True
    counts = [3, 3, 3, 3, 7, 9, 9, 9, 3, 3]
    whole = KleinbergBursts().fit(CountSeries(days(10), counts, None, "day"))
    as_of_5 = KleinbergBursts().fit(CountSeries(days(6), counts[:6], None, "day"))
    assert whole.alarm_[5] and not as_of_5.alarm_[5]
