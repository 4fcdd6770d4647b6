"""Weibo post objects as the APIs return them, and the post streams not tied to a device.

A post carries ``mid``/``id``, ``created_at`` in Weibo's format (Beijing time), HTML ``text``
(emoji images, hashtag and mention links, ``<br />``), ``user``, engagement counts, the posting
client ``source`` and ``region_name``; long posts are truncated with a "全文" link and carry
``longText.longTextContent``; reposts embed the original as ``retweeted_status``.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import numpy as np

from defectradar.domain.catalog import Product
from defectradar.simulate.identities import (
    WeiboIds,
    email_address,
    mobile_number,
    screen_name,
)
from defectradar.simulate.parameters import (
    BACKGROUND_POSTS_PER_DAY,
    BACKGROUND_START,
    BURST_END,
    BURST_PEAK,
    BURST_POSTS,
    BURST_START,
    ENGLISH_SHARE,
    OBSERVATION_END,
    PLANTED_IN_BACKGROUND,
    REGIONS,
    TRADITIONAL_SHARE,
    WEEKDAY_FACTOR,
)
from defectradar.simulate.phrases.aliases import client_for
from defectradar.simulate.phrases.chatter import MEDIA_ACCOUNTS
from defectradar.simulate.phrases.story import EMOJI_FILES
from defectradar.simulate.post_text import (
    Draft,
    compose_background,
    compose_burst,
    compose_repost,
    pick,
    piece_text,
)

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EPOCH = date(2019, 1, 1).toordinal()
# Posting activity by hour of day (Beijing time): quiet at night, peaks at lunch and evening.
_HOURS = np.array((3, 2, 1, 0.6, 0.5, 0.6, 1.2, 2.5, 4, 4.5, 4.8, 5, 6, 5.5, 4.6, 4.5, 4.6, 5, 5.5, 6,
                   6.8, 7.2, 6.5, 4.8))
_HOURS = _HOURS / _HOURS.sum()
# (mu, sigma) of log(likes + 1): most posts get a few likes, the burst and the media far more.
_ENGAGEMENT = {"chatter": (0.2, 1.3), "owner": (0.8, 1.6), "burst": (2.0, 1.8), "media": (7.0, 1.1),
               "repost": (0.0, 1.2)}
_REGION_NAMES = tuple(name for name, _ in REGIONS)
_REGION_WEIGHTS = np.array([share for _, share in REGIONS]) / sum(share for _, share in REGIONS)
_LONG_TEXT = 140           # Weibo's limit, counting a Latin character as half


def weibo_length(text: str) -> float:
    return sum(0.5 if ord(ch) < 128 else 1.0 for ch in text)


def weibo_time(day: int, second: int) -> str:
    """``Wed Sep 21 10:00:00 +0800 2022`` for a day ordinal and a second of that day."""
    d = date.fromordinal(day)
    hh, rest = divmod(second, 3600)
    return f"{_DAYS[d.weekday()]} {_MONTHS[d.month - 1]} {d.day:02d} {hh:02d}:{rest // 60:02d}:{rest % 60:02d} +0800 {d.year}"


def time_of_day(rng: np.random.Generator) -> int:
    return int(rng.choice(24, p=_HOURS)) * 3600 + int(rng.integers(3600))


def _emoji_html(alt: str) -> str:
    name = EMOJI_FILES.get(alt, "d_doge")
    digest = hashlib.md5(name.encode()).hexdigest()[:10]
    return (f'<span class="url-icon"><img alt="{alt}" src="https://h5.sinaimg.cn/m/emoticon/icon/default/'
            f'{name}-{digest}.png" style="width:1em; height:1em;" /></span>')


def _tag_html(tag: str) -> str:
    query = quote(f"type=1&t=10&q=#{tag}#", safe="")
    return f'<a href="https://m.weibo.cn/search?containerid=231522{query}">#{tag}#</a>'


def render_html(pieces) -> str:
    out = []
    for kind, value in pieces:
        if kind == "br":
            out.append("<br />")
        elif kind == "emoji":
            out.append(_emoji_html(value))
        elif kind == "tag":
            out.append(_tag_html(value))
        elif kind == "mention":
            out.append(f'<a href="/n/{quote(value)}">@{html.escape(value, quote=False)}</a>')
        else:
            out.append(html.escape(value, quote=False))
    return "".join(out)


def _truncated(draft: Draft, mid: str) -> str:
    """The first ~110 characters of a long post, cut before any identifier, with a 全文 link."""
    cut, position = 110, 0
    for kind, value in draft.pieces:
        if kind in ("ident", "mention"):
            cut = min(cut, position)
            break
        position += len(piece_text(kind, value))
    text = draft.plain_text()[:cut].replace("\n", " ")
    return f'{html.escape(text, quote=False)}...<a href="/status/{mid}">全文</a>'


@dataclass
class Author:
    uid: int
    screen_name: str


class PostFactory:
    """Turns drafts into Weibo post objects and hands them, with their truth, to the sink."""

    def __init__(self, ids: WeiboIds, sink) -> None:
        self.ids = ids
        self.sink = sink

    def new_author(self, rng: np.random.Generator, english: bool = False) -> Author:
        return Author(self.ids.new_user_id(), screen_name(rng, english))

    def publish(self, rng: np.random.Generator, draft: Draft, day: int, second: int, author: Author,
                source: str, region: str, level: str, retweeted: dict | None = None,
                kind: str = "other") -> dict:
        mid = self.ids.new_mid((day - _EPOCH) * 86_400 + second)
        likes = max(0, int(rng.lognormal(*_ENGAGEMENT[level])) - 1)
        comments = int(likes * rng.uniform(0.05, 0.6) + rng.poisson(0.3))
        reposts = int(likes * rng.uniform(0.0, 0.35) * (3 if level == "media" else 1))
        full = render_html(draft.pieces)
        is_long = weibo_length(draft.plain_text()) > _LONG_TEXT
        post = {"mid": mid, "id": int(mid), "created_at": weibo_time(day, second),
                "text": _truncated(draft, mid) if is_long else full, "source": source,
                "user": {"id": author.uid, "screen_name": author.screen_name},
                "reposts_count": reposts, "comments_count": comments, "attitudes_count": likes,
                "region_name": f"发布于 {region}", "isLongText": is_long}
        if is_long:
            post["longText"] = {"longTextContent": full}
        if retweeted is not None:
            post["retweeted_status"] = retweeted
        self.sink.write_post(post, draft.truth(), kind)
        return post


def _region(rng: np.random.Generator, traditional: bool) -> str:
    if traditional and rng.random() < 0.5:
        return pick(rng, ("香港", "台湾", "海外"))
    return _REGION_NAMES[int(rng.choice(len(_REGION_NAMES), p=_REGION_WEIGHTS))]


def write_background(rng: np.random.Generator, factory: PostFactory, products: list[Product],
                     popularity: dict[date, np.ndarray], scale: float) -> int:
    """Chatter that is not about defects, at a steady daily rate with weekly seasonality.

    ``popularity[month]`` weighs the products talked about that month (installed base plus the
    buzz of the month's sales); products not on sale yet are never named.
    """
    written = 0
    for day in range(BACKGROUND_START.toordinal(), OBSERVATION_END.toordinal() + 1):
        d = date.fromordinal(day)
        weights = popularity[date(d.year, d.month, 1)]
        count = int(rng.poisson(BACKGROUND_POSTS_PER_DAY * scale * WEEKDAY_FACTOR[d.weekday()]))
        on_sale = np.flatnonzero(weights > 0)
        for second in sorted(time_of_day(rng) for _ in range(count)):
            english = bool(rng.random() < ENGLISH_SHARE)
            traditional = not english and bool(rng.random() < TRADITIONAL_SHARE)
            product = other = None
            if rng.random() >= 0.1 and len(on_sale):
                index = int(rng.choice(len(products), p=weights / weights.sum()))
                product = products[index]
                others = [i for i in on_sale if i != index]
                other = products[int(pick(rng, others))] if others else None
            planted = {}
            for kind, chance in PLANTED_IN_BACKGROUND.items():
                if product is not None and rng.random() < chance:
                    planted[kind] = mobile_number(rng) if kind == "phone" else email_address(rng)
            draft = compose_background(rng, product, other, english, traditional, planted)
            own = product is not None and draft.is_owner and rng.random() < 0.35
            source = client_for(product, rng, True) if own else client_for(None, rng, False)
            factory.publish(rng, draft, day, second, factory.new_author(rng, english), source,
                            _region(rng, traditional), "chatter", kind="background")
            written += 1
    return written


def burst_day_weights() -> dict[int, float]:
    """Share of the burst's posts per day: a two-day ramp to the peak, then a slow decay."""
    start, peak, end = BURST_START.toordinal(), BURST_PEAK.toordinal(), BURST_END.toordinal()
    raw = {}
    for day in range(start, end + 1):
        raw[day] = np.exp(-((day - peak) / 1.6) ** 2 / 2) if day < peak else np.exp(-(day - peak) / 3.0)
    total = sum(raw.values())
    return {day: float(w / total) for day, w in raw.items()}


def write_burst(rng: np.random.Generator, factory: PostFactory, scale: float) -> dict[str, int]:
    """The viral burst after the repair-only policy: media posts, comments and reposts."""
    media = [Author(factory.ids.new_user_id(), name) for name in MEDIA_ACCOUNTS]
    originals: list[dict] = []       # high-engagement posts others repost (kept small)
    reposters: list[str] = []
    counts = {"posts": 0, "reposts": 0, "media": 0}
    for day, share in burst_day_weights().items():
        count = int(rng.poisson(BURST_POSTS * scale * share))
        for second in sorted(time_of_day(rng) for _ in range(count)):
            english = bool(rng.random() < 0.15)
            traditional = not english and bool(rng.random() < TRADITIONAL_SHARE)
            draw = rng.random()
            if draw < 0.08:
                author = pick(rng, media)
                draft = compose_burst(rng, english, traditional, media=True)
                post = factory.publish(rng, draft, day, second, author, "微博 weibo.com", "北京", "media",
                                       kind="burst")
                originals.append({k: v for k, v in post.items() if k != "retweeted_status"})
                originals = sorted(originals, key=lambda p: -p["attitudes_count"])[:50]
                counts["media"] += 1
            elif draw < 0.25 and originals:
                likes = np.array([p["attitudes_count"] + 1 for p in originals], dtype=float)
                original = originals[int(rng.choice(len(originals), p=likes / likes.sum()))]
                author = factory.new_author(rng, english)
                via = pick(rng, reposters) if reposters else None
                draft = compose_repost(rng, english, via)
                factory.publish(rng, draft, day, second, author, client_for(None, rng, False),
                                _region(rng, traditional), "repost", retweeted=original, kind="repost")
                reposters = (reposters + [author.screen_name])[-20:]
                counts["reposts"] += 1
            else:
                draft = compose_burst(rng, english, traditional, media=False)
                factory.publish(rng, draft, day, second, factory.new_author(rng, english),
                                client_for(None, rng, False), _region(rng, traditional), "burst", kind="burst")
            counts["posts"] += 1
    return counts
