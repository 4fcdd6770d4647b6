"""Normalisation: the ``display`` form a reader sees and the ``match`` form rules and the product
matcher see (simplified Chinese, half-width, lower case)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from defectradar.text.normalise import has_traditional, normalise, to_simplified, unwrap_markup


@pytest.mark.parametrize("text, match", [
    # Taiwan phrases, not only character-by-character conversion
    ("我的螢幕有問題", "我的屏幕有问题"),
    ("訊號很差", "信号很差"),
    ("資料全沒了", "数据全没了"),
    ("軟體更新後就當機", "软件更新后就当机"),
    ("網路連線一直斷", "网络连接一直断"),
    ("電池鼓包了，螢幕也有殘影", "电池鼓包了,屏幕也有残影"),
    ("我的#小米11#又燒主機板了", "我的 小米11 又烧主板了"),
])
def test_traditional_text_is_matched_in_simplified_with_taiwan_phrases(text, match):
    result = normalise(text)
    assert result.match == match
    assert result.traditional is True
    assert not has_traditional(result.match)


def test_display_keeps_the_script_as_written():
    result = normalise("我的螢幕有問題，訊號也很差")
    assert result.display == "我的螢幕有問題，訊號也很差"
    assert result.match == "我的屏幕有问题,信号也很差"


def test_simplified_text_is_not_flagged_traditional():
    result = normalise("小米11又烧主板了")
    assert result.traditional is False
    assert result.match == result.display == "小米11又烧主板了"


@pytest.mark.parametrize("text, match", [
    ("ＷｉＦｉ又断了！１２３", "wifi又断了!123"),
    ("Ｍｉ　１１　Ｐｒｏ", "mi 11 pro"),
    ("小米１１，真垃圾？", "小米11,真垃圾?"),
])
def test_full_width_characters_fold_to_half_width(text, match):
    assert normalise(text).match == match


def test_match_is_lower_case_and_display_keeps_case():
    result = normalise("My Mi 11 Pro WiFi GREYED OUT")
    assert result.match == "my mi 11 pro wifi greyed out"
    assert result.display == "My Mi 11 Pro WiFi GREYED OUT"


def test_html_links_and_emoji_images_unwrap_to_text():
    text = '<a href="https://weibo.cn/x">小米11</a>又坏了<img class="face" src="x.png" alt="[泪]">'
    assert normalise(text).display == "小米11又坏了[泪]"


def test_line_breaks_become_newlines_and_entities_are_decoded():
    assert normalise("第一行<br>第二行<BR/>第三行").display == "第一行\n第二行\n第三行"
    assert normalise("A&amp;B &quot;fixed&quot; &lt;3").display == 'A&B "fixed" <3'


def test_hashtags_are_unwrapped_to_their_words():
    result = normalise("#小米11WiFi门#太坑了")
    assert result.display == "小米11WiFi门 太坑了"
    assert result.match == "小米11wifi门 太坑了"
    assert "#" not in result.match


def test_emoji_are_kept_in_both_forms():
    result = normalise("手机烫得要命😡🔥")
    assert "😡🔥" in result.display
    assert "😡🔥" in result.match


def test_white_space_is_collapsed_and_trimmed():
    assert normalise("  电池\t\t不行\u3000了  ").display == "电池 不行 了"


@pytest.mark.parametrize("text", ["", None])
def test_empty_input_gives_empty_forms(text):
    result = normalise(text)
    assert (result.display, result.match, result.traditional) == ("", "", False)


def test_unwrap_markup_leaves_plain_text_alone():
    assert unwrap_markup("电池续航差, battery 50% & falling") == "电池续航差, battery 50% & falling"


def test_to_simplified_converts_only_texts_with_traditional_characters():
    assert to_simplified("螢幕") == "屏幕"
    assert to_simplified("屏幕坏了") == "屏幕坏了"


# Characters that are the same in both scripts or only simplified, Latin in both widths, digits, emoji.
_PLAIN = ("手机屏幕电池信号数据发热烧主板坏了又的是我小米充电快慢很差问题没有一点都不"
          "abcXYZ019ＡＢＣｘｙｚ０１９！？，😡🔥 ")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=_PLAIN, max_size=40))
def test_text_without_traditional_characters_changes_only_in_case_and_width(text):
    assert not has_traditional(text)
    result = normalise(text)
    assert result.traditional is False
    assert result.display == re.sub(" +", " ", text).strip()
    assert result.match == unicodedata.normalize("NFKC", result.display).lower()


_TRADITIONAL = "螢幕訊號資料電池鼓包殘影斷線發熱燒主機板問題還沒軟體更新後設定網路連線無線"


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=_TRADITIONAL + _PLAIN, min_size=1, max_size=30))
def test_match_form_is_stable_and_free_of_traditional_characters(text):
    match = normalise(text).match
    assert not has_traditional(match)
    assert normalise(match).match == match
