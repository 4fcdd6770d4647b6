"""Lifetimes and repair histories of a product's units, from the store.

Service records only show units that came back.  The units that never failed are known from
``sales``: the units sold in a month form a **cohort**, censored at their age on ``as_of``
(spread evenly over the days of the month).  So:

* **failures** are devices with a claim (a service event with action ``repair``, ``replace``
  or ``refund``; ``inspect`` found no fault and ``refused`` was not a warranty fault) of the
  product (and failure mode) on or before ``as_of``; their age is days from the device's
  purchase date (the earliest the store holds for the token) to the first claim;
* **censored units** are, per sales month, the units sold minus the devices of that month that
  failed, with weight = that number (see :class:`~defectradar.reliability.LifetimeData`).

For repeat repairs every claim of a device counts and a device's observation ends at
``as_of``, or at its replacement or refund (the unit left the field; the new unit is another
device).  Units that never came back are again the sales cohorts, with no repairs.

Nothing is dropped silently: claims without a purchase date, claims dated before the purchase
and failed devices beyond a month's units sold are counted in :class:`Population` and shown.

With ``population="devices"`` the units are only the devices the store knows (from service
records); without sales that is the only choice, and the estimates are then *conditional on a
unit having come in at least once* -- an upper bound on failure probabilities, said so in the
notes.

Queries are Ibis expressions.  Lifetimes come back one row per failed device (the engine finds
each device's first claim); repair histories need every claim, so those come back one row per
claim, and the per-device arithmetic runs in pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from defectradar.core.dates import as_date
from defectradar.core.lifetimes import LifetimeData, RecurrenceData
from defectradar.errors import InputError
from defectradar.query.service_histories import (
    CLAIM_ACTIONS,
    RETIRING_ACTIONS,
    check_mode,
    check_product,
    latest_service_date,
)
from defectradar.query.stats import backend

POPULATIONS = ("sales", "devices")


@dataclass
class Population:
    """Who was counted: the units, the failures and what could not be used (with reasons)."""

    product: str
    mode: str | None
    as_of: date
    population: str
    units: float = 0.0
    devices_with_claims: int = 0
    claims: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"product": self.product, "mode": self.mode, "as_of": self.as_of.isoformat(),
                "population": self.population, "units": self.units, "devices_with_claims": self.devices_with_claims,
                "claims": self.claims, "skipped": dict(self.skipped), "notes": list(self.notes)}


def latest_event_date(con) -> date:
    """The date of the newest service event: the default ``as_of`` of the reliability views."""
    latest = latest_service_date(con)
    if latest is None:
        raise InputError("the store holds no service events; ingest after-sales service records first "
                         "(defectradar ingest FILE --source-type service_records)")
    return latest


def _claims_expr(con, product: str, mode: str | None, as_of: date):
    """Claims of the product (and mode) up to ``as_of`` with the device's purchase date (Ibis)."""
    ib = backend(con)
    events = ib.table("service_events")
    keep = (events.product_id == product) & events.action.isin(CLAIM_ACTIONS) & (events.date <= as_of)
    if mode is not None:
        keep &= events.failure_mode == mode
    claims = events.filter(keep).select("event_id", "device_token", "date", "action")
    devices = ib.table("devices")
    purchases = (devices.filter(devices.purchase_date.notnull())
                 .group_by("device_token").aggregate(purchase_date=devices.purchase_date.min()))
    joined = claims.left_join(purchases, claims.device_token == purchases.device_token)
    return joined.select(claims.event_id, claims.device_token, claims.date, claims.action, purchases.purchase_date)


def _claims(con, product: str, mode: str | None, as_of: date) -> pd.DataFrame:
    """:func:`_claims_expr` as a frame (every claim: the repair histories need each one)."""
    frame = _claims_expr(con, product, mode, as_of).to_pandas()
    for col in ("date", "purchase_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def _first_claims(con, product: str, mode: str | None, as_of: date, info: Population) -> pd.DataFrame:
    """Each failed device's purchase date and first usable claim, grouped by the engine (one
    row per device, not per claim), with the claims left out counted into ``info``."""
    joined = _claims_expr(con, product, mode, as_of)
    counts = joined.aggregate(
        no_purchase=joined.purchase_date.isnull().sum(),
        early=(joined.purchase_date.notnull() & (joined.date < joined.purchase_date)).sum(),
        usable=(joined.purchase_date.notnull() & (joined.date >= joined.purchase_date)).sum(),
    ).to_pyarrow().to_pylist()[0]
    usable = joined.filter(joined.purchase_date.notnull() & (joined.date >= joined.purchase_date))
    first = (usable.group_by("device_token")
             .aggregate(purchase_date=usable.purchase_date.min(), date=usable.date.min()).to_pandas())
    _count_skipped(info, int(counts["no_purchase"] or 0), int(counts["early"] or 0))
    info.claims = int(counts["usable"] or 0)
    info.devices_with_claims = len(first)
    for col in ("date", "purchase_date"):
        first[col] = pd.to_datetime(first[col])
    first["age"] = (first["date"] - first["purchase_date"]).dt.days.astype(float)
    return first.sort_values(["device_token"]).reset_index(drop=True)


def _count_skipped(info: Population, no_purchase: int, early: int) -> None:
    if no_purchase:
        info.skipped["claims without a purchase date"] = no_purchase
    if early:
        info.skipped["claims dated before the purchase"] = early


def _check_product(con, product: str) -> None:
    check_product(con, product)             # unknown anywhere: named with the closest known ids
    events = backend(con).table("service_events")
    known = events.filter(events.product_id == product).count().to_pyarrow().as_py()
    if known == 0:
        ids = events.filter(events.product_id.notnull()).select("product_id").distinct().order_by("product_id")
        names = ids.product_id.to_pyarrow().to_pylist()
        raise InputError(f"no service events for product {product!r}; products with service records: "
                         f"{', '.join(names) or 'none'}")


def _cohorts(con, product: str, as_of: date) -> pd.DataFrame:
    """Units sold per month (all regions and channels) up to ``as_of``."""
    ib = backend(con)
    sales = ib.table("sales_current")
    monthly = (sales.filter((sales.product_id == product) & (sales.month <= as_of))
               .group_by("month").aggregate(units=sales.units.sum()).order_by("month").to_pandas())
    monthly["month"] = pd.to_datetime(monthly["month"])
    monthly["units"] = monthly["units"].astype(float)
    return monthly


def _spread_over_days(cohorts: pd.DataFrame, as_of: date) -> tuple[np.ndarray, np.ndarray]:
    """Each cohort's censored units spread evenly over the days of its month (up to ``as_of``).

    Why not one row at mid-month: the oldest cohort's units bought on the 1st are half a month
    older than its midpoint, so their failures would outlive every censored unit and the tail
    of the survival curve would fall to 0.  Spreading by day is exact when sales are even
    within a month and costs ~30 rows per month.
    """
    as_of_ts = pd.Timestamp(as_of)
    ages, weights = [], []
    for month, censored in zip(cohorts["month"], cohorts["censored"]):
        last = min(month + pd.offsets.MonthEnd(0), as_of_ts)
        days = pd.date_range(month, last, freq="D")
        ages.append((as_of_ts - days).days.to_numpy(dtype=float))
        weights.append(np.full(len(days), censored / len(days)))
    return np.concatenate(ages), np.concatenate(weights)


def _start(con, product: str, mode: str | None, as_of, population: str) -> tuple[date, Population]:
    if population not in POPULATIONS:
        raise InputError(f"population={population!r}: use 'sales' (units sold, the default) or 'devices'")
    _check_product(con, product)
    check_mode(con, mode)
    as_of = as_date(as_of, "as_of") or latest_event_date(con)
    return as_of, Population(product, mode, as_of, population)


def _prepare(con, product: str, mode: str | None, as_of, population: str):
    as_of, info = _start(con, product, mode, as_of, population)
    claims = _claims(con, product, mode, as_of)
    no_purchase = claims["purchase_date"].isna()
    claims = claims[~no_purchase].copy()
    claims["age"] = (claims["date"] - claims["purchase_date"]).dt.days.astype(float)
    early = claims["age"] < 0
    _count_skipped(info, int(no_purchase.sum()), int(early.sum()))
    claims = claims[~early]
    info.claims = len(claims)
    info.devices_with_claims = int(claims["device_token"].nunique())
    return as_of, info, claims


def _cohort_weights(con, product: str, as_of: date, failed_months: pd.Series, info: Population) -> pd.DataFrame:
    """Per sales month: the units that did not come back, censored at the cohort's age."""
    cohorts = _cohorts(con, product, as_of)
    if cohorts.empty:
        raise InputError(f"no sales of {product!r} up to {as_of}: the units that never failed are unknown; "
                         "ingest sales (units per month), or use --population devices for estimates "
                         "conditional on a service visit")
    failed = failed_months.value_counts()
    cohorts["failed"] = cohorts["month"].map(failed).fillna(0.0)
    cohorts["censored"] = cohorts["units"] - cohorts["failed"]
    excess = cohorts["censored"] < 0
    if excess.any():
        info.skipped["failed devices beyond the month's units sold (counted as failures)"] = \
            int(-cohorts.loc[excess, "censored"].sum())
        cohorts.loc[excess, "censored"] = 0.0
    outside = ~failed.index.isin(cohorts["month"])
    if outside.any():
        info.notes.append(f"{int(failed[outside].sum())} failed devices were bought in months without a sales row "
                          "(e.g. replacement units); they count as failures with no cohort of their own")
    info.units = float(cohorts["units"].sum())
    return cohorts


def lifetimes_for_store(con, product: str, mode: str | None = None, as_of=None,
                        population: str = "sales") -> tuple[LifetimeData, Population]:
    """Age at first claim (days) of the product's units, censored units from the sales cohorts.

    Returns the :class:`LifetimeData` and the :class:`Population` describing it.
    """
    as_of, info = _start(con, product, mode, as_of, population)
    first = _first_claims(con, product, mode, as_of, info)
    if first.empty:
        raise InputError(f"no claims for {product!r}{f' / {mode!r}' if mode else ''} up to {as_of}: every unit "
                         "is censored, so there is no failure to fit; choose another mode or a later --as-of")
    fail_time = first["age"].to_numpy()
    if population == "sales":
        cohorts = _cohort_weights(con, product, as_of, first["purchase_date"].dt.to_period("M").dt.to_timestamp(),
                                  info)
        ages, weights = _spread_over_days(cohorts, as_of)
        time = np.concatenate([fail_time, ages])
        event = np.concatenate([np.ones(len(fail_time), bool), np.zeros(len(ages), bool)])
        weight = np.concatenate([np.ones(len(fail_time)), weights])
    else:
        devices = _known_devices(con, product, as_of)
        failed = set(first["device_token"])
        never = devices[~devices["device_token"].isin(failed)]
        time = np.concatenate([fail_time, never["age"].to_numpy()])
        event = np.concatenate([np.ones(len(fail_time), bool), np.zeros(len(never), bool)])
        weight = None
        info.units = float(len(devices))
        info.notes.append("units are the devices in the store's service records, not units sold: estimates are "
                          "conditional on a unit having come in at least once")
    data = LifetimeData.from_arrays(time, event, weight)
    return data, info


def _known_devices(con, product: str, as_of: date) -> pd.DataFrame:
    d = backend(con).table("devices")
    d = d.filter((d.product_id == product) & d.purchase_date.notnull() & (d.purchase_date <= as_of))
    frame = d.group_by("device_token").aggregate(purchase_date=d.purchase_date.min()).to_pandas()
    frame["age"] = (pd.Timestamp(as_of) - pd.to_datetime(frame["purchase_date"])).dt.days.astype(float)
    return frame


def recurrences_for_store(con, product: str, mode: str | None = None, as_of=None,
                          population: str = "sales") -> tuple[RecurrenceData, Population]:
    """Every claim (age in days) of the product's devices, and each unit's end of observation.

    A device is observed until ``as_of`` or its replacement/refund, whichever is first (but
    never before its last claim).  Units that never came back are the sales cohorts (or, with
    ``population="devices"``, the store's other devices), with no claims.
    """
    as_of, info, claims = _prepare(con, product, mode, as_of, population)
    if claims.empty:
        raise InputError(f"no claims for {product!r}{f' / {mode!r}' if mode else ''} up to {as_of}; "
                         "nothing to count")
    per_device = claims.groupby("device_token").agg(purchase_date=("purchase_date", "min"), last=("age", "max"))
    retiring = claims[claims["action"].isin(RETIRING_ACTIONS)]
    per_device["retired"] = retiring.groupby("device_token")["age"].min()     # NaN: never left the field
    observed_to = (pd.Timestamp(as_of) - per_device["purchase_date"]).dt.days.astype(float)
    end = np.fmin(observed_to.to_numpy(), per_device["retired"].to_numpy())     # fmin ignores NaN
    end = np.maximum(end, per_device["last"].to_numpy())
    codes = per_device.index.get_indexer(claims["device_token"])
    unit_end, unit_weight, unit_ids = [end], [np.ones(len(end))], [per_device.index.to_numpy(dtype=object)]
    if population == "sales":
        months = per_device["purchase_date"].dt.to_period("M").dt.to_timestamp()
        cohorts = _cohort_weights(con, product, as_of, months.reset_index(drop=True), info)
        ages, weights = _spread_over_days(cohorts, as_of)
        unit_end.append(ages)
        unit_weight.append(weights)
        unit_ids.append(np.array([f"never claimed, age {a:g}" for a in ages], dtype=object))
    else:
        devices = _known_devices(con, product, as_of)
        never = devices[~devices["device_token"].isin(per_device.index)]
        unit_end.append(never["age"].to_numpy())
        unit_weight.append(np.ones(len(never)))
        unit_ids.append(never["device_token"].to_numpy(dtype=object))
        info.units = float(len(devices))
        info.notes.append("units are the devices in the store's service records, not units sold: the MCF is "
                          "conditional on a unit having come in at least once")
    data = RecurrenceData.from_units(np.concatenate(unit_end), codes, claims["age"].to_numpy(),
                                     np.concatenate(unit_weight), np.concatenate(unit_ids))
    return data, info
