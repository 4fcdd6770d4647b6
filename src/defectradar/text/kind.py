"""Failure or complaint: did the part break, or does it work worse than the writer expected?

docs/labelling.md defines the two kinds: ``failure`` (it broke, malfunctions, needs repair)
and ``complaint`` (it works, but worse than expected: 铃声小, 续航一般, "a bit laggy").  Signals
count failures by default; review analytics show both.

Read from the words around the defect: a softener (有点, 一般, 不太, "a bit", "could be better")
with no word of breakage makes a complaint; anything else reported is a failure.  Hand-written
(no library reads this) and deliberately small: a text rarely holds a mild and a broken part
at once, and the text-level reading is measured in benchmarks/classify_generalise.py.
"""

from __future__ import annotations

from defectradar.text.prefilter import compile_fast

FAILURE, COMPLAINT = "failure", "complaint"
KINDS = (FAILURE, COMPLAINT)

# compile_fast (prefilter.py): the same matches, several times faster on long word alternations.
_SOFTENERS = compile_fast(
    r"有点|有些|有一点|一点点|稍微|稍有|略(?!过)|偶尔|偶然|(?<!时)有时候?(?!无)|一般般?|不太|不是很|不是特别|不怎么|不够|欠佳|"
    r"差强人意|凑合|马马虎虎|美中不足|唯一的?(?:缺点|不足|遗憾)|缺点|不足之处|小问题|小毛病|小瑕疵|比较(?:慢|卡|热|烫|差|小|短|耗电|费电)|"
    r"\ba (?:little|bit|tad)\b|\bslightly\b|\bsomewhat\b|\bkind of\b|\bkinda\b|\bsometimes\b|\boccasionally\b|"
    r"could be better|\bnot (?:great|the best|very good|that good|amazing)\b|\bmediocre\b|\baverage\b|\bminor\b")
_BREAKAGE = compile_fast(
    r"坏|不能用|无法|打不开|开不了|不开机|开不开|黑屏|白屏|花屏|死机|自动关机|重启|没反应|失灵|不工作|烧|碎|裂|断了|报废|"
    r"返修|维修|送修|修了|换机|退货|退换|不识别|没声音|无声|充不进|充不上|不充电|没信号|无服务|鼓包|起火|冒烟|爆炸|"
    r"\bbroken\b|\bbroke\b|\bdead\b|\bdied\b|won'?t|doesn'?t work|\bnot working\b|\bstopped\b|\bcracked\b|\bsmashed\b|"
    r"\bfail(?:ed|s|ure)?\b|\bno (?:sound|power|signal|service|display|image)\b|\brepair|\breplac|\bswollen\b")


def kind_of(match_text: str) -> str:
    """The kind of the defects a normalised text reports (one kind for the text)."""
    if _SOFTENERS.search(match_text) and not _BREAKAGE.search(match_text):
        return COMPLAINT
    return FAILURE


__all__ = ["COMPLAINT", "FAILURE", "KINDS", "kind_of"]
