"""Dates and times as Chinese and English sources write them, normalised to UTC.

Accepted forms (a time is optional wherever a date is accepted):

* ISO 8601: ``2022-09-21``, ``2022-09-21T10:00:00+08:00``, ``2022-09-21 10:00:00Z``;
* slashes and dots: ``2022/9/21 10:00``, ``2022.09.21``; compact ``20220921`` (NHTSA);
* Chinese: ``2022年9月21日 10:00``, ``2022年09月21日 下午3点20分``;
* English: ``Sep 21, 2022``, ``21 September 2022 3:20 PM``;
* Weibo / Twitter API: ``Wed Sep 21 10:00:00 +0800 2022``;
* Unix epoch seconds (10 digits) or milliseconds (13 digits);
* day/month order: ``09/21/2022`` (unambiguous) or, with ``date_order="mdy"|"dmy"``, ``03/04/2022``.

Times without a zone are read in the source's zone, then converted to UTC (returned naive).
Relative times ("3分钟前", "yesterday") are refused: they cannot be placed without knowing
when the page was captured.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

EARLIEST = datetime(1980, 1, 1)
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_MONTH_NAMES = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_TIME = r"(?:[ T,]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:[.,](\d{1,6}))?)?\s*([ap]\.?m\.?)?)?"
_ZONE = r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?"

_WEIBO = re.compile(r"^[a-z]{3} ([a-z]{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4}) (\d{4})$", re.I)
_YMD = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})" + _TIME + _ZONE + "$", re.I)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:[ T]?(\d{2})(\d{2})(\d{2})?)?$")
_XY_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})" + _TIME + _ZONE + "$", re.I)
_CHINESE = re.compile(
    r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*(凌晨|早上|上午|中午|下午|晚上)?\s*(\d{1,2})\s*[:：时点]\s*(?:(\d{1,2})\s*分?)?"
    r"(?:\s*[:：]?\s*(\d{1,2})\s*秒)?)?\s*$")
_ENGLISH_MDY = re.compile(r"^" + _MONTH_NAMES + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})" + _TIME + _ZONE + "$", re.I)
_ENGLISH_DMY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH_NAMES + r",?\s+(\d{4})" + _TIME + _ZONE + "$", re.I)
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
_RELATIVE = re.compile(r"前$|刚刚|昨天|今天|前天|\bago\b|yesterday|today|just now", re.I)
_MONTH_ONLY = re.compile(r"^(\d{4})\s*(?:[/.\-]|年)\s*(\d{1,2})\s*月?$")

# Fast path for the common zone-less forms, tried vectorised before any Python parsing.
_ARROW_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                  "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
_ARROW_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d")


class DateError(ValueError):
    """A date that cannot be read or is impossible; the message says why."""


def _zone_offset(text: str | None) -> timezone | None:
    if not text:
        return None
    text = text.upper()
    if text in ("Z", "UTC", "GMT"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    # Real offsets run from -12:00 to +14:00; Python refuses 24 hours or more with a ValueError.
    if hours > 14 or minutes > 59:
        raise DateError(f"zone offset {text} is not a real one (offsets run from -12:00 to +14:00)")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _hour_12(hour: int, marker: str | None) -> int:
    if not marker:
        return hour
    marker = marker.replace(".", "").lower()
    if marker in ("pm", "下午", "晚上") and hour < 12:
        return hour + 12
    if marker in ("am", "凌晨", "早上", "上午") and hour == 12:
        return 0
    return hour


def _build(text: str, year, month, day, hour=None, minute=None, second=None, fraction=None,
           zone=None) -> datetime:
    try:
        micro = int((fraction or "0").ljust(6, "0")[:6])
        value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                         int(second or 0), micro)
    except ValueError as exc:
        raise DateError(f"{text!r} is not a real date ({exc})") from None
    return value.replace(tzinfo=zone) if zone else value


# "3点" / "10时" end a Chinese time with no digit after them ("下午3点"); requiring one made
# such times count as bare dates, which to_utc then left unshifted.
_HAS_TIME = re.compile(r"\d[:：]\d|\d\s*[时点]|\d{8}[ T]?\d{4}|\d{10}")


def _parse_one(text: str, date_order: str | None) -> tuple[datetime, bool]:
    """Parse to a datetime (aware when the text had a zone) and whether a time of day was given."""
    return _parse_value(text, date_order), bool(_HAS_TIME.search(text))


def _parse_value(text: str, date_order: str | None) -> datetime:
    if _EPOCH.match(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, timezone.utc)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    if m := _WEIBO.match(text):
        month = _MONTHS.get(m.group(1).lower())
        if month is None:
            raise DateError(f"{text!r}: unknown month {m.group(1)!r}")
        return _build(text, m.group(7), month, m.group(2), m.group(3), m.group(4), m.group(5),
                      zone=_zone_offset(m.group(6)))
    if m := _YMD.match(text):
        y, mo, d, h, mi, s, frac, ampm, zone = m.groups()
        return _build(text, y, mo, d, _hour_12(int(h), ampm) if h else None, mi, s, frac, _zone_offset(zone))
    if m := _COMPACT.match(text):
        return _build(text, *m.groups())
    if m := _CHINESE.match(text):
        y, mo, d, part, h, mi, s = m.groups()
        if part == "晚上" and h and int(h) == 12:
            # "晚上12点" is the midnight that ends the day (24:00), not noon.
            return _build(text, y, mo, d, 0, mi, s) + timedelta(days=1)
        return _build(text, y, mo, d, _hour_12(int(h), part) if h else None, mi, s)
    if m := _ENGLISH_MDY.match(text):
        name, d, y, h, mi, s, frac, ampm, zone = m.groups()
        return _build(text, y, _MONTHS[name[:3].lower()], d, _hour_12(int(h), ampm) if h else None,
                      mi, s, frac, _zone_offset(zone))
    if m := _ENGLISH_DMY.match(text):
        d, name, y, h, mi, s, frac, ampm, zone = m.groups()
        return _build(text, y, _MONTHS[name[:3].lower()], d, _hour_12(int(h), ampm) if h else None,
                      mi, s, frac, _zone_offset(zone))
    if m := _XY_YEAR.match(text):
        first, second, y, h, mi, s, frac, ampm, zone = m.groups()
        first_i, second_i = int(first), int(second)
        # Equal parts (01/01/2022) read the same either way, so they are not ambiguous.
        if date_order == "dmy" or (date_order is None and (first_i > 12 >= second_i or first_i == second_i)):
            day, month = first_i, second_i
        elif date_order == "mdy" or (date_order is None and second_i > 12 >= first_i):
            month, day = first_i, second_i
        else:
            raise DateError(f"{text!r} is ambiguous (day/month or month/day?); write dates as "
                            "YYYY-MM-DD or pass --date-order mdy|dmy")
        return _build(text, y, month, day, _hour_12(int(h), ampm) if h else None, mi, s, frac,
                      _zone_offset(zone))
    if _RELATIVE.search(text):
        raise DateError(f"{text!r} is a relative time; it cannot be placed without the capture "
                        "date, export absolute dates")
    raise DateError(f"{text!r} is not a date format defectradar reads (see docs/formats.md)")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def to_utc(value: datetime, tz_name: str, has_time: bool = True) -> datetime:
    """Naive values are read in ``tz_name``; the result is naive UTC.

    A bare date (no time of day) is a calendar date, not an instant: it stays at midnight
    rather than moving to the previous evening in UTC.
    """
    if value.tzinfo is None and not has_time:
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=_zone(tz_name))
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def parse_datetime(text: str, tz_name: str = "UTC", date_order: str | None = None) -> datetime:
    """A timestamp in naive UTC from any accepted form (see the module docstring).

    Examples
    --------
    >>> parse_datetime("Wed Sep 21 10:00:00 +0800 2022")
    datetime.datetime(2022, 9, 21, 2, 0)
    >>> parse_datetime("2022年9月21日 下午3点20分", "Asia/Shanghai")
    datetime.datetime(2022, 9, 21, 7, 20)
    """
    text = " ".join(str(text).split())
    if not text:
        raise DateError("empty date")
    value, has_time = _parse_one(text, date_order)
    return to_utc(value, tz_name, has_time)


def parse_date(text: str, date_order: str | None = None) -> date:
    """A calendar date (time of day and zone, if any, are ignored)."""
    text = " ".join(str(text).split())
    if not text:
        raise DateError("empty date")
    value, _ = _parse_one(text, date_order)
    return value.date()


def parse_month(text: str) -> date:
    """The first day of a month written ``2021-03``, ``2021/3``, ``2021年3月`` or as a full date."""
    text = " ".join(str(text).split())
    if m := _MONTH_ONLY.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise DateError(f"{text!r} is not a real month")
        return date(year, month, 1)
    return parse_date(text).replace(day=1)


def check_plausible(value: datetime, now: datetime, text: str | None = None) -> None:
    """Refuse dates before 1980 or more than two days in the future (a mis-mapped column)."""
    shown = repr(text) if text is not None else f"{value:%Y-%m-%d %H:%M} (UTC)"
    if value < EARLIEST:
        raise DateError(f"{shown} is before 1980; check the column mapping")
    if value > now + timedelta(days=2):
        raise DateError(f"{shown} is in the future")


# The exact shapes the fast path may take: those _YMD reads the same way (two-digit minutes
# and seconds).  Arrow's strptime is looser ("10:0", "1:2:3").
_FAST_SHAPE = (r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})"
               r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$")


def _calendar_matches(texts: pa.Array, parsed: pa.Array) -> pa.Array:
    """False where strptime read a text otherwise than parse_datetime would.

    Arrow rolls impossible values over (2022-02-30 becomes March 2, second 60 the next
    minute) and accepts one-digit minutes; every written field must come back unchanged.
    """
    parts = pc.extract_regex(texts, _FAST_SHAPE)
    same = pc.is_valid(parts)
    for group, field in (("m", pc.month), ("d", pc.day), ("H", pc.hour), ("M", pc.minute),
                         ("S", pc.second)):
        written = pc.struct_field(parts, group)
        written = pc.if_else(pc.equal(written, ""), "0", written).cast(pa.int64())  # "" = absent
        same = pc.and_(same, pc.equal(written, field(parsed)))
    return pc.fill_null(same, False)


def datetime_column(column: pa.Array, tz_name: str, now: datetime,
                    date_order: str | None = None) -> tuple[pa.Array, dict[int, str]]:
    """Parse a string column to naive-UTC timestamps.

    Returns the timestamps (null where blank or bad) and ``{row index: reason}`` for the bad
    ones.  Common zone-less forms are parsed vectorised; only the rest reach Python.
    """
    column = column.cast(pa.string())
    trimmed = pc.ascii_trim_whitespace(column)
    result = pa.nulls(len(column), pa.timestamp("us"))
    pending = pc.fill_null(pc.not_equal(trimmed, ""), False)
    for fmt in _ARROW_FORMATS:
        if not pc.any(pending).as_py():
            break
        parsed = pc.strptime(trimmed, format=fmt, unit="us", error_is_null=True)
        hit = pc.and_(pending, pc.is_valid(parsed))
        hit = pc.and_(hit, _calendar_matches(trimmed, parsed))
        result = pc.if_else(hit, parsed, result)
        pending = pc.and_(pending, pc.invert(hit))
    if tz_name != "UTC":
        local = pc.assume_timezone(result, timezone=tz_name, ambiguous="earliest", nonexistent="earliest")
        # A wall time in a spring-forward gap names no instant: Arrow offers only the gap's
        # edges, Python (fold=0) reads it with the offset before the change.  Rows where the
        # two edges differ go to Python, so both paths give the same answer.
        late = pc.assume_timezone(result, timezone=tz_name, ambiguous="earliest", nonexistent="latest")
        gap = pc.fill_null(pc.not_equal(local, late), False)
        if pc.any(gap).as_py():
            local = pc.if_else(gap, pa.scalar(None, local.type), local)
            pending = pc.or_(pending, gap)
        result = local.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
    for fmt in _ARROW_DATE_FORMATS:  # bare dates are not shifted (see to_utc)
        if not pc.any(pending).as_py():
            break
        parsed = pc.strptime(trimmed, format=fmt, unit="us", error_is_null=True)
        hit = pc.and_(pc.and_(pending, pc.is_valid(parsed)), _calendar_matches(trimmed, parsed))
        result = pc.if_else(hit, parsed, result)
        pending = pc.and_(pending, pc.invert(hit))
    errors: dict[int, str] = {}
    if pc.any(pending).as_py():
        indices = pc.indices_nonzero(pending).to_pylist()
        texts = pc.take(trimmed, pa.array(indices, pa.int64())).to_pylist()
        values = []
        for index, text in zip(indices, texts):
            if not text.split():  # blank but for Unicode spaces (U+3000), which the ASCII trim keeps
                values.append(None)
                continue
            try:
                values.append(parse_datetime(text, tz_name, date_order))
            except (ValueError, OverflowError) as exc:   # DateError, and whatever datetime refuses
                errors[index] = str(exc) if isinstance(exc, DateError) else \
                    f"{text!r} is not a date defectradar can read ({exc})"
                values.append(None)
        mask = pending
        result = pc.replace_with_mask(result, mask, pa.array(values, pa.timestamp("us")))
    bounds_bad = pc.or_(pc.less(result, pa.scalar(EARLIEST, pa.timestamp("us"))),
                        pc.greater(result, pa.scalar(now + timedelta(days=2), pa.timestamp("us"))))
    bounds_bad = pc.fill_null(bounds_bad, False)
    if pc.any(bounds_bad).as_py():
        for index in pc.indices_nonzero(bounds_bad).to_pylist():
            try:
                check_plausible(result[index].as_py(), now, trimmed[index].as_py())
            except DateError as exc:
                errors[index] = str(exc)
        result = pc.if_else(bounds_bad, pa.scalar(None, pa.timestamp("us")), result)
    return result, errors
