"""A first look at a store: reports by product and source, devices and service events."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb

from defectradar.query.stats import backend


@dataclass
class Overview:
    reports_by_product: list[dict]     # product, source, reports
    service_by_product: list[dict]     # product, devices, events, repairs, replacements
    devices: int
    service_events_by_action: dict[str, int]
    first_report: str | None
    last_report: str | None

    def to_dict(self) -> dict:
        return asdict(self)


def overview(con: duckdb.DuckDBPyConnection, top: int = 15) -> Overview:
    ib = backend(con)
    reports = ib.table("reports_labelled")   # complaints, effective labels; reposts are engagement
    product = reports.product_id.fill_null(reports.product_raw).fill_null("(not named)")
    named = reports.mutate(product=product)
    grouped = named.group_by(["product", "source"]).aggregate(reports=named.count())
    by_product = (grouped.order_by([grouped.reports.desc(), grouped.product])
                  .limit(top).to_pyarrow().to_pylist())
    events = ib.table("service_events")
    events_named = events.mutate(product=events.product_id.fill_null(events.product_raw).fill_null("(not named)"))
    service = (events_named.group_by("product")
               .aggregate(devices=events_named.device_token.nunique(), events=events_named.count(),
                          repairs=(events_named.action == "repair").sum(),
                          replacements=(events_named.action == "replace").sum()))
    service_rows = service.order_by([service.events.desc(), service.product]).limit(top).to_pyarrow().to_pylist()
    actions = events.group_by("action").aggregate(n=events.count()).to_pyarrow().to_pylist()
    span = reports.aggregate(first=reports.created_at.min(), last=reports.created_at.max()).to_pyarrow().to_pylist()[0]
    return Overview(
        reports_by_product=[{**r, "reports": int(r["reports"])} for r in by_product],
        service_by_product=[{k: (v if k == "product" else int(v or 0)) for k, v in r.items()} for r in service_rows],
        devices=int(ib.table("devices").count().to_pyarrow().as_py()),
        service_events_by_action={r["action"]: int(r["n"]) for r in actions},
        first_report=None if span["first"] is None else span["first"].isoformat(sep=" "),
        last_report=None if span["last"] is None else span["last"].isoformat(sep=" "),
    )


# -- the dashboard's overview: heat map cells, volume over time, alarm markers, devices ---------------------------

#: Months a unit sold stays in service (the exposure assumption of :func:`~defectradar.query.series.exposure_series`).
SERVICE_MONTHS = 24


def latest_day(con: duckdb.DuckDBPyConnection):
    """The newest day with a complaint or a service event (None on an empty store)."""
    row = con.execute("SELECT greatest(coalesce((SELECT max(created_at)::DATE FROM reports), DATE '0001-01-01'), "
                      "coalesce((SELECT max(date) FROM service_events), DATE '0001-01-01'))").fetchone()
    day = row[0] if row else None
    return None if day is None or day.year == 1 else day


def store_is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the store holds no complaint, service event or sale."""
    return not con.execute("SELECT (SELECT count(*) FROM reports) + (SELECT count(*) FROM service_events) "
                           "+ (SELECT count(*) FROM sales)").fetchone()[0]


def product_mode_cells(con: duckdb.DuckDBPyConnection, as_of, days: int = 90,
                       service_months: int = SERVICE_MONTHS, top_products: int = 12, top_modes: int = 12
                       ) -> list[dict]:
    """Complaints per product x failure mode in the ``days`` up to ``as_of``, with the product's
    units in service on ``as_of`` (sold in the ``service_months`` before it) and the rate per
    10,000 units in service (None without sales).  Reposts are left out (``reports_labelled``).

    Returns rows ``{product_id, failure_mode, reports, units_in_service, per_10k}`` for the
    ``top_products`` and ``top_modes`` with most complaints.
    """
    from datetime import timedelta

    end = as_of + timedelta(days=1)
    start = as_of - timedelta(days=days - 1)
    rows = con.execute(
        "WITH r AS (SELECT product_id, unnest(failure_modes) AS failure_mode FROM reports_labelled "
        "           WHERE product_id IS NOT NULL AND created_at >= ? AND created_at < ?), "
        "c AS (SELECT product_id, failure_mode, count(*) AS reports FROM r GROUP BY 1, 2), "
        "tp AS (SELECT product_id FROM c GROUP BY 1 ORDER BY sum(reports) DESC, 1 LIMIT ?), "
        "tm AS (SELECT failure_mode FROM c GROUP BY 1 ORDER BY sum(reports) DESC, 1 LIMIT ?), "
        "u AS (SELECT product_id, sum(units) AS units FROM sales_current "
        "      WHERE month <= ? AND month > ? - to_months(?) GROUP BY 1) "
        "SELECT c.product_id, c.failure_mode, c.reports, u.units FROM c "
        "JOIN tp USING (product_id) JOIN tm USING (failure_mode) LEFT JOIN u USING (product_id) "
        "ORDER BY c.product_id, c.failure_mode",
        [start, end, top_products, top_modes, as_of, as_of, service_months]).fetchall()
    cells = []
    for product, mode, reports, units in rows:
        units = int(units) if units else None
        cells.append({"product_id": product, "failure_mode": mode, "reports": int(reports),
                      "units_in_service": units,
                      "per_10k": round(reports * 10_000 / units, 3) if units else None})
    return cells


def busiest_pairs(con: duckdb.DuckDBPyConnection, as_of, days: int = 7, top: int = 30) -> list[tuple[str, str]]:
    """The ``top`` (product, mode) pairs with the most posts in the ``days`` days up to ``as_of``:
    the candidates for the overview's trending topics (a burst is busy in its last days)."""
    from datetime import datetime, timedelta

    end = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    rows = con.execute(
        "SELECT product_id, mode, count(*) AS n FROM (SELECT product_id, unnest(failure_modes) AS mode "
        "FROM posts_labelled WHERE created_at >= ? AND created_at < ? AND product_id IS NOT NULL) "
        "GROUP BY ALL ORDER BY n DESC, product_id, mode LIMIT ?", [end - timedelta(days=days), end, top]).fetchall()
    return [(product, mode) for product, mode, _n in rows]


def volume_by_week(con: duckdb.DuckDBPyConnection, as_of, weeks: int = 52) -> list[dict]:
    """Complaints and repair visits per week (weeks starting Monday) for the ``weeks`` up to ``as_of``.

    Rows ``{week, kind, count}`` with ``kind`` ``complaints`` or ``repairs`` (service events
    whose action is a repair or replacement), oldest first; weeks without any are left out.
    """
    from datetime import timedelta

    start = as_of - timedelta(weeks=weeks)
    end = as_of + timedelta(days=1)
    rows = con.execute(
        "SELECT date_trunc('week', created_at)::DATE AS week, 'complaints' AS kind, count(*) AS n "
        "FROM reports_labelled WHERE created_at >= ? AND created_at < ? GROUP BY 1 "
        "UNION ALL SELECT date_trunc('week', date)::DATE, 'repairs', count(*) FROM service_events "
        "WHERE action IN ('repair', 'replace') AND date >= ? AND date < ? GROUP BY 1 ORDER BY 1, 2",
        [start, end, start, end]).fetchall()
    return [{"week": week.isoformat(), "kind": kind, "count": int(n)} for week, kind, n in rows]


def alarm_markers(con: duckdb.DuckDBPyConnection, as_of, weeks: int = 52) -> list[dict]:
    """Alerts raised or reopened by scans in the ``weeks`` up to ``as_of``: ``{day, alert_id,
    product_id, failure_mode, source, kind}``, oldest first (the markers on the volume chart)."""
    from datetime import timedelta

    rows = con.execute(
        "SELECT e.as_of, e.alert_id, a.product_id, a.failure_mode, a.source, e.kind FROM alert_events e "
        "JOIN alerts a USING (alert_id) WHERE e.kind IN ('raised', 'reopened') AND e.as_of IS NOT NULL "
        "AND e.as_of > ? AND e.as_of <= ? ORDER BY e.as_of, e.alert_id",
        [as_of - timedelta(weeks=weeks), as_of]).fetchall()
    return [{"day": day.isoformat(), "alert_id": alert, "product_id": product, "failure_mode": mode,
             "source": source, "kind": kind} for day, alert, product, mode, source, kind in rows]


def product_summaries(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every product with complaints, service events or sales: ``{product_id, reports, events,
    devices, units_sold}``, most complaints first."""
    rows = con.execute(
        "WITH r AS (SELECT product_id, count(*) AS reports FROM reports_labelled WHERE product_id IS NOT NULL "
        "           GROUP BY 1), "
        "e AS (SELECT product_id, count(*) AS events, count(DISTINCT device_token) AS devices FROM service_events "
        "      WHERE product_id IS NOT NULL GROUP BY 1), "
        "s AS (SELECT product_id, sum(units) AS units FROM sales_current WHERE product_id IS NOT NULL GROUP BY 1) "
        "SELECT product_id, coalesce(r.reports, 0), coalesce(e.events, 0), coalesce(e.devices, 0), "
        "coalesce(s.units, 0) FROM r FULL JOIN e USING (product_id) FULL JOIN s USING (product_id) "
        "ORDER BY 2 DESC, 3 DESC, 1").fetchall()
    return [{"product_id": p, "reports": int(r), "events": int(e), "devices": int(d), "units_sold": int(u)}
            for p, r, e, d, u in rows]


def top_failure_modes(con: duckdb.DuckDBPyConnection, product_id: str, top: int = 10) -> list[dict]:
    """A product's failure modes by complaints and by service claims: ``{failure_mode, reports, claims}``."""
    rows = con.execute(
        "WITH r AS (SELECT unnest(failure_modes) AS failure_mode FROM reports_labelled WHERE product_id = ?), "
        "rc AS (SELECT failure_mode, count(*) AS reports FROM r GROUP BY 1), "
        "ec AS (SELECT failure_mode, count(*) AS claims FROM service_events WHERE product_id = ? "
        "       AND failure_mode IS NOT NULL AND action IN ('repair', 'replace', 'refund') GROUP BY 1) "
        "SELECT failure_mode, coalesce(rc.reports, 0), coalesce(ec.claims, 0) FROM rc FULL JOIN ec "
        "USING (failure_mode) ORDER BY 2 + 3 DESC, 1 LIMIT ?", [product_id, product_id, top]).fetchall()
    return [{"failure_mode": m, "reports": int(r), "claims": int(c)} for m, r, c in rows]


def device_events(con: duckdb.DuckDBPyConnection, device_token: str) -> list[dict]:
    """One device's service events, oldest first (fault text as stored: redacted at ingest)."""
    cursor = con.execute(
        "SELECT event_id, date, product_id, failure_mode, action, fault, days_out_of_service, data_wiped, center, "
        "region, source FROM service_events WHERE device_token = ? ORDER BY date, event_id", [device_token])
    names = [d[0] for d in cursor.description]
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in zip(names, row)}
            for row in cursor.fetchall()]


def find_devices(con: duckdb.DuckDBPyConnection, prefix: str, limit: int = 20) -> list[dict]:
    """Device tokens starting with ``prefix`` (or, with no prefix, those with most service events):
    ``{device_token, product_id, events, last_date}``."""
    cursor = con.execute(
        "SELECT device_token, min(product_id), count(*), max(date) FROM service_events "
        "WHERE starts_with(device_token, ?) GROUP BY 1 ORDER BY 3 DESC, 4 DESC, 1 LIMIT ?", [prefix or "", limit])
    return [{"device_token": t, "product_id": p, "events": int(n), "last_date": d.isoformat() if d else None}
            for t, p, n, d in cursor.fetchall()]


def report_engagement(con: duckdb.DuckDBPyConnection, report_ids: list[str]) -> dict[str, int | None]:
    """Engagement (reposts, likes, comments as the source counts them) of each report id."""
    if not report_ids:
        return {}
    rows = con.execute("SELECT report_id, engagement FROM reports_labelled WHERE report_id IN (SELECT unnest(?))",
                       [list(report_ids)]).fetchall()
    return {rid: (None if n is None else int(n)) for rid, n in rows}


SEVERITIES = ("safety", "none")


def search_reports(con: duckdb.DuckDBPyConnection, query, severity: str | None = None):
    """:func:`~defectradar.query.reports.list_reports` with one more filter, ``severity``
    (``safety``, or ``none`` for reports without one), for the dashboard's reports explorer."""
    from defectradar.errors import InputError
    from defectradar.query import reports as r

    if severity is None:
        return r.list_reports(con, query)
    if severity not in SEVERITIES:
        raise InputError(f"severity {severity!r}: use one of {', '.join(SEVERITIES)}")
    t = r._filtered(con, query)
    t = t.filter(t.severity.isnull()) if severity == "none" else t.filter(t.severity == severity)
    matched = int(t.count().to_pyarrow().as_py())
    columns = ["report_id", "created_at", "source", "product_id", "product_raw", "failure_modes", "label_source",
               "severity", "title", "text"]
    page = (t.select(*columns).order_by([t.created_at.desc(nulls_first=False), t.report_id])
            .limit(query.limit).to_pyarrow().to_pylist())
    rows = [r.ReportRow(x["report_id"], r._iso(x["created_at"]), x["source"], x["product_id"],
                        r.is_uncatalogued(x["product_id"]), x["product_raw"], list(x["failure_modes"] or []),
                        x["label_source"], x["severity"], x["title"], x["text"] or "") for x in page]
    return r.ReportList(rows, matched, query)


def report_facets(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The products, failure modes and sources the store's complaints have (for filter menus)."""
    def values(sql: str) -> list[str]:
        return [v for (v,) in con.execute(sql).fetchall() if v is not None]

    return {"products": values("SELECT DISTINCT product_id FROM reports_labelled ORDER BY 1"),
            "modes": values("SELECT DISTINCT unnest(failure_modes) AS m FROM reports_labelled ORDER BY 1"),
            "sources": values("SELECT DISTINCT source FROM reports_labelled ORDER BY 1")}
