"""Labels over time: analysts' corrections, and relabelling the store after the rules change.

Both only append.  A correction is a ``label_events`` row; ``reclassify`` appends a
``report_labels`` row for each report whose machine labels changed.  The view
``reports_labelled`` puts them together (analyst > latest relabel > ingest labels), so a
correction survives any number of reclassify runs, and every earlier label stays on record.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass

import pyarrow as pa

from defectradar.core.dates import utc_now
from defectradar.errors import InputError
from defectradar.progress import Progress
from defectradar.store import writer
from defectradar.store.connect import Store
from defectradar.text.classifier import ComplaintClassifier
from defectradar.text.enrich import ENRICHED_REPORT_COLUMNS, label_rows, report_sources

PAGE_ROWS = 20_000
_COMPARED = ("lang", "product_id", "failure_modes", "complaint_modes", "severity", "repeat_repairs", "data_loss",
             "author_is_owner")


@dataclass
class Correction:
    report_id: str
    fields: dict[str, object]
    analyst: str
    at: str

    def to_dict(self) -> dict:
        return asdict(self)


def record_correction(store: Store, report_id: str, *, analyst: str, failure_modes: list[str] | None = None,
                      product_id: str | None = None, severity: str | None = None, reason: str | None = None,
                      classifier: ComplaintClassifier | None = None) -> Correction:
    """Append an analyst's correction of one report's labels.

    ``failure_modes=[]`` says the report is not a defect complaint; ``product_id="none"``
    clears the product.  Modes and products are checked against the taxonomy and catalog.
    """
    if failure_modes is None and product_id is None and severity is None:
        raise InputError("nothing to record: give --failure-modes, --product or --severity")
    if classifier is not None:
        unknown = [m for m in failure_modes or [] if m not in classifier.taxonomy.ids]
        if unknown:
            raise InputError(f"unknown failure modes {', '.join(unknown)}; known: {', '.join(classifier.taxonomy.ids)}")
        if product_id not in (None, "none") and product_id not in classifier.catalog.by_id():
            raise InputError(f"unknown product {product_id!r}; use a catalog id such as xiaomi-11, or none")
    if severity not in (None, "safety", "none"):
        raise InputError("--severity must be safety or none")
    fields: dict[str, object] = {}
    if failure_modes is not None:
        fields["failure_modes"] = sorted(set(failure_modes))
    if product_id is not None:
        fields["product_id"] = None if product_id == "none" else product_id
    if severity is not None:
        fields["severity"] = None if severity == "none" else severity
    now = utc_now()
    with store.writer() as con:
        found = con.execute("SELECT count(*) FROM reports WHERE report_id = ?", [report_id]).fetchone()[0]
        if not found:
            raise InputError(f"no report {report_id!r} in {store.path}; report ids are 32 hex characters "
                             "(see `defectradar stats` or query reports)")
        events = []
        for name, value in fields.items():
            event_id = hashlib.md5(f"{report_id}\x1f{name}\x1f{now.isoformat()}\x1f{uuid.uuid4()}".encode()).hexdigest()
            events.append([event_id, report_id, name, json.dumps(value, ensure_ascii=False), analyst, reason, now])
        writer.insert_rows(con, "label_events", events)
    return Correction(report_id, fields, analyst, now.isoformat(sep=" "))


def corrected_examples(store: Store) -> tuple[list[str], list[list[str]]]:
    """Texts and analyst-corrected failure modes, for retraining.

    A text is read as the classifier reads it (title and text together), so the model learns
    from what it will be shown; ``[]`` (not a defect complaint) is a lesson too.
    """
    with store.reader() as con:
        rows = con.execute(
            "SELECT r.title, r.text, a.failure_modes_json FROM reports r JOIN analyst_labels a USING (report_id) "
            "WHERE a.failure_modes_json IS NOT NULL ORDER BY r.report_id").fetchall()
    texts = [f"{title}。{text}" if title and title != text else text for title, text, _ in rows]
    return texts, [json.loads(modes) or [] for _, _, modes in rows]


@dataclass
class ReclassifyResult:
    label_run: str
    classifier: str
    reports: int = 0
    changed: int = 0
    corrected: int = 0       # reports whose analyst corrections keep overriding the machine

    def to_dict(self) -> dict:
        return asdict(self)


def reclassify(store: Store, classifier: ComplaintClassifier, progress: Progress | None = None) -> ReclassifyResult:
    """Label every report again; append the labels that changed (corrections keep winning)."""
    result = ReclassifyResult(str(uuid.uuid4()), classifier.version)
    with store.reader() as con:
        total = con.execute("SELECT count(*) FROM reports").fetchone()[0]
        result.corrected = con.execute("SELECT count(*) FROM analyst_labels").fetchone()[0]
    if progress:
        progress.start("reclassify", total)
    last = ""
    try:
        with store.exclusive_writer(), store.write_session() as session:
            while True:
                with session.transaction() as con:
                    page = con.sql(_PAGE_SQL, params=[last, PAGE_ROWS]).to_arrow_table()
                if page.num_rows == 0:
                    break
                last = page.column("report_id")[-1].as_py()
                rows = _relabel(page, classifier, result)
                with session.transaction() as con:
                    writer.append_plain(con, "report_labels", rows)
                result.reports += page.num_rows
                if progress:
                    progress.update(result.reports, result.reports)
    finally:
        if progress:
            progress.finish()
    return result


# The current *machine* labels (latest relabel, else those of ingest): analysts' corrections
# are not compared, so they neither trigger nor block a relabel.
_PAGE_SQL = """
SELECT r.report_id, r.title, r.text, r.product_raw, r.source_severity,
       r.product_brand, r.components, r.source_type, r.source,
""" + ",\n".join(f"CASE WHEN m.report_id IS NOT NULL THEN m.{c} ELSE r.{c} END AS {c}" for c in _COMPARED) + """
FROM reports r LEFT JOIN report_labels_latest m USING (report_id)
WHERE r.report_id > ? ORDER BY r.report_id LIMIT ?
"""


def _relabel(page: pa.Table, classifier: ComplaintClassifier, result: ReclassifyResult) -> pa.Table:
    titles, texts = page.column("title").to_pylist(), page.column("text").to_pylist()
    combined = [f"{t}。{x}" if t and t != x else x for t, x in zip(titles, texts)]
    raw_products = page.column("product_raw").to_pylist()
    structured = [classifier.catalog.resolve(raw) for raw in raw_products]   # exact names only
    columns = label_rows(combined, raw_products, structured, page.column("source_severity").to_pylist(), classifier,
                         brands=page.column("product_brand").to_pylist(), components=page.column("components").to_pylist(),
                         sources=report_sources(page.column("source_type").to_pylist(), page.column("source").to_pylist()))
    current = {name: page.column(name).to_pylist() for name in _COMPARED}
    keep = []
    for i in range(page.num_rows):
        before = tuple(sorted(v) if isinstance(v, list) else v for v in (current[n][i] for n in _COMPARED))
        after = tuple(sorted(v) if isinstance(v, list) else v for v in (columns[n][i] for n in _COMPARED))
        keep.append(before != after)
    result.changed += sum(keep)
    now = utc_now()
    indices = [i for i, k in enumerate(keep) if k]
    data = {"report_id": [page.column("report_id")[i].as_py() for i in indices],
            "label_run": [result.label_run] * len(indices), "classifier": [result.classifier] * len(indices)}
    kinds = dict(ENRICHED_REPORT_COLUMNS)
    for name in ("lang", "product_id", "product_confidence", "failure_modes", "complaint_modes", "severity",
                 "repeat_repairs",
                 "data_loss", "author_is_owner", "label_source", "confidence", "labels"):
        data[name] = pa.array([columns[name][i] for i in indices], kinds[name])
    data["labelled_at"] = pa.array([now] * len(indices), pa.timestamp("us"))
    return pa.table(data)
