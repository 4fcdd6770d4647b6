"""``defectradar demo``: the whole loop on a simulated world, and where to look next."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Column, Table

from defectradar.cli.common import (
    DbOption,
    JsonOption,
    RichProgress,
    open_store,
    out,
    print_json,
)
from defectradar.demo import run_demo


def demo(
    world: Annotated[Path, typer.Option("--world", help="Folder of the simulated world (built if absent).",
                                        file_okay=False)] = Path("demo-world"),
    seed: Annotated[int, typer.Option(help="Seed for a new world.")] = 2021,
    scale: Annotated[float, typer.Option(help="Volume of a new world (1 = about 200k phones).")] = 1.0,
    db: DbOption = None,
    json_: JsonOption = False,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="End by serving the dashboard on the demo store "
                                        "(Ctrl-C stops it); --no-serve (or --json) only prints.")] = True,
    host: Annotated[str, typer.Option(help="Address the dashboard listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port the dashboard listens on.")] = 8000,
) -> None:
    """Simulate the Xiaomi 11 story (once), ingest it, show what the store holds and the alerts raised,
    then serve the dashboard on it with a demo login."""
    store = open_store(db)
    result = run_demo(store, world, seed, scale, progress_for=lambda kind: RichProgress(kind))
    if json_:
        print_json(result.to_dict())
        return
    _print_demo(result, store, db)
    if serve:
        from defectradar.accounts import create_user
        from defectradar.cli.serve import run_server

        account = create_user(store, "demo", "analyst", created_by="demo", replace=True)
        run_server(store, host, port, login=(account.name, account.password))


def _print_demo(result, store, db) -> None:
    view = result.overview
    made = "built" if result.simulated else "reused"
    out.print(f"[bold]defectradar demo[/]: world {made} in {escape(result.world_dir)}, store {escape(str(store.path))}")
    runs = Table("file", "status", "read", "new", "already stored", "quarantined", title="ingest")
    for r in result.ingests:
        runs.add_row(escape(Path(r.path).name), r.status, f"{r.rows_read:,}", f"{r.rows_inserted:,}",
                     f"{r.rows_duplicate:,}", f"{r.rows_quarantined:,}")
    out.print(runs)
    table = Table("product", "source", "reports", title="reports by product and source (top 15)")
    for row in view.reports_by_product:
        table.add_row(escape(row["product"]), escape(row["source"]), f"{row['reports']:,}")
    out.print(table)
    service = Table("product", "devices serviced", "events", "repairs", "replacements",
                    title="after-sales service by product (top 15)")
    for row in view.service_by_product:
        service.add_row(escape(row["product"]), f"{row['devices']:,}", f"{row['events']:,}",
                        f"{row['repairs']:,}", f"{row['replacements']:,}")
    out.print(service)
    actions = ", ".join(f"{a} {n:,}" for a, n in sorted(view.service_events_by_action.items()))
    out.print(f"devices: {view.devices:,}; service events: {actions}")
    out.print(f"reports from {view.first_report} to {view.last_report} (UTC)")
    alerts = Table("product", "mode", "source", "first seen", "last seen", "by", "status",
                   title=f"alerts from {result.scans} quarterly scans (top 12 of {len(result.alerts)})")
    ranked = sorted(result.alerts, key=lambda a: (a["scope"] != "product_mode", str(a["first_seen"])))
    for a in ranked[:12]:
        alerts.add_row(escape(a["product_id"] or "(all)"), a["failure_mode"] or "(all)", a["source"],
                       str(a["first_seen"]), str(a["last_seen"]), a["last_method"] or "-", a["status"])
    out.print(alerts)
    rel = result.reliability
    if rel and rel.fits:
        fits = Table(*(Column(name, no_wrap=True) for name in ("product", "mode", "units", "fails", "β", "η",
                                                               "B10", "F365", "MCF")),
                     box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                     title=f"reliability as of {rel.as_of}: Weibull of the first claim (shape β, scale η and B10 "
                           "in days, F365 = share claimed by day 365), MCF = claims per unit by day 365")
        for f in rel.fits:
            fits.add_row(escape(f["product"]), f["mode"], f"{f['units']:,.0f}", f"{f['failures']:,.0f}",
                         f"{f['shape']:.2f}", f"{f['scale']:,.0f}", f"{f['b10']:,.0f}", f"{f['failed_by_365']:.1%}",
                         "-" if f["mcf_365"] is None else f"{f['mcf_365']:.3f}")
        out.print(fits)
        counts = ", ".join(f"{rule} {c['devices']:,} devices" for rule, c in rel.lemons.items())
        out.print(f"lemons (repeat repairs): {counts}")
        for path in rel.charts:
            out.print(f"chart: {escape(path)}")
    if result.remedies is not None:
        _print_remedies(result.remedies)
    db_flag = f" --db {escape(str(store.path))}" if db else ""
    out.print("\n[bold]Next:[/]")
    out.print("  the dashboard: `make demo` serves it at the end (or `defectradar serve" + db_flag + "`)")
    out.print(f"  defectradar alerts list{db_flag}           every alert; 'alerts show ID' for its evidence")
    out.print(f"  defectradar stats{db_flag}                 what the store holds, recent runs")
    out.print(f"  defectradar reliability weibull --product xiaomi-11 --mode wifi{db_flag}   one failure mode in depth")
    out.print(f"  defectradar lemons{db_flag}                devices repaired too often, with the events")
    out.print(f"  defectradar remedies audit{db_flag}        every device judged against the law and policy of the day")
    out.print(f"  defectradar quarantine list{db_flag}       rows refused at ingest, and why")
    out.print(f"  {escape(result.world_dir)}/truth.json      the injected defects the analyses should find")


def _print_remedies(audit) -> None:
    """A few lines: who got less than was due, by product x fault x rule and the maker's policy of the day."""
    kinds = audit.devices_by_kind
    out.print(f"remedies audit as of {audit.as_of}: {audit.devices_short:,} of {audit.devices:,} devices got less than "
              f"was due ({kinds['lesser_remedy']:,} a lesser remedy, {kinds['refused']:,} refused while in warranty); "
              f"data wiped {audit.wiped_events:,} times on {_devices(audit.wiped_devices)}")
    groups = audit.count_by("product_id", "failure_mode", "rule", "policy", "policy_version", kind="lesser_remedy")
    for g in sorted(groups, key=lambda g: -g["steps"])[:5]:
        policy = f" under {g['policy']} from {g['policy_version']}" if g["policy"] else ""
        out.print(f"  {escape(g['product_id'])} {escape(g['failure_mode'])}: {_devices(g['devices'])} short of "
                  f"{escape(g['rule'])}{escape(policy)} ({g['steps']:,} visits)")
    by_policy: dict[str, list[str]] = {}
    for v in audit.policy_versions:     # a maker's policy change shows as counts before and after it
        by_policy.setdefault(v["policy"], []).append(
            f"from {v['version']} {v['lesser_remedy']:,} lesser + {v['refused']:,} refused ({_devices(v['devices'])})")
    for policy, versions in by_policy.items():
        out.print(f"  visits short under each version of {escape(policy)}: {'; '.join(versions)}")


def _devices(n: int) -> str:
    return f"{n:,} device" if n == 1 else f"{n:,} devices"
