"""Columns to fields (issue #14): guessing a mapping from zh/en header synonyms, and turning a row's cells into
the values ``customers.entry`` validates.

Field codes are the customer's editable fields (``customers.rules.EDITABLE_FIELDS``) plus ``kind`` (客户类型),
``tags`` (标签), ``owner`` (客户经理, a username) and ``custom.<key>`` for custom fields (matched by their
zh/en labels). A column mapped to nothing is ignored.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import TextChoices

from clientvault.customers import rules
from clientvault.customers.choices import IdType, Industry, Kind, Residency, Sex, Source, Status

EXTRA_FIELDS = ("kind", "tags", "owner")
STANDARD_FIELDS = (*rules.EDITABLE_FIELDS, *EXTRA_FIELDS)
CUSTOM_PREFIX = "custom."

# Header synonyms, compared after normalising (NFKC, lower case, spaces/punctuation dropped).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "客户名称", "客户姓名", "名称", "企业名称", "公司名称", "单位名称", "name", "customer name", "full name", "客户名"),
    "id_type": ("证件类型", "证件种类", "id type", "document type"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "证件号", "身份证", "id number", "id no", "id", "identity number", "id card"),
    "birth_date": ("出生日期", "生日", "出生年月日", "birth date", "date of birth", "dob", "birthday"),
    "sex": ("性别", "sex", "gender"),
    "mobile": ("手机", "手机号", "手机号码", "移动电话", "联系电话", "电话", "mobile", "mobile phone", "phone", "cell phone", "telephone"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "邮件", "e-mail", "email", "mail", "email address"),
    "address": ("地址", "联系地址", "住址", "家庭住址", "通讯地址", "address", "home address"),
    "nationality": ("国籍", "nationality", "country"),
    "residency": ("居民身份", "是否居民", "residency"),
    "occupation": ("职业", "工作", "occupation", "job", "profession"),
    "uscc": ("统一社会信用代码", "信用代码", "社会信用代码", "uscc", "unified social credit code", "credit code"),
    "legal_representative": ("法定代表人", "法人代表", "法人", "legal representative"),
    "registered_address": ("注册地址", "注册地", "registered address"),
    "industry": ("行业", "所属行业", "行业门类", "industry"),
    "status": ("客户状态", "状态", "status"),
    "source": ("客户来源", "来源", "获客渠道", "source"),
    "is_core": ("核心客户", "是否核心客户", "core customer", "core"),
    "bank_card": ("银行卡号", "银行卡", "卡号", "bank card", "bank card number", "card number"),
    "kind": ("客户类型", "类型", "客户类别", "customer type", "type", "kind"),
    "tags": ("标签", "客户标签", "tags", "tag", "labels"),
    "owner": ("客户经理", "负责人", "归属客户经理", "owner", "account manager", "relationship manager", "sales rep"),
}
_PUNCT = re.compile(r"[\s\-_/\\.:：()（）\[\]【】*#]+")


def normalise_header(text: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text or "").lower())


_LOOKUP: dict[str, str] = {normalise_header(s): code for code, words in SYNONYMS.items() for s in words}


def known_fields(custom_keys: Iterable[str] = ()) -> set[str]:
    return {*STANDARD_FIELDS, *(CUSTOM_PREFIX + k for k in custom_keys)}


def guess(
    headers: Sequence[str], *, custom_labels: Mapping[str, str] | None = None, template: Mapping[str, str] | None = None
) -> dict[str, str]:
    """header → field code for every header recognised; a field is given to its first column only.

    ``custom_labels``: normalised label → custom field key. ``template``: a saved mapping, preferred where it
    names a header of this file."""
    lookup = dict(_LOOKUP)
    for label, key in (custom_labels or {}).items():
        lookup.setdefault(normalise_header(label), CUSTOM_PREFIX + key)
    out: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:  # the saved template first, where it names a header of this file
        code = (template or {}).get(header, "")
        if code and code not in taken:
            out[header] = code
            taken.add(code)
    for header in headers:
        code = lookup.get(normalise_header(header), "")
        if header not in out and code and code not in taken:
            out[header] = code
            taken.add(code)
    return {h: out[h] for h in headers if h in out}


def header_score(row: list[str]) -> int:
    """How many cells of the row name a known field (header row detection)."""
    return sum(1 for c in row if c and normalise_header(c) in _LOOKUP)


# --- From cells to the values the customer rules validate --------------------------------------------------

_YES = {"是", "y", "yes", "true", "1", "核心", "√", "✓"}
_NO = {"否", "n", "no", "false", "0", "", "非核心"}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S")
_EXTRA_LABELS: dict[str, dict[str, str]] = {
    "kind": {"个人": "individual", "自然人": "individual", "机构": "organisation", "企业": "organisation", "公司": "organisation",
             "单位": "organisation", "organization": "organisation", "company": "organisation", "person": "individual"},
    "sex": {"男": "M", "女": "F", "male": "M", "female": "F", "m": "M", "f": "F"},
    "id_type": {"身份证": "resident_id", "居民身份证": "resident_id", "护照": "passport", "港澳通行证": "hk_macau_permit",
                "台胞证": "taiwan_permit", "外国人永久居留身份证": "foreign_permanent_residence", "其他": "other"},
    "residency": {"居民": "resident", "境内居民": "resident", "非居民": "non_resident"},
}  # fmt: skip
_CHOICES: dict[str, type[TextChoices]] = {
    "kind": Kind, "sex": Sex, "id_type": IdType, "residency": Residency, "status": Status, "source": Source, "industry": Industry,
}  # fmt: skip
_CHOICE_VALUES = {field: frozenset(choices.values) for field, choices in _CHOICES.items()}


def parse_date(text: str) -> dt.date | str:
    """A date in one of the usual forms, or the text unchanged (the rules then say it is not a date)."""
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    return text


def _choice(field: str, text: str) -> str:
    """A choice cell: its code, its zh or en label, or a usual synonym → the code; else the text unchanged."""
    if not text:
        return ""
    choices = _CHOICES[field]
    if text in _CHOICE_VALUES[field]:
        return text
    folded = normalise_header(text)
    synonym = _EXTRA_LABELS.get(field, {}).get(folded) or _EXTRA_LABELS.get(field, {}).get(text)
    if synonym:
        return synonym
    for value, label in choices.choices:
        if folded in {normalise_header(str(value)), normalise_header(str(label))}:
            return str(value)
    return _zh_label_code(choices, folded) or text


def _zh_label_code(choices: type[TextChoices], folded: str) -> str:
    from django.utils import translation

    with translation.override("zh-hans"):
        for value, label in choices.choices:
            if folded == normalise_header(str(label)):
                return str(value)
    return ""


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,，;；、|]", text) if t.strip()]


class RowValues:
    """One row as the customer rules take it: kind, standard data, custom values, tags, owner username."""

    __slots__ = ("custom", "data", "kind", "owner", "tags", "unknown_choice")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.data: dict[str, Any] = {}
        self.custom: dict[str, Any] = {}
        self.tags: list[str] = []
        self.owner = ""
        self.unknown_choice: list[str] = []


def row_values(cells: Sequence[str], columns: Sequence[tuple[int, str]], *, default_kind: str) -> RowValues:
    """``columns``: (cell index, field code) of every mapped column."""
    values = RowValues(default_kind)
    for index, code in columns:
        text = cells[index] if index < len(cells) else ""
        if code == "kind":
            if text:
                values.kind = _choice("kind", text)
        elif code == "tags":
            values.tags = split_tags(text)
        elif code == "owner":
            values.owner = text
        elif code.startswith(CUSTOM_PREFIX):
            if text:
                values.custom[code[len(CUSTOM_PREFIX) :]] = text
        elif code == "is_core":
            folded = text.strip().lower()
            values.data[code] = folded in _YES
            if folded not in _YES | _NO:
                values.unknown_choice.append(code)
        elif code == "birth_date":
            values.data[code] = parse_date(text) if text else None
        elif code in _CHOICES:
            values.data[code] = _choice(code, text)
        else:
            values.data[code] = text
    if values.data.get("id_number") and not values.data.get("id_type") and values.kind == Kind.INDIVIDUAL:
        values.data["id_type"] = IdType.RESIDENT_ID  # the usual document; the number's checksum tells if not
    return values
