"""Recognising personal identifiers in Chinese and English text, and leaving ordinary
numbers (dates, prices, model numbers, order numbers) alone."""

from __future__ import annotations

import string
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from defectradar.ingest.identifiers import (
    cn_resident_id_valid,
    find_identifiers,
    is_imei,
    iter_digit_runs,
    luhn_valid,
    normalise_phone,
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gb11643_check(body: str) -> str:
    """The check character of a 17-digit ID body, written out from GB 11643-1999 (ISO 7064
    MOD 11-2): weights 2^(17-i) mod 11, check = (12 - sum mod 11) mod 11, 10 written X."""
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def luhn_check_digit(body: str) -> str:
    """The digit that completes ``body`` to a Luhn-valid number (ISO/IEC 7812-1 annex B)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char)
        if position % 2 == 0:   # doubled: these sit at odd positions once the check is added
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(i.kind, i.value) for i in find_identifiers(text)]


# -- Luhn and IMEI -----------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["490154203237518", "356938035643809", "352099001761481",
                                    "79927398713", "0"])
def test_luhn_accepts_known_valid_numbers(number):
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["490154203237519", "356938035643808", "79927398710",
                                    "352099001761482", "1"])
def test_luhn_rejects_known_invalid_numbers(number):
    assert not luhn_valid(number)


@given(st.text(string.digits, min_size=14, max_size=14), st.integers(0, 14), st.integers(1, 9))
def test_luhn_check_digit_completes_and_any_single_digit_change_breaks_it(body, position, shift):
    number = body + luhn_check_digit(body)
    assert luhn_valid(number)
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1:]
    assert not luhn_valid(changed)


@pytest.mark.parametrize("value", ["490154203237518", "49-015420-323751-8", "35-209900-176148-1",
                                   "35 209900 176148 1"])
def test_is_imei_accepts_grouped_and_plain_forms(value):
    assert is_imei(value)


@pytest.mark.parametrize("value", ["490154203237519", "49015420323751", "4901542032375180",
                                   "49015420323751X", ""])
def test_is_imei_rejects_wrong_length_checksum_or_characters(value):
    assert not is_imei(value)


# -- resident identity numbers -------------------------------------------------------------

def test_gb11643_reference_number_is_valid():
    # The standard's own example number; its check character is X.
    assert gb11643_check("11010519491231002") == "X"
    assert cn_resident_id_valid("11010519491231002X")
    assert cn_resident_id_valid("11010519491231002x")


@given(region=st.integers(110000, 659999), birth=st.dates(datetime(1900, 1, 1).date(),
                                                          datetime(2020, 12, 31).date()),
       sequence=st.integers(0, 999), wrong=st.sampled_from("0123456789X"))
def test_constructed_ids_are_valid_and_a_wrong_check_character_is_not(region, birth, sequence, wrong):
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    check = gb11643_check(body)
    assert cn_resident_id_valid(body + check)
    if wrong != check:
        assert not cn_resident_id_valid(body + wrong)


@pytest.mark.parametrize("value", ["11010519491231002", "11010519491231002XX", "1101051949123100 X",
                                   "A1010519491231002X", "110105194912310021", ""])
def test_resident_id_rejects_malformed_numbers(value):
    assert not cn_resident_id_valid(value)


# -- finding identifiers in text -------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "我的手机号是13812345678请联系",
    "电话 +86 138 1234 5678",
    "电话：0086-138-1234-5678",
    "call me on 138-1234-5678.",
    "手机号１３８１２３４５６７８",          # full-width digits dodge naive filters
    "手机 １３８－１２３４－５６７８ 谢谢",
    "+8613812345678",
])
def test_cn_mobile_numbers_written_many_ways_normalise_to_one_value(text):
    assert kinds(text) == [("phone", "+8613812345678")]


def test_a_0086_mobile_passing_luhn_is_a_phone_not_an_imei():
    assert luhn_valid("008614000000000")
    assert kinds("电话008614000000000") == [("phone", "+8614000000000")]


def test_span_of_a_full_width_number_points_into_the_original_text():
    text = "手机号１３８１２３４５６７８，谢谢"
    (found,) = find_identifiers(text)
    assert text[found.start:found.end] == "１３８１２３４５６７８"


@pytest.mark.parametrize("text, value", [
    ("call +1 202-555-0143 now", "+12025550143"),
    ("US office: +1 (202) 555-0143", "+12025550143"),
    ("London +44 20 7946 0958.", "+442079460958"),
    ("座机 010-65529988", "+861065529988"),
    ("座机 (010) 6552 9988", "+861065529988"),
])
def test_international_numbers_and_landlines(text, value):
    assert kinds(text) == [("phone", value)]


def test_english_us_number_found_with_us_default_region():
    found = find_identifiers("call 202-555-0143 today", default_region="US")
    assert [(i.kind, i.value) for i in found] == [("phone", "+12025550143")]


@pytest.mark.parametrize("text, value", [
    ("mail Foo.Bar@Example.COM ok", "foo.bar@example.com"),
    ("邮箱：zhang.san+mi11@qq.com，谢谢", "zhang.san+mi11@qq.com"),
    ("<a_b-c@mail.example.co.uk>", "a_b-c@mail.example.co.uk"),
])
def test_email_addresses_are_found_lower_cased_and_not_also_as_mentions(text, value):
    assert kinds(text) == [("email", value)]


@pytest.mark.parametrize("text", ["身份证11010519491231002X已登记", "ID: 11010519491231002x."])
def test_resident_ids_in_text(text):
    assert kinds(text) == [("person_id", "11010519491231002X")]


@pytest.mark.parametrize("text", ["IMEI 35-209900-176148-1", "imei:490154203237518",
                                  "串号 35 209900 176148 1，已送修", "IMEI：３５２０９９００１７６１４８１"])
def test_imeis_plain_grouped_and_full_width(text):
    (found,) = find_identifiers(text)
    assert found.kind == "imei"
    assert len(found.value) == 15 and found.value.isdigit() and luhn_valid(found.value)


@pytest.mark.parametrize("text, handle", [
    ("@小米客服 你好", "小米客服"),
    ("回复@张三:屏幕又绿了", "张三"),
    ("hello @john_doe!", "john_doe"),
    ("＠小米手机 客服在吗", "小米手机"),
    ("@米粉·老王 同款问题", "米粉·老王"),
])
def test_mentions_with_chinese_and_latin_handles(text, handle):
    assert kinds(text) == [("mention", handle)]


def test_several_identifiers_come_back_left_to_right_without_overlap():
    text = "张三 13812345678, zhang@example.com, IMEI 490154203237518, ID 11010519491231002X @李四"
    found = find_identifiers(text)
    assert [i.kind for i in found] == ["phone", "email", "imei", "person_id", "mention"]
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))


def test_an_id_number_is_not_also_read_as_a_phone():
    assert [i.kind for i in find_identifiers("证件号 11010519491231002X")] == ["person_id"]


# -- no false positives on ordinary text -----------------------------------------------------

@pytest.mark.parametrize("text", [
    "2022年买的，用了一年",
    "2022-09-21 坏了", "2022/09/21", "2022.09.21", "21/09/2022", "2022-09-21T10:00:00+08:00",
    "2021年12月31日下午3点", "Sep 21, 2022 3:20 PM", "Wed Sep 21 10:00:00 +0800 2022",
    "价格3999元", "价格 12,999.00元", "￥3999.00", "价格3999元 2999元 4999元",
    "10:30 到 12:45", "营业时间 08:00-22:00",
    "型号M2011K2C", "M2102K1AC 22081212C 23013RK75C", "Redmi Note 8 Pro 6GB+128GB",
    "验证码 123456", "邮编 100080",
    "3.1415926", "金额 1380123.45 元", "12345678.90", "坐标 39.9042, 116.4074", "130000.77777元",
    "经度 133.12345678",
    "电量从100%掉到20%只用了3小时", "MIUI 12.5.1", "192.168.1.100", "2019-2022",
    "订单号 202209211234567",      # 15 digits failing Luhn
    "订单号 110105194912310021",   # 18 digits failing the ID check
    "订单号 2296695246",           # a landline only without its trunk 0 (022-9669 5246)
    "订单号 51018601149",
    "时间戳 1663725600 / 1663725600000",
    "2022092110",                  # compact date and hour
])
def test_ordinary_numbers_are_not_identifiers(text):
    assert find_identifiers(text) == []


_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S",
            "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y", "%H:%M:%S", "%Y年%m月%d日 %H:%M"]


@settings(max_examples=200, deadline=None)
@given(st.datetimes(datetime(1980, 1, 1), datetime(2035, 12, 31)), st.sampled_from(_FORMATS),
       st.sampled_from(["", "购买于", "bought on ", "时间："]))
def test_dates_and_times_are_never_identifiers(moment, fmt, prefix):
    assert find_identifiers(prefix + moment.strftime(fmt)) == []


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 9_999_999), st.integers(0, 6), st.sampled_from(["元", " yuan", "", "%", "mAh"]))
def test_prices_and_decimals_are_never_identifiers(whole, decimals, unit):
    text = f"{whole}.{'7' * decimals}{unit}" if decimals else f"{whole}{unit}"
    assert find_identifiers(text) == []


@settings(max_examples=200, deadline=None)
@given(st.sampled_from("23567"), st.text(string.digits, min_size=5, max_size=11))
def test_order_numbers_not_shaped_like_phones_are_left_alone(first, rest):
    # Up to 12 digits not starting 0/1 (no trunk prefix, not a mobile), 4/8 (400/800
    # service numbers) or 9 (95xxx service numbers): never a personal identifier.
    assert find_identifiers(f"订单号 {first}{rest} 已发货") == []


@settings(max_examples=100, deadline=None)
@given(st.text(string.digits, min_size=14, max_size=14))
def test_fifteen_digit_numbers_failing_luhn_are_not_imeis(body):
    wrong = str((int(luhn_check_digit(body)) + 1) % 10)
    # Only the IMEI reading is ruled out: some digit runs (e.g. 110009500000001) also contain a
    # dialable number, which the phone matcher rightly reports.
    assert "imei" not in [i.kind for i in find_identifiers(f"单号 {body}{wrong}")]


# -- properties over real identifiers -------------------------------------------------------

_FILLER = st.text(st.sampled_from("屏幕绿了电池续航很差售后说要换主板你好谢谢，。！ abcXYZ"), max_size=12)


@settings(max_examples=200, deadline=None)
@given(_FILLER, st.sampled_from("3456789"), st.text(string.digits, min_size=9, max_size=9),
       st.sampled_from(["plain", "dash", "space", "+86", "0086", "wide"]), _FILLER)
def test_any_cn_mobile_in_text_is_found_whatever_the_writing(before, second, rest, style, after):
    digits = f"1{second}{rest}"
    written = {
        "plain": digits,
        "dash": f"{digits[:3]}-{digits[3:7]}-{digits[7:]}",
        "space": f"{digits[:3]} {digits[3:7]} {digits[7:]}",
        "+86": f"+86 {digits}",
        "0086": f"0086{digits}",
        "wide": digits.translate({ord(c): 0xFF10 + int(c) for c in string.digits}),
    }[style]
    found = find_identifiers(f"{before}电话{written}。{after}")
    assert ("phone", "+86" + digits) in [(i.kind, i.value) for i in found]


# Reporting body codes that open real IMEIs (none is 00).
_RBI = st.sampled_from(["01", "10", "35", "44", "49", "86", "99"])


@settings(max_examples=100, deadline=None)
@given(_FILLER, _RBI, st.text(string.digits, min_size=12, max_size=12), st.booleans(), _FILLER)
def test_any_luhn_valid_imei_in_text_is_found(before, rbi, rest, grouped, after):
    body = rbi + rest
    imei = body + luhn_check_digit(body)
    written = f"{imei[:2]}-{imei[2:8]}-{imei[8:14]}-{imei[14]}" if grouped else imei
    found = find_identifiers(f"{before} IMEI {written} {after}")
    assert ("imei", imei) in [(i.kind, i.value) for i in found]


# -- helpers -------------------------------------------------------------------------------------

def test_iter_digit_runs_reports_long_runs_including_full_width():
    assert list(iter_digit_runs("a 123456 b 1234567 c １３８１２３４５６７８")) == ["1234567", "13812345678"]


@pytest.mark.parametrize("value, expected", [
    ("138 1234 5678", "+8613812345678"), ("+86-138-1234-5678", "+8613812345678"),
    ("008613812345678", "+8613812345678"), ("+44 20 7946 0958", "+442079460958"),
    ("１３８１２３４５６７８", "+8613812345678"), ("12345", None), ("not a number", None),
])
def test_normalise_phone(value, expected):
    assert normalise_phone(value) == expected
