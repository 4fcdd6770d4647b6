"""Recognising personal identifiers in free text and in identifier fields.

Kinds recognised (each validated, so ordinary numbers are left alone):

* IMEI: 15 digits, plain or in groups with one separator (``35-209900-176148-1``,
  ``4901 5420 3237 518``), passing the Luhn check;
* bank-card numbers: 16-19 digits, plain or grouped ``6222 0212 3456 7890 128``, passing the
  Luhn check and starting with a card network's issuer prefix;
* Chinese resident identity numbers: 18 characters, region + birth date + sequence, with the
  ISO 7064 MOD 11-2 check character (GB 11643-1999), plain or grouped 6-8-4;
* Chinese mobile numbers ``1[3-9]x xxxx xxxx`` with optional ``+86``/``0086``/``(+86)``, the
  groups separated by spaces, dashes or dots;
* other phone numbers (international or landline), found by Google's libphonenumber port
  ``phonenumbers`` with its VALID leniency;
* QQ numbers and WeChat ids, only where a keyword (``QQ``, ``扣扣``, ``微信``, ``vx``, ``加V`` ...)
  introduces them: a bare digit run is never taken for a QQ number;
* e-mail addresses;
* ``@handles`` of social-media users.

Numbers that read as something else are not phone numbers, IMEIs or cards: decimals and the
digits next to one (``#861580 0.437247``), dates, IP addresses, amounts followed by a unit
(``16002460元``), thousands-grouped figures, ``#`` serials, and numbers after an order,
tracking or case label (``订单号：19607314578``).  Full-width forms
(``１３８…``, ``ＱＱ``), a common way of dodging filters, are read as their ASCII forms.
Tokens written by the pseudonymiser (``[tel_<20 hex>]``, ``@[usr_...]``) are never read again.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Iterator

import phonenumbers


def _fold_table() -> dict[int, str]:
    """One character in, one character out, so spans found in the folded copy fit the original."""
    table = {chr(0xFF01 + i): chr(0x21 + i) for i in range(94)}     # full-width ASCII, U+FF01-FF5E
    table.update({"\u3000": " ", "\u2164": "V", "\u2174": "v", "\u2795": "+"})   # ideographic space, Roman V, heavy plus
    table.update(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63", "-"))   # dashes, minus
    table.update(dict.fromkeys("\u30fb\u2022\u2027\u2219\uff65", "\u00b7"))                # middle dots
    return str.maketrans(table)


_FOLD = _fold_table()

# Tokens as Pseudonymiser.redact writes them; in the copy the detectors read they are replaced by
# MASK, a character no detector takes as part of or next to an identifier (not a digit, letter,
# punctuation libphonenumber skips, nor a currency sign), so redacting twice changes nothing.
TOKEN = re.compile(r"@?\[[a-z]{2,5}_[0-9a-f]{20}\]")
MASK = "\ufffc"

_SP = "[ \u00a0]"
# Between digit groups: a dash, dot or middle dot, perhaps spaced (``138 - 1234 - 5678``), or one
# or two spaces; at most 3 characters, within the gap CANDIDATE allows.
_SEP = rf"(?:{_SP}?[-.\u00b7]{_SP}?|{_SP}{{1,2}})"

# The look-behind makes a match start only where a run of address characters starts; without
# it a long run of letters costs quadratic time (a 3 MB field took minutes).
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]++@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# The patterns below open with a look-ahead for their first characters: a pattern that opens
# with a look-behind is tried at every position, one with a character set skips to candidates
# in C (several times faster on texts without identifiers).
CN_RESIDENT_ID = re.compile(
    rf"(?=[1-9])(?<![0-9A-Za-z])(?<!\b0\.)[1-9]\d{{5}}(?P<sep>{_SEP}|)"
    r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?P=sep)\d{3}[\dXx](?![0-9A-Za-z])"
)
CN_MOBILE = re.compile(
    rf"(?=[(+01])(?<![\d+])(?<!\b0\.)(?:\(?(?:\+|00)86\)?{_SEP}?)?(?P<body>1[3-9]\d(?:{_SEP}?\d{{4}}){{2}})(?!\d)"
)
# Maximal runs of digit groups, cut into windows for IMEIs and card numbers (see _digit_windows).
_DIGIT_RUN = re.compile(rf"\d+(?:{_SEP}\d+)*")
_DIGITS = re.compile(r"\d+")
# QQ: a keyword, an optional 号/号码/账号/群, an optional colon (or 是/为), then 5-11 digits (QQ
# numbers start at 10000).  A Latin keyword must not end a longer word ("IQQ" is not QQ).
_QQ_WORDS = ("qq", "扣扣", "q号", "q:")
QQ = re.compile(
    r"(?i)(?=[q扣])(?!(?<=[a-z])q)(?:qq|扣扣|q(?=号|:))(?:号码|号|账号|群号|群)?"
    rf"{_SP}*(?:[:=是为]{_SP}*)?(?P<number>[1-9]\d{{4,10}})(?!\d)"
)
# WeChat: a keyword, an optional 号/ID, an optional colon, then an id as WeChat allows them: 6-20
# letters, digits, _ or -, starting with a letter.  A Latin keyword stands alone ("vx: abc123",
# not the "wx" of "wxid_..." nor of "nwx").
_WECHAT_WORDS = ("微信", "威信", "薇信", "维信", "徽信", "v信", "weixin", "wechat", "vx", "wx", "加v", "+v", "加微", "加薇")
WECHAT = re.compile(
    r"(?i)(?=[微威薇维徽vw加+])(?!(?<=[a-z])[a-z])"
    rf"(?P<word>{'|'.join(map(re.escape, _WECHAT_WORDS))})(?!(?<=[a-z])[a-z0-9_\-])"
    rf"(?P<label>{_SP}?(?:号码|号|账号|id))?(?P<colon>{_SP}*[:=是为])?{_SP}*(?P<id>[a-z][a-z0-9_\-]{{5,19}})(?![a-z0-9_\-])"
)
# WeChat's own ids for accounts without a chosen one, ``wxid_`` and 14 letters or digits, need no keyword.
WXID = re.compile(r"(?i)(?=w)(?<![a-z0-9_\-])wxid_[a-z0-9]{6,20}(?![a-z0-9_\-])")
MENTION = re.compile(r"@([0-9A-Za-z_\-\u3400-\u9fff\u00b7]{1,30})")

# A cheap test (RE2 syntax, run by Arrow on the raw text) that a text may hold any of the above;
# texts without a hit skip the detectors, so it must match everything find_identifiers finds.
# The shortest valid phone number has 6 digits with its country code (+43 / +49 numbers);
# libphonenumber allows up to 4 punctuation characters (dots, brackets, U+3000...) between
# digit blocks and reads every Unicode digit, hence \p{Nd} and a gap of up to 4 of anything.
# QQ numbers may have 5 digits and WeChat ids none, so their keywords are candidates too, in
# every case and width the detectors fold (ＱＱ, Ｖx, Ⅴ).


def _forms(char: str) -> set[str]:
    """Every character the detectors read as ``char`` (any case or width)."""
    return {char, char.upper(), char.lower()} | {chr(k) for k, v in _FOLD.items() if v.lower() == char.lower()}


def _any_form(char: str) -> str:
    forms = _forms(char)
    return "[" + "".join(sorted(re.escape(f) for f in forms)) + "]" if len(forms) > 1 else re.escape(char)


_KEYWORDS = "|".join("".join(map(_any_form, word)) for word in _QQ_WORDS + _WECHAT_WORDS)
CANDIDATE = r"\p{Nd}(?:\P{Nd}{0,4}\p{Nd}){5,}|[@＠]|" + _KEYWORDS
# The same test in Python's syntax (its \d reads every Unicode digit), for texts outside Arrow;
# the look-ahead on first characters lets re skip in C to where a branch can start.
_FIRST = "".join(sorted(re.escape(f) for f in set().union(*(_forms(word[0]) for word in _QQ_WORDS + _WECHAT_WORDS))))
MAYBE_IDENTIFIER = re.compile(rf"(?=[\d@＠{_FIRST}])(?:\d(?:\D{{0,4}}\d){{5,}}|[@＠]|{_KEYWORDS})")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` pass the Luhn check (used by IMEIs and card numbers)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def cn_resident_id_valid(number: str) -> bool:
    """True for an 18-character PRC resident ID whose check character (GB 11643) matches."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17].upper()


def is_imei(value: str) -> bool:
    digits = re.sub(r"[\s\-.\u00b7]", "", value)
    return len(digits) == 15 and digits.isdigit() and luhn_valid(digits)


def bank_card_valid(digits: str) -> bool:
    """True for 16-19 digits passing the Luhn check and starting with a card issuer's prefix.

    Prefixes (ISO/IEC 7812-1 issuer identification numbers as the networks publish them): 4 Visa;
    5 Mastercard 51-55 and Maestro; 2221-2720 Mastercard; 3528-3589 JCB; 6 UnionPay 62, Discover
    6011/64/65, Chinese banks' 60 debit cards, Maestro; 95 Chinese banks' older 19-digit debit
    cards (``9558`` ...).  15-digit Amex and 14-digit Diners numbers are left out: 15 digits
    with a Luhn digit are read as IMEIs, and 14-digit runs are mostly order numbers.
    """
    if not (16 <= len(digits) <= 19 and digits.isdigit() and luhn_valid(digits)):
        return False
    head = int(digits[:4])
    return (digits[0] in "456" or 2221 <= head <= 2720 or 3528 <= head <= 3589
            or (digits.startswith("95") and len(digits) == 19))


@dataclass(frozen=True)
class Identifier:
    """One identifier found in a text: its kind, span and normalised value."""

    kind: str      # imei | card | person_id | phone | email | qq | wechat | mention
    start: int
    end: int
    value: str     # normalised: digits only, E.164, lower-case e-mail or WeChat id, bare handle


# -- ordinary numbers --------------------------------------------------------------------------

# Next to a phone number libphonenumber found: a '#' or currency sign, "0." (a fraction) or a
# time's colon ("14:00 2015…") before it, or a unit or a thousands group (after a group of at most 3 digits) after it, make it a
# serial, an amount or a decimal.  So does a decimal point with digits on either side, unless the
# number opens with its trunk prefix or country code and the dot ends a list number or a sentence
# ("1.010-65529988 2.138…", "…010-65529988.2023年").
_BEFORE_ORDINARY = re.compile(r"(?:[#¥￥$€£]|(?<![\d.])0\.|\d:)$")
_AFTER_ORDINARY = re.compile(
    r"\s?(?:[%‰°℃元]|块|万元|公里|千米|毫安|(?:mAh|mph|km|kg|miles?)(?![A-Za-z]))", re.IGNORECASE)
_THOUSANDS_AFTER = re.compile(r"(?<!\d{4}),\d{3}(?!\d)")
_NUMBER_DOT_BEFORE = re.compile(r"(\d+)\.$")
_LIST_NUMBER_BEFORE = re.compile(r"(?<![\d.,])\d{1,2}\.$")
_DECIMAL_AFTER = re.compile(r"\.\d")
# In the raw string of a libphonenumber match: a number with one decimal point or comma (a
# dotted phone number has two or more dots: ``202.555.0143``), a sentence end ("F-150. 20230514"),
# or a day-month-year date.
_DECIMAL_OR_SENTENCE_END = re.compile(r"(?<![\d.,])\d+[.,]\d+(?![.,]?\d)|(?<=\d)\.\s")
_DATE = re.compile(r"(?<!\d)(?:(?:19|20)\d\d\s?([-/.])\s?\d{1,2}\s?\1\s?\d{1,2}"
                   r"|\d{1,2}\s?([-/.])\s?\d{1,2}\s?\2\s?(?:19|20)\d\d)(?!\d)")


def _ordinary_context(masked: str, start: int, end: int) -> bool:
    """Whether the number at [start, end) is part of a decimal, an amount or a serial.

    Only libphonenumber's looser matches are held to this: the mobile, ID, IMEI and card
    detectors want a shape and a check digit that amounts rarely have.
    """
    if (_BEFORE_ORDINARY.search(masked, max(0, start - 3), start) or _AFTER_ORDINARY.match(masked, end)
            or _THOUSANDS_AFTER.match(masked, end)):
        return True
    prefixed = masked.startswith(("0", "+", "(0", "(+"), start)
    decimal_after = _DECIMAL_AFTER.match(masked, end) is not None
    if _NUMBER_DOT_BEFORE.search(masked, max(0, start - 12), start):
        # "1.010-65529988" is a list; "82.02196633" (no grouping of its own, or a gap no one
        # writes inside a number) and "91.07179129 129.9117" (a decimal on both sides) are decimals.
        grouped = not masked[start:end].isdigit() and "  " not in masked[start:end]
        return decimal_after or not (prefixed and grouped and _LIST_NUMBER_BEFORE.search(masked, max(0, start - 4), start))
    return not prefixed and decimal_after


# A label naming an ordinary number right before it ("订单号：19607314578", "order #5601…") wins
# over the number's shape; so does a bare serial label ("NO. 15358444916", "#…"), unless an
# identifier's own word comes right before it ("Phone No. 138…", "IMEI #35…").
# English words need a connector ("case #", "order no.", "ticket:"): a bare "case 183..." in a
# complaint is as often a phone number as a case number, and a leak costs more than a token.
_ORDER_LABEL = re.compile(
    r"(?:(?:订单|单号|运单|工单|快递单|物流单)(?:号码|号|编号)?\s*(?:no\.?|number|num|id)?\s*[#:：]?"
    r"|(?:order|tracking|invoice|receipt|ticket|case|claim)\s*(?:(?:no\.?|number|num|id)\s*[#:：]?|[#:：]))"
    r"\s*$", re.IGNORECASE)
_SERIAL_LABEL = re.compile(r"(?:(?<![a-z])(?:no\.|№|s/?n)|#)\s*[#:：]?\s*$", re.IGNORECASE)
_IDENTIFIER_WORD = re.compile(r"(?:phone|tel|mobile|cell|call|contact|fax|imei|meid|serial|card|account"
                              r"|电话|手机|联系|致电|热线|座机|传真|串号|序列|卡号|银行卡|账号)(?:号码|号)?[\s.:：]{0,2}$", re.IGNORECASE)
_DOTTED_SHORT_GROUPS = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){2,}(?![\d.])")   # IP addresses, versions


def _labelled_ordinary(masked: str, start: int, serial: bool = True) -> bool:
    """Whether an order, tracking, case or (with ``serial``) serial label comes right before ``start``.

    IMEIs and cards pass ``serial=False``: a Luhn-valid 15- or 16-digit number after "No." or
    "#" is as likely a device's serial as a record's, and "Yes. No." ends sentences too.
    """
    before = masked[max(0, start - 30):start]
    if _ORDER_LABEL.search(before):
        return True
    if not serial:
        return False
    label = _SERIAL_LABEL.search(before)
    return label is not None and not _IDENTIFIER_WORD.search(before, 0, label.start())


# Types dialled without the trunk prefix: mobiles, 800 (toll free), 400 (shared cost) numbers.
_DIALLED_BARE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
                 phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.SHARED_COST,
                 phonenumbers.PhoneNumberType.UAN}


def _landline_without_trunk_prefix(number: phonenumbers.PhoneNumber, raw: str, trunk: str | None) -> bool:
    """True for a landline written without the country code and without the trunk prefix 0.

    libphonenumber accepts a Chinese landline without its leading 0 (``2296695246`` reads as
    Tianjin 022-9669 5246), so about 4 in 10 ten-digit and 1 in 10 eleven-digit order numbers
    were taken for phone numbers.  Where the trunk prefix is 0 (China and most countries
    outside North America) people write landlines with it (``022-…``, ``(010) …``) or with
    ``+86``; only mobiles and 400/800 numbers are dialled bare (premium-rate ``160…`` numbers,
    like fixed lines, are held to the prefix: ``16002460元`` is a price).
    """
    if trunk != "0" or phonenumbers.number_type(number) in _DIALLED_BARE:
        return False
    return not raw.lstrip("([ ").startswith(("0", "+"))


def _digits_unexplained(number: phonenumbers.PhoneNumber, raw: str, trunk: str | None) -> bool:
    """True when the written digits are more than a prefix, the number and its extension.

    libphonenumber drops a Chinese carrier-selection code (``17993`` ...) from the front of a bare
    digit run, so a 13-digit timestamp ``1799339296000`` read as +86 3929 6000.
    """
    digits = re.sub(r"\D", "", raw)
    national = phonenumbers.national_significant_number(number) + (number.extension or "")
    prefix = digits[:len(digits) - len(national)]
    code = str(number.country_code)
    return not digits.endswith(national) or prefix not in {"", code, "00" + code, trunk or ""}


def _country_code_glued(number: phonenumbers.PhoneNumber, raw: str) -> bool:
    """True when libphonenumber read a country code off the front of a bare digit group.

    ``8613812345678`` and ``86 138 1234 5678`` are +86 numbers written without the plus; in
    ``861580 0.437247`` the 86 opens a longer group, and the rest only parses once the next group
    is joined on: people who write the country code keep it apart or write one unbroken run.
    """
    raw = raw.lstrip("([ ")
    code = str(number.country_code)
    if raw.startswith(("+", "00")) or not raw.startswith(code) or raw.isdigit():
        return False
    national = phonenumbers.national_significant_number(number)
    if re.sub(r"\D", "", raw) != code + national:
        return False
    return raw[len(code)].isdigit()


def _not_a_phone(number: phonenumbers.PhoneNumber, raw: str, masked: str, start: int, end: int,
                 trunk: str | None) -> bool:
    """Whether a valid number libphonenumber read at [start, end) is an ordinary number instead."""
    return (_DECIMAL_OR_SENTENCE_END.search(raw) is not None or _DATE.search(raw) is not None
            or _DOTTED_SHORT_GROUPS.search(raw) is not None or _labelled_ordinary(masked, start)
            or _landline_without_trunk_prefix(number, raw, trunk) or _country_code_glued(number, raw)
            or _digits_unexplained(number, raw, trunk)
            or _ordinary_context(masked, start, end))


_INTERNATIONAL_PREFIX = re.compile(r"00[1-9]")


def _prefixed_phones(masked: str, region: str, trunk: str | None) -> Iterator[tuple[int, int, phonenumbers.PhoneNumber]]:
    """Numbers written with ``+``, ``00`` or the trunk prefix that libphonenumber's matcher missed.

    The matcher takes ``+44 20 7946 0958 3`` (from "call +44 20 7946 0958 3 times") or
    ``1.010-6552 9988`` (a numbered list) as one candidate, finds it invalid and gives up.  Here
    each group of a run of digit groups that opens with a prefix starts the longest run of whole
    groups that is a valid number.
    """
    for run in _DIGIT_RUN.finditer(masked):
        groups = [(run.start() + m.start(), run.start() + m.end()) for m in _DIGITS.finditer(run.group())]
        i = 0
        while i < len(groups):
            start = groups[i][0]
            plus = start > 0 and masked[start - 1] == "+"
            head = masked[start:start + 3]
            found = None
            if _opens_number(masked, groups, i) and (plus or _INTERNATIONAL_PREFIX.match(head) or (trunk and head.startswith(trunk) and head[1:2] != "0")):
                ends, digits = [], 0
                for j in range(i, len(groups)):
                    digits += groups[j][1] - groups[j][0]
                    if digits > 17:                     # 00 and the 15 digits E.164 allows
                        break
                    if digits >= (6 if plus else 7):    # the shortest numbers: +43 1234, 030 1234
                        ends.append(j)
                for j in reversed(ends):
                    number = _valid_number(("+" if plus else "") + masked[start:groups[j][1]], region)
                    if number is not None:
                        found = (j, number)
                        break
            if found:
                yield start - plus, groups[found[0]][1], found[1]
                i = found[0] + 1
            else:
                i += 1


def _opens_number(masked: str, groups: list[tuple[int, int]], i: int) -> bool:
    """Whether group ``i`` of a run can open a number: at the run's start, after a space, or after
    a list number ("1.010-…"); not in the middle of a date or a serial ("2020-05-19")."""
    if i == 0:
        return True
    sep = masked[groups[i - 1][1]:groups[i][0]]
    return sep.strip() != sep or (i == 1 and sep == "." and groups[0][1] - groups[0][0] <= 2)


def _valid_number(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


# -- grouped digit runs: IMEIs and card numbers ------------------------------------------------

def _grouping_fits(kind: str, sizes: list[int]) -> bool:
    """Groupings people write: IMEIs in up to 5 groups (2-6-6-1, 4-4-4-3, 8-6-1, 3x5, ...) with only
    the check digit alone; cards as printed (4-4-4-4 with a last group of 1-4, or 6 + the rest)."""
    if kind == "imei":
        return len(sizes) <= 5 and all(size >= 2 for size in sizes[:-1])
    return (len(sizes) == 1 or (len(sizes) == 2 and sizes[0] in (4, 6))
            or (len(sizes) >= 4 and all(size == 4 for size in sizes[:-1]) and 1 <= sizes[-1] <= 4))


def _joins(sep: str) -> bool:
    """A dash or dot right between digits joins them into one token; with a space it may end a
    sentence or a list item ("mileage was 23,000. 35-209900-176148-1")."""
    return sep in ("-", ".", "\u00b7")


def _digit_windows(masked: str) -> Iterator[tuple[str, int, int, str]]:
    """(kind, start, end, digits) of every IMEI and card number, left to right.

    A run of digit groups (``IMEI 4901 5420 3237 518 2022``) is cut into windows of whole groups
    joined by one separator; a window joined to the rest of its run by an unspaced dash or dot belongs
    to a longer token (a serial, a decimal) and is skipped.  At each group the longest valid window wins.
    """
    for run in _DIGIT_RUN.finditer(masked):
        text = run.group()
        if len(text) < 15 or sum(ch.isdigit() for ch in text) < 15:
            continue
        groups = [(m.start() + run.start(), m.end() + run.start()) for m in _DIGITS.finditer(text)]
        seps = [masked[groups[k][1]:groups[k + 1][0]] for k in range(len(groups) - 1)]
        i = 0
        while i < len(groups):
            found = None
            if i == 0 or not _joins(seps[i - 1]):
                sizes: list[int] = []
                for j in range(i, len(groups)):
                    if j > i and seps[j - 1] != seps[i]:
                        break
                    sizes.append(groups[j][1] - groups[j][0])
                    if sum(sizes) > 19:
                        break
                    if j + 1 < len(groups) and _joins(seps[j]):
                        continue            # the run goes on with a dash or dot: not a whole token
                    start, end = groups[i][0], groups[j][1]
                    digits = "".join(masked[a:b] for a, b in groups[i:j + 1])
                    kind = _digit_kind(digits, sizes)
                    if kind and not _labelled_ordinary(masked, start, serial=False):
                        found = (kind, start, end, digits, j)
            if found:
                yield found[:4]
                i = found[4] + 1
            else:
                i += 1


def _digit_kind(digits: str, sizes: list[int]) -> str | None:
    if len(digits) == 15:
        # No IMEI starts 00 (no reporting body has that code), but a mobile written 0086 and
        # 11 digits is 15 digits too and passes Luhn one time in ten: leave it to CN_MOBILE.
        if luhn_valid(digits) and not digits.startswith("00") and _grouping_fits("imei", sizes):
            return "imei"
    elif bank_card_valid(digits) and _grouping_fits("card", sizes):
        return "card"
    return None


# -- finding -----------------------------------------------------------------------------------

def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps a span of ``taken`` (sorted, non-overlapping): O(log n),
    since a text may hold a hundred thousand candidate spans."""
    i = bisect.bisect_left(taken, (start, end))
    return (i > 0 and taken[i - 1][1] > start) or (i < len(taken) and taken[i][0] < end)


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the sorted ``spans`` replaced by MASK characters (positions kept)."""
    pieces, position = [], 0
    for start, end in spans:
        pieces.append(text[position:start])
        pieces.append(MASK * (end - start))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


_ANY_DIGIT = re.compile(r"\d")


@functools.lru_cache(maxsize=None)
def _phone_shaped(region: str, plus: bool) -> re.Pattern:
    """Digits that could be a valid phone number: 6 with a ``+`` (``+43 1234``), else as many as
    the region's shortest valid national number (7 in China; bare 6-digit ids skip the matcher)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    shortest = 6 if plus or metadata is None else max(6, min(metadata.general_desc.possible_length or (6,)))
    return re.compile(rf"\d(?:[^\d\ufffc]{{0,3}}\d){{{shortest - 1},}}")


def mask_tokens(text: str) -> str:
    """``text`` with pseudonymisation tokens masked, as the detectors read it (same length)."""
    return TOKEN.sub(lambda m: MASK * len(m.group()), text) if "_" in text else text


def find_identifiers(text: str, default_region: str = "CN") -> list[Identifier]:
    """Every identifier in ``text``, left to right, without overlaps.

    More specific kinds win over looser ones where spans overlap (an ID number is not also
    read as a phone number; a number after ``QQ`` is a QQ number).  Each detector reads the text
    with the spans already taken, and pseudonymisation tokens, masked out.
    """
    folded = text.translate(_FOLD)
    taken = [m.span() for m in TOKEN.finditer(folded)] if "_" in folded else []
    masked = _mask(folded, taken) if taken else folded
    found: list[Identifier] = []
    fresh: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int, value: str) -> None:
        if not _overlaps(taken, start, end):
            bisect.insort(taken, (start, end))
            fresh.append((start, end))
            found.append(Identifier(kind, start, end, value))

    def remask() -> str:
        spans = sorted(fresh)
        fresh.clear()
        return _mask(masked, spans) if spans else masked

    if "@" in masked:
        for m in EMAIL.finditer(masked):
            add("email", m.start(), m.end(), m.group().lower())
        masked = remask()
    if _ANY_DIGIT.search(masked):
        for m in CN_RESIDENT_ID.finditer(masked):
            value = re.sub(r"[^\dXx]", "", m.group()).upper()
            if cn_resident_id_valid(value):
                add("person_id", m.start(), m.end(), value)
        masked = remask()
        for kind, start, end, digits in _digit_windows(masked):
            add(kind, start, end, digits)
        for m in QQ.finditer(masked):
            add("qq", m.start("number"), m.end("number"), m.group("number"))
        masked = remask()
        for m in CN_MOBILE.finditer(masked):
            # One dot is a decimal point (longitude 133.12345678); dotted mobiles have two.
            if m.group("body").count(".") != 1 and not _labelled_ordinary(masked, m.start()):
                add("phone", m.start(), m.end(), "+86" + re.sub(r"\D", "", m.group("body")))
        masked = remask()
    for m in WXID.finditer(masked):
        add("wechat", m.start(), m.end(), m.group().lower())
    for m in WECHAT.finditer(masked):
        handle = m.group("id")
        # Without 号, a colon or 加 ("add"), an id must hold a digit, _ or -: "WeChat crashes".
        if m.group("label") or m.group("colon") or m.group("word")[0] in "加+" or re.search(r"[\d_\-]", handle):
            add("wechat", m.start("id"), m.end("id"), handle.lower())
    masked = remask()
    if _phone_shaped(default_region, "+" in masked).search(masked):
        # libphonenumber's matcher is pure Python and costs ~0.2 ms a text: only run it when
        # digits that could form a phone number remain outside the spans found.
        trunk = phonenumbers.ndd_prefix_for_region(default_region, True)
        for match in phonenumbers.PhoneNumberMatcher(masked, default_region, leniency=phonenumbers.Leniency.VALID):
            if not _not_a_phone(match.number, match.raw_string, masked, match.start, match.end, trunk):
                add("phone", match.start, match.end, _e164(match.number))
        masked = remask()
        for start, end, number in _prefixed_phones(masked, default_region, trunk):
            if not _not_a_phone(number, masked[start:end], masked, start, end, trunk):
                add("phone", start, end, _e164(number))
        masked = remask()
    # Mentions last: a handle may run into digits ("@小米客服02012345678") that are a number.
    for m in MENTION.finditer(masked) if "@" in masked else ():
        # "@60 mph", "@6 hours": digits alone after @ mean "at"; handles hold a letter.
        if not m.group(1).isdigit():
            add("mention", m.start(), m.end(), m.group(1))
    found.sort(key=lambda ident: ident.start)
    return found


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def iter_digit_runs(text: str) -> Iterator[str]:
    """Digit runs of 7 or more characters (used by tests to scan for leaked identifiers)."""
    for match in re.finditer(r"\d{7,}", text.translate(_FOLD)):
        yield match.group()


def normalise_phone(value: str, default_region: str = "CN") -> str | None:
    """E.164 form of a phone number, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(value.translate(_FOLD), default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
