"""How defectradar grows with the data, on DuckDB and on Spark local mode.

For each size (default 1M, 10M and 100M synthetic reports) this builds a store, exports it to
Parquet, and times, each step in its own process with its peak memory (the resident set of the
step's whole process tree, Spark's JVM included, sampled every 0.2 s):

``store``        synthetic reports appended to a new store (generated inside DuckDB in one
                 streamed INSERT: never all in Python memory), with monthly sales
``export``       ``defectradar export parquet``: the tables Spark reads
``groupby``      a bare DuckDB group-by over the same rows (report x mode x week counts): the
                 floor a scan cannot beat
``scan``         ``signals scan`` as the CLI runs it (every configured detector, exposure, the
                 evidence rules), on DuckDB, and on Spark over the export (``--backend pyspark``)
``disprop``      disproportionality alone (pair counts, PRR/ROR/IC/EBGM) on each engine

and fits the growth exponent of each step (slope of log time on log size; 1 is linear).
Targets (issue 17): exponent <= 1.1 on both engines; the DuckDB scan within 10x of the bare
group-by.  From Spark's measured throughput per core it estimates the cluster size for 10
billion reports in under 10 minutes (docs/scaling.md).

The synthetic world: 200 products (Zipf popularity), 30 failure modes, 1-3 modes a report,
104 weeks with complaints growing as units enter service, one pair surging in the last 6 weeks.

    python benchmarks/scale.py                          # 1M, 10M, 100M on both engines
    python benchmarks/scale.py --sizes 1e6,1e7 --engines duckdb --write-docs
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest  # noqa: E402  (the benchmarks share one machine description and docs writer)
from ingest import machine  # noqa: E402

WORK = Path(__file__).resolve().parent / ".work" / "scale"
START = date(2024, 1, 1)
WEEKS = 104
N_PRODUCTS, N_MODES = 200, 30
AS_OF = "2025-12-28"            # the last day of the 104 weeks
SPARK_CONFIG = {"spark.driver.memory": os.environ.get("BENCH_SPARK_DRIVER_MEMORY", "6g")}
TARGET_EXPONENT = 1.1
TARGET_SCAN_VS_GROUPBY = 10.0
CLUSTER_TARGET_REPORTS, CLUSTER_TARGET_S = 10_000_000_000, 600.0


# ---------------------------------------------------------------------------- steps (run in a child)
def _store(folder: Path):
    from defectradar.config import load_settings
    from defectradar.store.connect import Store

    os.environ.setdefault("DEFECTRADAR_KEY_DIR", str(folder / "keys"))
    settings = load_settings(db=str(folder / "store.duckdb"), memory_limit="8GB")
    return Store(settings.db, settings)


def step_store(folder: Path, n: int) -> dict:
    """Append ``n`` synthetic reports in one streamed INSERT ... SELECT FROM range(n)."""
    import duckdb

    store = _store(folder)
    store.migrate()
    seconds = WEEKS * 7 * 86_400
    con = duckdb.connect(str(store.path), config={"memory_limit": "8GB"})
    try:
        con.execute("SELECT setseed(0.17)")
        # Product: Zipf-like via a power of a uniform; time: density growing with time on sale
        # (sqrt of a uniform); modes: 1-3 (80/17/3 %), the first Zipf-like; p001/m05 surges late.
        con.execute(f"""
            INSERT INTO reports (report_id, source, source_type, source_id, created_at, text, product_raw,
                                 product_id, failure_modes, label_source, confidence, ingest_run, ingested_at)
            SELECT md5('scale:' || i), 'bench', 'synthetic', i::VARCHAR, ts, 'synthetic complaint', p, p,
                   CASE WHEN p = 'p001' AND ts >= TIMESTAMP '{START}' + INTERVAL {seconds - 6 * 7 * 86_400} SECOND
                             AND u3 < 0.3 THEN ['m05']
                        ELSE list_distinct(list_filter([m1, CASE WHEN k >= 2 THEN m2 END, CASE WHEN k >= 3 THEN m3 END],
                                                       lambda x: x IS NOT NULL)) END,
                   'rule', 1.0, 'bench-run', TIMESTAMP '2026-01-01 00:00:00'
            FROM (
                SELECT i, 'p' || lpad(CAST(floor({N_PRODUCTS} * pow(random(), 2.5)) AS INTEGER)::VARCHAR, 3, '0') AS p,
                       TIMESTAMP '{START}' + to_seconds(CAST(floor(sqrt(random()) * {seconds}) AS BIGINT)) AS ts,
                       'm' || lpad(CAST(floor({N_MODES} * pow(random(), 1.8)) AS INTEGER)::VARCHAR, 2, '0') AS m1,
                       'm' || lpad(CAST(floor({N_MODES} * random()) AS INTEGER)::VARCHAR, 2, '0') AS m2,
                       'm' || lpad(CAST(floor({N_MODES} * random()) AS INTEGER)::VARCHAR, 2, '0') AS m3,
                       CASE WHEN r < 0.03 THEN 3 WHEN r < 0.20 THEN 2 ELSE 1 END AS k, u3
                FROM (SELECT range AS i, random() AS r, random() AS u3 FROM range({n}))
            )""")
        # Units sold per product and month, in proportion to its share of the complaints.
        con.execute(f"""
            INSERT INTO sales (sales_id, product_raw, product_id, month, units, source, ingest_run, ingested_at)
            SELECT md5(p || m::VARCHAR), p, p, m, greatest(1, CAST({n} / 50 * pow(1.0 / (q + 1), 1.4) AS BIGINT)),
                   'bench', 'bench-run', TIMESTAMP '2026-01-01 00:00:00'
            FROM (SELECT range AS q, 'p' || lpad(range::VARCHAR, 3, '0') AS p FROM range({N_PRODUCTS})),
                 (SELECT CAST(d AS DATE) AS m FROM range(DATE '{START}', DATE '{START}' + INTERVAL {WEEKS} WEEK,
                                                       INTERVAL 1 MONTH) t(d))""")
        con.execute("CHECKPOINT")
        rows = con.execute("SELECT count(*) FROM reports").fetchall()[0][0]
    finally:
        con.close()
    store.migrate()          # the derived views, compiled from their Ibis definitions
    return {"rows": int(rows)}


def step_export(folder: Path, n: int) -> dict:
    from defectradar.store.export import export_parquet

    result = export_parquet(_store(folder), folder / "export", replace=True)
    return {"rows": result.tables["reports"]}


def step_groupby(folder: Path, n: int) -> dict:
    import duckdb

    con = duckdb.connect(str(folder / "store.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT count(*) FROM (SELECT product_id, m, date_trunc('week', created_at) AS w, "
                           "count(*) FROM (SELECT product_id, created_at, unnest(failure_modes) AS m FROM reports) "
                           "GROUP BY ALL)").fetchall()[0][0]
    finally:
        con.close()
    return {"groups": int(rows)}


def _source(folder: Path, engine: str):
    if engine == "duckdb":
        return _store(folder), None
    from defectradar.backends.pyspark import PySparkBackend

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    cores = os.environ.get("BENCH_SPARK_CORES", "*")
    spark = PySparkBackend(str(folder / "export"), master=f"local[{cores}]", config=SPARK_CONFIG)
    return spark, spark


def step_scan(folder: Path, n: int, engine: str) -> dict:
    from defectradar.analyses.scan import ScanConfig, scan

    source, spark = _source(folder, engine)
    try:
        started = time.perf_counter()
        result = scan(source, AS_OF, ScanConfig())
        seconds = time.perf_counter() - started
    finally:
        if spark is not None:
            spark.close()
    return {"signals": len(result.signals), "series": result.series_scanned, "pairs": result.pairs_scanned,
            "inner_s": seconds}


def step_disprop(folder: Path, n: int, engine: str) -> dict:
    from defectradar.analyses.scan import disproportionality_signals, pair_counts
    from defectradar.signals.signal_rules import SignalRules

    source, spark = _source(folder, engine)
    try:
        started = time.perf_counter()
        if engine == "duckdb":
            with source.reader() as con:
                counts = pair_counts(con, date.fromisoformat(AS_OF))
                signals = disproportionality_signals(con, date.fromisoformat(AS_OF), SignalRules(), counts)
        else:
            counts = pair_counts(source, date.fromisoformat(AS_OF))
            signals = disproportionality_signals(source, date.fromisoformat(AS_OF), SignalRules(), counts)
        seconds = time.perf_counter() - started
    finally:
        if spark is not None:
            spark.close()
    return {"pairs": len(counts), "signals": len(signals), "inner_s": seconds}


STEPS = {"store": step_store, "export": step_export, "groupby": step_groupby, "scan": step_scan,
         "disprop": step_disprop}


# ---------------------------------------------------------------------------- measuring a child
def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and every descendant (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(c) for c in children)
        except (OSError, ValueError):
            continue
    return total


def run_step(step: str, folder: Path, n: int, engine: str | None) -> dict:
    """Run one step in a child process; wall time and the peak resident memory of its tree."""
    command = [sys.executable, __file__, "--child", step, "--folder", str(folder), "--n", str(n)]
    if engine:
        command += ["--engine", engine]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(child.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = child.communicate()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"step {step} ({engine or '-'}, {n:,}) failed with exit code {child.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    return {**result, "seconds": seconds, "peak_mb": peak / 1e6}


# ---------------------------------------------------------------------------- the run
def exponent(sizes: list[int], seconds: list[float]) -> float | None:
    """Slope of log(seconds) on log(size): 1.0 is linear growth."""
    if len(sizes) < 2:
        return None
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def measure(sizes: list[int], engines: list[str], console: Console, results: dict | None = None) -> dict:
    """Measure each size; ``results`` holds earlier sizes to keep (``--merge``).

    The results so far are written to ``results.json`` after every step, so a long run (100M on
    Spark takes a while on two cores) that is stopped keeps what it measured.
    """
    results = dict(results or {})
    for n in sizes:
        folder = WORK / f"{n}"
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / "built.json"
        row: dict[str, dict] = dict(results.get(str(n), {}))
        if marker.exists() and json.loads(marker.read_text()).get("n") == n:
            row.update(json.loads(marker.read_text())["steps"])
            console.print(f"[dim]{n:,}: reusing the store in {folder}[/]")
        else:
            for leftover in ("store.duckdb", "store.duckdb.wal"):
                (folder / leftover).unlink(missing_ok=True)
            for step in ("store", "export"):
                console.print(f"{n:,}: {step} …")
                row[step] = run_step(step, folder, n, None)
                _save_partial(results, n, row)
            marker.write_text(json.dumps({"n": n, "steps": row}))
        console.print(f"{n:,}: groupby …")
        row["groupby"] = run_step("groupby", folder, n, None)
        _save_partial(results, n, row)
        for engine in engines:
            for step in ("scan", "disprop"):
                console.print(f"{n:,}: {step} on {engine} …")
                row[f"{step}_{engine}"] = run_step(step, folder, n, engine)
                _save_partial(results, n, row)
        results[str(n)] = row
        console.print(_table(results))
    return results


def _save_partial(results: dict, n: int, row: dict) -> None:
    snapshot = {**results, str(n): row}
    (WORK / "results.partial.json").write_text(json.dumps({"results": snapshot}, indent=1))


def summarise(results: dict) -> dict:
    sizes = sorted(int(n) for n in results)
    steps = sorted({k for row in results.values() for k in row})
    exponents = {}
    for step in steps:
        have = [n for n in sizes if step in results[str(n)]]
        exponents[step] = exponent(have, [results[str(n)][step]["seconds"] for n in have])
    # Over the largest two sizes too: fixed per-series and per-query costs flatten the fit over
    # every size, and the growth that matters for a bigger store is the top range's.
    top = {}
    for step in steps:
        have = [n for n in sizes if step in results[str(n)]][-2:]
        top[step] = exponent(have, [results[str(n)][step]["seconds"] for n in have]) if len(have) == 2 else None
    ratios = {str(n): results[str(n)]["scan_duckdb"]["seconds"] / results[str(n)]["groupby"]["seconds"]
              for n in sizes if "scan_duckdb" in results[str(n)]}
    summary = {"exponents": exponents, "exponents_top": top, "scan_vs_groupby": ratios}
    spark_sizes = [n for n in sizes if "scan_pyspark" in results[str(n)]]
    if spark_sizes:
        n = max(spark_sizes)
        cores = int(os.environ.get("BENCH_SPARK_CORES", "0") or 0) or os.cpu_count() or 1
        per_core = n / results[str(n)]["scan_pyspark"]["seconds"] / cores
        summary["spark_reports_per_core_s"] = per_core
        summary["cores_for_10b_in_10min"] = int(np.ceil(CLUSTER_TARGET_REPORTS / CLUSTER_TARGET_S / per_core))
        summary["spark_cores_measured"] = cores
    return summary


def _table(results: dict) -> Table:
    table = Table("reports", "step", "seconds", "peak MB", "detail", title="scale")
    for n, row in results.items():
        for step, r in row.items():
            detail = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v:.1f}"
                               for k, v in r.items() if k not in ("seconds", "peak_mb"))
            table.add_row(f"{int(n):,}", step, f"{r['seconds']:.1f}", f"{r['peak_mb']:,.0f}", detail)
    return table


def render_markdown(results: dict, summary: dict, meta: dict) -> str:
    sizes = sorted(int(n) for n in results)
    steps = [s for s in ("store", "export", "groupby", "scan_duckdb", "disprop_duckdb", "scan_pyspark",
                         "disprop_pyspark") if any(s in results[str(n)] for n in sizes)]
    lines = [f"Measured {meta['date']} on {meta['machine']}; `python benchmarks/scale.py "
             f"--sizes {','.join(f'{n:.0e}' for n in sizes)} --engines {','.join(meta['engines'])}`.", "",
             *([f"Kept from an earlier run of {meta['merged_from']['date']} (`--merge`; say in the text if the code changed between): sizes "
                f"{', '.join(f'{n:,}' for n in meta['merged_from']['sizes']) or 'none'}, and the steps this run "
                "did not take.", ""] if meta.get("merged_from") else []),
             "| step | " + " | ".join(f"{n:,} reports: s (peak MB)" for n in sizes)
             + " | growth exponent, all sizes | over the largest two measured |",
             "|---|" + "---|" * (len(sizes) + 2)]
    for step in steps:
        cells = []
        for n in sizes:
            r = results[str(n)].get(step)
            cells.append(f"{r['seconds']:.1f} ({r['peak_mb']:,.0f})" if r else "-")
        e = summary["exponents"].get(step)
        t = summary.get("exponents_top", {}).get(step)
        # Judged on the larger of the two: growth over the top range is what a bigger store meets.
        worst = max(x for x in (e, t) if x is not None) if (e, t) != (None, None) else None
        mark = "" if worst is None else (" (target <= 1.1: met)" if worst <= TARGET_EXPONENT
                                          else " (target <= 1.1: missed)")
        lines.append(f"| {step} | " + " | ".join(cells) + f" | {'-' if e is None else f'{e:.2f}'} | "
                     f"{'-' if t is None else f'{t:.2f}'}{mark} |")
    lines.append("")
    for n, ratio in summary["scan_vs_groupby"].items():
        verdict = "met" if ratio <= TARGET_SCAN_VS_GROUPBY else "missed"
        lines.append(f"- DuckDB scan / bare group-by at {int(n):,} reports: {ratio:.1f}x (target <= 10x: {verdict}).")
    if "cores_for_10b_in_10min" in summary:
        lines.append(f"- Spark local mode: {summary['spark_reports_per_core_s']:,.0f} reports per core-second in the "
                     f"scan ({summary['spark_cores_measured']} cores); 10 billion reports in 10 minutes would need "
                     f"about {summary['cores_for_10b_in_10min']:,} such cores (docs/scaling.md).")
    return "\n".join(lines)


def write_docs(markdown: str) -> None:
    ingest.write_docs(markdown + "\n", marker="scale")      # the benchmarks' one section writer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1e6,1e7,1e8", help="Comma-separated report counts.")
    parser.add_argument("--engines", default="duckdb,pyspark")
    parser.add_argument("--write-docs", action="store_true", help="Put the table into docs/benchmarks.md.")
    parser.add_argument("--merge", action="store_true",
                        help="Keep the sizes in the last results.json that this run does not measure "
                             "(same code and machine only: the date of each run is kept in meta).")
    parser.add_argument("--docs-only", action="store_true",
                        help="Measure nothing: put the last results.json into docs/benchmarks.md.")
    parser.add_argument("--child", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import warnings

        warnings.simplefilter("ignore")
        step = STEPS[args.child]
        result = step(args.folder, args.n, args.engine) if args.engine else step(args.folder, args.n)
        print(json.dumps(result))
        return
    console = Console(stderr=True)
    if args.docs_only:
        saved = json.loads((WORK / "results.json").read_text())
        markdown = render_markdown(saved["results"], summarise(saved["results"]), saved["meta"])
        print(markdown)
        write_docs(markdown)
        return
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    engines = [e for e in args.engines.split(",") if e]
    earlier, earlier_meta = {}, {}
    if args.merge and (WORK / "results.json").exists():
        saved = json.loads((WORK / "results.json").read_text())
        # Whole sizes not measured now are kept; for a size measured now, the steps this run
        # does not take (another engine's) are kept too.
        earlier = dict(saved["results"])
        earlier_meta = saved.get("meta", {})
    results = measure(sizes, engines, console, earlier)
    summary = summarise(results)
    meta = {"date": datetime.now(timezone.utc).date().isoformat(), "machine": machine(),
            "engines": sorted(set(engines) | set(earlier_meta.get("engines", [])) if earlier else engines)}
    if earlier:
        meta["merged_from"] = {"date": earlier_meta.get("date"),
                               "sizes": sorted(int(n) for n in earlier if int(n) not in sizes)}
    (WORK / "results.json").write_text(json.dumps({"results": results, "summary": summary, "meta": meta}, indent=1))
    markdown = render_markdown(results, summary, meta)
    print(markdown)
    if args.write_docs:
        write_docs(markdown)


if __name__ == "__main__":
    main()
