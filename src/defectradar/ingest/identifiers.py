"""Recognising personal identifiers in free text and in identifier fields.

Kinds recognised (each validated, so ordinary numbers are left alone):

* IMEI: 15 digits (optionally grouped ``35-209900-176148-1``) passing the Luhn check;
* Chinese resident identity numbers: 18 characters, region + birth date + sequence, with the
  ISO 7064 MOD 11-2 check character (GB 11643-1999);
* Chinese mobile numbers ``1[3-9]x xxxx xxxx`` with optional ``+86``/``0086``;
* other phone numbers (international or landline), found by Google's libphonenumber port
  ``phonenumbers`` with its VALID leniency;
* e-mail addresses;
* ``@handles`` of social-media users.

Full-width digits (``１３８…``), a common way of dodging filters, are matched as digits.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterator

import phonenumbers

# One character in, one character out, so spans found in the folded copy fit the original.
_FOLD = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                       "＠": "@", "＋": "+", "－": "-", "（": "(", "）": ")", "\u3000": " "})

# The look-behind makes a match start only where a run of address characters starts; without
# it a long run of letters costs quadratic time (a 3 MB field took minutes).
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]++@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
CN_RESIDENT_ID = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![0-9A-Za-z])"
)
IMEI = re.compile(r"(?<![\d-])\d{2}[- ]?\d{6}[- ]?\d{6}[- ]?\d(?![\d-])")
CN_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
_DECIMAL = re.compile(r"\d+\.\d+")
MENTION = re.compile(r"@([0-9A-Za-z_\-\u3400-\u9fff\u00b7]{1,30})")
# A cheap test (RE2 syntax, run by Arrow) that a text may hold any of the above; texts
# without a hit skip the detectors, so it must match everything find_identifiers finds.
# The shortest valid phone number has 6 digits with its country code (+43 / +49 numbers);
# libphonenumber allows up to 4 punctuation characters (dots, brackets, U+3000...) between
# digit blocks and reads every Unicode digit, hence \p{Nd} and a gap of up to 4 of anything.
# (The former test wanted three adjacent digits and only ASCII space or hyphen between the
# rest, so "+1 202.555.0143" or "138\u30001234\u30005678" escaped redact_column unredacted.)
CANDIDATE = r"\p{Nd}(?:\P{Nd}{0,4}\p{Nd}){5,}|[@＠]"

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
    digits = re.sub(r"[\s-]", "", value)
    return len(digits) == 15 and digits.isdigit() and luhn_valid(digits)


@dataclass(frozen=True)
class Identifier:
    """One identifier found in a text: its kind, span and normalised value."""

    kind: str      # imei | person_id | phone | email | mention
    start: int
    end: int
    value: str     # normalised: digits only, E.164, lower-case e-mail, bare handle


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps a span of ``taken`` (sorted, non-overlapping): O(log n),
    since a text may hold a hundred thousand candidate spans."""
    i = bisect.bisect_left(taken, (start, end))
    return (i > 0 and taken[i - 1][1] > start) or (i < len(taken) and taken[i][0] < end)


def _landline_without_trunk_prefix(match: phonenumbers.PhoneNumberMatch, trunk: str | None) -> bool:
    """True for a landline written without the country code and without the trunk prefix 0.

    libphonenumber accepts a Chinese landline without its leading 0 (``2296695246`` reads as
    Tianjin 022-9669 5246), so about 4 in 10 ten-digit and 1 in 10 eleven-digit order numbers
    were taken for phone numbers.  Where the trunk prefix is 0 (China and most countries
    outside North America) people write landlines with it (``022-…``, ``(010) …``) or with
    ``+86``; only fixed lines are held to this, mobiles and 400/800 numbers are dialled bare.
    """
    if trunk != "0" or phonenumbers.number_type(match.number) != phonenumbers.PhoneNumberType.FIXED_LINE:
        return False
    return not match.raw_string.lstrip("(（[［ ").startswith(("0", "+"))


def find_identifiers(text: str, default_region: str = "CN") -> list[Identifier]:
    """Every identifier in ``text``, left to right, without overlaps.

    More specific kinds win over looser ones where spans overlap (an ID number is not also
    read as a phone number).
    """
    folded = text.translate(_FOLD)
    found: list[Identifier] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int, value: str) -> None:
        if not _overlaps(taken, start, end):
            bisect.insort(taken, (start, end))
            found.append(Identifier(kind, start, end, value))

    for m in EMAIL.finditer(folded) if "@" in folded else ():
        add("email", m.start(), m.end(), m.group().lower())
    for m in CN_RESIDENT_ID.finditer(folded):
        if cn_resident_id_valid(m.group()):
            add("person_id", m.start(), m.end(), m.group().upper())
    for m in IMEI.finditer(folded):
        digits = re.sub(r"[\s-]", "", m.group())
        # No IMEI starts 00 (no reporting body has that code), but a mobile written 0086 and
        # 11 digits is 15 digits too and passes Luhn one time in ten: leave it to CN_MOBILE.
        if luhn_valid(digits) and not digits.startswith("00"):
            add("imei", m.start(), m.end(), digits)
    for m in CN_MOBILE.finditer(folded):
        digits = re.sub(r"\D", "", m.group())[-11:]
        add("phone", m.start(), m.end(), "+86" + digits)
    if _digits_left(folded, taken):
        trunk = phonenumbers.ndd_prefix_for_region(default_region, True)
        for match in phonenumbers.PhoneNumberMatcher(folded, default_region,
                                                     leniency=phonenumbers.Leniency.VALID):
            # libphonenumber takes "." for punctuation, so a decimal with 11 digits in all
            # (a price "130000.77777", a longitude "133.12345678") read as a mobile number.
            if _DECIMAL.fullmatch(match.raw_string) or _landline_without_trunk_prefix(match, trunk):
                continue
            value = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            add("phone", match.start, match.end, value)
    for m in MENTION.finditer(folded):
        add("mention", m.start(), m.end(), m.group(1))
    found.sort(key=lambda ident: ident.start)
    return found


_PHONE_SHAPED = re.compile(r"\d(?:\D{0,3}\d){5,}")


def _digits_left(folded: str, taken: list[tuple[int, int]]) -> bool:
    """Whether digits that could still form a phone number remain outside the spans found.

    libphonenumber's matcher is pure Python and costs ~0.2 ms a text; most texts with
    numbers hold only a Chinese mobile the regex already took, so skip it then.
    """
    if not any(ch.isdigit() for ch in folded):
        return False
    if not taken:
        return True
    pieces, position = [], 0
    for start, end in taken:
        pieces.append(folded[position:start])
        pieces.append(" " * (end - start))
        position = end
    pieces.append(folded[position:])
    return _PHONE_SHAPED.search("".join(pieces)) is not None


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
