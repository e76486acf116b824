"""Matching features of Chinese names, IDs and contacts (pure: no database)."""

from __future__ import annotations

import datetime as dt

from clientvault.dedupe.features import birth_from_id, features, name_features, normal_mobile, split_name


def test_compound_surnames_are_split_as_two_characters() -> None:
    assert split_name("欧阳娜娜") == ("欧阳", "娜娜")
    assert split_name("司马光") == ("司马", "光")
    assert split_name("诸葛亮") == ("诸葛", "亮")
    assert split_name("张伟") == ("张", "伟")
    assert split_name("欧阳") == ("欧", "阳")  # two characters: a surname 欧 and a given name 阳


def test_pinyin_full_sorted_and_initials() -> None:
    f = name_features("张小明")
    assert f["pinyin_full"] == "zhangxiaoming"
    assert f["pinyin_sorted"] == "xiaomingzhang"
    assert f["initials"] == "zxm"
    assert (f["surname"], f["given"]) == ("zhang", "xiaoming")
    assert name_features("欧阳娜娜")["surname"] == "ouyang"


def test_surname_readings_differ_from_the_common_reading() -> None:
    assert name_features("单雄信")["surname"] == "shan"  # not dan
    assert name_features("曾国藩")["surname"] == "zeng"  # not ceng
    assert name_features("区志明")["surname"] == "ou"  # not qu


def test_homophones_traditional_and_romanised_names_share_pinyin() -> None:
    simplified = name_features("张伟")
    assert name_features("张玮")["pinyin_full"] == simplified["pinyin_full"]  # homophone typo
    assert name_features("張偉")["pinyin_full"] == simplified["pinyin_full"]  # traditional characters
    assert name_features("Zhang Wei")["pinyin_full"] == simplified["pinyin_full"]
    assert name_features("Wei ZHANG")["pinyin_sorted"] == simplified["pinyin_sorted"]  # given name first
    assert name_features("Ｚｈａｎｇ　Ｗｅｉ")["pinyin_full"] == "zhangwei"  # full-width letters


def test_id_number_halves_birth_date_and_contacts() -> None:
    row = features("x", "individual", "e", {"name": "李雷", "id_number": "11010119900307123x", "mobile": "+86 138-0013-8000"})
    assert row["id_number"] == "11010119900307123X"
    assert row["id_head"] + row["id_tail"] == row["id_number"]
    assert row["birth_date"] == "1990-03-07"  # from the ID number when the field is empty
    assert row["birth_year"] == 1990
    assert row["mobile"] == "13800138000"
    assert normal_mobile("0086 13800138000") == "13800138000"
    assert birth_from_id("110101199002301234") is None  # 30 February is no date
    assert birth_from_id("110101") is None


def test_an_organisation_matches_on_its_credit_code_and_empty_values_are_null() -> None:
    row = features("y", "organisation", "e", {"name": "北京某某科技有限公司", "uscc": "91110108MA01ABCD1X", "birth_date": None})
    assert row["id_number"] == "91110108MA01ABCD1X"
    assert row["birth_date"] is None and row["mobile"] is None and row["email"] is None
    assert features("z", "individual", "e", {"name": ""})["name"] is None
    assert features("z", "individual", "e", {"birth_date": dt.date(1980, 1, 2)})["birth_date"] == "1980-01-02"
