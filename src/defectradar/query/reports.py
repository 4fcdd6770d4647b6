"""Reading reports back: a filtered list, a word search, and one report with where its labels
came from (``defectradar reports list|search|show``).

Lists read ``reports_labelled`` (complaints with their effective labels: an analyst's
correction over the latest relabel over the labels given at ingest; reposts left out); a single
report is found in ``posts_labelled`` (reposts too).  Filters are Ibis expressions, so they run
on any backend.  A product whose id starts with ``named:`` is in no catalog: the product as the
source named it (see docs/formats.md, "Uncatalogued products").

Examples
--------
>>> with store.reader() as con:                                       # doctest: +SKIP
...     found = list_reports(con, ReportQuery(product_ids=("named:ford-escape",), mode="service-brakes"))
...     detail = show_report(con, found.reports[0].report_id[:8])
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from defectradar.core.dates import as_date
from defectradar.core.masking import shown
from defectradar.domain.catalog import UNCATALOGUED_PREFIX, Catalog, is_uncatalogued, uncatalogued_id
from defectradar.errors import InputError
from defectradar.query.stats import backend

MIN_PREFIX = 4
MAX_LIMIT = 10_000
_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True)
class ReportQuery:
    """Which reports to list; every filter is optional and they combine with AND.

    ``product_ids`` are ids any of which may match (see :func:`product_ids_for`); ``modes``
    likewise; ``text`` is a substring and ``words`` must all occur, in any order (both ignore
    case, and look in the title too); ``since``/``until`` are inclusive days of ``created_at``.
    """

    product_ids: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    source: str | None = None
    since: date | None = None
    until: date | None = None
    text: str | None = None
    words: tuple[str, ...] = ()
    limit: int = 50
    severity: str | None = None       # "safety"; "none" keeps reports without a severity

    def to_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple) else v)
                for k, v in asdict(self).items()}


@dataclass
class ReportRow:
    report_id: str
    created_at: str | None
    source: str
    product_id: str | None
    uncatalogued: bool
    product_raw: str | None
    failure_modes: list[str]
    label_source: str | None
    severity: str | None
    title: str | None
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ReportList:
    reports: list[ReportRow]
    matched: int                  # reports matching, before the limit
    query: ReportQuery

    def to_dict(self) -> dict:
        return {"matched": self.matched, "shown": len(self.reports), "query": self.query.to_dict(),
                "reports": [r.to_dict() for r in self.reports]}


@dataclass
class ReportDetail:
    """One report, its effective labels, and where each came from."""

    report: dict                          # the report's own fields (text redacted at ingest)
    product: dict                         # id, uncatalogued, confidence, named_as, brand, matched_by
    failure_modes: list[dict]             # mode, confidence, source (rule/model/rule+model/source/analyst)
    label_source: str | None
    subject: dict | None                  # why the phone reader did not read it, when it did not
    components: list[str]                 # the source's own labels
    labelled_by: dict                     # machine labels: ingest or reclassify, classifier, when
    corrections: list[dict] = field(default_factory=list)   # analysts' corrections, oldest first

    def to_dict(self) -> dict:
        return asdict(self)


def product_ids_for(value: str, catalog: Catalog | None = None) -> tuple[str, ...]:
    """Ids a user's ``--product`` may mean: the value itself, the catalog product it names, and
    the uncatalogued id of it as a name ("Ford Escape" -> ``named:ford-escape``)."""
    value = value.strip()
    if not value:
        raise InputError("--product is empty; give a product id (xiaomi-11, named:ford-escape) or a name")
    ids = [value]
    if catalog is not None and catalog.resolve(value):
        ids.append(catalog.resolve(value))
    named = uncatalogued_id(value)
    if named and not is_uncatalogued(value):
        # The id of a drafted catalog's product is the slug of its name ("Ford Escape" ->
        # ford-escape), and the catalog a file was ingested with need not be the store's.
        ids += [named.removeprefix(UNCATALOGUED_PREFIX), named]
    return tuple(dict.fromkeys(ids))


def mode_ids_for(value: str) -> tuple[str, ...]:
    """Modes a user's ``--mode`` may mean: the id as given, or a source label written as the
    source writes it ("SERVICE BRAKES" -> ``service-brakes``)."""
    from defectradar.text.subject import source_mode

    value = value.strip()
    if not value:
        raise InputError("--mode is empty; give a failure mode such as wifi or service-brakes")
    return tuple(dict.fromkeys(m for m in (value, source_mode(value)) if m))


def _day(value, flag: str) -> date | None:
    return as_date(value, flag) if value not in (None, "") else None


def report_query(*, product_ids: tuple[str, ...] = (), modes: tuple[str, ...] = (), source: str | None = None,
                 since=None, until=None, text: str | None = None, words: str | None = None,
                 limit: int = 50, severity: str | None = None) -> ReportQuery:
    """A :class:`ReportQuery` from a shell's raw values, checked (errors name the flag)."""
    since_day, until_day = _day(since, "--since"), _day(until, "--until")
    if since_day and until_day and since_day > until_day:
        raise InputError(f"--since {since_day} is after --until {until_day}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"--limit must be between 1 and {MAX_LIMIT:,}")
    if text is not None and not text.strip():
        raise InputError("--text is empty; give the words to look for")
    split = tuple(w for w in (words or "").split() if w)
    if words is not None and not split:
        raise InputError("--search is empty; give one or more words")
    if severity is not None and not severity.strip():
        raise InputError("--severity is empty; give safety, or none for reports without a severity")
    return ReportQuery(product_ids, modes, source or None, since_day, until_day,
                       text.strip() if text else None, split, limit, severity.strip() if severity else None)


def _filtered(con, query: ReportQuery):
    t = backend(con).table("reports_labelled")
    if query.product_ids:
        t = t.filter(t.product_id.isin(list(query.product_ids)))
    if query.modes:
        t = t.filter(_any_mode(t, query.modes))
    if query.source:
        t = t.filter(t.source == query.source)
    if query.severity == "none":
        t = t.filter(t.severity.isnull())
    elif query.severity:
        t = t.filter(t.severity == query.severity)
    if query.since:
        t = t.filter(t.created_at >= datetime.combine(query.since, datetime.min.time()))
    if query.until:
        t = t.filter(t.created_at < datetime.combine(query.until + timedelta(days=1), datetime.min.time()))
    if query.text or query.words:
        haystack = (t.title.fill_null("") + "\n" + t.text.fill_null("")).lower()
        for needle in ((query.text,) if query.text else ()) + query.words:
            t = t.filter(haystack.contains(needle.lower()))
    return t


def _any_mode(t, modes):
    condition = t.failure_modes.contains(modes[0])
    for mode in modes[1:]:
        condition = condition | t.failure_modes.contains(mode)
    return condition


def _iso(value) -> str | None:
    return None if value is None else value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)


def list_reports(con, query: ReportQuery) -> ReportList:
    """Reports matching ``query``, newest first (undated last), at most ``query.limit``."""
    t = _filtered(con, query)
    matched = int(t.count().to_pyarrow().as_py())
    columns = ["report_id", "created_at", "source", "product_id", "product_raw", "failure_modes", "label_source",
               "severity", "title", "text"]
    page = (t.select(*columns).order_by([t.created_at.desc(nulls_first=False), t.report_id])
            .limit(query.limit).to_pyarrow().to_pylist())
    rows = [ReportRow(r["report_id"], _iso(r["created_at"]), r["source"], r["product_id"],
                      is_uncatalogued(r["product_id"]), r["product_raw"], list(r["failure_modes"] or []),
                      r["label_source"], r["severity"], r["title"], r["text"] or "") for r in page]
    return ReportList(rows, matched, query)


def find_report_id(con, id_or_prefix: str, source: str | None = None) -> str:
    """The full id of the one report ``id_or_prefix`` names.

    A user knows a report by the source's own id (an NHTSA ODINO such as 958167, a Weibo post
    id) more often than by ours, so that is tried first (exactly, after trimming); then our
    report id or its first :data:`MIN_PREFIX` or more hex characters.  ``source`` narrows both
    to one source, for a source id two sources share.
    """
    value = id_or_prefix.strip()
    if not value:
        raise InputError("give a report id (or its first 4+ characters) or the source's own id, such as an "
                         "NHTSA ODINO; see `defectradar reports list`")
    t = backend(con).table("reports")
    if source:
        t = t.filter(t.source == source)
    by_source = (t.filter(t.source_id == value).select("report_id", "source").distinct()
                 .order_by("report_id").limit(3).to_pyarrow().to_pylist())
    folded = value.lower()
    by_prefix = []
    if MIN_PREFIX <= len(folded) <= 32 and _HEX.match(folded):
        by_prefix = (t.filter(t.report_id.startswith(folded)).select("report_id").distinct()
                     .order_by("report_id").limit(3).to_pyarrow().column("report_id").to_pylist())
    if len(by_source) == 1 and not (set(by_prefix) - {by_source[0]["report_id"]}):
        return by_source[0]["report_id"]
    if len(by_source) > 1:
        sources = sorted({row["source"] for row in by_source})
        hint = (f"add --source ({' or '.join(sources)})" if len(sources) > 1 and not source
                else "give the report id instead (see `defectradar reports list`)")
        raise InputError(f"several reports have the source id {shown(value)}; {hint}")
    if len(by_prefix) == 1 and not by_source:
        return by_prefix[0]
    if by_prefix:
        raise InputError(f"{shown(value)} is the start of several report ids "
                         f"({', '.join(f[:12] for f in by_prefix[:2])}, ...); give more characters")
    where = f" of source {shown(source)}" if source else ""
    raise InputError(f"no report{where} has the id or source id {shown(value)}; report ids are hex (give 4 or "
                     "more characters), source ids as the source writes them; see `defectradar reports list`")


def _one(table, report_id: str) -> dict | None:
    rows = table.filter(table.report_id == report_id).limit(1).to_pyarrow().to_pylist()
    return rows[0] if rows else None


def _json(value: str | None):
    try:
        return json.loads(value) if value else None
    except ValueError:
        return value


def _labels_json(value: str | None) -> dict:
    parsed = _json(value)
    return parsed if isinstance(parsed, dict) else {}


def show_report(con, id_or_prefix: str, source: str | None = None) -> ReportDetail:
    """One report (by source id, id or unique prefix) with its labels and their provenance."""
    report_id = find_report_id(con, id_or_prefix, source)
    b = backend(con)
    effective = _one(b.table("posts_labelled"), report_id)
    stored = _one(b.table("reports"), report_id)
    relabel = _one(b.table("report_labels_latest"), report_id)
    events = b.table("label_events")
    corrections = (events.filter(events.report_id == report_id).order_by(["at", "label_event_id"])
                   .select("field", "value", "analyst", "reason", "at").to_pyarrow().to_pylist())
    machine = relabel or stored
    labels = _labels_json(machine.get("labels"))
    machine_modes = {m.get("mode"): m for m in labels.get("failure_modes", []) if isinstance(m, dict)}
    corrected = {c["field"] for c in corrections}
    modes = []
    for mode in effective["failure_modes"] or []:
        if "failure_modes" in corrected:
            modes.append({"mode": mode, "confidence": 1.0, "source": "analyst"})
        else:
            known = machine_modes.get(mode, {})
            modes.append({"mode": mode, "confidence": known.get("confidence"), "source": known.get("source")})
    product_id = effective["product_id"]
    if "product_id" in corrected:
        matched_by = "analyst"
    elif product_id is None:
        matched_by = None
    else:
        matched_by = labels.get("product_field") or "text"
        matched_by = "text" if matched_by == "ambiguous" else matched_by
    product = {"product_id": product_id, "uncatalogued": is_uncatalogued(product_id),
               "confidence": None if matched_by == "analyst" else machine.get("product_confidence"),
               "named_as": stored.get("product_raw"), "brand": stored.get("product_brand"), "matched_by": matched_by}
    shown_fields = ("report_id", "source", "source_type", "source_id", "created_at", "title", "text", "lang",
                    "severity", "source_severity", "repeat_repairs", "data_loss", "author_is_owner", "engagement",
                    "region", "url", "repost_of", "ingest_run", "ingested_at")
    report = {k: (_iso(effective.get(k)) if isinstance(effective.get(k), (date, datetime)) else effective.get(k))
              for k in shown_fields if k in effective}
    return ReportDetail(
        report=report, product=product, failure_modes=modes, label_source=effective.get("label_source"),
        subject=labels.get("subject"), components=list(stored.get("components") or []),
        labelled_by={"by": "reclassify" if relabel else "ingest", "classifier": machine.get("classifier"),
                     "at": _iso(relabel.get("labelled_at") if relabel else stored.get("ingested_at"))},
        corrections=[{**c, "value": _json(c["value"]), "at": _iso(c["at"])} for c in corrections])
