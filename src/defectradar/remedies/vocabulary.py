"""The words of remedies: what an owner can be owed, what happened at a visit, and their order.

Remedies are ranked by how much they give the owner: a refund ends the matter with the money
back, an exchange gives a new unit, a price reduction keeps the faulty unit with part of the
money back, a repair keeps the unit.  The rank decides whether the remedy given fell short of
the strongest remedy due (see :mod:`defectradar.remedies.engine`).
"""

from __future__ import annotations

#: Remedies, strongest first.  ``refund`` also stands for the EU's termination of the contract.
REMEDIES = ("refund", "exchange", "price_reduction", "repair")
RANK = {name: len(REMEDIES) - i for i, name in enumerate(REMEDIES)}

#: Case event types (CASE.json ``events[].type``).
EVENT_TYPES = ("fault", "inspection", "repair", "exchange", "refund", "refused")
#: The remedy an event gives, for events that give one.
REMEDY_OF_EVENT = {"repair": "repair", "exchange": "exchange", "refund": "refund"}
#: Store service actions -> case event types.
EVENT_OF_ACTION = {"inspect": "inspection", "repair": "repair", "replace": "exchange", "refund": "refund",
                   "refused": "refused"}

REMEDY_LABELS = {
    "en": {"refund": "refund", "exchange": "exchange", "price_reduction": "price reduction", "repair": "repair"},
    "zh": {"refund": "退货", "exchange": "换货", "price_reduction": "减价", "repair": "修理"},
}
EVENT_LABELS = {
    "en": {"fault": "fault", "inspection": "inspection", "repair": "repair", "exchange": "exchange",
           "refund": "refund", "refused": "refused"},
    "zh": {"fault": "故障", "inspection": "检测", "repair": "修理", "exchange": "换货", "refund": "退货",
           "refused": "拒绝"},
}
COMPONENT_LABELS = {
    "en": {"main_unit": "main unit", "battery": "battery", "charger": "charger", "wired_headset": "wired headset",
           "data_card": "data card", "sim_card": "SIM card"},
    "zh": {"main_unit": "主机", "battery": "电池", "charger": "充电器", "wired_headset": "外接有线耳机",
           "data_card": "数据接口卡", "sim_card": "移动终端卡"},
}
LANGUAGES = ("en", "zh")


def by_rank(remedies) -> list[str]:
    """Remedies without repeats, strongest first."""
    return sorted(set(remedies), key=lambda r: -RANK[r])


def remedy_words(remedies, lang: str) -> str:
    """Remedies as words joined for a sentence ("exchange or refund" / "换货或退货")."""
    words = [REMEDY_LABELS[lang][r] for r in by_rank(remedies)]
    if not words:
        return "nothing" if lang == "en" else "无"
    if lang == "zh":
        return "或".join(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
