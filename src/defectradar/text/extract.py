"""The other facts in a complaint: how many repairs, whether data was lost, whose phone it is.

All work on the ``match`` form (simplified Chinese, lower case).  Numbers are read in
Arabic, Chinese (一 二 两 三 … 十, 十一) and English words and ordinals.
"""

from __future__ import annotations

from defectradar.text.prefilter import LiteralIndex, compile_fast

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "仨": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_EN_NUMBERS = {"once": 1, "one": 1, "first": 1, "1st": 1, "twice": 2, "two": 2, "second": 2, "2nd": 2,
               "thrice": 3, "three": 3, "third": 3, "3rd": 3, "four": 4, "fourth": 4, "4th": 4, "five": 5,
               "fifth": 5, "5th": 5, "six": 6, "sixth": 6, "6th": 6, "seven": 7, "seventh": 7, "7th": 7,
               "eight": 8, "eighth": 8, "8th": 8, "nine": 9, "ninth": 9, "9th": 9, "ten": 10, "tenth": 10}
_NUM_ZH = r"(?P<n>\d{1,2}|[零〇一二两俩三仨四五六七八九十]{1,3})"
_NUM_EN = r"(?P<n>\d{1,2}(?:st|nd|rd|th)?|" + "|".join(sorted(_EN_NUMBERS, key=len, reverse=True)) + ")"
_REPAIR_ZH = r"(?:修|维修|送修|返修|返厂|寄修|送检|检修|售后|换主板|换屏|换机|跑售后|去售后|进售后|修理|保修)"
# Where phones go for service; a visit counts as a repair attempt in the complaint's story.
_PLACE_ZH = (r"(?:售后|服务中心|服务网点|服务店|维修点|维修中心|客服中心|客户服务中心|小米之家|天才吧|直营店|授权店|"
             r"苹果店|apple ?store|体验店|营业厅|维修店|服务站|网点)")
_REPAIR_EN = (r"(?:repair(?:ed|s)?|fix(?:ed)?|servic(?:ed|e)|rma'?d?|rmas?|sent (?:it )?(?:in|back|off)|"
              r"returned|replaced|trips? to (?:the )?(?:service|repair)|service (?:cent(?:er|re)|visits?)|"
              r"visits? to (?:the )?(?:service|repair))")
_PLACE_EN = (r"(?:(?:the )?(?:[\w-]+ )?(?:service ?(?:cent(?:er|re)|point)|repair (?:shop|cent(?:er|re))|genius bar|"
             r"apple store|support|store|care|service))")
_NUM_TIMES_EN = r"(?P<n>once|twice|thrice|\d{1,2} times|one time|two times|three times|four times|five times)"
# compile_fast (prefilter.py): the same matches, faster where a pattern opens with alternatives.
_REPEAT_PATTERNS = (
    # 修了三次 / 返厂两次 / 维修过3次 / 售后跑了四趟
    compile_fast(rf"{_REPAIR_ZH}(?:了|过|了有|都)?{_NUM_ZH}(?:次|回|遍|趟)"),
    # 第三次返厂 / 第3次去售后 / 第二次修 / 第三次去一加售后
    compile_fast(rf"第{_NUM_ZH}(?:次|回|趟)(?:去|送|拿去|寄|进|跑|到)?了?.{{0,8}}?(?:{_REPAIR_ZH}|{_PLACE_ZH})"),
    # 三次返厂 / 两回维修 / 换了两次主板
    compile_fast(rf"(?<!第){_NUM_ZH}(?:次|回)(?:的)?{_REPAIR_ZH}"),
    compile_fast(rf"(?:换|修)了{_NUM_ZH}(?:次|回)"),
    # 小米之家跑了2次 / 服务中心去了三回 / 跑了三趟荣耀客户服务中心
    compile_fast(rf"{_PLACE_ZH}.{{0,6}}?(?:去|跑|进|送)了?{_NUM_ZH}(?:次|回|趟|遍)"),
    compile_fast(rf"(?:去|跑|送|进)了?{_NUM_ZH}(?:次|回|趟).{{0,10}}?{_PLACE_ZH}"),
    # 三修 (slang: third repair)
    compile_fast(r"(?<![\d一二三四五六七八九十])(?P<n>[二三四五六七八九])修(?!改|理)"),
    # repaired three times / sent it in twice / fixed 3 times
    compile_fast(rf"{_REPAIR_EN}(?:\s+\w+){{0,3}}?\s+{_NUM_EN}(?:\s+times?)?\b"),
    # third repair / 2nd trip to the service centre / second rma
    compile_fast(rf"\b{_NUM_EN}\s+(?:time\s+(?:at|in|to)\s+(?:the\s+)?(?:service|repair)|{_REPAIR_EN}|replacement|"
               r"(?:repair|rma)\b|trip)"),
    # 3 repairs / two rmas
    compile_fast(rf"\b{_NUM_EN}\s+(?:repairs|rmas|service visits|trips to (?:the )?(?:service|repair)|replacements)\b"),
    # twice at the Genius Bar / been to Oppo support three times / 4 trips to
    compile_fast(rf"{_NUM_TIMES_EN}\s+(?:at|to|in)\s+{_PLACE_EN}"),
    compile_fast(rf"(?:been|went|gone|going|taken it|took it)\s+(?:back\s+)?(?:to\s+)?(?:[\w-]+\s+){{0,3}}?{_PLACE_EN}\s+{_NUM_TIMES_EN}"),
    compile_fast(r"\b(?P<n>\d{1,2}|two|three|four|five|six)\s+trips?\b"),
    # 维修单都攒了三张 (repair slips collected) / 寄修跑了2次
    compile_fast(rf"(?:维修单|工单|检测单|维修记录).{{0,4}}?{_NUM_ZH}(?:张|次|份|条)"),
    compile_fast(rf"{_REPAIR_ZH}.{{0,3}}?(?:跑|去)了?{_NUM_ZH}(?:次|回|趟)"),
    # this is the fourth time it's gone back / three times at an authorised centre
    compile_fast(rf"\b{_NUM_EN}\s+time\s+(?:it'?s|it has|it)\s+(?:gone|been|went)\s+back"),
    compile_fast(rf"{_NUM_TIMES_EN}\s+(?:at|to)\s+(?:the\s+|an?\s+)?[\w-]+"),
)
# One visit told without a count: "拿去OPPO售后修了", "第一次去苹果直营店", "had it repaired at".
_ONE_VISIT = compile_fast(
    rf"(?:去|拿去|送去|送到|找|到|跑)了?.{{0,10}}?{_PLACE_ZH}|{_PLACE_ZH}.{{0,6}}?(?:给|帮)?(?:修|换|检测)|"
    rf"{_PLACE_ZH}(?:说|讲|表示|判定|检测)|"
    r"修过一次|修了一次|维修过一次|送修|返厂|寄修|"
    r"had it (?:repaired|fixed|serviced)|repaired (?:it )?at|fixed (?:it )?at|sent it (?:in|back|off|to)|"
    r"took it (?:in|to)|brought it (?:in|to)|it went to|went to (?:the )?[\w-]+ (?:service|support|store|repair)|"
    r"first trip|repaired once|fixed once|already repaired|got it repaired|after (?:a|the) repair")
_DATA_THINGS_ZH = r"(?:数据|资料|照片|相片|相册|聊天记录|通讯录|联系人|文件|视频|微信记录|东西|什么|啥|一切)"
_DATA_GONE_ZH = (r"(?:没了|没有了|丢了|丢失|没啦|清空|被清|删了|被删|全无|找不回|救不回|恢复不了|无法恢复|导不出|没导出|保不住|"
                 r"没救回|全丢|全没|丢光|清掉|清除了|被格式化|清零)")
_DATA_LOSS = compile_fast(
    rf"{_DATA_THINGS_ZH}[^，。！？!?]{{0,10}}?{_DATA_GONE_ZH}|"
    r"(?:清空|格式化|清除|抹掉|删光)了?(?:我的|所有|全部)?(?:数据|资料|照片|聊天记录)|被格式化|格式化了|"
    r"数据(?:无价|恢复不了|无法恢复)|修一次丢一次|丢一次数据|双清.{0,12}没了|数据恢复.{0,20}(?:救不回|恢复不了|没办法)|"
    r"(?:都在里面|都在手机里)[，,]?\s*(?:全|都)?(?:丢了|没了)|"
    r"(?:lost|lose|losing|deleted|wiped|erased)\s+(?:all\s+|every\s+|my\s+|of\s+my\s+|years\s+of\s+|the\s+)*"
    r"(?:data|photos?|pictures?|pics|contacts|messages|chats|whatsapp|files|everything|videos|notes|2fa)|"
    r"(?:data|photos?|pics|pictures|files|everything|chats|notes)\W{0,3}(?:\w+\W+){0,3}?(?:gone|lost|wiped|erased|deleted)|"
    r"no way to (?:get|recover|save|pull) (?:the |my |any )?(?:data|photos|pics|files)|"
    r"(?:can'?t|couldn'?t|cannot|unable to) (?:get|recover|save|retrieve) (?:the |my |any )?(?:data|photos|pics|files)|"
    r"nothing (?:can|could) be (?:recovered|saved|pulled off)|2fa codes were on|without (?:a )?backup|no backup")
_DATA_KEPT = compile_fast(r"(?:数据|资料|照片)(?:还在|都在(?!里)|没丢|没有丢|保住)|no data (?:was |got )?lost|nothing (?:was |got )?lost|(?:didn'?t|did not|never) lose|data (?:is |was )?(?:safe|intact|kept)")
_OTHERS = compile_fast(
    r"(?:朋友|同事|同学|室友|老婆|老公|媳妇|女朋友|男朋友|男友|女友|我妈|我爸|妈妈|爸爸|老妈|老爸|家人|亲戚|孩子|儿子|女儿|邻居|表哥|表姐|"
    r"哥哥|姐姐|弟弟|妹妹)的|听说|据说|网友|群友|新闻|报道|看到有人|好多人|很多人|不少人|"
    r"my (?:friend|wife|husband|mom|mum|dad|mother|father|brother|sister|son|daughter|kid|colleague|coworker|"
    r"roommate|girlfriend|boyfriend|partner)'?s?\b|\bheard\b|reportedly|\bnews\b|a lot of people|many people|"
    r"(?:his|her|their) (?:phone|mi|iphone|galaxy|pixel)")
_OWNER = compile_fast(r"我的|我家的?手机|本人|我这台|我这部|我这个|我手上|我买的|我刚买|俺的|入手|\bmy\b|\bmine\b|\bi (?:bought|got|have|own)\b")


def _number(text: str) -> int | None:
    text = text.strip()
    if text.isdigit():
        return int(text)
    if text in _EN_NUMBERS:
        return _EN_NUMBERS[text]
    if text[:-2].isdigit() and text[-2:] in ("st", "nd", "rd", "th"):
        return int(text[:-2])
    if all(ch in _CN_DIGITS or ch == "十" for ch in text):
        if "十" in text:
            tens, _, units = text.partition("十")
            return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(units, 0) if units else 0)
        value = 0
        for ch in text:
            value = value * 10 + _CN_DIGITS[ch]
        return value
    return None


# Every pattern above needs one of these; most texts have none and skip the dozen searches.
_MAY_STATE_REPAIRS = compile_fast(r"修|售后|服务|店|天才吧|小米之家|单|返厂|送|寄|换|次|repair|fix|servic|sent|took|brought|trip|"
                                  r"visit|rma|store|bar|support|care|twice|thrice|times|went|been|gone|back")

# Which of the patterns can match at all, from one pass over the text (see prefilter.py): a
# text that passes the gate above usually needs one or two of the seventeen searches.
_REPEAT_INDEX = LiteralIndex({**{i: [p.pattern] for i, p in enumerate(_REPEAT_PATTERNS)}, "one": [_ONE_VISIT.pattern]})
_REPEAT_GATED = tuple((p, _REPEAT_INDEX.gate(i)) for i, p in enumerate(_REPEAT_PATTERNS))
_ONE_VISIT_MASK = _REPEAT_INDEX.gate("one")


def repeat_repairs(match_text: str) -> int | None:
    """The number of repairs or service visits a text says happened (the largest stated), or None.

    Examples
    --------
    >>> repeat_repairs("小米11又烧主板了，返厂三次，资料全没了")
    3
    >>> repeat_repairs("my mi 11 pro wifi greyed out again after the 2nd repair")
    2
    """
    if not _MAY_STATE_REPAIRS.search(match_text):
        return None
    present, _ = _REPEAT_INDEX.scan(match_text)
    found = []
    for pattern, mask in _REPEAT_GATED:
        if not present & mask:
            continue     # none of the words this pattern needs occurs: it cannot match
        for m in pattern.finditer(match_text):
            value = _number(m.group("n"))
            if value is not None and 0 < value <= 20:
                found.append(value)
    if not found and present & _ONE_VISIT_MASK and _ONE_VISIT.search(match_text):
        return 1
    return max(found) if found else None


def data_loss(match_text: str) -> bool:
    """True when the text says data, photos or contacts were lost or wiped."""
    return bool(_DATA_LOSS.search(match_text)) and not _DATA_KEPT.search(match_text)


def author_is_owner(match_text: str) -> bool | None:
    """True when the author speaks of their own phone, False of someone else's, None if unclear."""
    if _OTHERS.search(match_text):
        return False
    if _OWNER.search(match_text):
        return True
    return None
