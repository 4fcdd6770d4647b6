"""Trending: weighted volume and velocity arithmetic, and viral bursts told from slow defects
in a seeded simulated stream of posts."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from defectradar.errors import InputError
from defectradar.signals.trending import ALL_MODES, Trending, TrendRule, classify_trend

START = pd.Timestamp("2024-01-01")


def posts_frame(rows):
    """rows: (day offset, product, modes, engagement, author_is_owner)."""
    return pd.DataFrame({
        "created_at": [START + pd.Timedelta(days=d, hours=9) for d, *_ in rows],
        "product_id": [r[1] for r in rows], "failure_modes": [r[2] for r in rows],
        "engagement": [r[3] for r in rows], "author_is_owner": [r[4] for r in rows],
    })


def day_rows(trending, product, mode=ALL_MODES):
    d = trending.daily_
    return d[(d["product_id"] == product) & (d["failure_mode"] == mode)].reset_index(drop=True)


def test_weighted_volume_shares_and_mode_rows_by_hand():
    frame = posts_frame([
        (0, "p1", ["wifi", "battery"], 0, True),
        (0, "p1", ["wifi"], 9, False),
        (0, "p1", [], 99, None),            # ownership unknown: not in the share's denominator
        (1, "p1", None, None, True),        # no engagement recorded counts as 0
    ])
    trending = Trending().fit(frame)
    whole = day_rows(trending, "p1")
    assert whole["posts"].tolist() == [3, 1]
    assert whole["weighted_volume"].tolist() == pytest.approx([3 + math.log(10) + math.log(100), 1.0])
    assert whole["non_owner_share"].iloc[0] == pytest.approx(0.5)
    assert whole["engagement_per_post"].iloc[0] == pytest.approx(36.0)
    assert whole["owner_weighted_volume"].iloc[0] == pytest.approx(1.0)
    wifi, battery = day_rows(trending, "p1", "wifi"), day_rows(trending, "p1", "battery")
    assert wifi["posts"].tolist() == [2, 0] and wifi["weighted_volume"].iloc[0] == pytest.approx(2 + math.log(10))
    assert battery["posts"].tolist() == [1, 0]
    assert set(trending.daily_["failure_mode"]) == {ALL_MODES, "wifi", "battery"}
    assert set(Trending(by_mode=False).fit(frame).daily_["failure_mode"]) == {ALL_MODES}


def test_velocity_against_the_previous_window():
    rows = [(d, "p1", ["wifi"], 0, True) for d in range(7)]
    rows += [(7, "p1", ["wifi"], 0, True)] * 8 + [(9, "p1", ["wifi"], 0, True)]
    rows += [(9, "p2", ["wifi"], 0, True)]           # p2 silent until day 9
    trending = Trending().fit(posts_frame(rows))
    p1 = day_rows(trending, "p1")
    assert p1["velocity"].iloc[:7].isna().all()      # not a full window of history yet
    assert p1["velocity"].iloc[7] == pytest.approx(8.0)
    assert p1["log_velocity"].iloc[7] == pytest.approx(math.log(9 / 2))
    assert p1["velocity"].iloc[8] == 0.0              # a silent day after a busy week
    assert p1["baseline"].iloc[9] == pytest.approx((5 + 8 + 0) / 7)
    p2 = day_rows(trending, "p2")
    assert len(p2) == 10 and math.isinf(p2["velocity"].iloc[9])
    assert p2["log_velocity"].iloc[9] == pytest.approx(math.log(2))


def simulated_posts(seed):
    """70 days of posts: steady p1, viral p2 (day 50), slowly rising p3, acute spike p4, quiet p5."""
    rng = np.random.default_rng(seed)
    rows = []

    def add(day, product, mode, n, engagement_mean, owner_share, lognormal=False):
        for _ in range(n):
            if lognormal:
                e = int(rng.lognormal(math.log(engagement_mean), 1.0))
            else:
                e = int(rng.geometric(1 / (1 + engagement_mean)) - 1)
            rows.append((day, product, [mode], e, bool(rng.random() < owner_share)))

    for day in range(70):
        add(day, "p1", "battery", rng.poisson(10), 5, 0.9)
        add(day, "p2", "screen", rng.poisson(5), 5, 0.9)
        rate = 10 * 1.5 ** (max(day - 42, 0) / 7)    # owners' complaints grow 1.5x a week from day 42
        add(day, "p3", "wifi", rng.poisson(rate), 5, 0.9)
        add(day, "p4", "boot", rng.poisson(5), 5, 0.9)
    for day, n in ((50, 200), (51, 80), (52, 20)):
        add(day, "p2", "screen", n, 150, 0.15, lognormal=True)
    add(68, "p4", "boot", 40, 3, 0.95)
    add(69, "p4", "boot", 80, 3, 0.95)
    for day in (30, 55, 60):
        add(day, "p5", "wifi", 1, 5, 1.0)
    return posts_frame(rows)


def test_simulated_trends_are_told_apart(seed):
    trending = Trending().fit(simulated_posts(seed))
    kinds = {key: call.kind for key, call in trending.trends_.items()}
    expected = {"p1": "steady", "p2": "viral_burst", "p3": "slow_rise", "p4": "spike", "p5": "quiet"}
    for product, kind in expected.items():
        assert kinds[(product, ALL_MODES)] == kind, (product, trending.trends_[(product, ALL_MODES)])
    mode_of = {"p1": "battery", "p2": "screen", "p3": "wifi", "p4": "boot", "p5": "wifi"}
    for product, kind in expected.items():
        assert kinds[(product, mode_of[product])] == kind
    assert trending.trends_[("p2", ALL_MODES)].peak_day == (START + pd.Timedelta(days=50)).date()
    assert any("too recent" in r for r in trending.trends_[("p4", ALL_MODES)].reasons)
    summary = trending.summary
    assert set(summary.loc[summary["product_id"] == "p3", "trend"]) == {"slow_rise"}


def test_a_fresh_burst_is_a_spike_until_it_decays(seed):
    frame = simulated_posts(seed)
    fresh = Trending().fit(frame, as_of=START + pd.Timedelta(days=51))
    call = fresh.trends_[("p2", ALL_MODES)]
    assert call.kind == "spike" and any("too recent" in r for r in call.reasons)
    assert fresh.daily_["day"].max() == START + pd.Timedelta(days=51)
    # The same days judged with classify_trend directly, as of the day the burst has decayed.
    later = day_rows(Trending().fit(frame), "p2")
    assert classify_trend(later, as_of=START + pd.Timedelta(days=53)).kind == "viral_burst"
    assert classify_trend(later, as_of=START + pd.Timedelta(days=52)).kind == "spike"


def test_thresholds_are_parameters(seed):
    frame = simulated_posts(seed)
    strict = Trending(rule=TrendRule(viral_engagement=1e6, rise_ratio=50.0)).fit(frame)
    assert strict.trends_[("p2", ALL_MODES)].kind == "spike"
    assert any("engagement per post" in r for r in strict.trends_[("p2", ALL_MODES)].reasons)
    assert strict.trends_[("p3", ALL_MODES)].kind == "steady"
    loose = Trending(rule=TrendRule(min_posts=10_000)).fit(frame)
    assert {c.kind for c in loose.trends_.values()} == {"quiet"}


def test_to_dict_is_json_safe(seed):
    trending = Trending().fit(simulated_posts(seed))
    out = json.loads(json.dumps(trending.to_dict(), allow_nan=False))
    assert out["method"] == "trending" and out["params"]["rule"]["viral_velocity"] == 4.0
    assert len(out["days"]) == len(trending.daily_)
    assert {t["kind"] for t in out["trends"]} == {"steady", "viral_burst", "slow_rise", "spike", "quiet"}
    assert out["days"][0]["velocity"] is None and out["days"][0]["day"] == "2024-01-01"


def test_posts_without_time_or_product_are_skipped():
    frame = posts_frame([(0, "p1", ["wifi"], 1, True), (0, None, ["wifi"], 1, True)])
    frame.loc[2] = [pd.NaT, "p1", ["wifi"], 1, True]
    trending = Trending().fit(frame)
    assert trending.skipped_ == 2 and trending.daily_["posts"].sum() == 2   # one post, two groups


@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns="author_is_owner"), "author_is_owner"),
    (lambda f: f.assign(engagement=-1), "engagement must be >= 0"),
])
def test_bad_posts_are_refused(change, message):
    frame = posts_frame([(0, "p1", ["wifi"], 1, True)])
    with pytest.raises(InputError, match=message):
        Trending().fit(change(frame))


def test_every_parameter_is_validated():
    assert set(Trending._parameter_constraints) == set(Trending().get_params())
    frame = posts_frame([(0, "p1", ["wifi"], 1, True)])
    for name, bad in [("window", 0), ("by_mode", "yes"), ("rule", {"viral_velocity": 2})]:
        with pytest.raises(InputError, match=name):
            Trending(**{name: bad}).fit(frame)
    for kwargs, message in [({"decay_days": 0}, "decay_days"), ({"steady_floor": 1.5}, "share"),
                            ({"viral_velocity": -1.0}, "viral_velocity"), ({"rise_weeks": 1}, "rise_weeks")]:
        with pytest.raises(InputError, match=message):
            TrendRule(**kwargs)


def test_classify_trend_reads_one_consecutive_group(seed):
    trending = Trending().fit(simulated_posts(seed))
    with pytest.raises(InputError, match="one group"):
        classify_trend(trending.daily_)
    gappy = day_rows(trending, "p1").drop(index=[10])
    with pytest.raises(InputError, match="consecutive days"):
        classify_trend(gappy)


def test_asking_for_some_groups_classifies_only_those_and_the_same_way(seed):
    posts = simulated_posts(seed)
    everything = Trending().fit(posts).trends_
    asked = {("p2", ALL_MODES), ("p3", "wifi")}
    some = Trending().fit(posts, groups=asked).trends_
    assert set(some) == asked and len(everything) > len(asked)
    assert {k: v.to_dict() for k, v in some.items()} == {k: everything[k].to_dict() for k in asked}
