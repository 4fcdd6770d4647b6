"""Recognising personal identifiers in Chinese and English text, and leaving ordinary
numbers (dates, prices, model numbers, order numbers) alone."""

from __future__ import annotations

import string
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from defectradar.core.identifiers import (
    CANDIDATE,
    MAYBE_IDENTIFIER,
    bank_card_valid,
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
    "138·1234·5678", "138・1234・5678", "138.1234.5678", "138．1234．5678", "138 - 1234 - 5678",
    "138—1234—5678", "138\u30001234\u30005678", "138\u00a01234\u00a05678", "138 12345678",
    "(+86)13812345678", "（＋８６）１３８１２３４５６７８", "+86-138-1234-5678", "+86 138.1234.5678",
    "86 138 1234 5678", "8613812345678",
])
def test_cn_mobile_numbers_written_many_ways_normalise_to_one_value(text):
    assert kinds(text) == [("phone", "+8613812345678")]


@pytest.mark.parametrize("text, written", [
    ("电话(+86)13812345678谢谢", "(+86)13812345678"), ("call +86-138-1234-5678 now", "+86-138-1234-5678"),
    ("手机：138 - 1234 - 5678。", "138 - 1234 - 5678"), ("手机１３８·１２３４·５６７８。", "１３８·１２３４·５６７８"),
])
def test_a_mobile_span_covers_its_prefix_and_separators(text, written):
    (found,) = find_identifiers(text)
    assert text[found.start:found.end] == written


@pytest.mark.parametrize("text, value", [
    ("call +44 20 7946 0958 3 times", "+442079460958"),
    ("电话 +86 10 6552 9988 12次", "+861065529988"),
    ("座机 010 6552 9988 2022年买的", "+861065529988"),
    ("MY FORD F-150 (2012) 010 6552 9988 WAS PARKED", "+861065529988"),
    ("电话010-65529988.2023年买的", "+861065529988"),    # a sentence end, not a decimal
])
def test_a_prefixed_number_followed_by_another_number_is_still_found(text, value):
    # libphonenumber's matcher takes the whole run of digit groups, finds it invalid and gives up.
    assert kinds(text) == [("phone", value)]


def test_numbered_lists_of_phone_numbers_are_not_decimals():
    assert kinds("联系方式：1.010-65529988 2.13812345678") == [("phone", "+861065529988"), ("phone", "+8613812345678")]
    assert kinds("电话 1.13812345678 2.13912345678") == [("phone", "+8613812345678"), ("phone", "+8613912345678")]


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


@pytest.mark.parametrize("text, value, written", [
    ("call +1 (800) 729-3501 ext. 12 today", "+18007293501", "+1 (800) 729-3501 ext. 12"),
    ("London +44 20 7946 0958 ext. 123.", "+442079460958", "+44 20 7946 0958 ext. 123"),
])
def test_an_extension_is_redacted_with_its_number(text, value, written):
    (found,) = find_identifiers(text)
    assert (found.value, text[found.start:found.end]) == (value, written)


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


@pytest.mark.parametrize("text", ["身份证11010519491231002X已登记", "ID: 11010519491231002x.",
                                  "身份证 110105 19491231 002X", "ID 110105-19491231-002x", "身份证１１０１０５１９４９１２３１００２Ｘ"])
def test_resident_ids_in_text(text):
    assert kinds(text) == [("person_id", "11010519491231002X")]


@pytest.mark.parametrize("text", ["IMEI 35-209900-176148-1", "imei:490154203237518",
                                  "串号 35 209900 176148 1，已送修", "IMEI：３５２０９９００１７６１４８１"])
def test_imeis_plain_grouped_and_full_width(text):
    (found,) = find_identifiers(text)
    assert found.kind == "imei"
    assert len(found.value) == 15 and found.value.isdigit() and luhn_valid(found.value)


@pytest.mark.parametrize("written", [
    "4901 5420 3237 518", "4901-5420-3237-518", "490154-20-323751-8", "49015420 323751 8", "49015420 3237518",
    "490 154 203 237 518", "49015 42032 37518", "4901.5420.3237.518", "４９０１ ５４２０ ３２３７ ５１８",
])
def test_imeis_in_any_single_separator_grouping(written):
    assert kinds(f"IMEI: {written}，已送修") == [("imei", "490154203237518")]


@pytest.mark.parametrize("text", ["IMEI 490154203237518 2022年买的", "mileage was 23,000. 49-015420-323751-8",
                                  "4. 490154203237518 内存太小", "IMEI #490154203237518",
                                  # a serial label does not hide an IMEI (found by benchmarks/robustness.py)
                                  "The door would not shut. Yes. No. 490154203237518", "S/N 490154203237518"])
def test_an_imei_next_to_other_numbers_or_a_sentence_end_is_found(text):
    assert kinds(text) == [("imei", "490154203237518")]


@pytest.mark.parametrize("text", ["0.490154203237518", "SN-49-015420-323751-8-2", "订单号 490154203237518",
                                  "order #490154203237518"])
def test_a_luhn_valid_run_inside_a_decimal_a_serial_or_after_an_order_label_is_not_an_imei(text):
    assert "imei" not in [i.kind for i in find_identifiers(text)]


# -- bank cards --------------------------------------------------------------------------------

@pytest.mark.parametrize("written, digits", [
    ("6222021234567890128", "6222021234567890128"),
    ("6222 0212 3456 7890 128", "6222021234567890128"),
    ("6222-0212-3456-7890-128", "6222021234567890128"),
    ("622202 1234567890128", "6222021234567890128"),
    ("6228 4800 1234 5671", "6228480012345671"),
    ("4556 0012 3456 7897", "4556001234567897"),
    ("5309901234567895", "5309901234567895"),
    ("9558801234567890128", "9558801234567890128"),
    ("６２２２ ０２１２ ３４５６ ７８９０ １２８", "6222021234567890128"),
])
def test_bank_cards_plain_grouped_and_full_width(written, digits):
    assert bank_card_valid(digits)
    assert kinds(f"退款到卡号 {written} 了吗") == [("card", digits)]
    assert kinds(f"refund to {written}.") == [("card", digits)]


@pytest.mark.parametrize("digits", [
    "6222021234567890127",   # Luhn fails
    "1234567890123452",      # Luhn passes, no card network issues 1...
    "7234567890123459",      # ... nor 7...
    "9558801234567890",      # 95 only on 19-digit Chinese debit cards
])
def test_bank_card_rejects_failed_checks_and_implausible_issuers(digits):
    assert not bank_card_valid(digits)
    assert "card" not in [i.kind for i in find_identifiers(f"号码 {digits}")]


@pytest.mark.parametrize("text, kind", [("Phone No. 13812345678", "phone"), ("手机号 #13812345678", "phone"),
                                        ("IMEI #490154203237518", "imei"), ("卡号 No.6222021234567890128", "card")])
def test_a_serial_label_after_an_identifier_word_keeps_the_identifier(text, kind):
    assert [i.kind for i in find_identifiers(text)] == [kind]


@pytest.mark.parametrize("text", ["订单号 6222021234567890128", "order #4556001234567897", "快递单号：6228480012345671"])
def test_an_order_label_wins_over_a_card_shape(text):
    assert find_identifiers(text) == []


@settings(max_examples=150, deadline=None)
@given(st.text(st.sampled_from("卡号换屏退款，。 abc"), max_size=8),
       st.sampled_from(["62", "4", "51", "55", "6011", "3530", "2221"]), st.integers(16, 19),
       st.text(string.digits, min_size=20, max_size=20), st.sampled_from(["plain", "4s", "4-", "6s"]))
def test_any_luhn_valid_card_is_found_in_its_printed_groupings(before, head, length, pool, style):
    body = (head + pool)[:length - 1]
    digits = body + luhn_check_digit(body)
    groups = [digits[i:i + 4] for i in range(0, len(digits), 4)]
    written = {"plain": digits, "4s": " ".join(groups), "4-": "-".join(groups),
               "6s": f"{digits[:6]} {digits[6:]}"}[style]
    assert ("card", digits) in kinds(f"{before} {written} 已退款")


# -- QQ and WeChat -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, number", [
    ("QQ 123456789", "123456789"), ("qq号：87654321", "87654321"), ("扣扣 1234567", "1234567"),
    ("QQ:12345", "12345"), ("ＱＱ：１２３４５６７８", "12345678"), ("我的QQ是284210953 敬待回复", "284210953"),
    ("果冻QQ396276755", "396276755"), ("Q号:123456", "123456"), ("Q：123456789", "123456789"),
    ("QQ群 123456", "123456"), ("QQ号码 12345678901", "12345678901"),
    ("QQ 13812345678", "13812345678"),    # the keyword says what the number is
])
def test_qq_numbers_after_a_keyword(text, number):
    assert kinds(text) == [("qq", number)]


def test_a_keyword_right_after_a_number_still_counts():
    assert kinds("电话13812345678QQ 12345") == [("phone", "+8613812345678"), ("qq", "12345")]
    assert kinds("13812345678wx: abc123") == [("phone", "+8613812345678"), ("wechat", "abc123")]


@pytest.mark.parametrize("text", ["订单号 123456789", "123456789", "单号 987654321 已发货", "IQQ 123456",
                                  "QQ 1234", "QQ 012345", "QQ音乐 12345", "Q: 2019 model"])
def test_digit_runs_without_a_qq_keyword_are_not_qq_numbers(text):
    assert "qq" not in [i.kind for i in find_identifiers(text)]


@settings(max_examples=200, deadline=None)
@given(st.integers(10_000, 99_999_999_999), st.sampled_from(["", "编号 ", "订单 ", "共", "no. "]))
def test_a_bare_digit_run_is_never_a_qq_number(number, prefix):
    assert "qq" not in [i.kind for i in find_identifiers(f"{prefix}{number}")]


@pytest.mark.parametrize("text, handle", [
    ("微信 zhangsan_1990", "zhangsan_1990"), ("vx: abc123456", "abc123456"), ("wx号 li-lei88", "li-lei88"),
    ("WeChat: foo_bar9", "foo_bar9"), ("加V：zhangsan", "zhangsan"), ("加Ⅴ:Zhang_San", "zhang_san"),
    ("微信号：zhangsan", "zhangsan"), ("加微信 wangwei88", "wangwei88"), ("WeChat ID: wu_na1114", "wu_na1114"),
    ("威信 abc_def", "abc_def"), ("➕V wangpeng1109", "wangpeng1109"), ("ｖｘ：ａｂｃ１２３４５６", "abc123456"),
    ("微信wxid_abcd1234efgh56", "wxid_abcd1234efgh56"), ("加我 wxid_abcd1234efgh56 谢谢", "wxid_abcd1234efgh56"),
])
def test_wechat_ids_after_a_keyword(text, handle):
    assert kinds(text) == [("wechat", handle)]


@pytest.mark.parametrize("text", [
    "WeChat crashes constantly", "微信 Android 版本闪退", "wx abcdef", "微信 ab12", "微信更新后卡顿",
    "nwx: abc123", "wxabc123", "用微信支付 payment123 失败了",
])
def test_wechat_keywords_without_an_id_are_left_alone(text):
    assert "wechat" not in [i.kind for i in find_identifiers(text)]


@pytest.mark.parametrize("text, handle", [
    ("@小米客服 你好", "小米客服"),
    ("回复@张三:屏幕又绿了", "张三"),
    ("hello @john_doe!", "john_doe"),
    ("＠小米手机 客服在吗", "小米手机"),
    ("@米粉·老王 同款问题", "米粉·老王"),
])
def test_mentions_with_chinese_and_latin_handles(text, handle):
    assert kinds(text) == [("mention", handle)]


@pytest.mark.parametrize("text", ["@60 mph", "on expressway @70 MPH", "after driving @6 HOURS", "tread @6)11/20/24"])
def test_digits_after_an_at_sign_are_a_quantity_not_a_handle(text):
    assert find_identifiers(text) == []


def test_several_identifiers_come_back_left_to_right_without_overlap():
    text = ("张三 13812345678, zhang@example.com, IMEI 490154203237518, ID 11010519491231002X @李四 "
            "QQ 123456789 卡号 6222 0212 3456 7890 128 微信 zhangsan_1990")
    found = find_identifiers(text)
    assert [i.kind for i in found] == ["phone", "email", "imei", "person_id", "mention", "qq", "card", "wechat"]
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
    # Reported from the field: libphonenumber joined a number and a decimal into +86 158 0043 7247.
    "#861580 0.437247", "861580 0.437247", "编号#861580 0.437247 完成",
    "0.13812345678",               # a fraction, not a mobile
    "买来是2980元现在跌到16002460元",  # a price read as a premium-rate number
    "6. 09/ 12/ 2022 130,000m est changed oil",   # a date and a mileage read as a landline
    "187.37.184.177", "IP 132.48.151.137",         # dotted quads read as mobiles
    "41.1736, 98.17294821 125.5838", "坐标 94.13665518 132.48655657",   # decimals' digits joined up
    "owns a 2021 Ford F-150. 20230514 The contact",  # across a sentence end
    "Display defekt 2020-05-19 20250116",            # 0519 opens a landline only inside a date
    "814.29 559.09749 586723 0.6991",               # a fraction opening with 0
    "看着手机貌似还 订单号 6675995444115648 有贴膜",  # "phone" earlier in the sentence is no label
    "这款手机 订单号：2547099231332410",
    "时间戳 1799339296000", "82.02196633",            # a carrier code dropped; a decimal opening 0
    "129.00143689 91.07179129 129.91177685",         # decimals on both sides
    "2025-12-11T22:14:00 20150301 2021.04.17",       # "00" ends a time, not an international prefix
    "订单号：19607314578", "单号19993793639", "NO. 15358444916", "case #16171304100",
    "86,158 miles", "at 130,000 mi", "¥1999.00", "MIUI 12.5.7", "iOS 15.4.1", "$2500- $3500", "iOS 10.101.101",
    "36.043180  338055 0.65",                        # a gap no one writes inside a number
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


@settings(max_examples=300, deadline=None)
@given(st.integers(100_000, 999_999), st.integers(0, 999), st.text(string.digits, min_size=1, max_size=8),
       st.sampled_from(["#", "", "编号#", "No."]))
def test_a_number_next_to_a_decimal_is_never_a_phone(number, whole, fraction, prefix):
    assert find_identifiers(f"{prefix}{number} {whole}.{fraction}") == []


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


@settings(max_examples=150, deadline=None)
@given(_FILLER, _RBI, st.text(string.digits, min_size=12, max_size=12),
       st.sampled_from([(15,), (2, 6, 6, 1), (4, 4, 4, 3), (6, 2, 6, 1), (8, 6, 1), (8, 7), (3, 3, 3, 3, 3), (5, 5, 5)]),
       st.sampled_from(["-", " ", "."]), _FILLER)
def test_any_luhn_valid_imei_in_text_is_found(before, rbi, rest, sizes, sep, after):
    body = rbi + rest
    imei = body + luhn_check_digit(body)
    cuts = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
    written = sep.join(imei[a:b] for a, b in zip(cuts, cuts[1:]))
    found = find_identifiers(f"{before} IMEI {written} {after}")
    assert ("imei", imei) in [(i.kind, i.value) for i in found]


# -- the pre-filter -------------------------------------------------------------------------------

# Identifiers of every kind in spellings that stretch the pre-filter: 5-digit QQ numbers and
# WeChat ids without digits (only their keyword is a candidate), full-width and Roman-numeral
# keywords, separators of up to three characters.
_SPELLINGS = st.sampled_from([
    "QQ 12345", "ＱＱ：12345", "扣扣12345", "q号:12345", "Q：12345", "微信号：zhangsan", "加V：zhangsan", "加Ⅴ zhangsan",
    "➕v wangwei88", "ｖｘ：ａｂｃ_ｄｅｆ", "WeChat ID: foo_bar9", "Weixin: abc-def", "v信 abc_def", "wxid_abcd1234efgh56",
    "138 - 1234 - 5678", "138·1234·5678", "138．1234．5678", "(+86)13812345678", "１３８　１２３４　５６７８",
    "4901 5420 3237 518", "490154-20-323751-8", "6222 0212 3456 7890 128", "110105 19491231 002X",
    "+44 20 7946 0958", "+49 30 1234567", "a@b.co", "ｚ＠ｅｘａｍｐｌｅ．ｃｏｍ", "@张三", "＠米粉",
])
_NOISE = st.text(st.sampled_from("0123456789０１ -.·:：#@qQvVxXwW微信扣号加+ 屏幕坏了abc"), max_size=10)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_SPELLINGS, _NOISE), min_size=1, max_size=4).map(" ".join))
def test_the_prefilter_matches_every_text_with_an_identifier(text):
    # redact_column hands only texts matching CANDIDATE (RE2, run by Arrow) to find_identifiers,
    # so a miss would store an identifier raw; MAYBE_IDENTIFIER is its form for Python's re.
    if find_identifiers(text):
        assert pc.match_substring_regex(pa.array([text]), CANDIDATE)[0].as_py(), text
        assert MAYBE_IDENTIFIER.search(text), text


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


@pytest.mark.parametrize("text", ["Kia has done nothing with this case 18337751674",
                                  "my order 13812345678 call me"])
def test_an_english_label_without_a_connector_does_not_hide_a_mobile(text):
    """Found by benchmarks/robustness.py: a mobile planted after "this case" was left raw."""
    assert [i.kind for i in find_identifiers(text)] == ["phone"]
