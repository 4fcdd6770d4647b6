"""The identifier scrubber in both directions: planted identifiers caught, ordinary numbers left alone.

Usage::

    python benchmarks/privacy.py [--per-spelling 200] [--ordinary 60000] [--write-docs]

Reads real complaint and review texts from ``../shared/data`` (never copied into the repository;
see each folder's SOURCE.txt): JD.com and online-shop phone reviews (Chinese), Open Repair Alliance
phone and tablet repair notes (English, German, Dutch), and NHTSA vehicle complaints (English).
Then, with a fixed seed:

1. **Recall.** Identifiers of every kind, each in many spellings (separators, ``+86``/``0086``,
   full-width digits, groupings, letter case, ``X`` check characters, Luhn-valid IMEIs and cards,
   QQ and WeChat keyword variants, ``@handles``, and a few dodges the scrubber is known not to
   read: digit-by-digit mobiles, ``name at 163 dot com``, ``V：id``), are planted one per text into real carriers,
   half of them after a label (``电话``, ``IMEI:``, ``卡号``...).  An identifier counts as caught
   when, after ``Pseudonymiser.redact``, neither its written form nor its value (digits with the
   separators between them removed, the address, the id, the handle) appears in the text.
2. **False redactions.** Every real text is redacted as it is: a changed text is *not* necessarily
   a false redaction (reviews and complaints quote real phone numbers and QQ numbers), so the
   count is reported with a sample of what changed.  Then ordinary numbers (decimals, ``#861580
   0.437247``, prices, dates, times, versions, mileages, order numbers, measurements, model
   names...) are planted into real carriers that hold no identifier; every change there is false.

A naive scrubber runs on the same inputs as a peer: one regular expression for 11-digit mobiles,
e-mail addresses and 15-digit runs, the filter many pipelines start with.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import phonenumbers

from defectradar.core.identifiers import TOKEN, find_identifiers
from defectradar.ingest.pseudonymise import Pseudonymiser

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import machine, write_docs  # noqa: E402  (the benchmarks share the machine and docs writer)

SEED = 20261204
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
KEY = os.urandom(32)   # a fresh key: tokens of real identifiers in the output can't be reversed
NAIVE = re.compile(r"1[3-9]\d{9}|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\d{15}")


def naive_redact(text: str) -> str:
    return NAIVE.sub("[x]", text)


# ---------------------------------------------------------------------------- real texts
def _rows(path: Path, encoding: str = "utf-8") -> list[dict]:
    with open(path, encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def real_texts() -> dict[str, list[str]]:
    """Texts per source, read from ../shared/data (a clear error when the folder is absent)."""
    if not DATA.is_dir():
        raise SystemExit(f"benchmarks/privacy.py reads real texts from {DATA}, which is missing: "
                         "check out the shared data next to the repository")
    repair = DATA / "openrepair-mobile-tablet-faults"
    flat = (DATA / "nhtsa-flat-file-sample" / "complaints.txt").read_text(encoding="utf-8", errors="replace")
    sources = {
        "JD.com phone reviews (zh)": [r["评论内容"] for r in _rows(DATA / "zh-jd-phone-reviews-2019" / "jd_phone_reviews.csv")],
        "online-shop phone reviews (zh)": [r["review"] for r in _rows(DATA / "zh-online-shopping-phone" / "online_shopping_phone.csv")],
        "Open Repair phone/tablet faults": [r["problem"] for r in _rows(repair / "mobiles_mobifix.csv")]
        + [r["problem"] for r in _rows(repair / "tablets_tabicat.csv")],
        "NHTSA complaints (en)": [r["complaint_text"] for r in _rows(DATA / "nhtsa-ford-body-failure-modes" / "ford_body_complaints_binned.csv")]
        + [r["CDESCR"] for r in _rows(DATA / "nhtsa-hyundai-kia-recall-backtest" / "evidence_unknown_but_dangerous.csv", "utf-8-sig")]
        + [line.split("\t")[19] for line in flat.splitlines() if line.count("\t") > 19],
    }
    return {name: [t for t in texts if t and t.strip()] for name, texts in sources.items()}


# ---------------------------------------------------------------------------- identifiers to plant
def _fw(text: str) -> str:
    """Full-width digits, letters and ASCII punctuation (the dodge the scrubber folds back)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _luhn_complete(body: str) -> str:
    """``body`` and the digit that makes it pass the Luhn check (ISO/IEC 7812-1, annex B)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str((10 - total % 10) % 10)


def _groups(digits: str, sizes: tuple[int, ...], sep: str) -> str:
    out, at = [], 0
    for size in sizes:
        out.append(digits[at:at + size])
        at += size
    if at < len(digits):
        out.append(digits[at:])
    return sep.join(out)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


_MOBILE_HEADS = ("130", "135", "138", "139", "150", "158", "166", "173", "177", "181", "186", "189", "191", "199")


def mobile(rng):
    d = rng.choice(_MOBILE_HEADS) + _digits(rng, 8)
    return d, [d]


def _valid_number(rng, region: str, kind) -> phonenumbers.PhoneNumber:
    example = phonenumbers.example_number_for_type(region, kind)
    national = phonenumbers.national_significant_number(example)
    while True:   # keep the example's leading digits (area or mobile prefix), draw the rest
        keep = max(2, len(national) // 3)
        number = phonenumbers.parse("+" + str(example.country_code) + national[:keep]
                                    + _digits(rng, len(national) - keep))
        if phonenumbers.is_valid_number(number):
            return number


def _phone(region: str, kind, fmt):
    def make(rng):
        number = _valid_number(rng, region, kind)
        return fmt(number), [phonenumbers.national_significant_number(number)]
    return make


def _fmt(style):
    return lambda number: phonenumbers.format_number(number, style)


_INTL = phonenumbers.PhoneNumberFormat.INTERNATIONAL
_E164 = phonenumbers.PhoneNumberFormat.E164
_NATIONAL = phonenumbers.PhoneNumberFormat.NATIONAL
_FIXED = phonenumbers.PhoneNumberType.FIXED_LINE
_MOBILE = phonenumbers.PhoneNumberType.MOBILE


def imei(rng):
    d = _luhn_complete(rng.choice(("01", "35", "86", "99", "49", "45")) + _digits(rng, 12))
    return d, [d]


_CARD_HEADS = (("62", 19), ("62", 16), ("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("6011", 16),
               ("3530", 16), ("9558", 19), ("60", 19))


def card(rng):
    head, length = rng.choice(_CARD_HEADS)
    d = _luhn_complete(head + _digits(rng, length - len(head) - 1))
    return d, [d]


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_AREAS = ("110105", "110108", "310115", "440106", "440305", "320102", "330106", "510107", "420106", "370212")


def person_id(rng, check: str | None = None):
    """An 18-character ID with its GB 11643 check character (``check`` forces X or a digit)."""
    while True:
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(20_000))
        body = f"{rng.choice(_AREAS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        value = "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS)) % 11]
        if check is None or (value == "X") == (check == "X"):
            return body + value, [body + value]


_PINYIN = ("wang", "li", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu", "xu", "sun")
_GIVEN = ("wei", "fang", "na", "min", "jing", "lei", "jun", "tao", "ming", "hui", "peng", "xin")
_DOMAINS = ("163.com", "126.com", "qq.com", "gmail.com", "outlook.com", "sina.com", "foxmail.com", "example.co.uk")


def email(rng):
    local = rng.choice((f"{rng.choice(_PINYIN)}{rng.choice(_GIVEN)}{rng.randint(70, 2005)}",
                        f"{rng.choice(_PINYIN)}.{rng.choice(_GIVEN)}", str(rng.randint(10_000_000, 3_000_000_000))))
    address = f"{local}@{rng.choice(_DOMAINS)}"
    return address, [address]


def qq_number(rng) -> str:
    return str(rng.randint(10_000, 99_999)) if rng.random() < 0.1 else str(rng.randint(100_000, 3_999_999_999))


def wechat_id(rng, digits: bool = True) -> str:
    head = rng.choice(_PINYIN) + rng.choice(("", "_", "-")) + rng.choice(_GIVEN)
    if not digits:
        return head + rng.choice(("abc", "xyz", "ok", "mi"))
    return rng.choice((f"{head}{rng.randint(1, 2005)}", f"{head}_{rng.randint(70, 99)}",
                       "wxid_" + "".join(rng.choice("abcdefghijkmnpqrstuvwxyz0123456789") for _ in range(14))))


_HANDLES_ZH = ("米粉老王", "数码小白", "张三", "李四的猫", "熬夜的柠檬", "深圳打工人")
_HANDLES_EN = ("john_doe", "Kiki_Wang88", "techguy", "lucas-li", "Mia2021")


def handle(rng):
    name = rng.choice(_HANDLES_ZH + _HANDLES_EN) + (str(rng.randint(1, 999)) if rng.random() < 0.3 else "")
    return name, [name]


def spelled(make, spell):
    """A planting function: draw a value with ``make``, write it with ``spell``."""
    def plant(rng):
        value, checks = make(rng)
        return spell(value, rng), checks
    return plant


def with_word(make, words, write=lambda v: v):
    """An identifier that needs its keyword: QQ numbers, WeChat ids, handles."""
    def plant(rng):
        value = make(rng)
        return rng.choice(words).format(write(value)), [value]
    return plant


PLANTS: dict[str, dict[str, object]] = {
    "mobile (CN)": {
        "plain": spelled(mobile, lambda d, r: d),
        "3-4-4 spaces": spelled(mobile, lambda d, r: _groups(d, (3, 4), " ")),
        "3-4-4 dashes": spelled(mobile, lambda d, r: _groups(d, (3, 4), "-")),
        "3-4-4 dots": spelled(mobile, lambda d, r: _groups(d, (3, 4), ".")),
        "3-4-4 middle dots": spelled(mobile, lambda d, r: _groups(d, (3, 4), "·")),
        "3-4-4 full-width dots": spelled(mobile, lambda d, r: _groups(d, (3, 4), "．")),
        "3-4-4 spaced dashes": spelled(mobile, lambda d, r: _groups(d, (3, 4), " - ")),
        "3-4-4 ideographic spaces": spelled(mobile, lambda d, r: _groups(d, (3, 4), "\u3000")),
        "3-8": spelled(mobile, lambda d, r: _groups(d, (3,), " ")),
        "+86": spelled(mobile, lambda d, r: "+86" + d),
        "+86 3-4-4": spelled(mobile, lambda d, r: "+86 " + _groups(d, (3, 4), " ")),
        "+86-3-4-4": spelled(mobile, lambda d, r: "+86-" + _groups(d, (3, 4), "-")),
        "(+86)": spelled(mobile, lambda d, r: "(+86)" + d),
        "0086": spelled(mobile, lambda d, r: "0086" + d),
        "86 3-4-4": spelled(mobile, lambda d, r: "86 " + _groups(d, (3, 4), " ")),
        "full-width digits": spelled(mobile, lambda d, r: _fw(d)),
        "full-width 3-4-4 dashes": spelled(mobile, lambda d, r: _fw(_groups(d, (3, 4), "-"))),
        "4-3-4 spaces": spelled(mobile, lambda d, r: _groups(d, (4, 3), " ")),
        "3-4-4 slashes": spelled(mobile, lambda d, r: _groups(d, (3, 4), "/")),
        "digit by digit": spelled(mobile, lambda d, r: " ".join(d)),
    },
    "landline (CN)": {
        "0AA-NNNNNNNN": _phone("CN", _FIXED, _fmt(_NATIONAL)),
        "+86 AA NNNN NNNN": _phone("CN", _FIXED, _fmt(_INTL)),
        "+86AANNNNNNNN": _phone("CN", _FIXED, _fmt(_E164)),
        "(0AA) NNNN NNNN": _phone("CN", _FIXED, lambda n: "(0" + phonenumbers.format_number(n, _NATIONAL)[1:].replace("-", ") ", 1)),
    },
    "phone (other countries, +CC)": {
        region: _phone(region, _MOBILE if region in ("GB", "DE", "FR") else _FIXED, _fmt(_INTL))
        for region in ("US", "GB", "DE", "FR", "JP", "HK", "TW", "SG", "AU")
    } | {"00 prefix": _phone("GB", _MOBILE, lambda n: "00" + phonenumbers.format_number(n, _INTL)[1:])},
    "phone (US, no +1)": {
        "(AAA) NNN-NNNN": _phone("US", _FIXED, _fmt(_NATIONAL)),
        "AAA-NNN-NNNN": _phone("US", _FIXED, lambda n: re.sub(r"\((\d+)\) ", r"\1-", phonenumbers.format_number(n, _NATIONAL))),
    },
    "IMEI": {
        "plain": spelled(imei, lambda d, r: d),
        **{f"{'-'.join(map(str, g))} {name}": spelled(imei, lambda d, r, g=g, s=s: _groups(d, g, s))
           for g in ((2, 6, 6), (4, 4, 4), (6, 2, 6), (8, 6), (8,), (3, 3, 3, 3), (5, 5))
           for name, s in (("dashes", "-"), ("spaces", " ")) if (g, s) != ((8,), "-")},
        "4-4-4-3 dots": spelled(imei, lambda d, r: _groups(d, (4, 4, 4), ".")),
        "full-width": spelled(imei, lambda d, r: _fw(d)),
        "2-6-6-1 mixed separators": spelled(imei, lambda d, r: f"{d[:2]}-{d[2:8]} {d[8:14]}-{d[14]}"),
    },
    "bank card": {
        "plain": spelled(card, lambda d, r: d),
        "4-4-4-4(-n) spaces": spelled(card, lambda d, r: _groups(d, (4, 4, 4, 4), " ")),
        "4-4-4-4(-n) dashes": spelled(card, lambda d, r: _groups(d, (4, 4, 4, 4), "-")),
        "6-rest": spelled(card, lambda d, r: _groups(d, (6,), " ")),
        "full-width 4-4-4-4(-n)": spelled(card, lambda d, r: _fw(_groups(d, (4, 4, 4, 4), " "))),
        "4-4-4-4(-n) mixed separators": spelled(card, lambda d, r: _groups(d, (4, 4), " ").replace(" ", "-", 1)),
    },
    "resident ID": {
        "plain, digit check": lambda rng: person_id(rng, "0"),
        "X check": lambda rng: person_id(rng, "X"),
        "x check (lower case)": spelled(lambda rng: person_id(rng, "X"), lambda v, r: v.lower()),
        "6-8-4 spaces": spelled(person_id, lambda v, r: _groups(v, (6, 8), " ")),
        "6-8-4 dashes": spelled(person_id, lambda v, r: _groups(v, (6, 8), "-")),
        "full-width": spelled(person_id, lambda v, r: _fw(v)),
    },
    "e-mail": {
        "lower case": spelled(email, lambda v, r: v),
        "Mixed Case": spelled(email, lambda v, r: v[0].upper() + v[1:v.index("@") + 2].title() + v[v.index("@") + 2:].upper()),
        "UPPER CASE": spelled(email, lambda v, r: v.upper()),
        "full-width @": spelled(email, lambda v, r: v.replace("@", "＠")),
        "spelled out (name at 163 dot com)": spelled(email, lambda v, r: v.replace("@", " at ").replace(".", " dot ")),
    },
    "QQ": {
        "QQ n": with_word(qq_number, ("QQ {}", "QQ：{}", "QQ:{}", "qq {}")),
        "QQ号 n": with_word(qq_number, ("QQ号：{}", "qq号 {}", "QQ号码 {}", "Q号:{}", "我的QQ是{}")),
        "扣扣 n": with_word(qq_number, ("扣扣 {}", "扣扣：{}", "扣扣{}")),
        "ＱＱ full width": with_word(qq_number, ("ＱＱ{}", "ＱＱ：{}"), _fw),
        "QQn glued": with_word(qq_number, ("QQ{}", "qq{}")),
        "企鹅 / Q alone": with_word(qq_number, ("企鹅号 {}", "Q：{}", "Q {}")),
    },
    "WeChat id": {
        "微信 id": with_word(wechat_id, ("微信 {}", "微信{}", "微信：{}", "微信号：{}", "微信号 {}", "加微信 {}")),
        "vx / wx": with_word(wechat_id, ("vx: {}", "VX：{}", "vx {}", "wx号 {}", "wx: {}", "WX {}")),
        "WeChat / weixin": with_word(wechat_id, ("WeChat: {}", "wechat {}", "weixin：{}", "WeChat ID: {}")),
        "加V / +v / v信 / 威信": with_word(wechat_id, ("加V：{}", "加v {}", "+v {}", "加Ⅴ:{}", "v信 {}", "威信 {}")),
        "id without digits": with_word(lambda rng: wechat_id(rng, digits=False), ("微信号：{}", "微信：{}", "加V：{}", "wx号 {}")),
        "V / 薇 alone": with_word(wechat_id, ("V：{}", "V {}", "薇：{}", "➕V {}")),
    },
    "@handle": {
        "@handle": with_word(lambda rng: handle(rng)[0], ("@{} ", "回复@{}:", "//@{}: ", "＠{} ")),
    },
}
_LABELS = {  # written before an identifier half of the time (zh carriers, en carriers)
    "mobile (CN)": ("电话", "phone"), "landline (CN)": ("座机", "tel"), "phone (other countries, +CC)": ("电话", "call"),
    "phone (US, no +1)": ("电话", "call"), "IMEI": ("IMEI", "IMEI"), "bank card": ("卡号", "card no."),
    "resident ID": ("身份证", "ID"), "e-mail": ("邮箱", "email"),
}
NOT_TARGETED = {"phone (US, no +1)"}   # national US numbers are not numbers in the default region CN

_CJK = re.compile(r"[\u3400-\u9fff]")


def plant(carrier: str, written: str | list[str], rng: random.Random) -> str:
    """``written`` (one or several pieces) inserted into ``carrier`` between words or CJK characters,
    never inside a number or a word, each piece at its own place and set off by spaces."""
    pieces = [written] if isinstance(written, str) else written
    spots = [i for i in range(len(carrier) + 1)
             if (i == 0 or not carrier[i - 1].isalnum() or _CJK.match(carrier[i - 1]))
             and (i == len(carrier) or not carrier[i].isalnum() or _CJK.match(carrier[i]))] or [len(carrier)]
    places = sorted(rng.sample(spots, len(pieces)) if len(spots) >= len(pieces) else [spots[-1]] * len(pieces))
    out, last = [], 0
    for at, piece in zip(places, pieces):
        out += [carrier[last:at], f" {piece} "]
        last = at
    return "".join(out) + carrier[last:]


def leaked(out: str, written: str, checks: list[str]) -> bool:
    """Whether the written form, or a value with the separators between its characters removed, survives."""
    folded = unicodedata.normalize("NFKC", out)
    compact = re.sub(r"(?<=[\dA-Za-z])[\s\-.·()+]+(?=[\dA-Za-z])", "", folded).lower()
    return written in out or any(check.lower() in compact or check.lower() in folded.lower() for check in checks)


def recall(carriers: list[str], per_spelling: int, redactors: dict, rng: random.Random) -> dict:
    """Per kind and spelling: planted, and caught by each redactor."""
    result: dict = defaultdict(lambda: defaultdict(Counter))
    for kind, spellings in PLANTS.items():
        for spelling, make in spellings.items():
            for _ in range(per_spelling):
                written, checks = make(rng)
                carrier = rng.choice(carriers)
                zh = bool(_CJK.search(carrier))
                if kind in _LABELS and rng.random() < 0.5:
                    written_in = f"{_LABELS[kind][0 if zh else 1]}{'：' if zh else ': '}{written}"
                else:
                    written_in = written
                text = plant(carrier, written_in, rng)
                cell = result[kind][spelling]
                cell["planted"] += 1
                for name, redact in redactors.items():
                    cell[name] += not leaked(redact(text), written, checks)
    return result


# ---------------------------------------------------------------------------- ordinary numbers
def _price(rng):
    whole = rng.choice((rng.randint(99, 9999), rng.randint(1000, 19999)))
    return rng.choice((f"¥{whole}.00", f"￥{whole}", f"{whole}元", f"价格 {whole:,}.00元", f"${whole:,}.99",
                       f"RMB {whole}", f"{whole}块", "价格" + " ".join(f"{rng.randint(10, 99)}99元" for _ in range(3))))


def _date(rng):
    moment = datetime(2015, 1, 1) + timedelta(minutes=rng.randrange(6_000_000))
    return moment.strftime(rng.choice(("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%d/%m/%Y", "%m/%d/%Y",
                                       "%Y%m%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/ %m/ %Y", "%Y-%m-%dT%H:%M:%S")))


def _order(rng):
    digits = str(rng.randint(1, 9)) + _digits(rng, rng.randint(9, 18))
    return rng.choice(("订单号 {}", "订单号：{}", "order #{}", "单号{}", "{}", "工单 {}", "快递单号 {}")).format(digits)


ORDINARY = {
    "#hashtag + decimal (#861580 0.437247)": lambda rng: f"#{rng.randint(100_000, 999_999)} {rng.random():.6f}",
    "decimal": lambda rng: rng.choice((f"{rng.random():.6f}", f"{rng.uniform(0, 1000):.{rng.randint(1, 8)}f}",
                                       f"{rng.randint(100, 999_999)} {rng.random():.{rng.randint(2, 9)}f}")),
    "price": _price,
    "date / time": _date,
    "time of day": lambda rng: f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
    "version string": lambda rng: rng.choice(("MIUI {}.{}.{}", "iOS {}.{}.{}", "V{}.0.{}.0.RKBCNXM", "HarmonyOS {}.0.0.{}",
                                              "Android {}", "firmware {}.{}.{}.{}")).format(
        *(rng.randint(1, 130) for _ in range(4))),
    "mileage": lambda rng: rng.choice((f"{rng.randint(1000, 250_000):,} miles", f"{rng.randint(1000, 250_000)} km",
                                       f"{rng.randint(1, 30)}.{rng.randint(0, 9)}万公里", f"at {rng.randint(1000, 250_000):,} mi")),
    "order / tracking number": _order,
    "measurement / percentage": lambda rng: rng.choice((f"{rng.uniform(1, 100):.1f}%", f"{rng.randint(3000, 6000)}mAh",
                                                        f"{rng.choice((64, 128, 256, 512))}GB", f"{rng.uniform(5, 7):.2f}英寸",
                                                        f"{rng.uniform(30, 45):.1f}℃", f"{rng.choice((90, 120, 144))}Hz")),
    "model name / number": lambda rng: rng.choice(("Mi 11", "Redmi Note 8 Pro", "iPhone 13 Pro Max", "M2011K2C",
                                                   "SM-G9910", "A2403", "Mate 30 5G", "荣耀9X", "22081212C", "P30 Pro")),
    "serial-like (# / No.)": lambda rng: rng.choice(("#{}", "No.{}", "NO. {}", "case #{}", "ODI {}", "CAS#{}")).format(
        rng.randint(10**5, 10**12)),
    "coordinates / IP": lambda rng: rng.choice((f"{rng.uniform(18, 53):.4f}, {rng.uniform(73, 135):.4f}",
                                                f"{rng.uniform(73, 135):.8f}",
                                                ".".join(str(rng.randint(1, 254)) for _ in range(4)))),
    "timestamp": lambda rng: str(rng.randint(1_400_000_000, 1_800_000_000)) + ("000" if rng.random() < 0.5 else ""),
}


def ordinary(carriers: list[str], n: int, redactors: dict, rng: random.Random) -> tuple[dict, dict]:
    """Texts changed per category and redactor; a few changed examples of each redactor."""
    names = list(ORDINARY)
    weights = [4 if "hashtag" in name else 1 for name in names]   # the shape reported from the field
    counts: dict = defaultdict(Counter)
    examples: dict = defaultdict(list)
    for _ in range(n):
        category = rng.choices(names, weights)[0]
        text = plant(rng.choice(carriers), [ORDINARY[category](rng) for _ in range(rng.randint(1, 3))], rng)
        counts[category]["texts"] += 1
        for name, redact in redactors.items():
            out = redact(text)
            if out != text:
                counts[category][name] += 1
                if name == "ours":
                    counts["kinds"].update(i.kind for i in find_identifiers(text))
                if len(examples[name]) < 400:
                    examples[name].append((category, _changed_snippet(text, out)))
    return counts, examples


# ---------------------------------------------------------------------------- real texts as they are
def _changed_snippet(before: str, after: str, width: int = 25) -> str:
    """The changed stretch of a text, before -> after, with ``width`` characters either side."""
    start = next((i for i, (a, b) in enumerate(zip(before, after)) if a != b), min(len(before), len(after)))
    tail = next((i for i, (a, b) in enumerate(zip(reversed(before), reversed(after))) if a != b), 0)
    raw = before[max(0, start - width):len(before) - tail + width]
    new = TOKEN.sub(lambda m: _short_token(m.group()), after[max(0, start - width):len(after) - tail + width])
    return f"{raw!r} -> {new!r}".replace("|", "\\|")


def _short_token(token: str) -> str:
    return token.split("_")[0] + "_…]"


def _shape(value: str) -> str:
    """An identifier's shape without its characters (digits 9, Latin letters x, CJK 字): the docs
    show what was replaced in real texts without storing anyone's number."""
    return _CJK.sub("字", re.sub(r"[A-Za-z]", "x", re.sub(r"\d", "9", unicodedata.normalize("NFKC", value))))


_LONG_NUMBER = re.compile(r"\d(?:[\s\-.()]{0,2}\d){6,}")
_TOKEN_OR_LONG_NUMBER = re.compile(rf"(?P<token>{TOKEN.pattern})|{_LONG_NUMBER.pattern}")


def _redacted_snippet(text: str, out: str, found: list, width: int = 15) -> str:
    """What a real text's redaction replaced, as shapes, and the redacted text around it (any
    long number left there, such as a US number without +1, shown as its shape too)."""
    shapes = ", ".join(f"{i.kind} `{_shape(text[i.start:i.end])}`" for i in found)
    start = next((i for i, (a, b) in enumerate(zip(text, out)) if a != b), 0)
    tail = next((i for i, (a, b) in enumerate(zip(reversed(text), reversed(out))) if a != b), 0)
    around = _TOKEN_OR_LONG_NUMBER.sub(lambda m: _short_token(m.group()) if m.group("token") else _shape(m.group()),
                                       out[max(0, start - width):len(out) - tail + width])
    return f"{shapes}: {around!r}".replace("|", "\\|")


def real_changes(sources: dict[str, list[str]], redactors: dict) -> tuple[dict, dict, Counter, dict]:
    counts: dict = defaultdict(Counter)
    samples: dict = defaultdict(list)
    kinds: Counter = Counter()
    seconds: Counter = Counter()
    for source, texts in sources.items():
        for text in texts:
            counts[source]["texts"] += 1
            for name, redact in redactors.items():
                started = time.perf_counter()
                out = redact(text)
                seconds[name] += time.perf_counter() - started
                if out != text:
                    counts[source][name] += 1
                    if name == "ours":
                        found = find_identifiers(text)
                        kinds.update(i.kind for i in found)
                        samples[source].append(_redacted_snippet(text, out, found))
    n = sum(len(t) for t in sources.values())
    return counts, samples, kinds, {name: s / n * 1e6 for name, s in seconds.items()}


# ---------------------------------------------------------------------------- report
def _rate(changed: int, texts: int) -> str:
    return f"{changed / texts * 10_000:,.1f}" if texts else ""


def markdown(args, rec: dict, real: tuple, ordn: tuple, n_carriers: int, load: float) -> str:
    counts, samples, kinds, micros = real
    ocounts, oexamples = ordn
    lines = [
        f"## Privacy scrubber (`make bench-privacy`), {datetime.now(timezone.utc):%Y-%m-%d}", "",
        f"Machine: {machine()}; phonenumbers {phonenumbers.__version__}; load average before the run {load:.2f}. Seed {SEED}; "
        f"`python benchmarks/privacy.py --per-spelling {args.per_spelling} --ordinary {args.ordinary}`. "
        f"Texts are read from `../shared/data` (JD.com and online-shop phone reviews, Open Repair "
        f"phone/tablet faults, NHTSA complaints), never copied. The naive peer is one regular expression: "
        f"`{NAIVE.pattern}`.", "",
        f"**Recall**: identifiers planted one per text into real carriers ({args.per_spelling} per spelling, "
        "half after a label such as `电话：` / `IMEI:`); caught = after `redact()` neither the written form nor "
        "the value (digits with the separators between them removed, address, id, handle) is left.", "",
        "| kind | spellings | planted | defectradar recall | naive recall |",
        "|---|---:|---:|---:|---:|",
    ]
    below = []
    for kind, spellings in rec.items():
        planted = sum(c["planted"] for c in spellings.values())
        ours = sum(c["ours"] for c in spellings.values())
        naive = sum(c["naive"] for c in spellings.values())
        note = " (not targeted: default region CN)" if kind in NOT_TARGETED else ""
        lines.append(f"| {kind}{note} | {len(spellings)} | {planted:,} | {ours / planted:.1%} | {naive / planted:.1%} |")
        below += [f"{kind} / {s} {c['ours'] / c['planted']:.1%}" for s, c in spellings.items()
                  if c["ours"] < c["planted"] and kind not in NOT_TARGETED]
    total = [c for kind, s in rec.items() if kind not in NOT_TARGETED for c in s.values()]
    planted = sum(c["planted"] for c in total)
    lines.append(f"| **all targeted kinds** | {sum(len(s) for k, s in rec.items() if k not in NOT_TARGETED)} | "
                 f"{planted:,} | **{sum(c['ours'] for c in total) / planted:.1%}** | "
                 f"{sum(c['naive'] for c in total) / planted:.1%} |")
    lines += ["", "Spellings below 100% for defectradar: " + ("; ".join(below) if below else "none") + ". The "
              "spellings are the ones the scrubber was written to read plus the dodges listed in the script; "
              "spellings nobody listed are not measured.", ""]

    lines += [
        "**Texts changed where no identifier was planted**, per 10,000 texts. Real texts as they are "
        f"(a change there may be a genuine identifier: see the sample below), then ordinary numbers planted "
        f"1-3 per text into {n_carriers:,} real carriers that neither scrubber changes (every change there is false).", "",
        "| input | texts | defectradar changed | per 10,000 | naive changed | per 10,000 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    kinds_false = ocounts.pop("kinds", Counter())
    for group in (counts, ocounts):
        for name, c in group.items():
            lines.append(f"| {name} | {c['texts']:,} | {c['ours']:,} | {_rate(c['ours'], c['texts'])} | "
                         f"{c['naive']:,} | {_rate(c['naive'], c['texts'])} |")
        t = sum((c for c in group.values()), Counter())
        label = "all real texts" if group is counts else "all ordinary-number texts"
        lines.append(f"| **{label}** | {t['texts']:,} | {t['ours']:,} | **{_rate(t['ours'], t['texts'])}** | "
                     f"{t['naive']:,} | {_rate(t['naive'], t['texts'])} |")
    lines += ["", "Kinds defectradar replaced in the real texts: "
              + ", ".join(f"{k} {v}" for k, v in kinds.most_common()) + ". To judge them, every changed text "
              "of the Chinese and repair sources and 8 of the NHTSA ones: the shape of what was replaced "
              "(digits 9, letters x, Chinese characters 字; the values themselves stay out of the docs) and "
              "the redacted text around it.", ""]
    for source, items in samples.items():
        for snippet in items[: 8 if "NHTSA" in source else 40]:
            lines.append(f"- {source}, {snippet}")
    ours_false = oexamples.get("ours", [])
    lines += ["", f"defectradar's changes to ordinary-number texts ({min(12, len(ours_false))} shown of "
              f"{sum(c['ours'] for c in ocounts.values())}; kinds read: "
              + ", ".join(f"{k} {v}" for k, v in kinds_false.most_common()) + "). A bare number of an "
              "identifier's shape and check digit (a Luhn-valid 15-19 digit order number, an 11-digit number "
              "opening 13-19) is read as one unless a label such as 订单号 / order # says otherwise:", ""]
    lines += [f"- {category}: {snippet}" for category, snippet in ours_false[:12]]
    lines += ["", f"Speed on the real texts: defectradar `redact()` {micros['ours']:.0f} µs a text (all texts, "
              f"no pre-filter), the naive regex {micros['naive']:.1f} µs.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-spelling", type=int, default=200, help="identifiers planted per spelling")
    parser.add_argument("--ordinary", type=int, default=60_000, help="texts with planted ordinary numbers")
    parser.add_argument("--write-docs", action="store_true", help="update the privacy section of docs/benchmarks.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    rng = random.Random(SEED)
    p = Pseudonymiser(KEY)
    redactors = {"ours": p.redact, "naive": naive_redact}
    sources = real_texts()
    print("real texts ...", file=sys.stderr)
    real = real_changes(sources, redactors)
    carriers = [t for texts in sources.values() for t in texts if len(t) < 600]
    # Carriers for ordinary numbers hold no identifier either scrubber sees, no long number (a
    # US phone number without +1 would be shown in the docs) and no '@'.
    clean = [t for t in carriers if p.redact(t) == t and naive_redact(t) == t
             and "@" not in t and not _LONG_NUMBER.search(t)]
    print("recall ...", file=sys.stderr)
    rec = recall(carriers, args.per_spelling, redactors, rng)
    print("ordinary numbers ...", file=sys.stderr)
    ordn = ordinary(clean, args.ordinary, redactors, rng)
    section = markdown(args, rec, real, ordn, len(clean), load)
    print(section)
    if args.write_docs:
        write_docs(section, marker="privacy")
        print("updated docs/benchmarks.md", file=sys.stderr)


if __name__ == "__main__":
    main()
