"""Kleinberg's burst detection for batched arrivals (binomial, or Poisson for bare counts).

Follows J. Kleinberg, "Bursty and Hierarchical Structure in Streams", KDD 2002 (Data Min.
Knowl. Disc. 7, 2003), section 4 ("Enumerating bursts"), the model for documents arriving in
batches: in period ``t`` there are ``r_t`` relevant events out of ``d_t`` in all (reports of
one failure mode out of all reports, or complaints out of units in service).  A hidden
automaton with states ``i = 0 .. k-1`` emits relevant events at rate

.. math::  p_i = \\min(p_0 s^i, 1 - \\varepsilon), \\qquad p_0 = \\sum_t r_t / \\sum_t d_t,

and the cost of being in state ``i`` during period ``t`` is the negative log-likelihood

.. math::  \\sigma(i, t) = -\\ln\\left[\\binom{d_t}{r_t} p_i^{r_t} (1 - p_i)^{d_t - r_t}\\right].

Moving up from state ``i`` to ``j > i`` costs :math:`\\tau(i, j) = \\gamma (j - i) \\ln n`
(``n`` = number of periods); moving down is free.  The automaton starts in state 0 before the
first period.  The state sequence of minimum total cost is found exactly by dynamic
programming (Viterbi), O(T k^2).

**Count-only series** (``denominators is None``): the Poisson analogue, with counts
:math:`r_t \\sim \\text{Poisson}(\\lambda_i)`, :math:`\\lambda_i = \\lambda_0 s^i`,
:math:`\\lambda_0` the mean count per period, and
:math:`\\sigma(i, t) = \\lambda_i - r_t \\ln \\lambda_i + \\ln r_t!`.  ``model="poisson"`` with
denominators uses exposure: :math:`\\lambda_{i,t} = p_0 d_t s^i` (no cap, so counts may
exceed the denominator).

**History.**  Bursts are retrospective: the optimal state of a period depends on later
periods too, so for a prospective view fit the series cut at the day of interest.  The DP
always runs over the whole series; ``start`` only chooses which periods are reported.
``baseline="series"`` (default, as in the paper) estimates :math:`p_0` from every period;
``baseline="history"`` from periods before ``start`` only, so a burst inside the scored
periods cannot raise its own baseline.

**Threshold** (``threshold_``): the smallest count at which the period's own evidence makes
state 1 cheaper than state 0, i.e. the smallest integer ``r`` with
:math:`\\sigma(1, t) < \\sigma(0, t)`:

* binomial: :math:`r > d_t \\ln\\frac{1-p_0}{1-p_1} \\big/ \\ln\\frac{p_1 (1-p_0)}{p_0 (1-p_1)}`;
* Poisson: :math:`r > \\lambda_0 (s - 1) / \\ln s` (times ``d_t p_0 / \\lambda_0`` with exposure).

It ignores the entry cost :math:`\\gamma \\ln n`, paid once when a burst opens, so a single
period at the threshold may not open a burst, and a burst may continue through a period below
it (leaving and re-entering would pay the entry cost again).

Examples
--------
>>> import numpy as np
>>> from datetime import date, timedelta
>>> from defectradar.core.series import CountSeries
>>> days = [date(2024, 1, 1) + timedelta(i) for i in range(10)]
>>> series = CountSeries(days, [2, 1, 2, 1, 9, 10, 8, 2, 1, 2], np.full(10, 100), freq="day")
>>> KleinbergBursts().fit(series).alarm_.astype(int).tolist()
[0, 0, 0, 0, 1, 1, 1, 0, 0, 0]
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from scipy.special import gammaln

from defectradar.core.estimator import Constraint, non_negative, one_of
from defectradar.core.numbers import json_number
from defectradar.core.series import CountSeries
from defectradar.errors import InputError
from defectradar.signals.base import AlarmRule, TemporalDetector

#: Highest emission rate a binomial state may take: p_i is capped just below 1.
MAX_RATE = 1.0 - 1e-9


def _above_one(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 1


def _two_or_more(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 2


class KleinbergBursts(TemporalDetector):
    """Kleinberg's batched burst automaton, exact by dynamic programming.

    Parameters
    ----------
    s
        Rate ratio between consecutive states (> 1): state ``i`` emits at ``p_0 s^i``.
    gamma
        Weight of the cost of moving up one state, ``gamma * ln(n)``; larger means fewer,
        longer bursts.
    n_states
        Number of states ``k`` (2 or more); states above 1 are nested, stronger bursts.
    model
        ``auto`` (binomial with denominators, Poisson without), ``binomial`` (needs
        denominators) or ``poisson``.
    baseline
        ``series``: the base rate from every period; ``history``: from periods before
        ``start`` only.

    Attributes
    ----------
    states_
        Optimal state of every period (history included).
    cost_
        Total cost of that state sequence.
    rates_
        Emission rate of each state: ``p_i`` (binomial, Poisson with exposure) or ``lambda_i``.
    model_
        The model used: ``binomial`` or ``poisson``.
    statistic_, alarm_, expected_, threshold_
        State, state > 0, expected count at the base rate and the threshold above, per
        scored period.
    """

    method: ClassVar[str] = "bursts"
    #: The optimal state of a period depends on later periods, so a back-test must refit the
    #: series cut at each period to see what the detector would have said then.
    retrospective: ClassVar[bool] = True
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "s": (_above_one, "a number above 1"),
        "gamma": (non_negative, "a non-negative number"),
        "n_states": (_two_or_more, "an integer of 2 or more"),
        "model": one_of("auto", "binomial", "poisson"),
        "baseline": one_of("series", "history"),
    }

    def __init__(self, s: float = 2.0, gamma: float = 1.0, n_states: int = 2, model: str = "auto",
                 baseline: str = "series") -> None:
        self.s = s
        self.gamma = gamma
        self.n_states = n_states
        self.model = model
        self.baseline = baseline

    def alarm_rule(self) -> AlarmRule:
        return AlarmRule("burst state", ">=", 1.0, "Kleinberg state; 0 is the base rate")

    def min_history(self) -> int:
        # The automaton runs over the whole series; no history is needed before scoring.
        return 0

    # -- the model ---------------------------------------------------------------------------
    def _check(self, series: CountSeries, start: int) -> str:
        counts, totals = series.counts, series.denominators
        model = self.model
        if model == "auto":
            model = "poisson" if totals is None else "binomial"
        if model == "binomial" and totals is None:
            raise InputError("bursts: model='binomial' needs denominators (all reports, or units in "
                             "service, per period); give them, or use model='poisson' for bare counts")
        if totals is not None:
            empty = (totals == 0) & (counts > 0)
            if empty.any():
                bad = int(np.argmax(empty))
                raise InputError(f"bursts: period {series.periods[bad]} has {counts[bad]:g} events but a "
                                 "denominator of 0; fix the denominators or drop the denominators to "
                                 "use the Poisson model")
            if model == "binomial" and (counts > totals).any():
                bad = int(np.argmax(counts > totals))
                raise InputError(f"bursts: period {series.periods[bad]} has {counts[bad]:g} events out of "
                                 f"only {totals[bad]:g}; the binomial model needs counts <= denominators "
                                 "(use model='poisson' for rates per exposure)")
        if self.baseline == "history":
            if start == 0:
                raise InputError("bursts: baseline='history' needs periods before the first scored one; "
                                 "pass start > 0 or use baseline='series'")
            base_total = counts[:start].sum() if totals is None else totals[:start].sum()
            if counts[:start].sum() == 0 or base_total == 0:
                raise InputError(f"bursts: the {start} history periods hold no events, so they give no "
                                 "base rate; start later or use baseline='series'")
        return model

    def _base_rate(self, series: CountSeries, start: int) -> float:
        """``p_0`` (events per unit of denominator) or ``lambda_0`` (events per period)."""
        end = start if self.baseline == "history" else len(series)
        counts = series.counts[:end]
        if series.denominators is None:
            return float(counts.mean())
        total = series.denominators[:end].sum()
        return float(counts.sum() / total) if total > 0 else 0.0

    def emission_costs(self, counts: np.ndarray, totals: np.ndarray | None, base: float,
                       model: str) -> np.ndarray:
        """``sigma(i, t)``: a (T, k) array of state costs per period (vectorised)."""
        r = np.asarray(counts, dtype=float)[:, None]
        scale = self.s ** np.arange(self.n_states)[None, :]
        if model == "binomial":
            d = np.asarray(totals, dtype=float)[:, None]
            p = np.minimum(min(base, MAX_RATE) * scale, MAX_RATE)
            log_choose = gammaln(d + 1) - gammaln(r + 1) - gammaln(d - r + 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                log_p = np.where(r > 0, r * np.log(p), 0.0)
                log_q = np.where(d - r > 0, (d - r) * np.log1p(-p), 0.0)
            return -(log_choose + log_p + log_q)
        lam = base * scale if totals is None else base * np.asarray(totals, dtype=float)[:, None] * scale
        with np.errstate(divide="ignore", invalid="ignore"):
            log_lam = np.where(r > 0, r * np.log(lam), 0.0)
        return lam - log_lam + gammaln(r + 1)

    def transition_costs(self, n_periods: int) -> np.ndarray:
        """``tau(i, j)``: (k, k) array, ``gamma (j - i) ln n`` up, 0 down or staying."""
        steps = np.arange(self.n_states)
        up = np.maximum(steps[None, :] - steps[:, None], 0)
        return self.gamma * up * math.log(max(n_periods, 1))

    @staticmethod
    def viterbi(emission: np.ndarray, transition: np.ndarray) -> tuple[np.ndarray, float]:
        """Minimum-cost state path from state 0: ``(states, cost)``; ties go to the lower state."""
        n_periods, k = emission.shape
        back = np.zeros((n_periods, k), dtype=np.int64)
        best = transition[0] + emission[0]        # leaving the start state 0
        for t in range(1, n_periods):
            total = best[:, None] + transition     # total[i, j]: arrive in j from i
            back[t] = np.argmin(total, axis=0)     # argmin takes the first (lowest) on ties
            best = total[back[t], np.arange(k)] + emission[t]
        states = np.empty(n_periods, dtype=np.int64)
        states[-1] = int(np.argmin(best))
        for t in range(n_periods - 1, 0, -1):
            states[t - 1] = back[t, states[t]]
        return states, float(best[states[-1]])

    def _thresholds(self, totals: np.ndarray | None, base: float, model: str, n_periods: int) -> np.ndarray:
        s = self.s
        if base <= 0:
            return np.ones(n_periods)         # any event beats a base rate of zero
        if model == "binomial":
            p0 = min(base, MAX_RATE)
            p1 = min(p0 * s, MAX_RATE)
            if p1 <= p0:
                return np.full(n_periods, np.inf)   # both capped: no count favours the burst state
            slope = math.log(p1 * (1 - p0) / (p0 * (1 - p1)))
            boundary = np.asarray(totals, dtype=float) * math.log((1 - p0) / (1 - p1)) / slope
        else:
            mean = np.full(n_periods, base) if totals is None else base * np.asarray(totals, dtype=float)
            boundary = mean * (s - 1) / math.log(s)
        return np.floor(boundary + 1e-12) + 1

    def _score(self, series: CountSeries, start: int):
        model = self._check(series, start)
        base = self._base_rate(series, start)
        totals = series.denominators
        n = len(series)
        if base <= 0:
            # No event anywhere: every state explains nothing better than state 0.
            states, cost = np.zeros(n, dtype=np.int64), 0.0
        else:
            emission = self.emission_costs(series.counts, totals, base, model)
            states, cost = self.viterbi(emission, self.transition_costs(n))
        scale = self.s ** np.arange(self.n_states)
        self.model_ = model
        self.base_rate_ = base
        self.rates_ = np.minimum(base * scale, MAX_RATE) if model == "binomial" else base * scale
        self.states_ = states
        self.cost_ = cost
        expected = np.full(n, base) if totals is None else base * totals
        threshold = self._thresholds(totals, base, model, n)
        scored = slice(start, None)
        return expected[scored], threshold[scored], states[scored], states[scored] > 0

    # -- output -------------------------------------------------------------------------------
    @property
    def bursts_(self) -> list[dict]:
        """Scored bursts as Kleinberg reports them: one interval per level, nested.

        A rise from state ``a`` to ``b`` opens levels ``a+1 .. b``; a fall closes the levels
        above the new state.  Each burst: ``level``, ``start``/``end`` (first and last period)
        and ``periods``.
        """
        self._check_fitted()
        periods = self.series_.periods[self.start_:]
        states = self.statistic_.astype(int)
        found, open_at = [], {}
        previous = 0
        for t, state in enumerate([*states.tolist(), 0]):
            for level in range(state + 1, previous + 1):       # closing, innermost first
                first = open_at.pop(level)
                found.append({"level": level, "start": str(periods[first]), "end": str(periods[t - 1]),
                              "periods": t - first})
            for level in range(previous + 1, state + 1):
                open_at[level] = t
            previous = state
        return sorted(found, key=lambda b: (b["start"], b["level"]))

    def to_dict(self) -> dict:
        out = super().to_dict()
        for period, state in zip(out["periods"], self.statistic_):
            period["state"] = int(state)
        out.update(model=self.model_, base_rate=json_number(self.base_rate_), rates=[json_number(r) for r in self.rates_],
                   cost=json_number(self.cost_), bursts=self.bursts_)
        return out
