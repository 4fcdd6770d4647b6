"""Back-test of the temporal detectors on real recalls: NHTSA Hyundai/Kia complaints, 2022-07..2026-06.

Usage::

    python benchmarks/recall_backtest.py [--data DIR] [--burn-in 6] [--min-count 2] [--method NAME ...]
                                         [--start 2023-01] [--no-source] [--json | --markdown]

Data: ``nhtsa-hyundai-kia-recall-backtest`` (see its SOURCE.txt; looked for in ``--data``,
``$DEFECTRADAR_SHARED_DATA``, next to the repository, then ``/work/shared/data``): monthly
complaint counts per model (``b1_signals.csv``: 78 models x 48 months of NHTSA flat-file rows
coded electrical/software), the recalls (``recalls_hk_by_vehicle.csv``, 164 campaigns), 12
campaigns picked for back-testing (``k12_list.csv``) and 76 software-candidate recalls
(``lookback_candidates.csv``, the same campaigns as ``recalls_sw_candidates.csv``; 46 have
complaint data before them).

The peer is the data's own baseline ("b1"): alarm when a month's count is at least twice the
mean of the 6 months before it and at least 10.  Its flags (``b1_signals.csv``) and its
scoring (``b1_eval_k12.csv``) are first reproduced from the counts; the evaluation then follows
the source repository's own (``scripts/b1_eval_k12.py`` and ``b1_eval_validation.py``):

* **caught**: a campaign is caught when any of its models alarms in the 12 months before the
  month of the recall report (``report_date_iso``); **lead** is months from the first such alarm
  to the recall month (days: from the end of the alarm month, when its count is known, as the
  source does).  A method that scores no month of that window on any of the campaign's models
  does not score the campaign ("n/s"), and short series are never an error;
* **chance**: the same rule with the recall month moved over every month 2023-07..2026-06, per
  K12 campaign, averaged; caught / chance is how much better than luck the capture is;
* **false alarms**: an alarm (model, month) is *followed* when a recall of that model is
  reported within 12 months after the end of the alarm month, and false otherwise.  Recalls
  of any component count, as in the source.  Precision is given on all alarms (the source's
  figure) and on the alarms whose 12 months of follow-up lie inside the recall data (up to
  2026-06-24), with the share of all model-months followed by a recall as the luck level.

Detectors run through :func:`defectradar.signals.registry.detector` on
``CountSeries(periods, counts, freq="month")`` with the parameters ``signals scan`` uses
(``ScanConfig().params``), prospectively: each month is scored from the months before it
(:func:`defectradar.analyses.backtest.alarms_as_of_each_period`; a retrospective method such as
Kleinberg's bursts, which sees the whole series, is re-run on the series cut at each month).  Every method starts scoring after
``--burn-in`` months (default 6, the baseline's own window) or its ``min_history()``,
whichever is later; an alarm needs ``--min-count`` complaints in its month (the scan's
floor for a month).  Farrington's default (5 years of history) cannot score 48 months, so two monthly
variants with shorter reference periods are run as well.

**The scan's defaults against the naive rule** (issue 15; ``recall_scoring.py``, the same scoring
as ``recall_backtest_vehicles.py``): the scan's own methods (``ScanConfig().methods``, with the
parameters and cross-series calibration a scan gives them) and, for comparison, glr-poisson,
ears-c3 and bursts (``--method`` chooses), each deciding month t as a monthly scan would, from a
fit on the months up to t; every method looks at the same model-months (from ``--start``,
2023-01: the first month with the naive rule's 6 months of history in the file) and an alarm
needs the scan's floor of complaints for a month.  A unit is (campaign, model); recalls of any component
count, as in the source (the complaints are electrical/software only, so the series is the model).
``--no-source`` skips the source's tables above.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from recall_scoring import Panel, default_jobs, evidence_floor, markdown, run_all  # noqa: E402
from recall_scoring import data_folder as shared_folder  # noqa: E402
from recall_scoring import render as render_scan  # noqa: E402

FOLDER = "nhtsa-hyundai-kia-recall-backtest"
REPO = Path(__file__).resolve().parents[1]
LOOKBACK = 12                 # months before the recall month in which an alarm counts (source: 12)
FOLLOW_UP = 12                # months after an alarm in which a recall makes it a true alarm (source: 12)
CHANCE_MONTHS = ("2023-07", "2026-06")
B1_MULTIPLE, B1_MIN = 2, 10   # the baseline's rule: count >= 2 x mean of the 6 months before, and >= 10
B1_WINDOW = 6
SCAN_START = "2023-01"        # the scan-defaults section: first alarm month (6 months of history in the file)

# (label, registry method, parameter overrides on top of the scan's defaults)
METHODS = (
    ("ears-c1", "ears-c1", {}),
    ("ears-c2", "ears-c2", {}),
    ("ears-c3", "ears-c3", {}),
    ("cusum", "cusum", {}),
    ("farrington", "farrington", {}),
    ("farrington b=2 w=2", "farrington", {"b": 2, "w": 2}),
    ("farrington b=1 w=2", "farrington", {"b": 1, "w": 2}),
    ("glr-poisson", "glr-poisson", {}),
    ("glr-nb", "glr-nb", {}),
    ("bursts", "bursts", {}),
)


def data_folder(given: str | None) -> Path:
    return shared_folder(FOLDER, given)


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, encoding="utf-8-sig", dtype=str)


# ---------------------------------------------------------------------------- the data
@dataclass
class Data:
    counts: pd.DataFrame                  # model x month (Period) counts
    published: pd.DataFrame               # model x month published b1 flags
    published_baseline: pd.DataFrame      # model x month baseline_avg6 as published
    campaigns: dict[str, dict]            # campaign -> {"models", "date", "month", "type"}
    k12: list[str]
    sw: list[str]                         # software candidates with complaint data before them
    recall_pairs: pd.DataFrame            # (model, date) of every recall, deduplicated as the source does
    b1_eval: pd.DataFrame
    notes: dict = field(default_factory=dict)


def load(folder: Path) -> Data:
    b1 = _csv(folder, "b1_signals.csv")
    b1["month"] = pd.PeriodIndex(b1["month"], freq="M")
    b1["count"] = b1["count"].astype(int)
    b1["baseline_avg6"] = b1["baseline_avg6"].astype(float)
    b1["signal"] = b1["signal"].map({"True": True, "False": False})
    counts = b1.pivot(index="model", columns="month", values="count")
    if counts.isna().any().any():
        raise SystemExit("b1_signals.csv does not hold every model x month; cannot build series")

    vehicles = _csv(folder, "recalls_hk_by_vehicle.csv")
    vehicles["model"] = vehicles["Model"].str.strip().str.upper()
    grouped = vehicles.groupby("NHTSACampaignNumber").agg(date=("report_date_iso", "first"),
                                                          models=("model", lambda s: sorted(s.unique())))
    k12 = _csv(folder, "k12_list.csv")
    types = dict(zip(k12["campaign"], k12["type"]))
    campaigns = {c: {"models": row.models, "date": pd.Timestamp(row.date), "month": pd.Timestamp(row.date).to_period("M"),
                     "type": types.get(c)} for c, row in grouped.iterrows()}
    lookback = _csv(folder, "lookback_candidates.csv")
    sw_all = _csv(folder, "recalls_sw_candidates.csv")
    sw = sorted(lookback.loc[lookback["insufficient_data"] == "False", "NHTSACampaignNumber"])
    pairs = vehicles.assign(date=pd.to_datetime(vehicles["report_date_iso"]))
    pairs = pairs.drop_duplicates(["NHTSACampaignNumber", "model", "date"])[["NHTSACampaignNumber", "model", "date"]]
    evidence = _csv(folder, "evidence_unknown_but_dangerous.csv")
    # lookback_candidates has its own m-12..m-1 counts from another extraction: say how often they
    # equal the b1 counts summed over the campaign's models (only its list of campaigns is used).
    notes = {
        "models": int(counts.shape[0]), "months": [str(counts.columns[0]), str(counts.columns[-1])],
        "complaint_rows": int(counts.to_numpy().sum()), "campaigns": len(campaigns),
        "recall_pairs": len(pairs), "recall_dates": [str(pairs["date"].min().date()), str(pairs["date"].max().date())],
        "sw_candidates": len(sw_all), "sw_with_data": len(sw),
        "lookback_counts_equal_b1_sums": _lookback_matches(lookback, counts, campaigns),
        "evidence_rows": len(evidence),
        "evidence_note": "complaints coded 'UNKNOWN OR OTHER' (narratives only); not in the counts, not scored",
    }
    published = b1.pivot(index="model", columns="month", values="signal").astype(bool)
    published_baseline = b1.pivot(index="model", columns="month", values="baseline_avg6")
    b1_eval = _csv(folder, "b1_eval_k12.csv")
    return Data(counts, published, published_baseline, campaigns, list(k12["campaign"]), sw, pairs, b1_eval, notes)


def scan_panel(data: Data, start: str, recall_rows: pd.DataFrame) -> Panel:
    """The data as the shared scoring takes it: one series per model (electrical/software
    complaints), beginning at its first complaint; units (campaign, model) at the recall month."""
    counts = data.counts
    first = pd.Series({m: counts.columns[int(np.argmax(row > 0))] if (row > 0).any() else counts.columns[0]
                       for m, row in zip(counts.index, counts.to_numpy())})
    units = (recall_rows.groupby(["NHTSACampaignNumber", "model"], as_index=False)["date"].min()
             .rename(columns={"NHTSACampaignNumber": "campaign", "model": "series"})
             .assign(month=lambda f: f["date"].dt.to_period("M")))
    panel = Panel(counts, first, units[["campaign", "series", "month"]], pd.Period(start, "M"),
                  recall_rows["date"].max(), keys={m: (m, "ELECTRICAL/SOFTWARE") for m in counts.index})
    counted = panel.counted_units()
    panel.notes = {"units": int(len(units)), "units_counted": int(len(counted)),
                   "campaigns_counted": int(counted["campaign"].nunique()),
                   "units_counted_without_series": int((~counted["series"].isin(counts.index)).sum())}
    return panel


def _lookback_matches(lookback: pd.DataFrame, counts: pd.DataFrame, campaigns: dict) -> str:
    cols = [f"m_minus_{i:02d}" for i in range(12, 0, -1)]
    checked = matched = 0
    for row in lookback.itertuples(index=False):
        info = campaigns[row.NHTSACampaignNumber]
        months = pd.period_range(info["month"] - 12, info["month"] - 1, freq="M")
        if months[0] < counts.columns[0]:
            continue
        models = [m for m in info["models"] if m in counts.index]
        ours = counts.loc[models, months].sum().to_numpy()
        theirs = np.array([int(getattr(row, c)) for c in cols])
        checked += 1
        matched += int((ours == theirs).all())
    return f"{matched}/{checked}"


# ---------------------------------------------------------------------------- the baseline
def b1_flags(counts: pd.DataFrame, published_baseline: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The baseline's flags from the counts; months without 6 earlier months in the file are not
    scored, unless ``published_baseline`` (computed by the source from earlier months) fills them."""
    values = counts.to_numpy(dtype=float)
    mean = np.full(values.shape, np.nan)
    for t in range(B1_WINDOW, values.shape[1]):
        mean[:, t] = values[:, t - B1_WINDOW:t].mean(axis=1)
    if published_baseline is not None:
        early = np.isnan(mean)
        mean[early] = published_baseline.to_numpy(dtype=float)[early]
    scored = ~np.isnan(mean)
    with np.errstate(invalid="ignore"):
        flags = scored & (values >= B1_MULTIPLE * mean) & (values >= B1_MIN)
    return (pd.DataFrame(flags, index=counts.index, columns=counts.columns),
            pd.DataFrame(np.broadcast_to(scored, values.shape), index=counts.index, columns=counts.columns))


def reproduce_baseline(data: Data) -> dict:
    """Check that the counts give the published flags and the published K12 scoring."""
    flags, _ = b1_flags(data.counts, data.published_baseline)
    from_counts, scored = b1_flags(data.counts, None)
    flag_match = int((flags == data.published).to_numpy().sum())
    in_file = scored.to_numpy()
    in_file_match = int(((from_counts == data.published).to_numpy() & in_file).sum())
    k12 = capture(data, flags, pd.DataFrame(True, index=flags.index, columns=flags.columns), data.k12)
    rows_match = 0
    mismatches = []
    for row in data.b1_eval.itertuples(index=False):
        ours = k12[row.campaign]
        same = (ours["caught"] == (row.captured == "True")
                and (not ours["caught"] or (ours["first_alarm"] == row.first_signal_month
                                             and ours["lead_days"] == int(float(row.lead_days))
                                             and row.trigger_model in ours["first_models"])))
        rows_match += int(same)
        if not same:
            mismatches.append(row.campaign)
    return {"flags_match": f"{flag_match}/{flags.size}",
            "flags_from_counts_only_match": f"{in_file_match}/{int(in_file.sum())} (months with 6 earlier months in the file)",
            "k12_rows_match": f"{rows_match}/{len(data.b1_eval)}", "k12_mismatches": mismatches}


# ---------------------------------------------------------------------------- the detectors
def detector_alarms(method: str, params: dict, counts: pd.DataFrame, burn_in: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Alarms and scored months per model x month for one method, with why series were not scored."""
    from defectradar.analyses.backtest import alarms_as_of_each_period
    from defectradar.core.series import CountSeries
    from defectradar.errors import InputError
    from defectradar.signals.registry import detector

    periods = [p.to_timestamp().date() for p in counts.columns]
    alarms = np.zeros(counts.shape, dtype=bool)
    scored = np.zeros(counts.shape, dtype=bool)
    skipped: dict[str, int] = {}
    late = 0

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    from defectradar.analyses.scan import THRESHOLD_LAST_METHODS

    if method in THRESHOLD_LAST_METHODS:
        params = {**params, "threshold_last": 0}      # alarms only: the threshold search is most of GLR's cost
    for i, model in enumerate(counts.index):
        series = CountSeries(periods, counts.loc[model].to_numpy(dtype=float), freq="month", name=model)
        det = detector(method, **params)
        retrospective = bool(getattr(det, "retrospective", False))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # Farrington's min_history() depends on the periods per year, which it learns in
                # fit(): a probe fit scoring only the last month sets it (and fails, as it should,
                # when the series is shorter than the history the method needs).
                det.fit(series, start=len(series) - 1)
        except InputError as exc:
            skip("history longer than the series" if "needs" in str(exc) else f"InputError: {str(exc)[:70]}")
            continue
        except Exception as exc:  # a numerical failure on one series must not end the back-test
            skip(f"{type(exc).__name__}: {str(exc)[:70]}")
            continue
        start = max(burn_in, 0) if retrospective else max(det.min_history(), burn_in)
        try:
            found, first = alarms_as_of_each_period(det, series, start)
            active = np.flatnonzero(series.counts > 0)
            if first >= len(series) and active.size and active[0] + burn_in > start:
                # No reference yet (only zeros before `start`, a model launched later): count the
                # burn-in from the model's first complaint instead.
                found, first = alarms_as_of_each_period(det, series, int(active[0]) + max(burn_in, 1))
                late += int(first < len(series))
        except Exception as exc:
            skip(f"{type(exc).__name__}: {str(exc)[:70]}")
            continue
        if first >= len(series):
            skip("could not score (no counts in its history)")
            continue
        alarms[i] = found
        scored[i, first:] = True
    if late:
        skipped[f"scored from {burn_in} months after the first complaint (none before)"] = late
    index, columns = counts.index, counts.columns
    return pd.DataFrame(alarms, index=index, columns=columns), pd.DataFrame(scored, index=index, columns=columns), skipped


# ---------------------------------------------------------------------------- scoring
def capture(data: Data, alarms: pd.DataFrame, scored: pd.DataFrame, campaigns: list[str],
            lookback: int = LOOKBACK) -> dict[str, dict]:
    """Per campaign: scored?, caught?, first alarm month, lead in months and days."""
    out = {}
    for campaign in campaigns:
        info = data.campaigns[campaign]
        models = [m for m in info["models"] if m in alarms.index]
        window = [m for m in pd.period_range(info["month"] - lookback, info["month"] - 1, freq="M")
                  if m in alarms.columns]
        a = alarms.loc[models, window] if models and window else pd.DataFrame()
        s = scored.loc[models, window] if models and window else pd.DataFrame()
        entry = {"models": info["models"], "recall_date": str(info["date"].date()), "type": info["type"],
                 "scored": bool(s.to_numpy().any()), "scored_months": int(s.any(axis=0).sum()) if len(s) else 0,
                 "caught": False, "first_alarm": None, "first_models": [], "lead_months": None, "lead_days": None}
        hits = a & s
        if entry["scored"] and hits.to_numpy().any():
            months = [m for m in window if hits[m].any()]
            first = months[0]
            entry.update(caught=True, first_alarm=str(first), first_models=sorted(hits.index[hits[first]]),
                         lead_months=int((info["month"] - first).n),
                         lead_days=int((info["date"] - first.end_time.normalize()).days))
        out[campaign] = entry
    return out


def chance(data: Data, alarms: pd.DataFrame, scored: pd.DataFrame, campaigns: list[str]) -> float | None:
    """The source's control: share of recall months in CHANCE_MONTHS whose 12 months before hold an
    alarm on the campaign's models, averaged over campaigns (windows the method cannot score skipped)."""
    months = pd.period_range(*CHANCE_MONTHS, freq="M")
    rates = []
    for campaign in campaigns:
        models = [m for m in data.campaigns[campaign]["models"] if m in alarms.index]
        hits = total = 0
        for month in months:
            window = [m for m in pd.period_range(month - LOOKBACK, month - 1, freq="M") if m in alarms.columns]
            s = scored.loc[models, window].to_numpy()
            if not s.any():
                continue
            total += 1
            hits += int((alarms.loc[models, window].to_numpy() & s).any())
        if total:
            rates.append(hits / total)
    return float(np.mean(rates)) if rates else None


def followed_by_recall(data: Data) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per model x month: is a recall of the model reported within FOLLOW_UP months after the month
    ends, and does that follow-up period end inside the recall data."""
    last = data.recall_pairs["date"].max()
    by_model = {m: np.sort(g["date"].to_numpy()) for m, g in data.recall_pairs.groupby("model")}
    followed = pd.DataFrame(False, index=data.counts.index, columns=data.counts.columns)
    complete = pd.Series({m: m.end_time.normalize() + pd.DateOffset(months=FOLLOW_UP) <= last
                          for m in data.counts.columns})
    starts = np.array([m.end_time.normalize().to_datetime64() for m in data.counts.columns])
    ends = np.array([(m.end_time.normalize() + pd.DateOffset(months=FOLLOW_UP)).to_datetime64()
                     for m in data.counts.columns])
    for model in data.counts.index:
        dates = by_model.get(model)
        if dates is None:
            continue
        # A recall in (end of month, end of month + FOLLOW_UP months]: count of dates in that interval.
        inside = np.searchsorted(dates, ends, side="right") - np.searchsorted(dates, starts, side="right")
        followed.loc[model] = inside > 0
    return followed, pd.DataFrame(np.broadcast_to(complete.to_numpy(), followed.shape),
                                  index=followed.index, columns=followed.columns)


def score(data: Data, label: str, alarms: pd.DataFrame, scored: pd.DataFrame, followed: pd.DataFrame,
          complete: pd.DataFrame, min_count: int, params: dict | None, skipped: dict | None = None) -> dict:
    alarms = alarms & scored & (data.counts >= min_count)
    k12 = capture(data, alarms, scored, data.k12)
    sw = capture(data, alarms, scored, data.sw)
    n_alarms = int(alarms.to_numpy().sum())
    n_followed = int((alarms & followed).to_numpy().sum())
    full = alarms & complete
    n_full = int(full.to_numpy().sum())
    n_full_followed = int((full & followed).to_numpy().sum())
    model_months = int(scored.to_numpy().sum())
    full_months = int((scored & complete).to_numpy().sum())

    def caught(cases):
        scored_cases = [c for c in cases.values() if c["scored"]]
        return sum(c["caught"] for c in scored_cases), len(scored_cases)

    k12_caught, k12_scored = caught(k12)
    sw_caught, sw_scored = caught(sw)
    leads = [c["lead_months"] for c in k12.values() if c["caught"]]
    sw_leads = [c["lead_months"] for c in sw.values() if c["caught"]]
    chance_k12 = chance(data, alarms, scored, data.k12)
    return {
        "method": label, "params": params, "series_scored": int(scored.any(axis=1).sum()),
        "model_months_scored": model_months, "series_notes": skipped or {},
        "k12_caught": k12_caught, "k12_scored": k12_scored,
        "k12_median_lead_months": float(np.median(leads)) if leads else None,
        "k12_mean_lead_days": float(np.mean([c["lead_days"] for c in k12.values() if c["caught"]])) if leads else None,
        "k12_chance": chance_k12,
        "k12_lift": (k12_caught / k12_scored) / chance_k12 if k12_scored and chance_k12 else None,
        "sw_caught": sw_caught, "sw_scored": sw_scored,
        "sw_median_lead_months": float(np.median(sw_leads)) if sw_leads else None,
        "alarms": n_alarms, "alarms_followed": n_followed,
        "precision": n_followed / n_alarms if n_alarms else None,
        "alarms_full_follow_up": n_full, "false_alarms_full_follow_up": n_full - n_full_followed,
        "precision_full_follow_up": n_full_followed / n_full if n_full else None,
        "false_alarms_per_100_model_months": (100 * (n_full - n_full_followed) / full_months) if full_months else None,
        "k12": k12, "sw": sw,
    }


def luck(data: Data, followed: pd.DataFrame, complete: pd.DataFrame, min_count: int) -> float:
    """Precision of alarms placed at random on model-months with at least min_count complaints."""
    eligible = (data.counts >= min_count) & complete
    return float((followed & eligible).to_numpy().sum() / eligible.to_numpy().sum())


# ---------------------------------------------------------------------------- output
def _f(value, fmt="{:.2f}", missing="-"):
    return missing if value is None else fmt.format(value)


def render(console: Console, results: dict) -> None:
    table = Table(title=f"Recall back-test: NHTSA Hyundai/Kia, {results['data']['months'][0]}..{results['data']['months'][1]}, "
                        f"{results['data']['models']} models (min count {results['min_count']}, burn-in {results['burn_in']} months)")
    for col, justify in (("method", "left"), ("series", "right"), ("K12 caught", "right"), ("lead (mo, median)", "right"),
                         ("chance", "right"), ("lift", "right"), ("SW caught", "right"), ("alarms", "right"),
                         ("precision", "right"), ("precision (full f-up)", "right"), ("false alarms (full f-up)", "right"),
                         ("FA / 100 model-months", "right")):
        table.add_column(col, justify=justify)
    for r in results["methods"]:
        if r["series_scored"] == 0:
            table.add_row(r["method"], "0", "not scored", "", "", "", "not scored", "", "", "", "",
                          "; ".join(r["series_notes"]) or "")
            continue
        table.add_row(
            r["method"], str(r["series_scored"]), f"{r['k12_caught']}/{r['k12_scored']}",
            _f(r["k12_median_lead_months"], "{:.1f}"), _f(r["k12_chance"]), _f(r["k12_lift"]),
            f"{r['sw_caught']}/{r['sw_scored']}", str(r["alarms"]), _f(r["precision"]),
            _f(r["precision_full_follow_up"]), str(r["false_alarms_full_follow_up"]),
            _f(r["false_alarms_per_100_model_months"]))
    console.print(table)
    console.print(f"luck level: {results['luck_precision']:.2f} of model-months with >= {results['min_count']} complaints "
                  f"(full follow-up) are followed by a recall of the model within {FOLLOW_UP} months")

    floor = Table(title=f"The same detectors with the baseline's floor: an alarm needs >= {B1_MIN} complaints")
    for col in ("method", "K12 caught", "lead (mo)", "chance", "SW caught", "alarms", "precision (full f-up)",
                "false alarms (full f-up)"):
        floor.add_column(col, justify="left" if col == "method" else "right")
    for r in results["methods_floor10"]:
        if r["series_scored"]:
            floor.add_row(r["method"], f"{r['k12_caught']}/{r['k12_scored']}", _f(r["k12_median_lead_months"], "{:.1f}"),
                          _f(r["k12_chance"]), f"{r['sw_caught']}/{r['sw_scored']}", str(r["alarms"]),
                          _f(r["precision_full_follow_up"]), str(r["false_alarms_full_follow_up"]))
    console.print(floor)
    console.print(f"luck level: {results['luck_precision_floor10']:.2f} of model-months with >= {B1_MIN} complaints "
                  f"(full follow-up) are followed by a recall within {FOLLOW_UP} months")

    per = Table(title="K12 campaigns: lead in months before the recall month (- not caught, n/s not scored)")
    per.add_column("campaign")
    per.add_column("type")
    per.add_column("recall")
    for r in results["methods"]:
        if r["series_scored"]:
            per.add_column(r["method"].replace("farrington ", "farr. "), justify="right")
    for campaign in results["k12"]:
        first = results["methods"][0]["k12"][campaign]
        cells = []
        for r in results["methods"]:
            if not r["series_scored"]:
                continue
            c = r["k12"][campaign]
            cells.append("n/s" if not c["scored"] else str(c["lead_months"]) if c["caught"] else "-")
        per.add_row(campaign, first["type"] or "", first["recall_date"], *cells)
    console.print(per)
    check = results["reproduction"]
    console.print(f"baseline reproduced from the counts: flags {check['flags_match']} (from counts alone "
                  f"{check['flags_from_counts_only_match']}); b1_eval_k12 rows {check['k12_rows_match']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help=f"folder holding {FOLDER}/ (or that folder itself)")
    parser.add_argument("--burn-in", type=int, default=B1_WINDOW,
                        help="months every method sees before it scores (default 6, the baseline's window)")
    parser.add_argument("--min-count", type=int, default=None,
                        help="complaints an alarm month needs in the source's tables (default: the scan's floor for months)")
    parser.add_argument("--method", action="append",
                        help="methods against the naive rule (repeat or comma-separate; 'scan' = the scan's "
                             "defaults; default: scan, glr-poisson, ears-c3, bursts)")
    parser.add_argument("--start", default=SCAN_START, help=f"first month alarms are scored (default {SCAN_START})")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="worker processes (default: up to 4 cores)")
    parser.add_argument("--no-source", action="store_true", help="skip the source's tables (K12, SW46)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    parser.add_argument("--markdown", action="store_true", help="print the scan-defaults section as markdown on stdout")
    args = parser.parse_args()
    console = Console(stderr=args.json or args.markdown, width=max(Console().width, 170))

    from defectradar.analyses.scan import ScanConfig

    config = ScanConfig()
    begun = time.perf_counter()
    folder = data_folder(args.data)
    data = load(folder)
    out = {"date": f"{datetime.now(timezone.utc):%Y-%m-%d}", "data": {"folder": str(folder), **data.notes}}
    if not args.no_source:
        out.update(source_tables(data, config, args, console))
    panel = scan_panel(data, args.start, data.recall_pairs)
    methods = [n.strip() for v in args.method or [] for n in v.split(",") if n.strip()] or None
    scan = run_all(panel, config, methods, args.burn_in, args.jobs, console)
    scan["seconds"] = round(time.perf_counter() - begun, 1)
    out["scan_defaults"] = scan
    title = (f"The scan's defaults vs the naive rule: NHTSA Hyundai/Kia, {panel.counts.shape[0]} models "
             f"(electrical/software complaints), alarms {panel.start}..{panel.end}")
    render_scan(console, title, scan)
    console.print(f"{panel.notes['units']} recall units (campaign x model), {panel.notes['units_counted']} counted "
                  f"({panel.notes['units_counted_without_series']} on models without complaint counts); "
                  f"run {scan['seconds']} s")
    if args.markdown:
        print(markdown(title, scan))
        print(f"Run: {scan['seconds']} s{'' if args.no_source else ' (with the source tables)'}, {args.jobs} worker "
              f"processes, {out['date']}.")
    if args.json:
        print(json.dumps(out, indent=1, default=str))


def source_tables(data: Data, config, args, console: Console) -> dict:
    """The source's evaluation (K12, SW46, false alarms) for the baseline and every detector."""
    min_count = evidence_floor(config) if args.min_count is None else args.min_count
    reproduction = reproduce_baseline(data)
    followed, complete = followed_by_recall(data)

    results = []
    flags, scored = b1_flags(data.counts, data.published_baseline)
    b1_params = {"multiple": B1_MULTIPLE, "min": B1_MIN, "window": B1_WINDOW}
    # The baseline's own floor of 10 applies; min_count is the detectors' floor.
    results.append(score(data, "b1 baseline (published)", flags, scored, followed, complete, 0, b1_params))
    flags, scored = b1_flags(data.counts, None)
    results.append(score(data, "b1 baseline (file only)", flags, scored, followed, complete, 0, b1_params))
    floor10 = []
    started = time.perf_counter()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("detectors", total=len(METHODS))
        for label, method, overrides in METHODS:
            bar.update(task, description=label)
            params = {**config.params.get(method, {}), **overrides}
            alarms, scored, skipped = detector_alarms(method, params, data.counts, args.burn_in)
            results.append(score(data, label, alarms, scored, followed, complete, min_count, params, skipped))
            floor10.append(score(data, label, alarms, scored, followed, complete, max(min_count, B1_MIN), params,
                                 skipped))
            bar.update(task, advance=1)
    out = {"burn_in": args.burn_in, "min_count": min_count, "lookback_months": LOOKBACK, "follow_up_months": FOLLOW_UP,
           "detector_seconds": round(time.perf_counter() - started, 2), "reproduction": reproduction,
           "luck_precision": luck(data, followed, complete, min_count),
           "luck_precision_floor10": luck(data, followed, complete, max(min_count, B1_MIN)), "k12": data.k12,
           "methods": results, "methods_floor10": floor10}
    render(console, {"data": data.notes, **out})
    return out


if __name__ == "__main__":
    sys.exit(main())
