"""Pure helpers that turn a provider's raw record into the parts of an Indicator (no I/O, no Django)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "【": "(", "】": ")", "[": "(", "]": ")", "﹝": "(", "﹞": ")"})


def parse_date(value: Any) -> dt.date | None:
    """A date from the shapes both providers use: epoch milliseconds (天眼查), "2017-06-16 12:00:00" (企查查)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit() and len(value.strip()) >= 9):
        number = float(value)
        seconds = number / 1000 if number >= 1e11 else number
        if seconds <= 0:
            return None
        try:
            return dt.datetime.fromtimestamp(seconds, CHINA_TZ).date()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        match = _DATE.search(value)
        if match:
            try:
                parsed = dt.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
            return None if parsed.year < 1900 else parsed  # "0001-01-01T00:00:00" means "unknown"
    return None


def first_date(record: Mapping[str, Any], *fields: str) -> dt.date | None:
    for name in fields:
        parsed = parse_date(record.get(name))
        if parsed is not None:
            return parsed
    return None


def text(record: Mapping[str, Any], *fields: str) -> str:
    """The first non-empty field as stripped text."""
    for name in fields:
        value = record.get(name)
        if value not in (None, "") and not isinstance(value, dict | list):
            return str(value).strip()
    return ""


def normalise_case_number(raw: str) -> str:
    """One spelling for a case number across providers: "（2017）豫1628执798号" == "(2017)豫1628执798号"."""
    folded = unicodedata.normalize("NFKC", raw).translate(_BRACKETS)
    return re.sub(r"\s+", "", folded)


def record_digest(record: Mapping[str, Any]) -> str:
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def amount_band(raw: Any) -> str:
    """Banded amount (元) of an enforcement: the band, not the figure, goes into the summary."""
    value = _amount(raw)
    if value is None:
        return "amount:unknown"
    if value < 100_000:
        return "amount:lt_100k"
    if value < 1_000_000:
        return "amount:100k_1m"
    if value < 10_000_000:
        return "amount:1m_10m"
    return "amount:ge_10m"


def _amount(raw: Any) -> float | None:
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    cleaned = unicodedata.normalize("NFKC", str(raw)).replace(",", "").replace("元", "").strip()
    factor = 1.0
    if cleaned.endswith("亿"):
        factor, cleaned = 1e8, cleaned[:-1]
    elif cleaned.endswith("万"):
        factor, cleaned = 1e4, cleaned[:-1]
    try:
        return float(cleaned) * factor
    except ValueError:
        return None


_DOC_TYPES = (("判决", "judgement"), ("裁定", "ruling"), ("调解", "mediation"), ("决定", "decision"), ("通知", "notice"))
# Order matters: it reads a case type ("民事") as well as a case number's court-procedure character ("豫1628执798号").
_CASE_TYPES = (
    ("刑", "criminal"),
    ("执", "enforcement"),
    ("行政", "administrative"),
    ("行初", "administrative"),
    ("行终", "administrative"),
    ("民", "civil"),
)


def doc_type(raw: str) -> str:
    return "doc:" + next((code for word, code in _DOC_TYPES if word in raw), "other")


def case_type(raw: str) -> str:
    return "case:" + next((code for word, code in _CASE_TYPES if word in raw), "other")


def performance(raw: str) -> str:
    if "全部未履行" in raw:
        return "performance:none"
    if "部分" in raw:
        return "performance:partial"
    if "履行" in raw:
        return "performance:full"
    return "performance:unknown"


_ANOMALY_REASONS = (
    ("年度报告", "annual_report"),
    ("无法联系", "unreachable_address"),
    ("隐瞒真实情况", "false_information"),
    ("弄虚作假", "false_information"),
    ("公示", "disclosure"),
)


def anomaly_reason(raw: str) -> str:
    return "reason:" + next((code for word, code in _ANOMALY_REASONS if word in raw), "other")


_LEGAL_REP = re.compile(r"法定代表人|负责人|执行事务合伙人|经营者变更|首席代表")


def is_legal_rep_change(item: str) -> bool:
    return bool(_LEGAL_REP.search(item))
