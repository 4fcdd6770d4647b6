"""Which language a complaint is written in.

Script decides Chinese: a text whose letters are at least a fifth CJK ideographs is ``zh``
(code-mixed posts such as "小米11 WiFi又坏了" are Chinese).  Latin-script texts are told apart
by their most frequent function words (English, German, Dutch, French, Spanish, Italian);
no statistical model is needed for that distinction, and none would have to be downloaded.
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[a-zäöüßàâçéèêëîïôùûñáíóú']+")
_STOPWORDS = {
    "en": set("the and is it my to a of in i not this phone with was for after on have has but".split()),
    "de": set("der die das und ist nicht ich mit ein eine es zu auf den ist hat wird kein".split()),
    "nl": set("de het een en is niet ik met van op te dat zijn heeft geen wel".split()),
    "fr": set("le la les et est pas je avec un une des du ne plus mon ma".split()),
    "es": set("el la los las y es no con un una de del que mi se por".split()),
    "it": set("il lo la gli le e è non con un una di del che mio si per".split()),
}


def detect_language(text: str) -> str | None:
    """``zh``, ``en``, ``de``, ``nl``, ``fr``, ``es``, ``it``, or None when there is nothing to go on.

    Examples
    --------
    >>> detect_language("小米11 WiFi 又坏了")
    'zh'
    >>> detect_language("My Mi 11 Pro WiFi greyed out again")
    'en'
    """
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if cjk == 0 and latin == 0:
        return None
    if cjk and cjk >= 0.2 * (cjk + latin / 4):   # a Latin word of ~4 letters weighs one ideograph
        return "zh"
    words = _WORD.findall(text.lower())
    if not words:
        return "en" if latin else None
    scores = {lang: sum(1 for w in words if w in stop) for lang, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda lang: (scores[lang], lang == "en"))
    return best if scores[best] > 0 else "en"
