"""Products: the catalog's products and every product id the store holds records of.

A product can be in the catalog without records (not sold yet) or in the store without a
catalog entry (a vehicle from NHTSA data, ``named:`` ids): the list shows both, marked.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Optional

from fastapi import APIRouter, Depends, Query, Request

from defectradar.accounts import Account
from defectradar.api.common import decode_cursor, json_with_etag, page, read
from defectradar.api.params import catalog, not_found
from defectradar.api.security import requirement
from defectradar.core.numbers import json_ready

router = APIRouter(prefix="/products", tags=["products"])


def _products(request: Request) -> list[dict]:
    """Catalog products first (catalog order), then store-only ids (sorted), each marked."""
    from defectradar.query.service_histories import known_products

    in_store = set(read(request, known_products))
    rows = []
    for product in catalog(request).products:
        row = json_ready(asdict(product))
        row.update(in_catalog=True, in_store=product.product_id in in_store)
        rows.append(row)
    listed = {r["product_id"] for r in rows}
    for product_id in sorted(in_store - listed):
        rows.append({"product_id": product_id, "brand": None, "series": None, "name": product_id, "name_zh": None,
                     "launch_date": None, "end_of_production": None, "aliases": [], "in_catalog": False,
                     "in_store": True})
    return rows


@router.get("", summary="Products: the catalog's and those the store has records of")
def products_list(request: Request,
                  brand: Optional[str] = Query(None, max_length=100, description="Only this brand (any case)."),
                  in_store: Optional[bool] = Query(None, description="true: only products with records in the "
                                                   "store; false: only those without."),
                  limit: int = Query(100, ge=1, le=1000), cursor: Optional[str] = None,
                  _: Account = Depends(requirement("viewer"))):
    offset = decode_cursor(cursor)
    rows = _products(request)
    if brand is not None:
        rows = [r for r in rows if (r["brand"] or "").casefold() == brand.casefold()]
    if in_store is not None:
        rows = [r for r in rows if r["in_store"] is in_store]
    return json_with_etag(request, page(rows[offset:offset + limit + 1], offset, limit))


@router.get("/{product_id}", summary="One product by id")
def products_get(request: Request, product_id: str, _: Account = Depends(requirement("viewer"))):
    rows = _products(request)
    for row in rows:
        if row["product_id"] == product_id:
            return json_with_etag(request, row)
    from defectradar.query.service_histories import closest_ids

    close = closest_ids(product_id, [r["product_id"] for r in rows])
    hint = f"; closest known ids: {', '.join(close)}" if close else "; see GET /api/v1/products"
    raise not_found("product_id", f"unknown product {product_id!r}: neither the catalog nor the store has it{hint}")
