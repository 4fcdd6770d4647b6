"""Filling the understanding columns of a batch of reports or service events.

Runs inside ingest (one Arrow batch at a time) and in ``reclassify``.  Product: a structured
product field that names a catalog product exactly wins (confidence 1); otherwise the field
read as text (a JD listing title); otherwise the product the text names.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc

from defectradar.text.classifier import Classification, ComplaintClassifier

ENRICHED_REPORT_COLUMNS = (
    ("lang", pa.string()), ("product_id", pa.string()), ("product_confidence", pa.float64()),
    ("failure_modes", pa.list_(pa.string())), ("severity", pa.string()), ("repeat_repairs", pa.int32()),
    ("data_loss", pa.bool_()), ("author_is_owner", pa.bool_()), ("label_source", pa.string()),
    ("confidence", pa.float64()), ("labels", pa.string()), ("classifier", pa.string()),
)


def _label_source(result: Classification) -> str:
    sources = {m.source for m in result.failure_modes}
    if len(sources) == 1:
        return sources.pop()
    return "rule+model" if sources else "classifier"


def label_rows(texts: list[str], product_raw: list[str | None], product_id: list[str | None],
               source_severity: list[str | None], classifier: ComplaintClassifier) -> dict[str, list]:
    """The enriched columns, as Python lists, for parallel inputs of one batch."""
    results = classifier.classify(texts)
    columns: dict[str, list] = {name: [] for name, _ in ENRICHED_REPORT_COLUMNS}
    version = classifier.version
    for result, raw, known, severity in zip(results, product_raw, product_id, source_severity):
        pid, pconf = known, (1.0 if known else None)
        if pid is None and raw:
            pid = classifier.products.resolve_field(raw)
            pconf = 0.9 if pid else None
        if pid is None and result.products:
            pid, pconf = result.product_id, result.product_confidence
        modes = result.failure_modes
        columns["lang"].append(result.lang)
        columns["product_id"].append(pid)
        columns["product_confidence"].append(pconf)
        columns["failure_modes"].append([m.mode for m in modes])
        columns["severity"].append("safety" if "safety" in (severity, result.severity) else None)
        columns["repeat_repairs"].append(result.repeat_repairs)
        columns["data_loss"].append(result.data_loss)
        columns["author_is_owner"].append(result.is_owner)
        columns["label_source"].append(_label_source(result))
        columns["confidence"].append(max((m.confidence for m in modes), default=None))
        columns["labels"].append(json.dumps({"products": [p.to_dict() for p in result.products],
                                             "failure_modes": [m.to_dict() for m in modes]},
                                            ensure_ascii=False, separators=(",", ":")))
        columns["classifier"].append(version)
    return columns


def _texts(table: pa.Table) -> list[str]:
    text = table.column("text").to_pylist()
    if "title" not in table.column_names:
        return text
    titles = table.column("title").to_pylist()
    return [f"{t}。{x}" if t and t != x else x for t, x in zip(titles, text)]


def enrich_reports(table: pa.Table, classifier: ComplaintClassifier) -> pa.Table:
    """``table`` (store ``reports`` columns) with the understanding columns filled in."""
    if table.num_rows == 0:
        return table
    columns = label_rows(_texts(table), table.column("product_raw").to_pylist(),
                         table.column("product_id").to_pylist(), table.column("source_severity").to_pylist(),
                         classifier)
    for name, kind in ENRICHED_REPORT_COLUMNS:
        table = table.set_column(table.column_names.index(name), name, pa.array(columns[name], kind))
    return table


def fault_modes(faults: pa.Array, classifier: ComplaintClassifier) -> pa.Array:
    """The main failure mode of each service record's fault text (the most confident one)."""
    distinct = pc.unique(faults)
    values = [v for v in distinct.to_pylist()]
    present = [v for v in values if v]
    modes = {}
    for text, result in zip(present, classifier.classify(present)):
        modes[text] = result.failure_modes[0].mode if result.failure_modes else None
    mapped = pa.array([modes.get(v) if v else None for v in values], pa.string())
    return pc.take(mapped, pc.index_in(faults, value_set=distinct))
