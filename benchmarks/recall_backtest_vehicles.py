"""Back-test of the scan's defaults on real recalls: NHTSA Ford/Tesla (and Toyota) complaints by
model x component, 2014..2026.

Usage::

    python benchmarks/recall_backtest_vehicles.py [--data DIR] [--start 2019-01] [--method NAME ...]
                                                  [--jobs N] [--json | --markdown]

Data: ``nhtsa-ford-tesla-toyota-13-models`` (see its SOURCE.txt; looked for in ``--data``,
``$DEFECTRADAR_SHARED_DATA``, next to the repository, then ``/work/shared/data``):
``complaints.csv`` (one row per complaint: make, model, model year, the NHTSA components
comma-joined, the incident date) and ``recalls.csv`` (campaign x model x model year, with the
component and the report-received date), pulled 2026-06-04.  Toyota rows are withheld there as
hidden evaluation; nothing here names a make or model, so they are scored like the others when
present.

* **series**: complaints per (make, model, top-level component) and incident month.  A
  component's top level is its text before ':'; the list is split on commas not followed by a
  space (NHTSA names such as "FUEL SYSTEM, GASOLINE" hold ", "); a complaint counts once per
  distinct top-level component (``--families`` merges NHTSA's old and new names of one part,
  such as ENGINE and ENGINE AND ENGINE COOLING, on both sides).  Dropped and counted: no readable incident date, dates before
  January of model year - 1 (placeholders such as 1945-05-12 and 1969-12-31), after the pull date,
  and in the pull date's incomplete month.  A series begins in its model's first complaint month;
* **recall units**: (campaign, make, model, top-level component), reported in the month of the
  earliest ``report_received_date``;
* **scoring** (``recall_scoring.py``): an alarm of the series in the 12 months before a unit's
  recall month catches it; an alarm is explained when a recall of the same model x component is
  reported in the 12 months after its month.  Alarms are scored from ``--start`` (2019-01): the
  months before are history only, at least four years for the first model years (2015-2018 on
  the road since 2014), which a seasonal baseline needs, and 2014-2018 hold few complaints (about
  2,700 of 24,600) and few recalls; units are counted from 2020-01, when their whole 12-month
  window is scored.

The naive rule (the Hyundai/Kia data's own baseline "b1": count >= 2x the mean of the 6 months
before, and >= 10) is the peer.  Each detector runs with the scan's parameters
(``ScanConfig().params``) as a monthly scan would: month t is decided by a fit on the series up to
t, scoring the scan's last ``lookback`` months against all months before; every method looks at
the same months (series at least ``--burn-in`` months old with ``min_total`` complaints so far)
and an alarm needs the scan's floor of complaints for a month (``ScanConfig.floor``, or ``min_last``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from rich.console import Console

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from recall_scoring import NAIVE, Panel, default_jobs, markdown, render, run_all  # noqa: E402
from recall_scoring import data_folder as shared_folder  # noqa: E402

FOLDER = "nhtsa-ford-tesla-toyota-13-models"
REPO = HERE.parent
PULL_DATE = "2026-06-04"          # SOURCE.txt: facts_nhtsa_20260604
START = "2019-01"
SPLIT = re.compile(r",(?! )")      # between components; ", " stays inside a name


def data_folder(given: str | None) -> Path:
    return shared_folder(FOLDER, given)


# --families: NHTSA codes one kind of part under old and new names; complaints mostly use the first,
# recalls the second ("ENGINE" 5,000 complaints vs "ENGINE AND ENGINE COOLING" 1,400).
FAMILIES = {"ENGINE AND ENGINE COOLING": "ENGINE", "SERVICE BRAKES, HYDRAULIC": "SERVICE BRAKES",
            "SERVICE BRAKES, AIR": "SERVICE BRAKES", "FUEL SYSTEM, GASOLINE": "FUEL/PROPULSION SYSTEM",
            "FUEL SYSTEM, DIESEL": "FUEL/PROPULSION SYSTEM", "FUEL SYSTEM, OTHER": "FUEL/PROPULSION SYSTEM",
            "VISIBILITY/WIPER": "VISIBILITY"}


def top_level(component: str, families: bool = False) -> str:
    top = component.split(":")[0].strip()
    if families:
        top = top.split(";")[0].strip()
        return FAMILIES.get(top, top)
    return top


def series_key(make: str, model: str, component: str) -> str:
    return f"{make.strip().upper()} {model.strip().upper()} | {component}"


def complaint_rows(complaints: pd.DataFrame, pull: pd.Timestamp, families: bool = False) -> tuple[pd.DataFrame, dict]:
    """One row per (complaint, series) with its incident month, and what was dropped and why."""
    date = pd.to_datetime(complaints["incident_date"], errors="coerce", format="%Y-%m-%d")
    year = pd.to_numeric(complaints["model_year"], errors="coerce")
    floor = pd.to_datetime((year - 1).astype("Int64").astype(str) + "-01-01", errors="coerce")
    last_month = pull.to_period("M") if pull.normalize() == pull.to_period("M").end_time.normalize() else \
        pull.to_period("M") - 1
    reasons = [
        ("no readable incident date", date.isna()),
        ("before January of model year - 1 (placeholders such as 1969-12-31)", floor.notna() & (date < floor)),
        (f"after the pull date {pull.date()}", date > pull),
        (f"in the pull date's incomplete month ({last_month + 1})", date.dt.to_period("M") > last_month),
    ]
    keep = pd.Series(True, index=complaints.index)
    dropped = {}
    for reason, bad in reasons:
        bad = bad.fillna(False) & keep
        dropped[reason] = int(bad.sum())
        keep &= ~bad
    kept = complaints[keep].assign(month=date[keep].dt.to_period("M"))
    rows = []
    for row in kept.itertuples(index=False):
        for component in sorted({top_level(c, families) for c in SPLIT.split(row.components or "") if top_level(c)}):
            rows.append((row.odi_number, series_key(row.make, row.model, component), f"{row.make} {row.model}".upper(),
                         row.month))
    frame = pd.DataFrame(rows, columns=["odi", "series", "vehicle", "month"]).drop_duplicates(["odi", "series"])
    return frame, {"dropped": dropped, "kept": int(keep.sum()), "last_month": last_month}


def load(folder: Path, start: str = START, pull_date: str = PULL_DATE, families: bool = False) -> Panel:
    pull = pd.Timestamp(pull_date)
    complaints = pd.read_csv(folder / "complaints.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    complaints = complaints.drop_duplicates("odi_number")
    rows, info = complaint_rows(complaints, pull, families)
    months = pd.period_range(rows["month"].min(), info["last_month"], freq="M")
    counts = (rows.groupby(["series", "month"]).size().unstack("month", fill_value=0)
              .reindex(columns=months, fill_value=0).sort_index())
    vehicle_first = rows.groupby("vehicle")["month"].min()
    vehicle_of = rows.drop_duplicates("series").set_index("series")["vehicle"]
    first = pd.Series({s: vehicle_first[vehicle_of[s]] for s in counts.index})

    recalls = pd.read_csv(folder / "recalls.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    recalls["date"] = pd.to_datetime(recalls["report_received_date"], errors="coerce", format="%Y-%m-%d")
    undated = int(recalls["date"].isna().sum())
    recalls = recalls[recalls["date"].notna()]
    recalls = recalls.assign(series=[series_key(a, b, top_level(c, families)) for a, b, c in
                                     zip(recalls["make"], recalls["model"], recalls["component"])])
    units = (recalls.groupby(["campaign", "series"], as_index=False)["date"].min()
             .assign(month=lambda f: f["date"].dt.to_period("M")))
    keys = {s: (vehicle_of[s], s.split(" | ", 1)[1]) for s in counts.index}     # (product, mode) as a scan keys them
    panel = Panel(counts, first, units[["campaign", "series", "month"]], pd.Period(start, "M"), pull, keys=keys)
    counted = panel.counted_units()
    makes = complaints.groupby(complaints["make"].str.upper())["model"].apply(lambda s: sorted(s.unique())).to_dict()
    panel.notes = {
        "folder": str(folder), "pull_date": pull_date, "component_families": families, "complaints": int(len(complaints)),
        "complaints_kept": info["kept"], "complaints_dropped": info["dropped"],
        "complaint_series_rows": int(len(rows)), "makes_models": makes,
        "series": int(len(counts)), "months": [str(months[0]), str(months[-1])],
        "components": int(rows["series"].str.split(" | ", regex=False).str[1].nunique()),
        "recall_rows": int(len(recalls)) + undated, "recall_rows_undated": undated, "recall_units": int(len(units)),
        "recall_dates": [str(recalls["date"].min().date()), str(recalls["date"].max().date())],
        "units_counted": int(len(counted)), "campaigns_counted": int(counted["campaign"].nunique()),
        "units_counted_without_series": int((~counted["series"].isin(counts.index)).sum()),
        "recall_models_without_complaints": sorted(set(recalls["make"].str.upper() + " " + recalls["model"].str.upper())
                                                   - set(rows["vehicle"])),
    }
    return panel


def methods_arg(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def title(panel: Panel) -> str:
    makes = ", ".join(f"{make} ({len(models)})" for make, models in panel.notes["makes_models"].items())
    level = "component family" if panel.notes["component_families"] else "component"
    return (f"Recall back-test, NHTSA {makes} models x {level}, {panel.notes['series']} series, alarms "
            f"{panel.start}..{panel.end}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help=f"folder holding {FOLDER}/ (or that folder itself)")
    parser.add_argument("--start", default=START, help=f"first month alarms are scored (default {START})")
    parser.add_argument("--pull-date", default=PULL_DATE, help=f"the data's pull date (default {PULL_DATE})")
    parser.add_argument("--families", action="store_true",
                        help="merge NHTSA's old and new names of a component (ENGINE AND ENGINE COOLING = ENGINE, ...)")
    parser.add_argument("--burn-in", type=int, default=NAIVE["window"],
                        help="months a series must be old before it is scanned (default 6, the naive rule's window)")
    parser.add_argument("--method", action="append",
                        help="methods to run besides the naive rule (repeat or comma-separate; 'scan' = the scan's "
                             "defaults; default: scan, glr-poisson, ears-c3, bursts)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="worker processes (default: up to 4 cores)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    parser.add_argument("--markdown", action="store_true", help="print a markdown section on stdout")
    args = parser.parse_args()
    console = Console(stderr=args.json or args.markdown, width=max(Console().width, 150))

    from defectradar.analyses.scan import ScanConfig

    started = time.perf_counter()
    panel = load(data_folder(args.data), args.start, args.pull_date, args.families)
    result = run_all(panel, ScanConfig(), methods_arg(args.method), args.burn_in, args.jobs, console)
    result.update(date=f"{datetime.now(timezone.utc):%Y-%m-%d}", seconds=round(time.perf_counter() - started, 1),
                  data_set=FOLDER)
    render(console, title(panel), result)
    notes = panel.notes
    console.print(f"{notes['complaints_kept']:,} of {notes['complaints']:,} complaints kept (dropped: "
                  + "; ".join(f"{reason} {n}" for reason, n in notes["complaints_dropped"].items())
                  + f"); {notes['recall_units']} recall units, {notes['units_counted']} counted "
                  f"({notes['units_counted_without_series']} without a complaint series; models recalled without "
                  f"complaints: {', '.join(notes['recall_models_without_complaints']) or 'none'}); "
                  f"run {result['seconds']} s")
    if args.markdown:
        print(markdown(title(panel), result))
        print(f"Run: {result['seconds']} s, {args.jobs} worker processes, {result['date']}.")
    if args.json:
        print(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    sys.exit(main())
