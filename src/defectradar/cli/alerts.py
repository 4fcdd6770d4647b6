"""``defectradar alerts``: the signals raised by scans, and what people decided about them."""

from __future__ import annotations

import getpass
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from defectradar.analyses.alerts import alert_reports, list_alerts, show_alert, transition
from defectradar.cli.common import DbOption, JsonOption, new_app, open_store, out, print_json
from defectradar.core.numbers import sig3
from defectradar.signals.base import AlarmRule

alerts_app = new_app("Alerts raised by `defectradar signals scan`, with their lifecycle.")
ReasonOption = Annotated[Optional[str], typer.Option("--reason", "-r", help="Why (kept in the alert's history).")]
ByOption = Annotated[Optional[str], typer.Option("--by", help="Who (default: your login name).")]
AlertArg = Annotated[str, typer.Argument(help="Alert id (or a unique prefix).", show_default=False)]


@alerts_app.command("list")
def alerts_list(db: DbOption = None, json_: JsonOption = False,
                status: Annotated[Optional[str], typer.Option(help="new, acknowledged, investigating, closed, or "
                                                              "open (every status but closed).")] = None,
                limit: Annotated[int, typer.Option(min=1)] = 100,
                top: Annotated[Optional[int], typer.Option("--top", min=1, help="Only the K strongest alerts (by "
                                                           "score), e.g. --top 10.", show_default=False)] = None
                ) -> None:
    """Alerts, open ones first, strongest first (score: RR05 or EB05, the lower 5% bound of the rate ratio)."""
    with open_store(db).reader() as con:
        rows = list_alerts(con, status, min(limit, top) if top else limit)
    if json_:
        print_json(rows)
        return
    if not rows:
        out.print("no alerts" + (f" with status {status}" if status else ""))
        return
    table = Table("rank", "score", "alert", "status", "product", "mode", "source", "first seen", "last seen",
                  "latest evidence (statistic vs its threshold)", title="alerts, strongest first")
    for rank, r in enumerate(rows, 1):
        evidence = r["latest_evidence"] or [_legacy(r)]
        shown = "\n".join(f"{e['method']}: {_rule_text(e, brief=True)}" for e in reversed(evidence))
        table.add_row(str(rank), sig3(r.get("score")), r["alert_id"][:10], r["status"], Text(r["product_id"] or "(all)"),
                      Text(r["failure_mode"] or "(all)"), r["source"], str(r["first_seen"]), str(r["last_seen"]),
                      Text(shown))
    out.print(table)


def _legacy(row: dict) -> dict:
    return {"method": row["last_method"] or "-", "statistic": row["last_statistic"],
            "threshold": row["last_threshold"], "rule": None}


def _rule_text(entry: dict, brief: bool = False) -> str:
    """'GLR 13.3 ≥ 6 (log-likelihood ratio); 16 observed vs 2.64 expected (alarm at 8)': for people;
    the unrounded numbers are in --json.  ``brief`` leaves out what the statistic means."""
    rule = entry.get("rule")
    if isinstance(rule, dict):
        text = AlarmRule(**rule).describe(entry.get("statistic"), meaning=not brief)
    elif entry.get("statistic") is None:
        text = "-"
    else:
        text = f"statistic {sig3(entry['statistic'])}, threshold {sig3(entry.get('threshold'))}"
    count, expected = entry.get("count"), entry.get("expected")
    if count is not None or expected is not None:
        text += f"; {sig3(count)} observed vs {sig3(expected)} expected"
        if entry.get("count_threshold") is not None:
            text += f" (alarm at {sig3(entry['count_threshold'])})"
    return text


def _period(entry: dict) -> str:
    return f" for {entry['period']}" if entry.get("period") else ""


@alerts_app.command("show")
def alerts_show(alert: AlertArg, db: DbOption = None, json_: JsonOption = False,
                reports: Annotated[bool, typer.Option("--reports", help="Also print the reports behind the alert "
                                                      "(text, date, source, product, modes).")] = False,
                limit: Annotated[int, typer.Option("--limit", min=1, help="Reports shown with --reports.")] = 20) -> None:
    """One alert with its evidence and its whole history."""
    with open_store(db).reader() as con:
        detail = show_alert(con, alert)
        if reports:
            detail["reports"] = alert_reports(con, detail, limit)
    if json_:
        print_json(detail)
        return
    title = Text.assemble((f"alert {detail['alert_id']} ", "bold"), detail["product_id"] or "(all)", " / ",
                          detail["failure_mode"] or "(all)", f" ({detail['source']}): ", (detail["status"], "bold"))
    out.print(title)
    out.print(f"first seen {detail['first_seen']}, last seen {detail['last_seen']}")
    for entry in reversed(detail["latest_evidence"] or []):
        out.print(Text(f"  {entry['method']}{_period(entry)}: {_rule_text(entry)}"))
    evidence = detail["last_evidence"] or {}
    if "series" in evidence and isinstance(evidence["series"], dict):
        series = evidence["series"]
        counts, expected = series.get("counts") or [], series.get("expected") or []
        periods = series.get("periods") or []
        span = f" {periods[0]} to {periods[-1]}" if periods else ""
        # ``expected`` covers only the last periods scored, not every count shown: say which.
        out.print(Text(f"  counts of the last {len(counts)} periods{span}: " + ", ".join(sig3(c) for c in counts)
                       + (f"; expected in the last {len(expected)}: " + ", ".join(sig3(c) for c in expected)
                          if expected else "")))
    for change in evidence.get("changes", []):      # policy downgrades
        out.print(Text(f"  {change.get('parameter')}: {change.get('old')} -> {change.get('new')} "
                       f"({change.get('verdict')}; {change.get('reference')})"))
    ids = sorted({str(r) for e in detail["events"] for r in ((e.get("evidence") or {}).get("reports") or [])})
    if ids and not reports:
        out.print(f"  {len(ids)} reports behind it: add --reports to read them")
    history = Table("when", "event", "status", "by", "method", "statistic vs its threshold", "reason")
    for e in detail["events"]:
        shown = _rule_text({**e, "count": None, "expected": None}) if e["method"] else ""
        history.add_row(str(e["at"])[:19], e["kind"], e["status"] or "", Text(e["actor"]), e["method"] or "",
                        Text(f"{shown}{_period(e.get('evidence') or {})}"), Text(e["reason"] or ""))
    out.print(history)
    if reports:
        _print_reports(detail["reports"], limit)


def _print_reports(rows: list[dict], limit: int) -> None:
    if not rows:
        out.print("no reports recorded with this alert's evidence")
        return
    grid = Table("created", "source", "product", "modes", "text",
                 title=f"reports behind the alert (up to {limit}; --limit for more)")
    for r in rows:
        grid.add_row(str(r["created_at"] or "")[:19], Text(str(r["source"] or "")), Text(str(r["product_id"] or "-")),
                     Text(", ".join(r["failure_modes"] or [])), Text(str(r["text"] or "")))
    out.print(grid)


def _act(alert: str, action: str, db, by: str | None, reason: str | None, json_: bool) -> None:
    result = transition(open_store(db), alert, action, by or getpass.getuser(), reason)
    if json_:
        print_json(result)
    else:
        out.print(Text(f"alert {result['alert_id']}: {result['from']} -> {result['to']} (by {result['by']})"))


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
