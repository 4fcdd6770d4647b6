"""The bottom floor's shared helpers: one JSON cleaner, one date parser, one z, one constraint check."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from defectradar.core.confidence import z_for
from defectradar.core.dates import add_months, as_date, last_complete_month, months_between, period_start, utc_now
from defectradar.core.estimator import Estimator, check_params, int_at_least, positive, probability
from defectradar.errors import InputError


def test_json_ready_makes_everything_strict_json():
    from defectradar.core.numbers import json_ready

    value = {"nan": float("nan"), "inf": np.float64("inf"), "n": np.int64(3), "flag": np.bool_(True),
             "na": pd.NA, "nat": pd.NaT, "day": date(2024, 1, 31), "at": datetime(2024, 1, 31, 9, 30),
             "array": np.array([1.5, np.nan]), "set": {2}, 7: (1, 2.5)}
    ready = json_ready(value)
    assert ready == {"nan": None, "inf": None, "n": 3, "flag": True, "na": None, "nat": None,
                     "day": "2024-01-31", "at": "2024-01-31T09:30:00", "array": [1.5, None], "set": [2],
                     "7": [1, 2.5]}
    json.dumps(ready, allow_nan=False)
    assert json_ready(datetime(2024, 1, 31, 9, 30), datetime_sep=" ") == "2024-01-31 09:30:00"


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), ("2024-02-29", date(2024, 2, 29)), (date(2024, 3, 1), date(2024, 3, 1)),
    (datetime(2024, 3, 1, 23, 59), date(2024, 3, 1)),
])
def test_as_date_reads_dates(value, expected):
    assert as_date(value) == expected


def test_as_date_names_the_value_and_says_how_to_write_it():
    with pytest.raises(InputError, match=r"^--as-of='2024-02-30' is not a date; write it as YYYY-MM-DD$"):
        as_date("2024-02-30", "--as-of")
    with pytest.raises(InputError, match="device.purchase_date=None is not a date"):
        as_date(None, "device.purchase_date", required=True)
    with pytest.raises(InputError) as caught:
        as_date("x" * 500, "since")
    assert len(str(caught.value)) < 120


def test_calendar_months_and_periods():
    assert add_months(date(2021, 11, 1), 3) == date(2022, 2, 1)
    assert months_between(date(2021, 11, 30), date(2022, 2, 1)) == 3
    assert last_complete_month(date(2024, 2, 29)) == date(2024, 2, 1)
    assert period_start(date(2024, 1, 31), "week") == date(2024, 1, 29)


def test_utc_now_is_naive_utc():
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    now = utc_now()
    after = datetime.now(timezone.utc).replace(tzinfo=None)
    assert now.tzinfo is None and before <= now <= after


@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99])
def test_z_for_is_the_normal_quantile(level):
    assert z_for(level) == pytest.approx(stats.norm.ppf(1 - (1 - level) / 2), rel=1e-12)
    assert z_for(level, two_sided=False) == pytest.approx(stats.norm.ppf(level), rel=1e-12)
    assert math.isclose(z_for(0.95), 1.959964, rel_tol=1e-6)


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.1, float("nan"), True, "0.95", None])
def test_z_for_refuses_what_is_not_a_level(level):
    with pytest.raises(InputError, match="confidence must be between 0 and 1"):
        z_for(level)


def test_check_params_names_the_owner_the_parameter_and_what_it_accepts():
    constraints = {"alpha": (probability, "a probability"), "size": int_at_least(100)}
    check_params("method", constraints, {"alpha": 0.05, "size": 100})
    with pytest.raises(InputError, match=r"^method: parameter size=99 must be a whole number >= 100$"):
        check_params("method", constraints, {"alpha": 0.05, "size": 99})


def test_estimator_validates_with_the_shared_check():
    class Scale(Estimator):
        method = "scale"
        _parameter_constraints = {"factor": (positive, "a positive number")}

        def __init__(self, factor: float = 1.0) -> None:
            self.factor = factor

    Scale()._validate_params()
    with pytest.raises(InputError, match="scale: parameter factor=-1 must be a positive number"):
        Scale(-1)._begin_fit()
