"""Filling the understanding columns of a batch of reports or service events.

Runs inside ingest (one Arrow batch at a time) and in ``reclassify``.  Product: a structured
product field (with the file's brand column) that names a catalog product exactly wins
(confidence 1), then the field read as text (a JD listing title, 0.9); a field naming a
product no catalog lists gives its uncatalogued id (``named:ford-escape``), unless it names
only a brand and the text names a model of that brand; a field matching several catalog
products equally, or no field, leaves the product the text names.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc

from defectradar.domain.catalog import brand_and_model, is_uncatalogued
from defectradar.text.classifier import SOURCE_LABEL, Classification, ComplaintClassifier, ReportContext
from defectradar.text.kind import COMPLAINT
from defectradar.text.products import NO_FIELD, FieldMatch
from defectradar.text.subject import NON_PHONE_SOURCES

ENRICHED_REPORT_COLUMNS = (
    ("lang", pa.string()), ("product_id", pa.string()), ("product_confidence", pa.float64()),
    ("failure_modes", pa.list_(pa.string())), ("complaint_modes", pa.list_(pa.string())),
    ("severity", pa.string()), ("repeat_repairs", pa.int32()),
    ("data_loss", pa.bool_()), ("author_is_owner", pa.bool_()), ("label_source", pa.string()),
    ("confidence", pa.float64()), ("labels", pa.string()), ("classifier", pa.string()),
)


def _label_source(result: Classification) -> str:
    sources = {m.source for m in result.failure_modes}
    if SOURCE_LABEL in sources:
        return SOURCE_LABEL
    if len(sources) == 1:
        return sources.pop()
    return "rule+model" if sources else "classifier"


def _field_matches(product_raw: list[str | None], brands: list[str | None], known: list[str | None],
                   classifier: ComplaintClassifier) -> list[FieldMatch]:
    seen: dict[tuple, FieldMatch] = {}
    matches = []
    for raw, brand, pid in zip(product_raw, brands, known):
        if not raw and not brand:
            matches.append(FieldMatch(pid, 1.0, "uncatalogued" if is_uncatalogued(pid) else "catalog")
                           if pid else NO_FIELD)
            continue
        match = seen.get((raw, brand))
        if match is None:
            match = seen[(raw, brand)] = classifier.products.match_field(raw, brand)
        matches.append(match)
    return matches


def _product(field: FieldMatch, brand: str | None, result: Classification,
             classifier: ComplaintClassifier) -> tuple[str | None, float | None]:
    if field.kind == "catalog" or (field.kind == "uncatalogued" and field.model_named):
        return field.product_id, field.confidence
    named = result.product_id
    if named and (not brand or classifier.products.brand_fits(brand, named)):
        return named, result.product_confidence
    if field.kind == "uncatalogued":       # a brand alone, and no model of it in the text
        return field.product_id, field.confidence
    return None, None


def label_rows(texts: list[str], product_raw: list[str | None], product_id: list[str | None],
               source_severity: list[str | None], classifier: ComplaintClassifier, *,
               brands: list[str | None] | None = None, components: list[list[str] | None] | None = None,
               sources: list[str | None] | None = None) -> dict[str, list]:
    """The enriched columns, as Python lists, for parallel inputs of one batch.

    ``product_id`` holds ids already known without the text (used where a row has no product
    field); ``brands``, ``components`` (the source's own labels) and ``sources`` (source type)
    are optional, parallel to ``texts``.
    """
    n = len(texts)
    brands = brands if brands is not None else [None] * n
    components = components if components is not None else [None] * n
    sources = sources if sources is not None else [None] * n
    fields = _field_matches(product_raw, brands, product_id, classifier)
    category = classifier.catalog.category
    contexts = [ReportContext(source, category if field.kind == "catalog" else None,
                              brand_and_model(raw, brand) or None, tuple(labels or ()))
                for field, raw, brand, labels, source in zip(fields, product_raw, brands, components, sources)]
    results = classifier.classify(texts, contexts)
    columns: dict[str, list] = {name: [] for name, _ in ENRICHED_REPORT_COLUMNS}
    version = classifier.version
    for result, field, brand, severity in zip(results, fields, brands, source_severity):
        pid, pconf = _product(field, brand, result, classifier)
        modes = result.failure_modes
        columns["lang"].append(result.lang)
        columns["product_id"].append(pid)
        columns["product_confidence"].append(pconf)
        columns["failure_modes"].append([m.mode for m in modes])
        # The modes of kind "complaint" (works, worse than expected); the others are failures.
        columns["complaint_modes"].append([m.mode for m in modes if m.kind == COMPLAINT])
        columns["severity"].append("safety" if "safety" in (severity, result.severity) else None)
        columns["repeat_repairs"].append(result.repeat_repairs)
        columns["data_loss"].append(result.data_loss)
        columns["author_is_owner"].append(result.is_owner)
        columns["label_source"].append(_label_source(result))
        columns["confidence"].append(max((m.confidence for m in modes), default=None))
        labels = {"products": [p.to_dict() for p in result.products], "failure_modes": [m.to_dict() for m in modes]}
        if field.kind != "none":
            labels["product_field"] = field.kind
        if result.subject is not None and not result.subject.phone:
            labels["subject"] = result.subject.to_dict()
        columns["labels"].append(json.dumps(labels, ensure_ascii=False, separators=(",", ":")))
        columns["classifier"].append(version)
    return columns


def report_sources(source_types: list[str | None], sources: list[str | None]) -> list[str | None]:
    """What :class:`ReportContext` is told of each report's origin: the source type when it says
    what reports are about (``nhtsa``), else the source name (a CSV ingested as ``--source nhtsa``)."""
    return [kind if (kind or "").lower() in NON_PHONE_SOURCES else name for kind, name in zip(source_types, sources)]


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
    optional = {name: table.column(column).to_pylist() if column in table.column_names else None
                for name, column in (("brands", "product_brand"), ("components", "components"))}
    optional["sources"] = report_sources(table.column("source_type").to_pylist(), table.column("source").to_pylist())
    columns = label_rows(_texts(table), table.column("product_raw").to_pylist(),
                         table.column("product_id").to_pylist(), table.column("source_severity").to_pylist(),
                         classifier, **optional)
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
