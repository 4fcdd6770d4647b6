"""The built-in rules beyond fluent Chinese and English: mild Chinese complaints, terse repair
notes, and German, Dutch, Spanish and French wording — and praise or denial in each staying
clean.  Every text here was written for this test."""

from __future__ import annotations

import pytest

from defectradar.text.normalise import normalise
from defectradar.text.rules import RuleClassifier
from defectradar.text.taxonomy import builtin_taxonomy


@pytest.fixture(scope="module")
def rules() -> RuleClassifier:
    return RuleClassifier(builtin_taxonomy())


def modes(rules: RuleClassifier, text: str) -> set[str]:
    return set(rules.classify(normalise(text).match).modes)


@pytest.mark.parametrize(("text", "mode"), [
    # Chinese mild complaints and feature-phone wording
    ("这手机铃声小，在外面听不见", "audio"),
    ("通话有回声", "audio"),
    ("外放有杂音", "audio"),
    ("用了两个月就掉漆了", "build"),
    ("翻盖轴有点松", "build"),
    ("按键不灵，要按好几下", "build"),
    ("电池有点松动", "build"),
    ("偶尔白屏一下", "display"),
    ("屏显有花点", "display"),
    ("菜单切换反应迟缓", "software"),
    ("玩游戏不流畅", "software"),
    ("待机时间短", "battery"),
    ("耗电很快", "battery"),
    ("家里信号差", "cellular"),
    ("打电话经常掉线", "cellular"),
    ("晚上拍照模糊", "camera"),
    ("对焦有点慢", "camera"),
    # English repair notes
    ("Cracked screen", "display"),
    ("smashed screen, needs replacing", "display"),
    ("Not charging", "charging"),
    ("charging port", "charging"),
    ("Won't turn on", "motherboard"),
    ("dead", "motherboard"),
    ("stuck on apple logo", "software"),
    ("Handy startet nicht, hängt beim Logo", "software"),
    ("Speaker", "audio"),
    ("no sound", "audio"),
    ("power button stuck", "build"),
    ("back cover", "build"),
    ("sim not recognised", "cellular"),
    ("liquid damage", "other_defect"),
    # German
    ("Display gebrochen", "display"),
    ("Akku lädt nicht mehr", "charging"),
    ("Ladebuchse defekt", "charging"),
    ("Handy geht nicht an", "motherboard"),
    ("kein Ton beim Telefonieren", "audio"),
    ("Einschalttaste klemmt", "build"),
    ("Wasserschaden", "other_defect"),
    ("SIM-Karte wird nicht erkannt", "cellular"),
    # Dutch
    ("scherm gebarsten", "display"),
    ("laadt niet op", "charging"),
    ("telefoon gaat niet aan", "motherboard"),
    ("geen geluid", "audio"),
    ("accu loopt snel leeg", "battery"),
    ("waterschade", "other_defect"),
    # Spanish
    ("pantalla rota", "display"),
    ("no carga", "charging"),
    ("no enciende", "motherboard"),
    ("sin sonido", "audio"),
    ("daño por agua", "other_defect"),
    # French
    ("écran cassé", "display"),
    ("ne charge pas", "charging"),
    ("ne s'allume pas", "motherboard"),
    ("pas de son", "audio"),
    ("dégât des eaux", "other_defect"),
])
def test_the_key_wording_of_each_language_finds_its_mode(rules, text, mode):
    assert mode in modes(rules, text), text


@pytest.mark.parametrize("text", [
    "声音大很清楚",
    "通话没有杂音",
    "杂音很小",
    "一点都不卡",
    "待机时间长",
    "信号好，拍照清晰",
    "送了碎屏险",
    "Akku hält super",
    "Keine Probleme mit dem Akku",
    "Kamera funktioniert einwandfrei",
    "batterij werkt prima",
    "la batería funciona bien",
    "aucun problème de batterie",
    "my son dropped it once",
])
def test_praise_denial_and_neutral_mentions_stay_clean(rules, text):
    assert modes(rules, text) == set(), text
