"""Engagement-weighted volume and velocity of posts, and viral bursts told from slow defects.

Social posts about a product rise for two different reasons: a single post goes viral (many
reposts by people who do not own the phone, high engagement, gone within days), or a defect
spreads among owners (more owners complain week after week, with ordinary engagement).
Both raise raw counts; only the second needs an engineer.  Per product (``failure_mode =
"*"``) and per product x failure mode, per UTC day:

.. math::

    W_d &= \\sum_{\\text{posts on } d} \\left(1 + \\ln(1 + \\text{engagement})\\right)
    \\quad\\text{(weighted volume: a post counts 1, plus the log of its reach)}\\\\
    V_d &= W_d \\Big/ \\tfrac{1}{w}\\sum_{j=1}^{w} W_{d-j}
    \\quad\\text{(velocity; } \\infty \\text{ after a silent window, NaN for its first } w \\text{ days)}\\\\
    \\ell_d &= \\ln\\frac{W_d + 1}{\\tfrac{1}{w}\\sum_{j=1}^{w} W_{d-j} + 1}
    \\quad\\text{(log velocity, smoothed so it is finite)}

with ``w = window`` (7).  Days with no post count as zero from the first to the last day of
the data (one calendar for every group, so days before a group's first post are zeros, not
missing).  ``non_owner_share`` is the share of posts whose author is known not to own the
product (reposts, onlookers) among posts whose ownership is known.

:func:`classify_trend` applies a documented rule (:class:`TrendRule`) to one group's days.

Examples
--------
>>> import pandas as pd
>>> posts = pd.DataFrame({"created_at": pd.to_datetime(["2024-05-01 08:00", "2024-05-01 09:00"]),
...                       "product_id": ["p1", "p1"], "failure_modes": [["wifi"], []],
...                       "engagement": [0, 9], "author_is_owner": [True, False]})
>>> day = Trending().fit(posts).summary.iloc[0]
>>> round(float(day.weighted_volume), 3), int(day.posts), float(day.non_owner_share)
(4.303, 2, 0.5)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from defectradar.core.estimator import Constraint, Estimator, positive_int
from defectradar.core.numbers import sig3
from defectradar.errors import InputError

#: ``failure_mode`` of the per-product rows (all posts of the product, whatever their modes).
ALL_MODES = "*"
REQUIRED_COLUMNS = ("created_at", "product_id", "failure_modes", "engagement", "author_is_owner")
KINDS = ("viral_burst", "slow_rise", "spike", "steady", "quiet")


@dataclass(frozen=True)
class TrendRule:
    """Thresholds of :func:`classify_trend`; every one can be tuned.

    Viral burst (all of): a steep, short rise, i.e. velocity ``>= viral_velocity`` on one of
    the ``burst_rise_days`` days up to and including the peak day (highest weighted volume of
    the last ``lookback_days``); on the peak day mean engagement per post
    ``>= viral_engagement``, non-owner share ``>= viral_non_owner_share``; and
    ``decay_days`` later the weighted volume is ``<= decay_fraction`` of the peak.

    Slow rise (all of): no steep, short rise as above (that is a spike); over the last
    ``rise_weeks`` 7-day blocks, owners' weighted volume in the last block ``>= rise_ratio``
    times the first block's and positive; no block below ``steady_floor`` times the previous
    one; mean engagement per post ``<= max_rise_engagement``; owner share ``>=
    min_owner_share``.

    Spike: a steep, short rise without the rest of a viral burst (owners, low
    reach, or too recent to see it decay): possibly an acute defect, to watch.
    Quiet: fewer than ``min_posts`` posts in the last ``lookback_days``.  Steady: otherwise.
    """

    viral_velocity: float = 4.0
    burst_rise_days: int = 3
    viral_engagement: float = 50.0
    viral_non_owner_share: float = 0.5
    decay_days: int = 3
    decay_fraction: float = 0.5
    rise_weeks: int = 4
    rise_ratio: float = 2.0
    steady_floor: float = 0.8
    max_rise_engagement: float = 50.0
    min_owner_share: float = 0.5
    min_posts: int = 5
    lookback_days: int = 28

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int":
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise InputError(f"TrendRule.{f.name}={value!r} must be a positive whole number")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 \
                    or not math.isfinite(value):
                raise InputError(f"TrendRule.{f.name}={value!r} must be a non-negative number")
        for name in ("viral_non_owner_share", "decay_fraction", "steady_floor", "min_owner_share"):
            if getattr(self, name) > 1:
                raise InputError(f"TrendRule.{name}={getattr(self, name)!r} is a share: give a number from 0 to 1")
        if self.rise_weeks < 2:
            raise InputError("TrendRule.rise_weeks must be at least 2 (a rise needs two blocks to compare)")


@dataclass
class TrendCall:
    """What :func:`classify_trend` decided for one group, and why."""

    kind: str
    as_of: date | None
    peak_day: date | None = None
    reasons: list[str] = field(default_factory=list)
    features: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "as_of": _iso(self.as_of), "peak_day": _iso(self.peak_day),
                "reasons": list(self.reasons), "features": {k: _safe(v) for k, v in self.features.items()}}


def _jump(velocity) -> str:
    """'jumped 5.3x', or what an infinite / undefined velocity means (never 'infx')."""
    if math.isinf(velocity):
        # The velocity baseline (Trending.window days) was all zero: new, not "infx".
        return "was new (none in the days before)"
    if math.isnan(velocity):
        return "rose (velocity n/a: too few days before it)"
    return f"jumped {sig3(velocity)}x"


def _pct(share) -> str:
    """'62%', or 'n/a' where no post said (never 'nan%')."""
    return "n/a" if share is None or not math.isfinite(share) else f"{share:.0%}"


def _iso(value) -> str | None:
    return None if value is None else str(value)


def _safe(value):
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return round(float(value), 6) if math.isfinite(value) else None
    return value


def classify_trend(daily: pd.DataFrame, rule: TrendRule | None = None, as_of=None) -> TrendCall:
    """Tell a viral burst from a slowly rising defect in one group's days (see :class:`TrendRule`).

    Parameters
    ----------
    daily
        Rows of :attr:`Trending.daily_` for one product (x failure mode): consecutive days.
    rule
        Thresholds; default :class:`TrendRule`.
    as_of
        Judge as of this day (default: the last day); later days are ignored.

    Returns
    -------
    TrendCall
        ``kind`` (``viral_burst``, ``slow_rise``, ``spike``, ``steady`` or ``quiet``), the peak
        day, the features the rule read and the reasons for the call.
    """
    rule = rule or TrendRule()
    if daily.empty:
        return TrendCall("quiet", None, reasons=["no days"])
    keys = daily[["product_id", "failure_mode"]].drop_duplicates() if "product_id" in daily else []
    if len(keys) > 1:
        raise InputError("classify_trend reads one group: select the rows of one product_id and failure_mode")
    days = daily.sort_values("day").reset_index(drop=True)
    if as_of is not None:
        days = days[days["day"] <= pd.Timestamp(as_of)].reset_index(drop=True)
        if days.empty:
            return TrendCall("quiet", pd.Timestamp(as_of).date(), reasons=["no days up to as_of"])
    if (days["day"].diff().dropna() != pd.Timedelta(days=1)).any():
        raise InputError("classify_trend needs consecutive days (zero-filled), as Trending.daily_ gives them")
    last = days["day"].iloc[-1]
    recent = days[days["day"] > last - pd.Timedelta(days=rule.lookback_days)]
    features: dict[str, Any] = {"posts_recent": int(recent["posts"].sum())}
    call = TrendCall("steady", last.date(), features=features)
    if features["posts_recent"] < rule.min_posts:
        call.kind = "quiet"
        call.reasons.append(f"{features['posts_recent']} posts in {rule.lookback_days} days "
                            f"(fewer than min_posts={rule.min_posts})")
        return call

    peak = recent.loc[recent["weighted_volume"].idxmax()]
    call.peak_day = peak["day"].date()
    after = days[days["day"] == peak["day"] + pd.Timedelta(days=rule.decay_days)]
    features.update(peak_weighted_volume=float(peak["weighted_volume"]), peak_velocity=float(peak["velocity"]),
                    peak_engagement_per_post=float(peak["engagement_per_post"]),
                    peak_non_owner_share=float(peak["non_owner_share"]))
    rise = days[(days["day"] <= peak["day"]) & (days["day"] > peak["day"] - pd.Timedelta(days=rule.burst_rise_days))]
    onset = rise.loc[rise["velocity"].fillna(-1.0).idxmax()]
    features["rise_velocity"] = float(onset["velocity"])
    steep = bool(onset["velocity"] >= rule.viral_velocity)      # NaN (too little history) is not steep
    engaged = bool(peak["engagement_per_post"] >= rule.viral_engagement)
    onlookers = bool(peak["non_owner_share"] >= rule.viral_non_owner_share)
    decayed = None
    if not after.empty:
        features["decayed_to"] = float(after["weighted_volume"].iloc[0] / peak["weighted_volume"])
        decayed = features["decayed_to"] <= rule.decay_fraction
    if steep and engaged and onlookers and decayed:
        call.kind = "viral_burst"
        call.reasons.append(f"weighted volume {_jump(onset['velocity'])} on {onset['day'].date()}, "
                            f"{sig3(peak['engagement_per_post'])} engagement per post, "
                            f"{_pct(peak['non_owner_share'])} non-owners, down to "
                            f"{_pct(features['decayed_to'])} {rule.decay_days} days later")
        return call

    if not steep:
        _slow_rise(days, rule, call)
    else:
        call.kind = "spike"
        why = []
        if not engaged:
            why.append(f"engagement per post {sig3(peak['engagement_per_post'])} < {sig3(rule.viral_engagement)}")
        if not onlookers and math.isnan(peak["non_owner_share"]):
            why.append("non-owner share n/a (no post that day says whether its author owns the product)")
        elif not onlookers:
            why.append(f"non-owner share {peak['non_owner_share']:.0%} < {rule.viral_non_owner_share:.0%}")
        if decayed is None:
            why.append(f"peak too recent to see whether it decays within {rule.decay_days} days")
        elif not decayed:
            why.append(f"still at {_pct(features['decayed_to'])} of the peak {rule.decay_days} days later")
        call.reasons.append(f"weighted volume {_jump(onset['velocity'])} on {onset['day'].date()} but not a "
                            "viral burst: " + "; ".join(why))
    return call


def _slow_rise(days: pd.DataFrame, rule: TrendRule, call: TrendCall) -> bool:
    span = 7 * rule.rise_weeks
    if len(days) < span:
        call.reasons.append(f"{len(days)} days of data: a slow rise needs {span}")
        return False
    window = days.iloc[-span:]
    blocks = window["owner_weighted_volume"].to_numpy().reshape(rule.rise_weeks, 7).sum(axis=1)
    posts = window["posts"].sum()
    engagement = window["engagement"].sum() / posts if posts else 0.0
    known = window["known_owner_posts"].sum()
    owner_share = window["owner_posts"].sum() / known if known else float("nan")
    call.features.update(owner_weekly_volume=[round(float(b), 6) for b in blocks],
                         window_engagement_per_post=float(engagement), window_owner_share=float(owner_share))
    rising = blocks[-1] > 0 and blocks[-1] >= rule.rise_ratio * blocks[0]
    steady = bool(np.all(blocks[1:] >= rule.steady_floor * blocks[:-1]))
    if rising and steady and engagement <= rule.max_rise_engagement and owner_share >= rule.min_owner_share:
        call.kind = "slow_rise"
        call.reasons.append(f"owners' weighted volume rose {sig3(blocks[0])} -> {sig3(blocks[-1])} over "
                            f"{rule.rise_weeks} weeks without a drop below {rule.steady_floor:.0%} of the "
                            f"week before, {sig3(engagement)} engagement per post, {_pct(owner_share)} owners")
        return True
    return False


def _is_rule(value) -> bool:
    return isinstance(value, TrendRule)


def _is_bool(value) -> bool:
    return isinstance(value, bool)


class Trending(Estimator):
    """Daily engagement-weighted volume and velocity per product (x failure mode), with trend calls.

    Parameters
    ----------
    window
        Days in the velocity baseline (the days before, not including, the day scored).
    by_mode
        Also give per product x failure mode rows (a post with two modes counts in both).
    rule
        Thresholds of :func:`classify_trend`.

    Attributes
    ----------
    daily_
        One row per group and day: ``product_id``, ``failure_mode`` (``"*"`` for the whole
        product), ``day``, ``posts``, ``weighted_volume``, ``owner_weighted_volume``,
        ``engagement``, ``engagement_per_post``, ``owner_posts``, ``non_owner_posts``,
        ``known_owner_posts``, ``non_owner_share``, ``baseline``, ``velocity``,
        ``log_velocity``.
    trends_
        One :class:`TrendCall` per group, as of the last day.
    skipped_
        Posts left out for want of a time or a product.
    """

    method: ClassVar[str] = "trending"
    _parameter_constraints: ClassVar[dict[str, Constraint]] = {
        "window": (positive_int, "a positive whole number of days"),
        "by_mode": (_is_bool, "True or False"),
        "rule": (_is_rule, "a TrendRule"),
    }

    def __init__(self, window: int = 7, by_mode: bool = True, rule: TrendRule | None = None) -> None:
        self.window = window
        self.by_mode = by_mode
        self.rule = TrendRule() if rule is None else rule

    def fit(self, frame: pd.DataFrame, as_of=None, first_day=None, groups=None) -> "Trending":
        """Count posts of ``frame`` (columns as in ``reports_labelled``) up to the end of ``as_of``.

        The daily grid starts at the first post's day, or at ``first_day`` when that is earlier
        (a subset of products scored on the same days as the whole store would be).  ``groups``
        (``(product, mode)`` pairs, ``ALL_MODES`` for a product's all-modes trend) classifies only
        those: the scan asks about the pairs that signalled, not every pair of their products.
        """
        self.groups_asked_ = None if groups is None else set(groups)
        self.first_day_ = None if first_day is None else pd.Timestamp(first_day).normalize()
        self._validate_params()
        missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
        if missing:
            raise InputError(f"trending: the posts lack column(s) {', '.join(missing)}; give "
                             f"{', '.join(REQUIRED_COLUMNS)} (as reports_labelled has them)")
        engagement = pd.to_numeric(frame["engagement"], errors="coerce")
        if (engagement < 0).any():
            raise InputError(f"trending: engagement must be >= 0; {int((engagement < 0).sum())} posts have "
                             "negative values")
        created = pd.to_datetime(frame["created_at"], errors="coerce")
        if getattr(created.dt, "tz", None) is not None:
            created = created.dt.tz_convert("UTC").dt.tz_localize(None)
        as_of_day = None if as_of is None else pd.Timestamp(as_of).normalize()
        return self._fit(frame, created, engagement.fillna(0.0), as_of_day)

    def _fit(self, frame: pd.DataFrame, created: pd.Series, engagement: pd.Series,
             as_of: pd.Timestamp | None) -> "Trending":
        owner = frame["author_is_owner"]
        posts = pd.DataFrame({
            "post": np.arange(len(frame)), "product_id": frame["product_id"].to_numpy(),
            "day": created.dt.normalize().to_numpy(), "failure_modes": frame["failure_modes"].to_numpy(),
            "engagement": engagement.to_numpy(), "weight": 1.0 + np.log1p(engagement.to_numpy()),
            "owner": (owner == True).to_numpy(), "non_owner": (owner == False).to_numpy(),  # noqa: E712
        })
        keep = posts["day"].notna() & posts["product_id"].notna()
        if as_of is not None:
            keep &= posts["day"] <= as_of
        self.skipped_ = int((posts["day"].isna() | posts["product_id"].isna()).sum())
        posts = posts[keep]
        groups = [posts.assign(failure_mode=ALL_MODES)]
        if self.by_mode:
            modes = posts.explode("failure_modes").dropna(subset=["failure_modes"])
            modes = modes.rename(columns={"failure_modes": "failure_mode"}).drop_duplicates(["post", "failure_mode"])
            groups.append(modes)
        rows = pd.concat(groups, ignore_index=True).drop(columns="failure_modes")
        self.daily_ = self._daily(rows, as_of)
        asked = self.groups_asked_
        self.trends_ = {
            (product, mode): classify_trend(group, self.rule)
            for (product, mode), group in self.daily_.groupby(["product_id", "failure_mode"], sort=True)
            if asked is None or (product, mode) in asked
        }
        return self

    def _daily(self, rows: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame:
        columns = ["product_id", "failure_mode", "day"]
        if rows.empty:
            return pd.DataFrame(columns=[*columns, "posts", "weighted_volume", "velocity"])
        rows = rows.assign(owner_weight=rows["weight"].where(rows["owner"], 0.0),
                           known=rows["owner"] | rows["non_owner"])
        daily = rows.groupby(columns).agg(
            posts=("post", "size"), weighted_volume=("weight", "sum"), owner_weighted_volume=("owner_weight", "sum"),
            engagement=("engagement", "sum"), owner_posts=("owner", "sum"), non_owner_posts=("non_owner", "sum"),
            known_owner_posts=("known", "sum"))
        first = rows["day"].min()
        if getattr(self, "first_day_", None) is not None:
            first = min(first, self.first_day_)
        days = pd.date_range(first, as_of if as_of is not None else rows["day"].max(), freq="D")
        keys = daily.index.droplevel("day").unique()
        grid = pd.MultiIndex.from_tuples([(p, m, d) for p, m in keys for d in days], names=columns)
        daily = daily.reindex(grid, fill_value=0).reset_index()
        for name in ("posts", "owner_posts", "non_owner_posts", "known_owner_posts"):
            daily[name] = daily[name].astype("int64")
        by_group = daily.groupby(["product_id", "failure_mode"], sort=False)["weighted_volume"]
        baseline = by_group.transform(lambda w: w.shift(1).rolling(self.window, min_periods=self.window).mean())
        with np.errstate(divide="ignore", invalid="ignore"):
            daily["engagement_per_post"] = daily["engagement"] / daily["posts"].where(daily["posts"] > 0)
            daily["non_owner_share"] = daily["non_owner_posts"] / daily["known_owner_posts"].where(
                daily["known_owner_posts"] > 0)
            daily["baseline"] = baseline
            daily["velocity"] = np.where(baseline > 0, daily["weighted_volume"] / baseline,
                                         np.where(daily["weighted_volume"] > 0, np.inf, np.nan))
            daily.loc[baseline.isna(), "velocity"] = np.nan
            daily["log_velocity"] = np.log((daily["weighted_volume"] + 1) / (baseline + 1))
        return daily.sort_values(columns).reset_index(drop=True)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per group and day (:attr:`daily_`), with the group's trend call."""
        self._check_fitted()
        kinds = pd.DataFrame([(p, m, c.kind) for (p, m), c in self.trends_.items()],
                             columns=["product_id", "failure_mode", "trend"])
        return self.daily_.merge(kinds, on=["product_id", "failure_mode"], how="left")

    def to_dict(self) -> dict:
        self._check_fitted()
        days = []
        for row in self.daily_.to_dict("records"):
            row["day"] = str(pd.Timestamp(row["day"]).date())
            days.append({k: _safe(v) for k, v in row.items()})
        trends = [{"product_id": p, "failure_mode": m, **call.to_dict()} for (p, m), call in self.trends_.items()]
        params = {"window": self.window, "by_mode": self.by_mode, "rule": asdict(self.rule)}
        return {"method": self.method, "params": params, "days": days, "trends": trends,
                "skipped": self.skipped_}
