"""Product × event contingency tables counted in distinct reports.

A spontaneous report names one or more products and one or more events, so counting rows
would count one report several times.  As openEBGM's ``processRaw`` does (Canida & Ihrie 2017,
"openEBGM: An R Implementation of the Gamma-Poisson Shrinker Data Mining Model", The R Journal
9(2); source ``R/f_transformInput.R``), every count here is a number of *distinct reports*:

* ``n`` (the 2×2 cell *a*) — reports naming both the product and the event;
* ``n_product`` — reports naming the product; ``n_event`` — reports naming the event;
* ``total`` (*N*) — all reports.

The expected count under independence of product and event is

.. math::  E = \\frac{n_{product}\\, n_{event}}{N}

and, with strata *s* (each report in exactly one stratum; DuMouchel 1999, eq. 1),

.. math::  E = \\sum_s \\frac{n_{product}(s)\\, n_{event}(s)}{N(s)} .

As in openEBGM, stratification changes *E* (and so RR and EBGM) but not the 2×2 table that
PRR, ROR and chi-square are built from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from defectradar.errors import InputError

PAIR_COLUMNS = ["product", "event", "n", "n_product", "n_event", "total", "expected"]
COUNT_COLUMNS = ["product", "event", "n", "n_product", "n_event", "total"]

# A zero-filled table is products × events cells; past this it would not fit in memory on the
# 24 GiB machines this project runs on (several float64 columns per cell).
MAX_ZERO_CELLS = 20_000_000


@dataclass
class ContingencyTable:
    """One row per (product, event) pair with its distinct-report counts and expected count.

    Build it with :meth:`from_rows` (one row per report × product × event) or
    :meth:`from_counts` (counts already aggregated).

    Attributes
    ----------
    pairs
        DataFrame with columns ``product, event, n, n_product, n_event, total, expected``,
        sorted by product then event.
    n_reports
        *N*, the number of distinct reports (``None`` when ``from_counts`` rows disagree on it).
    strata
        Names of the columns the expected counts were stratified by (empty if none).
    n_strata
        Number of distinct strata (1 when unstratified).

    Examples
    --------
    >>> rows = pd.DataFrame({"id": [1, 1, 2, 3], "product": ["A", "A", "A", "B"],
    ...                      "event": ["x", "y", "x", "y"]})
    >>> ContingencyTable.from_rows(rows).pairs[["product", "event", "n", "expected"]]
      product event  n  expected
    0       A     x  2  1.333333
    1       A     y  1  1.333333
    2       B     y  1  0.666667
    """

    pairs: pd.DataFrame
    n_reports: int | None
    strata: tuple[str, ...] = ()
    n_strata: int = 1
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.pairs)

    def cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The 2×2 cells ``a, b, c, d`` of every pair, as float arrays.

        ``a = n``, ``b = n_product - n``, ``c = n_event - n``,
        ``d = total - n_product - n_event + n`` (reports naming neither; never negative for
        report-based margins, by inclusion–exclusion).
        """
        p = self.pairs
        a = p["n"].to_numpy(dtype=float)
        n_product = p["n_product"].to_numpy(dtype=float)
        n_event = p["n_event"].to_numpy(dtype=float)
        total = p["total"].to_numpy(dtype=float)
        return a, n_product - a, n_event - a, total - n_product - n_event + a

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_rows(cls, df: pd.DataFrame, id_col: str = "id", product_col: str = "product",
                  event_col: str = "event", stratum_col: str | Sequence[str] | None = None,
                  zeroes: bool = False) -> "ContingencyTable":
        """Count distinct reports per (product, event) from one row per (report, product, event).

        Parameters
        ----------
        df
            One row per report × product × event; repeated rows count once.
        id_col, product_col, event_col
            Columns holding the report id, the product and the event.
        stratum_col
            Column (or columns, combined) holding each report's stratum, e.g. sex or age band.
            Every report must have one stratum value.  ``None``: no stratification.
        zeroes
            Also list (product, event) pairs never reported together (``n = 0``), as openEBGM's
            ``processRaw(zeroes = TRUE)``.  Only for small tables: the table becomes
            products × events rows.

        Returns
        -------
        ContingencyTable

        Notes
        -----
        ``n`` and the margins count distinct ``id`` values, so a report naming a product twice
        counts once; ``E = n_product n_event / N`` or, stratified,
        ``E = sum_s n_product(s) n_event(s) / N(s)`` (openEBGM ``processRaw``).
        """
        if not isinstance(df, pd.DataFrame):
            raise InputError(f"expected a pandas DataFrame of report rows, got {type(df).__name__}")
        strata = _as_columns(stratum_col)
        _require_columns(df, [id_col, product_col, event_col, *strata], "report rows")
        if df.empty:
            raise InputError("no report rows: the input is empty; give at least one row of "
                             f"{id_col}, {product_col}, {event_col}")
        for col in (id_col, product_col, event_col, *strata):
            _require_present(df[col], col)

        rows = pd.DataFrame({"id": df[id_col].to_numpy(), "product": df[product_col].to_numpy(),
                             "event": df[event_col].to_numpy()})
        if strata:
            rows["stratum"] = _combine(df, strata)
            per_report = rows.groupby("id", sort=False)["stratum"].nunique()
            if (per_report > 1).any():
                bad = per_report.index[per_report > 1][0]
                bad = bad.item() if isinstance(bad, np.generic) else bad
                raise InputError(f"report {bad!r} has more than one value of {'/'.join(strata)}; each report "
                                 "must belong to one stratum — fix the rows of that report")
        rows = rows.drop_duplicates(["id", "product", "event"])

        n_reports = int(rows["id"].nunique())
        pair_n = rows.groupby(["product", "event"], sort=True).size().rename("n")
        n_product = rows.drop_duplicates(["id", "product"]).groupby("product").size()
        n_event = rows.drop_duplicates(["id", "event"]).groupby("event").size()

        if zeroes:
            pairs = _all_pairs(pair_n, n_product.index, n_event.index)
        else:
            pairs = pair_n.reset_index()
        pairs["n_product"] = n_product.reindex(pairs["product"]).to_numpy()
        pairs["n_event"] = n_event.reindex(pairs["event"]).to_numpy()
        pairs["total"] = n_reports

        n_strata = 1
        if strata:
            expected, n_strata = _stratified_expected(rows, pairs, zeroes)
            pairs["expected"] = expected
        else:
            pairs["expected"] = pairs["n_product"] * pairs["n_event"] / n_reports
        pairs = pairs[PAIR_COLUMNS].astype({"n": "int64", "n_product": "int64", "n_event": "int64",
                                            "total": "int64", "expected": "float64"})
        return cls(pairs.reset_index(drop=True), n_reports, tuple(strata), n_strata)

    @classmethod
    def from_counts(cls, df: pd.DataFrame) -> "ContingencyTable":
        """A table from counts already aggregated per (product, event).

        Parameters
        ----------
        df
            Columns ``product, event, n, n_product, n_event, total`` (*a*, the product's and the
            event's report counts, and *N*) and optionally ``expected`` (e.g. a stratified *E*
            computed elsewhere); without it ``E = n_product n_event / total``.

        Returns
        -------
        ContingencyTable
        """
        if not isinstance(df, pd.DataFrame):
            raise InputError(f"expected a pandas DataFrame of counts, got {type(df).__name__}")
        _require_columns(df, COUNT_COLUMNS, "counts")
        if df.empty:
            raise InputError("no counts: the input is empty; give one row per (product, event) pair")
        for col in ("product", "event"):
            _require_present(df[col], col)
        pairs = df[["product", "event"]].copy()
        numbers = {}
        for col in ("n", "n_product", "n_event", "total"):
            numbers[col] = _count_column(df[col], col)
        n, n_product, n_event, total = (numbers[c] for c in ("n", "n_product", "n_event", "total"))
        for col, values in (("n_product", n_product), ("n_event", n_event), ("total", total)):
            if (values < 1).any():
                raise InputError(f"column {col!r} must be at least 1 (row {_first(values < 1)}): a pair "
                                 "needs its product, its event and at least one report")
        _check(n > n_product, "n", "n is larger than n_product", n)
        _check(n > n_event, "n", "n is larger than n_event", n)
        _check(n_product + n_event - n > total, "total",
               "n_product + n_event - n exceeds total (reports with the product or the event)", n)
        for col, values in numbers.items():
            pairs[col] = values.astype("int64")
        if "expected" in df.columns:
            expected = pd.to_numeric(df["expected"], errors="coerce").to_numpy(dtype=float)
            if not np.isfinite(expected).all() or (expected <= 0).any():
                bad = _first(~np.isfinite(expected) | (expected <= 0))
                raise InputError(f"column 'expected' must hold positive numbers (row {bad} does not); "
                                 "drop the column to compute E = n_product * n_event / total")
            pairs["expected"] = expected
        else:
            pairs["expected"] = n_product * n_event / total
        pairs = pairs[PAIR_COLUMNS].sort_values(["product", "event"], kind="stable").reset_index(drop=True)
        if pairs.duplicated(["product", "event"]).any():
            dup = pairs[pairs.duplicated(["product", "event"])].iloc[0]
            raise InputError(f"pair ({dup['product']!r}, {dup['event']!r}) appears more than once; "
                             "give one row per (product, event)")
        totals = pairs["total"].unique()
        return cls(pairs, int(totals[0]) if len(totals) == 1 else None)


# ---------------------------------------------------------------------- helpers
def _as_columns(stratum_col) -> list[str]:
    if stratum_col is None:
        return []
    if isinstance(stratum_col, str):
        return [stratum_col]
    return list(stratum_col)


def _require_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        have = ", ".join(map(str, df.columns)) or "none"
        raise InputError(f"{what}: missing column {', '.join(map(repr, missing))} (columns present: {have}); "
                         "rename your columns or pass the column names")


def _require_present(series: pd.Series, col: str) -> None:
    missing = series.isna().to_numpy()
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        missing = missing | (series.astype(str).str.strip() == "").to_numpy()
    if missing.any():
        raise InputError(f"column {col!r} has {int(missing.sum())} missing or empty values (first at row "
                         f"{_first(missing)}); fill them in or drop those rows")


def _combine(df: pd.DataFrame, strata: Sequence[str]) -> np.ndarray:
    # Several stratification columns combine into one stratum label, as openEBGM pastes them with "-".
    if len(strata) == 1:
        return df[strata[0]].astype(str).to_numpy()
    return df[list(strata)].astype(str).agg("-".join, axis=1).to_numpy()


def _all_pairs(pair_n: pd.Series, products: pd.Index, events: pd.Index) -> pd.DataFrame:
    cells = len(products) * len(events)
    if cells > MAX_ZERO_CELLS:
        raise InputError(f"zeroes=True would list {cells:,} product × event cells (more than "
                         f"{MAX_ZERO_CELLS:,}); use zeroes=False")
    full = pd.MultiIndex.from_product([products, events], names=["product", "event"])
    return pair_n.reindex(full, fill_value=0).reset_index()


def _stratified_expected(rows: pd.DataFrame, pairs: pd.DataFrame, zeroes: bool) -> tuple[np.ndarray, int]:
    """E = sum over strata of n_product(s) n_event(s) / N(s), for every pair in ``pairs``."""
    by_product = rows.drop_duplicates(["id", "product"]).groupby(["product", "stratum"]).size().rename("np_s")
    by_event = rows.drop_duplicates(["id", "event"]).groupby(["event", "stratum"]).size().rename("ne_s")
    n_stratum = rows.drop_duplicates("id").groupby("stratum").size()
    if zeroes:
        # Dense: E = P · diag(1/N(s)) · Qᵀ with P products × strata, Q events × strata.
        p = by_product.unstack("stratum", fill_value=0).reindex(columns=n_stratum.index, fill_value=0)
        q = by_event.unstack("stratum", fill_value=0).reindex(columns=n_stratum.index, fill_value=0)
        dense = (p.to_numpy(float) / n_stratum.to_numpy(float)) @ q.to_numpy(float).T
        i = p.index.get_indexer(pairs["product"])
        j = q.index.get_indexer(pairs["event"])
        return dense[i, j], len(n_stratum)
    # Sparse: only strata where both the product and the event occur add to the sum.
    key = pairs[["product", "event"]].reset_index().rename(columns={"index": "row"})
    joined = key.merge(by_product.reset_index(), on="product").merge(by_event.reset_index(),
                                                                      on=["event", "stratum"])
    joined["e"] = joined["np_s"] * joined["ne_s"] / n_stratum.reindex(joined["stratum"]).to_numpy()
    expected = joined.groupby("row")["e"].sum().reindex(range(len(pairs)), fill_value=0.0)
    return expected.to_numpy(dtype=float), len(n_stratum)


def _count_column(series: pd.Series, col: str) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    if np.isnan(values).any():
        raise InputError(f"column {col!r} has missing or non-numeric values (first at row "
                         f"{_first(np.isnan(values))}); counts must be whole numbers")
    if (values < 0).any():
        bad = _first(values < 0)
        raise InputError(f"column {col!r} has a negative count ({values[bad]:g} at row {bad}); counts "
                         "are numbers of reports and cannot be negative")
    if not np.isfinite(values).all() or (values != np.round(values)).any():
        bad = _first(~np.isfinite(values) | (values != np.round(values)))
        raise InputError(f"column {col!r} must hold whole numbers of reports ({values[bad]:g} at row {bad})")
    return values


def _check(bad: np.ndarray, col: str, what: str, _values: np.ndarray) -> None:
    if bad.any():
        raise InputError(f"column {col!r}: {what} at row {_first(bad)}; the counts are inconsistent — "
                         "n_product, n_event and total must count distinct reports")


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])
