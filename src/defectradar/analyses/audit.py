"""The remedies audit of the store: every device's service history read and judged.

:func:`audit_store` judges the devices where the engine holds their histories
(:func:`~defectradar.query.service_histories.map_device_histories`: in this process on
DuckDB, streamed a batch of devices at a time; in the executors on Spark) with the judge of
:func:`~defectradar.remedies.audit.audit_histories`, and adds the parts up.

Examples
--------
>>> report = audit_store(store, builtin_rule_book(), builtin_catalog())      # doctest: +SKIP
>>> report.to_dict(limit=20)["groups"][:3]                                     # doctest: +SKIP
"""

from __future__ import annotations

from defectradar.core.dates import as_date
from defectradar.domain.catalog import Catalog
from defectradar.errors import InputError
from defectradar.query.service_histories import device_count, latest_service_date, map_device_histories
from defectradar.remedies.audit import (
    AuditJudge,
    AuditPart,
    AuditReport,
    as_progress,
    audit_report,
    check_audit_options,
)
from defectradar.remedies.rule_book import RuleBook


def audit_store(store_or_con, book: RuleBook, catalog: Catalog, *, as_of=None, product: str | None = None,
                jurisdiction_default: str | None = "CN", period: str = "quarter", progress=None,
                lang: str = "en") -> AuditReport:
    """Judge every device in the store with the remedies engine (:func:`audit_histories`).

    ``store_or_con`` is a :class:`~defectradar.store.connect.Store` or an open connection
    (``store.reader()``).  ``as_of`` defaults to the latest service event date in the store;
    ``product`` (a catalog id or name) keeps one product's devices.

    >>> audit_store(store, builtin_rule_book(), builtin_catalog(), period="month").by_kind   # doctest: +SKIP
    {'lesser_remedy': 1234, 'refused': 56}
    """
    default = check_audit_options(book, jurisdiction_default, period)
    product_id = None
    if product is not None:
        product_id = catalog.resolve(product)
        if product_id is None:
            raise InputError(f"product: unknown product {product!r}; use a catalog id or name such as 'xiaomi-11'")
    as_of = as_date(as_of, "as_of")
    if hasattr(store_or_con, "reader"):
        with store_or_con.reader() as con:
            return _audit(con, book, catalog, as_of, product_id, default, period, progress, lang)
    return _audit(store_or_con, book, catalog, as_of, product_id, default, period, progress, lang)


def _audit(con, book, catalog, as_of, product_id, default, period, progress, lang) -> AuditReport:
    day = as_of or latest_service_date(con)
    judge = AuditJudge(book, catalog, day, default, period, lang)
    progress = as_progress(progress)
    if progress:
        progress.start("remedies audit", device_count(con, product_id))
    total = AuditPart()
    for part in map_device_histories(con, judge, product=product_id):
        total.add(part)
        if progress:
            progress.update(total.read)      # devices read, as device_count counts them
    if progress:
        progress.finish()
    return audit_report(total, book, as_of=day, period=period, jurisdiction_default=default)
