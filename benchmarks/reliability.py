"""Field reliability at scale: the Weibull fit, Kaplan-Meier and the MCF against peers, in one run.

Usage::

    python benchmarks/reliability.py [--scale 1.0] [--repeat 3] [--markdown FILE] [--write-docs] [--mcf-peer-devices N]

Generates seeded data (seed 2024) and times, on the same data in the same process:

1. **Weibull**, 1,000,000 units x ``--scale``: lifetimes Weibull(shape 2.2, scale 1,150 days),
   censored at a uniform age in service of 1-1,200 days (about 25 % fail), ages in whole days
   (``ceil``: the day of failure counts as age 1 at least).  Ours is
   ``LifetimeData.from_arrays`` + ``WeibullModel().fit``; the peer is lifelines'
   ``WeibullFitter().fit(T, E)``.  Again on the same units aggregated to (age, event, weight)
   rows, as the store feeds them (peer: lifelines with ``weights=``).  The estimates must agree
   to 1e-4 relative (asserted).
2. **Kaplan-Meier** on the same units: ``KaplanMeier().fit`` against lifelines'
   ``KaplanMeierFitter``; survival at every distinct age must agree to 1e-9 (asserted).
3. **MCF**, 1,000,000 devices and 3,000,000 repairs x ``--scale``: each device observed to a
   uniform 30-730 days, repairs shared out multinomially in proportion to its observation (a
   Poisson process given the total), at uniform whole-day ages in (0, end].  Ours is
   ``RecurrenceData.from_arrays`` on (unit, age, event) rows with integer unit ids (the CLI/file
   path; one end-of-observation row per device) or ``RecurrenceData.from_units`` (the store's
   path), then ``MeanCumulativeFunction().fit``.  The peer, :func:`pandas_mcf`, is the textbook
   definition written straightforwardly; MCF and se must agree to 1e-9 relative (asserted).

Each step is the best of up to ``--repeat`` runs, stopping early once a step has used 20 s
(so slow peers run once).  Peak memory of each of ours is the tracemalloc peak of one extra
run (numpy and pandas buffers included; inputs allocated before the step are not counted).
Targets (issue 5): Weibull fit under 2 s, MCF under 5 s on the full sizes.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import machine, write_docs  # noqa: E402  (the benchmarks share the machine and docs writer)

SEED = 2024
SHAPE, SCALE, CENSOR_MAX = 2.2, 1150.0, 1200
UNITS, DEVICES, REPAIRS = 1_000_000, 1_000_000, 3_000_000
WEIBULL_TARGET_S, MCF_TARGET_S = 2.0, 5.0
BUDGET_S = 20.0


# ---------------------------------------------------------------------------- data
def lifetimes(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    life = np.ceil(SCALE * rng.weibull(SHAPE, n))
    seen = rng.integers(1, CENSOR_MAX + 1, n).astype(float)      # age in service when the data was pulled
    return np.minimum(life, seen), life <= seen


def repairs(n_devices: int, n_repairs: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    end = rng.integers(30, 731, n_devices).astype(float)
    per_device = rng.multinomial(n_repairs, end / end.sum())
    event_unit = np.repeat(np.arange(n_devices), per_device)
    event_time = np.ceil(rng.random(n_repairs) * end[event_unit])      # whole days in 1..end
    event_time = np.maximum(event_time, 1.0)
    return end, event_unit, event_time


# ---------------------------------------------------------------------------- the peer MCF
def pandas_mcf(end: np.ndarray, event_unit: np.ndarray, event_time: np.ndarray) -> pd.DataFrame:
    r"""Nelson's MCF with the Lawless-Nadeau variance, evaluated as written.

    :math:`r_k = \#\{i: e_i \ge t_k\}` by comparing every end with each distinct repair age,
    :math:`d_k` and :math:`n_{ik}` by ``groupby``, :math:`M = \mathrm{cumsum}(d_k/r_k)` and
    :math:`\mathrm{Var}(t_k) = \sum_i B_i(t_k)^2` with each unit's bracket
    :math:`B_i(t_k) = \sum_{l\le k}\delta_i(t_l)(n_{il} - d_l/r_l)/r_l` updated over all units at
    every repair age: O(units x repair ages).
    """
    events = pd.DataFrame({"unit": event_unit, "time": event_time})
    d = events.groupby("time").size()
    n_ik = events.groupby(["time", "unit"]).size()
    ik_time = n_ik.index.get_level_values("time").to_numpy()
    ik_unit = n_ik.index.get_level_values("unit").to_numpy()
    ik_count = n_ik.to_numpy().astype(float)
    bounds = np.searchsorted(ik_time, d.index.to_numpy(), side="left").tolist() + [len(ik_time)]
    bracket = np.zeros(len(end))
    rows = []
    for k, (t, d_k) in enumerate(d.items()):
        at_risk = end >= t
        r_k = int(at_risk.sum())
        bracket -= at_risk * (d_k / r_k / r_k)
        here = slice(bounds[k], bounds[k + 1])
        bracket[ik_unit[here]] += ik_count[here] / r_k
        rows.append((t, r_k, d_k, d_k / r_k, float(np.dot(bracket, bracket))))
    frame = pd.DataFrame(rows, columns=["time", "at_risk", "events", "increment", "variance"])
    frame["mcf"] = frame["increment"].cumsum()
    frame["se"] = np.sqrt(frame["variance"])
    return frame


# ---------------------------------------------------------------------------- timing
class Timer:
    """Best of up to ``repeat`` runs per step, stopping once a step has used ``BUDGET_S``."""

    def __init__(self, bar, task, repeat: int):
        self.bar, self.task, self.repeat = bar, task, repeat
        self.seconds: dict[str, float] = {}
        self.runs: dict[str, int] = {}
        self.peak_mb: dict[str, float] = {}

    def run(self, name: str, fn, *args, memory: bool = False):
        self.bar.update(self.task, description=name)
        times: list[float] = []
        while len(times) < self.repeat and sum(times) < BUDGET_S:
            started = time.perf_counter()
            result = fn(*args)
            times.append(time.perf_counter() - started)
        self.seconds[name], self.runs[name] = min(times), len(times)
        if memory:
            tracemalloc.start()
            fn(*args)
            self.peak_mb[name] = tracemalloc.get_traced_memory()[1] / 2 ** 20
            tracemalloc.stop()
        self.bar.update(self.task, advance=1)
        return result


def _close(a, b, rtol: float, what: str) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    worst = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))) if len(a) else 0.0
    assert a.shape == b.shape and worst <= rtol, f"{what}: ours and the peer differ by {worst:.2e} relative"
    return worst


# ---------------------------------------------------------------------------- the benchmark
def bench(args, console: Console) -> dict:
    from lifelines import KaplanMeierFitter, WeibullFitter  # imported before any timing (~1 s)

    from defectradar import reliability as rel

    rng = np.random.default_rng(SEED)
    n_units, n_devices, n_repairs = (max(int(round(x * args.scale)), 100) for x in (UNITS, DEVICES, REPAIRS))
    t, e = lifetimes(n_units, rng)
    end, ev_unit, ev_time = repairs(n_devices, n_repairs, rng)
    # The file layout: one row per repair and one end-of-observation row per device, sorted by device.
    unit = np.concatenate([ev_unit, np.arange(n_devices)])
    order = np.argsort(unit, kind="stable")
    flags = np.concatenate([np.ones(n_repairs), np.zeros(n_devices)])
    rows = (unit[order], np.concatenate([ev_time, end])[order], flags[order])
    grouped = pd.DataFrame({"t": t, "e": e}).groupby(["t", "e"]).size().reset_index(name="w")
    peer_devices = min(args.mcf_peer_devices or n_devices, n_devices)

    out: dict = {"n_units": n_units, "n_devices": n_devices, "n_repairs": n_repairs, "failed": float(e.mean()),
                 "aggregated_rows": len(grouped), "peer_devices": peer_devices}
    with Progress(TextColumn("{task.description:<46}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console) as bar:
        timer = Timer(bar, bar.add_task("timing", total=13 if peer_devices < n_devices else 11), args.repeat)
        data = timer.run("weibull: LifetimeData.from_arrays", rel.LifetimeData.from_arrays, t, e, memory=True)
        ours = timer.run("weibull: WeibullModel.fit", rel.WeibullModel().fit, data, memory=True)
        lifelines = timer.run("weibull: lifelines WeibullFitter.fit", WeibullFitter().fit, t, e)
        out["weibull"] = {"ours": (ours.shape_, ours.scale_), "lifelines": (lifelines.rho_, lifelines.lambda_),
                          "rel": _close([ours.shape_, ours.scale_], [lifelines.rho_, lifelines.lambda_], 1e-4,
                                        "Weibull (shape, scale)")}
        ours_agg = timer.run("weibull, aggregated: from_arrays + fit", lambda: rel.WeibullModel().fit(
            rel.LifetimeData.from_arrays(grouped["t"], grouped["e"], grouped["w"])), memory=True)
        peer_agg = timer.run("weibull, aggregated: lifelines (weights=)",
                             lambda: WeibullFitter().fit(grouped["t"], grouped["e"], weights=grouped["w"]))
        out["weibull_aggregated"] = {
            "ours": (ours_agg.shape_, ours_agg.scale_), "lifelines": (peer_agg.rho_, peer_agg.lambda_),
            "rel_to_unit_rows": _close([ours_agg.shape_, ours_agg.scale_], [ours.shape_, ours.scale_], 1e-9,
                                       "Weibull aggregated vs unit rows"),
            "rel": _close([ours_agg.shape_, ours_agg.scale_], [peer_agg.rho_, peer_agg.lambda_], 1e-4,
                          "Weibull aggregated (shape, scale)")}

        km = timer.run("kaplan-meier: KaplanMeier.fit", rel.KaplanMeier().fit, data, memory=True)
        kmf = timer.run("kaplan-meier: lifelines KaplanMeierFitter.fit", KaplanMeierFitter().fit, t, e)
        times = km.table_["time"].to_numpy()
        theirs = kmf.survival_function_["KM_estimate"].reindex(times).to_numpy()
        out["km"] = {"ages": len(times), "abs": float(np.max(np.abs(km.table_["survival"].to_numpy() - theirs)))}
        assert out["km"]["abs"] <= 1e-9, f"Kaplan-Meier survival differs by {out['km']['abs']:.2e}"

        rec = timer.run("mcf: RecurrenceData.from_arrays (file rows)", rel.RecurrenceData.from_arrays, *rows,
                        memory=True)
        timer.run("mcf: RecurrenceData.from_units", rel.RecurrenceData.from_units, end, ev_unit, ev_time, memory=True)
        mcf = timer.run("mcf: MeanCumulativeFunction.fit", rel.MeanCumulativeFunction().fit, rec, memory=True)
        sub = ev_unit < peer_devices             # devices are exchangeable: the first N are a random sample
        sub_args = (end[:peer_devices], ev_unit[sub], ev_time[sub])
        if peer_devices < n_devices:
            sub_rec = timer.run(f"mcf, {peer_devices:,} devices: from_units", rel.RecurrenceData.from_units, *sub_args)
            mcf = timer.run(f"mcf, {peer_devices:,} devices: fit", rel.MeanCumulativeFunction().fit, sub_rec)
        peer = timer.run(f"mcf{'' if peer_devices == n_devices else f', {peer_devices:,} devices'}: pandas textbook",
                         pandas_mcf, *sub_args)
        mine = mcf.table_
        _close(mine["at_risk"], peer["at_risk"], 0, "MCF units at risk")
        out["mcf"] = {"repair_ages": len(mine), "peer_repairs": int(sub.sum()),
                      "mcf_rel": _close(mine["mcf"], peer["mcf"], 1e-9, "MCF"),
                      "se_rel": _close(mine["se"], peer["se"], 1e-9, "MCF se"),
                      "mcf_end": float(mine["mcf"].iloc[-1])}
    out.update(seconds=timer.seconds, runs=timer.runs, peak_mb=timer.peak_mb,
               process_peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


# ---------------------------------------------------------------------------- report
def steps(r: dict) -> list[tuple]:
    """(step, ours s, peer s, target s, ours peak MB) for the table and the markdown."""
    s, mem = r["seconds"], r["peak_mb"]
    w_ours = s["weibull: LifetimeData.from_arrays"] + s["weibull: WeibullModel.fit"]
    full = r["peer_devices"] == r["n_devices"]
    fit_key = "mcf: MeanCumulativeFunction.fit" if full else f"mcf, {r['peer_devices']:,} devices: fit"
    peer_key = next(k for k in s if k.endswith("pandas textbook"))
    sub_ours = s[fit_key] + (s["mcf: RecurrenceData.from_units"] if full
                             else s[f"mcf, {r['peer_devices']:,} devices: from_units"])
    n, dev, rep = f"{r['n_units']:,}", f"{r['n_devices']:,}", f"{r['n_repairs']:,}"
    table = [
        (f"Weibull, {n} unit rows: `LifetimeData.from_arrays`", s["weibull: LifetimeData.from_arrays"], None, None,
         mem["weibull: LifetimeData.from_arrays"]),
        ("Weibull: `WeibullModel.fit`", s["weibull: WeibullModel.fit"], None, None, mem["weibull: WeibullModel.fit"]),
        ("**Weibull total** vs lifelines `WeibullFitter.fit(T, E)`", w_ours, s["weibull: lifelines WeibullFitter.fit"],
         WEIBULL_TARGET_S, None),
        (f"Weibull, {r['aggregated_rows']:,} (age, event, weight) rows vs lifelines `weights=`",
         s["weibull, aggregated: from_arrays + fit"], s["weibull, aggregated: lifelines (weights=)"],
         WEIBULL_TARGET_S, mem["weibull, aggregated: from_arrays + fit"]),
        (f"Kaplan-Meier, {n} units (fit) vs lifelines `KaplanMeierFitter`", s["kaplan-meier: KaplanMeier.fit"],
         s["kaplan-meier: lifelines KaplanMeierFitter.fit"], None, mem["kaplan-meier: KaplanMeier.fit"]),
        (f"MCF, {dev} devices / {rep} repairs: `RecurrenceData.from_arrays` ({r['n_devices'] + r['n_repairs']:,} "
         "file rows)", s["mcf: RecurrenceData.from_arrays (file rows)"], None, None,
         mem["mcf: RecurrenceData.from_arrays (file rows)"]),
        ("MCF: `RecurrenceData.from_units` (store path)", s["mcf: RecurrenceData.from_units"], None, None,
         mem["mcf: RecurrenceData.from_units"]),
        ("MCF: `MeanCumulativeFunction.fit`", s["mcf: MeanCumulativeFunction.fit"], None, None,
         mem["mcf: MeanCumulativeFunction.fit"]),
        ("**MCF total, file path** (from_arrays + fit)", s["mcf: RecurrenceData.from_arrays (file rows)"]
         + s["mcf: MeanCumulativeFunction.fit"], None, MCF_TARGET_S, None),
        ("**MCF total, store path** (from_units + fit) vs pandas textbook" + ("" if full else
         f" ({r['peer_devices']:,} devices, both)"), sub_ours, s[peer_key], MCF_TARGET_S if full else None, None),
    ]
    if (r["n_units"], r["n_devices"], r["n_repairs"]) != (UNITS, DEVICES, REPAIRS):
        table = [(name, ours, peer, None, mem) for name, ours, peer, _, mem in table]   # targets are for full sizes
    return table


def _fmt(x, digits=3):
    return "" if x is None else f"{x:.{digits if digits or x >= 10 else 1}f}"


def _ratio(ours: float, peer: float | None) -> str:
    return "" if peer is None else f"{peer / ours:.{0 if peer / ours >= 10 else 1}f}x"


def render(console: Console, r: dict) -> None:
    table = Table(title=f"defectradar reliability (seed {SEED}; best of up to the repeat count, 20 s budget a step)")
    for col, justify in (("step", "left"), ("ours s", "right"), ("peer s", "right"), ("peer / ours", "right"),
                         ("target", "right"), ("met?", "left"), ("ours peak MB", "right")):
        table.add_column(col, justify=justify)
    for name, ours, peer, target, mem in steps(r):
        met = "" if target is None else ("[green]yes[/]" if ours < target else "[red]NO[/]")
        table.add_row(name.replace("**", ""), _fmt(ours), _fmt(peer), _ratio(ours, peer),
                      "" if target is None else f"< {target:g} s", met, _fmt(mem, 0))
    console.print(table)
    console.print(*findings(r), sep="\n\n")


def findings(r: dict) -> list[str]:
    """The agreement checks and the targets, in words (printed and written to the markdown)."""
    w, wa, m, s = r["weibull"], r["weibull_aggregated"], r["mcf"], r["seconds"]
    sub = "" if r["peer_devices"] == r["n_devices"] else (f" (on the first {r['peer_devices']:,} devices, "
                                                          f"{m['peer_repairs']:,} repairs, which both ran)")
    weibull_s = s["weibull: LifetimeData.from_arrays"] + s["weibull: WeibullModel.fit"]
    mcf_file = s["mcf: RecurrenceData.from_arrays (file rows)"] + s["mcf: MeanCumulativeFunction.fit"]
    mcf_store = s["mcf: RecurrenceData.from_units"] + s["mcf: MeanCumulativeFunction.fit"]
    full = (r["n_units"], r["n_devices"], r["n_repairs"]) == (UNITS, DEVICES, REPAIRS)
    said = lambda ok: ("met" if ok else "**not met**") if full else "not judged (not the full sizes)"  # noqa: E731
    return [
        f"Agreement: Weibull shape / scale ours {w['ours'][0]:.6f} / {w['ours'][1]:.3f}, lifelines "
        f"{w['lifelines'][0]:.6f} / {w['lifelines'][1]:.3f} (max relative difference {w['rel']:.1e}; the aggregated "
        f"fit equals the unit-row fit to {wa['rel_to_unit_rows']:.0e}, lifelines' weighted fit to {wa['rel']:.0e}); "
        f"Kaplan-Meier survival at all {r['km']['ages']:,} ages within {r['km']['abs']:.0e} of lifelines; MCF and "
        f"se at all {m['repair_ages']} repair ages within {max(m['mcf_rel'], m['se_rel']):.0e} relative of the "
        f"pandas textbook implementation{sub} (MCF at the last age {m['mcf_end']:.4f} repairs per device).",
        f"Against the targets of issue 5: **Weibull fit under {WEIBULL_TARGET_S:g} s: {said(weibull_s < 2)}** "
        f"({weibull_s:.3f} s from {r['n_units']:,} unit rows, {s['weibull, aggregated: from_arrays + fit']:.3f} s "
        f"from aggregated rows); **MCF under {MCF_TARGET_S:g} s: {said(max(mcf_file, mcf_store) < 5)}** "
        f"({mcf_store:.3f} s from indexed arrays, {mcf_file:.3f} s from file rows with integer unit ids).",
    ]


def markdown(r: dict, command: str, load: tuple) -> str:
    import lifelines

    lines = [
        "<!-- reliability:start -->",
        f"## Field reliability at scale (`{command}`), {datetime.now(timezone.utc):%Y-%m-%d}", "",
        f"Machine: {machine()}; numpy {np.__version__}, pandas {pd.__version__}, lifelines {lifelines.__version__}. "
        f"Load average before the run {load[0]:.2f}.",
        f"Seeded data (seed {SEED}): {r['n_units']:,} lifetimes Weibull(shape {SHAPE}, scale {SCALE:,.0f} days), "
        f"censored at a uniform 1-{CENSOR_MAX:,} days in service, whole-day ages ({r['failed']:.1%} failed); "
        f"{r['n_devices']:,} devices observed 30-730 days with {r['n_repairs']:,} repairs at whole-day ages "
        f"({r['mcf']['repair_ages']} distinct). Each figure is the best of up to 3 runs (one run when a step "
        "takes over 20 s), same process, same data; peak MB is the tracemalloc peak of the step (the whole "
        f"process, data included, peaked at {r['process_peak_mb']:,.0f} MB resident). The (age, event, weight) "
        "rows are grouped beforehand, as the store's query returns them.", "",
        "| step | ours s | peer s | peer / ours | target | met | ours peak MB |",
        "|---|---:|---:|---:|---:|---|---:|"]
    for name, ours, peer, target, mem in steps(r):
        lines.append(f"| {name} | {ours:.3f} | {_fmt(peer)} | {_ratio(ours, peer)} | "
                     f"{'' if target is None else f'< {target:g} s'} | "
                     f"{'' if target is None else ('yes' if ours < target else '**no**')} | {_fmt(mem, 0)} |")
    return "\n".join(lines + [""] + [f"{line}\n" for line in findings(r)] + ["<!-- reliability:end -->", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes (default 1.0)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step at most; the fastest is reported")
    parser.add_argument("--mcf-peer-devices", type=int, help="run the pandas MCF peer (and ours again) on this "
                        "many devices only (default: all)")
    parser.add_argument("--markdown", help="also write the results section (markdown) to this file")
    parser.add_argument("--write-docs", action="store_true", help="replace the reliability section of "
                        "docs/benchmarks.md with these results")
    args = parser.parse_args()
    console = Console(width=None if sys.stdout.isatty() else 160)
    load = os.getloadavg()
    results = bench(args, console)
    render(console, results)
    if args.markdown:
        command = "python benchmarks/reliability.py" + ("" if args.scale == 1.0 else f" --scale {args.scale:g}")
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text(markdown(results, command, load), encoding="utf-8")
        console.print(f"wrote {args.markdown}")
    if args.write_docs:
        command = "python benchmarks/reliability.py" + ("" if args.scale == 1.0 else f" --scale {args.scale:g}")
        section = markdown(results, command, load)
        inner = section.split("<!-- reliability:start -->\n", 1)[1].split("<!-- reliability:end -->", 1)[0]
        write_docs(inner, marker="reliability")
        console.print("updated docs/benchmarks.md")


if __name__ == "__main__":
    main()
