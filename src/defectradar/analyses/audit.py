"""The remedies audit of the store: every device's service history read and judged.

:func:`audit_store` reads the histories with
:func:`~defectradar.query.service_histories.service_histories` and hands them to
:func:`~defectradar.remedies.audit.audit_histories`.

Examples
--------
>>> report = audit_store(store, builtin_rule_book(), builtin_catalog())      # doctest: +SKIP
>>> report.to_dict(limit=20)["groups"][:3]                                     # doctest: +SKIP
"""

from __future__ import annotations

from defectradar.core.dates import as_date
from defectradar.domain.catalog import Catalog
from defectradar.errors import InputError
from defectradar.query.service_histories import latest_service_date, service_histories
from defectradar.remedies.audit import PERIODS, AuditReport, audit_histories
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
    if period not in PERIODS:
        raise InputError(f"period: {period!r} is not a period; use one of {', '.join(PERIODS)}")
    product_id = None
    if product is not None:
        product_id = catalog.resolve(product)
        if product_id is None:
            raise InputError(f"product: unknown product {product!r}; use a catalog id or name such as 'xiaomi-11'")
    as_of = as_date(as_of, "as_of")

    def read(con):
        return service_histories(con, product=product_id), as_of or latest_service_date(con)

    if hasattr(store_or_con, "reader"):
        with store_or_con.reader() as con:
            events, day = read(con)
    else:
        events, day = read(store_or_con)
    return audit_histories(events, book, catalog, as_of=day, jurisdiction_default=jurisdiction_default,
                           period=period, progress=progress, lang=lang)
