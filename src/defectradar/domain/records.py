"""Domain vocabulary shared by ingest, analyses and shells."""

from __future__ import annotations

import enum


class ServiceAction(str, enum.Enum):
    """What an after-sales centre did with a device on one visit."""

    INSPECT = "inspect"
    REPAIR = "repair"
    REPLACE = "replace"
    REFUND = "refund"
    REFUSED = "refused"

    @classmethod
    def parse(cls, text: str) -> "ServiceAction | None":
        """The action a record's wording means (English or Chinese), or None when unknown."""
        return _ACTION_WORDS.get(" ".join(text.strip().lower().split()))


_ACTION_WORDS: dict[str, ServiceAction] = {}
for _action, _words in {
    ServiceAction.INSPECT: ["inspect", "inspection", "inspected", "check", "diagnosis", "diagnose",
                            "检测", "检查", "诊断", "鉴定"],
    ServiceAction.REPAIR: ["repair", "repaired", "fix", "fixed", "board repair", "mainboard repair",
                           "维修", "修理", "返修", "换主板", "更换主板", "主板维修"],
    ServiceAction.REPLACE: ["replace", "replaced", "replacement", "exchange", "exchanged", "swap",
                            "换机", "换新", "更换", "换货", "调换"],
    ServiceAction.REFUND: ["refund", "refunded", "return", "returned", "退货", "退款", "退机"],
    ServiceAction.REFUSED: ["refused", "refuse", "declined", "denied", "rejected", "out of warranty",
                            "拒绝", "拒保", "不予保修", "拒绝维修", "人为损坏"],
}.items():
    for _word in _words:
        _ACTION_WORDS[_word] = _action

SERVICE_ACTIONS = tuple(a.value for a in ServiceAction)
