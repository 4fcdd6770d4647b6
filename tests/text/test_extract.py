"""The other facts in a complaint: how many repairs, whether data was lost, whose phone it is."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from defectradar.text.extract import author_is_owner, data_loss, repeat_repairs
from defectradar.text.normalise import normalise


def match(text: str) -> str:
    return normalise(text).match


@pytest.mark.parametrize("text, count", [
    # Chinese
    ("修了三次", 3),
    ("返厂两次", 2),
    ("第3次去售后", 3),
    ("三修", 3),
    ("维修单都攒了四张", 4),
    ("小米之家跑了2次", 2),
    ("修过一次又坏了", 1),
    ("第二次返厂", 2),
    ("三次返厂", 3),
    ("售后跑了四趟", 4),
    ("换了两次主板", 2),
    ("已经是第四次送修了", 4),
    ("修了十一次", 11),
    ("小米11又烧主板了，返厂三次，资料全没了", 3),
    ("返厂两次，第三次去售后还是没修好", 3),      # the largest stated count
    # English
    ("third repair", 3),
    ("3rd repair", 3),
    ("2nd time at the service centre", 2),
    ("repaired twice", 2),
    ("It's been repaired 3 times", 3),
    ("sent it in three times", 3),
    ("I've sent it in for repair twice", 2),
    ("4 trips to", 4),
    ("4 trips to the service center", 4),
    ("twice at the Genius Bar", 2),
    ("went back to the service center 3 times", 3),
    ("after two repairs", 2),
    ("had it repaired once", 1),
    ("My Mi 11 Pro WiFi greyed out again after the 2nd repair", 2),
])
def test_repeat_repairs_reads_the_number_of_repairs(text, count):
    assert repeat_repairs(match(text)) == count


@pytest.mark.parametrize("text", [
    "屏幕坏了", "wifi keeps dropping", "",
    # ordinary numbers are not repair counts
    "用了三年", "用了三年了，电池不行了", "3 days", "bought it 3 days ago", "iPhone 13", "my iPhone 13 battery",
    "买了两台", "I have 2 phones", "2 years old", "打了三次电话", "重启了三次", "小米11 Pro 12GB+256GB",
])
def test_repeat_repairs_is_none_when_no_repair_is_stated(text):
    assert repeat_repairs(match(text)) is None


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=20), st.sampled_from(["修了{}次", "返厂{}次", "第{}次去售后", "repaired {} times"]))
def test_repeat_repairs_reads_any_arabic_count(count, template):
    assert repeat_repairs(match(template.format(count))) == count


@pytest.mark.parametrize("text", [
    "数据清空了", "数据被清空", "资料全没了", "照片都没了", "手机里的照片全丢了", "聊天记录没了", "返厂回来数据全没了",
    "小米11又烧主板了，返厂三次，资料全没了",
    "lost all my photos", "I lost all my data", "lost my contacts", "all my photos are gone",
    "the factory reset deleted all my photos", "They did a factory reset and it deleted all my photos",
])
def test_data_loss_is_found(text):
    assert data_loss(match(text)) is True


@pytest.mark.parametrize("text", [
    "数据都还在", "修好了，数据都还在", "照片没丢", "屏幕坏了", "",
    "didn't lose any data", "fortunately I didn't lose any data", "I didn't lose anything",
    "lost signal in the lift", "the wifi is lost again",
    "No data was lost",
])
def test_data_loss_is_false_when_data_was_kept_or_never_mentioned(text):
    assert data_loss(match(text)) is False


@pytest.mark.parametrize("text, owner", [
    ("我的手机烧屏了", True),
    ("我买的小米11又坏了", True),
    ("本人小米11用户，wifi打不开", True),
    ("my phone overheats", True),
    ("I bought a Mi 11 and it died", True),
    ("朋友的手机烧屏了", False),
    ("我老婆的手机坏了", False),
    ("同事的iPhone也这样", False),
    ("听说小米11烧主板", False),
    ("据说会烧屏", False),
    ("my wife's phone overheats", False),
    ("my friend's iPhone died", False),
    ("I heard the S21 overheats", False),
    ("手机烧屏了", None),
    ("the phone overheats", None),
    ("wifi keeps dropping", None),
    ("", None),
])
def test_author_is_owner(text, owner):
    assert author_is_owner(match(text)) is owner
