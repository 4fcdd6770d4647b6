"""Words for the learned model: Chinese segmented with rjieba, other scripts split on word
boundaries, and words inside a negation's scope marked ``NEG_``.

Character n-grams see "没有问题" and "问题" as mostly the same; a word feature ``NEG_问题``
tells them apart.  The scope of a negation cue (没/没有/不/未/无/别, not/no/never/…n't,
nicht/kein, geen/niet) runs to the next punctuation mark or contrast word (but/但是/可是/不过),
as in sentiment analysis since Das & Chen (2001).  Cues that do not negate (时不时, 不停,
不知道, "no longer", "not only") are the rules' own exceptions (:mod:`defectradar.text.rules`),
so the model and the rules agree on what a negation is.

rjieba is jieba's segmenter in Rust with its dictionary inside the wheel: nothing is downloaded
at run time.  :func:`words` is a module-level function so a fitted vectorizer that uses it can be
pickled.  Input is the ``match`` form of :func:`defectradar.text.normalise.normalise` (simplified,
half-width, lower case).
"""

from __future__ import annotations

import re
from functools import lru_cache

from defectradar.errors import InputError
from defectradar.text.rules import _EN_NOT_NEGATIONS, _NOT_NEGATIONS

NEG = "NEG_"
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A Han run (segmented by rjieba), a word of any other script (apostrophes kept: "doesn't"),
# or a run of punctuation, which ends a negation's scope, as does a space between Chinese characters
# (posts use it as a comma).  Anything else (other spaces, emoji) is skipped: the character n-grams
# beside these words see emoji.
_PIECE = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<word>[^\W{_HAN}_]+(?:['’][^\W{_HAN}_]+)*)"
                    r"|(?P<stop>[,.!?;:，。！？；：、…~～()（）\[\]【】<>《》\"“”\n]+)"
                    rf"|(?P<gap>(?<=[{_HAN}])\s+(?=[{_HAN}]))")
_CUES = frozenset({
    # Chinese; rjieba keeps some cue + verb pairs whole (不能, 无法), which negate what follows too
    "不", "没", "没有", "未", "无", "别", "不能", "不会", "无法", "未能", "没法", "没能", "从不", "从未", "从没",
    "毫无", "不再", "并非", "不要", "勿",
    # English (and Spanish "no"), apostrophe-less forms as people type them
    "not", "no", "never", "cannot", "cant", "dont", "doesnt", "didnt", "wont", "isnt", "wasnt", "arent",
    "couldnt", "wouldnt", "havent", "hasnt", "aint", "without",
    # German, Dutch
    "nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "geen", "niet", "nooit",
})
_ENDERS = frozenset({"但", "但是", "可是", "不过", "然而", "只是", "却", "but", "however", "although", "though",
                     "aber", "sondern", "maar", "pero"})


@lru_cache(maxsize=1)
def segmenter():
    """rjieba's ``tokenize``; imported on first use, so models without words never need it."""
    try:
        import rjieba
    except ImportError:
        raise InputError("word features need rjieba: pip install 'rjieba>=0.2,<0.3'") from None
    return rjieba.tokenize


def _is_cue(word: str) -> bool:
    return word in _CUES or word.endswith(("n't", "n’t"))


def _exempt(text: str) -> set[int]:
    """Positions inside phrases where a cue does not negate (时不时, 不知道, no longer ...)."""
    positions: set[int] = set()
    for pattern in (_NOT_NEGATIONS, _EN_NOT_NEGATIONS):
        for match in pattern.finditer(text):
            positions.update(range(match.start(), match.end()))
    return positions


def _pieces(text: str):
    """(word or None for a scope break, start position) in text order."""
    tokenize = segmenter()
    for match in _PIECE.finditer(text):
        kind = match.lastgroup
        if kind == "han":
            base = match.start()
            for word, start, _ in tokenize(match.group()):
                yield word, base + start
        elif kind == "word":
            yield match.group(), match.start()
        else:
            yield None, match.start()


def words(text: str) -> list[str]:
    """The words of ``text`` (a ``match``-form text), those in a negation's scope marked ``NEG_``.

    >>> words("屏幕没有问题，但是电池不耐用")
    ['屏幕', '没有', 'NEG_问题', '但是', '电池', '不', 'NEG_耐用']
    >>> words("it doesn't charge. screen fine")
    ['it', "doesn't", 'NEG_charge', 'screen', 'fine']
    """
    exempt = _exempt(text)
    out: list[str] = []
    negated = False
    for word, start in _pieces(text):
        if word is None or word in _ENDERS:
            negated = False
            if word is not None:
                out.append(word)
            continue
        if _is_cue(word) and start not in exempt:
            negated = True          # a second cue keeps the scope open: double negation is rare in complaints
            out.append(word)
            continue
        out.append(NEG + word if negated else word)
    return out
