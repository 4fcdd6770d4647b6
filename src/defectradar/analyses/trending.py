"""Trending topics over the store's posts: the posts of the last days read from
``posts_labelled`` and handed to :class:`~defectradar.signals.trending.Trending`."""

from __future__ import annotations

from datetime import date
from typing import Sequence

from defectradar.errors import InputError
from defectradar.query.stats import backend
from defectradar.signals.trending import REQUIRED_COLUMNS, Trending, TrendRule


def trends_for_store(con, as_of: date, days: int = 56, product: str | None = None,
                     rule: TrendRule | None = None, products: Sequence[str] | None = None,
                     modes: Sequence[str] | None = None, groups=None) -> Trending:
    """:class:`Trending` over the store's posts of the ``days`` days up to ``as_of``.

    ``products`` and ``modes`` read only the posts about those products, naming one of those
    modes: each (product, mode) trend is then what the whole store gives (the daily grid still
    spans the store's days), and the all-modes trends cover only the posts read.  ``groups``
    classifies only those ``(product, mode)`` pairs (see :meth:`Trending.fit`).

    Reposts count here (``posts_labelled``): trending measures social volume, and a viral
    burst is mostly reposts by people who do not own the phone.  Complaint counts
    (``reports_labelled``) leave them out.
    """
    from datetime import datetime, timedelta

    if days < 8:
        raise InputError("trending needs at least 8 days of posts (a 7-day baseline and the day scored)")
    end = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    t = backend(con).table("posts_labelled")
    t = t.filter((t.created_at >= end - timedelta(days=days)) & (t.created_at < end) & t.product_id.notnull())
    if product is not None:
        t = t.filter(t.product_id == product)
    first_day = None
    if products is not None or modes is not None:
        # Only these posts (the scan asks for the products and modes that signalled), on the
        # days the whole store spans.
        first_day = t.created_at.min().to_pyarrow().as_py()
    if products is not None:
        t = t.filter(t.product_id.isin(list(products)))
    if modes is not None:
        wanted = list(modes)
        t = t.filter(t.failure_modes.filter(lambda m: m.isin(wanted)).length() > 0)
    posts = t.select(*REQUIRED_COLUMNS).to_pyarrow().to_pandas()
    if posts.empty:
        raise InputError(f"no posts{' about ' + product if product else ''} in the {days} days up to {as_of}")
    return Trending(rule=rule).fit(posts, as_of=as_of, first_day=first_day, groups=groups)
