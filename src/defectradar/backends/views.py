"""The store's derived views, defined once as Ibis expressions over the fact tables.

Every engine reads the same definitions: DuckDB compiles them to its SQL, Spark to Spark SQL.
Each function takes ``table``, a callable giving a fact table by name (``backend.raw_table``),
and returns an Ibis table expression with the columns of the view of that name.

* :func:`report_labels_latest`: each report's latest machine labels (one label run wins).
* :func:`analyst_labels`: each report's latest analyst correction per field.
* :func:`posts_labelled`: every post with its effective labels (analyst > relabel > ingest).
* :func:`reports_labelled`: complaints only (reposts left out; an original's reposts count as
  its engagement when the source gave none).
* :func:`reports_failures`: ``reports_labelled`` with only the failure modes (complaint-kind
  modes left out; docs/labelling.md).
* :func:`reports_by_component`: ``reports_labelled`` counted by the source's own components
  (NHTSA's component codes, top level) instead of failure modes.
* :func:`sales_current`: the latest figure per product x month x region x channel.

Analyst corrections are stored as JSON text (``labelling.py`` writes ``json.dumps``): a product
or severity as a JSON string, failure modes as a JSON list of mode ids.  No JSON function is
shared by every engine Ibis targets, so the values are read with string functions that suit
what ``labelling.py`` writes (catalog ids and mode ids are slugs: no quotes, commas or
escapes); a test compares these views with the SQL views of the migrations on a real store.
"""

from __future__ import annotations

from typing import Callable

import ibis
import ibis.expr.types as ir

TableSource = Callable[[str], ir.Table]

#: The views this module defines, by name.
VIEW_NAMES = ("report_labels_latest", "analyst_labels", "posts_labelled", "reports_labelled",
              "reports_failures", "reports_by_component", "sales_current")

_UNIT_SEPARATOR = "\x1f"     # stands in for ", " inside a component name while splitting on ","


def _latest(t: ir.Table, by: list, order: list) -> ir.Table:
    """The first row of each ``by`` group in ``order`` (row_number() = 0 in Ibis)."""
    ranked = t.mutate(_rank=ibis.row_number().over(group_by=by, order_by=order))
    return ranked.filter(ranked._rank == 0).drop("_rank")


def report_labels_latest(table: TableSource) -> ir.Table:
    t = table("report_labels")
    return _latest(t, [t.report_id], [t.labelled_at.desc(), t.label_run.desc()])


def analyst_labels(table: TableSource) -> ir.Table:
    e = table("label_events")
    latest = _latest(e, [e.report_id, e.field], [e["at"].desc(), e.label_event_id.desc()])
    return latest.group_by("report_id").aggregate(
        failure_modes_json=latest.value.max(where=latest.field == "failure_modes"),
        product_json=latest.value.max(where=latest.field == "product_id"),
        severity_json=latest.value.max(where=latest.field == "severity"),
        corrected_at=latest["at"].max(),
        analyst=latest.analyst.max(),
    )


def _json_text(value: ir.StringValue) -> ir.StringValue:
    """A JSON string value as text (``"x"`` -> ``x``; ``null`` -> NULL)."""
    return ibis.cases((value.isnull() | (value == "null"), ibis.null("string")),
                      else_=value.re_replace(r'^\s*"|"\s*$', ""))


def _json_modes(value: ir.StringValue) -> ir.ArrayValue:
    """A JSON list of mode ids as an array (``["a", "b"]`` -> [a, b]; ``null`` -> NULL)."""
    items = value.re_replace(r'[\[\]"\s]', "").split(",").filter(lambda m: m != "")
    return ibis.cases((value.isnull() | (value.strip() == "null"), ibis.null("array<string>")), else_=items)


def posts_labelled(table: TableSource) -> ir.Table:
    r = table("reports")
    m = report_labels_latest(table)
    m = m.select(**{f"m_{c}": m[c] for c in m.columns})
    a = analyst_labels(table)
    a = a.select(**{f"a_{c}": a[c] for c in a.columns})
    j = r.left_join(m, r.report_id == m.m_report_id).left_join(a, r.report_id == a.a_report_id)
    machine = j.m_report_id.notnull()
    analyst = j.a_report_id.notnull()

    def latest(column: str):
        return ibis.cases((machine, j[f"m_{column}"]), else_=j[column])

    product_fix = j.a_product_json.notnull()
    modes_fix = j.a_failure_modes_json.notnull()
    severity_fix = j.a_severity_json.notnull()
    replaced = {
        "product_id": ibis.cases((product_fix, _json_text(j.a_product_json)), else_=latest("product_id")),
        "failure_modes": ibis.cases((modes_fix, _json_modes(j.a_failure_modes_json)), else_=latest("failure_modes")),
        # An analyst's corrected modes are failures (a correction names what is wrong).
        "complaint_modes": ibis.cases((modes_fix, ibis.literal([], type="array<string>")),
                                      else_=latest("complaint_modes")),
        "severity": ibis.cases((severity_fix, _json_text(j.a_severity_json)), else_=latest("severity")),
        "label_source": ibis.cases((analyst, ibis.literal("analyst")), else_=latest("label_source")),
        "confidence": ibis.cases((analyst, ibis.literal(1.0)), else_=latest("confidence")),
    }
    for column in ("repeat_repairs", "data_loss", "lang", "author_is_owner", "classifier"):
        replaced[column] = latest(column)
    return j.select(*[replaced[c].cast(r[c].type()).name(c) if c in replaced else j[c] for c in r.columns])


def reports_labelled(table: TableSource) -> ir.Table:
    p = posts_labelled(table)
    r = table("reports")
    reposted = r.filter(r.repost_of.notnull())
    s = reposted.group_by(s_report_id=reposted.repost_of).aggregate(s_reposts=reposted.count())
    j = p.left_join(s, p.report_id == s.s_report_id)
    engagement = ibis.cases((j.engagement.isnull() & (j.s_reposts > 0), j.s_reposts.cast(p.engagement.type())),
                            else_=j.engagement)
    j = j.filter(j.repost_of.isnull())
    return j.select(*[engagement.name(c) if c == "engagement" else j[c] for c in p.columns])


def reports_failures(table: TableSource) -> ir.Table:
    """``reports_labelled`` whose ``failure_modes`` hold failures only.  Reports labelled before
    kinds existed (``complaint_modes`` NULL) count every mode as a failure."""
    t = reports_labelled(table)
    complaints = t.complaint_modes.fill_null(ibis.literal([], type="array<string>"))
    modes = ibis.cases((t.failure_modes.isnull(), ibis.null("array<string>")),
                       else_=t.failure_modes.filter(lambda m: ~complaints.contains(m)))
    return t.mutate(failure_modes=modes)


def component_ids(components: ir.ArrayValue) -> ir.ArrayValue:
    """A report's components as mode ids, as ``text.subject.source_modes`` makes them: a label
    holding several joined by "," without a space counts as several; the part before ":" is the
    top level; lower case, runs of other characters become "-"."""
    parts = (components.fill_null(ibis.literal([], type="array<string>"))
             .map(lambda c: c.replace(", ", _UNIT_SEPARATOR).split(",")).flatten())
    ids = parts.map(lambda p: p.split(":")[0].replace(_UNIT_SEPARATOR, ", ").lower()
                    .re_replace("[^a-z0-9]+", "-").re_replace("^-+|-+$", ""))
    return ids.filter(lambda m: m != "").unique()


def reports_by_component(table: TableSource) -> ir.Table:
    t = reports_labelled(table)
    return t.mutate(failure_modes=component_ids(t.components))


def sales_current(table: TableSource) -> ir.Table:
    s = table("sales")
    return _latest(s, [s.product_raw, s.month, s.region.fill_null(""), s.channel.fill_null("")],
                   [s.ingested_at.desc(), s.sales_id])


DEFINITIONS: dict[str, Callable[[TableSource], ir.Table]] = {
    "report_labels_latest": report_labels_latest, "analyst_labels": analyst_labels,
    "posts_labelled": posts_labelled, "reports_labelled": reports_labelled,
    "reports_failures": reports_failures, "reports_by_component": reports_by_component,
    "sales_current": sales_current,
}
