"""The dashboard and the REST API under load: page latency and list throughput at 1M reports.

Usage::

    python benchmarks/web.py [--reports 1000000] [--seconds 10] [--clients 8] [--samples 40] [--work DIR]

Builds (once; reused from ``--work``) a store of ``--reports`` complaints inserted straight into
a migrated store with DuckDB: texts drawn from the package's 6,000+ training texts (Chinese and
English, real-looking lengths), 40 catalog products with zipf-like popularity, their modes,
three sources, dates over two years, plus monthly sales; then runs the default scan once so
the store holds alerts.  ``defectradar serve`` is started on it in a subprocess on 127.0.0.1
(one uvicorn worker, as users run it), and measured from this process over loopback:

* p50 / p95 latency of the overview page, an alert's detail page and a filtered reports page
  (a logged-in browser session; ``--samples`` requests each, after one warm-up);
* throughput of ``GET /api/v1/reports?product=...`` under ``--clients`` concurrent clients for
  ``--seconds`` (bearer key; httpx clients on threads), with its p50/p95.

The peer in the same run is the library call the endpoint makes (``list_reports`` on an open
read-only connection, in-process): the ratio says what the HTTP stack, authentication,
a fresh read-only connection per request and JSON add.  Targets (issue 16): p95 < 300 ms per
page, >= 200 requests/s for the list endpoint.  The client shares the machine's cores with the
server, so the figures are a floor for a server on its own machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from rich.console import Console

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import machine  # noqa: E402

SEED = 16


def build(work: Path, n_reports: int, console: Console) -> Path:
    """The store under ``work`` (reused when it holds ``n_reports``)."""
    import duckdb
    import numpy as np

    from defectradar.analyses.scan import ScanConfig, scan
    from defectradar.config import load_settings
    from defectradar.domain.catalog import load_catalog
    from defectradar.store.connect import Store

    os.environ["DEFECTRADAR_KEY_DIR"] = str(work / "keys")
    settings = load_settings(db=str(work / "web.duckdb"), memory_limit="2GB")
    store = Store(settings.db, settings)
    meta = work / "meta.json"
    if meta.exists() and json.loads(meta.read_text()).get("reports") == n_reports:
        console.print(f"[dim]reusing {store.path}[/]")
        return store.path
    for suffix in ("", ".wal"):
        Path(str(store.path) + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    texts, modes = [], []
    for path in sorted((REPO / "src/defectradar/text/training").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts.append(row["text"])
            modes.append(row.get("failure_modes") or [])
    products = [p.product_id for p in load_catalog().products][:40]
    rng = np.random.default_rng(SEED)
    weight = 1 / np.arange(1, len(products) + 1) ** 1.07
    pick_text = rng.integers(0, len(texts), n_reports)
    pick_product = rng.choice(len(products), n_reports, p=weight / weight.sum())
    seconds = rng.integers(0, 730 * 86400, n_reports)
    # A Wi-Fi surge on the third product in the last six weeks (1% of the rows), so the scan raises alerts.
    surge = n_reports // 100
    wifi = [i for i, m in enumerate(modes) if m == ["wifi"]]
    pick_text[:surge] = rng.choice(wifi, surge)
    pick_product[:surge] = 2
    seconds[:surge] = rng.integers((730 - 42) * 86400, 730 * 86400, surge)
    source = rng.choice(["weibo", "jd", "form"], n_reports, p=[0.6, 0.3, 0.1])
    import pyarrow as pa

    table = pa.table({
        "i": np.arange(n_reports), "text": pa.array([texts[i] for i in pick_text]),
        "modes": pa.array([modes[i] for i in pick_text], type=pa.list_(pa.string())),
        "product": pa.array([products[i] for i in pick_product]), "secs": seconds, "source": source})
    store.migrate()
    con = duckdb.connect(str(store.path))
    con.register("rows_arrow", table)
    con.execute("""
        INSERT INTO reports (report_id, source, source_type, source_id, created_at, text, product_raw, product_id,
                             failure_modes, label_source, confidence, ingest_run, ingested_at, engagement, author_token)
        SELECT md5('web:' || i), source, 'synthetic', i::VARCHAR,
               TIMESTAMP '2021-01-01' + to_seconds(secs), text, product, product, modes, 'rule', 1.0, 'bench-run',
               TIMESTAMP '2026-01-01', (i % 97)::INTEGER, 'author-' || (i % 200000)::VARCHAR
        FROM rows_arrow""")
    con.executemany("INSERT INTO sales (sales_id, product_raw, product_id, month, units, source, ingest_run, "
                    "ingested_at) VALUES (md5(? || ?::VARCHAR), ?, ?, ?, ?, 'bench', 'bench-run', "
                    "TIMESTAMP '2026-01-01')",
                    [[p, f"{2021 + m // 12}-{m % 12 + 1:02d}-01", p, p, f"{2021 + m // 12}-{m % 12 + 1:02d}-01",
                      int(20000 * w)] for p, w in zip(products, weight) for m in range(24)])
    con.execute("CHECKPOINT")
    con.close()
    console.print(f"built {n_reports:,} reports in {time.perf_counter() - started:.1f} s; scanning for alerts")
    scan(store, config=ScanConfig(emerging_terms=False))
    meta.write_text(json.dumps({"reports": n_reports}))
    return store.path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db: Path, work: Path) -> tuple[subprocess.Popen, str, dict]:
    env = {**os.environ, "DEFECTRADAR_KEY_DIR": str(work / "keys"), "DEFECTRADAR_RATE_LIMIT": "10000000",
           "DEFECTRADAR_MEMORY_LIMIT": "2GB"}
    cli = [sys.executable, "-m", "defectradar"]
    made = subprocess.run([*cli, "users", "create", f"bench{int(time.time())}", "--role", "analyst", "--db", str(db),
                           "--json"], env=env, capture_output=True, text=True, check=True)
    account = json.loads(made.stdout)
    port = free_port()
    server = subprocess.Popen([*cli, "serve", "--db", str(db), "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return server, url, account
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server did not start: {server.stderr.read().decode()[-2000:]}")


def logged_in(url: str, account: dict) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    response = client.post("/login", data={"name": account["name"], "password": account["password"],
                                           "csrf_token": token, "next": "/"})
    assert response.status_code in (200, 303), response.status_code
    return client


def latency(client: httpx.Client, path: str, samples: int) -> dict:
    started = time.perf_counter()
    first = client.get(path)
    cold = (time.perf_counter() - started) * 1000      # the first read after the store changed
    if first.status_code != 200:
        raise SystemExit(f"GET {path} answered {first.status_code}: {first.text[:300]}")
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return {"path": path, "cold_ms": cold, "p50_ms": statistics.median(times),
            "p95_ms": sorted(times)[int(0.95 * (len(times) - 1))], "bytes": len(first.content)}


def throughput(url: str, key: str, path: str, clients: int, seconds: float, distinct: bool = False) -> dict:
    """Requests per second of ``path`` under ``clients`` threads; ``distinct`` makes every request
    ask a page size no other asked (``limit`` 1-500 by turns), so none is answered from the cache."""
    times: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    turn = iter(range(10**9))

    def worker():
        with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {key}"}) as client:
            while time.monotonic() < stop:
                with lock:
                    n = next(turn)
                target = f"{path}&limit={n % 500 + 1}" if distinct else path
                started = time.perf_counter()
                response = client.get(target)
                took = (time.perf_counter() - started) * 1000
                with lock:
                    times.append(took)
                    if response.status_code != 200:
                        errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return {"path": path, "clients": clients, "distinct": distinct, "tool": "httpx threads", "requests": len(times),
            "errors": errors[0],
            "per_second": len(times) / wall, "p50_ms": statistics.median(times),
            "p95_ms": sorted(times)[int(0.95 * (len(times) - 1))]}


def throughput_wrk(url: str, key: str, path: str, clients: int, seconds: float, distinct: bool, work: Path) -> dict:
    """The same measurement with wrk (C, from Debian's ``wrk`` package): 2 threads, ``clients``
    connections; a load generator in Python would take much of the CPU it measures on 2 cores."""
    script = work / "distinct.lua"
    script.write_text('n = 0\nrequest = function()\n  n = n + 1\n'
                      f'  return wrk.format(nil, "{path}&limit=" .. (n % 500 + 1))\nend\n')
    command = ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "-H", f"Authorization: Bearer {key}"]
    if distinct:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url + path], capture_output=True, text=True, check=True).stdout

    def millis(label: str) -> float:
        match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"path": path, "clients": clients, "distinct": distinct, "tool": "wrk",
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "errors": int(errors.group(1)) if errors else 0,
            "per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": millis("50%"), "p99_ms": millis("99%")}


def peer(db: Path, work: Path, product: str, samples: int) -> dict:
    """The library call behind the list endpoint, in-process on one open connection."""
    from defectradar.config import load_settings
    from defectradar.query.reports import list_reports, report_query
    from defectradar.store.connect import Store

    store = Store(db, load_settings(db=str(db), key_dir=str(work / "keys")))
    query = report_query(product_ids=(product,), limit=50)
    times = []
    with store.reader() as con:
        list_reports(con, query)
        for _ in range(samples):
            started = time.perf_counter()
            list_reports(con, query)
            times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": statistics.median(times), "per_second_one_core": 1000 / statistics.median(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--work", default="/tmp/defectradar-bench-web")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    console = Console(stderr=True)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    db = build(work, args.reports, console)
    server, url, account = start_server(db, work)
    try:
        browser = logged_in(url, account)
        alerts = httpx.get(f"{url}/api/v1/alerts?limit=1", headers={"Authorization": f"Bearer {account['api_key']}"},
                           timeout=60).json()["items"]
        product = alerts[0]["product_id"] if alerts and alerts[0]["product_id"] else "xiaomi-11"
        pages = [latency(browser, "/", args.samples)]
        if alerts:
            pages.append(latency(browser, f"/alerts/{alerts[0]['alert_id']}", args.samples))
        pages.append(latency(browser, f"/reports?product={product}&q=%E5%8F%91%E7%83%AD", args.samples))
        list_path = f"/api/v1/reports?product={product}"
        if shutil.which("wrk"):
            api = throughput_wrk(url, account["api_key"], list_path, args.clients, args.seconds, False, work)
            api_distinct = throughput_wrk(url, account["api_key"], list_path, args.clients, args.seconds, True, work)
        else:
            api = throughput(url, account["api_key"], list_path, args.clients, args.seconds)
            api_distinct = throughput(url, account["api_key"], list_path, args.clients, args.seconds, distinct=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    lib = peer(db, work, product, args.samples)
    result = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "reports": args.reports, "pages": pages,
              "api": api, "api_distinct": api_distinct, "peer": lib, "api_vs_peer": lib["p50_ms"] and api["p50_ms"] / lib["p50_ms"]}
    if args.json:
        print(json.dumps(result, indent=1))
        return
    console.print(f"[bold]web at {args.reports:,} reports[/] ({result['machine']}, {result['date']})")
    for p in pages:
        met = "met" if p["p95_ms"] < 300 else "MISSED"
        console.print(f"  {p['path']:<55} cold {p['cold_ms']:7.1f} ms, then p50 {p['p50_ms']:7.1f} ms  "
                      f"p95 {p['p95_ms']:7.1f} ms  ({met}: < 300 ms)")
    for run in (api, api_distinct):
        met = "met" if run["per_second"] >= 200 else "MISSED"
        kind = "every request a new query" if run["distinct"] else "the same query"
        tail = "p99" if "p99_ms" in run else "p95"
        console.print(f"  {run['path']} x{run['clients']} ({kind}, {run['tool']}): "
                      f"{run['per_second']:.0f} req/s ({met}: >= 200), p50 {run['p50_ms']:.1f} ms, "
                      f"{tail} {run[tail + '_ms']:.1f} ms, {run['errors']} errors")
    console.print(f"  peer: list_reports in-process p50 {lib['p50_ms']:.1f} ms; endpoint p50 / peer = "
                  f"{result['api_vs_peer']:.1f}x")


if __name__ == "__main__":
    main()
