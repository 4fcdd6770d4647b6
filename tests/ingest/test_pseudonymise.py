"""Keyed tokens: the hand-rolled HMAC, stable normalised tokens, and redaction of free text
that leaves no raw identifier behind (scalar and vectorised paths agreeing)."""

from __future__ import annotations

import hashlib
import hmac
import re

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from defectradar.core.identifiers import TOKEN as TOKEN_IN_TEXT
from defectradar.core.identifiers import find_identifiers, iter_digit_runs
from defectradar.ingest.pseudonymise import PREFIX, Pseudonymiser

KEY = b"0123456789abcdef0123456789abcdef"
TOKEN = re.compile(r"^(dev|tel|mail|pid|usr|per|addr|qq|card|wx)_[0-9a-f]{20}$")


@pytest.fixture
def pseudonymiser():
    return Pseudonymiser(KEY, public_handles=["小米客服", "@XiaomiSupport"])


# -- the HMAC ------------------------------------------------------------------------------------

@settings(max_examples=200)
@given(st.binary(min_size=16, max_size=200), st.binary(max_size=300))
def test_hmac_hex_equals_the_standard_library(key, message):
    # Keys over 64 bytes (the SHA-256 block) are hashed first; both branches are drawn.
    assert Pseudonymiser(key)._hmac_hex(message) == hmac.new(key, message, hashlib.sha256).hexdigest()


def test_hmac_hex_is_reusable_after_many_calls():
    p = Pseudonymiser(KEY)
    first = p._hmac_hex(b"abc")
    p._hmac_hex(b"something else")
    assert p._hmac_hex(b"abc") == first == hmac.new(KEY, b"abc", hashlib.sha256).hexdigest()


def test_short_keys_are_refused():
    with pytest.raises(ValueError, match="16 bytes"):
        Pseudonymiser(b"short")


# -- tokens ---------------------------------------------------------------------------------------

def test_token_is_the_truncated_hmac_of_kind_and_normalised_value():
    p = Pseudonymiser(KEY)
    expected = hmac.new(KEY, b"device:490154203237518", hashlib.sha256).hexdigest()[:20]
    assert p.token("device", "490154203237518") == f"dev_{expected}"


def test_tokens_are_stable_across_instances_and_differ_under_another_key():
    a, b = Pseudonymiser(KEY), Pseudonymiser(KEY)
    other = Pseudonymiser(b"another key of sixteen+ bytes")
    for kind, value in [("device", "490154203237518"), ("phone", "13812345678"),
                        ("email", "a@b.com"), ("user", "张三"), ("name", "王五")]:
        assert a.token(kind, value) == b.token(kind, value)
        assert a.token(kind, value) != other.token(kind, value)
        assert TOKEN.match(a.token(kind, value))


def test_the_same_value_of_different_kinds_gives_different_tokens():
    p = Pseudonymiser(KEY)
    assert p.token("user", "13812345678") != p.token("phone", "13812345678")


@pytest.mark.parametrize("variant", ["49-015420-323751-8", "49 015420 323751 8", "４９０１５４２０３２３７５１８",
                                     " 490154203237518 "])
def test_device_ids_are_normalised(variant):
    p = Pseudonymiser(KEY)
    assert p.token("device", variant) == p.token("device", "490154203237518")


def test_serial_numbers_fold_case_and_separators():
    p = Pseudonymiser(KEY)
    assert p.token("device", "ab-12:cd 34") == p.token("device", "AB12CD34")
    assert p.token("device", "AB12CD34") != p.token("device", "AB12CD35")


def test_the_same_phone_written_three_ways_gives_one_token():
    p = Pseudonymiser(KEY)
    tokens = {p.token("phone", v) for v in ["138 1234 5678", "+86-138-1234-5678", "008613812345678"]}
    assert len(tokens) == 1


def test_a_phone_in_text_and_in_a_column_gives_one_token():
    p = Pseudonymiser(KEY)
    # 140 numbers are shaped like mobiles but unknown to libphonenumber.
    for number in ["13812345678", "14012345678"]:
        assert p.redact(f"电话{number}") == f"电话[{p.token('phone', number)}]"


@pytest.mark.parametrize("kind, variants", [
    ("qq", ["123456789", "１２３４５６７８９", " 123456789 "]),
    ("card", ["6222021234567890128", "6222 0212 3456 7890 128", "6222-0212-3456-7890-128", "６２２２０２１２３４５６７８９０１２８"]),
    ("wechat", ["zhangsan_1990", "ZhangSan_1990", "ｚｈａｎｇｓａｎ_１９９０"]),
])
def test_qq_card_and_wechat_tokens_normalise(kind, variants):
    p = Pseudonymiser(KEY)
    tokens = {p.token(kind, v) for v in variants}
    assert len(tokens) == 1 and TOKEN.match(tokens.pop())


def test_every_prefix_has_the_shape_redaction_recognises_as_a_token():
    # find_identifiers masks [<2-5 lower-case letters>_<20 hex>]: a longer prefix would be re-read.
    p = Pseudonymiser(KEY)
    for kind in PREFIX:
        assert TOKEN_IN_TEXT.fullmatch(f"[{p.token(kind, 'x1')}]"), kind


def test_emails_and_handles_and_ids_normalise():
    p = Pseudonymiser(KEY)
    assert p.token("email", " Foo@Example.COM ") == p.token("email", "foo@example.com")
    assert p.token("user", "@张三 ") == p.token("user", "张三")
    assert p.token("person_id", "11010519491231002x") == p.token("person_id", "11010519491231002X")


# -- redaction ------------------------------------------------------------------------------------

def test_redact_leaves_no_raw_identifier(pseudonymiser):
    text = ("张三手机13812345678，邮箱 zhang.san@example.com，身份证11010519491231002X，"
            "IMEI 35-209900-176148-1，伦敦 +44 20 7946 0958，@李四 也一样")
    clean = pseudonymiser.redact(text)
    for raw in ["13812345678", "zhang.san", "11010519491231002X", "176148", "7946", "李四"]:
        assert raw not in clean
    outside_tokens = re.sub(r"\[[a-z]+_[0-9a-f]{20}\]", "", clean)
    assert list(iter_digit_runs(outside_tokens)) == []
    assert find_identifiers(outside_tokens) == []
    assert clean.startswith("张三手机[tel_") and "@[usr_" in clean


def test_redact_gives_qq_cards_and_wechat_ids_their_own_tokens(pseudonymiser):
    text = "QQ 123456789，卡号 6222 0212 3456 7890 128，微信 zhangsan_1990，vx: abc123456"
    clean = pseudonymiser.redact(text)
    assert clean == (f"QQ [{pseudonymiser.token('qq', '123456789')}]，卡号 "
                     f"[{pseudonymiser.token('card', '6222021234567890128')}]，微信 "
                     f"[{pseudonymiser.token('wechat', 'zhangsan_1990')}]，vx: [{pseudonymiser.token('wechat', 'abc123456')}]")
    assert clean.count("[qq_") == 1 and clean.count("[card_") == 1 and clean.count("[wx_") == 2


def test_the_reported_ordinary_numbers_are_left_alone(pseudonymiser):
    for text in ["#861580 0.437247", "电量 0.437247 #861580", "订单号：19607314578", "86,158 miles"]:
        assert pseudonymiser.redact(text) == text


def test_redact_of_text_without_identifiers_is_unchanged(pseudonymiser):
    text = "小米11 2022-09-21 绿屏，价格3999元，型号M2011K2C"
    assert pseudonymiser.redact(text) == text


@pytest.mark.parametrize("text", ["@小米客服 你好", "@小米客服你们好", "请 @XiaomiSupport help"])
def test_public_handles_stay_readable(pseudonymiser, text):
    assert pseudonymiser.redact(text) == text


def test_private_handle_next_to_a_public_one_is_tokenised(pseudonymiser):
    clean = pseudonymiser.redact("@小米客服 @张三 你好")
    assert clean.startswith("@小米客服 @[usr_") and "张三" not in clean


# -- columns ----------------------------------------------------------------------------------------

_PIECES = st.sampled_from(["13812345678", "138 1234 5678", "+86-138-1234-5678", "１３８１２３４５６７８",
                           "490154203237518", "35-209900-176148-1", "11010519491231002X",
                           "a@b.com", "@张三", "@小米客服", "@小米客服你们好", "+1 202.555.0143",
                           "138\u30001234\u30005678", "2022-09-21", "3999元", "M2011K2C",
                           "QQ 12345", "ＱＱ：123456789", "扣扣 1234567", "6222 0212 3456 7890 128", "4901 5420 3237 518",
                           "微信号：zhangsan", "加Ⅴ：abc_def", "vx: abc123456", "wxid_abcd1234efgh56",
                           "138·1234·5678", "(+86)13812345678", "#861580 0.437247", "86,158 miles",
                           "[tel_0123456789abcdef0123]", "@[usr_35209900176148100000]"])
_TEXTS = st.one_of(
    st.none(),
    st.lists(st.one_of(_PIECES, st.text(st.sampled_from("0123456789@ -.屏幕绿电池坏了，ab"), max_size=8)),
             max_size=5).map(" ".join),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_TEXTS, max_size=12))
def test_redact_column_equals_redact_row_by_row(texts):
    pseudonymiser = Pseudonymiser(KEY, public_handles=["小米客服"])
    column = pseudonymiser.redact_column(pa.array(texts, pa.string()))
    assert column.to_pylist() == [None if t is None else pseudonymiser.redact(t) for t in texts]


# -- idempotency -------------------------------------------------------------------------------------

# Tokens whose hex holds a mobile, an IMEI, a card number or a phone number.
_TOKENS = st.sampled_from(["[tel_a13812345678bcdef012]", "[dev_a490154203237518abcd]", "@[usr_e13812345678abcdef01]",
                           "[card_f6222021234567890128]", "[pid_11010519491231002000]", "[qq_0123456789abcdef0123]",
                           "[wx_ffffffffffffffffffff]", "[mail_00000000000000000000]"])
_GLUE = st.text(st.sampled_from("0123456789 -.·+#@:：()QqVx微信扣号加卡屏坏了ab"), max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, _TOKENS, _GLUE), min_size=1, max_size=6).map("".join))
def test_redact_is_idempotent_and_leaves_tokens_alone(text):
    p = Pseudonymiser(KEY, public_handles=["小米客服"])
    once = p.redact(text)
    assert p.redact(once) == once
    # Every token already in the text comes out as it went in: its hex is never re-read.
    for token in TOKEN_IN_TEXT.findall(text):
        assert once.count(token) >= text.count(token), (token, once)


@pytest.mark.parametrize("token", ["[tel_a13812345678bcdef012]", "[dev_a490154203237518abcd]",
                                   "[card_f6222021234567890128]", "@[usr_e13812345678abcdef01]"])
def test_the_hex_of_a_token_is_never_read_as_an_identifier(token):
    assert find_identifiers(token) == []
    assert find_identifiers(f"电话{token}，IMEI {token}") == []


def test_one_call_leaves_nothing_for_a_second():
    # Whatever reads differently once its neighbours are tokens is taken in the same call, so
    # callers never loop; no digit run outside tokens is left.
    p = Pseudonymiser(KEY)
    once = p.redact("@张三 +44 20 7946 0958 3 QQ:12345 13812345678 35-209900-176148-1")
    assert p.redact(once) == once and not list(iter_digit_runs(TOKEN_IN_TEXT.sub("", once)))


def test_redact_column_accepts_chunked_and_large_string_columns(pseudonymiser):
    texts = ["电话13812345678", None, "nothing here"]
    chunked = pa.chunked_array([pa.array(texts[:1]), pa.array(texts[1:], pa.string())])
    large = pa.array(texts, pa.large_string())
    expected = [pseudonymiser.redact(texts[0]), None, "nothing here"]
    assert pseudonymiser.redact_column(chunked).to_pylist() == expected
    assert pseudonymiser.redact_column(large).to_pylist() == expected


def test_token_column_maps_blanks_to_null_and_equal_values_to_equal_tokens():
    p = Pseudonymiser(KEY)
    column = pa.array(["490154203237518", "", None, "  ", "49-015420-323751-8", "356938035643809",
                       "490154203237518"])
    tokens = p.token_column("device", column).to_pylist()
    assert tokens[1] is None and tokens[2] is None and tokens[3] is None
    assert tokens[0] == tokens[4] == tokens[6] == p.token("device", "490154203237518")
    assert tokens[5] == p.token("device", "356938035643809") != tokens[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "a@b.com", "A@B.com", "x@y.org"])),
                max_size=10))
def test_token_column_equals_token_row_by_row(values):
    p = Pseudonymiser(KEY)
    # Run twice: the second pass reads the tokens made by the first from the cache.
    for _ in range(2):
        tokens = p.token_column("email", pa.array(values, pa.string())).to_pylist()
        assert tokens == [None if v is None or not v.strip() else p.token("email", v) for v in values]


@pytest.mark.parametrize("text", ["+1 202.555.0143", "138\u30001234\u30005678", "138\u00a01234\u00a05678",
                                  "call 138.1234.5678", "(138) 1234 5678"])
def test_redact_column_catches_numbers_with_unusual_separators(text):
    # The vectorised pre-filter once wanted ASCII spaces or hyphens between digit groups and
    # let these through unredacted.
    p = Pseudonymiser(KEY)
    (clean,) = p.redact_column(pa.array([text])).to_pylist()
    assert clean == p.redact(text) and "[tel_" in clean


@pytest.mark.parametrize("kind, make", [
    ("device", lambda i: f"{i:015d}" if i % 3 else f"{i:015d}"[:2] + "-" + f"{i:015d}"[2:]),
    ("email", lambda i: f"User{i}@Example.com" if i % 2 else f"user{i}@example.com"),
    ("user", lambda i: f"fan_{i}" if i % 4 else f"@米粉{i}"),
    ("person_id", lambda i: f"{110105194912310000 + i}"[:17] + ("x" if i % 2 else "X")),
])
def test_token_column_on_large_columns_equals_token(kind, make):
    # Past 1,000 new values most are hashed in bulk outside Python; every token must still
    # equal the scalar one, for values already in normal form and for the rest.
    p = Pseudonymiser(KEY)
    values = [make(i) for i in range(1500)]
    tokens = p.token_column(kind, pa.array(values)).to_pylist()
    assert tokens == [Pseudonymiser(KEY).token(kind, v) for v in values]
