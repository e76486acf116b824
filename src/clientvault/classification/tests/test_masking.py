"""Masking profiles (RULES.md §12) — pure, no database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clientvault.classification.masking import MaskSettings, mask, mask_address, mask_name


def test_examples_from_the_issue():
    assert mask("name", "张三明") == "张*明"
    assert mask("mobile", "13812345678") == "138****5678"
    assert mask("id_number", "110105194912311234") == "110***********1234"
    assert mask("bank_card", "6222600260001071234") == "****1234"
    assert mask("email", "zhang@example.cn") == "z***@example.cn"
    assert mask_address("北京市朝阳区建国路88号院3号楼") == "北京市朝阳区****"


def test_names():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧阳*娜"
    assert mask_name("欧阳") == "欧*"  # two characters only: not treated as a compound surname
    assert mask_name("司马相如") == "司马*如"
    assert mask_name("John Smith") == "J*** S****"


def test_addresses_keep_province_city_and_district():
    assert mask_address("广东省深圳市南山区科技园路1号") == "广东省深圳市南山区****"
    assert mask_address("浙江省杭州市西湖区") == "浙江省杭州市西湖区"  # nothing below the district to hide
    assert mask_address("内蒙古自治区呼和浩特市回民区中山西路") == "内蒙古自治区呼和浩特市回民区****"


def test_hidden_and_unknown_profiles_show_nothing_and_empty_stays_empty():
    assert mask("hidden", "secret") == "******"
    assert mask("no-such-profile", "secret") == "******"
    assert mask("mobile", "") == "" and mask("name", None) == ""
    assert mask("date", "1990-05-17") == "1990-**-**"
    assert mask("none", "公开") == "公开"


def test_kept_lengths_are_configuration():
    settings = MaskSettings.from_mapping({"id_keep_first": 1, "id_keep_last": 1, "unknown": 9})
    assert mask("id_number", "11010519491231002X", settings) == "1" + "*" * 16 + "X"


digits = st.text(alphabet="0123456789", min_size=1, max_size=25)


@given(digits)
def test_masking_never_reveals_more_than_it_keeps(value):
    for profile in ("mobile", "id_number", "bank_card"):
        masked = mask(profile, value)
        shown = sum(1 for c in masked if c != "*")
        # At most first 3 + last 4 (ID, mobile) or last 4 (card) stay visible, and never the whole value.
        assert shown <= 7 and (len(value) < 2 or shown < len(value)), (profile, value, masked)


@given(st.text(min_size=1, max_size=40).filter(lambda s: s.strip()))
def test_names_and_emails_always_hide_something(value):
    for profile in ("name", "email", "hidden"):
        masked = mask(profile, value)
        assert "*" in masked


def test_more_addresses():
    assert mask_address("江苏省昆山市前进中路100号") == "江苏省昆山市****"
    assert mask_address("西藏自治区阿里地区噶尔县狮泉河镇") == "西藏自治区阿里地区噶尔县****"
    assert mask_address("香港特别行政区中西区皇后大道中1号") == "香港特别行政区中西区****"
