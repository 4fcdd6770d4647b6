"""Composing post texts from the phrase banks, keeping the truth of what each text says.

A text is built as a list of pieces (plain text, Weibo emoji, hashtag, @mention, line break,
planted identifier) so that typos and traditional characters touch only prose, and the HTML a
Weibo API returns can be rendered from the same pieces.  The truth of a post describes its
text: the modes its clauses name, the repair count it states, whether it says data was lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np

from defectradar.domain.catalog import Product
from defectradar.simulate.parameters import BURST_TOPIC, MI11_SERIES
from defectradar.simulate.phrases import chatter, story
from defectradar.simulate.phrases.aliases import SERVICE_ACCOUNTS, alias_for, brand_zh
from defectradar.simulate.phrases.symptoms import SYMPTOMS_EN, SYMPTOMS_ZH, clause_modes

Piece = tuple[str, str]     # (kind, value); kind: text | emoji | tag | mention | br | ident


def piece_text(kind: str, value: str) -> str:
    """What a piece reads as in plain text."""
    if kind == "br":
        return "\n"
    if kind == "tag":
        return f"#{value}#"
    if kind == "mention":
        return f"@{value}"
    return value


def pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


@lru_cache(maxsize=1)
def _to_traditional():
    from opencc import OpenCC  # imported late: only worlds with Chinese posts need it
    return OpenCC("s2t").convert


@dataclass
class Draft:
    """A post's pieces and the truth about what it says."""

    pieces: list[Piece]
    lang: str
    product_id: str | None
    modes: list[str]
    is_owner: bool
    repeat_repairs: int | None = None
    data_loss: bool = False
    identifiers: list[str] = field(default_factory=list)
    names_product: bool = True         # False: only the posting client can tell the phone
    unnamed_defect: str | None = None  # the post describes this defect of UNNAMED_DEFECTS

    def truth(self) -> dict:
        modes = list(dict.fromkeys(self.modes))
        kinds = list(dict.fromkeys(self.identifiers))
        truth = {"product_id": self.product_id, "failure_modes": modes, "is_owner": self.is_owner,
                 "repeat_repairs": self.repeat_repairs, "data_loss": self.data_loss, "lang": self.lang,
                 "identifiers": kinds}
        if self.unnamed_defect is not None:      # only then: other posts' truth stays as it was
            truth["unnamed_defect"] = self.unnamed_defect
        return truth

    def plain_text(self) -> str:
        return "".join(piece_text(kind, value) for kind, value in self.pieces)

    def to_traditional(self) -> None:
        convert = _to_traditional()
        self.pieces = [(kind, convert(value)) if kind == "text" else (kind, value)
                       for kind, value in self.pieces]


@dataclass
class Complaint:
    """What an owner knows when posting about a failure of their phone."""

    product: Product
    mode: str
    other_modes: tuple[str, ...]       # other modes this unit failed in before the post
    failure_number: int                # this is the n-th failure of the mode on this unit
    repairs_done: int                  # repairs of the mode before the post
    data_lost: bool                    # a visit wiped the owner's data before the post
    action: str | None                 # this failure's visit, when it came before the post
    repair_only: bool                  # that visit was a Mi 11 Wi-Fi repair under repair-only
    age_days: int
    timeline: list[tuple[date, str]]   # visits for this mode before the post: (date, action)
    english: bool
    traditional: bool
    planted: dict[str, str]            # identifier kind -> value to plant


# Typos and slang substitutions people make (applied to prose, never to product names).
_TYPOS_ZH = (("的", "滴"), ("在", "再"), ("主板", "主版"), ("WiFi", "wifi"), ("WiFi", "WIFI"), ("WiFi", "wi-fi"),
             ("什么", "啥"), ("怎么", "咋"), ("没有", "木有"), ("真的", "真滴"), ("售后", "shouhou"), ("不", "布"))
_TYPOS_EN = (("you", "u"), ("won't", "wont"), ("can't", "cant"), ("it's", "its"), ("please", "pls"),
             ("because", "bc"), ("the ", "teh "), ("really", "rly"))


def _typos(text: str, rng: np.random.Generator, english: bool) -> str:
    if rng.random() < 0.25:
        for _ in range(int(rng.integers(1, 3))):
            old, new = pick(rng, _TYPOS_EN if english else _TYPOS_ZH)
            text = text.replace(old, new, 1)
    if english and rng.random() < 0.3:
        text = text.lower()
    return text


def _age_words(age_days: int, table, rng: np.random.Generator) -> str:
    for limit, words in table:
        if age_days < limit:
            return pick(rng, words)
    return pick(rng, table[-1][1])


def _count_words(n: int, rng: np.random.Generator, english: bool) -> str:
    if english:
        if n in story.NUMBERS_EN and rng.random() < 0.7:
            return story.NUMBERS_EN[n]
        return "once" if n == 1 else f"{n} times"
    return story.NUMBERS_ZH[n] if n in story.NUMBERS_ZH and rng.random() < 0.6 else str(n)


def _ordinal_words(n: int, rng: np.random.Generator, english: bool) -> str:
    if english:
        return pick(rng, story.ORDINALS_EN[n]) if n in story.ORDINALS_EN else f"{n}th"
    return story.ORDINALS_ZH[n] if n in story.ORDINALS_ZH and rng.random() < 0.6 else str(n)


def _join(sentences: list, rng: np.random.Generator, english: bool) -> list[Piece]:
    """Sentences to pieces with varied punctuation and the odd line break.

    A sentence given as a list of pieces (a long post's timeline) goes on lines of its own.
    """
    pieces: list[Piece] = []
    for index, sentence in enumerate(sentences):
        if isinstance(sentence, list):
            pieces += [("br", ""), *sentence, ("br", "")]
            continue
        if index and pieces[-1][0] != "br":
            if rng.random() < 0.1:
                pieces.append(("br", ""))
            else:
                sep = pick(rng, (". ", ", ", " ", "! ") if english else ("，", "，", "，", "。", "！", " ", "、"))
                pieces.append(("text", sep))
        pieces.append(("text", sentence))
    end = pick(rng, (".", "", "!", "!!", "...") if english else ("。", "", "！", "！！", "…", "。。。", "~"))
    if end:
        pieces.append(("text", end))
    return pieces


def _planted(planted: dict[str, str], english: bool, brand: str, rng: np.random.Generator,
             bank: dict) -> tuple[list[Piece], list[str]]:
    pieces, kinds = [], []
    for kind, value in planted.items():
        before, after = pick(rng, bank[kind]).split("{v}")
        pieces += [("text", " "), ("text", before.format(brand=brand)),
                   ("ident", value), ("text", after.format(brand=brand))]
        kinds.append(kind)
    return pieces, kinds


def _decorations(rng: np.random.Generator, english: bool, brand: str, brand_en: str, tags: list[str],
                 sad: bool) -> tuple[list[Piece], list[str]]:
    """Emoji, hashtags and @mentions at the end of a post."""
    pieces: list[Piece] = []
    kinds: list[str] = []
    if rng.random() < (0.15 if english else 0.5):
        for _ in range(int(rng.integers(1, 3))):
            pieces.append(("emoji", pick(rng, story.EMOJI_SAD if sad else story.EMOJI_HAPPY)))
    if rng.random() < (0.25 if english else 0.12):
        pieces.append(("text", pick(rng, story.UNICODE_SAD if sad else story.UNICODE_HAPPY)))
    for tag in tags:
        pieces.append(("tag", tag))
    if rng.random() < 0.12 and brand_en in SERVICE_ACCOUNTS:
        pieces += [("text", " "), ("mention", pick(rng, SERVICE_ACCOUNTS[brand_en])), ("text", " ")]
        kinds.append("mention")
    return pieces, kinds


def _complaint_tags(c: Complaint, modes: list[str], rng: np.random.Generator, brand: str) -> list[str]:
    tags = []
    if c.english:
        if rng.random() < 0.1:
            tags.append(pick(rng, story.GENERIC_TAGS_EN).format(brand=c.product.brand))
        return tags
    if rng.random() < 0.3:
        options = [t for m in modes for t in story.MODE_TAGS_ZH.get(m, ())
                   if c.product.product_id in MI11_SERIES or t not in story.MI11_ONLY_TAGS]
        if options:
            tags.append(pick(rng, options))
    if rng.random() < 0.15:
        tags.append(pick(rng, story.GENERIC_TAGS_ZH).format(brand=brand))
    return tags


def compose_complaint(c: Complaint, rng: np.random.Generator, symptoms: tuple[dict, dict] | None = None) -> Draft:
    """An owner's post about a failure, in the owner's language, with its truth.

    ``symptoms`` replaces the phrase banks (Chinese, English) keyed by ``c.mode``: an unnamed
    defect's own words (its posts have no ``other_modes``).
    """
    en = c.english
    bank = (symptoms[1] if en else symptoms[0]) if symptoms else (SYMPTOMS_EN if en else SYMPTOMS_ZH)
    brand = c.product.brand if en else brand_zh(c.product)
    symptom, extra = clause_modes(pick(rng, bank[c.mode]))
    modes = [c.mode, *extra]
    if rng.random() < 0.08:
        frame = "{sym}"         # the product is only in the posting client, if anywhere
    elif c.failure_number >= 2 and rng.random() < 0.6:
        frame = pick(rng, story.FRAMES_AGAIN_EN if en else story.FRAMES_AGAIN_ZH)
    else:
        frame = pick(rng, story.FRAMES_EN if en else story.FRAMES_ZH)
    age = _age_words(c.age_days, story.AGE_EN if en else story.AGE_ZH, rng)
    sentences = [frame.format(p=alias_for(c.product, rng, en), sym=_typos(symptom, rng, en), age=age)]
    if c.other_modes and rng.random() < 0.5:
        other = pick(rng, c.other_modes)
        second, extra2 = clause_modes(pick(rng, bank[other]))
        sentences.append(("and " if en else pick(rng, ("而且", "还有", "另外", ""))) + second)
        modes += [other, *extra2]
    elif c.product.product_id == "xiaomi-11" and c.mode in ("wifi", "motherboard") and rng.random() < 0.15:
        sentences.append(("also " if en else "平时还") + pick(rng, bank["overheating"]))
        modes.append("overheating")
    repeat = None
    if c.repairs_done >= 1 and rng.random() < 0.75:
        if rng.random() < 0.6:
            repeat = c.repairs_done
            template = pick(rng, story.REPAIRS_DONE_EN if en else story.REPAIRS_DONE_ZH)
            sentences.append(template.format(n=_count_words(repeat, rng, en)))
        else:
            repeat = c.repairs_done + 1
            template = pick(rng, story.REPAIR_VISIT_EN if en else story.REPAIR_VISIT_ZH)
            sentences.append(template.format(nth=_ordinal_words(repeat, rng, en)))
    data_loss = bool(c.data_lost and rng.random() < 0.65)
    if data_loss:
        sentences.append(pick(rng, story.DATA_LOSS_EN if en else story.DATA_LOSS_ZH))
    if c.action and rng.random() < 0.5:
        key = "repair_only" if c.repair_only else c.action
        if key == "repair" and c.mode in ("wifi", "motherboard", "cellular") and rng.random() < 0.5:
            key = "board_repair"
        sentences.append(pick(rng, (story.SERVICE_EN if en else story.SERVICE_ZH)[key]))
    if rng.random() < 0.2 or (c.failure_number >= 2 and rng.random() < 0.5):
        bank = story.NARRATIVE_EN if en else story.NARRATIVE_ZH
        chosen = rng.choice(len(bank), size=int(rng.integers(1, 4)), replace=False)
        sentences += [bank[int(i)] for i in chosen]
    if rng.random() < 0.7:
        sentences.append(_typos(pick(rng, story.EMOTIONS_EN if en else story.EMOTIONS_ZH), rng, en)
                         .format(brand=brand))
    if len(c.timeline) >= 2 and rng.random() < 0.5:
        sentences.insert(1, _timeline(c.timeline, rng, en))
    opener = pick(rng, story.OPENERS_EN if en else story.OPENERS_ZH)
    pieces: list[Piece] = ([("text", opener)] if opener else []) + _join(sentences, rng, en)
    planted, kinds = _planted(c.planted, en, brand, rng, story.PLANTED_EN if en else story.PLANTED_ZH)
    pieces += planted
    decorations, mention = _decorations(rng, en, brand, c.product.brand, _complaint_tags(c, modes, rng, brand),
                                        sad=True)
    draft = Draft(pieces + decorations, "en" if en else "zh", c.product.product_id, modes, True, repeat,
                  data_loss, kinds + mention, names_product=frame != "{sym}")
    if c.traditional and not en:
        draft.to_traditional()
    return draft


def _timeline(timeline: list[tuple[date, str]], rng: np.random.Generator, english: bool) -> list[Piece]:
    """A long post's account of earlier visits."""
    if english:
        months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
        items = [f"{months[d.month - 1]} {d.day}: {story.TIMELINE_ACTION_EN[a]}" for d, a in timeline]
        return [("text", "Timeline - " + "; ".join(items) + ".")]
    items = [f"{d.month}月{d.day}日第{_ordinal_words(k, rng, False)}次去售后，{story.TIMELINE_ACTION_ZH[a]}"
             for k, (d, a) in enumerate(timeline, 1)]
    return [("text", "；".join(items) + "。")]


def compose_background(rng: np.random.Generator, product: Product | None, other: Product | None,
                       english: bool, traditional: bool, planted: dict[str, str]) -> Draft:
    """A post that is not a defect report (delivery, price, praise, comparisons, denials)."""
    if product is None:
        text, owner = pick(rng, chatter.BACKGROUND_GENERIC_EN if english else chatter.BACKGROUND_GENERIC_ZH)
        names = {}
        brand, brand_en = "", ""
    else:
        text, owner = pick(rng, chatter.BACKGROUND_EN if english else chatter.BACKGROUND_ZH)
        brand = product.brand if english else brand_zh(product)
        brand_en = product.brand
        names = {"p": alias_for(product, rng, english),
                 "q": alias_for(other, rng, english) if other is not None else "iPhone",
                 "brand": brand, "price": pick(rng, chatter.PRICES)}
    opener = pick(rng, chatter.BACKGROUND_OPENERS_EN if english else chatter.BACKGROUND_OPENERS_ZH)
    closer = pick(rng, chatter.BACKGROUND_CLOSERS_EN if english else chatter.BACKGROUND_CLOSERS_ZH)
    pieces: list[Piece] = [("text", opener + _typos(text.format(**names), rng, english) + closer)]
    kinds: list[str] = []
    for kind, value in planted.items():
        bank = chatter.BACKGROUND_PLANTED_EN if english else chatter.BACKGROUND_PLANTED_ZH
        before, after = bank[kind].split("{v}")
        fill = {"p": names.get("p", "手机" if not english else "phone")}
        pieces += [("text", " " + before.format(**fill)), ("ident", value), ("text", after.format(**fill))]
        kinds.append(kind)
    tags = [pick(rng, ("数码", brand or "手机", "好物分享"))] if rng.random() < 0.08 else []
    decorations, mention = _decorations(rng, english, brand, brand_en, tags, sad=False)
    draft = Draft(pieces + decorations, "en" if english else "zh",
                  product.product_id if product is not None else None, [], owner, None, False, kinds + mention)
    if traditional and not english:
        draft.to_traditional()
    return draft


def compose_burst(rng: np.random.Generator, english: bool, traditional: bool, media: bool) -> Draft:
    """A non-owner's post about the Mi 11 Wi-Fi/board faults while the topic trends."""
    bank = chatter.BURST_EN if english else chatter.BURST_ZH
    count = 2 if media and not english else 1
    sentences, modes = [], []
    for _ in range(count):
        template, template_modes = pick(rng, bank)
        sentences.append(template.format(p=pick(rng, chatter.BURST_PRODUCTS_EN if english else chatter.BURST_PRODUCTS)))
        modes += template_modes
    if media and not english:
        for i in rng.choice(len(chatter.NEWS_ZH), size=int(rng.integers(2, 5)), replace=False):
            sentences.append(chatter.NEWS_ZH[int(i)].format(n=int(rng.integers(12, 98)) * 100))
    comment = pick(rng, chatter.BURST_COMMENTS_EN if english else chatter.BURST_COMMENTS_ZH)
    if comment:
        sentences.append(comment)
    opener = "" if english else pick(rng, chatter.BURST_OPENERS_ZH)
    pieces: list[Piece] = ([("text", opener)] if opener else []) + _join(sentences, rng, english)
    tags = [BURST_TOPIC] if media or rng.random() < 0.6 else []
    if not english and rng.random() < 0.2:
        tags.append(pick(rng, chatter.BURST_TAGS))
    decorations, mention = _decorations(rng, english, "小米", "Xiaomi", list(dict.fromkeys(tags)), sad=True)
    draft = Draft(pieces + decorations, "en" if english else "zh", "xiaomi-11", modes, False, None, False, mention)
    if traditional and not english:
        draft.to_traditional()
    return draft


def compose_repost(rng: np.random.Generator, english: bool, via: str | None) -> Draft:
    """A repost's own words (``转发微博``, a reaction, or a reaction chain naming an earlier reposter)."""
    texts = chatter.REPOST_TEXTS_EN if english else chatter.REPOST_TEXTS_ZH
    pieces: list[Piece] = [("text", pick(rng, texts))]
    kinds: list[str] = []
    if via is not None and rng.random() < 0.3:
        pieces += [("text", "//"), ("mention", via), ("text", ":" + pick(rng, texts))]
        kinds.append("mention")
    return Draft(pieces, "en" if english else "zh", None, [], False, None, False, kinds)
