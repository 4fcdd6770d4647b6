"""Dates and times as Chinese and English sources write them, normalised to naive UTC; the
vectorised column parser agrees with the scalar one."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from defectradar.ingest.timeparse import (
    DateError,
    check_plausible,
    datetime_column,
    parse_date,
    parse_datetime,
    parse_month,
)

SH = "Asia/Shanghai"
NY = "America/New_York"
NOW = datetime(2024, 6, 1)


# -- every documented form ------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    # ISO 8601, with and without zone
    ("2022-09-21T10:00:00+08:00", datetime(2022, 9, 21, 2, 0)),
    ("2022-09-21 10:00:00Z", datetime(2022, 9, 21, 10, 0)),
    ("2022-09-21 10:00 UTC", datetime(2022, 9, 21, 10, 0)),
    ("2022-09-21T10:00:00.5-05:00", datetime(2022, 9, 21, 15, 0, 0, 500000)),
    ("2022-09-21T10:00:00", datetime(2022, 9, 21, 2, 0)),
    ("2022-09-21 10:00", datetime(2022, 9, 21, 2, 0)),
    # slashes, dots, compact
    ("2022/9/21 10:00", datetime(2022, 9, 21, 2, 0)),
    ("2022/09/21 10:00:00+0800", datetime(2022, 9, 21, 2, 0)),
    ("2022.09.21 10:00", datetime(2022, 9, 21, 2, 0)),
    ("20220921 1030", datetime(2022, 9, 21, 2, 30)),
    # Chinese, with the parts of the day
    ("2022年9月21日 10:00", datetime(2022, 9, 21, 2, 0)),
    ("2022年09月21日 下午3点20分", datetime(2022, 9, 21, 7, 20)),
    ("2022年9月21日下午3点", datetime(2022, 9, 21, 7, 0)),
    ("2022年9月21日 上午9点", datetime(2022, 9, 21, 1, 0)),
    ("2022年9月21日 晚上8点30分", datetime(2022, 9, 21, 12, 30)),
    ("2022年9月21日 中午12点", datetime(2022, 9, 21, 4, 0)),
    ("2022年9月21日 凌晨2点", datetime(2022, 9, 20, 18, 0)),
    ("2022年9月21日 晚上12点", datetime(2022, 9, 21, 16, 0)),   # midnight ending the 21st
    ("2022年9月21日 15时20分30秒", datetime(2022, 9, 21, 7, 20, 30)),
    ("2022年9月21日 10时", datetime(2022, 9, 21, 2, 0)),
    # English month names, both orders, AM/PM
    ("Sep 21, 2022 3:20 PM", datetime(2022, 9, 21, 7, 20)),
    ("September 21, 2022 3:20 pm", datetime(2022, 9, 21, 7, 20)),
    ("21 September 2022 3:20 PM", datetime(2022, 9, 21, 7, 20)),
    ("21st Sept. 2022 12:05 AM", datetime(2022, 9, 20, 16, 5)),
    ("Sep 21 2022 12:30 p.m.", datetime(2022, 9, 21, 4, 30)),
    # Weibo / Twitter API: its own zone wins over the source's
    ("Wed Sep 21 10:00:00 +0800 2022", datetime(2022, 9, 21, 2, 0)),
    ("Wed Sep 21 10:00:00 +0000 2022", datetime(2022, 9, 21, 10, 0)),
    # Unix epoch seconds and milliseconds are instants
    ("1663725600", datetime(2022, 9, 21, 2, 0)),
    ("1663725600000", datetime(2022, 9, 21, 2, 0)),
    # day/month order when one part cannot be a month
    ("09/21/2022 10:00", datetime(2022, 9, 21, 2, 0)),
    ("21/09/2022 10:00", datetime(2022, 9, 21, 2, 0)),
])
def test_documented_forms_read_in_shanghai(text, expected):
    assert parse_datetime(text, SH) == expected


@pytest.mark.parametrize("text", ["2022-09-21", "2022/9/21", "2022.09.21", "20220921", "2022年9月21日",
                                  "2022年9月21号", "Sep 21, 2022", "21 September 2022", "09/21/2022"])
@pytest.mark.parametrize("tz", [SH, NY, "UTC"])
def test_bare_dates_are_calendar_dates_not_shifted(text, tz):
    assert parse_datetime(text, tz) == datetime(2022, 9, 21)


def test_whitespace_is_collapsed():
    assert parse_datetime("  2022-09-21 \t 10:00  ", SH) == datetime(2022, 9, 21, 2, 0)


def test_naive_times_read_in_the_source_zone_then_utc():
    assert parse_datetime("2022-01-15 10:00", NY) == datetime(2022, 1, 15, 15, 0)   # EST
    assert parse_datetime("2022-07-15 10:00", NY) == datetime(2022, 7, 15, 14, 0)   # EDT
    assert parse_datetime("2022-07-15 10:00") == datetime(2022, 7, 15, 10, 0)       # UTC default


def test_explicit_zone_beats_the_source_zone():
    assert parse_datetime("2022-07-15T10:00:00+08:00", NY) == datetime(2022, 7, 15, 2, 0)


def test_parse_date_ignores_time_and_zone():
    assert parse_date("2022-09-21T23:30:00-05:00") == date(2022, 9, 21)
    assert parse_date("2022年9月21日 下午3点") == date(2022, 9, 21)


# -- refusals --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2022-02-30", "2021-13-01", "2022-09-21 24:61", "2022-09-21 10:60",
                                  "2022-02-29 10:00", "20220230", "2022年2月30日", "Feb 30, 2022",
                                  "Wed Feb 30 10:00:00 +0800 2022", "2022/02/30"])
def test_impossible_dates_raise_naming_the_value(text):
    with pytest.raises(DateError, match="not a real date") as caught:
        parse_datetime(text, SH)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize("text", ["3分钟前", "2小时前", "刚刚", "昨天 10:00", "今天 08:30", "yesterday",
                                  "2 days ago", "today 10:00", "just now"])
def test_relative_times_are_refused(text):
    with pytest.raises(DateError, match="relative"):
        parse_datetime(text, SH)


def test_ambiguous_day_month_is_refused_unless_an_order_is_given():
    with pytest.raises(DateError, match="ambiguous") as caught:
        parse_datetime("03/04/2022")
    assert "date-order" in str(caught.value)
    assert parse_datetime("03/04/2022", date_order="mdy") == datetime(2022, 3, 4)
    assert parse_datetime("03/04/2022", date_order="dmy") == datetime(2022, 4, 3)
    assert parse_datetime("04/04/2022") == datetime(2022, 4, 4)   # either order, one date


@pytest.mark.parametrize("text", ["", "   ", "abc", "2022", "Smarch 3, 2022", "21-09"])
def test_unreadable_text_raises_date_error(text):
    with pytest.raises(DateError):
        parse_datetime(text)


def test_date_error_is_a_value_error():
    assert issubclass(DateError, ValueError)


# -- months ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2021-03", "2021/3", "2021.3", "2021年3月", "2021 年 3 月", "2021-03-15",
                                  "2021年3月15日", "2021/03/31 23:59"])
def test_parse_month_forms(text):
    assert parse_month(text) == date(2021, 3, 1)


@pytest.mark.parametrize("text", ["2021-13", "2021-00", "2021年13月", "March"])
def test_parse_month_refuses_impossible_months(text):
    with pytest.raises(DateError):
        parse_month(text)


# -- DST -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2022-03-13 02:30:00", "2022-03-13 02:30", "2022/03/13 02:30:00",
                                  "2022年3月13日 2点30分", "Mar 13, 2022 2:30 AM"])
def test_spring_forward_gap_does_not_crash_and_column_agrees(text):
    # 02:30 does not exist in New York that night; both paths read it with the offset in
    # force before the change (EST, UTC-5), as zoneinfo does with fold=0.
    assert parse_datetime(text, NY) == datetime(2022, 3, 13, 7, 30)
    values, errors = datetime_column(pa.array([text]), NY, NOW)
    assert errors == {} and values.to_pylist() == [datetime(2022, 3, 13, 7, 30)]


def test_fall_back_overlap_takes_the_first_occurrence_in_both_paths():
    text = "2022-11-06 01:30:00"
    assert parse_datetime(text, NY) == datetime(2022, 11, 6, 5, 30)   # EDT, UTC-4
    assert datetime_column(pa.array([text]), NY, NOW)[0].to_pylist() == [datetime(2022, 11, 6, 5, 30)]


# -- plausibility and columns -----------------------------------------------------------------------

def test_check_plausible_bounds():
    check_plausible(datetime(1980, 1, 1), NOW)
    check_plausible(NOW + timedelta(days=2), NOW)
    with pytest.raises(DateError, match="before 1980"):
        check_plausible(datetime(1979, 12, 31, 23, 59), NOW, "1979-12-31 23:59")
    with pytest.raises(DateError, match="future"):
        check_plausible(NOW + timedelta(days=2, seconds=1), NOW)


def test_datetime_column_reports_bad_and_implausible_values_by_row_with_their_text():
    texts = ["2022-09-21 10:00:00", "1975-06-01", "2030-01-01 00:00", "2022-02-30 10:00:00", "", None,
             "   ", "\u3000", "3分钟前", "2022年9月21日 下午3点", "1663725600"]
    values, errors = datetime_column(pa.array(texts), SH, NOW)
    assert values.to_pylist() == [datetime(2022, 9, 21, 2), None, None, None, None, None, None, None,
                                  None, datetime(2022, 9, 21, 7), datetime(2022, 9, 21, 2)]
    assert sorted(errors) == [1, 2, 3, 8]
    assert "'1975-06-01'" in errors[1] and "1980" in errors[1]
    assert "'2030-01-01 00:00'" in errors[2] and "future" in errors[2]
    assert "'2022-02-30 10:00:00'" in errors[3] and "not a real date" in errors[3]
    assert "relative" in errors[8]


@pytest.mark.parametrize("text", ["2022-09-21 10:00:60", "2022-09-21 1:2:3", "2022-09-21 10:0",
                                  "2022-09-21 24:00:00", "2022-13-01 10:00"])
def test_datetime_column_fast_path_refuses_what_the_scalar_parser_refuses(text):
    # Arrow's strptime rolls second 60 over and accepts one-digit minutes.
    values, errors = datetime_column(pa.array([text]), SH, NOW)
    assert values.to_pylist() == [None]
    with pytest.raises(DateError) as caught:
        parse_datetime(text, SH)
    assert errors == {0: str(caught.value)}


def test_datetime_column_date_order_reaches_the_scalar_parser():
    values, errors = datetime_column(pa.array(["03/04/2022", "03/04/2022 10:00"]), "UTC", NOW, "dmy")
    assert errors == {} and values.to_pylist() == [datetime(2022, 4, 3), datetime(2022, 4, 3, 10)]


# (strftime format, what it keeps of the moment, whether the text carries its own zone)
_FORMATS = [
    ("%Y-%m-%d %H:%M:%S", "second", None), ("%Y-%m-%dT%H:%M:%S", "second", None),
    ("%Y-%m-%d %H:%M", "minute", None), ("%Y/%m/%d %H:%M:%S", "second", None),
    ("%Y/%m/%d %H:%M", "minute", None), ("%Y-%m-%d", "day", None), ("%Y/%m/%d", "day", None),
    ("%Y.%m.%d %H:%M", "minute", None), ("%Y%m%d", "day", None), ("%Y%m%d %H%M%S", "second", None),
    ("%Y年%m月%d日 %H:%M", "minute", None), ("%Y年%m月%d日", "day", None),
    ("%Y年%m月%d日 %H点%M分", "minute", None),
    ("%b %d, %Y %I:%M %p", "minute", None), ("%d %B %Y %I:%M:%S %p", "second", None),
    ("%B %d, %Y", "day", None),
    ("%a %b %d %H:%M:%S +0800 %Y", "second", timezone(timedelta(hours=8))),
    ("%Y-%m-%dT%H:%M:%S+08:00", "second", timezone(timedelta(hours=8))),
    ("%Y-%m-%d %H:%M:%SZ", "second", timezone.utc),
    ("%m/%d/%Y %H:%M", "minute", None),          # ambiguous when the day is 12 or less: refused
]


def _expected(moment: datetime, keep: str, zone, tz: str) -> datetime:
    """The UTC instant a text written from ``moment`` names, computed with zoneinfo directly."""
    if keep == "day":
        return moment.replace(hour=0, minute=0, second=0)
    if keep == "minute":
        moment = moment.replace(second=0)
    local = moment.replace(tzinfo=zone or ZoneInfo(tz))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


_MOMENTS = st.datetimes(datetime(1979, 6, 1), datetime(2026, 6, 1)).map(lambda d: d.replace(microsecond=0))
_TZ = st.sampled_from(["UTC", SH, NY, "Europe/London"])


@settings(max_examples=300, deadline=None)
@given(_MOMENTS, st.sampled_from(_FORMATS), _TZ)
def test_parse_datetime_round_trips_formatted_moments(moment, form, tz):
    fmt, keep, zone = form
    text = moment.strftime(fmt)
    if fmt.startswith("%m/%d/%Y") and moment.day <= 12 and moment.day != moment.month:
        with pytest.raises(DateError, match="ambiguous"):
            parse_datetime(text, tz)
        return
    assert parse_datetime(text, tz) == _expected(moment, keep, zone, tz)


_JUNK = st.sampled_from(["", "  ", None, "\u3000", "abc", "2022-02-30", "2022-09-21 10:00:60", "3天前",
                         "03/04/2022", "1663725600", "1663725600000", "2022-9-1 7:05", "2022-09-21 7:5"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.tuples(_MOMENTS, st.sampled_from(_FORMATS)).map(lambda m: m[0].strftime(m[1][0])),
                          _JUNK), max_size=15), _TZ)
def test_datetime_column_equals_the_scalar_parser(texts, tz):
    values, errors = datetime_column(pa.array(texts, pa.string()), tz, NOW)
    for index, text in enumerate(texts):
        if text is None or not text.split():
            assert values[index].as_py() is None and index not in errors
            continue
        try:
            expected = parse_datetime(text, tz)
            check_plausible(expected, NOW, text.strip())
        except DateError as exc:
            assert values[index].as_py() is None
            assert errors[index] == str(exc)
        else:
            assert values[index].as_py() == expected
            assert index not in errors
