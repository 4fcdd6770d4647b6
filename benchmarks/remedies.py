"""The remedies audit at scale: every device judged by the engine, against a one-rule pandas recount.

Usage::

    python benchmarks/remedies.py [--devices 100000] [--write-docs]

Generates seeded service histories (seed 2024) for ``--devices`` Xiaomi 12 phones sold in
China in 2022: each has 1-4 visits for one failure mode (battery or display) (repair 80 %, inspection 12 %,
refusal 8 %), 1-30 days out of service each, at uniform ages up to 500 days.  Then times, on
the same frame in the same process:

* **ours**: :func:`defectradar.remedies.audit.audit_histories`, every event judged against every
  provision of the China three-guarantees (plus the explanations, the shortfall rows and the
  counts);
* **peer**: the vectorised pandas recount of the single provision art. 13 ("a repair after two
  repairs of the same fault inside the year extended by days in repair") used by the tests.

The audit's lesser-remedy shortfalls must equal the recount (asserted): on this data no other
provision can make a repair fall short.  The ratio says what judging every rule with its
reasons costs over counting one rule.

Then **one long case**: a Xiaomi 11 with ``--long-case`` events (default 1,000; seeded), mostly
Wi-Fi repairs inside the three-guarantee period, judged and explained
(``judge_case(...).to_dict()``, what ``remedies check --json`` prints).  Each claim asks its
past through a shared index (:mod:`defectradar.remedies.history`), so the time should grow
about linearly; the sentences of art. 13 quote every earlier repair date, which no index can
make shorter.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent))
from defectradar.domain.catalog import builtin_catalog  # noqa: E402
from defectradar.remedies import builtin_rule_book, judge_case, parse_case  # noqa: E402
from defectradar.remedies.audit import audit_histories  # noqa: E402
from ingest import machine, write_docs  # noqa: E402  (the benchmarks share the machine and docs writer)

SEED = 2024
MODES = ("battery", "display")
ACTIONS, ACTION_P = ("repair", "inspect", "refused"), (0.80, 0.12, 0.08)


def histories(devices: int, rng: np.random.Generator) -> pd.DataFrame:
    visits = rng.integers(1, 5, devices)
    token = np.repeat(np.arange(devices), visits)
    purchase = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 365, devices), unit="D")
    ages = rng.integers(16, 500, len(token))      # after the 15-day windows: a repair is what is due
    frame = pd.DataFrame({
        "event_id": [f"e{i}" for i in range(len(token))], "device_token": [f"dev_{t}" for t in token],
        "product_id": "xiaomi-12", "purchase_date": purchase[token],
        "date": purchase[token] + pd.to_timedelta(ages, unit="D"),
        "failure_mode": np.asarray(MODES)[rng.integers(0, len(MODES), devices)[token]],   # one fault per device: repeats
        "action": np.asarray(ACTIONS)[rng.choice(3, len(token), p=ACTION_P)],
        "days_out_of_service": rng.integers(1, 31, len(token)).astype(float),
        "data_wiped": rng.random(len(token)) < 0.2, "region": "广东"})
    return frame.sort_values(["device_token", "date", "event_id"]).reset_index(drop=True)


def article_13_recount(events: pd.DataFrame) -> int:
    """Repairs after two earlier repairs of the same fault inside 12 months + earlier days out of service."""
    frame = events.copy()
    frame["days"] = frame["days_out_of_service"].fillna(0)
    frame["earlier_days"] = frame.groupby("device_token")["days"].cumsum() - frame["days"]
    frame["repair"] = (frame["action"] == "repair").astype(int)
    frame["earlier_repairs"] = frame.groupby(["device_token", "failure_mode"])["repair"].cumsum() - frame["repair"]
    end = frame["purchase_date"] + pd.DateOffset(months=12) + pd.to_timedelta(frame["earlier_days"], unit="D")
    return int(((frame["earlier_repairs"] >= 2) & (frame["date"] <= end) & (frame["action"] == "repair")).sum())


def long_case(events: int, book, catalog, rng: np.random.Generator) -> tuple[float, int]:
    """Seconds to judge and explain one case of ``events`` events, and its shortfalls."""
    purchase = pd.Timestamp("2021-10-20")
    days = np.sort(rng.integers(1, 365, events))
    kinds = rng.choice(["repair", "fault", "inspection", "exchange", "refused"], events, p=[0.7, 0.1, 0.1, 0.05, 0.05])
    raw = {"device": {"product": "xiaomi-11", "purchase_date": purchase.date().isoformat(), "jurisdiction": "CN"},
           "events": [{"date": (purchase + pd.Timedelta(days=int(d))).date().isoformat(), "type": str(k),
                       "failure_mode": "wifi", "days_out_of_service": int(rng.integers(0, 20))}
                      for d, k in zip(days, kinds)]}
    case = parse_case(raw, catalog, book.jurisdictions)
    start = time.perf_counter()
    judgement = judge_case(book, case, as_of=(purchase + pd.Timedelta(days=400)).date())
    judgement.to_dict()
    return time.perf_counter() - start, len(judgement.shortfalls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--long-case", type=int, default=1_000, help="Events in the one long case timed.")
    parser.add_argument("--write-docs", action="store_true", help="Write the result into docs/benchmarks.md.")
    args = parser.parse_args()
    console = Console(stderr=True)
    events = histories(args.devices, np.random.default_rng(SEED))
    book, catalog = builtin_rule_book(), builtin_catalog()
    console.print(f"{args.devices:,} devices, {len(events):,} events; judging ...")
    start = time.perf_counter()
    report = audit_histories(events, book, catalog, as_of=events["date"].max().date(), jurisdiction_default="CN",
                             period="quarter", progress=None)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    expected = article_13_recount(events)
    peer = time.perf_counter() - start
    assert report.by_kind["lesser_remedy"] == expected, (report.by_kind, expected)
    long_seconds, long_short = long_case(args.long_case, book, catalog, np.random.default_rng(SEED))
    section = (
        f"## Remedies audit (`make bench-remedies`), {datetime.now(timezone.utc):%Y-%m-%d}\n\n"
        f"Machine: {machine()}.\n\n"
        f"{args.devices:,} seeded Xiaomi 12 service histories, {len(events):,} events (China three-guarantees; "
        f"see `benchmarks/remedies.py`).\n\n"
        "| step | seconds | events/s | result |\n|---|---|---|---|\n"
        f"| ours: `audit_histories`, every provision, reasons and rows | {ours:.2f} | {len(events) / ours:,.0f} | "
        f"{report.shortfalls:,} shortfalls ({report.by_kind['lesser_remedy']:,} lesser, "
        f"{report.by_kind['refused']:,} refused) |\n"
        f"| peer: pandas recount of art. 13 alone | {peer:.2f} | {len(events) / peer:,.0f} | {expected:,} |\n"
        f"| one case of {args.long_case:,} events, judged and explained (`remedies check --json`) | "
        f"{long_seconds:.2f} | {args.long_case / long_seconds:,.0f} | {long_short:,} shortfalls |\n\n"
        f"Ours is {ours / peer:.0f}x the one-rule recount: the price of judging every provision per event "
        "with its reasons in one Python loop. The lesser-remedy counts agree exactly (asserted).\n\n")
    print(section)
    if args.write_docs:
        write_docs(section, "remedies")


if __name__ == "__main__":
    main()
