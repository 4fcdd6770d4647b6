"""Is a report about a phone?  The check that keeps the built-in phone reader off cars and fridges.

The built-in reader (rules and model for the phone taxonomy) finds phone faults in any text it
is given: "SERVICE BRAKES" reads as a lost signal, "the engine stalls and the screen goes
black" as a display fault.  So before it reads a report, the evidence about what the report is
about is weighed, strongest first:

1. a structured product field that names a catalog product: the catalog's ``category``
   decides (``phone`` for the built-in catalog);
2. the source: NHTSA reports are about vehicles;
3. a structured product field whose maker makes only vehicles or appliances (FORD ESCAPE,
   Whirlpool WRF555);
4. the text's own words: vehicle and appliance words (brakes, airbag, dealer, mph, 刹车,
   发动机, 4S店, washing machine, 冰箱 ...; strong ones count 2, weak ones 1) against phone words
   (phone, iPhone, 手机, SIM ...).  Other words scoring at least 2 and more than twice the
   phone words make the text not about phones;
5. otherwise it is about phones, as every text was before this check.

A report that is not about phones gets no mode from the phone reader; the source's own labels
(``components``, e.g. NHTSA's COMPDESC) become its failure modes instead
(:func:`source_modes`).  The vocabulary was written from the vehicle and appliance words every
complaint of those kinds uses, and checked against the phone training data and NHTSA recall
summaries (never against the data the benchmarks report).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from defectradar.domain.catalog import PHONE_CATEGORY, fold_name, product_slug, without_identifiers
from defectradar.text.prefilter import compile_fast

#: Source types and names whose reports are not about phones, and what they are about.
NON_PHONE_SOURCES = {"nhtsa": "vehicle"}

# Makers of vehicles or appliances only (a name that is also a phone word, such as "mini" or
# "ram", is left out).  Matched against the first word of a structured product field.
_VEHICLE_MAKERS = (
    "ford", "lincoln", "mercury", "chevrolet", "chevy", "gmc", "buick", "cadillac", "dodge", "chrysler", "jeep",
    "pontiac", "oldsmobile", "plymouth", "saturn", "tesla", "toyota", "lexus", "scion", "honda", "acura", "nissan",
    "infiniti", "datsun", "hyundai", "kia", "mazda", "subaru", "mitsubishi", "volkswagen", "vw", "audi", "porsche",
    "bmw", "mercedes", "mercedes-benz", "volvo", "jaguar", "landrover", "land", "fiat", "alfa", "maserati", "ferrari",
    "saab", "rivian", "polestar", "harley-davidson", "freightliner", "peterbilt", "kenworth", "navistar", "mack",
    "winnebago", "peugeot", "renault", "citroen", "skoda", "seat", "opel", "vauxhall",
    "比亚迪", "吉利", "长城", "哈弗", "蔚来", "理想", "小鹏", "奇瑞", "长安", "大众", "丰田", "本田", "日产", "宝马", "奔驰", "奥迪",
    "特斯拉", "现代", "起亚", "福特", "别克", "雪佛兰", "五菱", "红旗", "问界", "零跑",
)
_APPLIANCE_MAKERS = (
    "whirlpool", "maytag", "frigidaire", "kenmore", "electrolux", "bosch", "miele", "amana", "kitchenaid", "hotpoint",
    "haier", "midea", "gree", "dyson", "ecovacs", "irobot", "roomba", "cuisinart",
    "海尔", "美的", "格力", "奥克斯", "九阳", "苏泊尔", "科沃斯", "方太",
)
MAKER_KINDS = {**{fold_name(m): "vehicle" for m in _VEHICLE_MAKERS},
               **{fold_name(m): "appliance" for m in _APPLIANCE_MAKERS}}

# Vocabulary of vehicle and appliance complaints, on the match form (simplified, lower case).
# Strong words (2) hardly ever occur in a phone complaint; weak ones (1) sometimes do.
_STRONG_EN = (
    r"vehicles?", r"airbags?", r"air bags?", r"brakes?", r"braking", r"transmission", r"steering", r"windshield",
    r"windscreen", r"seat ?belts?", r"odometer", r"mph", r"dealership", r"powertrain", r"drivetrain", r"axle",
    r"suspension", r"exhaust", r"coolant", r"radiator", r"alternator", r"ignition", r"tires?", r"tyres?",
    r"accelerator", r"gas pedal", r"cruise control", r"lane (?:departure|keep\w*|assist)", r"mileage", r"liftgate", r"tailgate", r"sunroof", r"headlights?", r"taillights?", r"wipers?",
    r"bumper", r"check engine", r"car seat", r"towed", r"tow truck", r"rear[- ]ended", r"suv", r"sedan", r"minivan",
    r"trucks?", r"motorcycles?", r"infotainment", r"instrument cluster",
    r"refrigerators?", r"fridges?", r"freezers?", r"dishwashers?", r"washing machines?", r"washers?", r"dryers?",
    r"ovens?", r"microwaves?", r"stoves?", r"cooktops?", r"range hood", r"air condition(?:er|ing)",
    r"water heater", r"vacuum cleaner", r"ice maker", r"compressor", r"spin cycle",
)
_WEAK_EN = (r"cars?", r"engine", r"driving", r"drove", r"wheels?", r"dealer", r"mechanic", r"miles", r"fuel",
            r"road", r"highway", r"freeway", r"interstate", r"traffic", r"parked", r"door", r"appliance",
            r"carplay", r"android auto", r"furnace")
_STRONG_ZH = (
    "汽车", "车辆", "刹车", "制动", "发动机", "变速箱", "变速器", "气囊", "方向盘", "轮胎", "油门", "底盘", "4s店", "车主",
    "挡风玻璃", "雨刮", "天窗", "后备箱", "仪表盘", "高速公路", "悬挂", "减震器", "排气管", "电瓶", "熄火", "车门", "车窗",
    "车灯", "换挡", "挡位", "倒车", "冰箱", "洗衣机", "热水器", "油烟机", "微波炉", "烤箱", "洗碗机", "电饭煲",
    "扫地机", "吸尘器", "净化器", "燃气灶", "冷柜", "压缩机", "空调外机",
)
_WEAK_ZH = ("开车", "行驶", "驾驶", "里程", "公里", "车速", "车机", "家电")
_PHONE = (
    r"(?<![a-z])(?:phones?|smartphones?|cellphones?|cell phones?|handsets?|iphones?|android|ios|sim(?: card)?|"
    r"xiaomi|redmi|poco|huawei|oppo|oneplus|realme|vivo|iqoo|samsung|galaxy|pixel|meizu|nubia|bluetooth|"
    r"mobile|tablet|ipad)(?![a-z])"
    r"|手机|安卓|苹果|刷机|小米|红米|华为|荣耀|三星|魅族|平板"
)


def _words(patterns: Iterable[str]) -> str:
    return "|".join(patterns)


# compile_fast (prefilter.py): the same matches, faster on long word alternations.
_OTHER = compile_fast(
    rf"(?P<strong>(?<![a-z])(?:{_words(_STRONG_EN)})(?![a-z])|{_words(_STRONG_ZH)})"
    rf"|(?P<weak>(?<![a-z])(?:{_words(_WEAK_EN)})(?![a-z])|{_words(_WEAK_ZH)})"
)
_PHONE_WORDS = compile_fast(_PHONE)
_WEIGHT = {"strong": 2, "weak": 1}
OTHER_NEEDED = 2        # other-domain score a text needs ...
PHONE_RATIO = 2         # ... and more than this many times its phone words


@dataclass(frozen=True)
class Subject:
    """Whether the phone reader may label a report, and the evidence that settled it."""

    phone: bool
    why: str

    def to_dict(self) -> dict:
        return {"phone": self.phone, "why": self.why}


ABOUT_PHONES = Subject(True, "default")
NO_TEXT = Subject(False, "no text")


def maker_kind(product_name: str | None) -> str | None:
    """``vehicle`` or ``appliance`` when the first word of a product name is such a maker."""
    if not product_name:
        return None
    first = product_name.split()[0] if product_name.split() else ""
    return MAKER_KINDS.get(fold_name(first))


def text_subject(match_text: str) -> Subject:
    """What a text's own words say (step 4 of the module's list); a report without text (only
    the source's labels) is about nothing the phone reader could read."""
    if not match_text.strip():
        return NO_TEXT
    other = 0
    found: list[str] = []
    for hit in _OTHER.finditer(match_text):
        other += _WEIGHT[hit.lastgroup]
        if len(found) < 3 and hit.group() not in found:
            found.append(hit.group())
    if other < OTHER_NEEDED:
        return ABOUT_PHONES
    phone = len(_PHONE_WORDS.findall(match_text))
    if other > PHONE_RATIO * phone:
        return Subject(False, f"words: {', '.join(found)}")
    return Subject(True, "words")


def read_subject(match_text: str, *, source: str | None = None, catalog_category: str | None = None,
                 product_name: str | None = None) -> Subject:
    """Whether a report is about a phone (see the module's list for the order of evidence).

    Parameters
    ----------
    match_text
        The text's match form (:func:`defectradar.text.normalise.normalise`).
    source
        The report's source type or name (``nhtsa`` ...).
    catalog_category
        The category of the catalog its structured product field resolved in, if it did.
    product_name
        Its structured product field (brand and model), if any.

    Examples
    --------
    >>> read_subject("unknown or other,service brakes").phone
    False
    >>> read_subject("my phone gets hot in the car").phone
    True
    """
    if catalog_category is not None:
        return ABOUT_PHONES if catalog_category == PHONE_CATEGORY else Subject(False, f"catalog: {catalog_category}")
    kind = NON_PHONE_SOURCES.get((source or "").lower())
    if kind:
        return Subject(False, f"source: {source.lower()} ({kind})")
    kind = maker_kind(product_name)
    if kind:
        return Subject(False, f"product maker: {kind}")
    return text_subject(match_text)


_SOURCE_LABELS = re.compile(r",(?=\S)")    # "UNKNOWN OR OTHER,SERVICE BRAKES"; not "SERVICE BRAKES, HYDRAULIC"


def source_mode(label: str) -> str | None:
    """The failure-mode id of one of the source's labels: its first level (before ``:``) as a
    slug, so NHTSA's "SERVICE BRAKES, HYDRAULIC:ANTILOCK" is ``service-brakes-hydraulic``."""
    return product_slug(label.split(":", 1)[0]) or None


def source_modes(components: Iterable[str] | None) -> list[str]:
    """The distinct failure-mode ids of a report's source labels, in order.

    A label holding several joined by a comma without a space (the NHTSA API's
    "UNKNOWN OR OTHER,SERVICE BRAKES") counts as several.

    >>> source_modes(["UNKNOWN OR OTHER,SERVICE BRAKES", "SERVICE BRAKES, HYDRAULIC:ANTILOCK"])
    ['unknown-or-other', 'service-brakes', 'service-brakes-hydraulic']
    """
    modes: dict[str, None] = {}
    for label in components or ():
        # Identifiers cut from the whole label first: split, "QQ,918273645" would lose its keyword.
        for part in _SOURCE_LABELS.split(without_identifiers(str(label))):
            mode = source_mode(part)
            if mode:
                modes.setdefault(mode, None)
    return list(modes)
