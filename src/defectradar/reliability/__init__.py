"""Field reliability: how often, how soon and how repeatedly products fail.

* :class:`WeibullModel`: Weibull time to failure with right censoring (Fisher-matrix intervals,
  B10 life, probability of failure by an age).
* :class:`KaplanMeier` and :func:`logrank`: non-parametric survival and its comparison.
* :class:`MeanCumulativeFunction` and :func:`compare_mcf`: repairs per unit over age with the
  Lawless-Nadeau variance.
* :class:`NevadaTable` / :func:`nevada_table` and :class:`WarrantyForecast`: claims by sales
  month and months in service, and the claims still to come.
* :class:`LifetimeData` / :class:`RecurrenceData`: the checked inputs of the estimators
  (:mod:`defectradar.core.lifetimes`).

The store-side queries that build these inputs live in :mod:`defectradar.query.reliability` and
:mod:`defectradar.query.warranty`; :mod:`defectradar.analyses` hands their results to the fitters.
"""

from defectradar.core.lifetimes import LifetimeData, RecurrenceData
from defectradar.reliability.forecast import WarrantyForecast
from defectradar.reliability.kaplan_meier import KaplanMeier, LogRankResult, logrank
from defectradar.reliability.mcf import MeanCumulativeFunction, compare_mcf
from defectradar.reliability.nevada import NevadaTable, nevada_table
from defectradar.reliability.weibull import WeibullModel

__all__ = ["LifetimeData", "RecurrenceData", "KaplanMeier", "LogRankResult", "logrank", "MeanCumulativeFunction",
           "compare_mcf", "WeibullModel", "WarrantyForecast", "NevadaTable", "nevada_table"]
