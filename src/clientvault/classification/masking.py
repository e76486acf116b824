"""Display masking (脱敏) by profile — pure functions (RULES.md §12, JRT0171-DISPLAY-mask, GB/T 35273 §7.2).

The exact JR/T 0171 Annex A positions could not be verified (RULES.md §12 caveat, §13 item 2), so the
kept lengths are settings (``CLIENTVAULT_MASKING``), not constants; the defaults follow the issue:
张*明, 138****5678, 110***********1234, ****1234, z***@example.cn, address down to the district.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from clientvault.classification.catalogue import MaskProfile

STAR = "*"
# Two-character surnames (复姓) that must stay whole when only the surname is kept.
_COMPOUND = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 澹台 钟离 端木 南宫 独孤 西门 呼延 "
    "万俟 闻人 申屠 太史 公冶 濮阳 淳于 单于 赫连 百里 东郭 南门 羊舌 微生 梁丘 左丘 东门 第五 拓跋 司空 仲孙 叔孙 "
    "乐正 宗政 亓官"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND.split())
# The first county-level unit: 区, 县 or 旗 — but not the 区 of 自治区, 特别行政区 or 地区 (prefecture level).
_COUNTY = re.compile(r"(?<!自治)(?<!行政)(?<!地)区|县|旗")


@dataclass(frozen=True)
class MaskSettings:
    id_keep_first: int = 3
    id_keep_last: int = 4
    mobile_keep_first: int = 3
    mobile_keep_last: int = 4
    card_keep_last: int = 4

    @classmethod
    def from_mapping(cls, values: Mapping[str, int] | None) -> MaskSettings:
        known = {k: int(v) for k, v in (values or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


def _keep(value: str, first: int, last: int) -> str:
    """Keep ``first`` and ``last`` characters; never reveal more than half of a short value."""
    n = len(value)
    if n == 0:
        return ""
    if first + last >= n:
        half = n // 2
        first, last = min(first, half // 2 + half % 2), min(last, half // 2)
    return value[:first] + STAR * (n - first - last) + (value[n - last :] if last else "")


def mask_name(value: str) -> str:
    """张三 → 张*, 张三明 → 张*明, 欧阳娜娜 → 欧阳*娜; Latin names keep each word's first letter."""
    value = value.strip()
    if not value:
        return ""
    if value.isascii():
        return " ".join(w[0] + STAR * (len(w) - 1) if len(w) > 1 else STAR for w in value.split())
    surname = value[:2] if value[:2] in COMPOUND_SURNAMES and len(value) > 2 else value[:1]
    given = value[len(surname) :]
    if len(given) <= 1:
        return surname + STAR * max(len(given), 1)
    return surname + STAR * (len(given) - 1) + given[-1]


def mask_email(value: str) -> str:
    local, at, domain = value.strip().partition("@")
    if not at:
        return _keep(value, 1, 0)
    return (local[:1] + STAR * 3 if local else STAR * 3) + "@" + domain


def mask_address(value: str) -> str:
    """Keep province, city and district; hide the rest (street, building, number)."""
    value = value.strip()
    county = _COUNTY.search(value)
    if county:
        end = county.end()
    else:  # a county-level city (江苏省昆山市…): keep up to its 市
        cities = [m.end() for m in re.finditer("市", value[:15])]
        end = cities[-1] if cities else len(value) // 2
    kept = value[:end]
    return kept + STAR * 4 if end < len(value) else kept


def mask_date(value: str) -> str:
    return value[:4] + "-**-**" if len(value) >= 4 else STAR * len(value)


def mask(profile: str, value: str | None, settings: MaskSettings | None = None) -> str:
    """The masked display form of ``value`` under ``profile``; empty stays empty."""
    if value is None or value == "":
        return ""
    s = settings or MaskSettings()
    text = str(value)
    if profile == MaskProfile.NONE:
        return text
    if profile == MaskProfile.NAME:
        return mask_name(text)
    if profile == MaskProfile.ID_NUMBER:
        return _keep(text, s.id_keep_first, s.id_keep_last)
    if profile == MaskProfile.MOBILE:
        return _keep(text, s.mobile_keep_first, s.mobile_keep_last)
    if profile == MaskProfile.BANK_CARD:
        return STAR * 4 + text[-s.card_keep_last :] if len(text) > s.card_keep_last * 2 else _keep(text, 0, len(text) // 4)
    if profile == MaskProfile.EMAIL:
        return mask_email(text)
    if profile == MaskProfile.ADDRESS:
        return mask_address(text)
    if profile == MaskProfile.DATE:
        return mask_date(text)
    return STAR * 6  # HIDDEN, and any profile this code does not know: show nothing
