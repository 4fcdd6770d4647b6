"""Building a whole simulated world: sales, device lives, chatter, the burst, and the truth."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from defectradar.domain.catalog import Product, builtin_catalog
from defectradar.errors import InputError
from defectradar.simulate.device_lives import ModelLives
from defectradar.simulate.identities import WeiboIds
from defectradar.simulate.lifetimes import (
    ONSET_RULE,
    expected_baseline_failures,
    onset_day,
)
from defectradar.simulate.parameters import (
    BACKGROUND_START,
    BURST_END,
    BURST_PEAK,
    BURST_START,
    BURST_TOPIC,
    CHANNELS,
    DEFECTS,
    LAUNCH_SPAN,
    MI11_SERIES,
    MODES,
    OBSERVATION_END,
    POLICIES,
    PRODUCT_PLANS,
    REGIONS,
    REPAIR_ONLY_FROM,
    UNNAMED_DEFECTS,
)
from defectradar.simulate.sales_plan import SalesMonth, plan_sales
from defectradar.simulate.unnamed_defects import write_unnamed_defect
from defectradar.simulate.weibo_posts import PostFactory, write_background, write_burst
from defectradar.simulate.world_files import WorldFiles

STREAM_BACKGROUND = 3
STREAM_BURST = 4
STREAM_UNNAMED = 5


@dataclass
class WorldSummary:
    """What :func:`simulate_world` wrote: where, from which seed and scale, and how much."""

    out_dir: str
    seed: int
    scale: float
    files: dict[str, str] = field(default_factory=dict)     # logical name -> path
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def simulated_products() -> list[Product]:
    """Catalog models with a sales plan that launched in 2020-2021, in catalog order."""
    products = [p for p in builtin_catalog().products
                if p.product_id in PRODUCT_PLANS and p.launch_date is not None
                and LAUNCH_SPAN[0] <= p.launch_date <= LAUNCH_SPAN[1]]
    missing = [pid for pid in MI11_SERIES if pid not in {p.product_id for p in products}]
    if missing:
        raise InputError(f"the product catalog lacks {', '.join(missing)}; the simulation needs the Mi 11 series")
    return products


def product_number(product_id: str) -> int:
    """A model's fixed number in the random streams (its position in ``PRODUCT_PLANS``)."""
    return list(PRODUCT_PLANS).index(product_id)


def _check_arguments(out_dir, seed, scale) -> Path:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, not {seed!r}")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
        raise InputError(f"scale must be a number > 0 (1 gives about 250,000 devices), not {scale!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; give a folder (new or existing) for the simulated world")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create folder {out}: {exc.strerror}") from None
    return out


def _popularity(products: list[Product], plans: dict[str, list[SalesMonth]]) -> dict[date, np.ndarray]:
    """Per month, how much each model is talked about: installed base plus 3x the month's sales."""
    months = []
    current = date(BACKGROUND_START.year, BACKGROUND_START.month, 1)
    while current <= OBSERVATION_END:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    weights = {}
    for month in months:
        row = np.zeros(len(products))
        for i, product in enumerate(products):
            sold = [m.units for m in plans[product.product_id] if m.month <= month]
            this_month = [m.units for m in plans[product.product_id] if m.month == month]
            row[i] = sum(sold) + 3 * sum(this_month)
        weights[month] = row
    return weights


def _defect_truth(lives: dict[str, ModelLives]) -> list[dict]:
    entries = []
    for defect in DEFECTS:
        model = lives.get(defect.product_id)
        if model is None:
            continue
        column = MODES.index(defect.mode)
        baseline = model.hazards.baseline[column]
        expected = expected_baseline_failures(model.affected_purchases[column], baseline)
        onset = onset_day(model.defect_failures[column], expected)
        start = date.fromordinal(model.hazards.hazard_start[column])
        entries.append({
            "defect_id": f"{defect.group}/{defect.product_id}", "group": defect.group,
            "product_ids": [defect.product_id], "failure_mode": defect.mode,
            "weibull_shape": defect.shape, "weibull_scale_days": defect.scale_days,
            "hazard_multiplier": round(model.hazards.hazard_multiplier(column), 3),
            "replaces_baseline": True,
            "baseline_weibull": {"shape": baseline.shape, "scale_days": round(baseline.scale, 1)},
            "hazard_start": start.isoformat(),
            "onset": None if onset is None else date.fromordinal(model.origin + onset).isoformat(),
            "repair_failure_probability": defect.repair_failure,
            "units_affected": int(model.affected_purchases[column].sum()),
            "failures_caused": int(model.defect_failures[column].sum()),
            "description": defect.description,
        })
    return entries


def _readme(seed: int, scale: float, counts: dict[str, int]) -> str:
    return (
        "# Simulated world\n\n"
        f"A synthetic world modelled on the Xiaomi 11 story (2021-2022), drawn by `defectradar simulate` with "
        f"seed {seed} and scale {scale}: {counts['devices_sold']:,} phones of {counts['products']} models sold in "
        "eight Chinese provinces from their launch to the end of 2022, each failing by known Weibull hazards, "
        "with a Wi-Fi defect and a motherboard defect injected into the Mi 11 series (a mild screen burn-in on "
        "the 11 Ultra and overheating on the Mi 11; a glue smell on the Xiaomi 12 from April 2022 that no "
        "failure-mode rule names, seen in posts only), after-sales visits that follow Xiaomi's dated policies "
        "(board repair, exchange from 2021-08-06, board repair only from 2022-09-15) and China's "
        f"three-guarantees elsewhere, and {counts['posts']:,} Weibo posts (owners' complaints, background chatter, "
        f"and a viral burst around 2022-09-21). Files: `sales.csv` (units per model, month, province and "
        f"channel; exactly the simulated devices), `service_records.csv` ({counts['service_events']:,} visits, "
        "with fake customer phone numbers to pseudonymise), `weibo.jsonl` (posts as the Weibo API returns them, "
        "some carrying planted personal data), and `truth.json` (defects with their Weibull parameters and "
        "onset, policies, the burst, lemons and the truth of every post). Nothing in it is real.\n")


def simulate_world(out_dir, seed: int = 2021, scale: float = 1.0, progress=None) -> WorldSummary:
    """Draw a simulated world with known truth and write it to ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing; files of an earlier world are replaced).
    seed
        Seed of every random draw; the same seed and scale give byte-identical files.
    scale
        Multiplies volumes (units sold, chatter, the burst); rates and hazards do not change.
        ``scale=1`` gives about 250,000 devices.
    progress
        Optional :class:`defectradar.progress.Progress`; one step per model, then chatter,
        the burst and the truth.

    Returns
    -------
    WorldSummary
        Paths of ``posts`` (weibo.jsonl), ``service_records``, ``sales`` and ``truth`` and counts.

    Raises
    ------
    InputError
        When ``scale <= 0``, the seed is negative or ``out_dir`` is a file.

    Examples
    --------
    >>> summary = simulate_world("/tmp/world", seed=7, scale=0.05)   # doctest: +SKIP
    >>> summary.counts["devices_sold"] > 0                             # doctest: +SKIP
    True
    """
    out = _check_arguments(out_dir, seed, scale)
    seed, scale = int(seed), float(scale)
    products = simulated_products()
    try:
        files = WorldFiles(out)
    except OSError as exc:
        raise InputError(f"cannot write the simulated world into {out}: {exc.strerror}") from None
    if progress is not None:
        progress.start("simulating world", len(products) + 3)
    try:
        plans = {p.product_id: plan_sales(p, PRODUCT_PLANS[p.product_id], product_number(p.product_id), seed, scale)
                 for p in products}
        for product in products:
            for month in plans[product.product_id]:
                for r, (region, _) in enumerate(REGIONS):
                    for c, channel in enumerate(CHANNELS):
                        if month.cells[r, c]:
                            files.write_sales(product.product_id, month.month, region, channel, int(month.cells[r, c]))
        factory = PostFactory(WeiboIds(), files)
        lives: dict[str, ModelLives] = {}
        failures = np.zeros(len(MODES), dtype=np.int64)
        sold = replaced = 0
        for step, product in enumerate(products, 1):
            model = ModelLives(product, PRODUCT_PLANS[product.product_id], product_number(product.product_id), seed,
                               plans[product.product_id], files, factory)
            model.run()
            lives[product.product_id] = model
            sold += model.sold
            replaced += model.replacements
            failures += model.failures_by_mode
            if progress is not None:
                progress.update(step, rows=sold)
        write_background(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAM_BACKGROUND,))),
                         factory, products, _popularity(products, plans), scale)
        if progress is not None:
            progress.update(len(products) + 1, rows=sold)
        burst = write_burst(np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAM_BURST,))),
                            factory, scale)
        by_id = {p.product_id: p for p in products}
        unnamed = []          # last, from streams of their own: every post before is unchanged
        for i, d in enumerate(UNNAMED_DEFECTS):
            if d.product_id in by_id:
                rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAM_UNNAMED, i)))
                unnamed.append(write_unnamed_defect(rng, factory, d, by_id[d.product_id], PRODUCT_PLANS[d.product_id],
                                                    plans[d.product_id], product_number(d.product_id), seed))
        if progress is not None:
            progress.update(len(products) + 2, rows=sold)
        counts = {"products": len(products), "devices_sold": sold, "replacement_units": replaced,
                  "devices": sold + replaced, "failures": int(failures.sum()), **dict(sorted(files.counts.items()))}
        header = {
            "seed": seed, "scale": scale, "generator": "defectradar.simulate",
            "observation_start": min(p.launch_date for p in products).isoformat(),
            "observation_end": OBSERVATION_END.isoformat(),
            "products": [p.product_id for p in products], "failure_modes": list(MODES),
            "defects": _defect_truth(lives), "onset_rule": ONSET_RULE, "policies": list(POLICIES),
            "viral_bursts": [{
                "topic": BURST_TOPIC, "product_ids": list(MI11_SERIES), "failure_modes": ["wifi", "motherboard"],
                "trigger": f"repair-only policy from {REPAIR_ONLY_FROM.isoformat()}",
                "start": BURST_START.isoformat(), "peak": BURST_PEAK.isoformat(), "end": BURST_END.isoformat(),
                "non_owner_posts": burst["posts"], "reposts": burst["reposts"], "media_posts": burst["media"]}],
            "unnamed_defects": unnamed,
            "failures_by_mode": {mode: int(n) for mode, n in zip(MODES, failures)},
            "counts": counts,
        }
        paths = files.finish(header, _readme(seed, scale, counts))
        if progress is not None:
            progress.update(len(products) + 3, rows=sold)
    except BaseException:
        files.abort()
        raise
    finally:
        if progress is not None:
            progress.finish()
    return WorldSummary(str(out), seed, scale, paths, counts)
