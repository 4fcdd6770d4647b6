"""Defects nobody has named yet: owners complain in words no taxonomy rule knows.

An :class:`~defectradar.simulate.parameters.UnnamedDefect` affects a share of one model's units
sold from a date.  The units are the world's own (their purchase days are replayed with
:func:`~defectradar.simulate.device_lives.iter_sold_units`, which draws from its own child
generators, so nothing else in the world changes); whether a unit is affected, when its fault
shows and whether its owner posts are drawn from the defect's own stream.  The phone keeps
working, so there are no service visits: the defect is seen in posts only, which is the case
the emerging-term detector (``analyses/emerging_terms.py``) is for.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from defectradar.domain.catalog import Product
from defectradar.simulate.device_lives import iter_sold_units
from defectradar.simulate.lifetimes import ONSET_WINDOW_DAYS, ProductHazards, Weibull, onset_day
from defectradar.simulate.parameters import (
    ENGLISH_SHARE,
    MODES,
    OBSERVATION_END,
    POST_DELAY_DAYS,
    REGIONS,
    TRADITIONAL_SHARE,
    SalesPlan,
    UnnamedDefect,
)
from defectradar.simulate.phrases.aliases import client_for
from defectradar.simulate.phrases.symptoms import UNNAMED_SYMPTOMS_EN, UNNAMED_SYMPTOMS_ZH
from defectradar.simulate.post_text import Complaint, compose_complaint
from defectradar.simulate.sales_plan import SalesMonth
from defectradar.simulate.weibo_posts import PostFactory, time_of_day

END = OBSERVATION_END.toordinal()


def affected_units(defect: UnnamedDefect, product: Product, plan: SalesPlan, months: list[SalesMonth],
                   number: int, seed: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Purchase day and fault day (ordinals) of every affected unit, in the order sold.

    Every sold unit draws its ``affected`` coin and its fault time, affected or not, so the
    stream does not depend on which units are affected.
    """
    hazards = ProductHazards.for_product(product.product_id, plan, product.launch_date)
    start = defect.hazard_start.toordinal()
    weibull = Weibull(defect.shape, defect.scale_days)
    purchases, faults = [], []
    for draws in iter_sold_units(months, hazards, seed, number):
        coin = rng.random(len(draws.purchase))
        age = np.floor(weibull.draw(rng, len(draws.purchase))).astype(np.int64)
        hit = (draws.purchase >= start) & (coin < defect.affected_share)
        purchases.append(draws.purchase[hit])
        faults.append(draws.purchase[hit] + age[hit])
    if not purchases:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(purchases), np.concatenate(faults)


def write_unnamed_defect(rng: np.random.Generator, factory: PostFactory, defect: UnnamedDefect, product: Product,
                         plan: SalesPlan, months: list[SalesMonth], number: int, seed: int) -> dict:
    """Draw the defect's faults and owners' posts, publish the posts, and return its truth entry.

    ``onset`` follows the world's onset rule with no baseline (no other fault is described in
    these words): the first day on which 5 faults fell in the 28 days ending that day.
    """
    purchase, fault = affected_units(defect, product, plan, months, number, seed, rng)
    observed = fault <= END
    origin = product.launch_date.toordinal()
    per_day = np.bincount(fault[observed] - origin, minlength=END - origin + 1).astype(float)
    onset = onset_day(per_day, np.zeros_like(per_day))
    posts = []
    for buy, day in sorted(zip(purchase[observed].tolist(), fault[observed].tolist()), key=lambda u: (u[1], u[0])):
        post_day = day + int(rng.integers(0, POST_DELAY_DAYS + 1))
        if rng.random() >= defect.post_probability or post_day > END:
            continue
        posts.append((post_day, buy, day))
    first_post = None
    for post_day, buy, day in sorted(posts):
        english = bool(rng.random() < ENGLISH_SHARE)
        complaint = Complaint(
            product=product, mode=defect.defect_id, other_modes=(), failure_number=1, repairs_done=0,
            data_lost=False, action=None, repair_only=False, age_days=day - buy, timeline=[], english=english,
            traditional=not english and bool(rng.random() < TRADITIONAL_SHARE), planted={})
        draft = compose_complaint(complaint, rng, symptoms=(UNNAMED_SYMPTOMS_ZH, UNNAMED_SYMPTOMS_EN))
        draft.modes = [m for m in draft.modes if m in MODES]     # the defect's own words name no mode
        draft.unnamed_defect = defect.defect_id
        own_client = not draft.names_product or rng.random() < 0.35
        source = client_for(product, rng, True) if own_client else client_for(None, rng, False)
        region = REGIONS[int(rng.integers(len(REGIONS)))][0]
        factory.publish(rng, draft, post_day, time_of_day(rng), factory.new_author(rng, english), source, region,
                        "owner", kind="owner")
        first_post = first_post or post_day
    return {
        "defect_id": defect.defect_id, "product_ids": [defect.product_id], "failure_mode": None,
        "description": defect.description, "hazard_start": defect.hazard_start.isoformat(),
        "affected_share": defect.affected_share, "weibull_shape": defect.shape,
        "weibull_scale_days": defect.scale_days, "post_probability": defect.post_probability,
        "onset": None if onset is None else date.fromordinal(origin + onset).isoformat(),
        "onset_rule": f"first day with at least 5 faults in the {ONSET_WINDOW_DAYS} days ending on it",
        "first_post": None if first_post is None else date.fromordinal(first_post).isoformat(),
        "units_affected": int(len(purchase)), "faults": int(observed.sum()), "posts": len(posts),
        "phrases": {"zh": list(UNNAMED_SYMPTOMS_ZH[defect.defect_id]),
                    "en": list(UNNAMED_SYMPTOMS_EN[defect.defect_id])},
    }
