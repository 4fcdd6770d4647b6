"""Weibo posts as the Weibo APIs and common scrapers return them.

Accepted: JSON lines, a JSON array, ``{"statuses": [...]}`` (open API) or
``{"data": {"list"|"cards": [...]}}`` (m.weibo.cn, cards unwrapped from ``mblog``).  Per post:
``mid``/``id``/``idstr``; ``text`` (HTML), ``text_raw`` or ``longText.longTextContent`` (the
full text of long posts, preferred); ``created_at`` like ``Wed Sep 21 10:00:00 +0800 2022``;
``user.id``/``user.screen_name`` (tokenised); ``reposts_count``, ``comments_count``,
``attitudes_count``; ``region_name`` (``发布于 北京``); ``source`` (the posting client, often the
phone model).  A post with a ``retweeted_status`` is a repost: it links to its original
(``repost_of``) and counts as the original's engagement, not as a complaint of its own; the
embedded original is stored once, like any post.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from defectradar.ingest.complaints import normalise_reports
from defectradar.ingest.formats import (
    ReadOptions,
    Sample,
    SourceFormat,
    builtin_format,
)
from defectradar.ingest.reading import (
    RawBatch,
    Rejection,
    flatten,
    iter_json_records,
    preview,
    rows_to_table,
)

_CLIENT_PREFIX = re.compile(r"^(?:来自|发布于)\s*")


class _PlainText(HTMLParser):
    """Weibo's HTML to the text a reader sees: emoji images become their alt text (``[允悲]``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(alt)

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(html: str) -> str:
    if "<" not in html and "&" not in html:
        return html
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def _count(post: dict, key: str) -> int | None:
    value = post.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip().replace(",", "")
    if text.endswith("万"):  # m.weibo.cn abbreviates "1.2万"
        return int(float(text[:-1]) * 10_000)
    return int(text) if text.isdigit() else None


def _original_id(retweeted) -> str | None:
    if isinstance(retweeted, dict):
        value = retweeted.get("mid") or retweeted.get("idstr") or retweeted.get("id")
    else:
        value = retweeted       # some exports keep only the original's id
    return str(value) if value not in (None, "") else None


def post_fields(post: dict) -> dict[str, str | None]:
    """Our report fields from one Weibo post object."""
    long_text = post.get("longText")
    if isinstance(long_text, dict) and long_text.get("longTextContent"):
        text = long_text["longTextContent"]
    else:
        text = post.get("text_raw") or post.get("text") or ""
    user = post.get("user") if isinstance(post.get("user"), dict) else {}
    author = user.get("idstr") or user.get("id") or user.get("screen_name")
    client = post.get("source")
    region = post.get("region_name")
    retweeted = post.get("retweeted_status")
    counts = {k: _count(post, k) for k in ("reposts_count", "comments_count", "attitudes_count")}
    fields = {
        "source_id": str(post.get("mid") or post.get("idstr") or post.get("id") or "") or None,
        "created_at": post.get("created_at"),
        "text": html_to_text(str(text)).strip(),
        "author": None if author is None else str(author),
        "region": _CLIENT_PREFIX.sub("", html_to_text(str(region))).strip() if region else None,
        "reposts": counts["reposts_count"], "comments": counts["comments_count"],
        "likes": counts["attitudes_count"],
        "extra:client": _CLIENT_PREFIX.sub("", html_to_text(str(client))).strip() if client else None,
        "repost_of": _original_id(retweeted),
        "extra:is_long_text": "true" if post.get("isLongText") else None,
    }
    return fields


def read_weibo(sample: Sample, options: ReadOptions):
    """Posts in file order; the originals that reposts embed follow in a last batch.

    A repost is one row of the file, linked to its original (``repost_of``).  The original
    it embeds is not a row of the file: it is stored once, after the file's own rows (so a
    copy the file holds itself, often longer, wins), and only if the store lacks it.
    """
    rows: list[dict] = []
    numbers: list[int] = []
    rejections: list[Rejection] = []
    embedded: dict[str, tuple[int, dict]] = {}
    done = 0
    for number, post, rejection, done in iter_json_records(sample.path, sample.encoding):
        if rejection is not None:
            rejections.append(rejection)
        else:
            try:
                rows.append(post_fields(post))
                numbers.append(number)
            except (TypeError, ValueError, AttributeError) as exc:
                rejections.append(Rejection(number, f"post has an unexpected shape ({exc})", preview(post),
                                            cells=flatten(post)))
            original = post.get("retweeted_status")
            if isinstance(original, dict):
                key = str(original.get("mid") or original.get("idstr") or original.get("id") or "")
                if key and key not in embedded:
                    embedded[key] = (number, original)
        if len(rows) + len(rejections) >= options.batch_rows:
            yield RawBatch(rows_to_table(rows, numbers), rejections, done)
            rows, numbers, rejections = [], [], []
    if rows or rejections:
        yield RawBatch(rows_to_table(rows, numbers), rejections, done)
    originals, lines = [], []
    for number, original in embedded.values():
        try:
            originals.append(post_fields(original))
            lines.append(number)
        except (TypeError, ValueError, AttributeError):
            continue      # an embedded copy we cannot read: the repost still names its mid
    for start in range(0, len(originals), options.batch_rows):
        yield RawBatch(rows_to_table(originals[start:start + options.batch_rows],
                                     lines[start:start + options.batch_rows]), [], done, embedded=True)


def sniff_weibo(sample: Sample) -> int:
    text = sample.text.lstrip()
    if not text.startswith(("{", "[")):
        return 0
    head = text[:20000]
    if re.search(r'"(mid|attitudes_count|reposts_count)"\s*:', head):
        return 90
    if '"mblog"' in head or '"statuses"' in head:
        return 80
    return 0


builtin_format(SourceFormat(
    name="weibo", target="reports",
    description="Weibo posts (JSON lines or API pages): mid, text, created_at, user, counts",
    sniff=sniff_weibo, read=read_weibo, normalise=normalise_reports, default_source="weibo",
    default_timezone="Asia/Shanghai"))
