"""Sentences: a rule's text with its numbers filled in, and a case's summary, in English or Chinese."""

from __future__ import annotations

from typing import TYPE_CHECKING

from defectradar.remedies.templates import fill
from defectradar.remedies.vocabulary import COMPONENT_LABELS, EVENT_LABELS, REMEDY_LABELS, remedy_words

if TYPE_CHECKING:   # engine imports this module
    from defectradar.remedies.engine import Judgement, RuleHit


def rule_text(hit: "RuleHit", lang: str) -> str:
    """The rule's sentence with its logic's numbers filled in (unknown names stay as written)."""
    values = dict(hit.entitlement.values)
    values["remedies"] = remedy_words(hit.entitlement.remedies, lang)
    if "component" in values:
        values["component"] = COMPONENT_LABELS[lang].get(values["component"], values["component"])
    return fill(hit.rule.template(lang), values)


def _first_rule(step) -> str:
    hit = step.deciding_hit()
    return f"{hit.rule.id}, {hit.rule.reference}"


#: The summary's sentences; ``{s}`` is an English plural ending.
_SENTENCES = {
    "en": {"opening": "{product} bought {bought} ({jurisdiction}): {events} event{s} to {as_of}.",
           "short": "{count} fell short: {items}.", "item": "on {date} {given} where {due} was due ({rule})",
           "items": "; ", "refused": "a refusal", "given": "a {event}",
           "none_short": "Every remedy given was at least the remedy due.",
           "wipes": "The owner's data was wiped {wipes} time{s} in repair.", "now_due": "Due now: {remedies}.",
           "recurs": "If the fault recurs on {as_of}: {remedies}.", "join": " "},
    "zh": {"opening": "{product}，{bought} 购买（{jurisdiction}），截至 {as_of} 共 {events} 次事件。",
           "short": "{items}", "item": "{date}：实际为{given}，但应得{due}（{rule}）。", "items": "",
           "refused": "拒绝", "given": "{event_label}", "none_short": "每一步的处理都不低于应得的补救。",
           "wipes": "维修中数据被清除 {wipes} 次。", "now_due": "目前可主张：{remedies}。",
           "recurs": "若故障于 {as_of} 再次出现，可得：{remedies}。", "join": ""},
}


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


def summary_text(judgement: "Judgement") -> str:
    lang = judgement.lang
    words = _SENTENCES[lang]
    device = judgement.case.device
    product = (device.product.name_zh or device.product.name) if lang == "zh" else device.product.name
    events = len(judgement.steps)
    parts = [words["opening"].format(product=product, bought=device.purchase_date, jurisdiction=device.jurisdiction,
                                     events=events, s=_plural(events), as_of=judgement.as_of)]
    items = []
    for step in judgement.shortfalls:
        given = words["refused"] if step.event.type == "refused" else words["given"].format(
            event=step.event.type, event_label=EVENT_LABELS[lang][step.event.type])
        items.append(words["item"].format(date=step.event.date, given=given, due=REMEDY_LABELS[lang][step.due[0]],
                                          rule=_first_rule(step)))
    if items:
        parts.append(words["short"].format(count=len(items), items=words["items"].join(items)))
    else:
        parts.append(words["none_short"])
    wipes = len(judgement.data_wipes)
    if wipes:
        parts.append(words["wipes"].format(wipes=wipes, s=_plural(wipes)))
    if judgement.now_due:
        parts.append(words["now_due"].format(remedies=remedy_words(judgement.now_due, lang)))
    if judgement.if_fault_recurs:
        parts.append(words["recurs"].format(as_of=judgement.as_of, remedies=remedy_words(judgement.if_fault_recurs, lang)))
    return words["join"].join(parts)
