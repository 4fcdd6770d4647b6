"""Text normalisation before any matching.

Two forms come out of :func:`normalise`:

* ``display``: what a reader sees — HTML unwrapped (links to their text, emoji images to
  their alt text such as ``[泪]``), hashtags unwrapped (``#小米11WiFi门#`` → ``小米11WiFi门``),
  white space collapsed; the script is left as written.
* ``match``: what rules and the product matcher see — the display form with traditional
  Chinese converted to simplified (OpenCC, Taiwan phrases: 螢幕→屏幕, 訊號→信号), full-width
  characters folded to half-width (NFKC), and lower case.  Emoji are kept: 😡 and 🔥 are signal.

Conversion runs only on texts holding a traditional-only character, so most texts skip it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from importlib import resources
from pathlib import Path

from opencc import OpenCC

_TAG = re.compile(r"<[^>]{0,2000}>")
_IMG_ALT = re.compile(r"<img[^>]*?\balt=[\"']?([^\"'>\s]+)[^>]*>", re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_HASHTAG = re.compile(r"#([^#\n]{1,40})#")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


@dataclass(frozen=True)
class NormalisedText:
    display: str
    match: str
    traditional: bool


@lru_cache(maxsize=1)
def _traditional_only() -> frozenset[str]:
    """Characters that exist only in traditional Chinese (OpenCC's TSCharacters keys whose
    simplified form differs)."""
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1 and parts[0] not in parts[1].split():
            chars.add(parts[0])
    return frozenset(chars)


@lru_cache(maxsize=1)
def _converter() -> OpenCC:
    return OpenCC("tw2sp")


def has_traditional(text: str) -> bool:
    # A set test, not a regex class of 4,000 characters: that search cost ~25 µs a text, most
    # of normalising a short post.
    return not _traditional_only().isdisjoint(text)


def unwrap_markup(text: str) -> str:
    """HTML to plain text and hashtags to their words; a no-op for plain text."""
    if "<" in text:
        text = _BR.sub("\n", text)
        text = _IMG_ALT.sub(r"\1", text)
        text = _TAG.sub("", text)
    if "&" in text:
        text = unescape(text)
    if "#" in text:
        text = _HASHTAG.sub(r" \1 ", text)
    return text


def to_simplified(text: str) -> str:
    return _converter().convert(text) if has_traditional(text) else text


def normalise(text: str) -> NormalisedText:
    """Both forms of ``text`` (see the module docstring).

    Examples
    --------
    >>> normalise("我的#小米11#又燒主機板了").match
    '我的 小米11 又烧主板了'
    """
    display = _SPACES.sub(" ", unwrap_markup(text or "")).strip()
    traditional = has_traditional(display)
    simplified = _converter().convert(display) if traditional else display
    match = unicodedata.normalize("NFKC", simplified).lower()
    return NormalisedText(display, match, traditional)


def resource_text(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text("utf-8")
