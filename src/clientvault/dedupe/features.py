"""Matching features of one customer, built in memory from decrypted values (pure; no database, no I/O).

Tuned for Chinese customers: names compared as characters, as pinyin (homophones, traditional characters,
romanised spellings in either order), by surname (compound surnames such as 欧阳, 司马) and given name;
ID numbers with a one-digit-typo tolerance (split into head and tail so a typo leaves one half to block
on); birth dates also taken from the ID number; mobiles without +86; e-mail lower-cased; address tokens.

The features exist only in the worker's memory for the length of a scan: nothing here is stored.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pypinyin import Style, lazy_pinyin

# Two-character surnames (复姓): the surname is these two characters, the given name what follows.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "端木",
        "百里",
        "呼延",
        "南宫",
        "独孤",
        "西门",
        "澹台",
        "公羊",
        "钟离",
        "宗政",
        "濮阳",
        "太史",
        "申屠",
        "闻人",
        "赫连",
        "万俟",
        "司空",
        "淳于",
        "单于",
        "仲孙",
        "拓跋",
        "第五",
        "左丘",
        "东郭",
        "公冶",
        "谷梁",
        "段干",
        "巫马",
        "壤驷",
        "乐正",
        "漆雕",
        "亓官",
        "梁丘",
        "歐陽",
        "司馬",
        "諸葛",
        "東方",
        "尉遲",
        "公孫",
        "長孫",
        "宇文",
        "夏侯",
        "軒轅",
        "令狐",
        "端木",
        "鍾離",
        "聞人",
        "赫連",
        "萬俟",
        "淳于",
        "單于",
        "仲孫",
        "拓跋",
    ]
)
# Surnames whose reading differs from the character's common one (单 shàn, not dān): pinyin of the surname.
SURNAME_READINGS = {
    "单": "shan", "單": "shan", "曾": "zeng", "区": "ou", "區": "ou", "解": "xie", "仇": "qiu", "查": "zha", "朴": "piao",
    "覃": "qin", "乐": "yue", "樂": "yue", "缪": "miao", "繆": "miao", "翟": "zhai", "盖": "ge", "蓋": "ge", "繁": "po",
    "员": "yun", "員": "yun", "种": "chong", "秘": "bi", "召": "shao", "纪": "ji", "紀": "ji", "任": "ren", "沈": "shen",
    "柏": "bai", "葛": "ge", "华": "hua", "華": "hua", "尉迟": "yuchi", "尉遲": "yuchi", "万俟": "moqi", "萬俟": "moqi",
    "长孙": "zhangsun", "長孫": "zhangsun", "单于": "chanyu", "單于": "chanyu", "令狐": "linghu",
}  # fmt: skip
_HAN = re.compile(r"[\u3400-\u9fff]")
_ADDRESS_SPLIT = re.compile(r"(?<=[省市区县镇乡村路街道巷弄号栋楼室幢座])|[\s,，、/#-]+")
# The columns a feature row has, in order (the Splink input frame; engine.py).
COLUMNS = (
    "unique_id", "kind", "entity", "name", "pinyin_full", "pinyin_sorted", "initials", "surname", "given",
    "id_number", "id_head", "id_tail", "birth_date", "birth_year", "sex", "mobile", "email", "email_user",
    "address", "address_head", "address_tokens",
)  # fmt: skip


def _clean(value: Any) -> str:
    """NFKC (full-width letters and digits to half-width), no spaces, punctuation inside names dropped."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    return text


@lru_cache(maxsize=65536)
def _char_pinyin(char: str) -> str:
    return lazy_pinyin(char, style=Style.NORMAL, errors="ignore")[0] if _HAN.match(char) else char.lower()


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name) of a Chinese name, with compound surnames; ("", name) if not Chinese."""
    if not name or not _HAN.match(name[0]):
        return "", name
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def _pinyin(text: str) -> list[str]:
    return [p for p in (_char_pinyin(c) for c in text) if p]


def name_features(raw: Any) -> dict[str, str | None]:
    """Name as characters, pinyin (full, with surname and given name sorted, initials), surname, given name."""
    text = re.sub(r"[·•．.\s]+", " ", _clean(raw)).strip()
    if not text:
        return dict.fromkeys(("name", "pinyin_full", "pinyin_sorted", "initials", "surname", "given"))
    if _HAN.search(text):
        name = text.replace(" ", "")
        surname, given = split_name(name)
        sur_py = SURNAME_READINGS.get(surname) or "".join(_pinyin(surname))
        given_syllables = _pinyin(given)
        given_py = "".join(given_syllables)
        parts = [p for p in (sur_py, given_py) if p]
        initials = (sur_py[:1] + "".join(s[:1] for s in given_syllables)) or None
        return {
            "name": name,
            "pinyin_full": "".join(parts) or None,
            "pinyin_sorted": "".join(sorted(parts)) or None,
            "initials": initials,
            "surname": sur_py or None,
            "given": given_py or None,
        }
    # A romanised name ("Zhang Wei", "WEI Zhang", "Zhang Xiao-Ming"): pinyin is the letters themselves.
    tokens = [re.sub(r"[^a-z]", "", t) for t in text.lower().replace("-", "").split()]
    tokens = [t for t in tokens if t]
    if not tokens:
        return dict.fromkeys(("name", "pinyin_full", "pinyin_sorted", "initials", "surname", "given"))
    return {
        "name": " ".join(tokens),
        "pinyin_full": "".join(tokens),
        "pinyin_sorted": "".join(sorted(tokens)),
        "initials": None,  # syllable boundaries are unknown in a romanised given name
        "surname": None,  # which token is the surname is unknown (either order is common)
        "given": None,
    }


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", _clean(value))


def normal_mobile(value: Any) -> str | None:
    digits = _digits(value)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None


def normal_id(value: Any) -> str | None:
    text = re.sub(r"[\s-]", "", _clean(value)).upper()
    return text or None


def birth_from_id(id_number: str | None) -> dt.date | None:
    """The birth date a mainland resident ID number (18 characters) carries, if it is a real date."""
    if not id_number or len(id_number) != 18 or not id_number[6:14].isdigit():
        return None
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def address_features(value: Any) -> tuple[str | None, str | None, list[str] | None]:
    """(normalised address, its first token — province or city, tokens)."""
    text = _clean(value).replace(" ", "")
    if not text:
        return None, None, None
    tokens = [t for t in _ADDRESS_SPLIT.split(text) if t]
    return text, (tokens[0] if tokens else None), tokens or None


def _birth(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if value:
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            return None
    return None


def features(unique_id: str, kind: str, entity: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The feature row of one customer: ``values`` are its decrypted fields (name, id_number, uscc,
    birth_date, sex, mobile, email, address, registered_address)."""
    row: dict[str, Any] = {"unique_id": unique_id, "kind": kind, "entity": entity}
    row.update(name_features(values.get("name")))
    # An organisation's identifier is its credit code; a person's their ID number: one column, blocked by kind.
    ident = normal_id(values.get("id_number") or values.get("uscc"))
    row["id_number"] = ident
    row["id_head"] = ident[:9] if ident and len(ident) >= 15 else None
    row["id_tail"] = ident[9:] if ident and len(ident) >= 15 else None
    birth = _birth(values.get("birth_date")) or birth_from_id(ident)
    row["birth_date"] = birth.isoformat() if birth else None
    row["birth_year"] = birth.year if birth else None
    row["sex"] = _clean(values.get("sex")).lower() or None
    row["mobile"] = normal_mobile(values.get("mobile"))
    email = _clean(values.get("email")).lower() or None
    row["email"] = email
    row["email_user"] = email.split("@", 1)[0] if email and "@" in email else email
    address, head, tokens = address_features(values.get("address") or values.get("registered_address"))
    row["address"], row["address_head"], row["address_tokens"] = address, head, tokens
    return row
