"""A first reliability look at a store: the product x failure modes with most claims, fitted.

For each of the ``top`` product x mode pairs by claims: the Weibull fit of the time to first
claim (shape, scale, B10, probability of a claim by day 365) and the mean cumulative claims per
unit at day 365; plus the lemons under each rule.  The demo prints it and saves the charts;
the dashboard will show the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from defectradar.analyses.lemons import lemons_in_store
from defectradar.errors import InputError
from defectradar.query.reliability import lifetimes_for_store, recurrences_for_store
from defectradar.query.service_histories import CLAIM_ACTIONS
from defectradar.reliability.kaplan_meier import KaplanMeier
from defectradar.reliability.mcf import MeanCumulativeFunction
from defectradar.reliability.weibull import WeibullModel

YEAR = 365


@dataclass
class ReliabilityOverview:
    as_of: str | None = None
    fits: list[dict] = field(default_factory=list)       # product, mode, units, failures, shape, ..., mcf_365
    lemons: dict[str, dict] = field(default_factory=dict)  # rule -> {"hits", "devices"}
    charts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"as_of": self.as_of, "fits": self.fits, "lemons": self.lemons, "charts": self.charts}


def top_pairs(con, top: int) -> list[tuple[str, str]]:
    """The product x failure mode pairs with the most claims."""
    marks = ", ".join("?" for _ in CLAIM_ACTIONS)
    rows = con.execute(
        f"SELECT product_id, failure_mode, count(*) AS n FROM service_events WHERE action IN ({marks}) "
        "AND product_id IS NOT NULL AND failure_mode IS NOT NULL GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT ?",
        [*CLAIM_ACTIONS, top]).fetchall()
    return [(p, m) for p, m, _ in rows]


def reliability_overview(store, top: int = 6, charts_dir: str | Path | None = None) -> ReliabilityOverview:
    """Fit the ``top`` product x mode pairs; with ``charts_dir``, save their Kaplan-Meier,
    Weibull and MCF charts there as PNG (the same specs the dashboard embeds)."""
    result = ReliabilityOverview()
    curves, lifetimes, fits, mcfs = {}, {}, {}, {}
    with store.reader() as con:
        pairs = top_pairs(con, top)
        for product, mode in pairs:
            try:
                data, info = lifetimes_for_store(con, product, mode)
                recurrences, _ = recurrences_for_store(con, product, mode)
            except InputError:           # no sales for the product: nothing to fit against
                continue
            fit = WeibullModel().fit(data)
            mcf = MeanCumulativeFunction().fit(recurrences)
            label = f"{product}/{mode}"
            lifetimes[label], fits[label], mcfs[label] = data, fit, mcf
            curves[label] = KaplanMeier().fit(data)
            at_year = mcf.at([YEAR])["mcf"].iloc[0]
            result.as_of = info.as_of.isoformat()
            result.fits.append({
                "product": product, "mode": mode, "units": info.units, "failures": fit.failures_,
                "shape": fit.shape_, "shape_ci": list(fit.shape_ci_), "scale": fit.scale_, "b10": fit.b10_,
                "failed_by_365": fit.probability_of_failure(YEAR),
                "mcf_365": None if at_year != at_year else float(at_year)})
        result.lemons = dict(lemons_in_store(con).counts)
    if charts_dir is not None and fits:
        result.charts = _save_charts(Path(charts_dir), curves, fits, mcfs)
    return result


def _save_charts(folder: Path, curves, fits, mcfs) -> list[str]:
    from defectradar.charts.reliability import km_chart, mcf_chart, weibull_probability_chart
    from defectradar.charts.render import save_chart
    from defectradar.reliability.kaplan_meier import plotting_positions

    folder.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    points = pd.concat([plotting_positions(km).assign(group=label) for label, km in curves.items()])
    charts = {
        "survival.png": km_chart({label: km.table_ for label, km in curves.items()},
                                 title="Time to first claim (Kaplan-Meier)"),
        "weibull.png": weibull_probability_chart(points, {label: {"shape": f.shape_, "scale": f.scale_}
                                                          for label, f in fits.items()}),
        "repairs.png": mcf_chart({label: m.table_ for label, m in mcfs.items()},
                                 title="Mean cumulative claims per unit"),
    }
    return [str(save_chart(chart, folder / name)) for name, chart in charts.items()]
