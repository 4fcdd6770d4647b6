"""Detecting a file's text encoding from a sample, and transcoding it to UTF-8 as a stream."""

from __future__ import annotations

import codecs
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from defectradar.errors import UnknownFormatError
from defectradar.ingest.encoding import (
    Encoding,
    SourceStream,
    detect_encoding,
    encoding_by_name,
    read_sample,
)

SIMPLIFIED = ("id,text\n1,小米11 屏幕绿屏，电池续航很差，售后说要换主板。\n"
              "2,用户反馈：发热严重，信号差，充电时手机很烫😀。\n") * 10
TRADITIONAL = ("id,text\n1,小米11 螢幕綠屏，電池續航很差，售後說要換主機板。\n"
               "2,用戶反饋：發熱嚴重，訊號差，充電時手機很燙。\n") * 10


GBK_TEXT = SIMPLIFIED.replace("😀", "")   # GBK has no emoji


@pytest.mark.parametrize("data, name, bom, text", [
    (SIMPLIFIED.encode("utf-8"), "utf-8", 0, SIMPLIFIED),
    (SIMPLIFIED.encode("utf-8-sig"), "utf-8-sig", 3, SIMPLIFIED),
    (SIMPLIFIED.encode("gb18030"), "gb18030", 0, SIMPLIFIED),
    (GBK_TEXT.encode("gbk"), "gb18030", 0, GBK_TEXT),                  # GB18030 reads GBK
    (SIMPLIFIED.encode("utf-16"), "utf-16", 0, SIMPLIFIED),           # the codec reads its BOM
    (codecs.BOM_UTF16_BE + SIMPLIFIED.encode("utf-16-be"), "utf-16", 0, SIMPLIFIED),
    (TRADITIONAL.encode("big5"), "big5", 0, TRADITIONAL),
    (b"id,text\n1,hello world\n", "utf-8", 0, "id,text\n1,hello world\n"),
])
def test_detect_encoding(data, name, bom, text):
    found = detect_encoding(data)
    assert (found.name, found.bom_bytes) == (name, bom)
    assert data[found.bom_bytes:].decode(found.name) == text


def test_short_big5_sample_is_not_taken_for_gb18030():
    # Big5 bytes also decode "cleanly" as GB18030 (into mojibake); the GB2312 share tells them apart.
    assert detect_encoding("螢幕綠屏，電池續航".encode("big5")).name == "big5"
    assert detect_encoding("屏幕绿屏，电池续航".encode("gbk")).name == "gb18030"


def test_traditional_text_in_gbk_stays_gb18030():
    data = TRADITIONAL.encode("gbk")
    found = detect_encoding(data)
    assert found.name == "gb18030" and data.decode(found.name) == TRADITIONAL


def test_utf8_with_a_few_junk_bytes_stays_utf8():
    data = SIMPLIFIED.encode("utf-8")
    junk = data[:500] + b"\xff\xfe\x80" + data[500:1500] + b"\xc3" + data[1500:]
    assert detect_encoding(junk) == Encoding("utf-8", 0)


def test_utf8_sample_cut_inside_a_character_stays_utf8():
    data = SIMPLIFIED.encode("utf-8")
    assert detect_encoding(data[:-1]).name == "utf-8"


def test_is_utf8_property():
    assert Encoding("utf-8", 0).is_utf8 and Encoding("utf-8-sig", 3).is_utf8
    assert not Encoding("gb18030", 0).is_utf8


def test_encoding_by_name():
    assert encoding_by_name("GBK").name == "gbk"
    assert encoding_by_name("UTF8").name == "utf-8"
    assert encoding_by_name("utf-8-sig").name == "utf-8-sig"
    with pytest.raises(UnknownFormatError, match="no-such-codec"):
        encoding_by_name("no-such-codec")


def test_read_sample_reads_at_most_size_bytes(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 1000)
    assert read_sample(path, 100) == b"x" * 100


# -- transcoding --------------------------------------------------------------------------------

def transcode(tmp_path, data: bytes, encoding: Encoding, chunk_bytes: int) -> str:
    path = tmp_path / "input.csv"
    path.write_bytes(data)
    stream = SourceStream(path, encoding, chunk_bytes=chunk_bytes)
    try:
        output = stream.read()
    finally:
        stream.close()
    assert stream.consumed == len(data) - encoding.bom_bytes
    return output.decode("utf-8")


@pytest.mark.parametrize("codec", ["gb18030", "utf-16", "big5", "utf-8"])
@pytest.mark.parametrize("chunk_bytes", [1, 3, 7, 1 << 20])
def test_transcoder_matches_python_decoding(tmp_path, codec, chunk_bytes):
    text = TRADITIONAL if codec == "big5" else SIMPLIFIED
    data = text.encode(codec)
    assert transcode(tmp_path, data, detect_encoding(data), chunk_bytes) == data.decode(codec)


def test_transcoder_skips_the_utf8_bom(tmp_path):
    data = SIMPLIFIED.encode("utf-8-sig")
    assert transcode(tmp_path, data, detect_encoding(data), 5) == SIMPLIFIED


def test_undecodable_bytes_become_replacement_characters(tmp_path):
    data = "好".encode("gb18030") + b"\xff" + "坏".encode("gb18030") + b"\x81"   # \x81 truncated at EOF
    assert transcode(tmp_path, data, Encoding("gb18030", 0), 2) == "好\ufffd坏\ufffd"


def test_transcoder_works_under_a_text_wrapper_with_small_reads(tmp_path):
    path = tmp_path / "input.csv"
    path.write_bytes(SIMPLIFIED.encode("gb18030"))
    with io.TextIOWrapper(io.BufferedReader(SourceStream(path, Encoding("gb18030", 0), 4), 16),
                          encoding="utf-8") as reader:
        assert reader.read() == SIMPLIFIED


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=200),
       st.sampled_from(["gb18030", "utf-16", "utf-8"]), st.integers(1, 9))
def test_transcoder_round_trips_any_text(tmp_path_factory, text, codec, chunk_bytes):
    data = text.encode(codec)
    path = tmp_path_factory.mktemp("t") / "f"
    path.write_bytes(data)
    with SourceStream(path, Encoding(codec, 0), chunk_bytes=chunk_bytes) as stream:
        assert stream.read().decode("utf-8") == text


def test_mostly_ascii_utf8_with_one_junk_row_stays_utf8():
    # Two bad bytes among eleven non-ASCII ones: too many for the byte share, but the lines
    # with non-ASCII bytes are valid UTF-8 at least as often as not.
    data = ("id,text\n1,fine\n2,3分钟前\n3,ok\n".encode("utf-8") + b"4,\xff\xfe junk\n")
    assert detect_encoding(data) == Encoding("utf-8", 0)


@pytest.mark.parametrize("codec, text", [("gbk", "屏幕绿屏\n电池续航很差\n售后换主板\n"),
                                         ("big5", "螢幕綠屏\n電池續航很差\n")])
def test_short_multiline_chinese_is_not_taken_for_utf8(codec, text):
    assert not detect_encoding(text.encode(codec)).is_utf8
