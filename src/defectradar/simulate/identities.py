"""Fake but valid identifiers: IMEIs, mobile numbers, resident IDs, e-mails, Weibo ids and names.

Every identifier passes the checks real systems apply (IMEI Luhn digit, GB 11643 check
character, Chinese mobile prefixes), so an ingest that validates before redacting is really
tested.  Numbers that must be unique (IMEIs, user ids) come from counters passed through an
affine bijection, so they look scattered yet never collide, without a set of all values seen.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from defectradar.simulate.parameters import SalesPlan

_SERIALS = 1_000_000
_SERIAL_STEP = 402_653          # coprime with 10**6, so k -> (a*k + b) mod 10**6 is a bijection


def luhn_check_digit(body: str) -> str:
    """The digit that makes ``body + digit`` pass the Luhn check (ISO/IEC 7812-1, annex B)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        value = ord(char) - 48
        if position % 2 == 0:   # doubled: these become the odd positions once the digit is appended
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def imei_for(plan: SalesPlan, product_number: int, index: int) -> str:
    """The IMEI of a model's ``index``-th unit: TAC + 6-digit serial + Luhn digit.

    Each TAC covers a million serials; beyond the listed TACs, further codes are derived from the
    first one's 5-digit prefix with ``9xx`` endings that no listed TAC uses.
    """
    block, position = divmod(index, _SERIALS)
    if block < len(plan.tacs):
        tac = plan.tacs[block]
    else:
        tac = f"{plan.tacs[0][:5]}{900 + block - len(plan.tacs):03d}"
    serial = (_SERIAL_STEP * position + 7919 * (product_number + 1)) % _SERIALS
    body = f"{tac}{serial:06d}"
    return body + luhn_check_digit(body)


# Chinese mobile prefixes in use (China Mobile, Unicom, Telecom, broadcast).
_MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                    "152", "153", "155", "156", "157", "158", "159", "166", "173", "175", "176",
                    "177", "178", "180", "181", "182", "183", "185", "186", "187", "188", "189",
                    "191", "195", "198", "199")


def mobile_number(rng: np.random.Generator) -> str:
    """A mainland mobile number, 11 digits ``1[3-9]x xxxx xxxx``."""
    prefix = _MOBILE_PREFIXES[int(rng.integers(len(_MOBILE_PREFIXES)))]
    return f"{prefix}{int(rng.integers(100_000_000)):08d}"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# County codes of the simulated provinces' capitals' districts.
_AREA_CODES = ("440106", "440305", "320102", "320505", "330106", "330203", "370102", "370212",
               "110108", "110105", "310115", "310104", "510107", "420106")


def resident_id(rng: np.random.Generator) -> str:
    """An 18-character PRC resident ID with a valid ISO 7064 MOD 11-2 check character."""
    area = _AREA_CODES[int(rng.integers(len(_AREA_CODES)))]
    born = date.fromordinal(date(1965, 1, 1).toordinal() + int(rng.integers(14_000)))
    body = f"{area}{born:%Y%m%d}{int(rng.integers(1000)):03d}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS))
    return body + _ID_CHECK[total % 11]


_PINYIN = ("wang", "li", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu", "xu", "sun",
           "hu", "zhu", "gao", "lin", "he", "guo", "ma", "luo")
_GIVEN = ("wei", "fang", "na", "min", "jing", "lei", "jun", "yang", "yong", "jie", "tao", "ming",
          "chao", "xiu", "hui", "peng", "hao", "xin", "yu", "ting")
_MAIL_DOMAINS = ("163.com", "126.com", "gmail.com", "outlook.com", "sina.com", "foxmail.com",
                 "hotmail.com", "yeah.net")


def email_address(rng: np.random.Generator) -> str:
    """A personal e-mail address as Chinese users write them (pinyin or QQ number)."""
    if rng.random() < 0.3:
        return f"{int(rng.integers(10_000_000, 3_000_000_000))}@qq.com"
    name = _PINYIN[int(rng.integers(len(_PINYIN)))] + _GIVEN[int(rng.integers(len(_GIVEN)))]
    suffix = str(int(rng.integers(1970, 2005))) if rng.random() < 0.6 else ""
    sep = "." if rng.random() < 0.2 else ""
    return f"{name}{sep}{suffix}@{_MAIL_DOMAINS[int(rng.integers(len(_MAIL_DOMAINS)))]}"


class WeiboIds:
    """Allocates unique Weibo user ids and post mids.

    User ids are 10 digits, scattered by an affine bijection of a counter.  A mid is
    ``4`` + seconds since 2019-01-01 (9 digits) + a 6-digit counter, so mids grow with time as
    real ones do and two posts collide only if a million posts separate them in one second.
    """

    _UID_SPAN = 6_000_000_000
    _UID_STEP = 2_654_435_761      # odd and not a multiple of 5 or 3: coprime with the span

    def __init__(self) -> None:
        self.users = 0
        self.posts = 0

    def new_user_id(self) -> int:
        number = (self._UID_STEP * self.users + 977_531) % self._UID_SPAN
        self.users += 1
        return 1_000_000_000 + number

    def new_mid(self, seconds_since_2019: int) -> str:
        mid = f"4{seconds_since_2019:09d}{self.posts % 1_000_000:06d}"
        self.posts += 1
        return mid


_NAME_HEADS = ("米粉", "数码", "深圳", "杭州", "打工人", "小", "阿", "一只", "快乐的", "爱吃",
               "努力的", "不吃香菜的", "熬夜", "佛系", "今天也要", "摸鱼", "江南", "北漂", "干饭", "社恐")
_NAME_TAILS = ("小王", "阿杰", "猫", "橙子", "土豆", "鱼", "老张", "喵喵", "大白", "小透明", "兔子",
               "汤圆", "柠檬", "少年", "阿伟", "木木", "饭团", "星星", "小熊", "胖虎")
_EN_NAMES = ("Lucky", "Kiki", "Lucas", "Coco", "Leo", "Momo", "Jason", "Vivian", "Kevin", "Yuki",
             "techguy", "Mia", "Sean", "Amber", "Eric")


def screen_name(rng: np.random.Generator, english: bool = False) -> str:
    """A Weibo nickname: default ``用户NNNNNNNNNN``, Chinese word play, or pinyin/English."""
    draw = rng.random()
    if draw < 0.15:
        return f"用户{int(rng.integers(1_000_000_000, 7_999_999_999))}"
    if english or draw < 0.3:
        name = _EN_NAMES[int(rng.integers(len(_EN_NAMES)))]
        surname = _PINYIN[int(rng.integers(len(_PINYIN)))].capitalize()
        return f"{name}_{surname}{int(rng.integers(100)):02d}" if rng.random() < 0.7 else f"{name}{surname}"
    head = _NAME_HEADS[int(rng.integers(len(_NAME_HEADS)))]
    tail = _NAME_TAILS[int(rng.integers(len(_NAME_TAILS)))]
    return f"{head}{tail}" + (str(int(rng.integers(10, 1000))) if rng.random() < 0.4 else "")
