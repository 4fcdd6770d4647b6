"""Built-in tabular formats: generic complaints (csv, jsonl, parquet, xlsx), service records, sales.

Service records and sales are recognised by their columns, whatever the container (CSV, TSV,
JSON lines, Parquet or an Excel workbook), and also accept ``--map``.
"""

from __future__ import annotations

from defectradar.errors import InputError
from defectradar.ingest.complaints import normalise_reports
from defectradar.ingest.fields import REPORT_FIELDS, SALES_FIELDS, SERVICE_FIELDS
from defectradar.ingest.formats import (
    ReadOptions,
    Sample,
    SourceFormat,
    builtin_format,
    columns_match,
    container_of,
    looks_delimited,
    read_tabular,
)
from defectradar.ingest.sales import normalise_sales
from defectradar.ingest.service_records import normalise_service_records


def _columns(sample: Sample) -> list[str]:
    if sample.is_parquet:
        import pyarrow.parquet as pq
        try:
            return pq.ParquetFile(sample.path).schema_arrow.names
        except Exception:  # noqa: BLE001 - an unreadable file simply does not match
            return []
    try:
        return sample.header()
    except InputError:
        raise                  # a workbook without the --sheet named: say so, not "unknown format"
    except Exception:  # noqa: BLE001
        return []


def _sniff_generic(container: str):
    def sniff(sample: Sample) -> int:
        if container_of(sample) != container:
            return 0
        if container == "delimited" and not looks_delimited(sample):
            return 0
        return 20 if columns_match(_columns(sample), REPORT_FIELDS) else 5
    return sniff


def _sniff_columns(fields):
    def sniff(sample: Sample) -> int:
        return 60 if columns_match(_columns(sample), fields) else 0
    return sniff


def _read(fields, container: str | None = None):
    """A reader of ``fields``; a format named for its container (csv, jsonl, parquet) reads
    that container even when the content alone would say otherwise (a JSON line that is not
    an object, say), so its rows are judged as such."""
    def read(sample: Sample, options: ReadOptions):
        return read_tabular(sample, options, fields, container)
    return read


for _name, _container, _description in (
    ("csv", "delimited", "complaints in a delimited text file with a header (CSV, TSV, ; or |)"),
    ("jsonl", "json", "complaints as JSON lines, or a JSON array of objects"),
    ("parquet", "parquet", "complaints in a Parquet file"),
    ("xlsx", "excel", "complaints in an Excel workbook (.xlsx; the first sheet, or --sheet NAME)"),
):
    builtin_format(SourceFormat(
        name=_name, target="reports", description=_description, sniff=_sniff_generic(_container),
        read=_read(REPORT_FIELDS, _container), normalise=normalise_reports, default_source=_name))

builtin_format(SourceFormat(
    name="service-records", target="service_events",
    description="after-sales service events: device_id, product, purchase_date, event_date, fault, action, ...",
    sniff=_sniff_columns(SERVICE_FIELDS), read=_read(SERVICE_FIELDS),
    normalise=normalise_service_records, default_source="service-records"))

builtin_format(SourceFormat(
    name="sales", target="sales", description="monthly sales: product, month (YYYY-MM), units, optional region",
    sniff=_sniff_columns(SALES_FIELDS), read=_read(SALES_FIELDS), normalise=normalise_sales,
    default_source="sales"))
