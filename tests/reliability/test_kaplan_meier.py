"""Kaplan-Meier: lifelines agreement, weights, bands, plotting positions, the log-rank test and
bad input.  R survfit / survdiff references are in test_survival_reference.py."""

from __future__ import annotations

import numpy as np
import pytest

from defectradar.errors import InputError
from defectradar.reliability import KaplanMeier, LifetimeData, logrank
from defectradar.reliability.kaplan_meier import plotting_positions


def _sample(rng, n=600):
    life = np.round(rng.weibull(1.4, n) * 300)
    censor = np.round(rng.uniform(0, 500, n))
    return np.minimum(life, censor), (life <= censor).astype(int)


def test_matches_lifelines_estimate_and_its_log_log_band(seed):
    """lifelines 0.30 KaplanMeierFitter: same estimate; its band is the log-log
    ("exponential Greenwood") one, our conf_type='log-log'."""
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(seed)
    time, event = _sample(rng)
    ours = KaplanMeier(conf_type="log-log").fit(LifetimeData.from_arrays(time, event)).table_
    theirs = KaplanMeierFitter().fit(time, event)
    sf = theirs.survival_function_.iloc[:, 0]
    sf = sf[sf.index > 0] if 0 not in set(time) else sf
    common = np.intersect1d(ours["time"], sf.index)
    ours_at = ours.set_index("time").loc[common]
    np.testing.assert_allclose(ours_at["survival"], sf.loc[common], rtol=1e-12)
    ci = theirs.confidence_interval_.loc[common]
    defined = ours_at["lower"].notna().to_numpy()
    np.testing.assert_allclose(ours_at["lower"].to_numpy()[defined], ci.iloc[:, 0].to_numpy()[defined], rtol=1e-9)
    np.testing.assert_allclose(ours_at["upper"].to_numpy()[defined], ci.iloc[:, 1].to_numpy()[defined], rtol=1e-9)
    table = theirs.event_table.loc[common]
    np.testing.assert_array_equal(ours_at["at_risk"], table["at_risk"])
    np.testing.assert_array_equal(ours_at["events"], table["observed"])


def test_weights_equal_repeated_rows(seed):
    rng = np.random.default_rng(seed)
    time, event = _sample(rng, 80)
    weight = rng.integers(0, 6, len(time))
    weighted = KaplanMeier().fit(LifetimeData.from_arrays(time, event, weight)).table_
    expanded = KaplanMeier().fit(LifetimeData.from_arrays(np.repeat(time, weight), np.repeat(event, weight))).table_
    np.testing.assert_allclose(weighted.to_numpy(dtype=float), expanded.to_numpy(dtype=float), rtol=1e-12)


def test_bands_by_hand_on_a_tiny_sample():
    """Five units, failures at 9, 13, 18, 23 (one censored at 13): S and Greenwood by hand."""
    km = KaplanMeier().fit(LifetimeData.from_arrays([9, 13, 13, 18, 23], [1, 1, 0, 1, 1]))
    t = km.table_
    assert list(t["time"]) == [9, 13, 18, 23]
    assert list(t["at_risk"]) == [5, 4, 2, 1]
    np.testing.assert_allclose(t["survival"], [0.8, 0.6, 0.3, 0.0])
    var = np.cumsum([1 / (5 * 4), 1 / (4 * 3), 1 / (2 * 1)])
    np.testing.assert_allclose(t["std_log"][:3], np.sqrt(var))
    z = 1.959963984540054
    np.testing.assert_allclose(t["lower"][:3], t["survival"][:3] * np.exp(-z * np.sqrt(var)))
    assert t["upper"].iloc[0] == 1.0                   # capped at 1, as R does
    assert np.isnan(t["lower"].iloc[3]) and np.isnan(t["upper"].iloc[3])   # undefined at S = 0
    plain = KaplanMeier(conf_type="plain").fit(LifetimeData.from_arrays([9, 13, 13, 18, 23], [1, 1, 0, 1, 1]))
    assert plain.table_["lower"].iloc[2] == pytest.approx(max(0.0, 0.3 - z * 0.3 * np.sqrt(var[2])))
    assert km.median() == 18
    np.testing.assert_allclose(km.survival_at([0, 9, 12.9, 100]), [1.0, 0.8, 0.8, 0.0])


def test_plotting_positions_are_midpoints_of_the_steps():
    km = KaplanMeier().fit(LifetimeData.from_arrays([9, 13, 13, 18, 23], [1, 1, 0, 1, 1]))
    points = plotting_positions(km)
    np.testing.assert_allclose(points["time"], [9, 13, 18, 23])
    np.testing.assert_allclose(points["unreliability"], [0.1, 0.3, 0.55, 0.85])


def test_rows_have_the_issue_fields():
    km = KaplanMeier().fit(LifetimeData.from_arrays([9, 13, 13, 18, 23], [1, 1, 0, 1, 1]))
    rows = km.rows()
    assert set(rows[0]) == {"time", "at_risk", "events", "survival", "lower", "upper"}
    assert rows[-1]["lower"] is None


def test_logrank_matches_lifelines_and_reports_observed_and_expected(seed):
    from lifelines.statistics import logrank_test

    rng = np.random.default_rng(seed)
    ta, ea = _sample(rng, 200)
    tb, eb = _sample(rng, 150)
    tb = tb * 0.8
    result = logrank({"a": LifetimeData.from_arrays(ta, ea), "b": LifetimeData.from_arrays(tb, eb)})
    theirs = logrank_test(ta, tb, ea, eb)
    assert result.statistic == pytest.approx(theirs.test_statistic, rel=1e-10)
    assert result.p_value == pytest.approx(theirs.p_value, rel=1e-8)
    assert sum(result.observed) == pytest.approx(sum(result.expected))
    assert result.observed[0] == ea.sum()


def test_logrank_needs_two_groups_with_failures():
    data = LifetimeData.from_arrays([1, 2, 3], [1, 1, 0])
    with pytest.raises(InputError, match="at least two groups"):
        logrank({"a": data})
    with pytest.raises(InputError, match="group 'b'.*every unit is censored"):
        logrank({"a": data, "b": LifetimeData.from_arrays([1, 2], [0, 0])})


def test_all_censored_and_bad_conf_type_are_clear_errors():
    with pytest.raises(InputError, match="every unit is censored"):
        KaplanMeier().fit(LifetimeData.from_arrays([1, 2, 3], [0, 0, 0]))
    with pytest.raises(InputError, match="conf_type='loglog'"):
        KaplanMeier(conf_type="loglog").fit(LifetimeData.from_arrays([1, 2, 3], [1, 0, 0]))
    with pytest.raises(InputError, match="no units"):
        LifetimeData.from_arrays([], [])
