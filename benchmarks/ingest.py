"""Ingest throughput and memory: defectradar against DuckDB's own CSV loader, in one run.

Usage::

    python benchmarks/ingest.py [--rows 1000000] [--also-rows 3000000] [--write-docs]

Generates a generic complaints CSV (deterministic: seed 7), then in fresh subprocesses

1. ``defectradar ingest FILE --db NEW.duckdb --no-classify`` (the full safe-ingest pipeline:
   encoding detection, date parsing, identifier redaction, author tokens, dedupe, per-batch
   transactions; reading the texts for products and failure modes is measured separately by
   ``benchmarks/classify.py``);
2. the floor: ``CREATE TABLE t AS SELECT * FROM read_csv(FILE)`` into a new DuckDB file.

Each reports wall time and peak resident memory (``ru_maxrss`` of the child).  The ratio
ours/floor is the figure the issue sets at <= 3; >= 50,000 rows/s and < 1 GB are the others.
``--also-rows`` runs the pipeline on a bigger file too, to show memory does not grow with size.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
DOCS = HERE.parent / "docs" / "benchmarks.md"

_WORDS = ("手机 wifi 打不开 又 坏了 主板 烧了 返厂 三次 发热 严重 屏幕 烧屏 信号 差 充电 慢 "
          "my phone wifi greyed out again after repair battery drains fast 小米11 售后 太差 "
          "the screen has burn in overheating while charging 数据 全没了").split()


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Complaints with ids, times, 200k distinct authors, products and 8-30 word texts;
    about 1 in 200 texts quotes a phone number (so redaction has real work)."""
    rng = random.Random(seed)
    base = datetime(2021, 1, 1)   # 9 s apart: 10M rows end in 2023, never in the future
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "created_at", "author", "product", "text"])
        for i in range(rows):
            text = " ".join(rng.choices(_WORDS, k=rng.randint(8, 30)))
            if rng.random() < 0.005:
                text += f" 联系我 1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}"
            out.writerow([i, (base + timedelta(seconds=i * 9)).strftime("%Y-%m-%d %H:%M:%S"),
                          f"user{rng.randint(1, 200_000)}", rng.choice(["小米11", "Mi 11 Pro", "iPhone 13"]), text])


def run_child(code: str, env: dict | None = None) -> dict:
    """Run Python code in a fresh process; return its JSON result plus wall time and peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{proc.stderr}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # ru_maxrss of children is the max over all children so far: run the biggest last or
    # read the child's own figure, which the child prints itself.
    result.setdefault("peak_mb", max(peak_kb, before) / 1024)
    result["wall_s"] = wall
    return result


OURS = """
import json, os, resource, time
from defectradar.config import load_settings
from defectradar.store.connect import Store
from defectradar.ingest.pipeline import ingest_file
settings = load_settings(db=os.environ["BENCH_DB"])
started = time.perf_counter()
result = ingest_file(Store(settings.db, settings), os.environ["BENCH_CSV"], source_type="csv", classifier=False)
seconds = time.perf_counter() - started
print(json.dumps({"rows": result.rows_inserted, "seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

FLOOR = """
import duckdb, json, os, resource, time
started = time.perf_counter()
con = duckdb.connect(os.environ["BENCH_DB"])
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [os.environ["BENCH_CSV"]])
rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
con.close()
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def fresh_db(name: str) -> str:
    path = WORK / name
    for suffix in ("", ".wal", ".lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return str(path)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    return f"{cpu}, {os.cpu_count()} cores, {mem_gb:.0f} GB RAM, Python {platform.python_version()}, {platform.system()}"


def bench(rows: int) -> dict:
    csv_path = WORK / f"complaints_{rows}.csv"
    if not csv_path.exists():
        print(f"writing {rows:,} rows to {csv_path} ...", file=sys.stderr)
        make_csv(csv_path, rows)
    env = {"BENCH_CSV": str(csv_path), "DEFECTRADAR_KEY_DIR": str(WORK / "keys")}
    ours = run_child(OURS, {**env, "BENCH_DB": fresh_db("ours.duckdb")})
    floor = run_child(FLOOR, {**env, "BENCH_DB": fresh_db("floor.duckdb")})
    return {"rows": rows, "bytes": csv_path.stat().st_size, "ours": ours, "floor": floor,
            "rows_per_s": rows / ours["seconds"], "ratio": ours["seconds"] / floor["seconds"]}


def report(results: list[dict]) -> str:
    import duckdb
    import pyarrow

    lines = [
        f"## Ingest (`make bench-ingest`), {datetime.now(timezone.utc):%Y-%m-%d}",
        "",
        f"Machine: {machine()}; DuckDB {duckdb.__version__}, pyarrow {pyarrow.__version__}.",
        "Generic complaints CSV (id, created_at, author, product, text; 200k distinct authors; "
        "0.5% of texts quote a phone number), ingested with `--no-classify` (text understanding is "
        "measured in its own section). Each figure is one fresh process; the floor is DuckDB's own "
        "`read_csv` into a table of a new database file, in the same run.",
        "",
        "| rows | file MB | defectradar s | rows/s | peak MB | DuckDB read_csv s | peak MB | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']:,} | {r['bytes'] / 1e6:,.0f} | {r['ours']['seconds']:.2f} | {r['rows_per_s']:,.0f} | "
            f"{r['ours']['peak_mb']:,.0f} | {r['floor']['seconds']:.2f} | {r['floor']['peak_mb']:,.0f} | "
            f"{r['ratio']:.1f}x |")
    return "\n".join(lines) + "\n"


def write_docs(section: str, marker: str = "ingest") -> None:
    """Replace (or append) the ``<!-- marker:start/end -->`` section of docs/benchmarks.md; every
    benchmark writes its own section through this."""
    marker_start, marker_end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    block = f"{marker_start}\n{section}{marker_end}"
    if marker_start in text:
        before, rest = text.split(marker_start, 1)
        text = before + block + rest.split(marker_end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOCS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--also-rows", type=int, default=3_000_000,
                        help="a second, bigger run to show memory stays flat (0 to skip)")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    results = [bench(args.rows)]
    if args.also_rows:
        results.append(bench(args.also_rows))
    section = report(results)
    print(section)
    if args.write_docs:
        write_docs(section)
        print(f"updated {DOCS}", file=sys.stderr)


if __name__ == "__main__":
    main()
