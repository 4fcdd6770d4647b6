"""Sentences: a rule's text with its numbers filled in, and a case's summary, in English or Chinese."""

from __future__ import annotations

from typing import TYPE_CHECKING

from defectradar.remedies.vocabulary import COMPONENT_LABELS, EVENT_LABELS, REMEDY_LABELS, remedy_words

if TYPE_CHECKING:   # engine imports this module
    from defectradar.remedies.engine import Judgement, RuleHit


class _Blanks(dict):
    """Leaves an unknown ``{name}`` in a template as written instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def rule_text(hit: "RuleHit", lang: str) -> str:
    values = _Blanks({k: v for k, v in hit.entitlement.values.items()})
    values["remedies"] = remedy_words(hit.entitlement.remedies, lang)
    if "component" in values:
        values["component"] = COMPONENT_LABELS[lang].get(values["component"], values["component"])
    return hit.rule.template(lang).format_map(values)


def _first_rule(step) -> str:
    hit = step.deciding_hit()
    return f"{hit.rule.id}, {hit.rule.reference}"


def summary_text(judgement: "Judgement") -> str:
    lang = judgement.lang
    device = judgement.case.device
    product = (device.product.name_zh or device.product.name) if lang == "zh" else device.product.name
    short = judgement.shortfalls
    wipes = len(judgement.data_wipes)
    if lang == "zh":
        parts = [f"{product}，{device.purchase_date} 购买（{device.jurisdiction}），截至 {judgement.as_of} 共 "
                 f"{len(judgement.steps)} 次事件。"]
        for step in short:
            given = EVENT_LABELS["zh"][step.event.type]
            parts.append(f"{step.event.date}：实际为{given}，但应得{REMEDY_LABELS['zh'][step.due[0]]}"
                         f"（{_first_rule(step)}）。")
        if not short:
            parts.append("每一步的处理都不低于应得的补救。")
        if wipes:
            parts.append(f"维修中数据被清除 {wipes} 次。")
        if judgement.now_due:
            parts.append(f"目前可主张：{remedy_words(judgement.now_due, 'zh')}。")
        if judgement.if_fault_recurs:
            parts.append(f"若故障于 {judgement.as_of} 再次出现，可得：{remedy_words(judgement.if_fault_recurs, 'zh')}。")
        return "".join(parts)
    parts = [f"{product} bought {device.purchase_date} ({device.jurisdiction}): {len(judgement.steps)} "
             f"event{'s' if len(judgement.steps) != 1 else ''} to {judgement.as_of}."]
    if short:
        parts.append(f"{len(short)} fell short:")
        for step in short:
            given = "a refusal" if step.event.type == "refused" else f"a {step.event.type}"
            parts.append(f"on {step.event.date} {given} where {REMEDY_LABELS['en'][step.due[0]]} was due "
                         f"({_first_rule(step)});")
        parts[-1] = parts[-1].rstrip(";") + "."
    else:
        parts.append("Every remedy given was at least the remedy due.")
    if wipes:
        parts.append(f"The owner's data was wiped {wipes} time{'s' if wipes != 1 else ''} in repair.")
    if judgement.now_due:
        parts.append(f"Due now: {remedy_words(judgement.now_due, 'en')}.")
    if judgement.if_fault_recurs:
        parts.append(f"If the fault recurs on {judgement.as_of}: {remedy_words(judgement.if_fault_recurs, 'en')}.")
    return " ".join(parts)
