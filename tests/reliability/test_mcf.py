"""The MCF: the cumulative-sum variance against the textbook double sum, weights, bounds, the
two-sample difference and bad input.  R survfit (valveSeat) references are in
test_survival_reference.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from defectradar.errors import InputError
from defectradar.reliability import MeanCumulativeFunction, RecurrenceData, compare_mcf


def _histories(rng, n_units=120, rate=1 / 120):
    units, times, events = [], [], []
    ends = np.round(rng.uniform(30, 400, n_units))
    for i, end in enumerate(ends):
        for t in np.sort(np.round(rng.uniform(0, end, rng.poisson(end * rate)))):
            units.append(f"u{i}"), times.append(t), events.append(1)
        units.append(f"u{i}"), times.append(end), events.append(0)
    return units, np.array(times), np.array(events)


def _textbook(units, times, events, weights=None):
    """Nelson's MCF and the Lawless-Nadeau variance straight from the definition (a dense
    units x repair-ages matrix), independent of the cumulative-sum algorithm."""
    frame = pd.DataFrame({"unit": units, "time": times, "event": events})
    ends = frame[frame.event == 0].set_index("unit")["time"]
    w = pd.Series(1.0, index=ends.index) if weights is None else weights.reindex(ends.index)
    grid = np.unique(frame.loc[frame.event == 1, "time"])
    n = np.zeros((len(ends), len(grid)))
    pos = {u: i for i, u in enumerate(ends.index)}
    for u, t in frame.loc[frame.event == 1, ["unit", "time"]].itertuples(index=False):
        n[pos[u], np.searchsorted(grid, t)] += 1
    risk = ends.to_numpy()[:, None] >= grid[None, :]
    r = (w.to_numpy()[:, None] * risk).sum(0)
    d = (w.to_numpy()[:, None] * n).sum(0)
    m = d / r
    bracket = np.cumsum(risk * (n - m[None, :]) / r[None, :], axis=1)
    return grid, r, np.cumsum(m), (w.to_numpy()[:, None] * bracket ** 2).sum(0)


def test_variance_equals_the_textbook_double_sum(seed):
    rng = np.random.default_rng(seed)
    units, times, events = _histories(rng)
    fit = MeanCumulativeFunction().fit(RecurrenceData.from_arrays(units, times, events)).table_
    grid, r, mcf, var = _textbook(units, times, events)
    np.testing.assert_allclose(fit["time"], grid)
    np.testing.assert_allclose(fit["at_risk"], r)
    np.testing.assert_allclose(fit["mcf"], mcf, rtol=1e-12)
    np.testing.assert_allclose(fit["se"], np.sqrt(var), rtol=1e-9, atol=1e-15)


def test_same_day_repairs_and_repairs_at_the_end_age_are_counted():
    """Two repairs of one unit on one day count twice; a unit is at risk at its own end age."""
    units = ["a", "a", "a", "b", "b", "c"]
    times = [10, 10, 20, 20, 20, 15]
    events = [1, 1, 0, 1, 0, 0]
    fit = MeanCumulativeFunction().fit(RecurrenceData.from_arrays(units, times, events)).table_
    assert list(fit["time"]) == [10, 20]
    assert list(fit["events"]) == [2, 1]
    assert list(fit["at_risk"]) == [3, 2]
    np.testing.assert_allclose(fit["mcf"], [2 / 3, 2 / 3 + 1 / 2])
    grid, r, mcf, var = _textbook(units, times, events)
    np.testing.assert_allclose(fit["se"], np.sqrt(var))


def test_unit_weights_equal_repeated_units(seed):
    rng = np.random.default_rng(seed)
    units, times, events = _histories(rng, 40)
    unit_weight = {u: int(k) for u, k in zip(sorted(set(units)), rng.integers(1, 5, 40))}
    weighted = MeanCumulativeFunction().fit(RecurrenceData.from_arrays(
        units, times, events, [unit_weight[u] for u in units])).table_
    rep_units, rep_times, rep_events = [], [], []
    for u, t, e in zip(units, times, events):
        for copy in range(unit_weight[u]):
            rep_units.append(f"{u}#{copy}"), rep_times.append(t), rep_events.append(e)
    expanded = MeanCumulativeFunction().fit(RecurrenceData.from_arrays(rep_units, rep_times, rep_events)).table_
    np.testing.assert_allclose(weighted.to_numpy(dtype=float), expanded.to_numpy(dtype=float), rtol=1e-10)


def test_units_that_never_failed_lower_the_mcf_and_count_in_the_variance(seed):
    rng = np.random.default_rng(seed)
    units, times, events = _histories(rng, 50)
    quiet = [f"q{i}" for i in range(30)]
    all_units = units + quiet
    all_times = np.concatenate([times, np.full(30, 500.0)])
    all_events = np.concatenate([events, np.zeros(30, int)])
    with_quiet = MeanCumulativeFunction().fit(RecurrenceData.from_arrays(all_units, all_times, all_events)).table_
    grid, r, mcf, var = _textbook(all_units, all_times, all_events)
    np.testing.assert_allclose(with_quiet["se"], np.sqrt(var), rtol=1e-9)
    alone = MeanCumulativeFunction().fit(RecurrenceData.from_arrays(units, times, events)).table_
    assert (with_quiet["mcf"].to_numpy() < alone["mcf"].to_numpy()).all()


def test_log_bounds_stay_positive_and_normal_bounds_are_symmetric(seed):
    rng = np.random.default_rng(seed)
    data = RecurrenceData.from_arrays(*_histories(rng, 30))
    normal = MeanCumulativeFunction().fit(data).table_
    log = MeanCumulativeFunction(bounds="log").fit(data).table_
    np.testing.assert_allclose(normal["upper"] - normal["mcf"], normal["mcf"] - normal["lower"])
    assert (log["lower"] > 0).all()
    np.testing.assert_allclose(log["lower"] * log["upper"], log["mcf"] ** 2)


def test_rows_have_the_issue_fields_and_at_is_a_step_function():
    fit = MeanCumulativeFunction().fit(RecurrenceData.from_arrays(["a", "a", "b", "b"], [5, 9, 7, 12], [1, 0, 1, 0]))
    assert set(fit.rows()[0]) == {"time", "at_risk", "mcf", "se", "lower", "upper"}
    at = fit.at([0, 5, 6, 7, 12, 13])
    np.testing.assert_allclose(at["mcf"][:5], [0, 0.5, 0.5, 1.0, 1.0])
    assert np.isnan(at["mcf"].iloc[5])          # beyond the longest observation: unknown


def test_compare_two_populations():
    """Difference with se = sqrt(se_a^2 + se_b^2) (independent samples), up to the shorter span."""
    a = MeanCumulativeFunction().fit(RecurrenceData.from_arrays(
        ["a1", "a1", "a1", "a2", "a2", "a3"], [5, 8, 20, 6, 30, 25], [1, 1, 0, 1, 0, 0]))
    b = MeanCumulativeFunction().fit(RecurrenceData.from_arrays(["b1", "b1", "b2", "b2"], [7, 18, 10, 12],
                                                                [1, 0, 1, 0]))
    diff = compare_mcf(a, b)
    assert diff["time"].max() <= 18
    row = diff[diff["time"] == 10].iloc[0]
    at_a, at_b = a.at([10]).iloc[0], b.at([10]).iloc[0]
    assert row["difference"] == pytest.approx(at_a["mcf"] - at_b["mcf"])
    assert row["se"] == pytest.approx(np.hypot(at_a["se"], at_b["se"]))


@pytest.mark.parametrize("units, times, events, message", [
    (["a", "a", "b"], [5, 3, 4], [1, 0, 0], "repair at 5, after its end of observation at 3"),
    (["a", "b", "b"], [5, 3, 4], [1, 1, 0], "unit 'a' .* has repairs but no end-of-observation row"),
    (["a", "a", "a"], [5, 6, 7], [1, 0, 0], "unit 'a' has 2 end-of-observation rows"),
    (["a", "b"], [5, 6], [0, 0], "no repairs in the data"),
    (["a", "a"], [-1, 6], [1, 0], "row 1: time -1 is negative"),
    (["a", "a"], [1, 6], [3, 0], "row 1: event is 3"),
    (["a", None], [1, 6], [1, 0], "row 2: the unit is missing"),
])
def test_bad_input_is_a_clear_error(units, times, events, message):
    with pytest.raises(InputError, match=message):
        RecurrenceData.from_arrays(units, times, events)


def test_bad_bounds_name():
    data = RecurrenceData.from_arrays(["a", "a"], [1, 6], [1, 0])
    with pytest.raises(InputError, match="bounds='logit'"):
        MeanCumulativeFunction(bounds="logit").fit(data)
