"""``defectradar alerts``: the signals raised by scans, and what people decided about them."""

from __future__ import annotations

import getpass
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from defectradar.cli.common import DbOption, JsonOption, new_app, open_store, out, print_json
from defectradar.signals.alerts import list_alerts, show_alert, transition

alerts_app = new_app("Alerts raised by `defectradar signals scan`, with their lifecycle.")
ReasonOption = Annotated[Optional[str], typer.Option("--reason", "-r", help="Why (kept in the alert's history).")]
ByOption = Annotated[Optional[str], typer.Option("--by", help="Who (default: your login name).")]
AlertArg = Annotated[str, typer.Argument(help="Alert id (or a unique prefix).", show_default=False)]


@alerts_app.command("list")
def alerts_list(db: DbOption = None, json_: JsonOption = False,
                status: Annotated[Optional[str], typer.Option(help="new, acknowledged, investigating or closed.")] = None,
                limit: Annotated[int, typer.Option(min=1)] = 100) -> None:
    """Alerts, open ones first, newest evidence first."""
    with open_store(db).reader() as con:
        rows = list_alerts(con, status, limit)
    if json_:
        print_json(rows)
        return
    if not rows:
        out.print("no alerts")
        return
    table = Table("alert", "status", "product", "mode", "source", "first seen", "last seen", "method", "statistic",
                  title="alerts")
    for r in rows:
        statistic = "-" if r["last_statistic"] is None else f"{r['last_statistic']:.2f} / {r['last_threshold'] or 0:.2f}"
        table.add_row(r["alert_id"][:10], r["status"], escape(r["product_id"] or "(all)"), r["failure_mode"] or "(all)",
                      r["source"], str(r["first_seen"]), str(r["last_seen"]), r["last_method"] or "-", statistic)
    out.print(table)


@alerts_app.command("show")
def alerts_show(alert: AlertArg, db: DbOption = None, json_: JsonOption = False) -> None:
    """One alert with its evidence and its whole history."""
    with open_store(db).reader() as con:
        detail = show_alert(con, alert)
    if json_:
        print_json(detail)
        return
    out.print(f"[bold]alert {detail['alert_id']}[/] {escape(detail['product_id'] or '(all)')} / "
              f"{detail['failure_mode'] or '(all)'} ({detail['source']}): [bold]{detail['status']}[/]")
    evidence = detail["last_evidence"] or {}
    out.print(f"last evidence: {detail['last_method']} statistic {detail['last_statistic']} vs threshold "
              f"{detail['last_threshold']} as of {detail['last_seen']}")
    for key in ("counts", "expected", "reports"):
        if key in evidence:
            out.print(f"  {key}: {escape(str(evidence[key])[:300])}")
    for change in evidence.get("changes", []):      # policy downgrades
        out.print(f"  {escape(str(change.get('parameter')))}: {escape(str(change.get('old')))} -> "
                  f"{escape(str(change.get('new')))} ({change.get('verdict')}; {escape(str(change.get('reference')))})")
    history = Table("when", "event", "status", "by", "method", "reason")
    for e in detail["events"]:
        history.add_row(str(e["at"])[:19], e["kind"], e["status"] or "", escape(e["actor"]), e["method"] or "",
                        escape(e["reason"] or ""))
    out.print(history)


def _act(alert: str, action: str, db, by: str | None, reason: str | None, json_: bool) -> None:
    result = transition(open_store(db), alert, action, by or getpass.getuser(), reason)
    if json_:
        print_json(result)
    else:
        out.print(f"alert {result['alert_id']}: {result['from']} -> {result['to']} (by {escape(result['by'])})")


@alerts_app.command("ack")
def alerts_ack(alert: AlertArg, db: DbOption = None, by: ByOption = None, reason: ReasonOption = None,
               json_: JsonOption = False) -> None:
    """Acknowledge an alert: someone has seen it."""
    _act(alert, "acknowledged", db, by, reason, json_)


@alerts_app.command("investigate")
def alerts_investigate(alert: AlertArg, db: DbOption = None, by: ByOption = None, reason: ReasonOption = None,
                       json_: JsonOption = False) -> None:
    """Mark an alert as under investigation."""
    _act(alert, "investigating", db, by, reason, json_)


@alerts_app.command("close")
def alerts_close(alert: AlertArg, db: DbOption = None, by: ByOption = None, reason: ReasonOption = None,
                 json_: JsonOption = False) -> None:
    """Close an alert (a later signal reopens it)."""
    _act(alert, "closed", db, by, reason, json_)
