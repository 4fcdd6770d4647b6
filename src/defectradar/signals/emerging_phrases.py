"""The terms the emerging-term detector counts, which of them it may test, and how it grows phrases.

A report's text (``match`` form: simplified, half-width, lower case) becomes a *term string*:
its Chinese runs joined by ``|``, a NUL, then its Latin words, a space before and after each
and `` | `` between sentences, identifier tokens (``[usr_…]``) dropped::

    >>> term_string("后盖一股刺鼻的胶水味!! glue smell, so bad [tel_0123456789abcdef0123]")
    '后盖一股刺鼻的胶水味\\x00 glue smell | so bad '

Its *terms* are the Chinese character 2-4-grams of each run (no dictionary: a new defect's words
are often not in one) and the English word 1-3-grams that neither start nor end with a stopword.
A Chinese term occurs in a report when it is a substring of its term string; an English one when
``" " + term + " "`` is.  :class:`TermScreen` says which terms may be tested: not a word the
taxonomy's rules already know, not a product name, not chatter.  :func:`grow_phrase` extends a
rising term into the longest phrase its reports share, so 屏幕闪烁 is reported once, not as
屏幕闪 / 幕闪烁 / 闪烁.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from defectradar.core.identifiers import TOKEN
from defectradar.domain.catalog import Catalog
from defectradar.text.normalise import normalise
from defectradar.text.products import BRAND_WORDS, GENERIC_PRODUCT_NAMES
from defectradar.text.rules import RuleClassifier
from defectradar.text.taxonomy import LANGS, Taxonomy

SEP = "\x00"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{_HAN}]+")
_WORD = re.compile(r"[a-z][a-z0-9]*(?:'[a-z]+)?")
_SENTENCE = re.compile(r"[,.!?;:，。！？；：、…~～()（）\[\]【】<>《》\"“”\n|]+")
ZH_SIZES = (2, 3, 4)
EN_SIZES = (1, 2, 3)
EXTEND_SHARE = 0.7            # a phrase grows by what follows it in at least this share of its reports
MAX_PHRASE_CHARS, MAX_PHRASE_WORDS = 12, 6

# Characters a Chinese term may not start / end with: particles, pronouns and linking words that
# make 的胶水, 胶水的 or 我的 variants of a term rather than terms.
_ZH_NO_START = frozenset("的了着过吗呢吧啊呀哦嘛哈啦么和与及或是在就都也还又很太才把被给让对从向而我你他她它这那个")
_ZH_NO_END = frozenset("的着吗呢吧啊呀哦嘛哈啦么和与及或是在就都也还又很太才把被给让对从向而我你他她它这那")
_ZH_NUMERALS = frozenset("零一二两三四五六七八九十百千万亿几个多半年月日天号周次台部")
# Weibo furniture and words every product's posts use.
_ZH_GENERIC = frozenset({"转发微博", "全文", "网页链接", "展开", "收起", "原图", "微博", "超话", "视频", "手机", "评论",
                         "图片", "分享", "链接", "客服", "售后"})
_EN_STOP = frozenset(ENGLISH_STOP_WORDS) | frozenset({
    "it's", "i'm", "i've", "i'll", "i'd", "don't", "doesn't", "didn't", "can't", "won't", "isn't", "wasn't",
    "aren't", "that's", "there's", "they're", "they've", "you're", "what's", "let's", "im", "ive", "dont",
    "doesnt", "didnt", "cant", "wont", "isnt", "u", "ur", "pls", "plz", "lol", "smh", "wtf", "omg", "ugh",
    "rant", "help", "anyone", "seriously", "great", "just", "got", "really", "rly", "like", "phone", "bc",
    "teh", "yeah", "ok", "okay", "oh", "hey", "guys", "today", "update", "new", "doge",
    # dates ("Sep 15: repaired")
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "january", "february",
    "march", "april", "june", "july", "august", "september", "october", "november", "december"})


def term_string(match_text: str) -> str:
    """Chinese runs and Latin words of a ``match``-form text, as the detector searches them."""
    text = TOKEN.sub(" ", match_text).replace("’", "'") if "_" in match_text else match_text.replace("’", "'")
    runs = _HAN_RUN.findall(text)
    sentences = (_WORD.findall(part) for part in _SENTENCE.split(_HAN_RUN.sub(" , ", text)))
    latin = " | ".join(" ".join(words) for words in sentences if words)
    return "|".join(runs) + SEP + " " + latin + " "


def term_ngrams(terms: str) -> list[str]:
    """The terms of a term string (the analyzer of the detector's CountVectorizer)."""
    han, latin = terms.split(SEP, 1)
    out: list[str] = []
    for run in han.split("|"):
        size = len(run)
        for n in ZH_SIZES:
            out.extend(run[i:i + n] for i in range(size - n + 1))
    for sentence in latin.split("|"):
        words = sentence.split()
        size = len(words)
        for i, first in enumerate(words):
            if first in _EN_STOP:
                continue
            for n in EN_SIZES:
                if i + n > size:
                    break
                if words[i + n - 1] not in _EN_STOP:
                    out.append(" ".join(words[i:i + n]))
    return out


def is_chinese(term: str) -> bool:
    return bool(term) and _HAN_RUN.fullmatch(term) is not None


def contains(terms: str, phrase: str) -> bool:
    """Whether a report's term string holds a Chinese or English term or phrase."""
    return (phrase in terms) if is_chinese(phrase) else (f" {phrase} " in terms)


def key_of(term: str) -> str:
    """What to search a term string for (an Aho-Corasick key)."""
    return term if is_chinese(term) else f" {term} "


def shares_words(a: str, b: str) -> bool:
    """Two terms overlap: a common Chinese 2-gram, or a common English word that is no stopword."""
    if is_chinese(a) and is_chinese(b):
        return any(a[i:i + 2] in b for i in range(len(a) - 1))
    return bool((set(a.split()) & set(b.split())) - _EN_STOP)


class TermScreen:
    """Which terms may be tested: not known to the taxonomy's rules, not a product name, not chatter.

    A term is *known* when a component, problem or phrase pattern of any mode (or a shared
    pattern: generic problems, negations, "works fine" words) matches it in full, or when the
    rules find a failure mode in it (烧屏了, "wifi won't turn on").  Product names are the
    catalog's names and aliases and the makers' names (小米, xiaomi, galaxy).
    """

    def __init__(self, taxonomy: Taxonomy, catalogs: list[Catalog], extra_names: list[str] = ()) -> None:
        patterns = [p for mode in taxonomy.modes for kind in (mode.components, mode.problems, mode.phrases)
                    for lang in LANGS for p in kind[lang]]
        patterns += [p for kind in taxonomy.shared.values() for lang in LANGS for p in kind.get(lang, ())]
        self._known = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
        self._rules = RuleClassifier(taxonomy)
        names = [n for c in catalogs for p in c.products
                 for n in (p.product_id.replace("-", " "), p.name, p.name_zh, *p.aliases) if n]
        names += [w for words in BRAND_WORDS.values() for w in words] + list(extra_names)
        folded = [normalise(n).match for n in names] + list(GENERIC_PRODUCT_NAMES)
        self._han_names = "|".join(run for n in folded for run in _HAN_RUN.findall(n))
        self._latin_names = frozenset(w for n in folded for w in _WORD.findall(n))
        self.reason = lru_cache(maxsize=None)(self._reason)

    def known(self, term: str) -> bool:
        """The rules already know the term (see the class docstring)."""
        if self._known is not None and self._known.fullmatch(term):
            return True
        return bool(self._rules.classify(term).modes)

    def mask(self, match_text: str) -> str:
        """``match_text`` with every span a rule matched (negated or not) blanked out."""
        spans = sorted({h.evidence for h in self._rules.classify(match_text).hits if h.evidence}, key=len, reverse=True)
        for span in spans:
            match_text = match_text.replace(span, " ")
        return match_text

    def name(self, term: str) -> bool:
        if is_chinese(term):
            return term in self._han_names
        return all(w in self._latin_names or w in _EN_STOP for w in term.split())

    def _reason(self, term: str) -> str | None:
        """Why the term is not tested (``None``: it is)."""
        if is_chinese(term):
            if len(term) < 2 or term[0] in _ZH_NO_START or term[-1] in _ZH_NO_END:
                return "chatter"
            if term in _ZH_GENERIC or all(ch in _ZH_NUMERALS for ch in term):
                return "chatter"
        else:
            words = term.split()
            if not any(len(w) >= 3 and w not in _EN_STOP for w in words) or words[0] in _EN_STOP \
                    or words[-1] in _EN_STOP:
                return "chatter"
        if self.name(term):
            return "product name"
        if self.known(term):
            return "known"
        return None

    def testable(self, term: str) -> bool:
        return self.reason(term) is None


def grow_phrase(seed: str, terms: list[str], screen: TermScreen) -> str:
    """The longest phrase around ``seed`` that its reports share.

    ``terms`` are the term strings of the reports holding ``seed``.  The phrase grows one
    character (Chinese) or word (English) at a time, right then left, while the same neighbour
    follows (precedes) it in at least :data:`EXTEND_SHARE` of the reports still holding it; then
    particles and stopwords at its ends are trimmed.  A grown phrase the rules know, or one that is
    no longer testable, falls back to the seed.
    """
    chinese = is_chinese(seed)
    units = ([run for run in t.split(SEP, 1)[0].split("|") if seed in run] for t in terms) if chinese else \
        ([s.split() for s in t.split(SEP, 1)[1].split("|") if f" {seed} " in f" {s} "] for t in terms)
    pieces = [p for p in units if p]
    phrase = seed if chinese else seed.split()
    limit = MAX_PHRASE_CHARS if chinese else MAX_PHRASE_WORDS
    for side in (1, -1):
        while len(phrase) < limit and pieces:
            votes: Counter = Counter()
            for doc in pieces:
                votes.update({n for unit in doc for n in _neighbours(unit, phrase, side, chinese)})
            if not votes:
                break
            neighbour, count = votes.most_common(1)[0]
            if count < EXTEND_SHARE * len(pieces):
                break
            phrase = (phrase + neighbour if side > 0 else neighbour + phrase) if chinese else \
                (phrase + [neighbour] if side > 0 else [neighbour] + phrase)
            pieces = [[u for u in doc if _holds(u, phrase, chinese)] for doc in pieces]
            pieces = [doc for doc in pieces if doc]
    if chinese:
        while phrase[0] in _ZH_NO_START and seed in phrase[1:]:
            phrase = phrase[1:]
        while (phrase[-1] in _ZH_NO_END or phrase[-1] in "了啦哈") and seed in phrase[:-1]:
            phrase = phrase[:-1]
    else:
        while phrase[0] in _EN_STOP and _holds(phrase[1:], seed.split(), False):
            phrase = phrase[1:]
        while phrase[-1] in _EN_STOP and _holds(phrase[:-1], seed.split(), False):
            phrase = phrase[:-1]
        phrase = " ".join(phrase)
    if phrase != seed and (screen.known(phrase) or screen.name(phrase)):
        return seed
    return phrase


def _holds(unit, phrase, chinese: bool) -> bool:
    if chinese:
        return phrase in unit
    n = len(phrase)
    return any(unit[i:i + n] == phrase for i in range(len(unit) - n + 1))


def _neighbours(unit, phrase, side: int, chinese: bool):
    """What follows (side 1) or precedes (side -1) each occurrence of ``phrase`` in a run or sentence."""
    n = len(phrase)
    if chinese:
        start = unit.find(phrase)
        while start >= 0:
            at = start + n if side > 0 else start - 1
            if 0 <= at < len(unit):
                yield unit[at]
            start = unit.find(phrase, start + 1)
        return
    for i in range(len(unit) - n + 1):
        if unit[i:i + n] == phrase:
            at = i + n if side > 0 else i - 1
            if 0 <= at < len(unit):
                yield unit[at]
