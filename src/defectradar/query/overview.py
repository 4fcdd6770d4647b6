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
